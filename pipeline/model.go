package pipeline

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/driftwatch/driftwatch/stats"
)

// Run-level checks after the per-column drift tests: model quality with late labels,
// target and prediction drift summaries, model age, more data-quality findings,
// correlation drift and multivariate drift. runChecks is called once by Run.

// ModelOptions tell what is known of the model.
type ModelOptions struct {
	// TrainedAt is when the model was trained; zero: unknown, and the latest timestamp
	// of the reference (the training snapshot) stands in for it.
	TrainedAt time.Time
	// Source says where TrainedAt came from, for the report ("config",
	// "metadata:<file>", "mlflow:<file>").
	Source string
}

// ModelInfo is the report's "model" section.
type ModelInfo struct {
	TrainedAt *time.Time `json:"trained_at"`
	// AgeDays is (AsOf − TrainedAt) in days; null without both.
	AgeDays Num `json:"age_days"`
	// Source of TrainedAt: config, metadata:<file>, mlflow:<file> or
	// reference_timestamp (the latest timestamp of the reference).
	Source string `json:"source"`
	// AsOf is the run's logical time (a compare without one: the latest current timestamp).
	AsOf *time.Time `json:"as_of"`
}

// RoleDrift is the report's "target_drift" or "prediction_drift" section: the drift
// verdicts of the target (or the prediction and score) columns, counted apart from the
// feature share of dataset_drift.
type RoleDrift struct {
	Drifted bool         `json:"drifted"`
	Columns []RoleColumn `json:"columns"`
}

// RoleColumn is one column's verdict in a RoleDrift.
type RoleColumn struct {
	Name      string `json:"name"`
	Role      Role   `json:"role"`
	Drifted   bool   `json:"drifted"`
	Status    string `json:"status"`
	Method    string `json:"method,omitempty"`
	Statistic Num    `json:"statistic"`
	PValue    Num    `json:"p_value"`
	Threshold Num    `json:"threshold"`
	// Source of the current values: "current", or "labels" (joined by id).
	Source string `json:"source"`
	Reason string `json:"reason,omitempty"`
}

// runChecks runs the run-level checks on the opened sources and fills the report's
// performance, target_drift, prediction_drift, model, correlations and multivariate
// sections and more quality findings. I/O errors are returned; data problems become
// findings.
func runChecks(ctx context.Context, ref, cur Source, in Input, o *Options, preset Preset, rep *Report) error {
	var labels Source
	if in.Labels != nil {
		src, err := in.Labels.Open(ctx, Window{})
		if err != nil {
			return fmt.Errorf("open labels: %w", err)
		}
		defer src.Close()
		labels = src
		for _, f := range src.Schema().Findings {
			f.Source = "labels"
			rep.Quality = append(rep.Quality, f)
		}
	}
	name := ""
	if in.Labels != nil {
		name = in.Labels.String()
	}
	perf, curTarget, findings, err := runPerformance(ctx, perfInput{ref: ref, cur: cur, labels: labels, labelsName: name}, o, rep)
	if err != nil {
		return fmt.Errorf("performance: %w", err)
	}
	rep.Quality = append(rep.Quality, findings...)
	if perf != nil {
		rep.Performance = perf
	}
	if curTarget != nil {
		if err := labelTargetDrift(ctx, ref, curTarget, o, preset, rep); err != nil {
			return fmt.Errorf("target drift from labels: %w", err)
		}
	}
	rep.TargetDrift = roleDriftSummary(rep, curTarget != nil, RoleTarget)
	rep.PredictionDrift = roleDriftSummary(rep, false, RolePrediction, RoleScore)
	m, mf, err := modelInfo(ctx, ref, cur, o)
	if err != nil {
		return fmt.Errorf("model age: %w", err)
	}
	if m != nil {
		rep.Model = m
	}
	rep.Quality = append(rep.Quality, mf...)
	rep.Quality = append(rep.Quality, moreQualityFindings(rep)...)
	return correlationChecks(ctx, ref, cur, o, curTarget, rep)
}

