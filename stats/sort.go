package stats

import (
	"math"
	"slices"
)

// radixMin is the length below which Sort uses slices.Sort: the radix sort's
// fixed cost (histograms, scratch) only pays off on longer slices.
const radixMin = 2048

// Radix digits: 8 passes of 8 bits over the 64-bit keys. Passes whose digit
// is the same for every key are skipped.
const (
	digitBits = 8
	digits    = 64 / digitBits
	buckets   = 1 << digitBits
	digitMask = buckets - 1
)

// Sort sorts x in ascending order. It is an LSD radix sort on order-preserving
// uint64 keys of the float64 values (the sign bit flipped for positive
// values, all bits flipped for negative ones), so that -0 sorts before +0;
// slices shorter than 2048 are sorted with slices.Sort, and an already sorted
// slice is returned after one slices.IsSorted check.
//
// x must hold no NaN (drop missing values first, see Finite). Sort allocates
// 8*len(x) bytes of scratch; use a Sorter to reuse it.
func Sort(x []float64) {
	var s Sorter
	s.Sort(x)
}

// A Sorter sorts float64 slices like Sort, reusing its scratch buffer: once the
// buffer has grown to the longest slice sorted, Sort makes no allocations.
// The zero value is ready to use. A Sorter must not be used concurrently.
type Sorter struct {
	buf  []uint64
	hist [digits][buckets]int
}

// Sort sorts x in ascending order; see the package-level Sort.
func (s *Sorter) Sort(x []float64) {
	n := len(x)
	if n < radixMin {
		slices.Sort(x)
		return
	}
	if slices.IsSorted(x) {
		return
	}
	if cap(s.buf) < n {
		s.buf = make([]uint64, n)
	}
	buf := s.buf[:n]

	// One read pass for all digit histograms.
	h := &s.hist
	*h = [digits][buckets]int{}
	for _, v := range x {
		k := floatKey(math.Float64bits(v))
		for d := range digits {
			h[d][(k>>(d*digitBits))&digitMask]++
		}
	}
	var pass [digits]int
	np := 0
	for d := range digits {
		if h[d][(floatKey(math.Float64bits(x[0]))>>(d*digitBits))&digitMask] == n {
			continue // every key has this digit: the pass would not move anything
		}
		// Exclusive prefix sums turn counts into start offsets.
		sum := 0
		for b := range buckets {
			c := h[d][b]
			h[d][b] = sum
			sum += c
		}
		pass[np] = d
		np++
	}
	if np == 0 {
		return // all keys equal (cannot happen after IsSorted, kept for safety)
	}

	// Data moves x -> buf -> x -> ...; x holds raw key bits in between, and the
	// pass that writes the final order into x also undoes the key transform.
	inX, keyed := true, false
	for i := range np {
		d := pass[i]
		shift := uint(d * digitBits)
		last := i == np-1
		if inX {
			scatterToBuf(x, buf, &h[d], shift, !keyed)
		} else {
			scatterToX(buf, x, &h[d], shift, last)
		}
		inX, keyed = !inX, true
	}
	if !inX {
		for i, k := range buf {
			x[i] = math.Float64frombits(keyFloat(k))
		}
	}
}

// scatterToBuf moves x into dst by the digit at shift. If transform, x holds
// float64 values whose keys are computed on the way; else x holds key bits.
func scatterToBuf(x []float64, dst []uint64, off *[buckets]int, shift uint, transform bool) {
	if transform {
		for _, v := range x {
			k := floatKey(math.Float64bits(v))
			b := (k >> shift) & digitMask
			dst[off[b]] = k
			off[b]++
		}
		return
	}
	for _, v := range x {
		k := math.Float64bits(v)
		b := (k >> shift) & digitMask
		dst[off[b]] = k
		off[b]++
	}
}

// scatterToX moves keys from src into x by the digit at shift, storing float64
// values if final, else raw key bits.
func scatterToX(src []uint64, x []float64, off *[buckets]int, shift uint, final bool) {
	if final {
		for _, k := range src {
			b := (k >> shift) & digitMask
			x[off[b]] = math.Float64frombits(keyFloat(k))
			off[b]++
		}
		return
	}
	for _, k := range src {
		b := (k >> shift) & digitMask
		x[off[b]] = math.Float64frombits(k)
		off[b]++
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
	i, j, k := 0, 0, 0
	for i < len(a) || j < len(b) {
		var v float64
		switch {
		case j == len(b) || (i < len(a) && a[i] < b[j]):
			v = a[i]
		default:
			v = b[j]
		}
		for i < len(a) && a[i] == v {
			i++
		}
		for j < len(b) && b[j] == v {
			j++
		}
		k++
	}
	return k
}
