package stats

import (
	"cmp"
	"math"
	"math/bits"
	"slices"
	"sync"
	"sync/atomic"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// Correlation kernels: Pearson and Spearman of two slices and of many columns at once,
// with pandas' missing-value rule (pairwise-complete), and Cramér's V of a contingency
// table. Missing values are NaN and ±Inf, as everywhere in this package.

func isFinite(v float64) bool { return v-v == 0 }

// Pearson returns the Pearson correlation coefficient of the pairs (x[i], y[i]) in which
// both values are finite (pairwise-complete, as pandas Series.corr),
//
//	r = sum_i (x_i - mean_x)(y_i - mean_y) / sqrt(sum_i (x_i - mean_x)^2 * sum_i (y_i - mean_y)^2)
//
// computed with pandas' algorithm (libalgos.nancorr: Welford updates of the means and
// co-moments), so that a constant input gives exactly zero variance. It returns NaN when
// fewer than two pairs remain or when either side is constant over them. It panics if
// len(x) != len(y).
func Pearson(x, y []float64) float64 {
	if len(x) != len(y) {
		panic("stats: Pearson: slices of different lengths")
	}
	var n, mx, my, sxx, syy, sxy float64
	for i, vx := range x {
		vy := y[i]
		if !isFinite(vx) || !isFinite(vy) {
			continue
		}
		n++
		dx, dy := vx-mx, vy-my
		mx += float64(1/n) * dx
		my += float64(1/n) * dy
		sxx += float64((vx - mx) * dx)
		syy += float64((vy - my) * dy)
		sxy += float64((vx - mx) * dy)
	}
	if n < 2 {
		return math.NaN()
	}
	div := math.Sqrt(sxx * syy)
	if div == 0 {
		return math.NaN()
	}
	return sxy / div
}

// Ranks sets dst[i] to the average rank (1-based) of x[i] among the finite values of x:
// tied values get the mean of the ranks they span, as scipy.stats.rankdata(method=
// "average"). Missing values (NaN, ±Inf) get NaN. dst is grown to len(x) (nil
// allocates) and returned; it may not alias x.
func Ranks(dst, x []float64) []float64 {
	dst = slices.Grow(dst[:0], len(x))[:len(x)]
	order := make([]int32, 0, len(x))
	for i, v := range x {
		if isFinite(v) {
			order = append(order, int32(i))
		} else {
			dst[i] = math.NaN()
		}
	}
	slices.SortStableFunc(order, func(a, b int32) int { return cmp.Compare(x[a], x[b]) }) // finite values
	for p := 0; p < len(order); {
		q := p + 1
		for q < len(order) && x[order[q]] == x[order[p]] {
			q++
		}
		r := float64(p+q+1) / 2
		for t := p; t < q; t++ {
			dst[order[t]] = r
		}
		p = q
	}
	return dst
}

// Spearman returns Spearman's rank correlation of the pairs (x[i], y[i]) in which both
// values are finite: the Pearson correlation of their average ranks, ranked within those
// pairs (as pandas Series.corr(method="spearman") and scipy.stats.spearmanr on the
// complete pairs). NaN when fewer than two pairs remain or either side is constant over
// them. It panics if len(x) != len(y).
func Spearman(x, y []float64) float64 {
	if len(x) != len(y) {
		panic("stats: Spearman: slices of different lengths")
	}
	var a, b []float64
	for i, vx := range x {
		if isFinite(vx) && isFinite(y[i]) {
			a = append(a, vx)
			b = append(b, y[i])
		}
	}
	if len(a) < 2 {
		return math.NaN()
	}
	ra, rb := Ranks(nil, a), Ranks(nil, b)
	mean := float64(len(a)+1) / 2
	var sab, saa, sbb float64
	for i := range ra {
		da, db := ra[i]-mean, rb[i]-mean
		sab += da * db
		saa += da * da
		sbb += db * db
	}
	div := math.Sqrt(saa * sbb)
	if div == 0 {
		return math.NaN()
	}
	return sab / div
}

// CorrOptions configure Correlations.
type CorrOptions struct {
	// Spearman asks for the Spearman matrix as well as Pearson's.
	Spearman bool
	// Workers is the number of goroutines (<= 0: 1). The result does not depend on it.
	Workers int
}

// CorrMatrices are the correlation matrices of K columns, row-major K×K and symmetric.
// An entry is NaN when it is undefined: fewer than two complete pairs, or a column that
// is constant over the pair's complete rows (a constant column has NaN on its whole row
// and column, the diagonal included, as in pandas).
type CorrMatrices struct {
	K        int
	Pearson  []float64
	Spearman []float64 // nil unless CorrOptions.Spearman
	// Pairs is the number of pairwise-complete rows of each pair (K×K; the diagonal
	// holds each column's count of finite values).
	Pairs []int64
}

// At returns the entry (i, j) of m (a Pearson or Spearman slice of K×K).
func (c *CorrMatrices) At(m []float64, i, j int) float64 { return m[i*c.K+j] }

// Correlations returns the Pearson (and optionally Spearman) correlation matrix of the
// columns, each entry over the rows where both columns are finite (pairwise-complete),
// equal to pandas DataFrame.corr(method="pearson") and DataFrame.corr(method=
// "spearman") (min_periods=1) up to rounding.
//
// Method. Pearson: each column is shifted by its mean and missing values set to 0; the
// co-moment sum_r x_i x_j of every pair is a block-wise dot product (the shifted values
// of 4096 rows at a time, summed block by block in row order, so the result is the same
// for any Workers), and the pair's sums over its complete rows are those over each
// column's finite rows less the rows where the other column is missing (missSums,
// gathered in the same pass from the rows where some column is missing). A pair whose
// variance over its rows is small against its shifted sum of squares (a near-constant
// pair, where cancellation would lose digits) is recomputed with Pearson's two-slice
// algorithm. Spearman: each column is ranked once (average ranks: keys bucketed by their
// top bits and sorted in cache, equal float32 keys refined by the float64 values; see
// corrCol.rank); ranks are centred and stored as float32, exact for fewer than 2^24
// finite values per column (float64 above). Pairs whose columns are missing on the same
// rows use the block dot products of the centred ranks. A pair whose columns are
// missing on different rows is re-ranked over its complete rows (as pandas does): each
// rank is the column's sorted position less the pair's removed rows below it, counted
// by a table of 64-position words, O(n) per pair; pairs go four at a time (two couples
// of columns, see spearmanTile: one table read per pair and row) and the rest one by
// one (spearmanPair). Sums are exact in int64 below 2^21 rows.
//
// Memory: besides the input, 4 bytes per value for the ranks (or for the sorted
// positions instead, when every pair of a column is re-ranked; both when some are and
// some are not), 16 bytes per row and ~0.7 MB per worker of sorting scratch, 4 bytes
// per column per row where some column is missing, and 24 bytes per 64 rows for each of
// a worker's four tile tables. It panics if the columns differ in length.
func Correlations(cols [][]float64, o CorrOptions) CorrMatrices {
	k := len(cols)
	res := CorrMatrices{K: k, Pearson: make([]float64, k*k), Pairs: make([]int64, k*k)}
	if o.Spearman {
		res.Spearman = make([]float64, k*k)
	}
	if k == 0 {
		return res
	}
	n := len(cols[0])
	for _, c := range cols {
		if len(c) != n {
			panic("stats: Correlations: columns of different lengths")
		}
	}
	workers := max(o.Workers, 1)
	cc := make([]corrCol, k)
	parallelFor(k, workers, func(_ int, next func() (int, bool)) {
		for i, ok := next(); ok; i, ok = next() {
			cc[i].prepare(cols[i])
		}
	})

	// Pearson: the co-moments, and per gram block the sums over the rows where another
	// column is missing (summed in block order below: the same for any Workers)
	mr := newMissRows(cc, n)
	var blockSums []missSums // nil: summed per column after the co-moments
	if mr != nil && int64(k)*int64(k)*int64(len(mr.blocks)-1)*24 <= missSumsBudget {
		blockSums = make([]missSums, len(mr.blocks)-1)
	}
	g := gram(k, n, workers, func(dst []float64, i, lo, hi int) {
		x, m := cols[i][lo:hi], cc[i].mean
		for r, v := range x {
			d := v - m
			if d-d != 0 {
				d = 0
			}
			dst[r] = d
		}
		if blockSums != nil {
			b := lo / gramBlock
			if mr.blocks[b] < mr.blocks[b+1] {
				if blockSums[b].n == nil {
					blockSums[b] = newMissSums(k)
				}
				mr.add(&blockSums[b], k, i, b, lo, x, dst[:hi-lo])
			}
		}
	})
	ms := newMissSums(k)
	if mr != nil && blockSums == nil {
		mr.sumsByColumn(&ms, cols, cc, workers)
	}
	for _, bs := range blockSums {
		if bs.n == nil {
			continue
		}
		for t := range ms.n {
			ms.n[t] += bs.n[t]
			ms.s[t] += bs.s[t]
			ms.ss[t] += bs.ss[t]
		}
	}
	for i := range k {
		for j := range k {
			res.Pairs[i*k+j] = cc[i].n - ms.n[i*k+j]
		}
	}
	for i := range k {
		for j := 0; j <= i; j++ {
			v := pearsonEntry(cols, cc, g, &ms, i, j)
			res.Pearson[i*k+j], res.Pearson[j*k+i] = v, v
		}
	}
	if !o.Spearman {
		return res
	}

	// Spearman: rank every column; keep the sorted positions of those that a pair re-ranks
	// (and only those when no pair of the column uses the rank co-moments)
	parallelFor(k, workers, func(_ int, next func() (int, bool)) {
		var sc rankScratch
		for i, ok := next(); ok; i, ok = next() {
			if cc[i].constant {
				continue
			}
			walks, coMoments := false, false
			for j := range cc {
				walks = walks || cc[i].differs(&cc[j])
				coMoments = coMoments || j != i && !cc[j].constant && !cc[i].differs(&cc[j])
			}
			cc[i].posOnly = !coMoments
			cc[i].rank(cols[i], walks, &sc)
		}
	})
	// the rank co-moments serve the pairs missing on the same rows (or nowhere)
	sameRows := false
	for i := range cc {
		sameRows = sameRows || !cc[i].constant && !cc[i].posOnly
	}
	var gs []float64
	if sameRows {
		gs = gram(k, n, workers, func(dst []float64, i, lo, hi int) {
			c := &cc[i]
			switch {
			case c.rank32 == nil && c.rank64 == nil: // constant, or no pair uses its ranks
				clear(dst)
				return
			case c.rank64 != nil:
				copy(dst, c.rank64[lo:hi])
				return
			}
			for r, v := range c.rank32[lo:hi] {
				dst[r] = float64(v)
			}
		})
	}
	var walk []pair
	for i := range k {
		for j := 0; j <= i; j++ {
			ci, cj := &cc[i], &cc[j]
			switch {
			case ci.constant || cj.constant || res.Pairs[i*k+j] < 2:
				res.Spearman[i*k+j], res.Spearman[j*k+i] = math.NaN(), math.NaN()
			case i == j:
				res.Spearman[i*k+i] = 1
			case !ci.differs(cj):
				v := corrRatio(gs[i*k+j], gs[i*k+i], gs[j*k+j])
				res.Spearman[i*k+j], res.Spearman[j*k+i] = v, v
			default:
				walk = append(walk, pair{i, j})
			}
		}
	}
	tiles, single := tileWalk(k, walk, res.Pairs)
	if len(tiles) > 0 {
		walkRows(cc, mr, workers)
	}
	parallelFor(len(tiles)+len(single), workers, func(_ int, next func() (int, bool)) {
		var ti, tj countTable
		var ts tileScratch
		for t, ok := next(); ok; t, ok = next() {
			if t < len(tiles) {
				tl := tiles[t]
				var m [4]int64
				for q, p := range tl.pairs() {
					m[q] = res.Pairs[p.i*k+p.j]
				}
				v := spearmanTile(&cc[tl.a0], &cc[tl.a1], &cc[tl.b0], &cc[tl.b1], m, &ts)
				for q, p := range tl.pairs() {
					res.Spearman[p.i*k+p.j], res.Spearman[p.j*k+p.i] = v[q], v[q]
				}
				continue
			}
			p := single[t-len(tiles)]
			v := spearmanPair(&cc[p.i], &cc[p.j], res.Pairs[p.i*k+p.j], &ti, &tj)
			res.Spearman[p.i*k+p.j], res.Spearman[p.j*k+p.i] = v, v
		}
	})
	return res
}

// pair is a pair of columns of Correlations.
type pair struct{ i, j int }

// tile is four re-ranked pairs computed together: (a0,b0), (a0,b1), (a1,b0), (a1,b1).
type tile struct{ a0, a1, b0, b1 int }

func (t tile) pairs() [4]pair {
	return [4]pair{{t.a0, t.b0}, {t.a0, t.b1}, {t.a1, t.b0}, {t.a1, t.b1}}
}

// tileWalk splits the re-ranked pairs into tiles and single pairs: the columns that
// some pair re-ranks are taken two by two (in column order) and two such couples make
// a tile when all four of their cross pairs are re-ranked and fit the integer path.
func tileWalk(k int, walk []pair, joint []int64) ([]tile, []pair) {
	isWalk := make([]bool, k*k)
	used := make([]bool, k)
	for _, p := range walk {
		isWalk[p.i*k+p.j], isWalk[p.j*k+p.i] = true, true
		used[p.i], used[p.j] = true, true
	}
	var cols []int
	for c, u := range used {
		if u {
			cols = append(cols, c)
		}
	}
	var tiles []tile
	done := make([]bool, k*k)
	for x := 0; x+1 < len(cols); x += 2 {
		for y := x + 2; y+1 < len(cols); y += 2 {
			t := tile{cols[x], cols[x+1], cols[y], cols[y+1]}
			ok := true
			for _, p := range t.pairs() {
				ok = ok && isWalk[p.i*k+p.j] && joint[p.i*k+p.j] < spearmanIntMax
			}
			if !ok {
				continue
			}
			tiles = append(tiles, t)
			for _, p := range t.pairs() {
				done[p.i*k+p.j], done[p.j*k+p.i] = true, true
			}
		}
	}
	var single []pair
	for _, p := range walk {
		if !done[p.i*k+p.j] {
			single = append(single, p)
		}
	}
	return tiles, single
}

func corrRatio(sxy, sxx, syy float64) float64 {
	div := math.Sqrt(sxx * syy)
	if div == 0 {
		return math.NaN()
	}
	return sxy / div
}

// parallel runs body on min(workers, n) goroutines; next hands out 0..n-1 in order.
func parallelFor(n, workers int, body func(worker int, next func() (int, bool))) {
	var ctr atomic.Int64
	next := func() (int, bool) {
		i := int(ctr.Add(1) - 1)
		return i, i < n
	}
	w := min(workers, n)
	if w <= 1 {
		if n > 0 {
			body(0, next)
		}
		return
	}
	var wg sync.WaitGroup
	for g := range w {
		wg.Go(func() { body(g, next) })
	}
	wg.Wait()
}

// gramBlock is the number of rows whose co-moments are summed together.
const gramBlock = 4096

// gram returns the K×K matrix of sum_r v_i[r] v_j[r], where fill writes rows [lo, hi) of
// column i's values into dst. Blocks of gramBlock rows are summed in row order.
func gram(k, n, workers int, fill func(dst []float64, i, lo, hi int)) []float64 {
	nb := (n + gramBlock - 1) / gramBlock
	part := make([]float64, nb*k*k)
	parallelFor(nb, workers, func(_ int, next func() (int, bool)) {
		buf := make([]float64, k*gramBlock)
		for b, ok := next(); ok; b, ok = next() {
			lo, hi := b*gramBlock, min(n, (b+1)*gramBlock)
			m := hi - lo
			for i := range k {
				fill(buf[i*gramBlock:i*gramBlock+m], i, lo, hi)
			}
			p := part[b*k*k : (b+1)*k*k]
			for i := range k {
				vi := buf[i*gramBlock : i*gramBlock+m]
				for j := 0; j <= i; j++ {
					p[i*k+j] = floats.Dot(vi, buf[j*gramBlock:j*gramBlock+m])
				}
			}
		}
	})
	g := make([]float64, k*k)
	for b := range nb {
		p := part[b*k*k : (b+1)*k*k]
		for i := range k {
			for j := 0; j <= i; j++ {
				g[i*k+j] += p[i*k+j]
			}
		}
	}
	for i := range k {
		for j := 0; j < i; j++ {
			g[j*k+i] = g[i*k+j]
		}
	}
	return g
}

// corrCol is one column prepared for Correlations.
type corrCol struct {
	n        int64   // finite values
	mean     float64 // of the finite values: the shift of the co-moments
	sum      float64 // sum of the shifted finite values
	miss     []int32 // rows with a missing value, ascending
	constant bool    // fewer than two distinct finite values

	// Spearman
	rank32 []float32 // centred average ranks, R - (n+1)/2; 0 for missing rows
	rank64 []float64 // instead of rank32 when n >= 2^24
	// posOnly asks rank for the positions alone (no rank32/rank64): no pair of the
	// column uses the rank co-moments
	posOnly bool
	// when tiles re-rank pairs: pos at the rows where some column is missing
	// (missRows), and the indices of miss among those rows
	posAt, missAt []int32
	// pos, when a pair re-ranks c: per row, the 0-based position of its value in
	// ascending order (-1 missing; -2-g when the value is tied: groups[g])
	pos    []int32
	groups []tieGroup // runs of tied values, in ascending order
}

// tieGroup is a run of n equal values at sorted positions [start, start+n).
type tieGroup struct{ start, n int32 }

func (c *corrCol) prepare(x []float64) {
	// sums in four lanes (no dependency chain); constant when every finite value
	// equals the first one
	var s [4]float64
	first, varies, seen := 0.0, false, false
	lo, hi := math.Inf(1), math.Inf(-1)
	i := 0
	for ; i+4 <= len(x); i += 4 {
		v := x[i : i+4 : i+4]
		if isFinite(v[0]) && isFinite(v[1]) && isFinite(v[2]) && isFinite(v[3]) {
			s[0] += v[0]
			s[1] += v[1]
			s[2] += v[2]
			s[3] += v[3]
			if !seen {
				first, seen = v[0], true
			}
			varies = varies || v[0] != first || v[1] != first || v[2] != first || v[3] != first
			continue
		}
		for t, w := range v {
			c.scan(w, i+t, &s[t], &first, &varies, &seen)
		}
	}
	for ; i < len(x); i++ {
		c.scan(x[i], i, &s[0], &first, &varies, &seen)
	}
	c.n = int64(len(x) - len(c.miss))
	c.constant = c.n < 2 || !varies
	if c.n == 0 {
		return
	}
	c.mean = ((s[0] + s[1]) + (s[2] + s[3])) / float64(c.n)
	if math.IsInf(c.mean, 0) { // the sum overflowed: shift by the midrange instead
		for _, v := range x {
			if isFinite(v) {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
		c.mean = lo/2 + hi/2
	}
	var d [4]float64
	m := c.mean
	if len(c.miss) == 0 {
		i = 0
		for ; i+4 <= len(x); i += 4 {
			v := x[i : i+4 : i+4]
			d[0] += v[0] - m
			d[1] += v[1] - m
			d[2] += v[2] - m
			d[3] += v[3] - m
		}
		for ; i < len(x); i++ {
			d[0] += x[i] - m
		}
	} else {
		// shifted sums in the same lanes (row i in lane i%4) as without missing values
		i = 0
		for ; i+4 <= len(x); i += 4 {
			v := x[i : i+4 : i+4]
			if isFinite(v[0]) && isFinite(v[1]) && isFinite(v[2]) && isFinite(v[3]) {
				d[0] += v[0] - m
				d[1] += v[1] - m
				d[2] += v[2] - m
				d[3] += v[3] - m
				continue
			}
			for t, w := range v {
				if isFinite(w) {
					d[t] += w - m
				}
			}
		}
		for ; i < len(x); i++ {
			if isFinite(x[i]) {
				d[i&3] += x[i] - m
			}
		}
	}
	c.sum = (d[0] + d[1]) + (d[2] + d[3])
}

// scan adds one value of prepare's first pass.
func (c *corrCol) scan(v float64, row int, s *float64, first *float64, varies, seen *bool) {
	if !isFinite(v) {
		c.miss = append(c.miss, int32(row))
		return
	}
	*s += v
	if !*seen {
		*first, *seen = v, true
	}
	*varies = *varies || v != *first
}

// differs reports whether c and d are missing on different rows.
func (c *corrCol) differs(d *corrCol) bool { return !slices.Equal(c.miss, d.miss) }

// missSums are, for each ordered pair (i, j) (index i*K+j), the count of the rows where
// column j is missing and column i finite, and the sums of column i's shifted values
// (x - mean) and of their squares over those rows.
type missSums struct {
	n     []int64
	s, ss []float64
}

func newMissSums(k int) missSums {
	return missSums{n: make([]int64, k*k), s: make([]float64, k*k), ss: make([]float64, k*k)}
}

// missRows lists the rows where some column is missing, ascending, with the columns
// missing there: first[at], then extra[off[at]:off[at+1]] (most rows miss one column).
// blocks[b] is the first of them in gram block b (len nb+1).
type missRows struct {
	rows, first, off, extra, blocks []int32
	any                             []uint64 // the listed rows as a bitmap
	before                          []int32  // listed rows before each word of any
}

// at returns the index in rows of listed row q.
func (mr *missRows) at(q int32) int32 {
	w := q >> 6
	return mr.before[w] + int32(bits.OnesCount64(mr.any[w]&(1<<(uint32(q)&63)-1)))
}

// walkRows gives every column that a pair re-ranks its positions at the listed rows
// (posAt) and the indices of its missing rows among them (missAt), so that the tile
// tables are built from compact arrays instead of reading pos at random rows.
func walkRows(cc []corrCol, mr *missRows, workers int) {
	parallelFor(len(cc), workers, func(_ int, next func() (int, bool)) {
		for i, ok := next(); ok; i, ok = next() {
			c := &cc[i]
			if c.pos == nil { // no pair of it is re-ranked
				continue
			}
			c.missAt = make([]int32, len(c.miss))
			for t, q := range c.miss {
				c.missAt[t] = mr.at(q)
			}
			c.posAt = make([]int32, len(mr.rows))
			for a, q := range mr.rows {
				c.posAt[a] = c.pos[q]
			}
		}
	})
}

func newMissRows(cc []corrCol, n int) *missRows {
	words := (n + 63) / 64
	any := make([]uint64, words)
	none := true
	for i := range cc {
		for _, q := range cc[i].miss {
			any[q>>6] |= 1 << (uint32(q) & 63)
			none = false
		}
	}
	if none {
		return nil
	}
	mr := &missRows{any: any}
	before := make([]int32, words) // listed rows before each word
	mr.before = before
	for w, b := range any {
		before[w] = int32(len(mr.rows))
		for ; b != 0; b &= b - 1 {
			mr.rows = append(mr.rows, int32(w*64+bits.TrailingZeros64(b)))
		}
	}
	at := mr.at
	mr.first = make([]int32, len(mr.rows))
	for a := range mr.first {
		mr.first[a] = -1
	}
	cnt := make([]int32, len(mr.rows)+1) // columns beyond the first, per row
	for j := range cc {
		for _, q := range cc[j].miss {
			if a := at(q); mr.first[a] < 0 {
				mr.first[a] = int32(j)
			} else {
				cnt[a+1]++
			}
		}
	}
	for a := range mr.rows {
		cnt[a+1] += cnt[a]
	}
	mr.off = cnt
	mr.extra = make([]int32, cnt[len(mr.rows)])
	fill := slices.Clone(cnt[:len(mr.rows)])
	for j := range cc {
		for _, q := range cc[j].miss {
			if a := at(q); mr.first[a] != int32(j) {
				mr.extra[fill[a]] = int32(j)
				fill[a]++
			}
		}
	}
	nb := (n + gramBlock - 1) / gramBlock
	mr.blocks = make([]int32, nb+1)
	for b := range mr.blocks {
		at, _ := slices.BinarySearch(mr.rows, int32(min(b*gramBlock, n)))
		mr.blocks[b] = int32(at)
	}
	return mr
}

// missSumsBudget bounds the memory of the per-block missing-row sums (K*K*24 bytes per
// gram block with a missing value); above it they are summed per column instead (one
// more read of each column at the listed rows). A variable for tests.
var missSumsBudget int64 = 64 << 20

// sumsByColumn adds to ms every column's sums over the listed rows, one column per
// worker at a time, in order of rows.
func (mr *missRows) sumsByColumn(ms *missSums, cols [][]float64, cc []corrCol, workers int) {
	k := len(cc)
	parallelFor(k, workers, func(_ int, next func() (int, bool)) {
		for i, ok := next(); ok; i, ok = next() {
			x, mean := cols[i], cc[i].mean
			cnt, s, ss := ms.n[i*k:(i+1)*k], ms.s[i*k:(i+1)*k], ms.ss[i*k:(i+1)*k]
			for a, q := range mr.rows {
				v := x[q]
				if !isFinite(v) {
					continue
				}
				mr.addRow(a, v-mean, cnt, s, ss)
			}
		}
	})
}

// add adds column i's shifted values d (rows [lo, lo+len(d)) of gram block b, missing
// rows holding anything) at the listed rows to ms, where x holds the same rows' values.
func (mr *missRows) add(ms *missSums, k, i, b, lo int, x, d []float64) {
	cnt, s, ss := ms.n[i*k:(i+1)*k], ms.s[i*k:(i+1)*k], ms.ss[i*k:(i+1)*k]
	for a := mr.blocks[b]; a < mr.blocks[b+1]; a++ {
		r := int(mr.rows[a]) - lo
		if !isFinite(x[r]) {
			continue
		}
		mr.addRow(int(a), d[r], cnt, s, ss)
	}
}

// addRow adds one column's shifted value d at listed row a to the sums of the columns
// missing there (cnt, s, ss: the column's row of missSums).
func (mr *missRows) addRow(a int, d float64, cnt []int64, s, ss []float64) {
	j := mr.first[a]
	cnt[j]++
	s[j] += d
	ss[j] += d * d
	for _, j := range mr.extra[mr.off[a]:mr.off[a+1]] {
		cnt[j]++
		s[j] += d
		ss[j] += d * d
	}
}

// pearsonEntry returns the Pearson correlation of columns i and j from the co-moments g
// and the sums over the rows where one of them is missing.
func pearsonEntry(cols [][]float64, cc []corrCol, g []float64, ms *missSums, i, j int) float64 {
	k := len(cc)
	ci, cj := &cc[i], &cc[j]
	if ci.constant || cj.constant {
		return math.NaN()
	}
	if i == j {
		return 1
	}
	// sums over the rows where both are finite: each column's sums over its own finite
	// rows, less the rows where the other one is missing
	ij, ji := i*k+j, j*k+i
	n := float64(ci.n - ms.n[ij])
	sx, sxx := ci.sum-ms.s[ij], g[i*k+i]-ms.ss[ij]
	sy, syy := cj.sum-ms.s[ji], g[j*k+j]-ms.ss[ji]
	if n < 2 {
		return math.NaN()
	}
	vx, vy := sxx-sx*sx/n, syy-sy*sy/n
	if !(vx > 1e-4*sxx) || !(vy > 1e-4*syy) {
		// (near-)constant over the pair's rows: cancellation; compute it directly
		return Pearson(cols[i], cols[j])
	}
	return (g[i*k+j] - sx*sy/n) / math.Sqrt(vx*vy)
}

// countWord is one word of a countTable: Below removed positions before it, Mask the
// removed positions among its 64.
type countWord struct {
	mask  uint64
	below int32
}

// countTable counts removed sorted positions of a column: removed(p) is the number of
// removed positions < p. Built in O(removed + n/64), it is 16 bytes per 64 positions,
// small enough to stay in the L2 cache while the rows are read in order.
type countTable []countWord

func (t countTable) removed(p int32) int32 {
	w := t[p>>6]
	return w.below + int32(bits.OnesCount64(w.mask&(1<<(uint32(p)&63)-1)))
}

// build marks the sorted positions of c's finite rows where d is missing (rows of a
// tied value take distinct slots inside their value's run of positions, which is all
// that removed() needs).
func (t *countTable) build(c, d *corrCol) {
	words := (int(c.n) + 64) / 64
	if cap(*t) < words {
		*t = make(countTable, words)
	}
	tt := (*t)[:words]
	clear(tt)
	var taken []int32 // per tied run, the slots given to removed rows
	if len(c.groups) > 0 {
		taken = make([]int32, len(c.groups))
	}
	for _, q := range d.miss {
		p := c.pos[q]
		if p == -1 {
			continue
		}
		if p < -1 {
			g := -2 - p
			p = c.groups[g].start + taken[g]
			taken[g]++
		}
		tt[p>>6].mask |= 1 << (uint32(p) & 63)
	}
	var below int32
	for i := range tt {
		tt[i].below = below
		below += int32(bits.OnesCount64(tt[i].mask))
	}
	*t = tt
}

// spearmanPair returns the Spearman correlation of columns c and d (missing on different
// rows) over their m complete rows. A row's rank among those rows is its rank among
// its column's finite rows less the removed rows (finite in its column, missing in the
// other) below it, with ties averaged again over the rows that remain:
//
//	r' = a - removed(a) + (kept + 1)/2,  kept = n - (removed(a+n) - removed(a))
//
// for a value whose run of n equal values starts at sorted position a (n = 1: untied;
// each tied run's r' is computed once per pair). One pass over the rows in order; the
// counts come from countTables (L2-resident).
func spearmanPair(c, d *corrCol, m int64, tc, td *countTable) float64 {
	tc.build(c, d)
	td.build(d, c)
	if m < spearmanIntMax {
		return spearmanPairInt(c, d, m, *tc, *td)
	}
	gc, gd := groupRanks(c, *tc, m), groupRanks(d, *td, m)
	var sxy, sxx, syy float64
	dpos := d.pos[:len(c.pos)]
	for row, a := range c.pos {
		b := dpos[row]
		if a == -1 || b == -1 {
			continue
		}
		x, y := float64(jointRank2(a, *tc, gc, m)), float64(jointRank2(b, *td, gd, m))
		sxy += x * y
		sxx += x * x
		syy += y * y
	}
	return corrRatio(sxy, sxx, syy)
}

// spearmanIntMax bounds the rows of the integer path (a variable for tests).
var spearmanIntMax int64 = 1 << 21

// spearmanPairInt is spearmanPair in exact integer arithmetic on doubled centred ranks
// 2r' - (m+1), whose sums of products stay below 2^63 while m < 2^21.
func spearmanPairInt(c, d *corrCol, m int64, tcw, tdw countTable) float64 {
	gc, gd := groupRanks(c, tcw, m), groupRanks(d, tdw, m)
	var sxy, sxx, syy int64
	m1 := int32(m + 1)
	dpos := d.pos[:len(c.pos)]
	for row, a := range c.pos {
		b := dpos[row]
		var x, y int64
		if a|b >= 0 { // both present and untied: the common case, inlined
			wa, wb := tcw[a>>6], tdw[b>>6]
			ra := a + 1 - wa.below - int32(bits.OnesCount64(wa.mask&(1<<(uint32(a)&63)-1)))
			rb := b + 1 - wb.below - int32(bits.OnesCount64(wb.mask&(1<<(uint32(b)&63)-1)))
			x, y = int64(2*ra-m1), int64(2*rb-m1)
		} else {
			if a == -1 || b == -1 {
				continue
			}
			x, y = jointRank2(a, tcw, gc, m), jointRank2(b, tdw, gd, m)
		}
		sxy += x * y
		sxx += x * x
		syy += y * y
	}
	return corrRatio(float64(sxy), float64(sxx), float64(syy))
}

// groupRanks returns, for each tied run of c, its doubled centred rank 2r' - (m+1)
// among the rows kept by t.
func groupRanks(c *corrCol, t countTable, m int64) []int64 {
	out := make([]int64, len(c.groups))
	for g, gr := range c.groups {
		lo, hi := t.removed(gr.start), t.removed(gr.start+gr.n)
		kept := gr.n - (hi - lo)
		out[g] = 2*int64(gr.start-lo) + int64(kept+1) - (m + 1)
	}
	return out
}

// jointRank2 is the doubled centred rank 2r' - (m+1) of a present row with code a.
func jointRank2(a int32, t countTable, groups []int64, m int64) int64 {
	if a >= 0 {
		return 2*int64(a-t.removed(a)+1) - (m + 1)
	}
	return groups[-2-a]
}

// CramersV returns Cramér's V of an r×c contingency table of counts (row-major),
//
//	V = sqrt(chi2 / (n * (min(r', c') - 1)))
//
// where chi2 is Pearson's chi-square statistic of independence without continuity
// correction and r', c' count the rows and columns with a nonzero total (empty ones are
// dropped, as a crosstab of the data never has them). It equals
// scipy.stats.contingency.association(table, method="cramer", correction=False) on the
// table without its empty rows and columns. NaN when n = 0 or min(r', c') < 2. It
// panics if len(table) != r*c.
func CramersV(table []float64, r, c int) float64 {
	if len(table) != r*c {
		panic("stats: CramersV: table size is not r*c")
	}
	rows := make([]float64, r)
	colsum := make([]float64, c)
	var n float64
	for i := range r {
		for j := range c {
			v := table[i*c+j]
			rows[i] += v
			colsum[j] += v
			n += v
		}
	}
	rr, cr := 0, 0
	for _, v := range rows {
		if v > 0 {
			rr++
		}
	}
	for _, v := range colsum {
		if v > 0 {
			cr++
		}
	}
	if n == 0 || min(rr, cr) < 2 {
		return math.NaN()
	}
	var chi2 float64
	for i := range r {
		if rows[i] == 0 {
			continue
		}
		for j := range c {
			if colsum[j] == 0 {
				continue
			}
			e := rows[i] * colsum[j] / n
			d := table[i*c+j] - e
			chi2 += d * d / e
		}
	}
	return math.Sqrt(chi2 / (n * float64(min(rr, cr)-1)))
}

// Contingency returns the ka×kb table of counts (row-major) of the pairs (a[i], b[i])
// with both codes non-negative (a negative code is missing). It panics if len(a) !=
// len(b) or a code is >= its k.
func Contingency(a, b []int32, ka, kb int) []float64 {
	if len(a) != len(b) {
		panic("stats: Contingency: slices of different lengths")
	}
	t := make([]float64, ka*kb)
	for i, x := range a {
		y := b[i]
		if x < 0 || y < 0 {
			continue
		}
		t[int(x)*kb+int(y)]++
	}
	return t
}

// PCA is a principal-component model of standardised columns: NannyML's data
// reconstruction preprocessing for continuous features, i.e. in sklearn terms
// SimpleImputer(strategy="mean") -> StandardScaler -> PCA(n_components=share), all
// fitted on the same (reference) rows.
type PCA struct {
	K int // columns
	// Mean is each column's mean over its finite values: missing values are imputed
	// with it, and it is the scaler's centre.
	Mean []float64
	// Scale is each imputed column's population standard deviation (ddof 0; the
	// imputed rows count with deviation 0), 1 for a constant column (sklearn).
	Scale []float64
	// Center is the mean of the standardised rows (PCA's own centring; ~0).
	Center []float64
	// Components holds the kept principal axes, row-major M×K, by decreasing variance.
	Components []float64
	M          int
	// Explained is the explained variance ratio of every component (K of them,
	// decreasing); the first M are kept.
	Explained []float64
}

// FitPCA fits a PCA on the columns (rows with missing values imputed as above) and keeps
// the fewest leading components whose cumulative explained variance ratio exceeds share
// (sklearn: searchsorted(cumsum, share, side="right") + 1), share in (0, 1). The
// eigen-decomposition is gonum's mat.EigenSym of the covariance of the standardised
// rows, which has the eigenvalues and eigenvectors of sklearn's SVD (up to the signs of
// the axes, which do not change reconstructions). It returns nil when there are fewer
// than two rows or no column, or the decomposition fails. It panics if the columns
// differ in length or share is outside (0, 1).
func FitPCA(cols [][]float64, share float64, workers int) *PCA {
	if !(share > 0 && share < 1) {
		panic("stats: FitPCA: share outside (0, 1)")
	}
	k := len(cols)
	if k == 0 || len(cols[0]) < 2 {
		return nil
	}
	n := len(cols[0])
	for _, c := range cols {
		if len(c) != n {
			panic("stats: FitPCA: columns of different lengths")
		}
	}
	p := &PCA{K: k, Mean: make([]float64, k), Scale: make([]float64, k), Center: make([]float64, k)}
	for j, c := range cols {
		var sum, cnt float64
		for _, v := range c {
			if isFinite(v) {
				sum += v
				cnt++
			}
		}
		if cnt == 0 {
			return nil
		}
		m := sum / cnt
		var ss float64
		for _, v := range c {
			if isFinite(v) {
				ss += (v - m) * (v - m)
			}
		}
		p.Mean[j] = m
		p.Scale[j] = math.Sqrt(ss / float64(n))
		if p.Scale[j] == 0 {
			p.Scale[j] = 1
		}
	}
	g := gram(k, n, max(workers, 1), func(dst []float64, j, lo, hi int) {
		p.standardise(dst, cols[j][lo:hi], j)
	})
	buf := make([]float64, min(n, gramBlock))
	for j, c := range cols {
		var s float64
		for lo := 0; lo < n; lo += gramBlock {
			hi := min(n, lo+gramBlock)
			b := buf[:hi-lo]
			p.standardise(b, c[lo:hi], j)
			s += floats.Sum(b)
		}
		p.Center[j] = s / float64(n)
	}
	cov := mat.NewSymDense(k, nil)
	for i := range k {
		for j := i; j < k; j++ {
			cov.SetSym(i, j, (g[i*k+j]-float64(n)*p.Center[i]*p.Center[j])/float64(n-1))
		}
	}
	var es mat.EigenSym
	if !es.Factorize(cov, true) {
		return nil
	}
	vals := es.Values(nil) // ascending
	var vecs mat.Dense
	es.VectorsTo(&vecs)
	var total float64
	for _, v := range vals {
		total += max(v, 0)
	}
	if total == 0 {
		return nil
	}
	p.Explained = make([]float64, k)
	cum := 0.0
	p.M = 0
	for t := range k {
		idx := k - 1 - t
		p.Explained[t] = max(vals[idx], 0) / total
		cum += p.Explained[t]
		if p.M == 0 && cum > share {
			p.M = t + 1
		}
	}
	if p.M == 0 {
		p.M = k
	}
	p.Components = make([]float64, p.M*k)
	for t := range p.M {
		idx := k - 1 - t
		for j := range k {
			p.Components[t*k+j] = vecs.At(j, idx)
		}
	}
	return p
}

// standardise writes column j's values x, imputed and scaled, to dst.
func (p *PCA) standardise(dst, x []float64, j int) {
	m, s := p.Mean[j], p.Scale[j]
	for r, v := range x {
		if isFinite(v) {
			dst[r] = (v - m) / s
		} else {
			dst[r] = 0 // imputed with the mean
		}
	}
}

// Errors returns the reconstruction error of every row of cols (the K columns the model
// was fitted on, in the same order): the Euclidean norm of z - (c + V^T V (z - c)) with
// z the standardised row, c the Center and V the kept components, i.e. NannyML's
// norm(scaled - inverse_transform(transform(scaled))). dst is grown to the row count (nil
// allocates). It panics if len(cols) != K.
func (p *PCA) Errors(dst []float64, cols [][]float64, workers int) []float64 {
	if len(cols) != p.K {
		panic("stats: PCA.Errors: wrong number of columns")
	}
	if p.K == 0 {
		return dst[:0]
	}
	n := len(cols[0])
	dst = slices.Grow(dst[:0], n)[:n]
	nb := (n + gramBlock - 1) / gramBlock
	k, m := p.K, p.M
	parallelFor(nb, max(workers, 1), func(_ int, next func() (int, bool)) {
		z := make([]float64, k*gramBlock) // column-major block
		row := make([]float64, k)
		proj := make([]float64, m)
		for b, ok := next(); ok; b, ok = next() {
			lo, hi := b*gramBlock, min(n, (b+1)*gramBlock)
			for j := range k {
				zj := z[j*gramBlock : j*gramBlock+hi-lo]
				p.standardise(zj, cols[j][lo:hi], j)
			}
			for r := range hi - lo {
				for j := range k {
					row[j] = z[j*gramBlock+r] - p.Center[j]
				}
				for t := range m {
					proj[t] = floats.Dot(p.Components[t*k:(t+1)*k], row)
				}
				var ss float64
				for j := range k {
					d := row[j]
					for t := range m {
						d -= proj[t] * p.Components[t*k+j]
					}
					ss += d * d
				}
				dst[lo+r] = math.Sqrt(ss)
			}
		}
	})
	return dst
}
