package stats

import (
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
)

// exactMoments returns the mean and M2 of the finite values of x in exact
// rational arithmetic, rounded once.
func exactMoments(x []float64) (mean, m2 float64) {
	sum := new(big.Rat)
	n := 0
	for _, v := range x {
		if v-v == 0 {
			sum.Add(sum, new(big.Rat).SetFloat64(v))
			n++
		}
	}
	mu := new(big.Rat).Quo(sum, big.NewRat(int64(n), 1))
	ss := new(big.Rat)
	for _, v := range x {
		if v-v == 0 {
			d := new(big.Rat).Sub(new(big.Rat).SetFloat64(v), mu)
			ss.Add(ss, d.Mul(d, d))
		}
	}
	mean, _ = mu.Float64()
	m2, _ = ss.Float64()
	return mean, m2
}

func relErr(got, want float64) float64 {
	if got == want {
		return 0
	}
	return math.Abs(got-want) / max(math.Abs(want), 1e-300)
}

func TestMoments_Exact(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	cases := map[string][]float64{
		"small":  {1, 2, 3, 4, math.NaN(), math.Inf(-1)},
		"offset": make([]float64, 2000),
		"normal": make([]float64, 5000),
	}
	for i := range cases["offset"] {
		cases["offset"][i] = 1e6 + r.Float64() // mean / std = 3.5e6
	}
	for i := range cases["normal"] {
		cases["normal"][i] = r.NormFloat64()
	}
	for name, x := range cases {
		t.Run(name, func(t *testing.T) {
			wantMean, wantM2 := exactMoments(x)
			m := MomentsOf(x)
			// the mean is accurate to an ulp or so of the data's scale, |mean| + std
			// (not of a mean near zero, whose digits cancel)
			scale := math.Abs(wantMean) + math.Sqrt(wantM2/float64(m.N))
			if e := math.Abs(m.Mean - wantMean); e > 4e-16*scale {
				t.Errorf("Mean = %v, want %v (exact; error %v, scale %v)", m.Mean, wantMean, e, scale)
			}
			if e := relErr(m.M2, wantM2); e > 1e-14 {
				t.Errorf("M2 = %v, want %v (exact; rel err %v)", m.M2, wantM2, e)
			}
			// any split, merged in any order, agrees with the exact values
			for _, parts := range []int{2, 7, 64} {
				cuts := []int{0, len(x)}
				for range parts - 1 {
					cuts = append(cuts, r.IntN(len(x)+1))
				}
				slices.Sort(cuts)
				var ms []Moments
				for i := 1; i < len(cuts); i++ {
					ms = append(ms, MomentsOf(x[cuts[i-1]:cuts[i]]))
				}
				r.Shuffle(len(ms), func(i, j int) { ms[i], ms[j] = ms[j], ms[i] })
				var acc Moments
				for _, p := range ms {
					acc = acc.Merge(p)
				}
				if acc.N != m.N || acc.Min != m.Min || acc.Max != m.Max {
					t.Errorf("parts %d: N, Min, Max = %d, %v, %v, want %d, %v, %v", parts, acc.N, acc.Min, acc.Max, m.N, m.Min, m.Max)
				}
				if e := math.Abs(acc.Mean - wantMean); e > 1e-15*scale {
					t.Errorf("parts %d: Mean error %v (scale %v)", parts, e, scale)
				}
				// A merge adds d^2 na nb/n with d the difference of two means,
				// each rounded to an ulp of the mean: with mean/std = 3.5e6 (the
				// offset case) d carries a relative error of about 1e-8, which
				// reaches M2 through the share of M2 between the parts (~1/n).
				tol := 1e-12
				if name == "offset" {
					tol = 1e-9
				}
				if e := relErr(acc.M2, wantM2); e > tol {
					t.Errorf("parts %d: M2 rel err %v > %v", parts, e, tol)
				}
			}
		})
	}
	// numpy 1.24: np.mean([1,2,3,4]) = 2.5, np.var = 1.25
	m := MomentsOf([]float64{1, 2, 3, 4})
	if m.Mean != 2.5 || m.Var() != 1.25 || m.Std() != math.Sqrt(1.25) {
		t.Errorf("MomentsOf(1..4) = %+v", m)
	}
	c := MomentsOf([]float64{0.1, 0.1, 0.1})
	if c.Mean != 0.1 || c.M2 != 0 {
		t.Errorf("constant: Mean, M2 = %v, %v, want 0.1, 0", c.Mean, c.M2)
	}
	if e := MomentsOf(nil); e.N != 0 || !math.IsNaN(e.Var()) {
		t.Errorf("empty: %+v, Var %v", e, e.Var())
	}
}

