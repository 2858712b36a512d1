package pipeline

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/driftwatch/driftwatch/stats"
)

// Merge returns the profile of the union of the rows of a and b; a and b are not
// changed. Both must have the same mode. A column that one part's schema lacks counts
// that part's rows as missing (as a dataset does with a column absent from some
// files); a column in both schemas but profiled in one part only, or of different
// kinds, is an error. Histograms on different edges cannot be added: the merged column
// has none (its decile counts are then estimated from the sketch).
//
// What is exact: rows, missing, histogram, value and category counts (while no part
// folded categories into "other"), distinct-count sketches and, in exact mode, the
// sorted values, in any order of merges. Moments and co-moments are merged by Chan's
// update, equal to the whole to about 1e-15 relative; the quantile sketch stays within
// its certified bound.
func Merge(a, b *Profile) (*Profile, error) {
	if a.Mode != b.Mode {
		return nil, fmt.Errorf("merge profiles: modes differ (%s and %s)", a.Mode, b.Mode)
	}
	out := &Profile{Mode: a.Mode, Rows: a.Rows + b.Rows, Parts: max(a.Parts, 1) + max(b.Parts, 1)}
	out.Source = mergeSources(a.Source, b.Source)
	if !a.Window.IsZero() && !b.Window.IsZero() {
		out.Window = a.Window
		if b.Window.Start.Before(out.Window.Start) {
			out.Window.Start = b.Window.Start
		}
		if b.Window.End.After(out.Window.End) {
			out.Window.End = b.Window.End
		}
	}
	// schema: a's fields, then b's new ones
	out.Fields = slices.Clone(a.Fields)
	for _, f := range b.Fields {
		g, ok := fieldOf(out.Fields, f.Name)
		switch {
		case !ok:
			out.Fields = append(out.Fields, f)
		case g.Kind != f.Kind:
			return nil, fmt.Errorf("merge profiles: column %q is %s in one part and %s in the other", f.Name, g.Kind, f.Kind)
		}
	}
	out.Findings = slices.Clone(a.Findings)
	for _, f := range b.Findings {
		if !slices.Contains(out.Findings, f) {
			out.Findings = append(out.Findings, f)
		}
	}
	var names []string
	for _, c := range a.Columns {
		names = append(names, c.Name)
	}
	for _, c := range b.Columns {
		if a.Column(c.Name) == nil {
			names = append(names, c.Name)
		}
	}
	for _, name := range names {
		ca, cb := a.Column(name), b.Column(name)
		switch {
		case ca == nil:
			if _, in := fieldOf(a.Fields, name); in {
				return nil, fmt.Errorf("merge profiles: column %q is profiled in one part only", name)
			}
			ca = absentColumn(cb, a.Rows)
		case cb == nil:
			if _, in := fieldOf(b.Fields, name); in {
				return nil, fmt.Errorf("merge profiles: column %q is profiled in one part only", name)
			}
			cb = absentColumn(ca, b.Rows)
		}
		c, err := mergeColumns(ca, cb, a.Mode)
		if err != nil {
			return nil, fmt.Errorf("merge profiles: column %q: %w", name, err)
		}
		out.Columns = append(out.Columns, c)
	}
	if a.Corr != nil && b.Corr != nil && slices.Equal(a.Corr.Columns, b.Corr.Columns) {
		m := stats.NewCoMomentMatrix(a.Corr.M.K)
		m.Merge(a.Corr.M)
		m.Merge(b.Corr.M)
		out.Corr = &CorrProfile{Columns: slices.Clone(a.Corr.Columns), M: m}
	}
	out.Quality = mergeQuality(a.Quality, b.Quality)
	return out, nil
}

