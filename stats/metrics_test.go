package stats

import (
	"math"
	"testing"
)

func int32s(x []int) []int32 {
	out := make([]int32, len(x))
	for i, v := range x {
		out[i] = int32(v)
	}
	return out
}

// scikit-learn 1.2.1: testdata/sklearn/classification.json (gen.py).
func TestMetrics_classification(t *testing.T) {
	var f struct {
		Cases []struct {
			Name     string
			YTrue    []int     `json:"y_true"`
			YPred    []int     `json:"y_pred"`
			Score    []float64 `json:"score"`
			Proba    []jcol    `json:"proba"`
			Expected struct {
				Labels          []string
				ConfusionMatrix [][]float64 `json:"confusion_matrix"`
				Accuracy        float64
				PerClass        struct{ Precision, Recall, F1, Support []float64 } `json:"per_class"`
				Macro           struct{ Precision, Recall, F1 float64 }
				Positive        string
				Binary          *struct{ Precision, Recall, F1 float64 }
				ROCAUC          *float64 `json:"roc_auc"`
				ROCAUCMacro     *float64 `json:"roc_auc_ovr_macro"`
				LogLoss         *float64 `json:"log_loss"`
			}
		}
	}
	loadJSON(t, "../testdata/sklearn/classification.json", &f)
	if len(f.Cases) == 0 {
		t.Fatal("no cases")
	}
	const tol = 1e-12
	for _, c := range f.Cases {
		t.Run(c.Name, func(t *testing.T) {
			e := c.Expected
			k := len(e.Labels)
			yt, yp := int32s(c.YTrue), int32s(c.YPred)
			cm := ConfusionMatrix(yt, yp, k)
			for i := range k {
				for j := range k {
					if cm[i*k+j] != e.ConfusionMatrix[i][j] {
						t.Errorf("confusion[%d][%d] = %v, want %v", i, j, cm[i*k+j], e.ConfusionMatrix[i][j])
					}
				}
			}
			if a := Accuracy(cm, k); !near(a, e.Accuracy, tol, 0) {
				t.Errorf("Accuracy = %v, want %v", a, e.Accuracy)
			}
			s := Scores(cm, k)
			for cl := range k {
				for _, m := range []struct {
					name      string
					got, want float64
				}{{"precision", s.Precision[cl], e.PerClass.Precision[cl]}, {"recall", s.Recall[cl], e.PerClass.Recall[cl]},
					{"f1", s.F1[cl], e.PerClass.F1[cl]}, {"support", s.Support[cl], e.PerClass.Support[cl]}} {
					if !near(m.got, m.want, tol, 0) {
						t.Errorf("class %d %s = %v, want %v", cl, m.name, m.got, m.want)
					}
				}
			}
			p, r, f1 := s.Macro()
			if !near(p, e.Macro.Precision, tol, 0) || !near(r, e.Macro.Recall, tol, 0) || !near(f1, e.Macro.F1, tol, 0) {
				t.Errorf("macro = %v %v %v, want %+v", p, r, f1, e.Macro)
			}
			if e.Binary != nil {
				if s.Precision[1] != e.Binary.Precision || s.Recall[1] != e.Binary.Recall || !near(s.F1[1], e.Binary.F1, tol, 0) {
					t.Errorf("binary = %v %v %v, want %+v", s.Precision[1], s.Recall[1], s.F1[1], *e.Binary)
				}
			}
			if c.Score != nil {
				pos := make([]bool, len(yt))
				for i, y := range yt {
					pos[i] = y == 1
				}
				if a := ROCAUC(pos, c.Score); !near(a, *e.ROCAUC, tol, 0) {
					t.Errorf("ROCAUC = %v, want %v", a, *e.ROCAUC)
				}
				if l := LogLossBinary(pos, c.Score); !near(l, *e.LogLoss, 0, 1e-13) {
					t.Errorf("LogLossBinary = %v, want %v", l, *e.LogLoss)
				}
			}
			if c.Proba != nil {
				proba := make([][]float64, len(c.Proba))
				for i := range c.Proba {
					proba[i] = c.Proba[i]
				}
				if a := ROCAUCMacro(yt, proba); !near(a, *e.ROCAUCMacro, tol, 0) {
					t.Errorf("ROCAUCMacro = %v, want %v", a, *e.ROCAUCMacro)
				}
				if l := LogLoss(yt, proba); !near(l, *e.LogLoss, 0, 1e-13) {
					t.Errorf("LogLoss = %v, want %v", l, *e.LogLoss)
				}
			}
		})
	}
}

