package stats

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
)

// Default capacities of a QuantileSketch: a level-0 buffer of 16384 values and
// 8192 items on every higher level.
const (
	SketchBuffer   = 1 << 14
	SketchCapacity = 1 << 13
)

// SketchEpsilon is the rank error a QuantileSketch with the default capacities
// guarantees for any n below 2^52 values, whatever the order of the values and
// of the merges: |R̂(x) - R(x)| <= SketchEpsilon * n for every x (see
// QuantileSketch for the derivation). RankErrorBound gives the bound actually
// certified for one sketch, which is usually several times smaller.
const SketchEpsilon = 0.005

// QuantileSketch is a deterministic, mergeable quantile summary of a stream of
// float64 values with a certified rank error.
//
// It is a hierarchy of compactors (Manku, Rajagopalan & Lindsay 1998; Agarwal
// et al. 2012, "Mergeable summaries"): level h holds items that stand for 2^h
// values each. Values enter level 0, an unsorted buffer of B items; when it is
// full it is sorted and compacted: of each pair of adjacent items one is kept,
// alternately the first and the second on successive compactions, and moved up
// one level with twice the weight. A level h >= 1 holding more than C items is
// compacted the same way (an odd item stays behind). Merge concatenates the
// levels of two sketches and compacts what overflows.
//
// Error. Let R(x) = #{values <= x} and R̂(x) the total weight of items <= x
// (likewise for < x). One compaction at level h changes R̂(x) by 0 or ±2^h for
// any x, so the sketch adds 2^h to a counter, the certified bound E: for every
// x, |R̂(x) - R(x)| <= E. Merging adds the counters of both sketches. Every
// unit of weight passes through a level once, and a compaction at level h
// removes at least C items of weight 2^h (B at level 0), so a level
// contributes at most n/C (n/B at level 0) to E, whatever the order of values
// and merges: E/n <= 1/B + H/C with H the number of levels above 0,
// H <= log2(n/B) + 2. With B = 16384 and C = 8192 that is below 0.005 for any
// n < 2^52 (about 0.0018 at n = 10^8).
//
// Memory is at most B + H*C items (about 1 MB at 10^8 values). The zero value
// is not usable: use NewQuantileSketch. A sketch must not be used
// concurrently.
type QuantileSketch struct {
	b, c   int
	buf    []float64   // level 0, unsorted
	levels [][]float64 // levels[h-1]: items of weight 2^h, sorted
	odd    []bool      // per level (0 = the buffer): keep the second of each pair next time
	n      int64       // weight of the items of levels >= 1
	bound  float64     // certified rank error E (counts)
	lo, hi float64     // of the items, less buf[seen:]
	seen   int
	keys   [2][]uint64 // radix sort scratch
	tmp    []float64
	spare  []float64 // merge target, swapped with a level
	sorted func([]float64)
}

// OnSorted sets f (nil: none) to be called with the level-0 buffer each time it is
// full and sorted, before it is compacted; f must not keep or change it. Every
// finite value given to Add after the call passes once through f or, at the end,
// through Buffered (the level-0 values of a sketch merged in also pass through f):
// a caller can count the values on the sorted buffers, by binary search, rather
// than one by one. Clone and the binary form do not keep f. It panics if the
// level-0 size is odd (a compaction would leave a value behind to be seen twice).
func (s *QuantileSketch) OnSorted(f func(sorted []float64)) {
	if s.b%2 != 0 {
		panic("stats: QuantileSketch.OnSorted with an odd buffer size")
	}
	s.sorted = f
}

// Buffered returns the values of level 0 that no OnSorted call has seen, in no
// particular order; the slice is only valid until the next change of the sketch.
func (s *QuantileSketch) Buffered() []float64 { return s.buf }

// NewQuantileSketch returns an empty sketch with the default capacities
// SketchBuffer and SketchCapacity.
func NewQuantileSketch() *QuantileSketch {
	return NewQuantileSketchSize(SketchBuffer, SketchCapacity)
}

