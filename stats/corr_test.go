package stats

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"testing"
)

// jcol is a float column in the testdata JSON: null is NaN, "inf"/"-inf" are ±Inf.
type jcol []float64

func (c *jcol) UnmarshalJSON(b []byte) error {
	var raw []any
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*c = make(jcol, len(raw))
	for i, v := range raw {
		switch v := v.(type) {
		case nil:
			(*c)[i] = math.NaN()
		case float64:
			(*c)[i] = v
		case string:
			switch v {
			case "inf":
				(*c)[i] = math.Inf(1)
			case "-inf":
				(*c)[i] = math.Inf(-1)
			default:
				return fmt.Errorf("bad value %q", v)
			}
		default:
			return fmt.Errorf("bad value %v", v)
		}
	}
	return nil
}

// jnum is a JSON number or null (NaN).
type jnum float64

func (n *jnum) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*n = jnum(math.NaN())
		return nil
	}
	var f float64
	err := json.Unmarshal(b, &f)
	*n = jnum(f)
	return err
}

func loadJSON(t testing.TB, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// near reports whether got equals want within atol + rtol*|want| (NaN equals NaN).
func near(got, want, atol, rtol float64) bool {
	if math.IsNaN(want) || math.IsNaN(got) {
		return math.IsNaN(want) && math.IsNaN(got)
	}
	return math.Abs(got-want) <= atol+rtol*math.Abs(want)
}

func checkMatrix(t *testing.T, what string, names []string, got []float64, want [][]jnum, tol float64) {
	t.Helper()
	k := len(names)
	for i := range k {
		for j := range k {
			if w := float64(want[i][j]); !near(got[i*k+j], w, tol, 0) {
				t.Errorf("%s[%s, %s] = %v, want %v", what, names[i], names[j], got[i*k+j], w)
			}
		}
	}
}

// pandas 1.5.3 DataFrame.corr, testdata/sklearn/correlation.json (gen.py).
func TestCorrelations_pandas(t *testing.T) {
	var f struct {
		Cases []struct {
			Name, Note string
			Columns    []string
			Data       []jcol
			Pearson    [][]jnum
			Spearman   [][]jnum
			Pairs      [][]int64
		}
	}
	loadJSON(t, "../testdata/sklearn/correlation.json", &f)
	if len(f.Cases) == 0 {
		t.Fatal("no cases")
	}
	for _, c := range f.Cases {
		cols := make([][]float64, len(c.Data))
		for i := range c.Data {
			cols[i] = c.Data[i]
		}
		for _, workers := range []int{1, 3} {
			t.Run(fmt.Sprintf("%s/workers=%d", c.Name, workers), func(t *testing.T) {
				m := Correlations(cols, CorrOptions{Spearman: true, Workers: workers})
				checkMatrix(t, "pearson", c.Columns, m.Pearson, c.Pearson, 1e-12)
				checkMatrix(t, "spearman", c.Columns, m.Spearman, c.Spearman, 1e-12)
				k := len(c.Columns)
				for i := range k {
					for j := range k {
						if m.Pairs[i*k+j] != c.Pairs[i][j] {
							t.Errorf("pairs[%d,%d] = %d, want %d", i, j, m.Pairs[i*k+j], c.Pairs[i][j])
						}
					}
				}
				// the two-slice functions agree with the matrix (and with pandas)
				for i := range k {
					for j := range k {
						if i == j {
							continue
						}
						if p := Pearson(cols[i], cols[j]); !near(p, float64(c.Pearson[i][j]), 1e-12, 0) {
							t.Errorf("Pearson(%s, %s) = %v, want %v", c.Columns[i], c.Columns[j], p, c.Pearson[i][j])
						}
						if s := Spearman(cols[i], cols[j]); !near(s, float64(c.Spearman[i][j]), 1e-12, 0) {
							t.Errorf("Spearman(%s, %s) = %v, want %v", c.Columns[i], c.Columns[j], s, c.Spearman[i][j])
						}
					}
				}
			})
		}
	}
}

// numpy corrcoef / scipy spearmanr: the "correlation" section of testdata/scipy/vectors.json.
func TestCorrelations_scipyVectors(t *testing.T) {
	var f struct {
		Correlation []struct {
			Name               string
			Columns            []string
			Reference, Current [][]float64
			Expected           struct {
				Reference, Current struct{ Pearson, Spearman [][]jnum }
				PearsonMaxAbsDiff  float64 `json:"pearson_max_abs_diff"`
				PearsonFrobenius   float64 `json:"pearson_frobenius_diff"`
			}
		}
	}
	loadJSON(t, "../testdata/scipy/vectors.json", &f)
	if len(f.Correlation) == 0 {
		t.Fatal("no correlation cases")
	}
	for _, c := range f.Correlation {
		r := Correlations(c.Reference, CorrOptions{Spearman: true, Workers: 2})
		cu := Correlations(c.Current, CorrOptions{Spearman: true, Workers: 2})
		checkMatrix(t, c.Name+" reference pearson", c.Columns, r.Pearson, c.Expected.Reference.Pearson, 1e-12)
		checkMatrix(t, c.Name+" reference spearman", c.Columns, r.Spearman, c.Expected.Reference.Spearman, 1e-12)
		checkMatrix(t, c.Name+" current pearson", c.Columns, cu.Pearson, c.Expected.Current.Pearson, 1e-12)
		checkMatrix(t, c.Name+" current spearman", c.Columns, cu.Spearman, c.Expected.Current.Spearman, 1e-12)
		var maxd, frob float64
		for i := range r.Pearson {
			d := cu.Pearson[i] - r.Pearson[i]
			maxd = math.Max(maxd, math.Abs(d))
			frob += d * d
		}
		if !near(maxd, c.Expected.PearsonMaxAbsDiff, 1e-12, 0) || !near(math.Sqrt(frob), c.Expected.PearsonFrobenius, 1e-12, 0) {
			t.Errorf("%s: max |diff| %v, frobenius %v; want %v, %v", c.Name, maxd, math.Sqrt(frob),
				c.Expected.PearsonMaxAbsDiff, c.Expected.PearsonFrobenius)
		}
	}
}

// /work/shared/peers/ref_drift.py --corr-nan pairwise: testdata/sklearn/ref_drift.json.
func TestCorrelations_refDrift(t *testing.T) {
	var f struct {
		Columns            []string
		Reference, Current []jcol
		Correlation        struct {
			Pearson, Spearman struct {
				Reference, Current, Diff [][]jnum
				MaxAbsDiff               float64  `json:"max_abs_diff"`
				MaxAbsPair               []string `json:"max_abs_pair"`
				Frobenius                float64
			}
		}
	}
	loadJSON(t, "../testdata/sklearn/ref_drift.json", &f)
	conv := func(cs []jcol) [][]float64 {
		out := make([][]float64, len(cs))
		for i := range cs {
			out[i] = cs[i]
		}
		return out
	}
	r := Correlations(conv(f.Reference), CorrOptions{Spearman: true, Workers: 2})
	c := Correlations(conv(f.Current), CorrOptions{Spearman: true, Workers: 2})
	for _, m := range []struct {
		name     string
		ref, cur []float64
		want     struct {
			Reference, Current, Diff [][]jnum
			MaxAbsDiff               float64  `json:"max_abs_diff"`
			MaxAbsPair               []string `json:"max_abs_pair"`
			Frobenius                float64
		}
	}{{"pearson", r.Pearson, c.Pearson, f.Correlation.Pearson}, {"spearman", r.Spearman, c.Spearman, f.Correlation.Spearman}} {
		checkMatrix(t, m.name+" reference", f.Columns, m.ref, m.want.Reference, 1e-12)
		checkMatrix(t, m.name+" current", f.Columns, m.cur, m.want.Current, 1e-12)
		diff := make([]float64, len(m.ref))
		for i := range diff {
			diff[i] = m.cur[i] - m.ref[i]
		}
		checkMatrix(t, m.name+" diff", f.Columns, diff, m.want.Diff, 1e-12)
	}
}

func TestPearsonSpearman_metamorphic(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	x, y := make([]float64, 500), make([]float64, 500)
	for i := range x {
		x[i] = rng.NormFloat64()
		y[i] = x[i] + rng.NormFloat64()
	}
	p, s := Pearson(x, y), Spearman(x, y)
	if q := Pearson(y, x); q != p {
		t.Errorf("Pearson not symmetric: %v vs %v", p, q)
	}
	// affine maps keep Pearson; monotone maps keep Spearman
	ax, ey := make([]float64, len(x)), make([]float64, len(y))
	for i := range x {
		ax[i] = 3*x[i] + 7
		ey[i] = math.Exp(y[i])
	}
	if q := Pearson(ax, y); !near(q, p, 1e-13, 0) {
		t.Errorf("Pearson(3x+7, y) = %v, want %v", q, p)
	}
	if q := Spearman(x, ey); !near(q, s, 1e-13, 0) {
		t.Errorf("Spearman(x, exp y) = %v, want %v", q, s)
	}
	if q := Pearson(x, x); !near(q, 1, 1e-15, 0) {
		t.Errorf("Pearson(x, x) = %v", q)
	}
	if !math.IsNaN(Pearson([]float64{1, 2}, []float64{3, math.NaN()})) {
		t.Error("one complete pair: want NaN")
	}
	if !math.IsNaN(Spearman(nil, nil)) {
		t.Error("empty: want NaN")
	}
}

func TestRanks(t *testing.T) {
	// scipy.stats.rankdata([3, 1, 4, 1, 5, 9, 2, 6, 5], method="average")
	got := Ranks(nil, []float64{3, 1, math.NaN(), 4, 1, 5, 9, 2, 6, 5})
	want := []float64{4, 1.5, math.NaN(), 5, 1.5, 6.5, 9, 3, 8, 6.5}
	for i := range want {
		if !near(got[i], want[i], 0, 0) {
			t.Errorf("Ranks[%d] = %v, want %v", i, got[i], want[i])
		}
	}
}

// The radix ranking path agrees with the comparison sort on values that share their
// 32-bit keys (close doubles, ±0, huge and tiny magnitudes), with missing rows.
func TestCorrelations_rankingEdgeCases(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	n := 5000
	a, b, c := make([]float64, n), make([]float64, n), make([]float64, n)
	for i := range n {
		a[i] = 1 + float64(rng.IntN(50))*1e-12 // equal float32 keys, distinct doubles
		switch i % 5 {
		case 0:
			b[i] = math.Copysign(0, -1)
		case 1:
			b[i] = 0
		case 2:
			b[i] = rng.NormFloat64() * 1e300
		default:
			b[i] = rng.NormFloat64() * 1e-300
		}
		c[i] = float64(rng.IntN(7))
		if rng.IntN(20) == 0 {
			a[i] = math.NaN()
		}
		if rng.IntN(30) == 0 {
			c[i] = math.Inf(1)
		}
	}
	cols := [][]float64{a, b, c}
	m := Correlations(cols, CorrOptions{Spearman: true, Workers: 2})
	for i := range cols {
		for j := range cols {
			if i == j {
				continue
			}
			if want := Spearman(cols[i], cols[j]); !near(m.Spearman[i*3+j], want, 1e-12, 0) {
				t.Errorf("spearman[%d,%d] = %v, want %v", i, j, m.Spearman[i*3+j], want)
			}
			// a's spread (1e-12 steps on 1) leaves ~4 significant digits to any Pearson
			// algorithm: Welford's and the shifted co-moments agree to that.
			if want := Pearson(cols[i], cols[j]); !near(m.Pearson[i*3+j], want, 1e-4, 0) {
				t.Errorf("pearson[%d,%d] = %v, want %v", i, j, m.Pearson[i*3+j], want)
			}
		}
	}
}

// The float64 path of re-ranked pairs (taken above 2^21 rows) agrees with the integer one.
func TestCorrelations_spearmanFloatPath(t *testing.T) {
	cols := benchColumns(3000, 5, 0.05)
	want := Correlations(cols, CorrOptions{Spearman: true})
	defer func(v int64) { spearmanIntMax = v }(spearmanIntMax)
	spearmanIntMax = 0
	got := Correlations(cols, CorrOptions{Spearman: true})
	for i := range want.Spearman {
		if !near(got.Spearman[i], want.Spearman[i], 1e-13, 0) {
			t.Errorf("spearman[%d] = %v, want %v", i, got.Spearman[i], want.Spearman[i])
		}
		if i/5 != i%5 {
			if s := Spearman(cols[i/5], cols[i%5]); !near(got.Spearman[i], s, 1e-12, 0) {
				t.Errorf("spearman[%d] = %v, two-slice %v", i, got.Spearman[i], s)
			}
		}
	}
}

func TestCorrelations_degenerate(t *testing.T) {
	m := Correlations(nil, CorrOptions{Spearman: true})
	if m.K != 0 || len(m.Pearson) != 0 {
		t.Errorf("no columns: %+v", m)
	}
	nan := math.NaN()
	m = Correlations([][]float64{{nan, nan, 1}, {1, 2, 3}}, CorrOptions{Spearman: true})
	for _, v := range []float64{m.Pearson[0], m.Pearson[1], m.Spearman[1]} {
		if !math.IsNaN(v) {
			t.Errorf("a column with one value: want NaN, got %v", v)
		}
	}
	if m.Pearson[3] != 1 || m.Spearman[3] != 1 {
		t.Errorf("diagonal = %v, %v, want 1", m.Pearson[3], m.Spearman[3])
	}
	defer func() {
		if recover() == nil {
			t.Error("columns of different lengths: want a panic")
		}
	}()
	Correlations([][]float64{{1, 2}, {1}}, CorrOptions{})
}

// scipy.stats.contingency.association(method="cramer", correction=False):
// testdata/sklearn/correlation.json.
func TestCramersV(t *testing.T) {
	var f struct {
		CramersV []struct {
			Name     string
			Table    [][]float64
			CramersV jnum `json:"cramers_v"`
		} `json:"cramers_v"`
	}
	loadJSON(t, "../testdata/sklearn/correlation.json", &f)
	for _, c := range f.CramersV {
		r, k := len(c.Table), len(c.Table[0])
		flat := make([]float64, 0, r*k)
		for _, row := range c.Table {
			flat = append(flat, row...)
		}
		if got := CramersV(flat, r, k); !near(got, float64(c.CramersV), 1e-13, 0) {
			t.Errorf("%s: CramersV = %v, want %v", c.Name, got, c.CramersV)
		}
		// an empty row or column changes nothing
		wide := make([]float64, 0, r*(k+1))
		for _, row := range c.Table {
			wide = append(append(wide, row...), 0)
		}
		if got := CramersV(wide, r, k+1); !near(got, float64(c.CramersV), 1e-13, 0) {
			t.Errorf("%s with an empty column: CramersV = %v, want %v", c.Name, got, c.CramersV)
		}
	}
	if v := CramersV([]float64{5, 0, 3, 0}, 2, 2); !math.IsNaN(v) {
		t.Errorf("one nonempty column: CramersV = %v, want NaN", v)
	}
	tab := Contingency([]int32{0, 1, -1, 1, 0}, []int32{1, 1, 0, -1, 1}, 2, 2)
	if want := []float64{0, 2, 0, 1}; fmt.Sprint(tab) != fmt.Sprint(want) {
		t.Errorf("Contingency = %v, want %v", tab, want)
	}
}

// benchColumns returns k columns of n rows from a 3-factor model (as gen_data.py: every
// fifth column rounded to 0.1, i.e. many ties), with the given share of missing cells.
func benchColumns(n, k int, missing float64) [][]float64 {
	rng := rand.New(rand.NewPCG(5, 6))
	load := make([]float64, 3*k)
	for i := range load {
		load[i] = rng.NormFloat64()
	}
	cols := make([][]float64, k)
	for j := range cols {
		cols[j] = make([]float64, n)
	}
	for r := range n {
		f0, f1, f2 := rng.NormFloat64(), rng.NormFloat64(), rng.NormFloat64()
		for j := range k {
			v := load[3*j]*f0 + load[3*j+1]*f1 + load[3*j+2]*f2 + rng.NormFloat64()
			switch j % 5 {
			case 1:
				v = math.Exp(0.5 * v)
			case 4:
				v = math.Round(v*10) / 10
			}
			if missing > 0 && rng.Float64() < missing {
				v = math.NaN()
			}
			cols[j][r] = v
		}
	}
	return cols
}

// Correlations of 1M rows × 20 columns (the target: <= 0.5 s), Pearson only and
// with Spearman, complete and with 1% missing cells, on 2 workers; and 250,000 rows (the
// sample that correlations.max_rows = 250000 would take).
func BenchmarkCorrelations(b *testing.B) {
	for _, missing := range []float64{0, 0.01} {
		cols := benchColumns(1_000_000, 20, missing)
		for _, spearman := range []bool{false, true} {
			b.Run(fmt.Sprintf("1Mx20/missing=%g/spearman=%v", missing, spearman), func(b *testing.B) {
				b.ReportAllocs()
				start := cpuTime()
				for b.Loop() {
					Correlations(cols, CorrOptions{Spearman: spearman, Workers: 2})
				}
				reportCPU(b, start)
			})
		}
	}
	cols := benchColumns(250_000, 20, 0.01)
	b.Run("250kx20/missing=0.01/spearman=true", func(b *testing.B) {
		start := cpuTime()
		for b.Loop() {
			Correlations(cols, CorrOptions{Spearman: true, Workers: 2})
		}
		reportCPU(b, start)
	})
}

// One pair re-ranked over its complete rows (1M rows, 1% missing each), one goroutine.
func BenchmarkSpearmanPair(b *testing.B) {
	cols := benchColumns(1_000_000, 2, 0.01)
	cc := rankedCols(cols)
	m := jointRows(cols[0], cols[1])
	var ti, tj countTable
	for b.Loop() {
		spearmanPair(&cc[0], &cc[1], m, &ti, &tj)
	}
}

// Ranking one column of 1M rows (1% missing; continuous col0, rounded col4), one
// goroutine: ranks and positions (as for a column some pair re-ranks), and ranks alone
// ("nopos": no pair is missing on different rows).
func BenchmarkCorrRank(b *testing.B) {
	cols := benchColumns(1_000_000, 5, 0.01)
	var sc rankScratch
	for _, j := range []int{0, 4} {
		for _, keepPos := range []bool{true, false} {
			name := fmt.Sprintf("col%d", j)
			if !keepPos {
				name += "/nopos"
			}
			b.Run(name, func(b *testing.B) {
				var c corrCol
				c.prepare(cols[j])
				for b.Loop() {
					c.rank(cols[j], keepPos, &sc)
				}
			})
		}
	}
}
