package stats

import "math"

// Empty-bin replacement of FillEmpty (DESIGN.md, psi).
const (
	fillShare   = 1e-4 // replacement for an empty bin
	fillDivisor = 1e6  // ...or min nonzero share / 1e6 when that share <= 1e-4
)

// fillValue returns the value FillEmpty gives empty bins of shares p (0 if
// p has no nonzero share: nothing to fill from).
func fillValue(p []float64) float64 {
	m := math.Inf(1)
	for _, v := range p {
		if v != 0 {
			m = min(m, v)
		}
	}
	switch {
	case math.IsInf(m, 1):
		return 0
	case m <= fillShare:
		return m / fillDivisor
	}
	return fillShare
}

// FillEmpty appends to dst the shares p with every zero share replaced by
// 1e-4, or by (min nonzero share)/1e6 when that minimum is <= 1e-4, and
// returns the extended slice. Each sample is filled on its own (call it once
// per side); the shares are not renormalised. If p has no nonzero share it is
// appended unchanged.
func FillEmpty(dst, p []float64) []float64 {
	f := fillValue(p)
	for _, v := range p {
		if v == 0 {
			v = f
		}
		dst = append(dst, v)
	}
	return dst
}

// checkBins panics on count vectors of different lengths.
func checkBins(ref, cur []float64) {
	if len(ref) != len(cur) {
		panic("stats: bin count mismatch")
	}
}

// sum returns the sum of counts in order.
func sum(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s += v
	}
	return s
}

// filledShare returns, for counts c with total n and empty-bin value f,
// the filled share of bin i.
func filledShare(c, n, f float64) float64 {
	if c == 0 {
		return f
	}
	return c / n
}

// sharesFill returns the totals of ref and cur and the fill values of their
// shares, without allocating.
func sharesFill(ref, cur []float64) (nr, nc, fr, fc float64) {
	nr, nc = sum(ref), sum(cur)
	mr, mc := math.Inf(1), math.Inf(1)
	for i := range ref {
		if ref[i] != 0 {
			mr = min(mr, ref[i]/nr)
		}
		if cur[i] != 0 {
			mc = min(mc, cur[i]/nc)
		}
	}
	fr, fc = fillShare, fillShare
	if mr <= fillShare {
		fr = mr / fillDivisor
	}
	if mc <= fillShare {
		fc = mc / fillDivisor
	}
	return nr, nc, fr, fc
}

// PSI returns the population stability index of two count vectors over the
// same bins,
//
//	PSI = sum_i (r_i - c_i) ln(r_i / c_i),
//
// with r and c the shares (counts over totals) after FillEmpty. It panics if
// len(ref) != len(cur); it is NaN if either total is 0. Sums are in numpy's
// order, as all the distances here.
func PSI(ref, cur []float64) float64 {
	checkBins(ref, cur)
	nr, nc, fr, fc := sharesFill(ref, cur)
	if nr == 0 || nc == 0 {
		return math.NaN()
	}
	return npSum(len(ref), func(i int) float64 {
		r, c := filledShare(ref[i], nr, fr), filledShare(cur[i], nc, fc)
		return (r - c) * math.Log(r/c)
	})
}

// KL returns the Kullback–Leibler divergence KL(ref ‖ cur) in nats of two
// count vectors over the same bins, as scipy.stats.entropy(r, c) on the
// FillEmpty'd shares (which entropy renormalises):
//
//	KL = sum_i p_i ln(p_i / q_i),  p = r/sum(r), q = c/sum(c).
//
// It panics if len(ref) != len(cur); it is NaN if either total is 0.
func KL(ref, cur []float64) float64 {
	checkBins(ref, cur)
	nr, nc, fr, fc := sharesFill(ref, cur)
	if nr == 0 || nc == 0 {
		return math.NaN()
	}
	sr := npSum(len(ref), func(i int) float64 { return filledShare(ref[i], nr, fr) })
	sc := npSum(len(cur), func(i int) float64 { return filledShare(cur[i], nc, fc) })
	return npSum(len(ref), func(i int) float64 {
		return relEntr(filledShare(ref[i], nr, fr)/sr, filledShare(cur[i], nc, fc)/sc)
	})
}

// relEntr is scipy.special.rel_entr: x ln(x/y), 0 for x == 0 <= y, +Inf else.
func relEntr(x, y float64) float64 {
	switch {
	case math.IsNaN(x) || math.IsNaN(y):
		return math.NaN()
	case x > 0 && y > 0:
		return x * math.Log(x/y)
	case x == 0 && y >= 0:
		return 0
	}
	return math.Inf(1)
}

// JensenShannon returns the Jensen–Shannon distance (natural log) of two
// count vectors over the same bins, as scipy.spatial.distance.jensenshannon
// on the shares, no fill:
//
//	JS = sqrt((KL(p ‖ m) + KL(q ‖ m)) / 2),  m = (p + q) / 2,
//
// in [0, sqrt(ln 2)]. A sum that rounding makes slightly negative gives 0
// (SciPy would return NaN). It panics if len(ref) != len(cur); it is NaN if
// either total is 0.
func JensenShannon(ref, cur []float64) float64 {
	checkBins(ref, cur)
	nr, nc := sum(ref), sum(cur)
	if nr == 0 || nc == 0 {
		return math.NaN()
	}
	// jensenshannon renormalises the shares it is given: p = s / sum(s).
	sr := npSum(len(ref), func(i int) float64 { return ref[i] / nr })
	sc := npSum(len(cur), func(i int) float64 { return cur[i] / nc })
	p := func(i int) float64 { return ref[i] / nr / sr }
	q := func(i int) float64 { return cur[i] / nc / sc }
	left := npSum(len(ref), func(i int) float64 { return relEntr(p(i), (p(i)+q(i))/2) })
	right := npSum(len(ref), func(i int) float64 { return relEntr(q(i), (p(i)+q(i))/2) })
	js := (left + right) / 2
	if js < 0 {
		js = 0
	}
	return math.Sqrt(js)
}

// Hellinger returns the Hellinger distance of two count vectors over the same
// bins, on the shares p and q, no fill:
//
//	H = sqrt(1 - sum_i sqrt(p_i q_i)) = sqrt(sum_i (sqrt(p_i) - sqrt(q_i))^2 / 2),
//
// clipped to [0, 1]. It is computed in the second form, which has no
// cancellation: identical inputs give exactly 0 where the first form (as
// gen_vectors.py writes it) leaves about 1e-8 from the rounding of sum p_i;
// elsewhere the two agree to ~1e-15. It panics if len(ref) != len(cur); it is
// NaN if either total is 0.
func Hellinger(ref, cur []float64) float64 {
	checkBins(ref, cur)
	nr, nc := sum(ref), sum(cur)
	if nr == 0 || nc == 0 {
		return math.NaN()
	}
	h2 := npSum(len(ref), func(i int) float64 {
		d := math.Sqrt(ref[i]/nr) - math.Sqrt(cur[i]/nc)
		return d * d
	})
	if math.IsNaN(h2) {
		return math.NaN()
	}
	return math.Sqrt(min(max(h2/2, 0), 1))
}
