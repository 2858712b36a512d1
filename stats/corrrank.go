package stats

import (
	"cmp"
	"math"
	"math/bits"
	"slices"
)

// rank32Max is the count of finite values from which rank fills rank64 instead of
// rank32 (float32 holds the centred half-integer ranks exactly below it; a variable
// for tests).
var rank32Max = 1 << 24

const (
	// seenBits sizes the table of the value seen per key (2^seenBits slots).
	seenBits = 14
	// seenProbe is the count of rows after which the table is dropped when more than a
	// quarter of them found their slot taken by another key (many distinct keys: few
	// ties to prove).
	seenProbe = 1 << 15
	// rankBucketMin is the count of keys from which rank distributes them into buckets
	// by their top 16 bits first.
	rankBucketMin = 1 << 12
	// rankInsertMax is the length up to which a segment is insertion-sorted, and the
	// largest bucket of a counting pass left to the insertion pass that follows it.
	rankInsertMax = 32
	// rankLevels bounds the depth of sortKeys (each level sorts by 6 bits or more).
	rankLevels = 6
	// rankLeafMax is the largest bucket sorted with the scratch rankScratch.leaf.
	rankLeafMax = 4096
)

// seenSlot records the value of the first row seen with key (0: empty; no finite value
// has key 0), NaN once another value with that key was seen, and code -2-g once the
// key's rows were found to be the tied group g and left for fillSkipped.
type seenSlot struct {
	key  uint32
	code int32
	val  float64
}

// rankScratch holds rank's buffers, reused across the columns one worker ranks.
type rankScratch struct {
	a, b   []uint64
	seen   []seenSlot
	hist16 []int32  // keys per value of their top 16 bits
	bucket []uint16 // bucket of each value of the top 16 bits
	cnt    [rankLevels][2048]int32
	leaf   [rankLeafMax]uint64 // a bucket's scratch, cache-resident
}

// ranker is one column's ranking in progress: it writes the codes (or ranks) of sorted
// segments of keys key32<<32|row.
type ranker struct {
	x      []float64
	r32    []float32
	r64    []float64
	pos    []int32
	groups []tieGroup
	mid    float64
	mean   float64
	seen   []seenSlot // nil: no key proven single-valued
	skips  bool       // some group's rows were left for fillSkipped
	cnt    *[rankLevels][2048]int32
	leaf   *[rankLeafMax]uint64
}

// rank fills c.rank32 (or rank64), and c.pos and c.groups when keepPos (then only
// those when c.posOnly: no pair of the column uses the rank co-moments).
//
// The finite rows are sorted by a 32-bit key of their centred value (key32: monotone,
// so rows with different keys are in value order) and their row, packed in a uint64:
// one pass distributes the keys into about 2048 buckets of consecutive values of their
// top 16 bits (from a histogram taken while the keys are built), then each bucket is
// sorted in cache by a counting pass on its top varying bits and an insertion pass,
// and its codes written at once. Rows of equal keys may hold different values, ordered
// by value; a table of the value seen per key (filled while the keys are built, in row
// order) proves most runs of equal keys one value without reading x again. With
// keepPos, the sort writes only the positions (one random write per row) and the ranks
// follow from them in order of rows.
func (c *corrCol) rank(x []float64, keepPos bool, sc *rankScratch) {
	nf := int(c.n)
	if cap(sc.a) < nf {
		sc.a, sc.b = make([]uint64, nf), make([]uint64, nf)
	}
	if sc.seen == nil {
		sc.seen = make([]seenSlot, 1<<seenBits)
		sc.hist16, sc.bucket = make([]int32, 1<<16), make([]uint16, 1<<16)
	} else {
		clear(sc.seen)
		clear(sc.hist16)
	}
	r := ranker{x: x, mid: float64(nf+1) / 2, mean: c.mean, cnt: &sc.cnt, leaf: &sc.leaf}
	keys := sc.a[:nf]
	if c.buildKeys(x, keys, sc.hist16[:1<<16], sc.seen[:1<<seenBits]) {
		r.seen = sc.seen[:1<<seenBits]
	}
	c.rank32, c.rank64 = nil, nil
	switch {
	case keepPos && c.posOnly:
	case nf < rank32Max:
		c.rank32 = make([]float32, len(x))
		r.r32 = c.rank32
	default:
		c.rank64 = make([]float64, len(x))
		r.r64 = c.rank64
	}
	if keepPos {
		c.pos = make([]int32, len(x))
		for _, q := range c.miss {
			c.pos[q] = -1
		}
		r.pos = c.pos
		r.groups = c.groups[:0]
	}
	switch {
	case nf >= rankBucketMin:
		r.distribute(keys, sc.b[:nf], sc.hist16[:1<<16], sc.bucket[:1<<16])
	case nf > 0:
		r.emit(r.sortKeys(keys, sc.b[:nf], 0), 0)
	}
	if keepPos {
		c.groups = r.groups
		r.ranksFromPos()
	} else if r.skips {
		r.fillSkipped()
	}
}