func TestMetrics_classificationEdges(t *testing.T) {
	if a := ROCAUC([]bool{true, true}, []float64{0.2, 0.9}); !math.IsNaN(a) {
		t.Errorf("one class: ROCAUC = %v, want NaN", a)
	}
	// all scores tied: 0.5; missing scores skipped
	if a := ROCAUC([]bool{true, false, true, false}, []float64{0.3, 0.3, math.NaN(), 0.3}); a != 0.5 {
		t.Errorf("tied scores: ROCAUC = %v, want 0.5", a)
	}
	// perfect separation with exact 0/1 scores: clipped at eps
	if l := LogLossBinary([]bool{true, false}, []float64{1, 0}); !near(l, 2.220446049250313e-16, 0, 1e-6) {
		t.Errorf("LogLossBinary(perfect) = %v, want ~eps", l)
	}
	if a := Accuracy(make([]float64, 4), 2); !math.IsNaN(a) {
		t.Errorf("empty: Accuracy = %v, want NaN", a)
	}
	// rows not summing to 1: sklearn refuses; NaN
	if a := ROCAUCMacro([]int32{0, 1, 2}, [][]float64{{0.9, 0.1, 0.1}, {0.1, 0.9, 0.1}, {0.1, 0.1, 0.5}}); !math.IsNaN(a) {
		t.Errorf("unnormalised rows: ROCAUCMacro = %v, want NaN", a)
	}
	// missing classes are skipped
	cm := ConfusionMatrix([]int32{0, -1, 1}, []int32{0, 1, -1}, 2)
	if cm[0] != 1 || cm[1]+cm[2]+cm[3] != 0 {
		t.Errorf("ConfusionMatrix with missing = %v", cm)
	}
}

// scikit-learn 1.2.1: testdata/sklearn/regression.json (gen.py).
func TestMetrics_regression(t *testing.T) {
	var f struct {
		Cases []struct {
			Name     string
			YTrue    []float64 `json:"y_true"`
			YPred    []float64 `json:"y_pred"`
			Expected struct {
				MAE, RMSE, MAPE, R2 float64
				MeanError           float64 `json:"mean_error"`
			}
		}
	}
	loadJSON(t, "../testdata/sklearn/regression.json", &f)
	if len(f.Cases) == 0 {
		t.Fatal("no cases")
	}
	for _, c := range f.Cases {
		r := RegressionMetrics(c.YTrue, c.YPred)
		e := c.Expected
		for _, m := range []struct {
			name      string
			got, want float64
		}{{"mae", r.MAE, e.MAE}, {"rmse", r.RMSE, e.RMSE}, {"mape", r.MAPE, e.MAPE}, {"r2", r.R2, e.R2}, {"mean_error", r.MeanError, e.MeanError}} {
			if !near(m.got, m.want, 1e-13, 1e-13) {
				t.Errorf("%s: %s = %v, want %v", c.Name, m.name, m.got, m.want)
			}
		}
	}
	r := RegressionMetrics([]float64{1, math.NaN(), 3}, []float64{1, 2, math.Inf(1)})
	if r.N != 1 || r.MAE != 0 || !math.IsNaN(r.R2) {
		t.Errorf("missing pairs: %+v, want N=1, MAE=0, R2 NaN", r)
	}
	if r := RegressionMetrics(nil, nil); !math.IsNaN(r.MAE) {
		t.Errorf("empty: %+v", r)
	}
}

