package stats

import (
	"math"
	"slices"
)

// BenjaminiHochberg fills dst (len(p); nil allocates) with the Benjamini–Hochberg
// q-values of the p-values p and returns it: with the m finite p-values sorted,
// p_(1) <= … <= p_(m),
//
//	q_(i) = min_{j >= i} min(1, p_(j) m / j),
//
// as R's p.adjust(p, "BH") (and scipy.stats.false_discovery_control in SciPy >= 1.11).
// Rejecting every hypothesis with q <= alpha controls the false discovery rate at
// alpha for independent (or positively dependent) tests. NaN p-values are left out
// of m and get a NaN q-value. dst may be p itself.
func BenjaminiHochberg(dst, p []float64) []float64 {
	if len(dst) < len(p) {
		dst = make([]float64, len(p))
	}
	dst = dst[:len(p)]
	idx := make([]int, 0, len(p))
	for i, v := range p {
		if !math.IsNaN(v) {
			idx = append(idx, i)
		}
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		switch {
		case p[a] < p[b]:
			return -1
		case p[a] > p[b]:
			return 1
		}
		return 0
	})
	m := float64(len(idx))
	q := make([]float64, len(idx))
	run := 1.0
	for k := len(idx) - 1; k >= 0; k-- {
		run = math.Min(run, p[idx[k]]*m/float64(k+1))
		q[k] = math.Max(run, 0)
	}
	for i, v := range p {
		if math.IsNaN(v) {
			dst[i] = math.NaN()
		}
	}
	for k, i := range idx {
		dst[i] = q[k]
	}
	return dst
}
