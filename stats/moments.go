package stats

import (
	"math"

	"gonum.org/v1/gonum/floats"
)

// Moments summarise a sample for its mean and variance in a form that merges:
// the count N, the mean, M2 = sum (x - mean)^2, and the min and max. Two
// summaries of disjoint samples a and b merge by Chan, Golub & LeVeque's (1979)
// pairwise update,
//
//	n = na + nb,  d = mean_b - mean_a,
//	mean = mean_a + d nb/n,  M2 = M2a + M2b + d^2 na nb / n,
//
// which is exact in real arithmetic; in floating point the result depends on
// the order of merges only at the level of rounding (about 1e-16 relative for
// the mean, and for M2 unless the variance is tiny against the mean).
type Moments struct {
	N        int64
	Mean, M2 float64
	Min, Max float64 // +Inf, -Inf when N = 0
}

// MomentsOf returns the moments of the finite values of x (NaN and ±Inf are
// skipped) in two passes: a first mean m0 from a four-lane sum, then with
// d = x - m0 the refined mean m0 + sum d/n and M2 = sum d^2 - (sum d)^2/n (the
// corrected two-pass algorithm of Chan, Golub & LeVeque 1983), both accurate to a
// few ulps.
func MomentsOf(x []float64) Moments {
	var s0, s1, s2, s3 float64
	lo, hi := math.Inf(1), math.Inf(-1)
	n := 0
	i := 0
	for ; i+4 <= len(x); i += 4 {
		a, b, c, d := x[i], x[i+1], x[i+2], x[i+3]
		if a-a != 0 || b-b != 0 || c-c != 0 || d-d != 0 {
			// a missing value: this block's finite values one by one, each in its lane
			if a-a == 0 {
				s0 += a
				lo, hi = min(lo, a), max(hi, a)
				n++
			}
			if b-b == 0 {
				s1 += b
				lo, hi = min(lo, b), max(hi, b)
				n++
			}
			if c-c == 0 {
				s2 += c
				lo, hi = min(lo, c), max(hi, c)
				n++
			}
			if d-d == 0 {
				s3 += d
				lo, hi = min(lo, d), max(hi, d)
				n++
			}
			continue
		}
		s0 += a
		s1 += b
		s2 += c
		s3 += d
		// plain comparisons (rarely taken) instead of the builtins, whose NaN and ±0
		// rules cost a chain of several instructions; ±0 is settled below
		if a < lo || b < lo || c < lo || d < lo {
			lo = min(lo, a, b, c, d)
		}
		if a > hi || b > hi || c > hi || d > hi {
			hi = max(hi, a, b, c, d)
		}
		n += 4
	}
	if lo == 0 || hi == 0 { // min(-0, +0) is -0 and max(-0, +0) is +0
		for _, v := range x[:i] {
			if v-v == 0 {
				lo, hi = min(lo, v), max(hi, v)
			}
		}
	}
	for ; i < len(x); i++ {
		a := x[i]
		if a-a != 0 {
			continue
		}
		s0 += a
		lo = min(lo, a)
		hi = max(hi, a)
		n++
	}
	m := Moments{N: int64(n), Min: lo, Max: hi}
	if n == 0 {
		return m
	}
	if lo == hi { // constant: exactly, whatever the rounding of the sum
		m.Mean = lo
		return m
	}
	fn := float64(n)
	m0 := ((s0 + s1) + (s2 + s3)) / fn
	if math.IsInf(m0, 0) || math.IsNaN(m0) { // the sum overflowed: scale down
		m0 = 0
		for _, v := range x {
			if v-v == 0 {
				m0 += v / fn
			}
		}
	}
	// the second pass in four lanes too (a missing value counts as d = 0)
	var d0, d1, d2, d3, q0, q1, q2, q3 float64
	i = 0
	for ; i+4 <= len(x); i += 4 {
		a, b, c, d := x[i], x[i+1], x[i+2], x[i+3]
		if a-a != 0 || b-b != 0 || c-c != 0 || d-d != 0 {
			a, b, c, d = finiteOr(a, m0), finiteOr(b, m0), finiteOr(c, m0), finiteOr(d, m0)
		}
		a, b, c, d = a-m0, b-m0, c-m0, d-m0
		d0 += a
		d1 += b
		d2 += c
		d3 += d
		q0 += a * a
		q1 += b * b
		q2 += c * c
		q3 += d * d
	}
	for ; i < len(x); i++ {
		if v := x[i]; v-v == 0 {
			d0 += v - m0
			q0 += (v - m0) * (v - m0)
		}
	}
	sd := (d0 + d1) + (d2 + d3)
	m2 := (q0 + q1) + (q2 + q3)
	m.Mean = m0 + sd/fn
	m.M2 = m2 - sd*sd/fn
	return m
}

