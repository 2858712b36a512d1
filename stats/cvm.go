package stats

import (
	"math"
	"math/big"
	"slices"
)

// cvmMaxExactN is SciPy's 'auto' switch: exact p-values when both samples
// have at most this many observations.
const cvmMaxExactN = 20

// CramerVonMises returns the two-sample Cramér–von Mises statistic T and its
// p-value as scipy.stats.cramervonmises_2samp(ref, cur, method='auto')
// computes them (SciPy 1.10). With r_i and s_j the midranks in the pooled
// sample of the sorted ref (size n) and cur (size m) values, N = n+m,
//
//	U = n sum_i (r_i - i)^2 + m sum_j (s_j - j)^2
//	T = U / (n m N) - (4 n m - 1) / (6 N)
//
// (Anderson 1962). The p-value is exact when max(n, m) <= 20 (the frequency
// table of Xiao, Gordon & Yakovlev 2006 over all C(N, n) rank arrangements),
// else T is standardised with its exact mean and variance and referred to the
// limiting distribution of the one-sample statistic (Csörgő & Faraway 1996),
// p = max(0, 1 - F_inf(tn)), 1 when tn < 0.003.
//
// ref and cur must be sorted ascending and finite; CramerVonMises panics if
// either is empty and returns NaN, NaN when either has a single value (SciPy
// raises). The statistic is one O(n+m) merge walk.
func CramerVonMises(ref, cur []float64) (stat, p float64) {
	nx, ny := len(ref), len(cur)
	if nx == 0 || ny == 0 {
		panic("stats: CramerVonMises of an empty sample")
	}
	if nx <= 1 || ny <= 1 {
		return math.NaN(), math.NaN()
	}
	// Sum of squared rank displacements per sample, midranks for ties, in a
	// branchless merge walk: a run of equal values holding ref positions
	// i0+1..i and cur positions j0+1..j has pooled midrank r with
	// 2r = i0+j0+1+i+j, and sum_{q=i0+1}^{i} (r-q)^2 = cvmRun(i-i0, 2r-2*i0).
	var sx, sy float64
	i, j, i0, j0 := 0, 0, 0, 0
	a, b := ref[0], cur[0]
	prev := math.Inf(-1)
	for range nx + ny {
		x := b
		t := 0
		if a <= b {
			x = a
			t = 1
		}
		if x != prev {
			i0, j0 = i, j
		}
		prev = x
		i += t
		j += 1 - t
		a, b = at(ref, i), at(cur, j)
		next := b
		if a <= b {
			next = a
		}
		r2 := i0 + j0 + 1 + i + j
		tx := cvmRun(i-i0, r2-2*i0)
		ty := cvmRun(j-j0, r2-2*j0)
		if next == x {
			tx, ty = 0, 0 // the run goes on
		}
		sx += tx
		sy += ty
	}
	u := float64(nx)*sx + float64(ny)*sy
	k, N := nx*ny, nx+ny
	bn := func(v int) *big.Int { return big.NewInt(int64(v)) }
	// Python ints in SciPy: k*N and the fraction are exact, then rounded once.
	kN, _ := new(big.Float).SetInt(new(big.Int).Mul(bn(k), bn(N))).Float64()
	frac, _ := new(big.Rat).SetFrac(new(big.Int).Sub(new(big.Int).Mul(bn(4), bn(k)), bn(1)), new(big.Int).Mul(bn(6), bn(N))).Float64()
	stat = u/kN - frac

	if max(nx, ny) <= cvmMaxExactN {
		return stat, cvmExactP(u, nx, ny)
	}
	fN := float64(N)
	et := (1 + 1/fN) / 6
	// vt = (N+1)(4kN - 3(nx^2+ny^2) - 2k) / (45 N^2 4k), exact integers as in
	// SciPy (Python ints), then rounded once.
	num := new(big.Int).Mul(bn(k), bn(N))
	num.Mul(num, bn(4))
	t2 := new(big.Int).Add(new(big.Int).Mul(bn(nx), bn(nx)), new(big.Int).Mul(bn(ny), bn(ny)))
	num.Sub(num, t2.Mul(t2, bn(3)))
	num.Sub(num, bn(2*k))
	num.Mul(num, bn(N+1))
	den := new(big.Int).Mul(bn(N), bn(N))
	den.Mul(den, bn(45*4))
	den.Mul(den, bn(k))
	vt, _ := new(big.Rat).SetFrac(num, den).Float64()
	tn := 1.0/6 + (stat-et)/math.Sqrt(45*vt)
	if tn < 0.003 {
		return stat, 1
	}
	return stat, max(0, 1-cvmCDFInf(tn))
}

// cvmRun returns sum_{t=1}^{c} ((A - 2t)/2)^2, the squared displacements of
// c consecutive ranks from a midrank (A as in CramerVonMises):
//
//	(c A^2 - 2 A c (c+1) + 4 c (c+1) (2c+1) / 6) / 4,
//
// exact while the terms stay below 2^53 (c = 1, no ties: ((A-2)/2)^2).
func cvmRun(c, A int) float64 {
	fc, fa := float64(c), float64(A)
	sq := c * (c + 1) * (2*c + 1) / 6
	return (fc*fa*fa - 2*fa*fc*float64(c+1) + 4*float64(sq)) / 4
}