// NewQuantileSketchSize returns an empty sketch with a level-0 buffer of b
// items and c items per higher level (both at least 2). Sketches merge only
// with sketches of the same sizes. Small sizes are for tests.
func NewQuantileSketchSize(b, c int) *QuantileSketch {
	if b < 2 || c < 2 {
		panic("stats: QuantileSketch sizes must be at least 2")
	}
	return &QuantileSketch{b: b, c: c, lo: math.Inf(1), hi: math.Inf(-1)}
}

// Count is the number of values added (and merged in).
func (s *QuantileSketch) Count() int64 { return s.Total() }

// Min and Max are the smallest and largest values added (+Inf and -Inf when
// empty); they are exact.
func (s *QuantileSketch) Min() float64 {
	s.bufBounds()
	return s.lo
}

func (s *QuantileSketch) Max() float64 {
	s.bufBounds()
	return s.hi
}

// bufBounds folds the unsorted buffer's values into lo and hi (Add leaves them out
// of its inner loop; compactBuffer folds them in once sorted).
func (s *QuantileSketch) bufBounds() {
	for _, v := range s.buf[s.seen:] {
		s.lo = min(s.lo, v)
		s.hi = max(s.hi, v)
	}
	s.seen = len(s.buf)
}

// RankError is the certified bound E on |R̂(x) - R(x)|, in values.
func (s *QuantileSketch) RankError() float64 { return s.bound }

// RankErrorBound is the certified rank error as a share of the count, E/n (0
// for an empty sketch). It is at most SketchEpsilon with the default sizes.
func (s *QuantileSketch) RankErrorBound() float64 {
	if s.Total() == 0 {
		return 0
	}
	return s.bound / float64(s.Total())
}

// Exact reports whether no compaction has happened: the items are the values.
func (s *QuantileSketch) Exact() bool { return s.bound == 0 }

// Add adds the finite values of x; NaN and ±Inf (missing values) are ignored.
func (s *QuantileSketch) Add(x []float64) {
	for len(x) > 0 {
		room := s.b - len(s.buf)
		if s.buf == nil {
			s.buf = make([]float64, 0, s.b)
		}
		k := min(room, len(x))
		// every value is written at the end and kept only if finite (j < b throughout)
		buf, j := s.buf[:s.b], len(s.buf)
		for _, v := range x[:k] {
			buf[j] = v
			if v-v == 0 { // finite
				j++
			}
		}
		s.buf = buf[:j]
		x = x[k:]
		if len(s.buf) == s.b {
			s.compactBuffer()
		}
	}
}

// compactBuffer sorts level 0 and compacts it into level 1.
func (s *QuantileSketch) compactBuffer() {
	s.sortBuffer()
	if s.sorted != nil {
		s.sorted(s.buf)
	}
	s.lo, s.hi = min(s.lo, s.buf[0]), max(s.hi, s.buf[len(s.buf)-1])
	s.seen = 0
	s.buf = s.compact(0, s.buf)
	s.cascade()
}

