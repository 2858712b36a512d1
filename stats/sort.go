package stats

import (
	"math"
	"math/bits"
	"slices"
)

// radixMin is the length below which Sort uses slices.Sort: the radix sort's
// fixed cost (histograms, scratch) only pays off on longer slices.
const radixMin = 2048

// The radix sort is a most-significant-digit sort: the first pass scatters
// the keys by their top msdBits bits, and each bucket is split again by about
// log2(size)-2 further bits, so that buckets end with a few keys, sorted by
// insertion. Nested passes run on buckets that fit the CPU caches; only two
// passes touch all of memory (histogram, scatter) after the sortedness check.
// A digit on which all keys of a bucket agree costs one histogram pass and no
// scatter, so narrow value ranges cost a few extra histogram passes.
const (
	msdBits     = 16
	maxSubBits  = 16
	smallBucket = 32
)

// Sort sorts x in ascending order. It is a radix sort (MSD, see above) on
// order-preserving uint64 keys of the float64 values: the sign bit flipped
// for positive values, all bits flipped for negative ones, so -0 sorts before
// +0. Slices shorter than 2048 are sorted with slices.Sort; an already sorted
// slice is detected by slices.IsSorted and left alone.
//
// x must hold no NaN (drop missing values first, see Finite). Sort allocates
// 8*len(x) bytes of scratch; use a Sorter to reuse it.
func Sort(x []float64) {
	var s Sorter
	s.Sort(x)
}

// A Sorter sorts float64 slices like Sort, reusing its scratch buffers: once
// they have grown to the longest slice sorted, Sort makes no allocations.
// The zero value is ready to use. A Sorter must not be used concurrently.
type Sorter struct {
	buf []uint64
	off [][]int // bucket offsets of the MSD pass at each depth
}

// Sort sorts x in ascending order; see the package-level Sort.
func (s *Sorter) Sort(x []float64) {
	n := len(x)
	if n < radixMin {
		slices.Sort(x)
		return
	}
	if slices.IsSorted(x) { // stops at the first inversion
		return
	}
	if cap(s.buf) < n {
		s.buf = make([]uint64, n)
	}
	buf := s.buf[:n]

	// The first digit: the top msdBits bits (sign, exponent, 4 mantissa bits).
	const shift = 64 - msdBits
	const mask = 1<<msdBits - 1
	off := s.offsets(0, mask+2)
	// Histogram, then scatter the keys into buf.
	for _, v := range x {
		off[(floatKey(math.Float64bits(v))>>shift)&mask+1]++
	}
	for b := 1; b < len(off); b++ {
		off[b] += off[b-1]
	}
	for _, v := range x {
		k := floatKey(math.Float64bits(v))
		b := (k >> shift) & mask
		buf[off[b]] = k
		off[b]++
	}
	// After the scatter off[b] is the end of bucket b.
	start := 0
	for b := range mask + 1 {
		end := off[b]
		if end > start {
			s.sortBucket(buf[start:end], x[start:end], shift, 1)
		}
		start = end
	}
}

// offsets returns the zeroed offset slice of length size for the given depth.
func (s *Sorter) offsets(depth, size int) []int {
	for len(s.off) <= depth {
		s.off = append(s.off, nil)
	}
	if cap(s.off[depth]) < size {
		s.off[depth] = make([]int, size, max(size, 1<<maxSubBits+1))
	}
	o := s.off[depth][:size]
	clear(o)
	return o
}