// buildKeys writes the keys of x's finite rows to keys, in order of rows, counts them
// by their top 16 bits in hist and records the values seen per key in seen; it reports
// whether seen holds every row (false: it was dropped after seenProbe rows).
func (c *corrCol) buildKeys(x []float64, keys []uint64, hist []int32, seen []seenSlot) bool {
	p, m := 0, c.mean
	probe, misses := min(seenProbe, len(x)), 0
	for row, v := range x[:probe] {
		if !isFinite(v) {
			continue
		}
		k := centredKey(v, m)
		hist[k>>16]++
		if !seeKey(seen, k, v) {
			misses++
		}
		keys[p] = uint64(k)<<32 | uint64(row)
		p++
	}
	track := misses <= probe/4 // else too many keys share slots: drop the table
	for row := probe; row < len(x); row++ {
		v := x[row]
		if !isFinite(v) {
			continue
		}
		k := centredKey(v, m)
		hist[k>>16]++
		if track {
			seeKey(seen, k, v)
		}
		keys[p] = uint64(k)<<32 | uint64(row)
		p++
	}
	return track
}

// centredKey is the sort key of a finite value v of a column of mean m (-0 and +0 are
// equal values: one key).
func centredKey(v, m float64) uint32 {
	d := v - m
	if d == 0 {
		d = 0
	}
	return key32(d)
}

// seeKey records in seen that key k holds value v (the slot's value becomes NaN when
// the key holds two values); false when the key's slot belongs to another key.
func seeKey(seen []seenSlot, k uint32, v float64) bool {
	s := &seen[(k*0x9E3779B1)>>(32-seenBits)]
	switch s.key {
	case k:
		if s.val != v {
			s.val = math.NaN()
		}
	case 0:
		s.key, s.val = k, v
	default:
		return false
	}
	return true
}

// key32 maps a float64 to a uint32 whose unsigned order agrees with the numeric order
// (ties possible: the float32 rounding is monotone but not injective).
func key32(v float64) uint32 {
	b := math.Float32bits(float32(v))
	return b ^ (uint32(int32(b)>>31) | 1<<31)
}

// distribute sorts keys and writes their codes: it distributes them into tmp by buckets
// of consecutive values of their top 16 bits holding about len(keys)/2048 keys each (h:
// the histogram of those bits), then sorts each bucket with its part of keys as scratch.
func (r *ranker) distribute(keys, tmp []uint64, h []int32, bucket []uint16) {
	target := int32(len(keys)>>11 + 1)
	// Two consecutive buckets hold more than target keys: at most 4096 buckets.
	var start [4097]int32 // bucket b is [start[b], start[b+1])
	nb, size := 0, int32(0)
	for t, c := range h {
		if c > 0 && size > 0 && size+c > target {
			nb++
			start[nb] = start[nb-1] + size
			size = 0
		}
		bucket[t] = uint16(nb)
		size += c
	}
	nb++
	start[nb] = start[nb-1] + size
	next := start
	for _, v := range keys {
		b := bucket[v>>48]
		tmp[next[b]] = v
		next[b]++
	}
	for b := range nb {
		lo, hi := start[b], start[b+1]
		scratch := keys[lo:hi]
		if hi-lo <= rankLeafMax {
			scratch = r.leaf[:hi-lo]
		}
		r.emit(r.sortKeys(tmp[lo:hi], scratch, 0), int(lo))
	}
}

