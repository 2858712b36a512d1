package stats_test

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/driftwatch/driftwatch/stats"
)

// sortInputs are distributions that exercise every path of the radix sort:
// spread and narrow ranges, heavy ties, signed zeros, subnormals, infinities.
func sortInputs() map[string][]float64 {
	r := rand.New(rand.NewPCG(1, 2))
	gen := func(n int, f func(i int) float64) []float64 {
		x := make([]float64, n)
		for i := range x {
			x[i] = f(i)
		}
		return x
	}
	return map[string][]float64{
		"normal_2047":    gen(2047, func(int) float64 { return r.NormFloat64() }),
		"normal_2048":    gen(2048, func(int) float64 { return r.NormFloat64() }),
		"normal_300k":    gen(300000, func(int) float64 { return r.NormFloat64() }),
		"uniform_50k":    gen(50000, func(int) float64 { return r.Float64() }),
		"lognormal_50k":  gen(50000, func(int) float64 { return math.Exp(3 * r.NormFloat64()) }),
		"few_values_50k": gen(50000, func(int) float64 { return float64(r.IntN(5)) - 2 }),
		"all_equal_10k":  gen(10000, func(int) float64 { return 3.25 }),
		"two_values_80k": gen(80000, func(i int) float64 { return float64(i % 2) }),
		"narrow_1e12":    gen(40000, func(int) float64 { return 1e12 + r.Float64() }),
		"rounded_30k":    gen(30000, func(int) float64 { return math.Round(r.NormFloat64()*10) / 10 }),
		"reversed_10k":   gen(10000, func(i int) float64 { return float64(-i) }),
		"sorted_10k":     gen(10000, func(i int) float64 { return float64(i) }),
		"signed_zero":    gen(5000, func(i int) float64 { return []float64{0, math.Copysign(0, -1), 1e-310, -1e-310, -1}[i%5] }),
		"extremes": gen(6000, func(i int) float64 {
			return []float64{math.Inf(1), math.Inf(-1), math.MaxFloat64, -math.MaxFloat64, math.SmallestNonzeroFloat64, r.NormFloat64()}[i%6]
		}),
		"huge_range": gen(20000, func(int) float64 { return math.Ldexp(r.Float64()-0.5, r.IntN(2000)-1000) }),
	}
}

func TestSort(t *testing.T) {
	var s stats.Sorter
	for name, x := range sortInputs() {
		t.Run(name, func(t *testing.T) {
			want := slices.Clone(x)
			slices.Sort(want)
			for _, sort := range []struct {
				name string
				fn   func([]float64)
			}{{"Sort", stats.Sort}, {"Sorter", s.Sort}} {
				got := slices.Clone(x)
				sort.fn(got)
				for i := range got {
					// == on purpose: -0 and +0 compare equal, as in slices.Sort.
					if got[i] != want[i] {
						t.Fatalf("%s: x[%d] = %v, want %v", sort.name, i, got[i], want[i])
					}
				}
				for i := 1; i < len(got); i++ {
					if got[i] == 0 && got[i-1] == 0 && math.Signbit(got[i]) && !math.Signbit(got[i-1]) {
						t.Fatalf("%s: +0 before -0 at %d", sort.name, i)
					}
				}
			}
		})
	}
}

func TestSorterNoAllocs(t *testing.T) {
	x := normals(100000, 0, 3)
	work := make([]float64, len(x))
	var s stats.Sorter
	copy(work, x)
	s.Sort(work) // warm the scratch buffers
	allocs := testing.AllocsPerRun(5, func() {
		copy(work, x)
		s.Sort(work)
	})
	if allocs != 0 {
		t.Errorf("Sorter.Sort with warm buffers: %v allocations, want 0", allocs)
	}
}

func TestFinite(t *testing.T) {
	x := []float64{1, math.NaN(), math.Inf(1), -2, math.Inf(-1), 0, math.NaN()}
	got := stats.Finite([]float64{9}, x)
	want := []float64{9, 1, -2, 0}
	if !slices.Equal(got, want) {
		t.Errorf("Finite = %v, want %v", got, want)
	}
	if got := stats.Finite(nil, []float64{math.NaN()}); len(got) != 0 {
		t.Errorf("Finite(NaN) = %v, want empty", got)
	}
}

