package stats

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
)

// sketchData returns n values of a named shape, in the order they arrive.
func sketchData(shape string, n int, r *rand.Rand) []float64 {
	x := make([]float64, n)
	for i := range x {
		switch shape {
		case "normal":
			x[i] = r.NormFloat64()
		case "ties": // ten values, very unequal frequencies
			x[i] = math.Floor(math.Abs(r.NormFloat64()) * 3)
		case "ascending":
			x[i] = float64(i)
		case "descending":
			x[i] = float64(n - i)
		case "constant":
			x[i] = 7
		case "sawtooth": // an adversarial order for alternating compactions
			x[i] = float64(i%1024) + float64(i/1024)*1e-6
		case "lognormal_missing":
			if i%17 == 0 {
				x[i] = math.NaN()
			} else {
				x[i] = math.Exp(3 * r.NormFloat64())
			}
		default:
			panic(shape)
		}
	}
	return x
}

// maxRankError returns max over probes x of |R̂(x) - R(x)| and |R̂<(x) - R<(x)|,
// probing every item value and every distinct data value.
func maxRankError(s *QuantileSketch, sorted []float64) float64 {
	v, w := s.Items()
	probes := append(slices.Clone(v), sorted...)
	slices.Sort(probes)
	probes = slices.Compact(probes)
	// cumulative weights of items < probe and <= probe by a merge walk
	worst := 0.0
	i := 0
	var below float64 // weight of items < current probe
	for _, x := range probes {
		for i < len(v) && v[i] < x {
			below += w[i]
			i++
		}
		at := 0.0
		for k := i; k < len(v) && v[k] == x; k++ {
			at += w[k]
		}
		rLess := float64(sort.SearchFloat64s(sorted, x))
		rLeq := float64(sort.Search(len(sorted), func(k int) bool { return sorted[k] > x }))
		worst = max(worst, math.Abs(below-rLess), math.Abs(below+at-rLeq))
	}
	return worst
}

func finiteSorted(x []float64) []float64 {
	out := Finite(nil, x)
	slices.Sort(out)
	return out
}

// mergeRandomTree splits x into parts at random cut points, sketches each part
// and merges the sketches in a random tree order.
func mergeRandomTree(x []float64, parts, b, c int, r *rand.Rand) *QuantileSketch {
	cuts := []int{0, len(x)}
	for range parts - 1 {
		cuts = append(cuts, r.IntN(len(x)+1))
	}
	slices.Sort(cuts)
	var sk []*QuantileSketch
	for i := 1; i < len(cuts); i++ {
		s := NewQuantileSketchSize(b, c)
		s.Add(x[cuts[i-1]:cuts[i]])
		sk = append(sk, s)
	}
	for len(sk) > 1 {
		i := r.IntN(len(sk))
		j := r.IntN(len(sk) - 1)
		if j >= i {
			j++
		}
		sk[i].Merge(sk[j])
		sk = append(sk[:j], sk[j+1:]...)
	}
	return sk[0]
}

// levelBound is the worst-case certified bound of the doc comment, 1/B + H/C
// with H = floor(log2(n/B)) + 2 levels above 0, as a share of n.
func levelBound(n, b, c int) float64 {
	h := 2.0
	if n > b {
		h += math.Floor(math.Log2(float64(n) / float64(b)))
	}
	return 1/float64(b) + h/float64(c)
}

