package stats

import "math"

// Effect sizes and tests against a threshold ("the effect is larger than t"), for
// verdicts that separate negligible from material change at any sample size.

// QuantileShift returns the mean distance between the quantile functions of two
// sorted samples over the levels [lo, hi]: with Q_r and Q_c the empirical quantile
// functions (the inverse of the ECDF, numpy's quantile method 'inverted_cdf':
// Q(u) = x[ceil(u n) - 1], Q(0) = x[0]),
//
//	QuantileShift = (1/(hi - lo)) ∫_lo^hi |Q_c(u) - Q_r(u)| du.
//
// Over [0, 1] it is the Wasserstein distance; over a tail, e.g. [0.95, 0.995], it
// measures a change of that tail alone: a shift by d gives d, a change of the top 5%
// only gives a twentieth of it to Wasserstein but all of it here. Leaving out the
// outermost levels keeps it a smooth statistic (its sampling noise falls as 1/sqrt(n)
// even for heavy tails). It is exact (the integrand is a step function) and costs
// O((hi - lo)(n1 + n2)). ref and cur must be sorted ascending, finite and non-empty,
// and 0 <= lo < hi <= 1, else it panics.
func QuantileShift(ref, cur []float64, lo, hi float64) float64 {
	if len(ref) == 0 || len(cur) == 0 {
		panic("stats: QuantileShift of an empty sample")
	}
	if !(lo >= 0 && lo < hi && hi <= 1) {
		panic("stats: QuantileShift needs 0 <= lo < hi <= 1")
	}
	return quantileL1(ref, cur, lo, hi) / (hi - lo)
}

// quantileL1 returns ∫_lo^hi |Q_c(u) - Q_r(u)| du for the 'inverted_cdf' quantile
// functions of the sorted samples r and c (0 <= lo < hi <= 1). On (i/n, (i+1)/n],
// Q_r = r[i]; the walk visits the union of both samples' breakpoints in [lo, hi],
// comparing them as integers (i+1)/n < (j+1)/m  <=>  (i+1) m < (j+1) n.
func quantileL1(r, c []float64, lo, hi float64) float64 {
	n, m := len(r), len(c)
	i := min(int(lo*float64(n)), n-1) // Q_r just above lo
	j := min(int(lo*float64(m)), m-1)
	u := lo
	var s float64
	for u < hi {
		bi := float64(i+1) / float64(n)
		bj := float64(j+1) / float64(m)
		if next := math.Min(math.Min(bi, bj), hi); next > u {
			s += math.Abs(c[j]-r[i]) * (next - u)
			u = next
		}
		ri, rj := int64(i+1)*int64(m), int64(j+1)*int64(n)
		switch {
		case ri < rj:
			i++
		case rj < ri:
			j++
		default:
			i++
			j++
		}
		if i >= n || j >= m {
			break
		}
	}
	return s
}

// TotalVariation returns the total variation distance between two histograms over
// the same bins, normalised to shares,
//
//	TV = (1/2) sum_i |r_i/R - c_i/C|,  R = sum r, C = sum c,
//
// the share of the mass that would have to move to turn one into the other (0 to 1).
// It panics if len(ref) != len(cur); it is NaN if a total is not positive.
func TotalVariation(ref, cur []float64) float64 {
	checkBins(ref, cur)
	var R, C float64
	for i := range ref {
		R += ref[i]
		C += cur[i]
	}
	if !(R > 0 && C > 0) {
		return math.NaN()
	}
	var s float64
	for i := range ref {
		s += math.Abs(ref[i]/R - cur[i]/C)
	}
	return s / 2
}

// AboveP returns the one-sided p-value of the hypothesis "the effect is at most
// threshold" for an estimate with standard error se, from the normal approximation
//
//	p = P(Z > (effect - threshold) / se).
//
// With se = 0 (an estimate without sampling noise) it is 0 when effect > threshold
// and 1 otherwise; NaN inputs give NaN.
func AboveP(effect, se, threshold float64) float64 {
	switch {
	case math.IsNaN(effect) || math.IsNaN(se) || math.IsNaN(threshold):
		return math.NaN()
	case se <= 0 || math.IsInf(effect, 1):
		if effect > threshold {
			return 0
		}
		return 1
	}
	return NormalSF((effect - threshold) / se)
}

// ProportionRise tests whether a share rose by more than margin: x1 of n1 events in
// the reference, x2 of n2 in the current sample,
//
//	d = x2/n2 - x1/n1,  se = sqrt(p1 (1-p1)/n1 + p2 (1-p2)/n2),
//	p = P(Z > (d - margin)/se)   (Wald test of H0: p2 - p1 <= margin),
//
// so that p is small only when the rise is surely larger than margin. It returns d
// and p (see AboveP for se = 0); NaN, NaN if n1 or n2 is not positive.
func ProportionRise(x1, n1, x2, n2, margin float64) (d, p float64) {
	if !(n1 > 0 && n2 > 0) {
		return math.NaN(), math.NaN()
	}
	p1, p2 := x1/n1, x2/n2
	se := math.Sqrt(p1*(1-p1)/n1 + p2*(1-p2)/n2)
	d = p2 - p1
	return d, AboveP(d, se, margin)
}

// ProportionAbove tests whether a share x/n exceeds margin, by the Wald test of
// H0: share <= margin, p = P(Z > (x/n - margin)/sqrt(p (1-p)/n)). It returns the
// share and p (see AboveP for a share of 0 or 1); NaN, NaN if n is not positive.
func ProportionAbove(x, n, margin float64) (share, p float64) {
	if !(n > 0) {
		return math.NaN(), math.NaN()
	}
	share = x / n
	return share, AboveP(share, math.Sqrt(share*(1-share)/n), margin)
}
