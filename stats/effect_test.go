package stats

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func closeTo(got, want, rel, abs float64) bool {
	return math.Abs(got-want) <= abs+rel*math.Abs(want)
}

// Reference values: testdata/quantileshift.py (NumPy 1.24), the exact
// (1/(hi-lo)) ∫_lo^hi |Q_c(u) - Q_r(u)| du with Q = numpy.quantile(x, u,
// method="inverted_cdf"), evaluated on every piece between the breakpoints k/n, k/m;
// over [0, 1] equal to scipy.stats.wasserstein_distance (SciPy 1.10).
func TestQuantileShift(t *testing.T) {
	type span struct{ lo, hi, want float64 }
	cases := []struct {
		name  string
		r, c  []float64
		spans []span
	}{
		{name: "tiny", spans: []span{{0, 0.5, 0.6666666666666666}, {0.5, 1, 2.333333333333333}, {0, 1, 1.5}},
			r: []float64{1, 2, 3},
			c: []float64{2, 5}},
		{name: "ties", spans: []span{{0, 0.25, 0.16}, {0.75, 1, 0.68}, {0, 1, 0.49263157894736836}},
			r: []float64{-2, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 2},
			c: []float64{-1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1}},
		{name: "shift", spans: []span{{0, 0.05, 1.2453510642924008}, {0.95, 1, 1.1541834013978982}, {0.9, 0.99, 1.1274965035913669}, {0, 1, 0.9711021416909206}},
			r: []float64{-2.516759710820513, -1.901222739800844, -1.8417350377917323, -1.5301357655053935, -1.344214547285082, -1.289537739784976, -1.2674464814437032, -0.9916465549964624, -0.9785190780566395, -0.9304680447082047, -0.8905918387572742, -0.8088372394255993, -0.8075346753318965, -0.6204748998199404, -0.583600432743302, -0.5386928958466366, -0.49220651855132963, -0.47775327603393064, -0.45761576104021817, -0.45467078517172255, -0.2741378553622176, -0.23509113107468127, -0.18693094462995438, -0.11170194958415963, -0.048500945401071985, -0.0325217049455206, -0.02925182246327349, 0.0012301533574825742, 0.060143602597438485, 0.10541424899789856, 0.11330898600330756, 0.15675108662422516, 0.2712643588217015, 0.2987455375084699, 0.35688700816006075, 0.4898420501851982, 0.6953031944582878, 0.8843898673831739, 1.0608986233860787, 1.3402152455545335},
			c: []float64{-1.0471446781284823, -0.7250558264176934, -0.6992889021052233, -0.6871945278501399, -0.1756622510056528, -0.1414703941072214, -0.07930159650267321, 0.036692423461584855, 0.3038040271955033, 0.31121787464925066, 0.4334826798505844, 0.5637817742550619, 0.5745162287714635, 0.5761402303770081, 0.6104641432494806, 0.6193540256965813, 0.6272684112258309, 0.703138610389609, 1.0766895836701853, 1.167247560834328, 1.182910267195206, 1.2622597120847119, 1.3593826880215982, 1.3987638721004076, 1.8588234217415376, 1.938522591656152, 2.500416546342423}},
		{name: "scale", spans: []span{{0, 0.1, 1.6223603292345963}, {0.9, 1, 1.6164350916609942}, {0.005, 0.05, 1.9543148976766}, {0, 1, 0.7229985602344474}},
			r: []float64{-2.0353289449399323, -1.9924197841744944, -1.6882041173665416, -1.323527792484255, -1.2908932453234871, -1.1140671431510563, -0.7946423659870495, -0.46316986495236695, -0.4435812229744192, -0.4280249425728672, -0.3685758940999591, -0.3398695517131494, -0.32721342022219785, -0.3036803883647294, -0.25019540051792494, -0.19728422796572256, -0.12077044508645512, -0.09728692567008902, -0.024143613009932233, -0.011521468038548173, -0.005399560671626605, 0.34668004887842974, 0.35258906728526535, 0.5833823541804138, 0.6469034225734218, 0.6530885027011638, 0.6683810232673438, 0.6894039005707556, 1.052126358426947, 1.145222007454132, 1.1661277761902227, 1.2570149772868198, 1.5235294004561601},
			c: []float64{-4.2571340836442895, -3.9954925858141097, -3.4921929507478175, -3.0736698805829774, -2.555450303302341, -2.262814941046117, -2.108969244098221, -2.0673516641473775, -1.9503046455574924, -1.7998552151971905, -1.7159129543530878, -1.6909940657586482, -1.6634463628241634, -1.5865928064060872, -1.2521461994403944, -1.2478871728878118, -1.182056705712548, -1.0857838634603736, -0.6089537554228744, -0.5478325443446407, -0.41186066050643294, -0.3528121318115164, -0.3197339319412727, -0.30817514641202637, -0.23721964775538806, -0.15836263723168367, -0.1316098120004142, -0.10238082538335315, 0.02664919382651952, 0.07057369732294827, 0.17861297153810057, 0.2619024151695996, 0.3281055914244451, 0.3854918252101448, 0.4108078921293978, 0.5196782013487267, 0.7256795983775086, 0.9860265828247127, 1.0398152740677968, 1.4049259102410885, 1.5134770053285351, 1.5579821686849225, 1.6932170429623268, 1.9318432374576178, 1.9441334158340855, 2.1971735195138353, 2.4982974991169096, 2.5141386274287854, 2.883414311045223, 4.489513252972099}},
	}
	for _, tc := range cases {
		for _, sp := range tc.spans {
			if got := QuantileShift(tc.r, tc.c, sp.lo, sp.hi); !closeTo(got, sp.want, 1e-12, 1e-14) {
				t.Errorf("%s: QuantileShift(%v, %v) = %v, want %v", tc.name, sp.lo, sp.hi, got, sp.want)
			}
		}
		if got, w := QuantileShift(tc.r, tc.c, 0, 1), Wasserstein(tc.r, tc.c); !closeTo(got, w, 1e-12, 1e-15) {
			t.Errorf("%s: QuantileShift over [0, 1] = %v, Wasserstein = %v", tc.name, got, w)
		}
	}
}