// TestCoMomentMatrix checks the pairwise-complete Pearson correlations of the
// accumulator, fed in chunks of any size and merged from any split, against
// stats.Pearson on the whole columns (pandas' algorithm). They agree to 1e-12
// relative, not bit for bit: the accumulator's floating-point sums depend on
// the chunking (Chan's update is exact only in real arithmetic).
func TestCoMomentMatrix(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	const n, k = 20_000, 5
	cols := make([][]float64, k)
	for j := range cols {
		cols[j] = make([]float64, n)
	}
	for i := range n {
		z := r.NormFloat64()
		cols[0][i] = z
		cols[1][i] = 2*z + 0.5*r.NormFloat64() + 100
		cols[2][i] = r.NormFloat64()
		cols[3][i] = -z * 1e-3
		cols[4][i] = 3 // constant
		if r.IntN(50) == 0 {
			cols[1][i] = math.NaN()
		}
		if r.IntN(80) == 0 {
			cols[2][i] = math.Inf(1)
		}
	}
	feed := func(m *CoMomentMatrix, lo, hi, chunk int) {
		for s := lo; s < hi; s += chunk {
			e := min(hi, s+chunk)
			part := make([][]float64, k)
			for j := range cols {
				part[j] = cols[j][s:e]
			}
			m.Add(part)
		}
	}
	check := func(t *testing.T, m *CoMomentMatrix) {
		for i := range k {
			for j := range k {
				if i == j {
					continue
				}
				want := Pearson(cols[i], cols[j])
				got := m.Pearson(i, j)
				if math.IsNaN(want) != math.IsNaN(got) || (!math.IsNaN(want) && relErr(got, want) > 1e-12) {
					t.Errorf("Pearson(%d, %d) = %v, want %v (stats.Pearson)", i, j, got, want)
				}
			}
		}
	}
	for _, chunk := range []int{1, 7, 4096, n} {
		t.Run("chunk"+strconv.Itoa(chunk), func(t *testing.T) {
			m := NewCoMomentMatrix(k)
			feed(m, 0, n, chunk)
			check(t, m)
		})
	}
	t.Run("eight_shards_merged", func(t *testing.T) {
		var parts []*CoMomentMatrix
		for s := range 8 {
			m := NewCoMomentMatrix(k)
			feed(m, s*n/8, (s+1)*n/8, 1000)
			parts = append(parts, m)
		}
		for _, order := range [][]int{{0, 1, 2, 3, 4, 5, 6, 7}, {7, 3, 5, 1, 0, 2, 6, 4}} {
			acc := NewCoMomentMatrix(k)
			for _, i := range order {
				acc.Merge(parts[i])
			}
			check(t, acc)
		}
	})
	if got := NewCoMomentMatrix(3).PairIndex(1, 2); got != 2 {
		t.Errorf("PairIndex(1, 2) of 3 = %d, want 2", got)
	}
}

