package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/driftwatch/driftwatch/stats"
)

// churn builds a small binary-classification monitoring case: the reference holds the
// target y, the predictions and the scores; the current window only predictions, whose
// labels arrive in a labels table for 70% of the ids (plus ids of other windows and one
// corrected label).
type churn struct {
	ref, cur, labels *Table
	refY, refPred    []float64
	refScore         []float64
	curPred          []float64
	curScore         []float64
	curY             []float64 // the truth of every current row (70% of it in labels)
	labelled         []bool
}

var t0 = time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)

func newChurn(seed uint64, nRef, nCur int) *churn {
	r := rand.New(rand.NewPCG(seed, 99))
	c := &churn{}
	side := func(n int, prefix string, rho float64) (cols []Column, y, pred, score []float64) {
		ids := make([]string, n)
		ts := make([]float64, n)
		x1, x2, x3 := make([]float64, n), make([]float64, n), make([]float64, n)
		cat := make([]string, n)
		y, pred, score = make([]float64, n), make([]float64, n), make([]float64, n)
		for i := range n {
			ids[i] = fmt.Sprintf("%s%d", prefix, i)
			ts[i] = float64(t0.Unix()) + float64(i%86400)
			x1[i] = r.NormFloat64()
			x2[i] = rho*x1[i] + math.Sqrt(1-rho*rho)*r.NormFloat64()
			x3[i] = r.NormFloat64()
			cat[i] = "a"
			if x1[i] > 0.5 {
				cat[i] = "b"
			}
			z := x1[i] + 0.5*x3[i] + r.NormFloat64()
			if z > 0.3 {
				y[i] = 1
			}
			score[i] = 1 / (1 + math.Exp(-(x1[i] + 0.5*x3[i] - 0.3)))
			if score[i] >= 0.5 {
				pred[i] = 1
			}
		}
		cols = []Column{
			StringColumn("id", ids, nil),
			{Name: "ts", Kind: KindDatetime, Float64: ts},
			{Name: "x1", Kind: KindNumeric, Float64: x1},
			{Name: "x2", Kind: KindNumeric, Float64: x2},
			{Name: "x3", Kind: KindNumeric, Float64: x3},
			StringColumn("cat", cat, nil),
			{Name: "pred", Kind: KindNumeric, Float64: pred},
			{Name: "p", Kind: KindNumeric, Float64: score},
		}
		return cols, y, pred, score
	}
	refCols, y, pred, score := side(nRef, "r", 0.8)
	c.refY, c.refPred, c.refScore = y, pred, score
	c.ref = &Table{Name: "reference", Columns: append(refCols, Column{Name: "y", Kind: KindNumeric, Float64: y})}
	curCols, y, pred, score := side(nCur, "c", -0.6)
	c.cur = &Table{Name: "current", Columns: curCols}
	c.curY, c.curPred, c.curScore = y, pred, score
	// labels: 70% of the current ids (every row i with i%10 < 7), lag 100*(i%5) s;
	// 50 ids of another window; the first labelled id twice, corrected later.
	var ids []string
	var lab, lts []float64
	c.labelled = make([]bool, nCur)
	curTS := curCols[1].Float64
	for i := range nCur {
		if i%10 < 7 {
			c.labelled[i] = true
			ids = append(ids, fmt.Sprintf("c%d", i))
			lab = append(lab, y[i])
			lts = append(lts, curTS[i]+float64(100*(i%5)))
		}
	}
	ids = append(ids, "c0")
	lab = append(lab, 1-y[0]) // an earlier, wrong label of c0 ...
	lts = append(lts, curTS[0]-1)
	for i := range 50 {
		ids = append(ids, fmt.Sprintf("old%d", i))
		lab = append(lab, 1)
		lts = append(lts, curTS[0])
	}
	c.labels = &Table{Name: "labels", Columns: []Column{
		StringColumn("request_id", ids, nil),
		{Name: "label", Kind: KindNumeric, Float64: lab},
		{Name: "label_ts", Kind: KindDatetime, Float64: lts},
	}}
	return c
}

