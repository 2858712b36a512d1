package pipeline

import (
	"fmt"
	"math"
	"sort"
	"strconv"

	"github.com/driftwatch/driftwatch/stats"
)

// summaryQuantiles are the quantiles a numeric column summary reports.
var summaryQuantiles = []float64{0.05, 0.25, 0.5, 0.75, 0.95}

// TopCategories is how many categories a categorical summary lists.
const TopCategories = 10

func summarize(c *ColumnData, reference bool) ColumnSummary {
	rows, missing := c.CurRows, c.CurMissing
	vals, counts := c.Cur, c.CurCounts
	if reference {
		rows, missing = c.RefRows, c.RefMissing
		vals, counts = c.Ref, c.RefCounts
	}
	s := ColumnSummary{Count: rows - missing, Missing: missing, MissingShare: Num(share(missing, rows))}
	if c.Kind.Valued() {
		if len(vals) == 0 {
			return s
		}
		s.Distinct = stats.DistinctSorted(vals)
		mean, sd := stats.MeanStd(vals)
		s.Min, s.Max = NumPtr(vals[0]), NumPtr(vals[len(vals)-1])
		s.Mean, s.Std = NumPtr(mean), NumPtr(sd)
		for _, q := range summaryQuantiles {
			s.Quantiles = append(s.Quantiles, Num(stats.QuantileSorted(vals, q)))
		}
		s.Histogram = numericHistogram(vals, histogramEdges(c.Ref, c.Cur))
		return s
	}
	idx := topIndexes(counts, -1)
	s.Distinct = len(idx)
	for _, i := range idx[:min(len(idx), TopCategories)] {
		s.Top = append(s.Top, CategoryCount{Value: c.Labels[i], Count: int64(counts[i])})
	}
	if s.Count > 0 {
		s.Histogram = categoryHistogram(counts, c.Labels, histogramLabels(c.RefCounts, c.CurCounts))
	}
	return s
}

// topIndexes returns the indexes of the nonzero counts, largest count first (ties in
// index order), at most k of them (k < 0: all).
func topIndexes(counts []float64, k int) []int {
	idx := make([]int, 0, len(counts))
	for i, n := range counts {
		if n > 0 {
			idx = append(idx, i)
		}
	}
	sort.SliceStable(idx, func(a, b int) bool { return counts[idx[a]] > counts[idx[b]] })
	if k >= 0 && len(idx) > k {
		idx = idx[:k]
	}
	return idx
}

// HistogramBins is the most regular bins a numeric histogram has (31 at worst, as the
// range is widened to whole bin widths).
const HistogramBins = 30