func TestHLL(t *testing.T) {
	// Deterministic hashes: the estimates are fixed numbers; the bound is three
	// standard errors (3 × 1.04/sqrt(16384) = 2.4%), exact below about 100.
	for _, n := range []int{0, 1, 10, 100, 1000, 20_000, 50_000, 300_000, 2_000_000} {
		h := NewHLL()
		x := make([]float64, 0, 1024)
		for i := range n {
			x = append(x, float64(i)*0.5)
			if len(x) == cap(x) {
				h.AddFloats(x)
				h.AddFloats(x) // duplicates do not count
				x = x[:0]
			}
		}
		h.AddFloats(x)
		got := h.Estimate()
		tol := 0.025 * float64(n)
		if n <= 100 {
			tol = 1
		}
		if math.Abs(got-float64(n)) > tol {
			t.Errorf("HLL of %d distinct values: estimate %v, want within %v", n, got, tol)
		}
	}
	// strings, and merging: the merge of shards equals the whole, register for register
	whole := NewHLL()
	var shards [8]*HLL
	for i := range shards {
		shards[i] = NewHLL()
	}
	for i := range 100_000 {
		s := fmt.Sprintf("user-%d", i%70_000)
		whole.AddHash(HashString(s))
		shards[(i*7)%8].AddHash(HashString(s))
	}
	merged := NewHLL()
	for _, i := range []int{3, 1, 7, 0, 5, 2, 6, 4} {
		merged.Merge(shards[i])
	}
	if !slices.Equal(merged.reg, whole.reg) {
		t.Errorf("merged registers differ from the whole")
	}
	if e := whole.Estimate(); math.Abs(e-70_000) > 0.025*70_000 {
		t.Errorf("HLL of 70000 strings: %v", e)
	}
	if HashFloat(0) != HashFloat(math.Copysign(0, -1)) {
		t.Errorf("HashFloat(-0) != HashFloat(0)")
	}
	b, _ := whole.MarshalBinary()
	var u HLL
	if err := u.UnmarshalBinary(b); err != nil || u.Estimate() != whole.Estimate() {
		t.Errorf("round trip: %v, %v", err, u.Estimate())
	}
	for _, bad := range [][]byte{nil, b[:10], append(slices.Clone(b), 1), []byte("DWHL\x0e\x02")} {
		if err := new(HLL).UnmarshalBinary(bad); err == nil {
			t.Errorf("UnmarshalBinary(%d bytes) = nil error", len(bad))
		}
	}
	var empty HLL
	eb, _ := empty.MarshalBinary()
	if err := u.UnmarshalBinary(eb); err != nil || u.Estimate() != 0 {
		t.Errorf("empty round trip: %v, %v", err, u.Estimate())
	}
}

func BenchmarkHLL_AddFloats(b *testing.B) {
	x := make([]float64, 1<<16)
	for i := range x {
		x[i] = float64(i) * 1.5
	}
	h := NewHLL()
	for b.Loop() {
		h.AddFloats(x)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(x)), "ns/value")
}

// BenchmarkMomentsOf: 64K normal values with 1% missing (the profile benchmark's columns).
func BenchmarkMomentsOf(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 4))
	x := make([]float64, 64<<10)
	for i := range x {
		x[i] = r.NormFloat64()*3 + 5
		if r.IntN(100) == 0 {
			x[i] = math.NaN()
		}
	}
	for b.Loop() {
		MomentsOf(x)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(x)), "ns/value")
}

// TestMomentsOf_SignedZero: Min and Max follow the builtins min and max (-0 < +0) on the
// four-lane path as on the scalar one.
func TestMomentsOf_SignedZero(t *testing.T) {
	nz := math.Copysign(0, -1)
	m := MomentsOf([]float64{0, 0, 0, 0, nz, 0, 0, 0, 1})
	if !math.Signbit(m.Min) || m.Min != 0 {
		t.Errorf("Min = %v (signbit %v), want -0", m.Min, math.Signbit(m.Min))
	}
	m = MomentsOf([]float64{nz, nz, nz, nz, nz, 0, nz, nz, -1})
	if math.Signbit(m.Max) || m.Max != 0 {
		t.Errorf("Max = %v (signbit %v), want +0", m.Max, math.Signbit(m.Max))
	}
}