// MergeAll merges profiles left to right.
func MergeAll(ps ...*Profile) (*Profile, error) {
	if len(ps) == 0 {
		return nil, fmt.Errorf("merge profiles: none given")
	}
	out := ps[0]
	for _, p := range ps[1:] {
		var err error
		if out, err = Merge(out, p); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func fieldOf(fs []Field, name string) (Field, bool) {
	for _, f := range fs {
		if f.Name == name {
			return f, true
		}
	}
	return Field{}, false
}

// mergeSources names a merged profile's parts: the common source, or the parts
// joined by " + " (shortened past four).
func mergeSources(a, b string) string {
	if a == b {
		return a
	}
	parts := strings.Split(a, " + ")
	for _, p := range strings.Split(b, " + ") {
		if !slices.Contains(parts, p) {
			parts = append(parts, p)
		}
	}
	if len(parts) > 4 {
		return fmt.Sprintf("%s + … + %s (%d parts)", parts[0], parts[len(parts)-1], len(parts))
	}
	return strings.Join(parts, " + ")
}

// absentColumn is the profile of column like's name over rows rows, all missing.
func absentColumn(like *ColumnProfile, rows int64) *ColumnProfile {
	c := &ColumnProfile{Name: like.Name, Kind: like.Kind, Rows: rows, Missing: rows,
		Moments: stats.Moments{Min: math.Inf(1), Max: math.Inf(-1)}}
	if like.Kind.Valued() {
		if like.Sketch != nil {
			c.Sketch = stats.NewQuantileSketch()
			c.Distinct = stats.NewHLL()
			c.Few = &ValueCounts{Keys: []float64{}, Counts: []int64{}}
			if like.Hist != nil {
				c.Hist = &EdgeHist{Edges: like.Hist.Edges, Counts: make([]int64, len(like.Hist.Counts))}
			}
		} else {
			c.Sorted = []float64{}
		}
	} else if like.Distinct != nil {
		c.Distinct = stats.NewHLL()
	}
	return c
}

func mergeColumns(a, b *ColumnProfile, mode ProfileMode) (*ColumnProfile, error) {
	if a.Kind != b.Kind {
		return nil, fmt.Errorf("kinds differ (%s and %s)", a.Kind, b.Kind)
	}
	c := &ColumnProfile{Name: a.Name, Kind: a.Kind, Rows: a.Rows + b.Rows, Missing: a.Missing + b.Missing,
		Moments: a.Moments.Merge(b.Moments)}
	if a.Distinct != nil || b.Distinct != nil {
		c.Distinct = stats.NewHLL()
		c.Distinct.Merge(a.Distinct)
		c.Distinct.Merge(b.Distinct)
	}
	if !a.Kind.Valued() {
		mergeLabels(c, a, b, mode)
		return c, nil
	}
	if mode == ProfileExact {
		c.Sorted = mergeByKey(a.Sorted, b.Sorted)
		return c, nil
	}
	if a.Sketch == nil || b.Sketch == nil {
		return nil, fmt.Errorf("a sketch-mode column without a sketch")
	}
	c.Sketch = a.Sketch.Clone()
	c.Sketch.Merge(b.Sketch)
	c.Few = mergeFew(a.Few, b.Few)
	if a.Hist != nil && b.Hist != nil && slices.Equal(a.Hist.Edges, b.Hist.Edges) {
		c.Hist = &EdgeHist{Edges: slices.Clone(a.Hist.Edges), Counts: make([]int64, len(a.Hist.Counts))}
		for i := range c.Hist.Counts {
			c.Hist.Counts[i] = a.Hist.Counts[i] + b.Hist.Counts[i]
		}
	}
	return c, nil
}

// mergeFew adds two value-count tables; nil (more than FewValuesCap values) when
// either is nil or the union is too large.
func mergeFew(a, b *ValueCounts) *ValueCounts {
	if a == nil || b == nil {
		return nil
	}
	out := &ValueCounts{Keys: []float64{}, Counts: []int64{}}
	i, j := 0, 0
	for i < len(a.Keys) || j < len(b.Keys) {
		var k float64
		var n int64
		switch {
		case j == len(b.Keys) || (i < len(a.Keys) && a.Keys[i] < b.Keys[j]):
			k, n = a.Keys[i], a.Counts[i]
			i++
		case i == len(a.Keys) || b.Keys[j] < a.Keys[i]:
			k, n = b.Keys[j], b.Counts[j]
			j++
		default:
			k, n = a.Keys[i], a.Counts[i]+b.Counts[j]
			i++
			j++
		}
		if len(out.Keys) == FewValuesCap {
			return nil
		}
		out.Keys = append(out.Keys, k)
		out.Counts = append(out.Counts, n)
	}
	return out
}

// mergeLabels adds the category counts of a and b into c (labels sorted); in sketch
// mode the result is folded back to DefaultTopK categories when it has more.
func mergeLabels(c, a, b *ColumnProfile, mode ProfileMode) {
	counts := map[string]int64{}
	for _, x := range []*ColumnProfile{a, b} {
		for i, l := range x.Labels {
			counts[l] += x.Counts[i]
		}
	}
	labels := make([]string, 0, len(counts))
	for l := range counts {
		labels = append(labels, l)
	}
	sort.Strings(labels)
	cs := make([]int64, len(labels))
	for i, l := range labels {
		cs[i] = counts[l]
	}
	c.Truncated = a.Truncated || b.Truncated
	if mode == ProfileSketch && len(labels) > DefaultTopK {
		labels, cs = misraGries(labels, cs, DefaultTopK)
		c.Truncated = true
		idx := make([]int, len(labels))
		for i := range idx {
			idx[i] = i
		}
		sort.Slice(idx, func(x, y int) bool { return labels[idx[x]] < labels[idx[y]] })
		ls, cc := make([]string, len(idx)), make([]int64, len(idx))
		for k, i := range idx {
			ls[k], cc[k] = labels[i], cs[i]
		}
		labels, cs = ls, cc
	}
	c.Labels, c.Counts = labels, cs
	var kept int64
	for _, n := range cs {
		kept += n
	}
	c.Other = c.Count() - kept
}

// floatKey maps a float64 to a uint64 that sorts as stats.Sort sorts (-0 before +0).
func floatKey(v float64) uint64 {
	b := math.Float64bits(v)
	if b>>63 == 1 {
		return ^b
	}
	return b | 1<<63
}

// mergeByKey merges two sorted slices into a new one, in stats.Sort's order, so that
// the merge of the sorted parts of a sample equals the sorted sample bit for bit.
func mergeByKey(a, b []float64) []float64 {
	out := make([]float64, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		if floatKey(a[i]) <= floatKey(b[j]) {
			out = append(out, a[i])
			i++
		} else {
			out = append(out, b[j])
			j++
		}
	}
	out = append(out, a[i:]...)
	return append(out, b[j:]...)
}