func TestMeanStd(t *testing.T) {
	// numpy 1.24: np.mean / np.std (ddof 0) of [2, 4, 4, 4, 5, 5, 7, 9] = 5, 2.
	m, s := stats.MeanStd([]float64{2, 4, 4, 4, 5, 5, 7, 9})
	if m != 5 || s != 2 {
		t.Errorf("MeanStd = %v, %v, want 5, 2", m, s)
	}
	// Large offset: the two-pass algorithm keeps the spread exact.
	m, s = stats.MeanStd([]float64{1e12 + 2, 1e12 + 4, 1e12 + 4, 1e12 + 4, 1e12 + 5, 1e12 + 5, 1e12 + 7, 1e12 + 9})
	if m != 1e12+5 || s != 2 {
		t.Errorf("MeanStd(1e12 + ...) = %v, %v, want 1e12+5, 2", m, s)
	}
	if m, s := stats.MeanStd(nil); !math.IsNaN(m) || !math.IsNaN(s) {
		t.Errorf("MeanStd(empty) = %v, %v, want NaN, NaN", m, s)
	}
}

func TestDistinct(t *testing.T) {
	a := []float64{math.Copysign(0, -1), 0, 1, 1, 2}
	b := []float64{-1, 1, 3, 3}
	if got := stats.DistinctSorted(a); got != 3 {
		t.Errorf("DistinctSorted(%v) = %d, want 3 (-0 == +0)", a, got)
	}
	if got := stats.UnionDistinctSorted(a, b); got != 5 {
		t.Errorf("UnionDistinctSorted = %d, want 5", got)
	}
	if got := stats.UnionDistinctSorted(nil, b); got != 3 {
		t.Errorf("UnionDistinctSorted(nil, b) = %d, want 3", got)
	}
	if got := stats.DistinctSorted(nil); got != 0 {
		t.Errorf("DistinctSorted(nil) = %d, want 0", got)
	}
}

func TestIdenticalSamples(t *testing.T) {
	for _, n := range []int{5, 300, 12000} {
		x := normals(n, 0, uint64(n))
		stats.Sort(x)
		y := slices.Clone(x)
		for _, m := range []stats.KSMethod{stats.KSAuto, stats.KSExact, stats.KSAsymp} {
			if d, p := stats.KS(x, y, m); d != 0 || p != 1 {
				t.Errorf("n=%d KS(x, x, %d) = %v, %v, want 0, 1", n, m, d, p)
			}
		}
		if w := stats.Wasserstein(x, y); w != 0 {
			t.Errorf("n=%d Wasserstein(x, x) = %v, want 0", n, w)
		}
		if e := stats.Energy(x, y); e != 0 {
			t.Errorf("n=%d Energy(x, x) = %v, want 0", n, e)
		}
		if s, p := stats.CramerVonMises(x, y); math.Abs(s) > 1e-12 || p < 0.99 {
			t.Errorf("n=%d CramerVonMises(x, x) = %v, %v, want ~0, ~1", n, s, p)
		}
		for _, b := range []stats.Binning{stats.BinningDefault, stats.BinningSturges} {
			bins := stats.NumericBins(x, y, b)
			for name, v := range map[string]float64{
				"PSI": stats.PSI(bins.Ref, bins.Cur), "KL": stats.KL(bins.Ref, bins.Cur),
				"JensenShannon": stats.JensenShannon(bins.Ref, bins.Cur), "Hellinger": stats.Hellinger(bins.Ref, bins.Cur),
			} {
				if v != 0 {
					t.Errorf("n=%d binning %d: %s(x, x) = %v, want 0", n, b, name, v)
				}
			}
			if s, p, _ := stats.Chi2Contingency(bins.Ref, bins.Cur); s != 0 || p != 1 {
				t.Errorf("n=%d Chi2Contingency(x, x) = %v, %v, want 0, 1", n, s, p)
			}
			if s, p := stats.Chi2GOF(bins.Ref, bins.Cur); s != 0 || p != 1 {
				t.Errorf("n=%d Chi2GOF(x, x) = %v, %v, want 0, 1", n, s, p)
			}
		}
	}
}