func churnOptions() Options {
	return Options{Job: "churn", RunID: "r1", LogicalTime: t0.Add(24 * time.Hour), Parallelism: 2,
		Roles:       Roles{Target: "y", Prediction: "pred", Scores: []string{"p"}, ID: "id", Timestamp: "ts"},
		Performance: PerformanceOptions{Labels: LabelOptions{ID: "request_id", Label: "label", Timestamp: "label_ts"}},
		Model:       ModelOptions{TrainedAt: t0.Add(-36 * time.Hour), Source: "config"}}
}

func runChurn(t *testing.T, c *churn, o Options, labels bool) *Report {
	t.Helper()
	in := Input{Reference: c.ref, Current: c.cur}
	if labels {
		in.Labels = c.labels
	}
	rep, err := Run(context.Background(), in, o)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := json.Marshal(rep); err != nil {
		t.Fatalf("marshal: %v", err)
	}
	return rep
}

// binaryExpected computes the metrics with the stats kernels (each checked against
// scikit-learn in package stats) over the rows where keep is true.
func binaryExpected(y, pred, score []float64, keep []bool) map[string]float64 {
	var yt, yp []int32
	var pos []bool
	var sc []float64
	for i := range y {
		if keep != nil && !keep[i] {
			continue
		}
		yt, yp = append(yt, int32(y[i])), append(yp, int32(pred[i]))
		pos, sc = append(pos, y[i] == 1), append(sc, score[i])
	}
	cm := stats.ConfusionMatrix(yt, yp, 2)
	s := stats.Scores(cm, 2)
	_, _, f1m := s.Macro()
	return map[string]float64{"accuracy": stats.Accuracy(cm, 2), "precision": s.Precision[1], "recall": s.Recall[1],
		"f1": s.F1[1], "f1_macro": f1m, "roc_auc": stats.ROCAUC(pos, sc), "log_loss": stats.LogLossBinary(pos, sc)}
}

func TestPerformance_lateLabels(t *testing.T) {
	c := newChurn(1, 3000, 2000)
	rep := runChurn(t, c, churnOptions(), true)
	p, ok := rep.Performance.(*Performance)
	if !ok {
		t.Fatalf("performance = %T", rep.Performance)
	}
	if p.Task != TaskClassification || p.PositiveClass != "1" || p.ReferenceSource != "reference" || p.TargetSource != "labels" {
		t.Errorf("task %q positive %q reference_source %q target_source %q", p.Task, p.PositiveClass, p.ReferenceSource, p.TargetSource)
	}
	for name, want := range binaryExpected(c.refY, c.refPred, c.refScore, nil) {
		if got := float64(p.Reference[name]); math.Abs(got-want) > 1e-12 {
			t.Errorf("reference %s = %v, want %v", name, got, want)
		}
	}
	// c0's corrected label (the later one) is the truth: the current metrics are those of
	// the labelled rows with their true values
	for name, want := range binaryExpected(c.curY, c.curPred, c.curScore, c.labelled) {
		if got := float64(p.Current[name]); math.Abs(got-want) > 1e-12 {
			t.Errorf("current %s = %v, want %v", name, got, want)
		}
	}
	if p.LabelCoverage != 0.7 {
		t.Errorf("label_coverage = %v, want 0.7", p.LabelCoverage)
	}
	// lags of the labelled rows (i%10 < 7, lag 100*(i%5)): 400 × 0 s, 400 × 100, 200 each
	// of 200, 300, 400; numpy.quantile: median at position 699.5 -> 100, p95 at 1329.05 -> 400
	if p.LabelLag == nil || p.LabelLag.MedianS != 100 || p.LabelLag.P95S != 400 || p.LabelLag.N != 1400 {
		t.Errorf("label_lag = %+v, want median 100, p95 400, n 1400", p.LabelLag)
	}
	if p.Labels == nil || p.Labels.Rows != 1451 || p.Labels.Matched != 1400 || p.Labels.Unmatched != 50 || p.Labels.Duplicates != 1 {
		t.Errorf("labels = %+v, want rows 1451, matched 1400, unmatched 50, duplicates 1", p.Labels)
	}
	if f := findFinding(rep, "duplicate_labels", "request_id"); f == nil {
		t.Error("no duplicate_labels finding")
	}
	if p.Rows.Current != 1400 || p.Rows.Reference != 3000 {
		t.Errorf("rows = %+v", p.Rows)
	}
	if p.ConfusionMatrix == nil || len(p.ConfusionMatrix.Current) != 2 {
		t.Fatalf("confusion = %+v", p.ConfusionMatrix)
	}
	// metrics are checked with the default 20% tolerance
	if len(p.Metrics) == 0 || p.Metrics[0].Name != "accuracy" || p.Metrics[0].Tolerance != DefaultClassificationTolerance {
		t.Errorf("metrics = %+v", p.Metrics)
	}
	// the target's drift comes from the labels; target_missing no longer applies
	y := column(rep, "y")
	if y == nil || y.Status != StatusOK || y.Method == "" {
		t.Fatalf("target column = %+v", y)
	}
	if findFinding(rep, "target_missing", "y") != nil {
		t.Error("target_missing finding kept although labels give the target")
	}
	if rep.TargetDrift == nil || len(rep.TargetDrift.Columns) != 1 || rep.TargetDrift.Columns[0].Source != "labels" {
		t.Errorf("target_drift = %+v", rep.TargetDrift)
	}
	if rep.PredictionDrift == nil || len(rep.PredictionDrift.Columns) != 2 {
		t.Errorf("prediction_drift = %+v, want pred and p", rep.PredictionDrift)
	}
	// roles are counted apart: 4 features (x1, x2, x3, cat)
	if rep.DatasetDrift.Columns != 4 {
		t.Errorf("dataset_drift.columns = %d, want 4 features", rep.DatasetDrift.Columns)
	}
	m := rep.Model.(*ModelInfo)
	if m.AgeDays != 2.5 || m.Source != "config" {
		t.Errorf("model = %+v, want age 2.5 days from config", m)
	}
}