// sortBuffer sorts level 0 ascending (as Sort: -0 before +0): an LSD radix sort
// (three passes of 11 bits, a pass skipped when all keys share its digit) on the top
// 33 bits of the order-preserving keys, then an exact sort of each run of keys that
// agree on those bits (rare unless values are within ~1e-7 of each other, relative).
func (s *QuantileSketch) sortBuffer() {
	x := s.buf
	n := len(x)
	for i := range s.keys {
		if cap(s.keys[i]) < n {
			s.keys[i] = make([]uint64, n)
		}
	}
	src, dst := s.keys[0][:n], s.keys[1][:n]
	var hist [3][2048]uint32
	for i, v := range x {
		k := floatKey(math.Float64bits(v))
		src[i] = k
		hist[0][(k>>31)&2047]++
		hist[1][(k>>42)&2047]++
		hist[2][(k>>53)&2047]++
	}
	for p := range 3 {
		h := &hist[p]
		shift := uint(31 + 11*p)
		if h[(src[0]>>shift)&2047] == uint32(n) {
			continue
		}
		// lo[d] and hi[d] delimit bucket d; the first half of src fills each bucket
		// from its start, the second half (read backwards) from its end: two
		// independent chains of counter updates, and the order stays stable
		var hi [2048]uint32
		var sum uint32
		for i := range h {
			c := h[i]
			h[i] = sum
			sum += c
			hi[i] = sum
		}
		lo := h
		half := n / 2
		for i, j := 0, n-1; i < half; i, j = i+1, j-1 {
			a, b := src[i], src[j]
			da, db := (a>>shift)&2047, (b>>shift)&2047
			dst[lo[da]] = a
			lo[da]++
			hi[db]--
			dst[hi[db]] = b
		}
		if n%2 == 1 {
			k := src[half]
			dst[lo[(k>>shift)&2047]] = k
		}
		src, dst = dst, src
	}
	// back to floats; keys that agree on the top 33 bits may still be out of order on
	// the rest: an insertion sort fixes them as they come (such runs are short and
	// rare unless values are within ~1e-7 of each other, relative), up to n moves,
	// then an exact sort of each run takes over
	prev := src[0]
	x[0] = math.Float64frombits(keyFloat(prev))
	moves := 0
	for i := 1; i < n; i++ {
		k := src[i]
		if k >= prev {
			x[i] = math.Float64frombits(keyFloat(k))
			prev = k
			continue
		}
		j := i
		for j > 0 && src[j-1] > k {
			src[j], x[j] = src[j-1], x[j-1]
			j--
		}
		src[j], x[j] = k, math.Float64frombits(keyFloat(k))
		moves += i - j
		if moves > n {
			s.sortRuns(src)
			return
		}
	}
}

// sortRuns finishes sortBuffer when keys sorted on their top 33 bits have long runs
// of equal top bits: each run is sorted exactly, then the buffer is rewritten.
func (s *QuantileSketch) sortRuns(src []uint64) {
	n := len(src)
	for i := 0; i < n; {
		j := i + 1
		top := src[i] >> 31
		for j < n && src[j]>>31 == top {
			j++
		}
		if j-i > 1 {
			slices.Sort(src[i:j])
		}
		i = j
	}
	for i, k := range src {
		s.buf[i] = math.Float64frombits(keyFloat(k))
	}
}

// compact halves the even-length prefix of the sorted items of level h into
// level h+1 and returns what stays at level h (the odd last item, if any).
func (s *QuantileSketch) compact(h int, items []float64) []float64 {
	for len(s.odd) <= h+1 {
		s.odd = append(s.odd, false)
	}
	m := len(items) &^ 1
	if m == 0 {
		return items
	}
	off := 0
	if s.odd[h] {
		off = 1
	}
	s.odd[h] = !s.odd[h]
	if cap(s.tmp) < m/2 {
		s.tmp = make([]float64, m/2)
	}
	s.tmp = s.tmp[:m/2]
	for i := range s.tmp {
		s.tmp[i] = items[off+2*i]
	}
	s.bound += math.Ldexp(1, h)
	if h == 0 {
		s.n += int64(m)
	}
	for len(s.levels) < h+1 {
		s.levels = append(s.levels, nil)
	}
	s.levels[h], s.spare = mergeInto(s.spare[:0], s.levels[h], s.tmp), s.levels[h]
	rest := items[:0]
	if m < len(items) {
		rest = append(rest, items[m])
	}
	if h == 0 {
		s.seen = len(rest) // the odd item is already in lo, hi
	}
	return rest
}

// cascade compacts every level above 0 that holds more than c items.
func (s *QuantileSketch) cascade() {
	for h := 1; h <= len(s.levels); h++ {
		if len(s.levels[h-1]) > s.c {
			s.levels[h-1] = s.compact(h, s.levels[h-1])
		}
	}
}

