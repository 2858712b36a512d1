package jobs

import (
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/driftwatch/driftwatch/pipeline"
	"github.com/driftwatch/driftwatch/sources"
)

// The run-level checks' configuration: model metadata (`model:`), correlation and
// multivariate drift (`correlations:`, `multivariate:`), model quality
// (`performance:`) and late labels (`labels:`, labels.go).

// ModelConfig is a job's `model:` block: where the model's training time comes from.
// Without it, the latest timestamp of the reference (the training snapshot) is used.
type ModelConfig struct {
	// TrainedAt: RFC 3339 time or a date.
	TrainedAt string `yaml:"trained_at"`
	// Metadata: a JSON or YAML file with a `trained_at` field, or an MLflow `MLmodel`
	// file (its `utc_time_created`); relative to the config file's folder; read at
	// every run, so a redeployed model is picked up.
	Metadata string `yaml:"metadata"`
}

// Check modes (enums rather than booleans).
const (
	ModeOn  = "on"
	ModeOff = "off"
)

// CorrelationsConfig is a job's `correlations:` block.
type CorrelationsConfig struct {
	Mode string `yaml:"mode"` // on (default) | off
	// Threshold: a pair drifts when its correlation moves by more than this (0.25).
	Threshold float64 `yaml:"threshold"`
	// MaxRows per side read row-aligned (default 1000000; beyond it every k-th row).
	MaxRows int `yaml:"max_rows"`
	// MaxCategories of a categorical column in Cramér's V (default 100).
	MaxCategories int `yaml:"max_categories"`
}

// MultivariateConfig is a job's `multivariate:` block (PCA reconstruction error).
type MultivariateConfig struct {
	Mode          string  `yaml:"mode"`           // on (default) | off
	VarianceShare float64 `yaml:"variance_share"` // default 0.65
	Chunks        int     `yaml:"chunks"`         // reference chunks, default 10
	Sigmas        float64 `yaml:"sigmas"`         // thresholds mean ± sigmas·std, default 3
}

// PerformanceConfig is a job's `performance:` block.
type PerformanceConfig struct {
	// PositiveClass of a binary task (default "1"/"true" when present, else the second class).
	PositiveClass string `yaml:"positive_class"`
	// Baseline metric values, used when the reference has no predictions.
	Baseline map[string]float64 `yaml:"baseline"`
	// Tolerances per metric: relative worsening that counts as degraded (defaults:
	// 0.2 for classification metrics, 0.1 for regression metrics).
	Tolerances map[string]float64 `yaml:"tolerances"`
}

func validMode(m string) bool { return m == "" || m == ModeOn || m == ModeOff }

// validateModelChecks checks the run-level check blocks of job j (path p).
func validateModelChecks(p string, j *JobConfig, add func(path, format string, args ...any)) {
	if t := j.Columns.Task; t != "" && t != pipeline.TaskClassification && t != pipeline.TaskRegression {
		add(p+".columns.task", "%q is not valid (valid: classification, regression)", t)
	}
	m := j.Model
	if m.TrainedAt != "" && m.Metadata != "" {
		add(p+".model", "trained_at and metadata exclude each other")
	}
	if m.TrainedAt != "" {
		if _, err := ParseTime(m.TrainedAt); err != nil {
			add(p+".model.trained_at", "%v", err)
		}
	}
	c := j.Correlations
	if !validMode(c.Mode) {
		add(p+".correlations.mode", "%q is not valid (valid: on, off)", c.Mode)
	}
	if c.Threshold < 0 || c.Threshold > 2 {
		add(p+".correlations.threshold", "must be in (0, 2], got %g", c.Threshold)
	}
	if c.MaxRows < 0 {
		add(p+".correlations.max_rows", "must not be negative")
	}
	if c.MaxCategories < 0 {
		add(p+".correlations.max_categories", "must not be negative")
	}
	mv := j.Multivariate
	if !validMode(mv.Mode) {
		add(p+".multivariate.mode", "%q is not valid (valid: on, off)", mv.Mode)
	}
	if mv.VarianceShare < 0 || mv.VarianceShare >= 1 {
		add(p+".multivariate.variance_share", "must be in (0, 1), got %g", mv.VarianceShare)
	}
	if mv.Chunks < 0 || mv.Chunks == 1 {
		add(p+".multivariate.chunks", "must be at least 2, got %d", mv.Chunks)
	}
	if mv.Sigmas < 0 {
		add(p+".multivariate.sigmas", "must be positive, got %g", mv.Sigmas)
	}
	known := map[string]bool{}
	for _, n := range pipeline.MetricNames("") {
		known[n] = true
	}
	for name, v := range j.Performance.Tolerances {
		if !known[name] {
			add(p+".performance.tolerances."+name, "unknown metric (valid: %s)", strings.Join(pipeline.MetricNames(""), ", "))
		} else if v < 0 || math.IsNaN(v) {
			add(p+".performance.tolerances."+name, "must not be negative, got %g", v)
		}
	}
	for name := range j.Performance.Baseline {
		if !known[name] {
			add(p+".performance.baseline."+name, "unknown metric (valid: %s)", strings.Join(pipeline.MetricNames(""), ", "))
		}
	}
	if !j.Labels.IsZero() {
		var k labelKeys
		if err := j.Labels.Pick(&k, labelKeyNames...); err != nil {
			add(p+".labels", "%v", err)
		}
		if k.ID == "" {
			add(p+".labels.id", "required: the labels' column joined to columns.id")
		}
		if k.Label == "" {
			add(p+".labels.label", "required: the labels' ground-truth column")
		}
		if j.Columns.ID == "" {
			add(p+".columns.id", "required with labels: the predictions' id column")
		}
		if j.Columns.Target == "" || j.Columns.Prediction == "" {
			add(p+".columns", "labels need columns.target and columns.prediction")
		}
	}
}