func TestPerformance_noLabelsYet(t *testing.T) {
	c := newChurn(2, 500, 300)
	c.labels.Columns[0] = StringColumn("request_id", nil, nil)
	c.labels.Columns[1].Float64 = nil
	c.labels.Columns[2].Float64 = nil
	rep := runChurn(t, c, churnOptions(), true)
	p := rep.Performance.(*Performance)
	if p.LabelCoverage != 0 || len(p.Current) != 0 || p.TargetSource != "none" || p.Degraded {
		t.Errorf("no labels: coverage %v, current %v, target_source %q, degraded %v", p.LabelCoverage, p.Current, p.TargetSource, p.Degraded)
	}
	if len(p.Reference) == 0 || len(p.Metrics) != 0 {
		t.Errorf("reference %v, metrics %v: want reference metrics and no comparison", p.Reference, p.Metrics)
	}
	// and without any labels source: the same
	rep = runChurn(t, c, churnOptions(), false)
	if p := rep.Performance.(*Performance); p.LabelCoverage != 0 || len(p.Current) != 0 {
		t.Errorf("no labels source: coverage %v, current %v", p.LabelCoverage, p.Current)
	}
}

func TestPerformance_badInput(t *testing.T) {
	t.Run("labels_match_no_prediction", func(t *testing.T) {
		c := newChurn(3, 400, 300)
		ids := make([]string, 300)
		for i := range ids {
			ids[i] = fmt.Sprintf("x%d", i)
		}
		c.labels = &Table{Name: "labels", Columns: []Column{StringColumn("request_id", ids, nil),
			{Name: "label", Kind: KindNumeric, Float64: make([]float64, 300)},
			{Name: "label_ts", Kind: KindDatetime, Float64: make([]float64, 300)}}}
		rep := runChurn(t, c, churnOptions(), true)
		p := rep.Performance.(*Performance)
		f := findFinding(rep, "labels_unmatched", "request_id")
		if f == nil || f.Severity != SeverityInfo || !strings.Contains(f.Message, `labels: "x0", "x1", "x2"; predictions: "c0", "c1", "c2"`) ||
			p.LabelCoverage != 0 || len(p.Current) != 0 {
			t.Errorf("finding %+v, coverage %v, current %v", f, p.LabelCoverage, p.Current)
		}
	})
	t.Run("score_out_of_range", func(t *testing.T) {
		c := newChurn(4, 400, 300)
		c.ref.Columns[7].Float64[5] = 1.5
		rep := runChurn(t, c, churnOptions(), true)
		p := rep.Performance.(*Performance)
		var f *Finding
		for i := range rep.Quality {
			if rep.Quality[i].Type == "score_out_of_range" {
				f = &rep.Quality[i]
			}
		}
		if f == nil || f.Source != "reference" || *f.Value != 1 {
			t.Fatalf("finding = %+v", f)
		}
		if _, ok := p.Reference["roc_auc"]; ok {
			t.Error("reference roc_auc computed from scores outside [0, 1]")
		}
		if _, ok := p.Current["roc_auc"]; !ok {
			t.Error("current roc_auc missing (its scores are valid)")
		}
	})
	t.Run("duplicate_prediction_ids", func(t *testing.T) {
		c := newChurn(5, 400, 300)
		c.cur.Columns[0].Codes[1] = c.cur.Columns[0].Codes[0] // c1 repeats c0
		rep := runChurn(t, c, churnOptions(), true)
		f := findFinding(rep, "duplicate_ids", "id")
		if f == nil || *f.Value != 2.0/300 {
			t.Errorf("finding = %+v", f)
		}
	})
	t.Run("missing_role_column", func(t *testing.T) {
		c := newChurn(6, 200, 100)
		o := churnOptions()
		o.Roles.Prediction = "no_such_column"
		_, err := Run(context.Background(), Input{Reference: c.ref, Current: c.cur, Labels: c.labels}, o)
		if !errors.Is(err, ErrNoColumn) {
			t.Errorf("err = %v, want ErrNoColumn", err)
		}
	})
	t.Run("labels_without_their_columns", func(t *testing.T) {
		c := newChurn(7, 200, 100)
		o := churnOptions()
		o.Performance.Labels.Label = "truth"
		_, err := Run(context.Background(), Input{Reference: c.ref, Current: c.cur, Labels: c.labels}, o)
		var de *DataError
		if !errors.As(err, &de) || de.Column != "truth" || !errors.Is(err, ErrNoColumn) {
			t.Errorf("err = %v, want a DataError for column truth", err)
		}
		o = churnOptions()
		o.Performance.Labels = LabelOptions{}
		if _, err := Run(context.Background(), Input{Reference: c.ref, Current: c.cur, Labels: c.labels}, o); !errors.Is(err, ErrLabelsConfig) {
			t.Errorf("err = %v, want ErrLabelsConfig", err)
		}
	})
}