// mergeSorted merges the sorted b into the sorted a and returns the result,
// reusing a's storage when it can (b is not retained).
func mergeSorted(a, b []float64) []float64 {
	if len(b) == 0 {
		return a
	}
	n := len(a) + len(b)
	out := make([]float64, n)
	i, j := len(a)-1, len(b)-1
	for k := n - 1; k >= 0; k-- {
		if j < 0 || (i >= 0 && a[i] > b[j]) {
			out[k] = a[i]
			i--
		} else {
			out[k] = b[j]
			j--
		}
	}
	return out
}

// mergeInto appends the merge of the sorted a and b to dst and returns it (ties:
// a's items first).
func mergeInto(dst, a, b []float64) []float64 {
	n := len(a) + len(b)
	if cap(dst) < n {
		dst = make([]float64, 0, n)
	}
	out := dst[:n]
	// the first half of out is merged from the fronts and the second half from the
	// backs: two independent chains of comparisons, each branch-free (both sides are
	// read and the right one kept)
	h := n / 2
	la, lb := len(a), len(b)
	i, j, k := 0, 0, 0
	ie, je, ke := la-1, lb-1, n-1
	for k < h && i < la && j < lb && ie >= 0 && je >= 0 {
		// front: take b's item if it is smaller (t = 1), else a's; the value is
		// selected by masking its bits, which compiles without a branch
		x, y := math.Float64bits(a[i]), math.Float64bits(b[j])
		t := 0
		if b[j] < a[i] {
			t = 1
		}
		out[k] = math.Float64frombits(x ^ (x^y)&-uint64(t))
		k++
		j += t
		i += 1 - t
		// back: take a's item if it is larger (t = 1), else b's
		x, y = math.Float64bits(a[ie]), math.Float64bits(b[je])
		t = 0
		if a[ie] > b[je] {
			t = 1
		}
		out[ke] = math.Float64frombits(y ^ (x^y)&-uint64(t))
		ke--
		ie -= t
		je -= 1 - t
	}
	for ; k < h; k++ {
		if j >= lb || (i < la && a[i] <= b[j]) {
			out[k] = a[i]
			i++
		} else {
			out[k] = b[j]
			j++
		}
	}
	for ; ke >= h; ke-- {
		if je < 0 || (ie >= 0 && a[ie] > b[je]) {
			out[ke] = a[ie]
			ie--
		} else {
			out[ke] = b[je]
			je--
		}
	}
	return out
}

// Merge adds the values summarised by o to s; o is unchanged. It panics if the
// sizes differ. The certified bound of the result is the sum of both bounds
// plus that of the compactions the merge makes.
func (s *QuantileSketch) Merge(o *QuantileSketch) {
	if s.b != o.b || s.c != o.c {
		panic("stats: QuantileSketch.Merge of sketches with different sizes")
	}
	s.bound += o.bound
	s.bufBounds()
	s.lo, s.hi = min(s.lo, o.Min()), max(s.hi, o.Max())
	for h, items := range o.levels {
		for len(s.levels) <= h {
			s.levels = append(s.levels, nil)
		}
		s.n += int64(len(items)) << (h + 1)
		s.levels[h] = mergeSorted(s.levels[h], items)
	}
	for len(s.odd) < len(o.odd) {
		s.odd = append(s.odd, false)
	}
	if s.buf == nil {
		s.buf = make([]float64, 0, s.b)
	}
	for _, v := range o.buf {
		s.buf = append(s.buf, v)
		if len(s.buf) == s.b {
			s.compactBuffer()
		}
	}
	s.seen = len(s.buf) // o's values are in lo, hi
	s.cascade()
}

// Clone returns a deep copy of s.
func (s *QuantileSketch) Clone() *QuantileSketch {
	s.bufBounds()
	c := &QuantileSketch{b: s.b, c: s.c, n: s.n, bound: s.bound, lo: s.lo, hi: s.hi, seen: len(s.buf)}
	c.buf = make([]float64, len(s.buf), s.b)
	copy(c.buf, s.buf)
	c.odd = slices.Clone(s.odd)
	for _, l := range s.levels {
		c.levels = append(c.levels, slices.Clone(l))
	}
	return c
}

