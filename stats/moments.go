package stats

import "math"

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
// skipped): the mean from a compensated (Neumaier) sum, M2 by the corrected
// two-pass formula sum d^2 - (sum d)^2/n with d = x - mean (Chan, Golub &
// LeVeque 1983), both accurate to a few ulps.
func MomentsOf(x []float64) Moments {
	m := Moments{Min: math.Inf(1), Max: math.Inf(-1)}
	var s, c float64
	for _, v := range x {
		if v-v == 0 {
			m.N++
			t := s + v
			if math.Abs(s) >= math.Abs(v) {
				c += (s - t) + v
			} else {
				c += (v - t) + s
			}
			s = t
			m.Min = min(m.Min, v)
			m.Max = max(m.Max, v)
		}
	}
	if m.N == 0 {
		return m
	}
	if m.Min == m.Max { // constant: exactly, whatever the rounding of the sum
		m.Mean = m.Min
		return m
	}
	fn := float64(m.N)
	m.Mean = (s + c) / fn
	if math.IsInf(m.Mean, 0) || math.IsNaN(m.Mean) { // the sum overflowed: scale down
		s = 0
		for _, v := range x {
			if v-v == 0 {
				s += v / fn
			}
		}
		m.Mean = s
	}
	var sd float64
	for _, v := range x {
		if v-v == 0 {
			d := v - m.Mean
			m.M2 += d * d
			sd += d
		}
	}
	m.M2 -= sd * sd / fn
	return m
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
// chunk by chunk with row-aligned columns. Chunks whose two columns are both
// complete take a fast path (the columns centred once, one dot product per
// pair, no branches); the others go row by row.
type CoMomentMatrix struct {
	K     int
	Pairs []CoMoments // pair (i, j), i < j, at index PairIndex(i, j)

	centred [][]float64
	full    []bool
	col     []Moments
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
	if len(m.centred) != m.K {
		m.centred = make([][]float64, m.K)
		m.full = make([]bool, m.K)
		m.col = make([]Moments, m.K)
	}
	for i, c := range cols {
		mo := MomentsOf(c)
		m.col[i] = mo
		m.full[i] = mo.N == int64(n)
		if m.full[i] {
			buf := m.centred[i][:0]
			for _, v := range c {
				buf = append(buf, v-mo.Mean)
			}
			m.centred[i] = buf
		}
	}
	for i := 0; i < m.K; i++ {
		for j := i + 1; j < m.K; j++ {
			var cm CoMoments
			if m.full[i] && m.full[j] {
				cm = CoMoments{N: int64(n), MeanX: m.col[i].Mean, MeanY: m.col[j].Mean,
					M2X: m.col[i].M2, M2Y: m.col[j].M2, C: dot(m.centred[i], m.centred[j])}
			} else {
				cm = CoMomentsOf(cols[i], cols[j])
			}
			p := m.PairIndex(i, j)
			m.Pairs[p] = m.Pairs[p].Merge(cm)
		}
	}
}

// dot is sum a_i b_i with four accumulators.
func dot(a, b []float64) float64 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return (s0 + s1) + (s2 + s3)
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