func TestSymmetry(t *testing.T) {
	x, y := normals(700, 0, 11), normals(450, 0.2, 12)
	stats.Sort(x)
	stats.Sort(y)
	eq := func(name string, a, b float64) {
		t.Helper()
		if math.Abs(a-b) > 1e-12*math.Max(math.Abs(a), 1e-300) {
			t.Errorf("%s not symmetric: %v vs %v", name, a, b)
		}
	}
	d1, p1 := stats.KS(x, y, stats.KSAuto)
	d2, p2 := stats.KS(y, x, stats.KSAuto)
	eq("KS D", d1, d2)
	eq("KS p", p1, p2)
	eq("Wasserstein", stats.Wasserstein(x, y), stats.Wasserstein(y, x))
	eq("Energy", stats.Energy(x, y), stats.Energy(y, x))
	a1, _ := stats.AndersonDarling(x, y)
	a2, _ := stats.AndersonDarling(y, x)
	eq("AndersonDarling", a1, a2)
	c1, _ := stats.CramerVonMises(x, y)
	c2, _ := stats.CramerVonMises(y, x)
	eq("CramerVonMises", c1, c2)
	b := stats.PerValueBins([]float64{1, 1, 2, 3, 3, 3}, []float64{1, 2, 2, 2, 4})
	eq("JensenShannon", stats.JensenShannon(b.Ref, b.Cur), stats.JensenShannon(b.Cur, b.Ref))
	eq("Hellinger", stats.Hellinger(b.Ref, b.Cur), stats.Hellinger(b.Cur, b.Ref))
	s1, q1, _ := stats.Chi2Contingency(b.Ref, b.Cur)
	s2, q2, _ := stats.Chi2Contingency(b.Cur, b.Ref)
	eq("Chi2Contingency", s1, s2)
	eq("Chi2Contingency p", q1, q2)
}

func TestRowOrderInvariance(t *testing.T) {
	x, y := normals(3000, 0, 21), normals(2500, 0.1, 22)
	sx, sy := slices.Clone(x), slices.Clone(y)
	stats.Sort(sx)
	stats.Sort(sy)
	r := rand.New(rand.NewPCG(5, 6))
	r.Shuffle(len(x), func(i, j int) { x[i], x[j] = x[j], x[i] })
	r.Shuffle(len(y), func(i, j int) { y[i], y[j] = y[j], y[i] })
	stats.Sort(x)
	stats.Sort(y)
	d1, p1 := stats.KS(sx, sy, stats.KSAuto)
	d2, p2 := stats.KS(x, y, stats.KSAuto)
	w1, w2 := stats.Wasserstein(sx, sy), stats.Wasserstein(x, y)
	if d1 != d2 || p1 != p2 || w1 != w2 {
		t.Errorf("shuffled input changed results: KS %v,%v vs %v,%v; W1 %v vs %v", d1, p1, d2, p2, w1, w2)
	}
}

func TestRepeatedSamples(t *testing.T) {
	// Each value repeated twice: same empirical distributions.
	x, y := normals(200, 0, 31), normals(150, 0.3, 32)
	stats.Sort(x)
	stats.Sort(y)
	x2, y2 := append(slices.Clone(x), x...), append(slices.Clone(y), y...)
	stats.Sort(x2)
	stats.Sort(y2)
	d1, _ := stats.KS(x, y, stats.KSAsymp)
	d2, _ := stats.KS(x2, y2, stats.KSAsymp)
	if math.Abs(d1-d2) > 1e-15 {
		t.Errorf("KS D changed with repeated samples: %v vs %v", d1, d2)
	}
	for name, f := range map[string]func(a, b []float64) float64{"Wasserstein": stats.Wasserstein, "Energy": stats.Energy} {
		if a, b := f(x, y), f(x2, y2); math.Abs(a-b) > 1e-12*a {
			t.Errorf("%s changed with repeated samples: %v vs %v", name, a, b)
		}
	}
	// Scale equivariance: W1(c x, c y) = c W1(x, y).
	cx, cy := slices.Clone(x), slices.Clone(y)
	for i := range cx {
		cx[i] *= 4
	}
	for i := range cy {
		cy[i] *= 4
	}
	if a, b := stats.Wasserstein(cx, cy), 4*stats.Wasserstein(x, y); math.Abs(a-b) > 1e-12*b {
		t.Errorf("Wasserstein(4x, 4y) = %v, want %v", a, b)
	}
}

