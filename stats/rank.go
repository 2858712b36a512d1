package stats

import (
	"math"
	"sync"

	"gonum.org/v1/gonum/mat"
)

// at returns x[i], or +Inf past the end (a sentinel for the merge walks).
func at(x []float64, i int) float64 {
	if i < len(x) {
		return x[i]
	}
	return math.Inf(1)
}

// cdfDiffs is the branchless merge walk behind Wasserstein (p = 1) and
// Energy (p = 2): one step per value of the merged sorted samples u and v,
//
//	sum_k |F_u(z_k) - F_v(z_k)|^p (z_{k+1} - z_k),
//
// with F = i/n as SciPy's _cdf_distance computes it. Inside a run of equal
// values the gap z_{k+1} - z_k is 0, so the CDFs there (part of the run
// consumed) do not matter, as in SciPy's sum.
func cdfDiffs(u, v []float64, p int) float64 {
	nu, nv := float64(len(u)), float64(len(v))
	total := len(u) + len(v)
	i, j := 0, 0
	a, b := u[0], v[0]
	var s blockSum
	for k := 0; k < total-1; k++ {
		x := b
		t := 0
		if a <= b {
			x = a
			t = 1
		}
		i += t
		j += 1 - t
		a, b = at(u, i), at(v, j)
		next := b
		if a <= b {
			next = a
		}
		d := float64(i)/nu - float64(j)/nv
		if p == 1 {
			s.add(math.Abs(d) * (next - x))
		} else {
			s.add(d * d * (next - x))
		}
	}
	return s.sum()
}

// blockSum accumulates terms in blocks of 256 and adds the block sums, so
// that the rounding error grows with n/256 + 256 instead of n.
type blockSum struct {
	total, block float64
	k            int
}

func (s *blockSum) add(x float64) {
	s.block += x
	s.k++
	if s.k == 256 {
		s.total += s.block
		s.block, s.k = 0, 0
	}
}

func (s *blockSum) sum() float64 { return s.total + s.block }

// Wasserstein returns the first Wasserstein (earth mover's) distance between
// the empirical distributions of ref and cur,
//
//	W1 = integral |F_ref(x) - F_cur(x)| dx
//	   = sum_k |F_ref(z_k) - F_cur(z_k)| (z_{k+1} - z_k)
//
// over the merged sorted values z, as scipy.stats.wasserstein_distance. It is
// one O(n1+n2) merge walk. ref and cur must be sorted ascending and finite;
// Wasserstein panics if either is empty.
func Wasserstein(ref, cur []float64) float64 {
	if len(ref) == 0 || len(cur) == 0 {
		panic("stats: Wasserstein of an empty sample")
	}
	return cdfDiffs(ref, cur, 1)
}

// Energy returns the energy distance between the empirical distributions of
// ref and cur,
//
//	D = sqrt(2 E|X-Y| - E|X-X'| - E|Y-Y'|)
//	  = sqrt(2) * sqrt(integral (F_ref(x) - F_cur(x))^2 dx),
//
// as scipy.stats.energy_distance computes it (the second form), in one
// O(n1+n2) merge walk. ref and cur must be sorted ascending and finite;
// Energy panics if either is empty.
func Energy(ref, cur []float64) float64 {
	if len(ref) == 0 || len(cur) == 0 {
		panic("stats: Energy of an empty sample")
	}
	return math.Sqrt(2) * math.Sqrt(cdfDiffs(ref, cur, 2))
}

// adSig are the significance levels of Scholz & Stephens' (1987) Table 2 that
// scipy.stats.anderson_ksamp interpolates between.
var adSig = [7]float64{0.25, 0.1, 0.05, 0.025, 0.01, 0.005, 0.001}

// adCritical returns the critical values b0 + b1/sqrt(m) + b2/m for m = k-1 = 1
// (Scholz & Stephens 1987, Table 2) and the coefficients (highest power first)
// of the least-squares quadratic through (critical, log(sig)), as SciPy's
// np.polyfit; computed once.
var adCritical = sync.OnceValues(func() ([7]float64, [3]float64) {
	b0 := [7]float64{0.675, 1.281, 1.645, 1.96, 2.326, 2.573, 3.085}
	b1 := [7]float64{-0.245, 0.25, 0.678, 1.149, 1.822, 2.364, 3.615}
	b2 := [7]float64{-0.105, -0.305, -0.362, -0.391, -0.396, -0.345, -0.154}
	const m = 1.0
	var crit [7]float64
	for i := range crit {
		crit[i] = b0[i] + b1[i]/math.Sqrt(m) + b2[i]/m
	}
	// Least squares on the column-scaled Vandermonde matrix, by QR.
	a := mat.NewDense(7, 3, nil)
	y := mat.NewVecDense(7, nil)
	for i, c := range crit {
		a.Set(i, 0, c*c)
		a.Set(i, 1, c)
		a.Set(i, 2, 1)
		y.SetVec(i, math.Log(adSig[i]))
	}
	var scale [3]float64
	for j := range 3 {
		scale[j] = mat.Norm(a.ColView(j), 2)
		for i := range 7 {
			a.Set(i, j, a.At(i, j)/scale[j])
		}
	}
	var qr mat.QR
	qr.Factorize(a)
	var c mat.VecDense
	if err := qr.SolveVecTo(&c, false, y); err != nil {
		panic("stats: anderson critical value fit: " + err.Error())
	}
	var coef [3]float64
	for j := range coef {
		coef[j] = c.AtVec(j) / scale[j]
	}
	return crit, coef
})

