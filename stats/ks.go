package stats

import (
	"math"
)

// KSMethod selects how KS computes its p-value.
type KSMethod int

const (
	// KSAuto is exact when max(n1, n2) <= 10000, else asymptotic (SciPy's 'auto').
	KSAuto KSMethod = iota
	// KSExact is exact unless lcm(n1, n2) does not fit an int32 (SciPy's 'exact').
	KSExact
	// KSAsymp is the asymptotic distribution (SciPy's 'asymp').
	KSAsymp
)

// ksMaxAutoN is SciPy's MAX_AUTO_N: 'auto' is exact up to this sample size.
const ksMaxAutoN = 10000

// KS returns the two-sided two-sample Kolmogorov–Smirnov statistic
//
//	D = max_x |F_ref(x) - F_cur(x)|
//
// over the empirical CDFs, and its p-value, as scipy.stats.ks_2samp(ref, cur,
// alternative='two-sided', method=m) computes them (SciPy 1.10):
//
//   - exact: D is rounded to h/lcm(n1, n2) and p = P(D_{n1,n2} >= D) is the
//     lattice-path count of Hodges (1958): for n1 == n2 the alternating
//     binomial sum of _compute_prob_outside_square, else the "inside method"
//     with Viehmann's recursion for 1-p (_compute_outer_prob_inside_method);
//     O(n) for n1 == n2, O(D*n1*n2) otherwise;
//   - asymptotic: p = kstwo.sf(D, round(n1*n2/(n1+n2))), the exact
//     one-sample Kolmogorov distribution at the effective sample size
//     (Simard & L'Ecuyer 2011: Durbin matrix, Pomeranz, Pelz–Good or
//     Smirnov's one-sided sum, as SciPy's _kolmogn chooses).
//
// KSAuto is exact iff max(n1, n2) <= 10000; KSExact switches to asymptotic
// when lcm(n1, n2) would overflow an int32; an exact computation that does
// not yield a probability in [0, 1] falls back to asymptotic, all as SciPy.
// KSAsymp with n1 = n2 = 1 gives p = NaN, as SciPy: the effective size
// round(1/2) is 0.
//
// ref and cur must be sorted ascending and finite; KS panics if either is
// empty. The statistic is computed in one O(n1+n2) merge walk.
func KS(ref, cur []float64, m KSMethod) (d, p float64) {
	n1, n2 := len(ref), len(cur)
	if n1 == 0 || n2 == 0 {
		panic("stats: KS of an empty sample")
	}
	d = ksStat(ref, cur)

	exact := false
	switch m {
	case KSAuto:
		exact = max(n1, n2) <= ksMaxAutoN
	case KSExact:
		g := gcd(n1, n2)
		exact = !(float64(n1/g) >= float64(math.MaxInt32)/float64(n2/g))
	case KSAsymp:
	default:
		panic("stats: unknown KSMethod")
	}
	if exact {
		var ok bool
		d, p, ok = ksExact(n1, n2, d)
		if ok {
			return d, p
		}
	}
	return d, ksAsymp(n1, n2, d)
}

