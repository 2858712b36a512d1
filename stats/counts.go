package stats

import (
	"math"

	"gonum.org/v1/gonum/mathext"
)

// ChiSquareSF returns the survival function of the chi-square distribution
// with k degrees of freedom, P(X > x) = Q(k/2, x/2) (the regularized upper
// incomplete gamma function), as scipy.stats.chi2.sf: 0 at x = +Inf, NaN for
// k <= 0.
func ChiSquareSF(x, k float64) float64 {
	switch {
	case math.IsNaN(x) || !(k > 0):
		return math.NaN()
	case math.IsInf(x, 1):
		return 0
	case x <= 0:
		return 1
	}
	return mathext.GammaIncRegComp(k/2, x/2)
}

// NormalSF returns the standard normal survival function P(Z > z) =
// erfc(z/sqrt(2))/2, as scipy.stats.norm.sf.
func NormalSF(z float64) float64 {
	return 0.5 * math.Erfc(z/math.Sqrt2)
}

// Chi2Contingency returns Pearson's chi-square test of homogeneity on the 2×k
// table whose rows are the reference and current counts, as
// scipy.stats.chi2_contingency([ref, cur], correction=False):
//
//	E_ij = R_i C_j / T,  stat = sum_ij (O_ij - E_ij)^2 / E_ij,  dof = k - 1,
//	p = P(chi2_dof > stat).
//
// Categories whose total count is 0 are dropped first (SciPy raises on a zero
// expected frequency; such a column carries no information). With fewer than
// 2 categories left the result is 0, 1, 0. It panics if len(ref) != len(cur);
// it is NaN, NaN, dof if a row total is 0.
func Chi2Contingency(ref, cur []float64) (stat, p float64, dof int) {
	checkBins(ref, cur)
	var r0, r1 float64
	k := 0
	for i := range ref {
		if ref[i]+cur[i] != 0 {
			k++
			r0 += ref[i]
			r1 += cur[i]
		}
	}
	if k < 2 {
		return 0, 1, 0
	}
	dof = k - 1
	if r0 == 0 || r1 == 0 {
		return math.NaN(), math.NaN(), dof
	}
	t := r0 + r1
	// SciPy sums the 2×k terms row by row.
	for row, obs := range [2][]float64{ref, cur} {
		rs := r0
		if row == 1 {
			rs = r1
		}
		for i := range obs {
			c := ref[i] + cur[i]
			if c == 0 {
				continue
			}
			e := rs * c / t
			d := obs[i] - e
			stat += d * d / e
		}
	}
	return stat, ChiSquareSF(stat, float64(dof)), dof
}

// Chi2GOF returns Evidently's chi-square goodness-of-fit test of the current
// counts against the reference shares scaled to the current total, as
// scipy.stats.chisquare(cur, ref*sum(cur)/sum(ref)):
//
//	E_i = r_i * sum(c) / sum(r),  stat = sum_i (c_i - E_i)^2 / E_i,
//	p = P(chi2_{k-1} > stat).
//
// A category with c_i > 0 and r_i == 0 (new in current) gives stat = +Inf and
// p = 0. Categories empty on both sides are dropped; with fewer than 2 left
// the result is 0, 1. It panics if len(ref) != len(cur); it is NaN, NaN if a
// total is 0.
func Chi2GOF(ref, cur []float64) (stat, p float64) {
	checkBins(ref, cur)
	var sr, sc float64
	k := 0
	for i := range ref {
		if ref[i] != 0 || cur[i] != 0 {
			k++
		}
		sr += ref[i]
		sc += cur[i]
	}
	if k < 2 {
		return 0, 1
	}
	if sr == 0 || sc == 0 {
		return math.NaN(), math.NaN()
	}
	scale := sc / sr
	for i := range ref {
		if ref[i] == 0 && cur[i] == 0 {
			continue
		}
		e := ref[i] * scale
		d := cur[i] - e
		stat += d * d / e // +Inf when e == 0 < cur[i]
	}
	return stat, ChiSquareSF(stat, float64(k-1))
}

// ZTest returns the pooled two-proportion z-test of x1 successes in n1 trials
// against x2 in n2, two-sided:
//
//	p1 = x1/n1, p2 = x2/n2, P = (p1 n1 + p2 n2)/(n1 + n2),
//	z = (p1 - p2) / sqrt(P (1-P) (1/n1 + 1/n2)),  p = 2 P(Z > |z|).
//
// When P is 0 or 1 (no variation) it returns 0, 1. It is NaN, NaN if n1 or
// n2 is not positive.
func ZTest(n1, x1, n2, x2 float64) (z, p float64) {
	if !(n1 > 0 && n2 > 0) {
		return math.NaN(), math.NaN()
	}
	p1, p2 := x1/n1, x2/n2
	P := (p1*n1 + p2*n2) / (n1 + n2)
	if P == 0 || P == 1 {
		return 0, 1
	}
	z = (p1 - p2) / math.Sqrt(P*(1-P)*(1/n1+1/n2))
	return z, 2 * NormalSF(math.Abs(z))
}