// finiteOr returns v if it is finite, else or.
func finiteOr(v, or float64) float64 {
	if v-v != 0 {
		return or
	}
	return v
}

// Merge returns the moments of the union of the samples of m and o.
func (m Moments) Merge(o Moments) Moments {
	switch {
	case o.N == 0:
		return m
	case m.N == 0:
		return o
	}
	n := m.N + o.N
	fa, fb, fn := float64(m.N), float64(o.N), float64(n)
	d := o.Mean - m.Mean
	return Moments{
		N:    n,
		Mean: m.Mean + d*(fb/fn),
		M2:   m.M2 + o.M2 + d*d*(fa*fb/fn),
		Min:  min(m.Min, o.Min),
		Max:  max(m.Max, o.Max),
	}
}

// Var is the population variance M2/N (ddof 0); NaN when N = 0.
func (m Moments) Var() float64 {
	if m.N == 0 {
		return math.NaN()
	}
	return m.M2 / float64(m.N)
}

// Std is the population standard deviation sqrt(M2/N) (ddof 0).
func (m Moments) Std() float64 { return math.Sqrt(m.Var()) }

// CoMoments summarise the complete pairs (both values finite) of two columns
// for their Pearson correlation, mergeable like Moments:
//
//	n, mean_x, mean_y, M2x = sum (x - mean_x)^2, M2y, C = sum (x - mean_x)(y - mean_y),
//	merged: C = Ca + Cb + dx dy na nb / n  (and M2x, M2y as in Moments).
//
// Pearson is C / sqrt(M2x M2y), pairwise-complete as pandas' DataFrame.corr.
type CoMoments struct {
	N            int64
	MeanX, MeanY float64
	M2X, M2Y, C  float64
}

// CoMomentsOf returns the co-moments of the rows where x[i] and y[i] are both
// finite, two-pass. It panics if the lengths differ.
func CoMomentsOf(x, y []float64) CoMoments {
	if len(x) != len(y) {
		panic("stats: CoMomentsOf of slices of different lengths")
	}
	var c CoMoments
	var sx, sy float64
	lox, hix, loy, hiy := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for i, a := range x {
		b := y[i]
		if a-a == 0 && b-b == 0 {
			c.N++
			sx += a
			sy += b
			lox, hix = min(lox, a), max(hix, a)
			loy, hiy = min(loy, b), max(hiy, b)
		}
	}
	if c.N == 0 {
		return c
	}
	c.MeanX, c.MeanY = sx/float64(c.N), sy/float64(c.N)
	if lox == hix { // constant: exactly
		c.MeanX = lox
	}
	if loy == hiy {
		c.MeanY = loy
	}
	for i, a := range x {
		b := y[i]
		if a-a == 0 && b-b == 0 {
			dx, dy := a-c.MeanX, b-c.MeanY
			c.M2X += dx * dx
			c.M2Y += dy * dy
			c.C += dx * dy
		}
	}
	return c
}