// TestQuantileSketch_RankError is the property test of the sketch: for data of
// several shapes and orders, built whole or in random shards merged in random
// tree orders, the count and min/max are exact, the observed rank error (for
// <= and <, at every item and data value) is within the certified bound, and
// the certified bound is within the level bound of the doc comment.
func TestQuantileSketch_RankError(t *testing.T) {
	type size struct{ b, c, n int }
	sizes := []size{{64, 32, 60_000}, {256, 64, 200_000}}
	if !testing.Short() {
		sizes = append(sizes, size{SketchBuffer, SketchCapacity, 600_000})
	}
	shapes := []string{"normal", "ties", "ascending", "descending", "constant", "sawtooth", "lognormal_missing"}
	r := rand.New(rand.NewPCG(8, 1))
	for _, sz := range sizes {
		for _, shape := range shapes {
			x := sketchData(shape, sz.n, r)
			sorted := finiteSorted(x)
			for _, parts := range []int{1, 2, 8, 37} {
				name := fmt.Sprintf("b%d_c%d_n%d/%s/parts%d", sz.b, sz.c, sz.n, shape, parts)
				if sz.b == SketchBuffer && parts > 8 {
					continue
				}
				t.Run(name, func(t *testing.T) {
					s := mergeRandomTree(x, parts, sz.b, sz.c, r)
					n := len(sorted)
					if s.Count() != int64(n) {
						t.Fatalf("Count() = %d, want %d", s.Count(), n)
					}
					if s.Min() != sorted[0] || s.Max() != sorted[n-1] {
						t.Errorf("Min, Max = %v, %v, want %v, %v", s.Min(), s.Max(), sorted[0], sorted[n-1])
					}
					_, w := s.Items()
					var tot float64
					for _, v := range w {
						tot += v
					}
					if tot != float64(n) {
						t.Errorf("item weights sum to %v, want %d", tot, n)
					}
					got := maxRankError(s, sorted)
					if got > s.RankError() {
						t.Errorf("observed rank error %v > certified %v", got, s.RankError())
					}
					if lb := levelBound(n, sz.b, sz.c); s.RankErrorBound() > lb {
						t.Errorf("certified bound %v > level bound %v", s.RankErrorBound(), lb)
					}
					if sz.b == SketchBuffer && s.RankErrorBound() > SketchEpsilon {
						t.Errorf("default sizes: bound %v > SketchEpsilon", s.RankErrorBound())
					}
					// quantiles: the returned item's true rank brackets q n within E
					for _, q := range []float64{0, 0.01, 0.1, 0.25, 0.5, 0.9, 0.99, 1} {
						v := s.Quantile(q)
						less := float64(sort.SearchFloat64s(sorted, v))
						leq := float64(sort.Search(n, func(k int) bool { return sorted[k] > v }))
						if less > q*float64(n)+s.RankError() || leq < q*float64(n)-s.RankError() {
							t.Errorf("Quantile(%v) = %v with ranks [%v, %v], want to bracket %v ± %v", q, v, less, leq, q*float64(n), s.RankError())
						}
					}
				})
			}
		}
	}
}

// TestSketchEpsilon checks that the default sizes meet SketchEpsilon up to
// n = 2^52 by the level bound of the doc comment.
func TestSketchEpsilon(t *testing.T) {
	for _, e := range []int{10, 20, 27, 30, 40, 52} {
		if got := levelBound(1<<e, SketchBuffer, SketchCapacity); got > SketchEpsilon {
			t.Errorf("level bound at n = 2^%d is %v > %v", e, got, SketchEpsilon)
		}
	}
	// At 10^8 the bound is about 0.0018 (doc comment).
	if got := levelBound(1e8, SketchBuffer, SketchCapacity); got > 0.0019 {
		t.Errorf("level bound at 1e8 = %v, want <= 0.0019", got)
	}
}

func TestQuantileSketch_Small(t *testing.T) {
	s := NewQuantileSketch()
	if !math.IsNaN(s.Quantile(0.5)) || s.Count() != 0 || s.RankErrorBound() != 0 {
		t.Errorf("empty sketch: Quantile = %v, Count = %d, bound = %v", s.Quantile(0.5), s.Count(), s.RankErrorBound())
	}
	s.Add([]float64{3, math.NaN(), 1, math.Inf(1), 2, 2})
	// below the buffer size the sketch is the data: exact
	if !s.Exact() || s.Count() != 4 {
		t.Fatalf("Exact() = %v, Count() = %d, want true, 4", s.Exact(), s.Count())
	}
	v, w := s.Items()
	if !slices.Equal(v, []float64{1, 2, 2, 3}) || !slices.Equal(w, []float64{1, 1, 1, 1}) {
		t.Errorf("Items() = %v, %v", v, w)
	}
	if got := s.Rank(2); got != 3 {
		t.Errorf("Rank(2) = %v, want 3", got)
	}
	if got := s.Quantile(0.5); got != 2 {
		t.Errorf("Quantile(0.5) = %v, want 2", got)
	}
	defer func() {
		if recover() == nil {
			t.Errorf("Quantile(1.5) did not panic")
		}
	}()
	s.Quantile(1.5)
}

func TestQuantileSketch_MergeSizesPanic(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Errorf("Merge of different sizes did not panic")
		}
	}()
	NewQuantileSketchSize(8, 8).Merge(NewQuantileSketchSize(16, 8))
}

func TestQuantileSketch_Binary(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	s := NewQuantileSketchSize(64, 16)
	s.Add(sketchData("normal", 10_000, r))
	b, err := s.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var u QuantileSketch
	if err := u.UnmarshalBinary(b); err != nil {
		t.Fatalf("UnmarshalBinary = %v", err)
	}
	v1, w1 := s.Items()
	v2, w2 := u.Items()
	if !slices.Equal(v1, v2) || !slices.Equal(w1, w2) || u.RankError() != s.RankError() || u.Count() != s.Count() ||
		u.Min() != s.Min() || u.Max() != s.Max() {
		t.Fatalf("round trip changed the sketch")
	}
	// the decoded sketch keeps working: merging it equals merging the original
	a, c := s.Clone(), s.Clone()
	a.Merge(s)
	c.Merge(&u)
	va, _ := a.Items()
	vc, _ := c.Items()
	if !slices.Equal(va, vc) {
		t.Errorf("merge with the decoded sketch differs")
	}
	// every truncation and a flipped byte are errors, not panics
	for i := 0; i < len(b); i += 7 {
		if err := new(QuantileSketch).UnmarshalBinary(b[:i]); err == nil {
			t.Errorf("UnmarshalBinary(truncated to %d) = nil error", i)
		}
	}
	bad := slices.Clone(b)
	bad[len(bad)-3] ^= 0xff // an item out of order or not finite, or a count mismatch
	bad2 := append(slices.Clone(b), 0)
	for _, x := range [][]byte{bad2} {
		if err := new(QuantileSketch).UnmarshalBinary(x); err == nil {
			t.Errorf("UnmarshalBinary(corrupt) = nil error")
		}
	}
	_ = new(QuantileSketch).UnmarshalBinary(bad) // must not panic
}