// sortKeys sorts a (tmp: scratch of its length) and returns the sorted keys, in a or in
// tmp. A counting pass distributes a into tmp by its top varying bits, about log2(len)
// of them (at most 11); buckets of more than rankInsertMax keys are sorted likewise,
// the rest by an insertion pass over tmp. level indexes r.cnt.
func (r *ranker) sortKeys(a, tmp []uint64, level int) []uint64 {
	n := len(a)
	if n <= rankInsertMax {
		insertionSort(a)
		return a
	}
	k0 := a[0] >> 32
	var diff uint64
	for _, v := range a {
		diff |= v>>32 ^ k0
	}
	if diff == 0 { // one key: rows in order
		return a
	}
	nb := uint(bits.Len64(diff)) // bits [0, nb) of the keys vary
	w := min(uint(bits.Len(uint(n))), nb, 11)
	sh, mask := 32+nb-w, uint64(1)<<w-1
	cnt := r.cnt[level][:1<<w]
	clear(cnt)
	for _, v := range a {
		cnt[(v>>sh)&mask]++
	}
	most := prefixSums(cnt)
	for _, v := range a {
		b := (v >> sh) & mask
		tmp[cnt[b]] = v
		cnt[b]++
	}
	if w == nb || most <= 1 {
		return tmp
	}
	if most > rankInsertMax {
		lo := int32(0)
		for _, hi := range cnt { // cnt[b] is now the end of bucket b
			if hi-lo > rankInsertMax {
				if s := r.sortKeys(tmp[lo:hi], a[lo:hi], level+1); &s[0] != &tmp[lo] {
					copy(tmp[lo:hi], s)
				}
			}
			lo = hi
		}
	}
	insertionSort(tmp)
	return tmp
}

// prefixSums replaces the counts cnt by their exclusive prefix
// sums and returns the largest count. Four at a time: a loop-carried sum per element is
// several times slower.
func prefixSums(cnt []int32) (most int32) {
	var sum int32
	for i := 0; i+4 <= len(cnt); i += 4 {
		c := cnt[i : i+4 : i+4]
		c0, c1, c2, c3 := c[0], c[1], c[2], c[3]
		s1 := sum + c0
		s2 := s1 + c1
		s3 := s2 + c2
		c[0], c[1], c[2], c[3] = sum, s1, s2, s3
		sum = s3 + c3
		most = max(most, c0, c1, c2, c3)
	}
	for i := len(cnt) &^ 3; i < len(cnt); i++ {
		c := cnt[i]
		cnt[i] = sum
		sum += c
		most = max(most, c)
	}
	return most
}

// insertionSort sorts a, fast when a is nearly sorted.
func insertionSort(a []uint64) {
	for i := 1; i < len(a); i++ {
		v := a[i]
		if a[i-1] <= v {
			continue
		}
		j := i
		for ; j > 0 && a[j-1] > v; j-- {
			a[j] = a[j-1]
		}
		a[j] = v
	}
}

// emit writes the codes of the rows of s, sorted by key, at sorted positions base on.
func (r *ranker) emit(s []uint64, base int) {
	n := len(s)
	for i := 0; i < n; {
		k := s[i] >> 32
		j := i + 1
		for j < n && s[j]>>32 == k {
			j++
		}
		if j-i == 1 {
			r.one(s[i], base+i)
		} else {
			r.run(s[i:j], base+i)
		}
		i = j
	}
}

// one writes the code of an untied row at sorted position p: its position when r keeps
// them, else its rank.
func (r *ranker) one(v uint64, p int) {
	row := uint32(v)
	switch {
	case r.pos != nil:
		r.pos[row] = int32(p)
	case r.r32 != nil:
		r.r32[row] = float32(float64(p+1) - r.mid)
	default:
		r.r64[row] = float64(p+1) - r.mid
	}
}