// cvmCDFInf is the limiting CDF of the one-sample Cramér–von Mises statistic
// (Csörgő & Faraway 1996, eq. 1.2),
//
//	F(x) = 1/(pi sqrt(x)) sum_k Gamma(k+1/2)/(Gamma(1/2) k!) sqrt(4k+1)
//	       exp(-(4k+1)^2/(16x)) K_{1/4}((4k+1)^2/(16x)),
//
// summed, as SciPy's _cdf_cvm_inf, until a term is below 1e-7 (that term
// included).
func cvmCDFInf(x float64) float64 {
	tot := 0.0
	for k := 0; ; k++ {
		lg1, _ := math.Lgamma(float64(k) + 0.5)
		lg2, _ := math.Lgamma(float64(k) + 1)
		u := math.Exp(lg1-lg2) / (math.Pow(math.Pi, 1.5) * math.Sqrt(x))
		y := float64(4*k + 1)
		q := y * y / (16 * x)
		z := u * math.Sqrt(y) * math.Exp(-q) * besselK(0.25, q)
		tot += z
		if !(math.Abs(z) >= 1e-7) {
			return tot
		}
	}
}

// besselK returns the modified Bessel function of the second kind K_nu(x)
// for x > 0, |nu| < 1/2 + a little: for x >= 25 by its asymptotic series
// sqrt(pi/(2x)) e^-x sum_k a_k(nu)/x^k (terms summed while they shrink),
// below by the trapezoidal rule on K_nu(x) = int_0^inf exp(-x cosh t) cosh(nu t) dt,
// whose error decays like exp(-pi^2/h) for this analytic integrand.
func besselK(nu, x float64) float64 {
	if !(x > 0) {
		if x == 0 {
			return math.Inf(1)
		}
		return math.NaN()
	}
	if x >= 25 {
		mu := 4 * nu * nu
		term, sum := 1.0, 1.0
		for k := 1; k < 60; k++ {
			odd := float64(2*k - 1)
			next := term * (mu - odd*odd) / (float64(k) * 8 * x)
			if math.Abs(next) >= math.Abs(term) {
				break
			}
			term = next
			sum += term
			if math.Abs(term) < 1e-17*math.Abs(sum) {
				break
			}
		}
		return math.Sqrt(math.Pi/(2*x)) * math.Exp(-x) * sum
	}
	const h = 0.05
	sum := 0.5 * math.Exp(-x)
	for k := 1; ; k++ {
		t := float64(k) * h
		f := math.Exp(-x*math.Cosh(t)) * math.Cosh(nu*t)
		sum += f
		if f < 1e-18*sum {
			break
		}
	}
	return h * sum
}

// cvmExactP is SciPy's _pval_cvm_2samp_exact: the share of the C(m+n, m)
// equally likely rank arrangements whose U is at least u, from the
// frequency table of the statistic built by the recursion of Xiao, Gordon &
// Yakovlev (2006, Algorithm 1) on the scaled statistic zeta.
func cvmExactP(u float64, m, n int) float64 {
	g := gcd(m, n)
	lcm := m / g * n
	a, b := lcm/m, lcm/n
	mn := m * n
	// zeta = lcm^2 (m+n) (6u - mn(4mn-1)) // (6 mn^2), numpy float floor division.
	zeta := floorDivFloat(float64(lcm*lcm*(m+n))*(6*u-float64(mn*(4*mn-1))), float64(6*mn*mn))

	// gs[v] is the frequency table (sorted values, counts) of g_{u,v}.
	type table struct {
		val  []int64
		freq []uint64
	}
	gs := make([]table, m+1)
	gs[0] = table{[]int64{0}, []uint64{1}}
	for uu := 0; uu <= n; uu++ {
		next := make([]table, m+1)
		var tmp table
		for v := range gs {
			// tmp <- merge(tmp, gs[v]) adding counts of equal values, then
			// every value shifted by (a v - b uu)^2.
			gv := gs[v]
			merged := table{
				val:  make([]int64, 0, len(tmp.val)+len(gv.val)),
				freq: make([]uint64, 0, len(tmp.val)+len(gv.val)),
			}
			p, q := 0, 0
			for p < len(tmp.val) || q < len(gv.val) {
				switch {
				case q == len(gv.val) || (p < len(tmp.val) && tmp.val[p] < gv.val[q]):
					merged.val = append(merged.val, tmp.val[p])
					merged.freq = append(merged.freq, tmp.freq[p])
					p++
				case p == len(tmp.val) || gv.val[q] < tmp.val[p]:
					merged.val = append(merged.val, gv.val[q])
					merged.freq = append(merged.freq, gv.freq[q])
					q++
				default:
					merged.val = append(merged.val, tmp.val[p])
					merged.freq = append(merged.freq, tmp.freq[p]+gv.freq[q])
					p++
					q++
				}
			}
			s := int64(a*v - b*uu)
			for r := range merged.val {
				merged.val[r] += s * s
			}
			tmp = merged
			next[v] = tmp
		}
		gs = next
	}
	var count uint64
	final := gs[m]
	start, _ := slices.BinarySearchFunc(final.val, zeta, func(v int64, z float64) int {
		if float64(v) < z {
			return -1
		}
		return 1
	})
	for _, f := range final.freq[start:] {
		count += f
	}
	// np.sum(freq[value >= zeta]) / comb(m+n, m): an exact integer ratio,
	// rounded once (as Python's int / int).
	r, _ := new(big.Rat).SetFrac(new(big.Int).SetUint64(count), new(big.Int).Binomial(int64(m+n), int64(m))).Float64()
	return r
}

// floorDivFloat returns a // b as numpy computes it for float64 (npy_divmod):
// (a - fmod(a, b)) / b, corrected towards floor and rounded to an integer.
func floorDivFloat(a, b float64) float64 {
	if b == 0 {
		return a / b
	}
	mod := math.Mod(a, b)
	div := (a - mod) / b
	if mod != 0 && (b < 0) != (mod < 0) {
		div--
	}
	if div == 0 {
		return math.Copysign(0, a/b)
	}
	fl := math.Floor(div)
	if div-fl > 0.5 {
		fl++
	}
	return fl
}