// sortBucket sorts keys that agree on all bits from shift up and writes them
// as float64 values to out (same length; also used as scratch).
func (s *Sorter) sortBucket(keys []uint64, out []float64, shift, depth int) {
	m := len(keys)
	for m > smallBucket && shift > 0 {
		nb := min(max(bits.Len(uint(m))-2, 4), maxSubBits, shift)
		sub := shift - nb
		mask := uint64(1)<<nb - 1
		off := s.offsets(depth, int(mask)+2)
		for _, k := range keys {
			off[(k>>sub)&mask+1]++
		}
		if off[(keys[0]>>sub)&mask+1] == m {
			shift = sub // every key has this digit: go on to the next one
			continue
		}
		for b := 1; b < len(off); b++ {
			off[b] += off[b-1]
		}
		for _, k := range keys {
			b := (k >> sub) & mask
			out[off[b]] = math.Float64frombits(k)
			off[b]++
		}
		for i, v := range out {
			keys[i] = math.Float64bits(v)
		}
		start := 0
		for b := range int(mask) + 1 {
			end := off[b]
			if end > start {
				s.sortBucket(keys[start:end], out[start:end], sub, depth+1)
			}
			start = end
		}
		return
	}
	if shift > 0 {
		for i := 1; i < m; i++ {
			k := keys[i]
			j := i
			for ; j > 0 && keys[j-1] > k; j-- {
				keys[j] = keys[j-1]
			}
			keys[j] = k
		}
	}
	for i, k := range keys {
		out[i] = math.Float64frombits(keyFloat(k))
	}
}

// floatKey maps float64 bits to a uint64 whose unsigned order is the numeric
// order: negative values have all bits flipped, others only the sign bit.
func floatKey(b uint64) uint64 {
	return b ^ (uint64(int64(b)>>63) | 1<<63)
}

// keyFloat inverts floatKey.
func keyFloat(k uint64) uint64 {
	return k ^ (((k >> 63) - 1) | 1<<63)
}

// Finite appends the finite values of x (dropping NaN and ±Inf) to dst and
// returns the extended slice.
func Finite(dst, x []float64) []float64 {
	for _, v := range x {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			dst = append(dst, v)
		}
	}
	return dst
}

// MeanStd returns the mean and the population standard deviation (ddof 0) of x,
//
//	mean = sum_i x_i / n,   std = sqrt(sum_i (x_i - mean)^2 / n),
//
// as numpy.mean and numpy.std compute them: two passes with numpy's pairwise
// summation (same order, same result), accurate for large n and large
// offsets. Both are NaN for an empty x.
func MeanStd(x []float64) (mean, std float64) {
	n := float64(len(x))
	if len(x) == 0 {
		return math.NaN(), math.NaN()
	}
	mean = pairwiseSum(x) / n
	return mean, math.Sqrt(pairwiseSumSq(x, mean) / n)
}

// pairwiseBlock is the leaf size of numpy's pairwise summation.
const pairwiseBlock = 128

// reduceChunk is numpy's ufunc buffer size: add.reduce sums chunks of this
// many elements pairwise and adds the chunk sums in order.
const reduceChunk = 8192

// pairwiseSum returns sum(x) as numpy's add.reduce does for a float64 array:
// chunks of 8192 summed pairwise (leaves of at most 128 summed with 8
// accumulators), chunk sums added in order. Error O(log n + n/8192) ulps.
func pairwiseSum(x []float64) float64 {
	s := 0.0
	for len(x) > reduceChunk {
		s += pwSum(x[:reduceChunk])
		x = x[reduceChunk:]
	}
	return s + pwSum(x)
}

func pwSum(a []float64) float64 {
	n := len(a)
	switch {
	case n < 8:
		s := 0.0
		for _, v := range a {
			s += v
		}
		return s
	case n <= pairwiseBlock:
		var r [8]float64
		copy(r[:], a[:8])
		i := 8
		for ; i < n-n%8; i += 8 {
			b := a[i : i+8 : i+8]
			r[0] += b[0]
			r[1] += b[1]
			r[2] += b[2]
			r[3] += b[3]
			r[4] += b[4]
			r[5] += b[5]
			r[6] += b[6]
			r[7] += b[7]
		}
		s := ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
		for ; i < n; i++ {
			s += a[i]
		}
		return s
	}
	n2 := n / 2
	n2 -= n2 % 8
	return pwSum(a[:n2]) + pwSum(a[n2:])
}

// pairwiseSumSq returns sum((x_i - c)^2) with the summation order of
// pairwiseSum, so that MeanStd reproduces numpy.std.
func pairwiseSumSq(x []float64, c float64) float64 {
	s := 0.0
	for len(x) > reduceChunk {
		s += pwSumSq(x[:reduceChunk], c)
		x = x[reduceChunk:]
	}
	return s + pwSumSq(x, c)
}