// AndersonDarling returns the two-sample Anderson–Darling statistic for
// discrete data (midranks) of Scholz & Stephens (1987), standardised, and its
// approximate p-value, as scipy.stats.anderson_ksamp([ref, cur], midrank=True)
// computes them (statistic, significance_level). With Z the pooled sorted
// sample of size N, z_j its distinct values with multiplicities l_j,
// B_j = #{Z < z_j} + l_j/2 and M_ij = #{sample i <= z_j} - #{sample i == z_j}/2,
//
//	A2akN = (N-1)/N * sum_i 1/n_i sum_j l_j/N (N M_ij - n_i B_j)^2 / (B_j (N-B_j) - N l_j/4)
//	A2    = (A2akN - (k-1)) / sigma_N
//
// (sigma_N^2 the exact variance, eq. 4 there), and p is interpolated from the
// table of critical values by a quadratic in log p, capped to [0.001, 0.25].
//
// ref and cur must be sorted ascending and finite; AndersonDarling panics if
// either is empty and returns NaN, NaN when all values are equal (SciPy
// raises). The statistic is one O(n1+n2) merge walk plus an O(N) sum.
func AndersonDarling(ref, cur []float64) (stat, p float64) {
	n1, n2 := len(ref), len(cur)
	if n1 == 0 || n2 == 0 {
		panic("stats: AndersonDarling of an empty sample")
	}
	if ref[0] == ref[n1-1] && cur[0] == cur[n2-1] && ref[0] == cur[0] {
		return math.NaN(), math.NaN()
	}
	N := float64(n1 + n2)
	fn1, fn2 := float64(n1), float64(n2)
	// Branchless merge walk, one step per value; i0, j0 are the counts before
	// the current run of equal values, whose term is added at its last value.
	var s1, s2 blockSum
	i, j, i0, j0 := 0, 0, 0, 0
	va, vb := ref[0], cur[0]
	prev := math.Inf(-1)
	for range n1 + n2 {
		x := vb
		t := 0
		if va <= vb {
			x = va
			t = 1
		}
		if x != prev {
			i0, j0 = i, j
		}
		prev = x
		i += t
		j += 1 - t
		va, vb = at(ref, i), at(cur, j)
		next := vb
		if va <= vb {
			next = va
		}
		lj := float64(i - i0 + j - j0)
		bj := float64(i0+j0) + lj/2
		den := bj*(N-bj) - N*lj/4
		m1 := float64(i) - float64(i-i0)/2
		m2 := float64(j) - float64(j-j0)/2
		d1 := N*m1 - bj*fn1
		d2 := N*m2 - bj*fn2
		w := lj / N / den
		t1 := d1 * d1 * w
		t2 := d2 * d2 * w
		if next == x {
			t1, t2 = 0, 0 // the run goes on
		}
		s1.add(t1)
		s2.add(t2)
	}
	a2kN := (s1.sum()/fn1 + s2.sum()/fn2) * ((N - 1) / N)

	H := 1/fn1 + 1/fn2
	// h = sum_{i=1}^{N-1} 1/i; g = sum_{i=1}^{N-2} sum_{j=i+1}^{N-1} 1/((N-i) j),
	// as SciPy: hs = cumsum(1/(N-1), 1/(N-2), ..., 1/2), g = sum hs_i/(i+2).
	hs, g := 0.0, 0.0
	nInt := n1 + n2
	for t := 0; t < nInt-2; t++ {
		hs += 1 / float64(nInt-1-t)
		g += hs / float64(t+2)
	}
	return adStandardized(a2kN, N, H, hs+1, g)
}

// adStandardized returns the standardised two-sample Anderson–Darling statistic
// (A2kN - (k-1)) / sigma_N with k = 2 samples (Scholz & Stephens 1987, as SciPy's
// anderson_ksamp), H = 1/n1 + 1/n2 and h, g its harmonic sums, and its p-value
// interpolated in SciPy's table of critical values (capped to [0.001, 0.25]).
func adStandardized(a2kN, N, H, h, g float64) (stat, p float64) {
	const k = 2.0
	a := (4*g-6)*(k-1) + (10-6*g)*H
	b := (2*g-4)*k*k + 8*h*k + (2*g-14*h-4)*H - 8*h + 4*g - 6
	c := (6*h+2*g-2)*k*k + (4*h-4*g+6)*k + (2*h-6)*H + 4*h
	d := (2*h+6)*k*k - 4*h*k
	sigmasq := (a*N*N*N + b*N*N + c*N + d) / ((N - 1) * (N - 2) * (N - 3))
	stat = (a2kN - (k - 1)) / math.Sqrt(sigmasq)

	crit, coef := adCritical()
	switch {
	case stat < crit[0]:
		p = adSig[0]
	case stat > crit[6]:
		p = adSig[6]
	default:
		p = math.Exp((coef[0]*stat+coef[1])*stat + coef[2])
	}
	return stat, p
}