// correlationChecks reads the numeric and categorical features row-aligned, one side at
// a time (so that only one side is in memory), and computes correlation and
// multivariate drift.
func correlationChecks(ctx context.Context, ref, cur Source, o *Options, curTarget *colValues, rep *Report) error {
	if o.Correlations.Disabled && o.Multivariate.Disabled {
		return nil
	}
	p := planCorrelations(rep, o, ref.Schema())
	if o.Correlations.Disabled {
		p.categorical, p.target = nil, ""
	}
	if len(p.numeric) == 0 && len(p.categorical) == 0 {
		return nil
	}
	var tgt *colValues
	if curTarget != nil && p.target != "" {
		tgt = convertValues(curTarget, p.targetNum)
	}
	_, refHas := ref.Schema().Field(p.target)
	_, curHas := cur.Schema().Field(p.target)
	rs, err := readSide(ctx, ref, p, o, nil, refHas)
	if err != nil {
		return fmt.Errorf("correlations: reference: %w", err)
	}
	var refCorr corrSide
	if !o.Correlations.Disabled {
		refCorr = computeSide(rs, p, o)
	}
	var model *stats.PCA
	var mv *Multivariate
	if !o.Multivariate.Disabled {
		model, mv = multivariateFit(rs, p.numeric, o)
	}
	refRows, refStep := rs.rows, rs.step
	rs = nil // the current side reuses the memory
	if err := ctx.Err(); err != nil {
		return err
	}
	cs, err := readSide(ctx, cur, p, o, tgt, curHas || tgt != nil)
	if err != nil {
		return fmt.Errorf("correlations: current: %w", err)
	}
	if !o.Correlations.Disabled {
		curCorr := computeSide(cs, p, o)
		rep.Correlations = correlationDrift(p, refCorr, curCorr, SideRows{Reference: refRows, Current: cs.rows}, refStep > 1 || cs.step > 1, o)
	}
	if mv != nil {
		multivariateScore(model, mv, cs, o)
		rep.Multivariate = mv
	}
	return nil
}

// convertValues returns c as values (numeric: labels parsed as numbers, NaN when not)
// or as labels (numbers formatted), whichever wantNum asks.
func convertValues(c *colValues, wantNum bool) *colValues {
	switch {
	case wantNum && c.valued, !wantNum && !c.valued:
		return c
	case wantNum:
		out := &colValues{valued: true, f: make([]float64, len(c.codes))}
		parsed := make([]float64, len(c.labels))
		for i, l := range c.labels {
			v, err := strconv.ParseFloat(l, 64)
			if err != nil {
				v = nan
			}
			parsed[i] = v
		}
		for i, k := range c.codes {
			out.f[i] = nan
			if k >= 0 {
				out.f[i] = parsed[k]
			}
		}
		return out
	}
	out := &colValues{codes: make([]int32, len(c.f))}
	index := map[string]int32{}
	for i, v := range c.f {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			out.codes[i] = -1
			continue
		}
		l := strconv.FormatFloat(v, 'g', -1, 64)
		k, ok := index[l]
		if !ok {
			k = int32(len(out.labels))
			index[l] = k
			out.labels = append(out.labels, l)
		}
		out.codes[i] = k
	}
	return out
}

// labelTargetDrift tests the target's drift with the current values taken from the
// joined labels (the labelled rows; coverage is reported by performance): the same
// preset and methods as any column, on an in-memory current side. It replaces the
// target column's report and the findings made from the current data's own target
// column (absent, or empty until the labels arrive).
func labelTargetDrift(ctx context.Context, ref Source, target *colValues, o *Options, preset Preset, rep *Report) error {
	idx := -1
	for i, c := range rep.Columns {
		if c.Role == RoleTarget && c.Name == o.Roles.Target {
			idx = i
		}
	}
	if idx < 0 {
		return nil
	}
	kind := rep.Columns[idx].Kind
	name := o.Roles.Target
	if f, ok := ref.Schema().Field(name); ok {
		kind = f.Kind
		if k, ok := o.Roles.Kinds[name]; ok {
			kind = k
		}
	}
	col := Column{Name: name, Kind: kind}
	if kind.Valued() {
		for _, v := range convertValues(target, true).f {
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				col.Float64 = append(col.Float64, v)
			}
		}
	} else {
		t := convertValues(target, false)
		col.Dict, col.Codes = t.labels, []int32{}
		for _, k := range t.codes {
			if k >= 0 {
				col.Codes = append(col.Codes, k)
			}
		}
	}
	tab := &Table{Name: "labels", Columns: []Column{col}}
	src, err := tab.Open(ctx, Window{})
	if err != nil {
		return err
	}
	p := plan{name: name, kind: kind, role: RoleTarget}
	var wk worker
	cr, findings, err := wk.column(ctx, ref, src, &p, preset, o)
	if err != nil {
		return err
	}
	for i := range findings {
		findings[i].Source = "labels"
	}
	rep.Columns[idx] = cr
	// findings of the column test on the current data's target column (absent, or
	// empty until labels arrive), which the labels replace
	stale := map[string]bool{"target_missing": true, "all_null": true, "missing_share_increase": true,
		"out_of_range": true, "unseen_categories": true, "column_missing": true}
	q := rep.Quality[:0]
	for _, f := range rep.Quality {
		if f.Column == name && stale[f.Type] && f.Source != "reference" {
			continue
		}
		q = append(q, f)
	}
	rep.Quality = append(q, findings...)
	return nil
}