func TestQuantileShift_metamorphic(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	r := make([]float64, 500)
	for i := range r {
		r[i] = rng.NormFloat64()
	}
	slices.Sort(r)
	if got := QuantileShift(r, r, 0.95, 0.995); got != 0 {
		t.Errorf("QuantileShift(x, x) = %v, want 0", got)
	}
	// a shift by d moves every quantile by d
	c := make([]float64, len(r))
	for i, v := range r {
		c[i] = v + 0.7
	}
	if got := QuantileShift(r, c, 0.95, 0.995); !closeTo(got, 0.7, 1e-12, 0) {
		t.Errorf("QuantileShift(x, x+0.7) = %v, want 0.7", got)
	}
	// the top 2% moved by 3: the upper 5% moves by 3 * 2/5, the lower not at all
	copy(c, r)
	for i := len(c) - 10; i < len(c); i++ {
		c[i] += 3
	}
	lo, up := QuantileShift(r, c, 0, 0.05), QuantileShift(r, c, 0.95, 1)
	if lo != 0 || !closeTo(up, 1.2, 1e-12, 0) {
		t.Errorf("QuantileShift(top 2%% +3) = %v, %v, want 0, 1.2", lo, up)
	}
	// symmetry
	if a, b := QuantileShift(r, c, 0.9, 1), QuantileShift(c, r, 0.9, 1); a != b {
		t.Errorf("QuantileShift not symmetric: %v vs %v", a, b)
	}
}