// modelChecks is what a job needs at run time for the run-level checks.
type modelChecks struct {
	labels    pipeline.Dataset // nil: none
	labelCols pipeline.LabelOptions
	model     ModelConfig
	dir       string // the config file's folder
}

// buildModelChecks builds the labels dataset (no I/O) and keeps the model block.
func buildModelChecks(c *Config, jc *JobConfig, reg *sources.Registry, deps sources.Deps) (modelChecks, error) {
	mc := modelChecks{model: jc.Model, dir: c.dir}
	if !jc.Labels.IsZero() {
		ds, cols, err := buildLabels(jc.Labels, reg, deps, c.dir)
		if err != nil {
			return mc, err
		}
		mc.labels, mc.labelCols = ds, cols
	}
	return mc, nil
}

// options sets the run-level check options of a job's pipeline options.
func (mc *modelChecks) options(jc *JobConfig, o *pipeline.Options) {
	c, mv, pf := jc.Correlations, jc.Multivariate, jc.Performance
	o.Correlations = pipeline.CorrelationOptions{Disabled: c.Mode == ModeOff, Threshold: c.Threshold,
		MaxRows: c.MaxRows, MaxCategories: c.MaxCategories}
	o.Multivariate = pipeline.MultivariateOptions{Disabled: mv.Mode == ModeOff, VarianceShare: mv.VarianceShare,
		Chunks: mv.Chunks, Sigmas: mv.Sigmas}
	o.Performance = pipeline.PerformanceOptions{Task: jc.Columns.Task, PositiveClass: pf.PositiveClass,
		Baseline: pf.Baseline, Tolerances: pf.Tolerances, Labels: mc.labelCols}
	if jc.Model.TrainedAt != "" {
		t, _ := ParseTime(jc.Model.TrainedAt) // validated
		o.Model = pipeline.ModelOptions{TrainedAt: t, Source: "config"}
	}
}

// prepare does the per-run I/O of the checks: reads the model metadata file (a new
// model may have been deployed since the last run) and sets the labels dataset.
func (mc *modelChecks) prepare(o *pipeline.Options, in *pipeline.Input) error {
	if mc.labels != nil {
		in.Labels = mc.labels
	}
	if mc.model.Metadata == "" {
		return nil
	}
	path := mc.model.Metadata
	if !filepath.IsAbs(path) {
		path = filepath.Join(mc.dir, path)
	}
	t, source, err := ReadModelMetadata(path)
	if err != nil {
		return err
	}
	o.Model = pipeline.ModelOptions{TrainedAt: t, Source: source}
	return nil
}

// ReadModelMetadata reads a model's training time from a metadata file: an MLflow
// `MLmodel` file (YAML; `utc_time_created: "2026-11-01 12:00:00.123456"`, UTC), or a
// JSON or YAML file with `trained_at` (RFC 3339, a date, "2006-01-02 15:04:05" in UTC,
// or Unix seconds). source is "mlflow:<path>" or "metadata:<path>".
func ReadModelMetadata(path string) (t time.Time, source string, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return time.Time{}, "", fmt.Errorf("model metadata: %w", err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return time.Time{}, "", fmt.Errorf("model metadata %s: %w", path, err)
	}
	key, source := "trained_at", "metadata:"+path
	if _, ok := doc["trained_at"]; !ok {
		if _, ok := doc["utc_time_created"]; ok {
			key, source = "utc_time_created", "mlflow:"+path
		}
	}
	v, ok := doc[key]
	if !ok {
		return time.Time{}, "", fmt.Errorf("model metadata %s: no trained_at (or MLflow utc_time_created) field", path)
	}
	t, err = metadataTime(v)
	if err != nil {
		return time.Time{}, "", fmt.Errorf("model metadata %s: %s: %w", path, key, err)
	}
	return t, source, nil
}