// Merge returns the co-moments of the union of the rows of c and o.
func (c CoMoments) Merge(o CoMoments) CoMoments {
	switch {
	case o.N == 0:
		return c
	case c.N == 0:
		return o
	}
	n := c.N + o.N
	fa, fb, fn := float64(c.N), float64(o.N), float64(n)
	dx, dy := o.MeanX-c.MeanX, o.MeanY-c.MeanY
	f := fa * fb / fn
	return CoMoments{
		N:     n,
		MeanX: c.MeanX + dx*(fb/fn),
		MeanY: c.MeanY + dy*(fb/fn),
		M2X:   c.M2X + o.M2X + dx*dx*f,
		M2Y:   c.M2Y + o.M2Y + dy*dy*f,
		C:     c.C + o.C + dx*dy*f,
	}
}

// Pearson is the correlation C / sqrt(M2x M2y), clipped to [-1, 1]; NaN with
// fewer than two pairs or a constant column.
func (c CoMoments) Pearson() float64 {
	if c.N < 2 || !(c.M2X > 0) || !(c.M2Y > 0) {
		return math.NaN()
	}
	r := c.C / math.Sqrt(c.M2X*c.M2Y)
	return max(-1, min(1, r))
}

// CoMomentMatrix accumulates the CoMoments of every pair of k columns, fed
// chunk by chunk with row-aligned columns. Per chunk each column is shifted by
// its mean (over its finite values) with missing values set to 0, so that the
// sum of products of two shifted columns runs over the rows where both are
// present; the pair's own sums over those rows are the column sums less the
// values at the rows where the other column is missing (few, kept as lists).
// The products are summed in row blocks that fit the CPU cache. Each chunk's
// co-moments then follow from the shifted sums (n, Sx, Sy, Sxx, Syy, Sxy):
//
//	mean_x = c_x + Sx/n,  M2x = Sxx - Sx^2/n,  C = Sxy - Sx Sy/n,
//
// accurate while the shift c is within a few standard deviations of the mean,
// and merge into the running pairs by Chan's update.
type CoMomentMatrix struct {
	K     int
	Pairs []CoMoments // pair (i, j), i < j, at index PairIndex(i, j)

	shifted [][]float64 // per column: x - c, 0 where missing
	missing [][]int32   // per column: rows where missing
	shift   []float64
	sum     []float64 // per column: sum of shifted values
	sumSq   []float64 // per column: sum of squared shifted values
	count   []int64   // per column: finite values
	sxy     []float64 // per pair: sum of products
	next    []float64 // per column: this chunk's mean, the next chunk's shift
	started []bool    // per column: a finite value was seen
}

// NewCoMomentMatrix returns an empty accumulator for k columns.
func NewCoMomentMatrix(k int) *CoMomentMatrix {
	return &CoMomentMatrix{K: k, Pairs: make([]CoMoments, k*(k-1)/2)}
}

// PairIndex is the index of pair (i, j), i != j, in Pairs.
func (m *CoMomentMatrix) PairIndex(i, j int) int {
	if i > j {
		i, j = j, i
	}
	return i*(2*m.K-i-1)/2 + (j - i - 1)
}

// coBlock is the rows per block of the products (k columns × 512 rows × 8 bytes
// stay in the L2 cache for k up to 64).
const coBlock = 512

