package stats

import (
	"math"
	"slices"
)

// Binning selects how NumericBins bins a numeric column.
type Binning int

const (
	// BinningDefault is DESIGN.md's psi binning: one bin per value when the
	// reference has at most 20 distinct values, else 10 reference deciles.
	BinningDefault Binning = iota
	// BinningSturges is Evidently's: one bin per value when the reference has
	// at most 20 distinct values, else numpy's 'sturges' histogram of ref ∪ cur.
	BinningSturges
)

// Bin modes reported in Bins.Mode.
const (
	ModePerValue         = "per_value"
	ModeReferenceDeciles = "reference_deciles"
	ModeSturges          = "sturges"
)

// perValueMaxDistinct is the largest number of distinct reference values that
// still gets one bin per value.
const perValueMaxDistinct = 20

// Bins holds the counts of a reference and a current sample over shared bins.
type Bins struct {
	Ref, Cur []float64 // counts per bin (not normalised)
	Edges    []float64 // inner edges (deciles) or histogram edges (sturges); nil for per-value
	Keys     []float64 // the distinct values for per-value binning
	Mode     string    // "per_value" | "reference_deciles" | "sturges"
}

// NumericBins bins the sorted, finite, non-empty samples ref and cur
// (DESIGN.md, psi):
//
//   - at most 20 distinct reference values: one bin per distinct value of
//     ref ∪ cur (Mode "per_value", Keys the values);
//   - BinningDefault otherwise: edges e = unique(quantile(ref, k/10)),
//     k = 1..9 (numpy 'linear'), and x goes to bin #{e_i < x}
//     (np.searchsorted(e, x, 'left')), len(e)+1 bins (Mode "reference_deciles",
//     Edges the inner edges);
//   - BinningSturges otherwise: np.histogram_bin_edges(ref ∪ cur, 'sturges'),
//     ceil(log2(n1+n2) + 1) equal-width bins over [min, max], bins half-open
//     except the last (Mode "sturges", Edges all edges).
//
// It is O(n1+n2) and panics if either sample is empty.
func NumericBins(ref, cur []float64, b Binning) Bins {
	if len(ref) == 0 || len(cur) == 0 {
		panic("stats: NumericBins of an empty sample")
	}
	if distinctAtMost(ref, perValueMaxDistinct) {
		return PerValueBins(ref, cur)
	}
	switch b {
	case BinningDefault:
		edges := make([]float64, 0, 9)
		for k := 1; k <= 9; k++ {
			edges = append(edges, QuantileSorted(ref, float64(k)/10))
		}
		slices.Sort(edges)
		edges = slices.Compact(edges)
		nb := len(edges) + 1
		bins := Bins{Ref: make([]float64, nb), Cur: make([]float64, nb), Edges: edges, Mode: ModeReferenceDeciles}
		countLeft(bins.Ref, ref, edges)
		countLeft(bins.Cur, cur, edges)
		return bins
	case BinningSturges:
		edges := sturgesEdges(ref, cur)
		nb := len(edges) - 1
		bins := Bins{Ref: make([]float64, nb), Cur: make([]float64, nb), Edges: edges, Mode: ModeSturges}
		countHistogram(bins.Ref, ref, edges)
		countHistogram(bins.Cur, cur, edges)
		return bins
	default:
		panic("stats: unknown Binning")
	}
}

// distinctAtMost reports whether sorted has at most k distinct values,
// stopping early.
func distinctAtMost(sorted []float64, k int) bool {
	d := 1
	for i := 1; i < len(sorted); i++ {
		if sorted[i] != sorted[i-1] {
			d++
			if d > k {
				return false
			}
		}
	}
	return true
}

// countLeft adds to dst[i] the number of sorted values x with exactly i edges
// below x (np.searchsorted(edges, x, 'left')).
func countLeft(dst, sorted, edges []float64) {
	i := 0
	for b, e := range edges {
		j := i
		for j < len(sorted) && sorted[j] <= e {
			j++
		}
		dst[b] += float64(j - i)
		i = j
	}
	dst[len(edges)] += float64(len(sorted) - i)
}

// countHistogram adds the np.histogram counts of sorted over edges to dst:
// bin i is [e_i, e_{i+1}), the last bin closed. Values outside are not counted.
func countHistogram(dst, sorted, edges []float64) {
	// cum[i] = #{x < e_i} for i < last, #{x <= e_last} (numpy's
	// _search_sorted_inclusive); counts are the differences.
	last := len(edges) - 1
	prev := 0
	i := 0
	for ; i < len(sorted) && sorted[i] < edges[0]; i++ {
	}
	prev = i
	for b := 1; b <= last; b++ {
		if b < last {
			for i < len(sorted) && sorted[i] < edges[b] {
				i++
			}
		} else {
			for i < len(sorted) && sorted[i] <= edges[b] {
				i++
			}
		}
		dst[b-1] += float64(i - prev)
		prev = i
	}
}

// sturgesEdges returns np.histogram_bin_edges(concat(ref, cur), 'sturges') for
// sorted non-empty samples.
func sturgesEdges(ref, cur []float64) []float64 {
	return SturgesEdges(min(ref[0], cur[0]), max(ref[len(ref)-1], cur[len(cur)-1]), len(ref)+len(cur))
}

// SturgesEdges returns np.histogram_bin_edges(x, 'sturges') for data x of n values
// with minimum lo and maximum hi: width = (hi - lo) / (log2(n) + 1), ceil((hi-lo)/width)
// bins, edges by np.linspace (lo = hi widens the range by 0.5 on each side).
func SturgesEdges(lo, hi float64, n int) []float64 {
	ptp := hi - lo
	first, last := lo, hi
	if first == last {
		first -= 0.5
		last += 0.5
	}
	width := ptp / (math.Log2(float64(n)) + 1)
	nb := 1
	if width != 0 {
		nb = int(math.Ceil((last - first) / width))
	}
	// np.linspace(first, last, nb+1): i*step + first, last edge exact.
	edges := make([]float64, nb+1)
	step := (last - first) / float64(nb)
	for i := range edges {
		if step == 0 {
			edges[i] = float64(i)/float64(nb)*(last-first) + first
		} else {
			edges[i] = float64(i)*step + first
		}
	}
	edges[nb] = last
	return edges
}

// PerValueBins bins the sorted, finite samples ref and cur with one bin per
// distinct value of ref ∪ cur (Mode "per_value", Keys the values, ascending).
// It is O(n1+n2).
func PerValueBins(ref, cur []float64) Bins {
	k := UnionDistinctSorted(ref, cur)
	bins := Bins{
		Ref:  make([]float64, k),
		Cur:  make([]float64, k),
		Keys: make([]float64, 0, k),
		Mode: ModePerValue,
	}
	i, j := 0, 0
	for b := 0; i < len(ref) || j < len(cur); b++ {
		var v float64
		switch {
		case j == len(cur) || (i < len(ref) && ref[i] < cur[j]):
			v = ref[i]
		default:
			v = cur[j]
		}
		i0, j0 := i, j
		for i < len(ref) && ref[i] == v {
			i++
		}
		for j < len(cur) && cur[j] == v {
			j++
		}
		bins.Keys = append(bins.Keys, v)
		bins.Ref[b] = float64(i - i0)
		bins.Cur[b] = float64(j - j0)
	}
	return bins
}