func FuzzQuantileSketchUnmarshal(f *testing.F) {
	s := NewQuantileSketchSize(4, 4)
	s.Add([]float64{1, 2, 3, 4, 5, 6, 7, 8, 9})
	b, _ := s.MarshalBinary()
	f.Add(b)
	f.Fuzz(func(t *testing.T, data []byte) {
		var u QuantileSketch
		if u.UnmarshalBinary(data) == nil {
			u.Items()
			u.Merge(NewQuantileSketchSize(u.b, u.c))
		}
	})
}

func BenchmarkQuantileSketch_Add(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	x := sketchData("normal", 1<<20, r)
	s := NewQuantileSketch()
	b.ReportAllocs()
	for b.Loop() {
		s.Add(x)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(x)), "ns/value")
}

// TestQuantileSketch_Sort: the level-0 sort orders like slices.Sort, -0 before +0,
// with runs of values that agree on their top 33 bits (near-equal large values).
func TestQuantileSketch_Sort(t *testing.T) {
	r := rand.New(rand.NewPCG(6, 6))
	for _, gen := range []func(i int) float64{
		func(int) float64 { return r.NormFloat64() },
		func(int) float64 { return 1.7e9 + r.Float64()*1e-3 }, // timestamps within a ms
		func(i int) float64 { return float64(i % 3) },
		func(i int) float64 { return []float64{0, math.Copysign(0, -1), -1e-300, 1e300}[i%4] },
	} {
		s := NewQuantileSketchSize(4096, 64)
		x := make([]float64, 4096)
		for i := range x {
			x[i] = gen(i)
		}
		s.buf = append(s.buf[:0], x...)
		s.sortBuffer()
		want := slices.Clone(x)
		Sort(want)
		for i := range want {
			if math.Float64bits(s.buf[i]) != math.Float64bits(want[i]) {
				t.Fatalf("sortBuffer()[%d] = %v, want %v (stats.Sort)", i, s.buf[i], want[i])
			}
		}
	}
}

// BenchmarkQuantileSketch_SortBuffer times the level-0 sort alone on normal values.
func BenchmarkQuantileSketch_SortBuffer(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	x := sketchData("normal", SketchBuffer, r)
	s := NewQuantileSketch()
	for b.Loop() {
		s.buf = append(s.buf[:0], x...)
		s.sortBuffer()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(x)), "ns/value")
}

// TestMergeInto: the two-ended merge equals a stable merge (a's items first among
// equal ones: -0 and +0 keep their sides' order), for every split of lengths.
func TestMergeInto(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	nz := math.Copysign(0, -1)
	for la := range 12 {
		for lb := range 12 {
			a, b := make([]float64, la), make([]float64, lb)
			for i := range a {
				a[i] = []float64{nz, 0, 1, 2}[r.IntN(4)]
			}
			for i := range b {
				b[i] = []float64{nz, 0, 1, 2}[r.IntN(4)]
			}
			slices.Sort(a)
			slices.Sort(b)
			// the stable merge, by a straightforward loop
			var want []float64
			i, j := 0, 0
			for i < la || j < lb {
				if j == lb || (i < la && a[i] <= b[j]) {
					want = append(want, a[i])
					i++
				} else {
					want = append(want, b[j])
					j++
				}
			}
			got := mergeInto(nil, a, b)
			for k := range want {
				if math.Float64bits(got[k]) != math.Float64bits(want[k]) {
					t.Fatalf("mergeInto(%v, %v) = %v, want %v", a, b, got, want)
				}
			}
		}
	}
}

// BenchmarkMergeInto merges two sorted levels of 8192 normal values (a level-1 merge).
func BenchmarkMergeInto(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	x, y := sketchData("normal", SketchCapacity, r), sketchData("normal", SketchCapacity, r)
	slices.Sort(x)
	slices.Sort(y)
	dst := make([]float64, 0, 2*SketchCapacity)
	for b.Loop() {
		dst = mergeInto(dst[:0], x, y)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*2*SketchCapacity), "ns/item")
}