// Total is the total weight of the items: the number of values summarised.
func (s *QuantileSketch) Total() int64 { return s.n + int64(len(s.buf)) }

// Items returns the sketch's items sorted ascending and their weights (the
// number of values each stands for; they sum to Total). For every x, the
// weight of the items <= x is within RankError of #{values <= x}.
func (s *QuantileSketch) Items() (values, weights []float64) {
	n := len(s.buf)
	for _, l := range s.levels {
		n += len(l)
	}
	type run struct {
		v []float64
		w float64
	}
	runs := make([]run, 0, len(s.levels)+1)
	b := slices.Clone(s.buf)
	slices.Sort(b)
	runs = append(runs, run{b, 1})
	for h, l := range s.levels {
		runs = append(runs, run{l, math.Ldexp(1, h+1)})
	}
	values = make([]float64, 0, n)
	weights = make([]float64, 0, n)
	pos := make([]int, len(runs))
	for len(values) < n {
		best := -1
		for r := range runs {
			if pos[r] < len(runs[r].v) && (best < 0 || runs[r].v[pos[r]] < runs[best].v[pos[best]]) {
				best = r
			}
		}
		values = append(values, runs[best].v[pos[best]])
		weights = append(weights, runs[best].w)
		pos[best]++
	}
	return values, weights
}

// Rank returns R̂(x), the estimated number of values <= x.
func (s *QuantileSketch) Rank(x float64) float64 {
	var r float64
	for _, v := range s.buf {
		if v <= x {
			r++
		}
	}
	for h, l := range s.levels {
		k, _ := slices.BinarySearchFunc(l, x, func(v, x float64) int {
			if v <= x {
				return -1
			}
			return 1
		})
		r += math.Ldexp(float64(k), h+1)
	}
	return r
}

// Quantile returns an item v whose estimated rank brackets q*n: the first item
// in sorted order with R̂(v) >= q*n, Min for q = 0 and Max for q = 1. Its true
// rank is within RankError of q*n: #{x < v} <= q*n + E and #{x <= v} >= q*n - E.
// It returns NaN for an empty sketch and panics if q is outside [0, 1].
func (s *QuantileSketch) Quantile(q float64) float64 {
	if !(q >= 0 && q <= 1) {
		panic("stats: quantile out of [0, 1]")
	}
	if s.Total() == 0 {
		return math.NaN()
	}
	if q == 0 {
		return s.Min()
	}
	if q == 1 {
		return s.Max()
	}
	v, w := s.Items()
	return weightedQuantile(v, w, q)
}

// weightedQuantile is Quantile on sorted items with weights.
func weightedQuantile(v, w []float64, q float64) float64 {
	var total float64
	for _, x := range w {
		total += x
	}
	target := q * total
	var c float64
	for i := range v {
		c += w[i]
		if c >= target {
			return v[i]
		}
	}
	return v[len(v)-1]
}

// sketchMagic starts a QuantileSketch's binary form.
var sketchMagic = [4]byte{'D', 'W', 'Q', 'S'}

// AppendBinary appends the sketch's binary form to b (encoding.BinaryAppender):
//
//	"DWQS", uvarint B, uvarint C, uvarint n (the weight of levels >= 1), float64 bound,
//	float64 min, float64 max, uvarint levels L (level 0 included),
//	L bytes of offsets (0/1), then per level: uvarint length, float64 items.
//
// Floats are IEEE 754 bits, little-endian. Level 0 is written sorted.
func (s *QuantileSketch) AppendBinary(b []byte) ([]byte, error) {
	b = append(b, sketchMagic[:]...)
	b = binary.AppendUvarint(b, uint64(s.b))
	b = binary.AppendUvarint(b, uint64(s.c))
	b = binary.AppendUvarint(b, uint64(s.n))
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(s.bound))
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(s.Min()))
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(s.Max()))
	nl := len(s.levels) + 1
	b = binary.AppendUvarint(b, uint64(nl))
	for h := range nl {
		o := byte(0)
		if h < len(s.odd) && s.odd[h] {
			o = 1
		}
		b = append(b, o)
	}
	buf := slices.Clone(s.buf)
	slices.Sort(buf)
	for h := range nl {
		items := buf
		if h > 0 {
			items = s.levels[h-1]
		}
		b = binary.AppendUvarint(b, uint64(len(items)))
		for _, v := range items {
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
		}
	}
	return b, nil
}

