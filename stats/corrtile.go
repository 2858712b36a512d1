package stats

import "math/bits"

// Re-ranked Spearman pairs four at a time.
//
// A pair (a, b) whose columns are missing on different rows is ranked again over its
// complete rows (pandas' rule). spearmanPair does that one pair at a time with two count
// tables, each read at a random word per row. Here two columns A0, A1 meet two columns
// B0, B1 in one pass over the rows: the four pairs (A0,B0), (A0,B1), (A1,B0), (A1,B1)
// need, per row and column, the removed rows below it for two partners, and both counts
// sit in one tileWord. So each pair-row costs one table read instead of two, and each
// column's sorted positions are read once for two pairs. Four tables of 24 bytes per 64
// rows (1.5 MB at 1M rows) stay in the L2 cache.
//
// Sums: doubled centred ranks x = 2r' - (m+1) are integers; sum x*y is accumulated
// exactly in int64 (|x| < m < 2^21), and sum x^2 needs no pass over the rows: over m
// midranks with tied runs of t values it is (m^3 - m)/3 - sum (t^3 - t)/3, where the
// runs are the column's tied runs less the pair's removed rows (tieSums).

// tileWord is one word of a tileTable: for each of the column's two partners, the
// removed sorted positions among these 64 (mask) and before them (below).
type tileWord struct {
	m0, m1 uint64
	b0, b1 int32
}

// tileTable counts, for one column c and two partner columns, c's removed sorted
// positions (c finite, the partner missing) below a position.
type tileTable []tileWord

// build marks the sorted positions of c's finite rows where d0 (mask m0) and d1 (mask
// m1) are missing (read from c.posAt at d0.missAt and d1.missAt: see walkRows). As in
// countTable.build, removed rows of a tied value take distinct slots in their value's
// run of positions.
func (t *tileTable) build(c, d0, d1 *corrCol, taken []int32) {
	words := (int(c.n) + 64) / 64
	if cap(*t) < words {
		*t = make(tileTable, words)
	}
	tt := (*t)[:words]
	clear(tt)
	for q, d := range [2]*corrCol{d0, d1} {
		for _, a := range d.missAt {
			p := c.posAt[a]
			if p == -1 {
				continue
			}
			if p < -1 { // the next free slot of the tied run (taken: zero for every run)
				g := -2 - p
				p = c.groups[g].start + taken[g]
				taken[g]++
			}
			w := &tt[p>>6]
			if q == 0 {
				w.m0 |= 1 << (uint32(p) & 63)
			} else {
				w.m1 |= 1 << (uint32(p) & 63)
			}
		}
		for _, a := range d.missAt {
			if p := c.posAt[a]; p < -1 {
				taken[-2-p] = 0
			}
		}
	}
	var b0, b1 int32
	for i := range tt {
		tt[i].b0, tt[i].b1 = b0, b1
		b0 += int32(bits.OnesCount64(tt[i].m0))
		b1 += int32(bits.OnesCount64(tt[i].m1))
	}
	*t = tt
}

// removed returns the number of removed positions < p for partner q.
func (t tileTable) removed(p int32, q int) int32 {
	w := &t[p>>6]
	below := uint64(1)<<(uint32(p)&63) - 1
	if q == 0 {
		return w.b0 + int32(bits.OnesCount64(w.m0&below))
	}
	return w.b1 + int32(bits.OnesCount64(w.m1&below))
}

// tieSums returns, for column c re-ranked over the m rows kept by partner q of t, the
// doubled centred rank 2r' - (m+1) of each tied run (indexed like c.groups) and
// sum over the runs of (kept^3 - kept)/3.
func tieSums(dst []int64, c *corrCol, t tileTable, q int, m int64) ([]int64, int64) {
	dst = dst[:0]
	var ties int64
	for _, g := range c.groups {
		lo, hi := t.removed(g.start, q), t.removed(g.start+g.n, q)
		kept := int64(g.n - (hi - lo))
		dst = append(dst, 2*int64(g.start-lo)+kept-m)
		ties += (kept*kept*kept - kept) / 3
	}
	return dst, ties
}

// tileScratch is one worker's tables and tied-run ranks for spearmanTile.
type tileScratch struct {
	t     [4]tileTable
	gr    [4][2][]int64
	taken []int32 // per tied run, slots given to removed rows (zero between builds)
}