// histogramEdges returns the bin edges that both sides of a valued column share
// (ref and cur sorted and finite; either may be empty):
//
//   - the plotted range [lo, hi] runs from the smaller of the two 1st percentiles to the
//     larger of the two 99th percentiles, so that a current sample that moved away from
//     the reference is drawn in full rather than squeezed into a tail;
//   - it is cut into bins of a "nice" width w (1, 2, 2.5 or 5 × 10^k, the smallest giving at
//     most HistogramBins bins over hi − lo), starting at a multiple of w below lo and
//     ending above hi; edges are rounded to the width's precision, so they stay short in
//     the JSON;
//   - integer data (every value of both sides whole) whose range has at most
//     HistogramBins values gets one bin per integer, and otherwise a whole width, with
//     edges at half-integers, so that no bin holds more distinct values than another;
//   - a tail bin on each side reaches to the smallest and the largest value of both
//     sides, so that every value is counted.
//
// When lo = hi (one value holds 98% or more of the data) the range is min…max instead;
// when all values are equal there is one bin, [v, v].
func histogramEdges(ref, cur []float64) []Num {
	var lo, hi, vmin, vmax float64
	switch {
	case len(ref) == 0 && len(cur) == 0:
		return nil
	case len(ref) == 0:
		lo, hi = stats.QuantileSorted(cur, 0.01), stats.QuantileSorted(cur, 0.99)
		vmin, vmax = cur[0], cur[len(cur)-1]
	case len(cur) == 0:
		lo, hi = stats.QuantileSorted(ref, 0.01), stats.QuantileSorted(ref, 0.99)
		vmin, vmax = ref[0], ref[len(ref)-1]
	default:
		lo = math.Min(stats.QuantileSorted(ref, 0.01), stats.QuantileSorted(cur, 0.01))
		hi = math.Max(stats.QuantileSorted(ref, 0.99), stats.QuantileSorted(cur, 0.99))
		vmin, vmax = math.Min(ref[0], cur[0]), math.Max(ref[len(ref)-1], cur[len(cur)-1])
	}
	if lo == hi {
		lo, hi = vmin, vmax
	}
	if lo == hi || math.IsInf(hi-lo, 0) {
		return []Num{Num(vmin), Num(vmax)}
	}
	integer := hi-lo <= 1e15 && wholeValues(ref) && wholeValues(cur)
	w := niceWidth((hi-lo)/HistogramBins, integer)
	start := math.Floor(lo/w) * w
	decimals := max(0, 1-int(math.Floor(math.Log10(w))))
	if integer {
		start -= 0.5
		decimals = 1
	}
	n := int(math.Floor((hi-start)/w)) + 1
	edges := make([]Num, 1, n+3)
	for i := 0; i <= n; i++ {
		e, _ := strconv.ParseFloat(strconv.FormatFloat(start+float64(i)*w, 'f', decimals, 64), 64)
		if i > 0 && e <= float64(edges[len(edges)-1]) {
			// The width is below the precision of the values: one bin over min…max.
			return []Num{Num(vmin), Num(vmax)}
		}
		edges = append(edges, Num(e))
	}
	edges[0] = Num(math.Min(vmin, float64(edges[1])))
	return append(edges, Num(math.Max(vmax, float64(edges[len(edges)-1]))))
}

// niceWidth returns the smallest of 1, 2, 2.5, 5 × 10^k that is at least x (for integer
// data: a whole number, at least 1).
func niceWidth(x float64, integer bool) float64 {
	if integer && x <= 1 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(x)))
	for _, m := range []float64{1, 2, 2.5, 5} {
		w := m * p
		if integer && w != math.Trunc(w) {
			continue
		}
		if w >= x*(1-1e-12) {
			return w
		}
	}
	return 10 * p
}

func wholeValues(x []float64) bool {
	for _, v := range x {
		if v != math.Trunc(v) {
			return false
		}
	}
	return true
}

// numericHistogram counts sorted, finite values into the bins of edges (see Histogram:
// half-open bins, the last closed).
func numericHistogram(sorted []float64, edges []Num) *Histogram {
	if len(edges) < 2 {
		return nil
	}
	h := &Histogram{Edges: edges, Counts: make([]int64, len(edges)-1)}
	prev := 0
	for i := 1; i < len(edges)-1; i++ {
		j := sort.SearchFloat64s(sorted, float64(edges[i])) // values < edges[i]
		h.Counts[i-1] = int64(j - prev)
		prev = j
	}
	h.Counts[len(h.Counts)-1] = int64(len(sorted) - prev)
	return h
}

// histogramLabels returns the indexes of the categories a categorical histogram shows:
// the union of both sides' TopCategories, by reference count, then current count (largest
// first), then label order.
func histogramLabels(ref, cur []float64) []int {
	in := map[int]bool{}
	var idx []int
	for _, i := range append(topIndexes(ref, TopCategories), topIndexes(cur, TopCategories)...) {
		if !in[i] {
			in[i] = true
			idx = append(idx, i)
		}
	}
	sort.SliceStable(idx, func(a, b int) bool {
		i, j := idx[a], idx[b]
		if ref[i] != ref[j] {
			return ref[i] > ref[j]
		}
		if cur[i] != cur[j] {
			return cur[i] > cur[j]
		}
		return i < j
	})
	return idx
}