// roleDriftSummary summarises the columns with the given roles.
func roleDriftSummary(rep *Report, fromLabels bool, roles ...Role) *RoleDrift {
	d := &RoleDrift{Columns: []RoleColumn{}}
	for _, c := range rep.Columns {
		match := false
		for _, r := range roles {
			match = match || c.Role == r
		}
		if !match {
			continue
		}
		rc := RoleColumn{Name: c.Name, Role: c.Role, Drifted: c.Drifted, Status: c.Status, Method: c.Method,
			Statistic: Num(nan), PValue: Num(nan), Threshold: Num(nan), Source: "current", Reason: c.Reason}
		if fromLabels && c.Role == RoleTarget {
			rc.Source = "labels"
		}
		for _, t := range c.Tests {
			if t.Method == c.Method {
				rc.Statistic, rc.PValue, rc.Threshold = t.Statistic, t.PValue, t.Threshold
				break
			}
		}
		d.Drifted = d.Drifted || c.Drifted
		d.Columns = append(d.Columns, rc)
	}
	if len(d.Columns) == 0 {
		return nil
	}
	return d
}

// modelInfo finds the model's training time (configured, else the reference's latest
// timestamp) and its age at the run's logical time.
func modelInfo(ctx context.Context, ref, cur Source, o *Options) (*ModelInfo, []Finding, error) {
	m := &ModelInfo{AgeDays: Num(nan), Source: o.Model.Source}
	if !o.Model.TrainedAt.IsZero() {
		t := o.Model.TrainedAt.UTC()
		m.TrainedAt = &t
		if m.Source == "" {
			m.Source = "config"
		}
	} else if ts := o.Roles.Timestamp; ts != "" {
		latest, err := latestTime(ctx, ref, ts)
		if err != nil {
			return nil, nil, fmt.Errorf("reference: %w", err)
		}
		if latest != nil {
			m.TrainedAt, m.Source = latest, "reference_timestamp"
		}
	}
	if m.TrainedAt == nil {
		return nil, nil, nil
	}
	if !o.LogicalTime.IsZero() {
		t := o.LogicalTime.UTC()
		m.AsOf = &t
	} else if ts := o.Roles.Timestamp; ts != "" {
		latest, err := latestTime(ctx, cur, ts)
		if err != nil {
			return nil, nil, fmt.Errorf("current: %w", err)
		}
		m.AsOf = latest
	}
	var findings []Finding
	if m.AsOf != nil {
		age := m.AsOf.Sub(*m.TrainedAt).Hours() / 24
		m.AgeDays = Num(age)
		if age < 0 {
			findings = append(findings, Finding{Type: "model_trained_after_run", Severity: SeverityWarning,
				Message: fmt.Sprintf("the model was trained at %s, after the run's time %s", m.TrainedAt.Format(time.RFC3339), m.AsOf.Format(time.RFC3339)),
				Value:   NumPtr(age)})
		}
	}
	return m, findings, nil
}

// latestTime returns the latest value of a datetime column (Unix seconds), nil when the
// source lacks the column or it has no value.
func latestTime(ctx context.Context, src Source, name string) (*time.Time, error) {
	f, ok := src.Schema().Field(name)
	if !ok || !f.Kind.Valued() {
		return nil, nil
	}
	c, err := readValues(ctx, src, name, false, 1)
	if err != nil {
		return nil, err
	}
	best := math.Inf(-1)
	for _, v := range c.f {
		if v > best && !math.IsInf(v, 0) {
			best = v
		}
	}
	if math.IsInf(best, -1) {
		return nil, nil
	}
	sec, frac := math.Modf(best)
	t := time.Unix(int64(sec), int64(frac*1e9)).UTC()
	return &t, nil
}