// spearmanTile returns the Spearman correlations of the pairs (a0,b0), (a0,b1),
// (a1,b0), (a1,b1), each over its m[i] complete rows (m[i] < spearmanIntMax), all four
// pairs missing on different rows.
func spearmanTile(a0, a1, b0, b1 *corrCol, m [4]int64, sc *tileScratch) [4]float64 {
	cols := [4]*corrCol{a0, a1, b0, b1}
	// partners of each column, as pair indices: a0 meets b0 (pair 0) and b1 (pair 1), ...
	pairOf := [4][2]int{{0, 1}, {2, 3}, {0, 2}, {1, 3}}
	partner := [4][2]*corrCol{{b0, b1}, {b0, b1}, {a0, a1}, {a0, a1}}
	var sqA, sqB [4]int64 // sum x^2 of each pair's A and B column over the pair's rows
	for s, c := range cols {
		if len(sc.taken) < len(c.groups) {
			sc.taken = make([]int32, len(c.groups))
		}
		sc.t[s].build(c, partner[s][0], partner[s][1], sc.taken)
		for q := range 2 {
			mm := m[pairOf[s][q]]
			var ties int64
			sc.gr[s][q], ties = tieSums(sc.gr[s][q], c, sc.t[s], q, mm)
			if s < 2 {
				sqA[pairOf[s][q]] = (mm*mm*mm-mm)/3 - ties
			} else {
				sqB[pairOf[s][q]] = (mm*mm*mm-mm)/3 - ties
			}
		}
	}
	ta0, ta1, tb0, tb1 := sc.t[0], sc.t[1], sc.t[2], sc.t[3]
	// x = 2(p - removed) + 1 - m for an untied value at sorted position p
	k0, k1, k2, k3 := int32(1-m[0]), int32(1-m[1]), int32(1-m[2]), int32(1-m[3])
	n := len(a0.pos)
	pa0, pa1, pb0, pb1 := a0.pos[:n], a1.pos[:n], b0.pos[:n], b1.pos[:n]
	var s0, s1, s2, s3 int64
	ga0, ga1, gb0, gb1 := &sc.gr[0], &sc.gr[1], &sc.gr[2], &sc.gr[3]
	for r := range n {
		// Each column's value in its two pairs: from the table for an untied value at
		// sorted position p, from its tied run's ranks, or 0 when missing (its pairs then
		// add nothing). The branches follow the column's kind (continuous or rounded),
		// so they are well predicted; written out four times to stay inlined.
		var xa00, xa01, xa10, xa11, xb00, xb01, xb10, xb11 int64
		if p := pa0[r]; p >= 0 {
			w := &ta0[p>>6]
			bl := uint64(1)<<(uint32(p)&63) - 1
			xa00 = int64(2*(p-w.b0-int32(bits.OnesCount64(w.m0&bl))) + k0)
			xa01 = int64(2*(p-w.b1-int32(bits.OnesCount64(w.m1&bl))) + k1)
		} else if p < -1 {
			xa00, xa01 = ga0[0][-2-p], ga0[1][-2-p]
		}
		if p := pa1[r]; p >= 0 {
			w := &ta1[p>>6]
			bl := uint64(1)<<(uint32(p)&63) - 1
			xa10 = int64(2*(p-w.b0-int32(bits.OnesCount64(w.m0&bl))) + k2)
			xa11 = int64(2*(p-w.b1-int32(bits.OnesCount64(w.m1&bl))) + k3)
		} else if p < -1 {
			xa10, xa11 = ga1[0][-2-p], ga1[1][-2-p]
		}
		if p := pb0[r]; p >= 0 {
			w := &tb0[p>>6]
			bl := uint64(1)<<(uint32(p)&63) - 1
			xb00 = int64(2*(p-w.b0-int32(bits.OnesCount64(w.m0&bl))) + k0)
			xb01 = int64(2*(p-w.b1-int32(bits.OnesCount64(w.m1&bl))) + k2)
		} else if p < -1 {
			xb00, xb01 = gb0[0][-2-p], gb0[1][-2-p]
		}
		if p := pb1[r]; p >= 0 {
			w := &tb1[p>>6]
			bl := uint64(1)<<(uint32(p)&63) - 1
			xb10 = int64(2*(p-w.b0-int32(bits.OnesCount64(w.m0&bl))) + k1)
			xb11 = int64(2*(p-w.b1-int32(bits.OnesCount64(w.m1&bl))) + k3)
		} else if p < -1 {
			xb10, xb11 = gb1[0][-2-p], gb1[1][-2-p]
		}
		s0 += xa00 * xb00
		s1 += xa01 * xb10
		s2 += xa10 * xb01
		s3 += xa11 * xb11
	}
	sxy := [4]int64{s0, s1, s2, s3}
	var out [4]float64
	for i := range out {
		out[i] = corrRatio(float64(sxy[i]), float64(sqA[i]), float64(sqB[i]))
	}
	return out
}