func TestQuantiles(t *testing.T) {
	// numpy.quantile([5, 1, 3, 2, nan, 4], [0.5, 0.95]) over the finite values = [3, 4.8]
	q := Quantiles([]float64{5, 1, 3, 2, math.NaN(), 4}, 0.5, 0.95)
	if q[0] != 3 || !near(q[1], 4.8, 1e-15, 0) {
		t.Errorf("Quantiles = %v, want [3 4.8]", q)
	}
}

// NannyML's reconstruction pipeline in sklearn terms: testdata/sklearn/pca.json (gen.py).
func TestPCA_sklearn(t *testing.T) {
	var f struct {
		Reference, Current []jcol
		Expected           struct {
			Components             int
			ExplainedVarianceRatio []float64 `json:"explained_variance_ratio"`
			ScalerMean             []float64 `json:"scaler_mean"`
			ScalerScale            []float64 `json:"scaler_scale"`
			RowErrors              []float64 `json:"reference_row_errors_head"`
			ChunkBounds            [][2]int  `json:"chunk_bounds"`
			ChunkErrors            []float64 `json:"chunk_errors"`
			Current                float64
		}
	}
	loadJSON(t, "../testdata/sklearn/pca.json", &f)
	conv := func(cs []jcol) [][]float64 {
		out := make([][]float64, len(cs))
		for i := range cs {
			out[i] = cs[i]
		}
		return out
	}
	ref, cur := conv(f.Reference), conv(f.Current)
	e := f.Expected
	p := FitPCA(ref, 0.65, 2)
	if p == nil {
		t.Fatal("FitPCA = nil")
	}
	if p.M != e.Components {
		t.Errorf("components = %d, want %d", p.M, e.Components)
	}
	for i, want := range e.ExplainedVarianceRatio {
		if !near(p.Explained[i], want, 1e-12, 0) {
			t.Errorf("explained[%d] = %v, want %v", i, p.Explained[i], want)
		}
	}
	for j := range p.K {
		if !near(p.Mean[j], e.ScalerMean[j], 0, 1e-13) || !near(p.Scale[j], e.ScalerScale[j], 0, 1e-12) {
			t.Errorf("scaler[%d] = %v, %v, want %v, %v", j, p.Mean[j], p.Scale[j], e.ScalerMean[j], e.ScalerScale[j])
		}
	}
	errs := p.Errors(nil, ref, 2)
	for i, want := range e.RowErrors {
		if !near(errs[i], want, 1e-11, 0) {
			t.Errorf("row error %d = %v, want %v", i, errs[i], want)
		}
	}
	for c, b := range e.ChunkBounds {
		if m := meanOf(errs[b[0]:b[1]]); !near(m, e.ChunkErrors[c], 1e-12, 0) {
			t.Errorf("chunk %d error = %v, want %v", c, m, e.ChunkErrors[c])
		}
	}
	if m := meanOf(p.Errors(nil, cur, 1)); !near(m, e.Current, 1e-12, 0) {
		t.Errorf("current error = %v, want %v", m, e.Current)
	}
	if FitPCA([][]float64{{1}}, 0.65, 1) != nil {
		t.Error("one row: want nil")
	}
}

// PCA multivariate drift of 1M rows × 20 columns (the target: <= 1 s): fit on the
// reference, errors of the reference and of the current rows, 2 workers.
func BenchmarkPCA(b *testing.B) {
	ref := benchColumns(1_000_000, 20, 0)
	cur := benchColumns(1_000_000, 20, 0.01)
	var buf []float64
	b.ReportAllocs()
	for b.Loop() {
		p := FitPCA(ref, 0.65, 2)
		buf = p.Errors(buf, ref, 2)
		buf = p.Errors(buf, cur, 2)
	}
}