// ksStat returns max |i/n1 - j/n2| over the merged sorted samples, computed
// like SciPy (cdf1 - cdf2 after each run of equal values, max and -min
// compared), in a branchless merge walk: one step per value, the difference
// recorded only where the next value differs.
func ksStat(a, b []float64) float64 {
	n1, n2 := float64(len(a)), float64(len(b))
	total := len(a) + len(b)
	var maxS, minS float64
	i, j := 0, 0
	x1, x2 := a[0], b[0]
	for k := 0; k < total; k++ {
		x := x2
		t := 0
		if x1 <= x2 {
			x = x1
			t = 1
		}
		i += t
		j += 1 - t
		x1, x2 = at(a, i), at(b, j)
		next := x2
		if x1 <= x2 {
			next = x1
		}
		diff := float64(i)/n1 - float64(j)/n2
		if next == x {
			diff = 0 // inside a run of ties: not an ECDF value
		}
		maxS = max(maxS, diff)
		minS = min(minS, diff)
	}
	minS = -minS
	if minS > maxS {
		return minS
	}
	return maxS
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// ksExact is SciPy's _attempt_exact_2kssamp for the two-sided alternative: it
// returns the statistic rounded to the lattice, the exact p-value and whether
// that p-value is a probability.
func ksExact(n1, n2 int, d float64) (float64, float64, bool) {
	g := gcd(n1, n2)
	lcm := (n1 / g) * n2
	h := int(math.RoundToEven(d * float64(lcm)))
	d = float64(h) / float64(lcm)
	if h == 0 {
		return d, 1, true
	}
	var p float64
	if n1 == n2 {
		p = ksProbOutsideSquare(n1, h)
	} else {
		p = ksOuterProbInside(n1, n2, g, h)
	}
	if !(p >= 0 && p <= 1) {
		return d, p, false
	}
	return d, p, true
}

// ksProbOutsideSquare returns P(D_{n,n} >= h/n), the share of lattice paths
// leaving the band |x-y| < h:
//
//	P = 2 * sum_{k>=1} (-1)^(k+1) C(2n, n-kh) / C(2n, n),
//
// evaluated in SciPy's Horner form P = 2 A_1 (1 - A_2 (1 - A_3 (...))) with
// each ratio A_k a product of h terms (no cancellation). O(n + h).
func ksProbOutsideSquare(n, h int) float64 {
	P := 0.0
	for k := n / h; k >= 0; k-- {
		p1 := 1.0
		for j := range h {
			p1 = float64(n-k*h-j) * p1 / float64(n+k*h+j+1)
		}
		P = p1 * (1 - P)
	}
	return 2 * P
}

// ksOuterProbInside returns 1 - (number of lattice paths from (0,0) to (m,n)
// with |x/m - y/n| < h/lcm(m,n)) / C(m+n, n), with Viehmann's (2021) recursion
// that carries 1-p directly, over a sliding window of one column (SciPy's
// _compute_outer_prob_inside_method). O(m * window) = O(D*m*n).
func ksOuterProbInside(m, n, g, h int) float64 {
	if m < n {
		m, n = n, m
	}
	mg, ng := m/g, n/g
	minj, maxj := 0, min(ceilDiv(h, mg), n+1)
	curlen := maxj - minj
	lenA := min(2*maxj+2, n+1)
	A := make([]float64, lenA)
	for j := range A {
		A[j] = 1
	}
	for j := minj; j < maxj && j < lenA; j++ {
		A[j] = 0
	}
	for i := 1; i <= m; i++ {
		lastminj, lastlen := minj, curlen
		minj = min(max(floorDiv(ng*i-h, mg)+1, 0), n)
		maxj = min(ceilDiv(ng*i+h, mg), n+1)
		if maxj <= minj {
			return 1
		}
		val := 1.0
		if minj == 0 {
			val = 0
		}
		fi := float64(i)
		for jj := range maxj - minj {
			j := jj + minj
			val = (A[jj+minj-lastminj]*fi + val*float64(j)) / float64(i+j)
			A[jj] = val
		}
		curlen = maxj - minj
		if lastlen > curlen {
			// Carried-over entries above the window are paths already out: 1.
			for j := maxj - minj; j < maxj-minj+lastlen-curlen && j < lenA; j++ {
				A[j] = 1
			}
		}
	}
	return A[maxj-minj-1]
}

// floorDiv returns floor(a/b) for b > 0.
func floorDiv(a, b int) int {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

// ceilDiv returns ceil(a/b) for b > 0.
func ceilDiv(a, b int) int {
	return -floorDiv(-a, b)
}

// ksAsymp is SciPy's two-sided asymptotic p-value: the one-sample Kolmogorov
// distribution at the effective sample size round(n1*n2/(n1+n2)).
func ksAsymp(n1, n2 int, d float64) float64 {
	m, n := float64(max(n1, n2)), float64(min(n1, n2))
	en := m * n / (m + n)
	return kstwoSF(d, math.RoundToEven(en))
}

// kstwoSF is scipy.stats.kstwo.sf(d, n): P(D_n >= d) for the two-sided
// one-sample Kolmogorov–Smirnov statistic D_n, with the support handling of
// rv_continuous (1 below 0.5/n, 0 from 1 on, NaN for a non-positive n).
func kstwoSF(d, n float64) float64 {
	if !(n >= 1) || n != math.Trunc(n) || math.IsNaN(d) {
		return math.NaN()
	}
	switch {
	case d <= 0.5/n:
		return 1
	case d >= 1:
		return 0
	}
	return kolmogn(int(n), d, false)
}