func metadataTime(v any) (time.Time, error) {
	switch x := v.(type) {
	case time.Time: // YAML timestamps decode as time.Time
		return x.UTC(), nil
	case int:
		return time.Unix(int64(x), 0).UTC(), nil
	case float64:
		sec, frac := math.Modf(x)
		return time.Unix(int64(sec), int64(frac*1e9)).UTC(), nil
	case string:
		for _, layout := range []string{"2006-01-02 15:04:05.999999999", "2006-01-02 15:04:05"} {
			if t, err := time.Parse(layout, x); err == nil {
				return t.UTC(), nil
			}
		}
		return ParseTime(x)
	}
	return time.Time{}, fmt.Errorf("%v is not a time", v)
}

// writeChecksText writes the run-level checks' headlines for a terminal (WriteText).
func writeChecksText(w io.Writer, r *pipeline.Report) {
	var lines []string
	verdict := func(b bool) string {
		if b {
			return "DRIFT"
		}
		return "no drift"
	}
	for _, rd := range []struct {
		name string
		d    *pipeline.RoleDrift
	}{{"target drift", r.TargetDrift}, {"prediction drift", r.PredictionDrift}} {
		if rd.d != nil {
			var cols []string
			for _, c := range rd.d.Columns {
				s := c.Name + " " + c.Status
				if c.Method != "" {
					s = fmt.Sprintf("%s %s %s", c.Name, c.Method, verdict(c.Drifted))
				}
				cols = append(cols, s)
			}
			lines = append(lines, fmt.Sprintf("%s: %s (%s)", rd.name, verdict(rd.d.Drifted), strings.Join(cols, "; ")))
		}
	}
	if p, ok := r.Performance.(*pipeline.Performance); ok {
		s := fmt.Sprintf("performance (%s): label coverage %s", p.Task, fmtNum(p.LabelCoverage))
		var degraded []string
		for _, m := range p.Metrics {
			if m.Degraded {
				degraded = append(degraded, fmt.Sprintf("%s %s -> %s", m.Name, fmtNum(m.Reference), fmtNum(m.Current)))
			}
		}
		switch {
		case len(p.Current) == 0:
			s += "; no current metrics (no labels yet)"
		case p.Degraded:
			s += "; DEGRADED: " + strings.Join(degraded, ", ")
		case len(p.Metrics) > 0:
			s += fmt.Sprintf("; %d metrics within tolerance", len(p.Metrics))
		}
		lines = append(lines, s)
	}
	if m, ok := r.Model.(*pipeline.ModelInfo); ok {
		lines = append(lines, fmt.Sprintf("model age: %s days (%s)", fmtNum(m.AgeDays), m.Source))
	}
	if c, ok := r.Correlations.(*pipeline.Correlations); ok && c.Pearson != nil {
		s := fmt.Sprintf("correlations: %s (threshold %s)", verdict(c.Drifted), fmtNum(c.Threshold))
		for _, m := range []struct {
			name string
			m    *pipeline.CorrMatrix
		}{{"pearson", c.Pearson}, {"spearman", c.Spearman}, {"cramers_v", c.CramersV}} {
			if m.m != nil && len(m.m.MaxAbsPair) == 2 {
				s += fmt.Sprintf("; %s max |diff| %s at %s-%s", m.name, fmtNum(m.m.MaxAbsDiff), m.m.MaxAbsPair[0], m.m.MaxAbsPair[1])
			}
		}
		lines = append(lines, s)
	}
	if mv := r.Multivariate; mv != nil {
		s := fmt.Sprintf("multivariate (pca_reconstruction): %s, current error %s, reference %s..%s", verdict(mv.Drifted),
			fmtNum(mv.Current), fmtNum(mv.Lower), fmtNum(mv.Upper))
		if mv.Reason != "" {
			s = "multivariate (pca_reconstruction): " + mv.Reason
		}
		lines = append(lines, s)
	}
	if len(lines) > 0 {
		fmt.Fprintln(w)
		for _, l := range lines {
			fmt.Fprintln(w, l)
		}
	}
}