func TestPerformance_regression(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 9))
	n := 1000
	mk := func(bias, noise float64) (y, p []float64) {
		y, p = make([]float64, n), make([]float64, n)
		for i := range y {
			y[i] = 10 + 3*r.NormFloat64()
			p[i] = y[i] + bias + noise*r.NormFloat64()
		}
		return y, p
	}
	yr, pr := mk(0, 1)
	yc, pc := mk(0.5, 2) // twice the noise: MAE about doubles
	ref := &Table{Name: "ref", Columns: []Column{{Name: "y", Kind: KindNumeric, Float64: yr}, {Name: "yhat", Kind: KindNumeric, Float64: pr}}}
	cur := &Table{Name: "cur", Columns: []Column{{Name: "y", Kind: KindNumeric, Float64: yc}, {Name: "yhat", Kind: KindNumeric, Float64: pc}}}
	o := Options{Roles: Roles{Target: "y", Prediction: "yhat"}, Performance: PerformanceOptions{Tolerances: map[string]float64{"r2": 0.5}}}
	rep, err := Run(context.Background(), Input{Reference: ref, Current: cur}, o)
	if err != nil {
		t.Fatal(err)
	}
	p := rep.Performance.(*Performance)
	if p.Task != TaskRegression || p.TargetSource != "current" || p.LabelCoverage != 1 {
		t.Errorf("task %q target_source %q coverage %v", p.Task, p.TargetSource, p.LabelCoverage)
	}
	wr, wc := stats.RegressionMetrics(yr, pr), stats.RegressionMetrics(yc, pc)
	for _, m := range []struct {
		name      string
		got, want float64
	}{{"mae", float64(p.Reference["mae"]), wr.MAE}, {"rmse", float64(p.Current["rmse"]), wc.RMSE},
		{"mape", float64(p.Current["mape"]), wc.MAPE}, {"r2", float64(p.Current["r2"]), wc.R2},
		{"mean_error", float64(p.Current["mean_error"]), wc.MeanError}} {
		if m.got != m.want {
			t.Errorf("%s = %v, want %v", m.name, m.got, m.want)
		}
	}
	checks := map[string]MetricCheck{}
	for _, mc := range p.Metrics {
		checks[mc.Name] = mc
	}
	if mae := checks["mae"]; !mae.Degraded || mae.Tolerance != DefaultRegressionTolerance || mae.HigherIsBetter {
		t.Errorf("mae check = %+v, want degraded at the 10%% default", mae)
	}
	if r2 := checks["r2"]; r2.Tolerance != 0.5 || r2.Degraded != (float64(r2.Reference)-float64(r2.Current) > 0.5*float64(r2.Reference)) {
		t.Errorf("r2 check = %+v (tolerance configured to 0.5)", r2)
	}
	if me := checks["mean_error"]; me.Degraded || !math.IsNaN(float64(me.Tolerance)) {
		t.Errorf("mean_error is reported, not judged: %+v", me)
	}
	if !p.Degraded {
		t.Error("degraded = false, want true")
	}

	// a reference without predictions: the configured baseline
	refNoPred := &Table{Name: "ref", Columns: []Column{{Name: "y", Kind: KindNumeric, Float64: yr}}}
	o.Performance.Baseline = map[string]float64{"mae": 5}
	rep, err = Run(context.Background(), Input{Reference: refNoPred, Current: cur}, o)
	if err != nil {
		t.Fatal(err)
	}
	p = rep.Performance.(*Performance)
	if p.ReferenceSource != "baseline" || p.Reference["mae"] != 5 || len(p.Metrics) != 1 || p.Metrics[0].Degraded {
		t.Errorf("baseline: source %q reference %v metrics %+v", p.ReferenceSource, p.Reference, p.Metrics)
	}
}