// Add accumulates one chunk: cols[i] is column i, all of the same length. It
// panics if len(cols) != K or the lengths differ.
func (m *CoMomentMatrix) Add(cols [][]float64) {
	if len(cols) != m.K {
		panic("stats: CoMomentMatrix.Add with the wrong number of columns")
	}
	if m.K < 2 {
		return
	}
	n := len(cols[0])
	for _, c := range cols {
		if len(c) != n {
			panic("stats: CoMomentMatrix.Add of columns of different lengths")
		}
	}
	if n == 0 {
		return
	}
	k := m.K
	if len(m.shifted) != k {
		m.shifted = make([][]float64, k)
		m.missing = make([][]int32, k)
		m.shift = make([]float64, k)
		m.sum = make([]float64, k)
		m.sumSq = make([]float64, k)
		m.count = make([]int64, k)
		m.sxy = make([]float64, len(m.Pairs))
		m.next = make([]float64, k)
	}
	if m.started == nil {
		m.started = make([]bool, k)
	}
	for i, c := range cols {
		// the shift: the column's mean over the previous chunk (its first value
		// before that), close enough to this chunk's mean for the shifted sums
		sh := m.shift[i]
		if !m.started[i] {
			for _, v := range c {
				if v-v == 0 {
					sh, m.started[i] = v, true
					break
				}
			}
		}
		buf := m.shifted[i]
		if cap(buf) < n {
			buf = make([]float64, n)
		}
		buf = buf[:n]
		miss := m.missing[i][:0]
		// two lanes of sums; a missing value is a shifted 0
		var s0, s1, q0, q1 float64
		r := 0
		for ; r+2 <= n; r += 2 {
			a, b := c[r]-sh, c[r+1]-sh
			if c[r]-c[r] != 0 || c[r+1]-c[r+1] != 0 {
				if c[r]-c[r] != 0 {
					miss = append(miss, int32(r))
					a = 0
				}
				if c[r+1]-c[r+1] != 0 {
					miss = append(miss, int32(r+1))
					b = 0
				}
			}
			buf[r], buf[r+1] = a, b
			s0 += a
			s1 += b
			q0 += a * a
			q1 += b * b
		}
		if r < n {
			a := c[r] - sh
			if c[r]-c[r] != 0 {
				miss = append(miss, int32(r))
				a = 0
			}
			buf[r] = a
			s0 += a
			q0 += a * a
		}
		s, ss := s0+s1, q0+q1
		cnt := int64(n - len(miss))
		m.shifted[i], m.missing[i], m.shift[i] = buf, miss, sh
		m.sum[i], m.sumSq[i], m.count[i] = s, ss, cnt
		if cnt > 0 {
			m.next[i] = sh + s/float64(cnt)
		}
	}
	clear(m.sxy)
	for lo := 0; lo < n; lo += coBlock {
		hi := min(lo+coBlock, n)
		p := 0
		for i := 0; i < k; i++ {
			a := m.shifted[i][lo:hi]
			for j := i + 1; j < k; j++ {
				m.sxy[p] += floats.Dot(a, m.shifted[j][lo:hi]) // assembly on amd64
				p++
			}
		}
	}
	p := 0
	for i := 0; i < k; i++ {
		for j := i + 1; j < k; j++ {
			mi, mj := m.missing[i], m.missing[j]
			nb := m.count[i] - int64(len(mj)) + intersect(mi, mj) // rows with both
			if nb <= 0 {
				p++
				continue
			}
			sx, sxx := m.sum[i], m.sumSq[i]
			for _, r := range mj {
				d := m.shifted[i][r]
				sx -= d
				sxx -= d * d
			}
			sy, syy := m.sum[j], m.sumSq[j]
			for _, r := range mi {
				d := m.shifted[j][r]
				sy -= d
				syy -= d * d
			}
			fn := float64(nb)
			cm := CoMoments{N: nb, MeanX: m.shift[i] + sx/fn, MeanY: m.shift[j] + sy/fn,
				M2X: max(0, sxx-sx*sx/fn), M2Y: max(0, syy-sy*sy/fn), C: m.sxy[p] - sx*sy/fn}
			m.Pairs[p] = m.Pairs[p].Merge(cm)
			p++
		}
	}
	copy(m.shift, m.next)
}

// intersect returns the size of the intersection of two sorted lists.
func intersect(a, b []int32) int64 {
	var n int64
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] < b[j]:
			i++
		case a[i] > b[j]:
			j++
		default:
			n++
			i++
			j++
		}
	}
	return n
}

// Merge adds the pairs of o (same K) to m. It panics if K differs.
func (m *CoMomentMatrix) Merge(o *CoMomentMatrix) {
	if m.K != o.K {
		panic("stats: CoMomentMatrix.Merge with a different number of columns")
	}
	for p := range m.Pairs {
		m.Pairs[p] = m.Pairs[p].Merge(o.Pairs[p])
	}
}

// Pearson returns the pairwise-complete Pearson correlation of columns i and
// j (1 on the diagonal for a column with variance).
func (m *CoMomentMatrix) Pearson(i, j int) float64 {
	if i == j {
		return 1
	}
	return m.Pairs[m.PairIndex(i, j)].Pearson()
}