func categoryHistogram(counts []float64, labels []string, idx []int) *Histogram {
	h := &Histogram{Labels: make([]string, len(idx)), Counts: make([]int64, len(idx))}
	var total, shown int64
	for _, n := range counts {
		total += int64(n)
	}
	for k, i := range idx {
		h.Labels[k], h.Counts[k] = labels[i], int64(counts[i])
		shown += h.Counts[k]
	}
	h.Other = total - shown
	return h
}

func share(n, of int64) float64 {
	if of == 0 {
		return math.NaN()
	}
	return float64(n) / float64(of)
}

// Quality thresholds of the data-quality findings.
const (
	// MissingShareJump: a rise of the missing share by at least this much (absolute)
	// is a finding; twice as much is an error.
	MissingShareJump = 0.05
	// UnseenWarnShare: unseen categories in at least this share of current rows warn.
	UnseenWarnShare = 0.01
	// OutOfRangeWarnShare: current values outside the reference's [min, max] in at least
	// this share of rows warn.
	OutOfRangeWarnShare = 0.01
)

func qualityFindings(c *ColumnData) []Finding {
	var out []Finding
	rs, cs := share(c.RefMissing, c.RefRows), share(c.CurMissing, c.CurRows)
	if d := cs - rs; d >= MissingShareJump {
		sev := SeverityWarning
		if d >= 2*MissingShareJump {
			sev = SeverityError
		}
		out = append(out, Finding{Type: "missing_share_increase", Column: c.Name, Severity: sev,
			Message: fmt.Sprintf("missing share %s → %s", pct(rs), pct(cs)), Value: NumPtr(cs), ReferenceValue: NumPtr(rs)})
	}
	if c.RefCount() == 0 || c.CurCount() == 0 {
		return out
	}
	if c.Kind.Valued() {
		lo, hi := c.Ref[0], c.Ref[len(c.Ref)-1]
		below := sort.SearchFloat64s(c.Cur, lo)
		above := len(c.Cur) - sort.Search(len(c.Cur), func(i int) bool { return c.Cur[i] > hi })
		if n := below + above; n > 0 {
			sh := float64(n) / float64(len(c.Cur))
			sev := SeverityInfo
			if sh >= OutOfRangeWarnShare {
				sev = SeverityWarning
			}
			out = append(out, Finding{Type: "out_of_range", Column: c.Name, Severity: sev,
				Message: fmt.Sprintf("%s of current values lie outside the reference range [%.6g, %.6g]", pct(sh), lo, hi),
				Value:   NumPtr(sh), ReferenceValue: NumPtr(0)})
		}
		return out
	}
	var unseen float64
	var labels []string
	for i, n := range c.CurCounts {
		if n > 0 && c.RefCounts[i] == 0 {
			unseen += n
			labels = append(labels, c.Labels[i])
		}
	}
	if unseen > 0 {
		sh := unseen / float64(c.CurCount())
		sev := SeverityInfo
		if sh >= UnseenWarnShare {
			sev = SeverityWarning
		}
		if len(labels) > 5 {
			labels = append(labels[:5], "…")
		}
		out = append(out, Finding{Type: "unseen_categories", Column: c.Name, Severity: sev,
			Message: fmt.Sprintf("%s of current rows have categories the reference never had: %q", pct(sh), labels),
			Value:   NumPtr(sh), ReferenceValue: NumPtr(0)})
	}
	return out
}

func pct(x float64) string {
	if math.IsNaN(x) {
		return "n/a"
	}
	switch {
	case x == 0:
		return "0%"
	case x < 0.001:
		return fmt.Sprintf("%.2g%%", 100*x)
	default:
		return fmt.Sprintf("%.1f%%", 100*x)
	}
}
