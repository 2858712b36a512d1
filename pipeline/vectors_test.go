package pipeline

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"testing"
)

// vectors.json: SciPy 1.10.1 / NumPy 1.24.2 answers for every method (testdata/scipy/README.md).
type vectorFile struct {
	Numeric     []vectorCase `json:"numeric"`
	Categorical []vectorCase `json:"categorical"`
}

type vectorCase struct {
	Name      string                     `json:"name"`
	Kind      string                     `json:"kind"`
	Reference []any                      `json:"reference"`
	Current   []any                      `json:"current"`
	Expected  map[string]json.RawMessage `json:"expected"`
}

type expectedTest struct {
	Statistic *float64 `json:"statistic"`
	PValue    *float64 `json:"p_value"`
	Binning   string   `json:"binning"`
	Bins      int      `json:"bins"`
}

func loadVectors(t testing.TB) vectorFile {
	b, err := os.ReadFile("../testdata/scipy/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var v vectorFile
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func (vc vectorCase) table(side string) *Table {
	raw := vc.Reference
	if side == "current" {
		raw = vc.Current
	}
	if vc.Kind == "numeric" {
		x := make([]float64, len(raw))
		for i, v := range raw {
			if f, ok := v.(float64); ok {
				x[i] = f
			} else {
				x[i] = math.NaN()
			}
		}
		return &Table{Name: side, Columns: []Column{{Name: vc.Name, Kind: KindNumeric, Float64: x}}, ChunkRows: 777}
	}
	vals := make([]string, len(raw))
	miss := make([]bool, len(raw))
	for i, v := range raw {
		if s, ok := v.(string); ok {
			vals[i] = s
		} else {
			miss[i] = true
		}
	}
	return &Table{Name: side, Columns: []Column{StringColumn(vc.Name, vals, miss)}, ChunkRows: 500}
}

func close9(got, want float64) bool {
	if math.IsInf(want, 0) || math.IsNaN(want) {
		return math.IsInf(got, 0) || math.IsNaN(got)
	}
	if want == 0 || math.Abs(want) < 1e-300 {
		return math.Abs(got) <= 1e-12
	}
	return math.Abs(got-want) <= 1e-9*math.Abs(want)
}

// TestRun_SciPyVectors runs every method through the whole pipeline (tables in chunks,
// missing values dropped, sorting, binning) and compares with SciPy.
func TestRun_SciPyVectors(t *testing.T) {
	v := loadVectors(t)
	cases := append(append([]vectorCase{}, v.Numeric...), v.Categorical...)
	for _, vc := range cases {
		t.Run(vc.Name, func(t *testing.T) {
			rep, err := Run(context.Background(), Input{Reference: vc.table("reference"), Current: vc.table("current")},
				Options{Methods: MethodNames()})
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Columns) != 1 {
				t.Fatalf("%d columns", len(rep.Columns))
			}
			got := map[string]TestResult{}
			for _, tr := range rep.Columns[0].Tests {
				got[tr.Method] = tr
			}
			checked := 0
			for _, m := range MethodNames() {
				raw, ok := vc.Expected[m]
				if !ok {
					if _, ran := got[m]; ran && (m == "z" && vc.Kind == "categorical" || m == "anderson") {
						t.Errorf("%s ran, but SciPy has no value for it", m)
					}
					continue
				}
				var e expectedTest
				if err := json.Unmarshal(raw, &e); err != nil {
					t.Fatal(err)
				}
				tr, ok := got[m]
				if !ok {
					t.Errorf("%s: not computed", m)
					continue
				}
				checked++
				if m == "wasserstein" || e.Statistic != nil {
					want := math.Inf(1)
					if e.Statistic != nil {
						want = *e.Statistic
					}
					if !close9(float64(tr.Statistic), want) {
						t.Errorf("%s statistic = %.17g, want %.17g", m, float64(tr.Statistic), want)
					}
				}
				// CvM asymptotic p-values: SciPy's own are good to ~2e-15 absolute only
				// (1 - F with F from scipy.special.kv); stats/vectors_test.go explains.
				if m == "cramer_von_mises" && e.PValue != nil && math.Abs(float64(tr.PValue)-*e.PValue) <= 1e-13 {
					continue
				}
				if e.PValue != nil && !close9(float64(tr.PValue), *e.PValue) {
					t.Errorf("%s p_value = %.17g, want %.17g", m, float64(tr.PValue), *e.PValue)
				}
				if e.Binning != "" && (tr.Binning != e.Binning || tr.Bins != e.Bins) {
					t.Errorf("%s binning = %s/%d, want %s/%d", m, tr.Binning, tr.Bins, e.Binning, e.Bins)
				}
			}
			if checked < 3 {
				t.Errorf("only %d methods checked", checked)
			}
		})
	}
}

// TestRun_EvidentlyPresetVectors: the evidently preset picks SciPy's method and verdict.
func TestRun_EvidentlyPresetVectors(t *testing.T) {
	v := loadVectors(t)
	cases := append(append([]vectorCase{}, v.Numeric...), v.Categorical...)
	for _, vc := range cases {
		t.Run(vc.Name, func(t *testing.T) {
			var want struct {
				Method  string `json:"method"`
				Drifted bool   `json:"drifted"`
			}
			if err := json.Unmarshal(vc.Expected["evidently_preset"], &want); err != nil {
				t.Fatal(err)
			}
			rep, err := Run(context.Background(), Input{Reference: vc.table("reference"), Current: vc.table("current")},
				Options{Preset: "evidently"})
			if err != nil {
				t.Fatal(err)
			}
			c := rep.Columns[0]
			if c.Method != want.Method || c.Drifted != want.Drifted {
				t.Fatalf("evidently preset = %s drifted=%v, want %s drifted=%v (%s)", c.Method, c.Drifted, want.Method, want.Drifted, c.Reason)
			}
		})
	}
}

func TestRun_BinningSturges(t *testing.T) {
	v := loadVectors(t)
	for _, vc := range v.Numeric {
		rep, err := Run(context.Background(), Input{Reference: vc.table("reference"), Current: vc.table("current")},
			Options{Methods: []string{"psi", "kl", "jensen_shannon", "hellinger"}, Binning: 1})
		if err != nil {
			t.Fatal(err)
		}
		for _, tr := range rep.Columns[0].Tests {
			var e expectedTest
			if err := json.Unmarshal(vc.Expected[tr.Method+"_sturges"], &e); err != nil || e.Statistic == nil {
				t.Fatalf("%s: no sturges value for %s", vc.Name, tr.Method)
			}
			// Hellinger: SciPy's sqrt(1 - sum sqrt(pq)) leaves ~1e-8 of rounding on identical
			// samples; stats computes sqrt(sum (sqrt p - sqrt q)^2 / 2), equal algebraically and
			// exactly 0 there, so compare squares (stats/vectors_test.go does the same).
			if tr.Method == "hellinger" && math.Abs(float64(tr.Statistic*tr.Statistic)-*e.Statistic**e.Statistic) <= 1e-15 {
				continue
			}
			if !close9(float64(tr.Statistic), *e.Statistic) {
				t.Errorf("%s: %s (sturges) = %.17g, want %.17g", vc.Name, tr.Method, float64(tr.Statistic), *e.Statistic)
			}
		}
	}
}