func pwSumSq(a []float64, c float64) float64 {
	n := len(a)
	sq := func(v float64) float64 { d := v - c; return float64(d * d) } // float64(): no FMA fusion
	switch {
	case n < 8:
		s := 0.0
		for _, v := range a {
			s += sq(v)
		}
		return s
	case n <= pairwiseBlock:
		var r [8]float64
		for j := range r {
			r[j] = sq(a[j])
		}
		i := 8
		for ; i < n-n%8; i += 8 {
			b := a[i : i+8 : i+8]
			r[0] += sq(b[0])
			r[1] += sq(b[1])
			r[2] += sq(b[2])
			r[3] += sq(b[3])
			r[4] += sq(b[4])
			r[5] += sq(b[5])
			r[6] += sq(b[6])
			r[7] += sq(b[7])
		}
		s := ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
		for ; i < n; i++ {
			s += sq(a[i])
		}
		return s
	}
	n2 := n / 2
	n2 -= n2 % 8
	return pwSumSq(a[:n2], c) + pwSumSq(a[n2:], c)
}

// npSum returns sum_{i<n} f(i) in the order of numpy's add.reduce (see
// pairwiseSum), without materialising the terms.
func npSum(n int, f func(int) float64) float64 {
	s := 0.0
	lo := 0
	for n-lo > reduceChunk {
		s += pwSumFunc(lo, lo+reduceChunk, f)
		lo += reduceChunk
	}
	return s + pwSumFunc(lo, n, f)
}

func pwSumFunc(lo, hi int, f func(int) float64) float64 {
	n := hi - lo
	switch {
	case n < 8:
		s := 0.0
		for i := lo; i < hi; i++ {
			s += f(i)
		}
		return s
	case n <= pairwiseBlock:
		var r [8]float64
		for j := range r {
			r[j] = f(lo + j)
		}
		i := 8
		for ; i < n-n%8; i += 8 {
			for j := range r {
				r[j] += f(lo + i + j)
			}
		}
		s := ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
		for ; i < n; i++ {
			s += f(lo + i)
		}
		return s
	}
	n2 := n / 2
	n2 -= n2 % 8
	return pwSumFunc(lo, lo+n2, f) + pwSumFunc(lo+n2, hi, f)
}

// QuantileSorted returns the q-quantile of sorted with numpy's default
// 'linear' method (Hyndman & Fan type 7): with v = q*(n-1), i = floor(v) and
// g = v - i,
//
//	Q(q) = x_i + (x_{i+1} - x_i) * g          if g < 0.5
//	Q(q) = x_{i+1} - (x_{i+1} - x_i) * (1-g)  otherwise
//
// (numpy's _lerp, bit for bit). It returns NaN for an empty slice and panics
// if q is outside [0, 1] or NaN.
func QuantileSorted(sorted []float64, q float64) float64 {
	if !(q >= 0 && q <= 1) {
		panic("stats: quantile out of [0, 1]")
	}
	n := len(sorted)
	if n == 0 {
		return math.NaN()
	}
	v := float64(n-1) * q
	if v >= float64(n-1) {
		return sorted[n-1]
	}
	fi := math.Floor(v)
	i := int(fi)
	g := v - fi
	a, b := sorted[i], sorted[i+1]
	diff := b - a
	if g >= 0.5 {
		return b - diff*(1-g)
	}
	return a + diff*g
}

// DistinctSorted returns the number of distinct values in sorted (values that
// compare equal, such as -0 and +0, count once).
func DistinctSorted(sorted []float64) int {
	if len(sorted) == 0 {
		return 0
	}
	k := 1
	for i := 1; i < len(sorted); i++ {
		if sorted[i] != sorted[i-1] {
			k++
		}
	}
	return k
}

// UnionDistinctSorted returns the number of distinct values in the union of
// the sorted slices a and b.
func UnionDistinctSorted(a, b []float64) int {
	return UnionDistinctSortedAtMost(a, b, len(a)+len(b))
}
