package stats

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func sortedNormal(r *rand.Rand, n int, mu, sd float64) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = mu + sd*r.NormFloat64()
	}
	slices.Sort(x)
	return x
}

// TestWeighted_UnitWeights: with unit weights the weighted methods are the
// exact ones (same definitions; tie-free data for Cramér–von Mises, whose
// midranks only matter with ties).
func TestWeighted_UnitWeights(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 2))
	for _, n := range [][2]int{{15, 18}, {300, 500}, {12000, 9000}} {
		a := sortedNormal(r, n[0], 0, 1)
		b := sortedNormal(r, n[1], 0.2, 1.1)
		d, p := KS(a, b, KSAuto)
		wd, wp := WeightedKS(a, nil, b, nil)
		if relErr(wd, d) > 1e-12 || relErr(wp, p) > 1e-9 {
			t.Errorf("n=%v: WeightedKS = %v, %v, want %v, %v (KS)", n, wd, wp, d, p)
		}
		if got, want := WeightedWasserstein(a, nil, b, nil), Wasserstein(a, b); relErr(got, want) > 1e-12 {
			t.Errorf("n=%v: WeightedWasserstein = %v, want %v", n, got, want)
		}
		if got, want := WeightedEnergy(a, nil, b, nil), Energy(a, b); relErr(got, want) > 1e-12 {
			t.Errorf("n=%v: WeightedEnergy = %v, want %v", n, got, want)
		}
		s, ps := CramerVonMises(a, b)
		ws, wps := WeightedCramerVonMises(a, nil, b, nil)
		if relErr(ws, s) > 1e-9 || math.Abs(wps-ps) > 1e-9 {
			t.Errorf("n=%v: WeightedCramerVonMises = %v, %v, want %v, %v", n, ws, wps, s, ps)
		}
		// the same samples as explicit unit weights take the weighted code path
		ones := func(n int) []float64 {
			w := make([]float64, n)
			for i := range w {
				w[i] = 1
			}
			return w
		}
		as, ap := AndersonDarling(a, b)
		was, wap := WeightedAndersonDarling(a, ones(len(a)), b, ones(len(b)))
		if relErr(was, as) > 1e-9 || relErr(wap, ap) > 1e-6 {
			t.Errorf("n=%v: WeightedAndersonDarling = %v, %v, want %v, %v", n, was, wap, as, ap)
		}
		ws2, _ := WeightedCramerVonMises(a, ones(len(a)), b, ones(len(b)))
		if relErr(ws2, s) > 1e-9 {
			t.Errorf("n=%v: WeightedCramerVonMises(ones) = %v, want %v", n, ws2, s)
		}
	}
}

// TestWeighted_Sketch: the rank methods on the items of two sketches of 10^6
// values each stay within the bounds of the package comment.
func TestWeighted_Sketch(t *testing.T) {
	if testing.Short() {
		t.Skip("1M-value sketches")
	}
	r := rand.New(rand.NewPCG(4, 4))
	const n = 1_000_000
	a := sortedNormal(r, n, 0, 1)
	b := sortedNormal(r, n, 0.05, 1)
	// shuffle the arrival order so that the sketch compacts unsorted buffers
	sa, sb := NewQuantileSketch(), NewQuantileSketch()
	pa, pb := slices.Clone(a), slices.Clone(b)
	r.Shuffle(n, func(i, j int) { pa[i], pa[j] = pa[j], pa[i] })
	r.Shuffle(n, func(i, j int) { pb[i], pb[j] = pb[j], pb[i] })
	sa.Add(pa)
	sb.Add(pb)
	e := sa.RankErrorBound() + sb.RankErrorBound()
	if e == 0 || e > 2*SketchEpsilon {
		t.Fatalf("bounds %v + %v", sa.RankErrorBound(), sb.RankErrorBound())
	}
	va, wa := sa.Items()
	vb, wb := sb.Items()
	d, _ := KS(a, b, KSAsymp)
	wd, _ := WeightedKS(va, wa, vb, wb)
	if math.Abs(wd-d) > e {
		t.Errorf("KS D = %v from sketches, %v exact: off by more than %v", wd, d, e)
	}
	span := max(a[n-1], b[n-1]) - min(a[0], b[0])
	w1, ww1 := Wasserstein(a, b), WeightedWasserstein(va, wa, vb, wb)
	if math.Abs(ww1-w1) > e*span {
		t.Errorf("W1 = %v from sketches, %v exact: off by more than %v", ww1, w1, e*span)
	}
	en, wen := Energy(a, b), WeightedEnergy(va, wa, vb, wb)
	if math.Abs(wen-en) > math.Sqrt(4*e*span) {
		t.Errorf("energy = %v from sketches, %v exact", wen, en)
	}
	cv, _ := CramerVonMises(a, b)
	wcv, _ := WeightedCramerVonMises(va, wa, vb, wb)
	if math.Abs(wcv-cv) > 4*e*n/2 {
		t.Errorf("CvM T = %v from sketches, %v exact", wcv, cv)
	}
	t.Logf("bound %.5f: D %.6f vs %.6f, W1 %.6f vs %.6f, energy %.6f vs %.6f, CvM %.3f vs %.3f", e, wd, d, ww1, w1, wen, en, wcv, cv)
}

func TestWeighted_Panics(t *testing.T) {
	for name, f := range map[string]func(){
		"empty":   func() { WeightedKS(nil, nil, []float64{1}, nil) },
		"lengths": func() { WeightedWasserstein([]float64{1, 2}, []float64{1}, []float64{1}, nil) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("did not panic")
				}
			}()
			f()
		})
	}
	if s, p := WeightedAndersonDarling([]float64{1}, []float64{3}, []float64{1}, []float64{2}); !math.IsNaN(s) || !math.IsNaN(p) {
		t.Errorf("AD of one value = %v, %v, want NaN", s, p)
	}
}