func TestQuantileShift_panics(t *testing.T) {
	x := []float64{1}
	for name, f := range map[string]func(){
		"empty":   func() { QuantileShift(nil, x, 0, 1) },
		"lo = hi": func() { QuantileShift(x, x, 0.5, 0.5) },
		"hi > 1":  func() { QuantileShift(x, x, 0.5, 1.5) },
		"lo < 0":  func() { QuantileShift(x, x, -0.1, 0.5) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}

func TestTotalVariation(t *testing.T) {
	// numpy: 0.5 * np.abs(r/r.sum() - c/c.sum()).sum()
	if got := TotalVariation([]float64{10, 0, 5, 85}, []float64{3, 7, 0, 40}); !closeTo(got, 0.14, 1e-12, 0) {
		t.Errorf("TotalVariation = %v, want 0.14", got)
	}
	if got := TotalVariation([]float64{1, 0}, []float64{0, 5}); got != 1 {
		t.Errorf("TotalVariation(disjoint) = %v, want 1", got)
	}
	if got := TotalVariation([]float64{2, 4}, []float64{1, 2}); got != 0 {
		t.Errorf("TotalVariation(same shares) = %v, want 0", got)
	}
	if got := TotalVariation([]float64{0, 0}, []float64{1, 2}); !math.IsNaN(got) {
		t.Errorf("TotalVariation(empty ref) = %v, want NaN", got)
	}
}

func TestAboveAndProportions(t *testing.T) {
	// scipy 1.10: norm.sf((0.3 - 0.1) / 0.05)
	if got := AboveP(0.3, 0.05, 0.1); !closeTo(got, 3.167124183311998e-05, 1e-12, 0) {
		t.Errorf("AboveP(0.3, 0.05, 0.1) = %v", got)
	}
	if AboveP(0.3, 0, 0.1) != 0 || AboveP(0.05, 0, 0.1) != 1 || !math.IsNaN(AboveP(math.NaN(), 1, 0.1)) {
		t.Errorf("AboveP with se 0 or NaN: wrong")
	}
	// scipy 1.10: p1, p2 = 10/1000, 60/400; se = sqrt(p1(1-p1)/1000 + p2(1-p2)/400);
	// norm.sf((p2 - p1 - 0.05)/se)
	d, p := ProportionRise(10, 1000, 60, 400, 0.05)
	if !closeTo(d, 0.14, 1e-12, 0) || !closeTo(p, 3.4438785966051803e-07, 1e-9, 0) {
		t.Errorf("ProportionRise(10/1000 -> 60/400) = %v, %v", d, p)
	}
	d, p = ProportionRise(0, 300, 30, 150, 0.05)
	if !closeTo(d, 0.2, 1e-12, 0) || !closeTo(p, 2.186761333945392e-06, 1e-9, 0) {
		t.Errorf("ProportionRise(0/300 -> 30/150) = %v, %v", d, p)
	}
	if d, p := ProportionRise(0, 100, 100, 100, 0.05); d != 1 || p != 0 {
		t.Errorf("ProportionRise(0%% -> 100%%) = %v, %v, want 1, 0", d, p)
	}
	if d, p := ProportionRise(5, 100, 5, 100, 0.05); d != 0 || !(p > 0.5) {
		t.Errorf("ProportionRise(no rise) = %v, %v, want 0, > 0.5", d, p)
	}
	if d, p := ProportionRise(1, 0, 1, 10, 0.05); !math.IsNaN(d) || !math.IsNaN(p) {
		t.Errorf("ProportionRise(n1 = 0) = %v, %v, want NaN", d, p)
	}
	// scipy 1.10: s = 52/1000; norm.sf((s - 0.01)/sqrt(s(1-s)/1000))
	s, p := ProportionAbove(52, 1000, 0.01)
	if s != 0.052 || !closeTo(p, 1.1023472111728005e-09, 1e-9, 0) {
		t.Errorf("ProportionAbove(52/1000) = %v, %v", s, p)
	}
}

func TestBenjaminiHochberg(t *testing.T) {
	// Benjamini & Hochberg (1995), section 4: 15 p-values, of which BH at 0.05 rejects
	// the 4 smallest; q-values as R's p.adjust(p, "BH"), computed with NumPy 1.24.
	p := []float64{0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344, 0.0459, 0.3240, 0.4262, 0.5719, 0.6528, 0.7590, 1.000}
	want := []float64{0.0015, 0.003, 0.0095, 0.035625, 0.0603, 0.06385714285714286, 0.06385714285714286, 0.0645, 0.0765, 0.48600000000000004, 0.5811818181818182, 0.714875, 0.7532307692307694, 0.8132142857142857, 1.0}
	q := BenjaminiHochberg(nil, p)
	rejected := 0
	for i := range q {
		if !closeTo(q[i], want[i], 1e-12, 0) {
			t.Errorf("q[%d] = %v, want %v", i, q[i], want[i])
		}
		if q[i] <= 0.05 {
			rejected++
		}
	}
	if rejected != 4 {
		t.Errorf("BH rejects %d at 0.05, want 4", rejected)
	}
	// unsorted input, ties, NaN left out of m
	q = BenjaminiHochberg(nil, []float64{0.04, 0.01, math.NaN(), 0.03, 0.04, 0.5})
	want = []float64{0.05, 0.05, math.NaN(), 0.05, 0.05, 0.5}
	for i := range q {
		if !(closeTo(q[i], want[i], 1e-12, 0) || math.IsNaN(q[i]) && math.IsNaN(want[i])) {
			t.Errorf("with NaN: q[%d] = %v, want %v", i, q[i], want[i])
		}
	}
	// in place
	in := []float64{0.5, 0.01}
	BenjaminiHochberg(in, in)
	if in[0] != 0.5 || in[1] != 0.02 {
		t.Errorf("in place: %v, want [0.5 0.02]", in)
	}
}

func TestSubsample(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	x := make([]float64, 1000)
	for i := range x {
		x[i] = float64(i)
	}
	s := Subsample(nil, x, 100, rng)
	if len(s) != 100 || !slices.IsSorted(s) {
		t.Fatalf("Subsample: len %d, sorted %v", len(s), slices.IsSorted(s))
	}
	for i := 1; i < len(s); i++ {
		if s[i] == s[i-1] {
			t.Fatalf("Subsample drew %v twice", s[i])
		}
	}
	if got := Subsample(nil, x[:10], 50, rng); len(got) != 10 {
		t.Errorf("Subsample(k > n): len %d, want 10", len(got))
	}
	// every index equally likely: the mean of many subsample means is the mean
	var mean float64
	for range 400 {
		for _, v := range Subsample(s[:0], x, 20, rng) {
			mean += v
		}
	}
	mean /= 400 * 20
	if !closeTo(mean, 499.5, 0, 10) {
		t.Errorf("Subsample mean %v, want about 499.5", mean)
	}
	// reproducible with one seed
	a := Subsample(nil, x, 30, rand.New(rand.NewPCG(9, 9)))
	b := Subsample(nil, x, 30, rand.New(rand.NewPCG(9, 9)))
	if !slices.Equal(a, b) {
		t.Errorf("Subsample is not reproducible with one seed")
	}
}

func TestBinomialMultinomial(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, c := range []struct {
		n int64
		p float64
	}{{10, 0.3}, {1000, 0.001}, {200, 0.1}, {100000, 0.4}, {50, 0.9}} {
		const draws = 20000
		var s, s2 float64
		for range draws {
			x := float64(Binomial(c.n, c.p, rng))
			if x < 0 || x > float64(c.n) {
				t.Fatalf("Binomial(%d, %v) = %v out of range", c.n, c.p, x)
			}
			s += x
			s2 += x * x
		}
		mean := s / draws
		v := s2/draws - mean*mean
		wm, wv := float64(c.n)*c.p, float64(c.n)*c.p*(1-c.p)
		// 5 standard errors of the mean; variance within 5%
		if !closeTo(mean, wm, 0, 5*math.Sqrt(wv/draws)) || !closeTo(v, wv, 0.05, 0) {
			t.Errorf("Binomial(%d, %v): mean %v var %v, want %v, %v", c.n, c.p, mean, v, wm, wv)
		}
	}
	if Binomial(0, 0.5, rng) != 0 || Binomial(10, 0, rng) != 0 || Binomial(10, 1, rng) != 10 {
		t.Errorf("Binomial edge cases wrong")
	}
	m := Multinomial(nil, 1000, []float64{0.5, 0, 0.3, 0.2}, rng)
	if m[1] != 0 || m[0]+m[1]+m[2]+m[3] != 1000 {
		t.Errorf("Multinomial = %v: want sum 1000 and 0 for the empty category", m)
	}
}

func TestNullDistributions(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	r := make([]float64, 400)
	c := make([]float64, 300)
	for i := range r {
		r[i] = rng.NormFloat64()
	}
	for i := range c {
		c[i] = 2*rng.NormFloat64() + 1
	}
	slices.Sort(r)
	slices.Sort(c)
	meanDiff := func(a, b []float64) float64 {
		ma, _ := MeanStd(a)
		mb, _ := MeanStd(b)
		return mb - ma
	}
	// the permutation null of a mean difference: mean 0, standard deviation
	// sd(pooled) sqrt(1/n1 + 1/n2) (the two-sample z statistic's denominator)
	pool := append(append([]float64{}, r...), c...)
	_, sp0 := MeanStd(pool)
	se0 := sp0 * math.Sqrt(1.0/400+1.0/300)
	nl := PermutationSorted(r, c, 1000, rng, meanDiff, Wasserstein)
	if !closeTo(nl[0].Mean, 0, 0, 0.2*se0) || !closeTo(nl[0].SD, se0, 0.1, 0) {
		t.Errorf("PermutationSorted(mean difference) = %+v, want mean 0, SD %v", nl[0], se0)
	}
	// every split keeps the sizes and the pooled values: W1 of a split is below the
	// observed distance of these very different samples
	if w := Wasserstein(r, c); !(nl[1].Mean < w/3) {
		t.Errorf("PermutationSorted(Wasserstein) mean %v, not well below the observed %v", nl[1].Mean, w)
	}
	// two categories: TV = |p1 - p2|, whose null is |N(0, p(1-p)(1/n1 + 1/n2))|, of
	// mean sqrt(2/pi) sigma
	sigma := math.Sqrt(0.3 * 0.7 * (1.0/2000 + 1.0/1000))
	tv := NullCounts([]float64{600, 1400}, []float64{300, 700}, 4000, rng, TotalVariation)
	if !closeTo(tv.Mean, math.Sqrt(2/math.Pi)*sigma, 0.05, 0) {
		t.Errorf("NullCounts(TV) mean %v, want %v", tv.Mean, math.Sqrt(2/math.Pi)*sigma)
	}
	// the share difference itself: mean 0, SD sigma
	sd := NullCounts([]float64{600, 1400}, []float64{300, 700}, 4000, rng, func(a, b []float64) float64 {
		return b[0]/(b[0]+b[1]) - a[0]/(a[0]+a[1])
	})
	if !closeTo(sd.Mean, 0, 0, 0.1*sigma) || !closeTo(sd.SD, sigma, 0.05, 0) {
		t.Errorf("NullCounts(share difference) = %+v, want mean 0, SD %v", sd, sigma)
	}
}

func BenchmarkPermutationSorted(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	r := make([]float64, 2000)
	c := make([]float64, 2000)
	for i := range r {
		r[i], c[i] = rng.NormFloat64(), rng.NormFloat64()+0.1
	}
	slices.Sort(r)
	slices.Sort(c)
	tail := func(a, b []float64) float64 { return QuantileShift(a, b, 0.95, 0.995) }
	b.ReportAllocs()
	for b.Loop() {
		PermutationSorted(r, c, 200, rng, Wasserstein, tail)
	}
}
