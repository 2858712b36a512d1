package stats

import (
	"math"
	"math/rand/v2"
	"slices"
)

// Resampling kernels: bounded subsamples, binomial and multinomial draws, and the
// null distribution of a two-sample statistic by permutation (sorted samples) or by
// multinomial draws from the pooled shares (histograms). They take the random source
// as a parameter, so that a seeded caller gets the same numbers on every run.

// Subsample appends to dst[:0] k values drawn without replacement from the sorted
// sample x, in ascending order, and returns it (all of x when k >= len(x)). Every
// k-subset is equally likely (Floyd's algorithm); it costs O(k log k).
func Subsample(dst, x []float64, k int, rng *rand.Rand) []float64 {
	dst = dst[:0]
	n := len(x)
	if k >= n {
		return append(dst, x...)
	}
	picked := make(map[int]struct{}, k)
	idx := make([]int, 0, k)
	for j := n - k; j < n; j++ {
		t := rng.IntN(j + 1)
		if _, ok := picked[t]; ok {
			t = j
		}
		picked[t] = struct{}{}
		idx = append(idx, t)
	}
	slices.Sort(idx)
	for _, i := range idx {
		dst = append(dst, x[i])
	}
	return dst
}

// Binomial returns a draw from the binomial distribution with n trials and success
// probability p: exactly (inversion of the distribution function) when
// n·min(p, 1-p) <= 30, else from the normal approximation N(np, np(1-p)) rounded
// to an integer in [0, n], whose distribution function is then within about 1% of
// the binomial's. It returns 0 for n <= 0 or p <= 0 and n for p >= 1.
func Binomial(n int64, p float64, rng *rand.Rand) int64 {
	switch {
	case n <= 0 || !(p > 0):
		return 0
	case p >= 1:
		return n
	case p > 0.5:
		return n - Binomial(n, 1-p, rng)
	}
	mean := float64(n) * p
	if mean > 30 {
		x := math.Round(mean + math.Sqrt(mean*(1-p))*rng.NormFloat64())
		return int64(math.Min(math.Max(x, 0), float64(n)))
	}
	// inversion: P(X = k+1) = P(X = k) (n-k)/(k+1) p/(1-p)
	u := rng.Float64()
	q := 1 - p
	pk := math.Exp(float64(n) * math.Log1p(-p)) // P(X = 0) > e^-31·…, no underflow for mean <= 30
	var k int64
	for u > pk && k < n {
		u -= pk
		pk *= float64(n-k) / float64(k+1) * p / q
		k++
	}
	return k
}

// Multinomial fills dst (len(shares); nil allocates) with a draw of n items over the
// categories with the given shares (non-negative, summing to 1 up to rounding), by
// conditional binomial draws, and returns it.
func Multinomial(dst []float64, n int64, shares []float64, rng *rand.Rand) []float64 {
	if len(dst) < len(shares) {
		dst = make([]float64, len(shares))
	}
	dst = dst[:len(shares)]
	left, mass := n, 1.0
	for i, s := range shares {
		if left == 0 || mass <= 0 {
			dst[i] = 0
			continue
		}
		var x int64
		if i == len(shares)-1 {
			x = left
		} else {
			x = Binomial(left, math.Min(1, s/mass), rng)
		}
		dst[i] = float64(x)
		left -= x
		mass -= s
	}
	return dst
}

// Spread summarises the draws of a statistic under resampling: their mean and
// standard deviation (n-1 denominator).
type Spread struct {
	Mean, SD float64
}

func shares(x []float64) ([]float64, int64) {
	var t float64
	for _, v := range x {
		t += v
	}
	out := make([]float64, len(x))
	if t > 0 {
		for i, v := range x {
			out[i] = v / t
		}
	}
	return out, int64(math.Round(t))
}

func spreadOf(sum, sum2 float64, b int) Spread {
	n := float64(b)
	mean := sum / n
	v := (sum2 - n*mean*mean) / (n - 1)
	return Spread{Mean: mean, SD: math.Sqrt(math.Max(v, 0))}
}

// PermutationSorted returns, per statistic, the Spread of stat(ref', cur') over b
// random splits of the pooled sample ref ∪ cur into parts of the original sizes:
// the permutation null distribution of the statistic ("both samples come from one
// distribution"), summarised by its mean and standard deviation. ref and cur must be
// sorted; each split is a merge walk, O(len(ref) + len(cur)). It panics if b < 2.
func PermutationSorted(ref, cur []float64, b int, rng *rand.Rand, stats ...func(r, c []float64) float64) []Spread {
	if b < 2 {
		panic("stats: PermutationSorted needs at least 2 permutations")
	}
	n, m := len(ref), len(cur)
	pool := make([]float64, 0, n+m)
	for i, j := 0, 0; i < n || j < m; {
		if j >= m || (i < n && ref[i] <= cur[j]) {
			pool = append(pool, ref[i])
			i++
		} else {
			pool = append(pool, cur[j])
			j++
		}
	}
	k := len(stats)
	sum, sum2 := make([]float64, k), make([]float64, k)
	rs, cs := make([]float64, 0, n), make([]float64, 0, m)
	for range b {
		// a uniformly random n-subset of the pool for the reference, in pool order
		// (selection sampling, Knuth's algorithm S): both parts come out sorted
		rs, cs = rs[:0], cs[:0]
		need := n
		for i, v := range pool {
			if float64(need) > rng.Float64()*float64(len(pool)-i) {
				rs = append(rs, v)
				need--
			} else {
				cs = append(cs, v)
			}
		}
		for i, f := range stats {
			d := f(rs, cs)
			sum[i] += d
			sum2[i] += d * d
		}
	}
	out := make([]Spread, k)
	for i := range out {
		out[i] = spreadOf(sum[i], sum2[i], b)
	}
	return out
}

// NullCounts returns the Spread of stat(ref', cur') over b pairs of multinomial
// samples of the original totals drawn from the pooled shares (ref + cur)/(R + C):
// the null distribution of a histogram statistic ("both samples come from one
// distribution"), the large-sample form of a permutation. It panics if
// len(ref) != len(cur) or b < 2.
func NullCounts(ref, cur []float64, b int, rng *rand.Rand, stat func(r, c []float64) float64) Spread {
	checkBins(ref, cur)
	if b < 2 {
		panic("stats: NullCounts needs at least 2 draws")
	}
	pooled := make([]float64, len(ref))
	for i := range ref {
		pooled[i] = ref[i] + cur[i]
	}
	p, _ := shares(pooled)
	_, rN := shares(ref)
	_, cN := shares(cur)
	var rs, cs []float64
	var sum, sum2 float64
	for range b {
		rs = Multinomial(rs, rN, p, rng)
		cs = Multinomial(cs, cN, p, rng)
		d := stat(rs, cs)
		sum += d
		sum2 += d * d
	}
	return spreadOf(sum, sum2, b)
}
