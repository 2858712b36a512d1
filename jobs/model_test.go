package jobs

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/driftwatch/driftwatch/pipeline"
)

type predRow struct {
	ID   string  `parquet:"request_id,dict"`
	TS   int64   `parquet:"ts,timestamp(millisecond)"`
	X    float64 `parquet:"x"`
	Z    float64 `parquet:"z"`
	Pred int64   `parquet:"prediction"`
	P    float64 `parquet:"score"`
	Y    *int64  `parquet:"churned,optional"`
}

type labelRow struct {
	ID string `parquet:"request_id,dict"`
	Y  int64  `parquet:"churned"`
	At int64  `parquet:"labelled_at,timestamp(millisecond)"`
}

func writeParquet[T any](t testing.TB, path string, rows []T) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := parquet.NewGenericWriter[T](f)
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// lateLabelsDir writes a training snapshot (with the target), one day of predictions
// (without it) and an empty labels folder; it returns the folder and the truth of the
// day's rows.
func lateLabelsDir(t *testing.T) (string, []int64) {
	dir := t.TempDir()
	day := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	mk := func(n int, prefix string, start time.Time, withY bool) ([]predRow, []int64) {
		rows := make([]predRow, n)
		truth := make([]int64, n)
		for i := range rows {
			x := math.Sin(float64(i)*0.7) * 2
			z := math.Cos(float64(i) * 1.3)
			y := int64(0)
			if x+0.5*z > 0.2 {
				y = 1
			}
			p := 1 / (1 + math.Exp(-(x + 0.5*z - 0.2 + 0.8*math.Sin(float64(i)*3.1))))
			pred := int64(0)
			if p >= 0.5 {
				pred = 1
			}
			rows[i] = predRow{ID: fmt.Sprintf("%s%d", prefix, i), TS: start.Add(time.Duration(i) * time.Minute).UnixMilli(), X: x, Z: z, Pred: pred, P: p}
			if withY {
				rows[i].Y = &y
			}
			truth[i] = y
		}
		return rows, truth
	}
	ref, _ := mk(600, "t", day.Add(-30*24*time.Hour), true)
	writeParquet(t, filepath.Join(dir, "ref", "train.parquet"), ref)
	live, truth := mk(400, "r", day, false)
	for i := range live {
		live[i].Y = nil
	}
	writeParquet(t, filepath.Join(dir, "live", "dt=2026-11-26", "part-0.parquet"), live)
	if err := os.MkdirAll(filepath.Join(dir, "labels"), 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "model.json"), []byte(`{"name": "churn", "trained_at": "2026-11-01T00:00:00Z"}`), 0o644)
	cfg := `version: 1
jobs:
  - name: churn
    reference: {type: parquet, path: ref}
    current: {type: parquet, path: live, timestamp: ts, window: 24h}
    columns: {id: request_id, timestamp: ts, target: churned, prediction: prediction, scores: [score]}
    labels: {type: parquet, path: labels, id: request_id, label: churned, timestamp: labelled_at}
    model: {metadata: model.json}
    performance: {tolerances: {accuracy: 0.05}}
    correlations: {threshold: 0.3}
`
	if err := os.WriteFile(filepath.Join(dir, "config.yaml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, truth
}

// A labels folder with no file yet is "no labels yet"; a re-run of the same window
// after labels arrived picks them up.
func TestLateLabels_rerunPicksUpLabels(t *testing.T) {
	dir, truth := lateLabelsDir(t)
	c, err := LoadConfig(filepath.Join(dir, "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	j, err := BuildJob(c, &c.Jobs[0], testEnv())
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	rep, _, err := j.Run(context.Background(), at, testEnv())
	if err != nil {
		t.Fatal(err)
	}
	p := rep.Performance.(*pipeline.Performance)
	if p.LabelCoverage != 0 || len(p.Current) != 0 || p.Task != pipeline.TaskClassification {
		t.Fatalf("no labels yet: coverage %v, current %v, task %q", p.LabelCoverage, p.Current, p.Task)
	}
	m := rep.Model.(*pipeline.ModelInfo)
	if m.AgeDays != 26 || !strings.HasPrefix(m.Source, "metadata:") {
		t.Errorf("model = %+v, want 26 days from the metadata file", m)
	}
	if rep.Correlations.(*pipeline.Correlations).Threshold != 0.3 {
		t.Errorf("correlations.threshold not applied")
	}

	// half of the day's labels arrive, an hour after each prediction
	day := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	var labels []labelRow
	for i := 0; i < len(truth); i += 2 {
		labels = append(labels, labelRow{ID: fmt.Sprintf("r%d", i), Y: truth[i], At: day.Add(time.Duration(i)*time.Minute + time.Hour).UnixMilli()})
	}
	writeParquet(t, filepath.Join(dir, "labels", "2026-11-27.parquet"), labels)
	rep, _, err = j.Run(context.Background(), at, testEnv())
	if err != nil {
		t.Fatal(err)
	}
	p = rep.Performance.(*pipeline.Performance)
	if p.LabelCoverage != 0.5 || p.TargetSource != "labels" || len(p.Current) == 0 {
		t.Fatalf("after labels: coverage %v, target_source %q, current %v", p.LabelCoverage, p.TargetSource, p.Current)
	}
	if p.LabelLag == nil || p.LabelLag.MedianS != 3600 || p.LabelLag.P95S != 3600 {
		t.Errorf("label_lag = %+v, want 3600 s", p.LabelLag)
	}
	tol := -1.0
	for _, mc := range p.Metrics {
		if mc.Name == "accuracy" {
			tol = float64(mc.Tolerance)
		}
	}
	if tol != 0.05 {
		t.Errorf("accuracy tolerance = %v, want 0.05 (performance.tolerances)", tol)
	}
	var text strings.Builder
	WriteText(&text, rep)
	for _, want := range []string{"performance (classification): label coverage 0.5", "model age: 26 days", "target drift:"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text output lacks %q:\n%s", want, text.String())
		}
	}
}

func TestReadModelMetadata(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"meta.json": `{"trained_at": "2026-10-01T12:00:00Z", "version": 3}`,
		"meta.yaml": "trained_at: 2026-10-01T12:00:00Z\nowner: ml\n",
		"date.yaml": "trained_at: \"2026-10-01\"\n",
		"unix.json": `{"trained_at": 1790856000}`,
		"MLmodel":   "artifact_path: model\nflavors:\n  python_function: {}\nrun_id: abc\nutc_time_created: '2026-10-01 12:00:00.250000'\n",
		"none.json": `{"version": 3}`,
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	noon := time.Date(2026, 10, 1, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		file, source string
		want         time.Time
	}{
		{"meta.json", "metadata:", noon}, {"meta.yaml", "metadata:", noon},
		{"date.yaml", "metadata:", time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)},
		{"unix.json", "metadata:", time.Unix(1790856000, 0).UTC()},
		{"MLmodel", "mlflow:", noon.Add(250 * time.Millisecond)},
	} {
		got, src, err := ReadModelMetadata(filepath.Join(dir, c.file))
		if err != nil || !got.Equal(c.want) || !strings.HasPrefix(src, c.source) {
			t.Errorf("%s: %v %q %v, want %v %q", c.file, got, src, err, c.want, c.source)
		}
	}
	if _, _, err := ReadModelMetadata(filepath.Join(dir, "none.json")); err == nil || !strings.Contains(err.Error(), "no trained_at") {
		t.Errorf("none.json: err = %v", err)
	}
	if _, _, err := ReadModelMetadata(filepath.Join(dir, "absent.json")); err == nil {
		t.Error("absent file: no error")
	}
}

// The run-level checks' config keys are validated with their paths.
func TestModelChecksConfig_errors(t *testing.T) {
	base := "version: 1\njobs:\n  - name: j\n    reference: {type: parquet, path: r}\n    current: {type: parquet, path: c}\n"
	for _, c := range []struct{ extra, want string }{
		{"    columns: {task: ranking}\n", `jobs[0].columns.task: "ranking" is not valid`},
		{"    model: {trained_at: yesterday}\n", "jobs[0].model.trained_at: invalid time"},
		{"    model: {trained_at: 2026-11-01, metadata: m.json}\n", "jobs[0].model: trained_at and metadata exclude each other"},
		{"    correlations: {threshold: -1}\n", "jobs[0].correlations.threshold: must be in (0, 2]"},
		{"    correlations: {mode: maybe}\n", `jobs[0].correlations.mode: "maybe" is not valid`},
		{"    multivariate: {variance_share: 1.5}\n", "jobs[0].multivariate.variance_share: must be in (0, 1)"},
		{"    performance: {tolerances: {accuracy: 0.1, auc: 0.1}}\n", "jobs[0].performance.tolerances.auc: unknown metric"},
		{"    performance: {baseline: {f2: 0.8}}\n", "jobs[0].performance.baseline.f2: unknown metric"},
		{"    columns: {target: y, prediction: p}\n    labels: {type: parquet, path: l, label: y}\n", "jobs[0].labels.id: required"},
		{"    columns: {target: y, prediction: p}\n    labels: {type: parquet, path: l, id: i, label: y}\n", "jobs[0].columns.id: required with labels"},
		{"    columns: {id: i, target: y, prediction: p}\n    labels: {type: parquet, path: l, id: i, label: y, when: t}\n", "when"},
	} {
		_, err := ParseConfig([]byte(base+c.extra), "test.yaml")
		if err == nil {
			// labels' unknown keys surface when the job is built
			cfg, _ := ParseConfig([]byte(base+c.extra), "test.yaml")
			_, err = BuildJob(cfg, &cfg.Jobs[0], testEnv())
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: err = %v, want %q", c.extra, err, c.want)
		}
	}
	ok := base + "    columns: {id: i, target: y, prediction: p, task: classification}\n" +
		"    labels: {type: parquet, path: l, id: i, label: y, timestamp: t}\n" +
		"    model: {trained_at: 2026-11-01}\n    performance: {positive_class: \"yes\", tolerances: {f1: 0.1}, baseline: {f1: 0.8}}\n" +
		"    correlations: {threshold: 0.2, max_rows: 500000, max_categories: 50}\n    multivariate: {mode: off}\n"
	c, err := ParseConfig([]byte(ok), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	j, err := BuildJob(c, &c.Jobs[0], testEnv())
	if err != nil {
		t.Fatal(err)
	}
	o := j.opts
	if o.Performance.Task != "classification" || o.Performance.PositiveClass != "yes" || o.Performance.Labels.Timestamp != "t" ||
		o.Correlations.Threshold != 0.2 || o.Correlations.MaxRows != 500000 || !o.Multivariate.Disabled ||
		o.Model.Source != "config" || o.Performance.Baseline["f1"] != 0.8 {
		t.Errorf("options = %+v", o)
	}
}