func TestFillEmpty(t *testing.T) {
	small, edge := 0.00001, 0.0001 // variables: runtime (IEEE) division below
	for _, c := range []struct{ in, want []float64 }{
		{[]float64{0.5, 0.5, 0}, []float64{0.5, 0.5, 1e-4}},
		{[]float64{0.99999, small, 0}, []float64{0.99999, small, small / 1e6}},
		{[]float64{0.9999, edge, 0}, []float64{0.9999, edge, edge / 1e6}}, // min <= 1e-4
		{[]float64{0, 0}, []float64{0, 0}},                                // nothing to fill from
	} {
		if got := stats.FillEmpty(nil, c.in); !slices.Equal(got, c.want) {
			t.Errorf("FillEmpty(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}

func TestCountTests(t *testing.T) {
	// Categories empty on both sides are dropped.
	s1, p1, d1 := stats.Chi2Contingency([]float64{10, 0, 20, 5}, []float64{12, 0, 15, 9})
	s2, p2, d2 := stats.Chi2Contingency([]float64{10, 20, 5}, []float64{12, 15, 9})
	if s1 != s2 || p1 != p2 || d1 != d2 || d1 != 2 {
		t.Errorf("Chi2Contingency with an empty category = %v, %v, %d; without = %v, %v, %d", s1, p1, d1, s2, p2, d2)
	}
	if s, p, d := stats.Chi2Contingency([]float64{5, 0}, []float64{7, 0}); s != 0 || p != 1 || d != 0 {
		t.Errorf("Chi2Contingency(one category) = %v, %v, %d, want 0, 1, 0", s, p, d)
	}
	// A category new in current: +Inf, p 0 (Evidently / gen_vectors.py).
	if s, p := stats.Chi2GOF([]float64{10, 10, 0}, []float64{8, 9, 3}); !math.IsInf(s, 1) || p != 0 {
		t.Errorf("Chi2GOF(new category) = %v, %v, want +Inf, 0", s, p)
	}
	// No variation: P in {0, 1}.
	for _, c := range [][4]float64{{10, 0, 20, 0}, {10, 10, 20, 20}} {
		if z, p := stats.ZTest(c[0], c[1], c[2], c[3]); z != 0 || p != 1 {
			t.Errorf("ZTest(%v) = %v, %v, want 0, 1", c, z, p)
		}
	}
	if z, p := stats.ZTest(0, 0, 10, 3); !math.IsNaN(z) || !math.IsNaN(p) {
		t.Errorf("ZTest(n1 = 0) = %v, %v, want NaN, NaN", z, p)
	}
}

func TestNumericBinsModes(t *testing.T) {
	few := []float64{1, 1, 2, 3, 3}
	b := stats.NumericBins(few, []float64{2, 4, 4}, stats.BinningDefault)
	if b.Mode != stats.ModePerValue || !slices.Equal(b.Keys, []float64{1, 2, 3, 4}) ||
		!slices.Equal(b.Ref, []float64{2, 1, 2, 0}) || !slices.Equal(b.Cur, []float64{0, 1, 0, 2}) || b.Edges != nil {
		t.Errorf("NumericBins(few values) = %+v", b)
	}
	x := make([]float64, 100)
	for i := range x {
		x[i] = float64(i)
	}
	b = stats.NumericBins(x, []float64{-5, 9.9, 10, 200}, stats.BinningDefault)
	// np.quantile(range(100), k/10) = 9.9, 19.8, ..., 89.1; searchsorted left.
	if b.Mode != stats.ModeReferenceDeciles || len(b.Edges) != 9 || b.Edges[0] != 9.9 {
		t.Fatalf("NumericBins(0..99) = %+v", b)
	}
	if !slices.Equal(b.Cur, []float64{2, 1, 0, 0, 0, 0, 0, 0, 0, 1}) || sum(b.Ref) != 100 {
		t.Errorf("NumericBins(0..99) counts = %v / %v", b.Ref, b.Cur)
	}
}

func TestPanics(t *testing.T) {
	for name, f := range map[string]func(){
		"KS empty":          func() { stats.KS(nil, []float64{1}, stats.KSAuto) },
		"Wasserstein empty": func() { stats.Wasserstein([]float64{1}, nil) },
		"Energy empty":      func() { stats.Energy(nil, nil) },
		"AD empty":          func() { stats.AndersonDarling(nil, []float64{1}) },
		"CvM empty":         func() { stats.CramerVonMises([]float64{1}, nil) },
		"bins empty":        func() { stats.NumericBins(nil, []float64{1}, stats.BinningDefault) },
		"PSI lengths":       func() { stats.PSI([]float64{1, 2}, []float64{1}) },
		"quantile q":        func() { stats.QuantileSorted([]float64{1}, 1.5) },
		"KS method":         func() { stats.KS([]float64{1}, []float64{2}, stats.KSMethod(9)) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("%s did not panic", name)
				}
			}()
			f()
		})
	}
}

func TestUndefinedIsNaN(t *testing.T) {
	if s, p := stats.AndersonDarling([]float64{2, 2}, []float64{2}); !math.IsNaN(s) || !math.IsNaN(p) {
		t.Errorf("AndersonDarling(one value) = %v, %v, want NaN, NaN", s, p)
	}
	if s, p := stats.CramerVonMises([]float64{1}, []float64{2, 3}); !math.IsNaN(s) || !math.IsNaN(p) {
		t.Errorf("CramerVonMises(n=1) = %v, %v, want NaN, NaN", s, p)
	}
	if v := stats.PSI([]float64{0, 0}, []float64{1, 2}); !math.IsNaN(v) {
		t.Errorf("PSI(empty reference) = %v, want NaN", v)
	}
}