func TestPerformance_multiclassStrings(t *testing.T) {
	y := []string{"cat", "dog", "bird", "dog", "cat", "bird", "dog", "cat"}
	p := []string{"cat", "dog", "dog", "dog", "bird", "bird", "cat", "cat"}
	ref := &Table{Name: "ref", Columns: []Column{StringColumn("y", y, nil), StringColumn("p", p, nil)}}
	cur := &Table{Name: "cur", Columns: []Column{StringColumn("y", y[:6], nil), StringColumn("p", p[:6], nil)}}
	rep, err := Run(context.Background(), Input{Reference: ref, Current: cur}, Options{Roles: Roles{Target: "y", Prediction: "p"}})
	if err != nil {
		t.Fatal(err)
	}
	perf := rep.Performance.(*Performance)
	// sklearn.metrics.accuracy_score(y, p) = 5/8; f1_score(y, p, average="macro"):
	// bird 2*(1/2*1/2)/(1) = 0.5, cat 2/3, dog 2/3 -> 11/18
	if perf.Task != TaskClassification || fmt.Sprint(perf.Classes) != "[bird cat dog]" || perf.PositiveClass != "" {
		t.Errorf("task %q classes %v positive %q", perf.Task, perf.Classes, perf.PositiveClass)
	}
	if perf.Reference["accuracy"] != 5.0/8 || math.Abs(float64(perf.Reference["f1"])-11.0/18) > 1e-15 || perf.Reference["f1"] != perf.Reference["f1_macro"] {
		t.Errorf("reference = %v", perf.Reference)
	}
}