// run writes the codes of rows s of one key from sorted position a: one tied value,
// or, when the key holds several values, the values in order.
func (r *ranker) run(s []uint64, a int) {
	k := uint32(s[0] >> 32)
	if r.seen != nil {
		if t := &r.seen[(k*0x9E3779B1)>>(32-seenBits)]; t.key == k && t.val == t.val {
			// every row with key k holds t.val: their codes are written in order of
			// rows, from the table
			t.code = -2 - int32(len(r.groups))
			r.groups = append(r.groups, tieGroup{int32(a), int32(len(s))})
			r.skips = true
			return
		}
	}
	x := r.x
	va := x[uint32(s[0])]
	same := true
	for _, u := range s[1:] {
		same = same && x[uint32(u)] == va
	}
	if same {
		r.tie(s, a)
		return
	}
	slices.SortFunc(s, func(u, v uint64) int { return cmp.Compare(x[uint32(u)], x[uint32(v)]) }) // finite values
	for i := 0; i < len(s); {
		vi := x[uint32(s[i])]
		j := i + 1
		for j < len(s) && x[uint32(s[j])] == vi {
			j++
		}
		if j-i == 1 {
			r.one(s[i], a+i)
		} else {
			r.tie(s[i:j], a+i)
		}
		i = j
	}
}

// tie writes the code of the rows s of one value at sorted positions [a, a+len(s)):
// -2-g for the new group g when r keeps positions, else their rank.
func (r *ranker) tie(s []uint64, a int) {
	code := -2 - int32(len(r.groups))
	r.groups = append(r.groups, tieGroup{int32(a), int32(len(s))})
	switch {
	case r.pos != nil:
		for _, v := range s {
			r.pos[uint32(v)] = code
		}
	case r.r32 != nil:
		f := float32(groupRank(a, len(s), r.mid))
		for _, v := range s {
			r.r32[uint32(v)] = f
		}
	default:
		f := groupRank(a, len(s), r.mid)
		for _, v := range s {
			r.r64[uint32(v)] = f
		}
	}
}

// groupRank is the centred rank of n tied values at sorted positions [a, a+n).
func groupRank(a, n int, mid float64) float64 { return float64(2*a+n+1)/2 - mid }

// skipped returns the code -2-g of a row of value v when its rows are the group g left
// to the pass in order of rows; ok is false for a row with another code.
func (r *ranker) skipped(v float64) (code int32, ok bool) {
	d := v - r.mean
	if d == 0 {
		d = 0
	}
	k := key32(d)
	s := r.seen[(k*0x9E3779B1)>>(32-seenBits)]
	return s.code, s.key == k && s.code < -1
}

// fillSkipped writes the ranks of the rows of groups left to it (rank 0 so far, as
// the rows of the value ranked at the middle, which keep it), in order of rows.
func (r *ranker) fillSkipped() {
	x := r.x[:len(r.r32)+len(r.r64)]
	if r.r32 != nil {
		for row, f := range r.r32 {
			if f == 0 && isFinite(x[row]) {
				if p, ok := r.skipped(x[row]); ok {
					g := r.groups[-2-p]
					r.r32[row] = float32(groupRank(int(g.start), int(g.n), r.mid))
				}
			}
		}
		return
	}
	for row, f := range r.r64 {
		if f == 0 && isFinite(x[row]) {
			if p, ok := r.skipped(x[row]); ok {
				g := r.groups[-2-p]
				r.r64[row] = groupRank(int(g.start), int(g.n), r.mid)
			}
		}
	}
}

// ranksFromPos fills the ranks from the positions and groups, and the positions of the
// groups' rows left to it (position 0 so far, as the untied row at position 0, which
// keeps it), in order of rows.
func (r *ranker) ranksFromPos() {
	mid, groups := r.mid, r.groups
	rank := func(p int32) float64 {
		if p >= 0 {
			return float64(p+1) - mid
		}
		g := groups[-2-p]
		return groupRank(int(g.start), int(g.n), mid)
	}
	if r.r32 == nil && r.r64 == nil && !r.skips { // positions only, all in place
		return
	}
	x, r32, r64 := r.x[:len(r.pos)], r.r32, r.r64
	for row, p := range r.pos {
		if p == 0 && r.skips {
			if c, ok := r.skipped(x[row]); ok {
				p = c
				r.pos[row] = c
			}
		}
		switch {
		case p == -1:
		case r32 != nil:
			r32[row] = float32(rank(p))
		case r64 != nil:
			r64[row] = rank(p)
		}
	}
}