// MarshalBinary implements encoding.BinaryMarshaler.
func (s *QuantileSketch) MarshalBinary() ([]byte, error) { return s.AppendBinary(nil) }

var errSketchCorrupt = errors.New("corrupt quantile sketch")

// UnmarshalBinary implements encoding.BinaryUnmarshaler. It checks the
// structure (sizes, sorted levels, finite items, counts) and returns an error,
// never panics, on bad input.
func (s *QuantileSketch) UnmarshalBinary(data []byte) error {
	r := byteReader{b: data}
	var magic [4]byte
	copy(magic[:], r.bytes(4))
	if r.err != nil || magic != sketchMagic {
		return fmt.Errorf("%w: bad magic", errSketchCorrupt)
	}
	bsz, csz, n := r.uvarint(), r.uvarint(), r.uvarint()
	bound, lo, hi := r.float(), r.float(), r.float()
	nl := r.uvarint()
	if r.err != nil || bsz < 2 || csz < 2 || bsz > 1<<30 || csz > 1<<30 || nl < 1 || nl > 64 || n > 1<<62 {
		return fmt.Errorf("%w: bad header", errSketchCorrupt)
	}
	t := QuantileSketch{b: int(bsz), c: int(csz), n: int64(n), bound: bound, lo: lo, hi: hi}
	ob := r.bytes(int(nl))
	for _, o := range ob {
		t.odd = append(t.odd, o == 1)
	}
	var weight uint64
	for h := range int(nl) {
		k := r.uvarint()
		if r.err != nil || k > uint64(len(data)) {
			return fmt.Errorf("%w: level %d", errSketchCorrupt, h)
		}
		items := make([]float64, k)
		for i := range items {
			items[i] = r.float()
			if !(items[i]-items[i] == 0) || (i > 0 && items[i] < items[i-1]) {
				r.fail()
			}
		}
		if r.err != nil {
			return fmt.Errorf("%w: level %d", errSketchCorrupt, h)
		}
		if h == 0 {
			if len(items) > t.b {
				return fmt.Errorf("%w: level 0 over capacity", errSketchCorrupt)
			}
			t.buf = make([]float64, len(items), t.b)
			copy(t.buf, items)
			t.seen = len(items)
		} else {
			t.levels = append(t.levels, items)
			weight += k << h
		}
	}
	if r.err != nil || len(r.b) != 0 {
		return fmt.Errorf("%w: trailing bytes", errSketchCorrupt)
	}
	if weight != n || !(bound >= 0) {
		return fmt.Errorf("%w: counts do not add up", errSketchCorrupt)
	}
	*s = t
	return nil
}

// byteReader reads little-endian fields, remembering the first error.
type byteReader struct {
	b   []byte
	err error
}

func (r *byteReader) fail() {
	if r.err == nil {
		r.err = errSketchCorrupt
	}
}

func (r *byteReader) bytes(n int) []byte {
	if r.err != nil || n < 0 || len(r.b) < n {
		r.fail()
		return nil
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

func (r *byteReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, k := binary.Uvarint(r.b)
	if k <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[k:]
	return v
}

func (r *byteReader) float() float64 {
	b := r.bytes(8)
	if b == nil {
		return 0
	}
	return math.Float64frombits(binary.LittleEndian.Uint64(b))
}
