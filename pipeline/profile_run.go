package pipeline

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/driftwatch/driftwatch/stats"
)

// ErrProfileRows is wrapped by the error of ReadColumn on a profile: a profile holds
// summaries, not rows.
var ErrProfileRows = errors.New("a profile holds summaries, not rows")

// ProfileDataset returns a Dataset whose Open yields the profile p, so that a run
// compares against a profile wherever it compares against data. desc names it in
// reports (default: "profile" and p.Source).
func ProfileDataset(p *Profile, desc string) Dataset {
	if desc == "" {
		desc = "profile " + p.Source
	}
	return &profileDataset{p: p, desc: desc}
}

type profileDataset struct {
	p    *Profile
	desc string
}

func (d *profileDataset) String() string { return d.desc }

// Open returns the profile as a Source. A profile covers the window it was built for:
// a different non-zero window w is reported as a "window_not_applied" finding.
func (d *profileDataset) Open(ctx context.Context, w Window) (Source, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s := &profileSource{p: d.p, desc: d.desc, schema: d.p.Schema()}
	if !w.IsZero() && w != d.p.Window {
		s.schema.Findings = append(s.schema.Findings, Finding{Type: "window_not_applied", Severity: SeverityWarning, Source: d.desc,
			Message: fmt.Sprintf("a profile covers the window it was built for (%s); the run's window%s is not applied", windowText(d.p.Window), windowNote(w))})
	}
	return s, nil
}

func windowText(w Window) string {
	if w.IsZero() {
		return "all rows"
	}
	return strings.TrimPrefix(windowNote(w), " in ")
}

// profileSource is an opened profile.
type profileSource struct {
	p      *Profile
	desc   string
	schema Schema
	closed bool
}

func (s *profileSource) Schema() Schema { return s.schema }
func (s *profileSource) Rows() int64    { return s.p.Rows }
func (s *profileSource) Close() error   { s.closed = true; return nil }

// ReadColumn always fails: a profile has no rows (ErrProfileRows), or no such column.
func (s *profileSource) ReadColumn(ctx context.Context, name string, fn func(Column) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if _, ok := s.schema.Field(name); !ok {
		return &DataError{Source: s.desc, Column: name, Err: ErrNoColumn}
	}
	return &DataError{Source: s.desc, Column: name, Err: ErrProfileRows}
}

// ProfileOf returns the profile behind a source opened from ProfileDataset.
func ProfileOf(src Source) (*Profile, bool) {
	if s, ok := src.(*profileSource); ok {
		return s.p, true
	}
	return nil, false
}

// profileRun reports whether either side of a run is a profile.
func profileRun(ref, cur Source) bool {
	_, a := ProfileOf(ref)
	_, b := ProfileOf(cur)
	return a || b
}

// approxSide is one side of a column compared through a sketch: the exact sorted
// values (raw data, an exact profile, or a sketch that never compacted), or a sketch.
type approxSide struct {
	sorted         []float64
	col            *ColumnProfile // nil for raw data
	items, weights []float64      // sketch items (nil weights: the sorted values)
	cum            []float64      // cumulative weights of items
	few            *ValueCounts
	fewDone        bool
}

func (s *approxSide) sketch() bool { return s.weights != nil }

func (s *approxSide) n() float64 {
	if s.sketch() {
		return s.cum[len(s.cum)-1]
	}
	return float64(len(s.sorted))
}

// values returns the sorted values and their weights (nil: all 1).
func (s *approxSide) values() ([]float64, []float64) {
	if s.sketch() {
		return s.items, s.weights
	}
	return s.sorted, nil
}

// std is the population standard deviation: numpy's two-pass (exact sides) or from
// the merged moments (sketch sides).
func (s *approxSide) std() float64 {
	if s.sketch() {
		return s.col.Moments.Std()
	}
	_, sd := stats.MeanStd(s.sorted)
	return sd
}

// minMax returns the smallest and the largest value (exact).
func (s *approxSide) minMax() (lo, hi float64) {
	if s.sketch() {
		return s.col.Sketch.Min(), s.col.Sketch.Max()
	}
	return s.sorted[0], s.sorted[len(s.sorted)-1]
}

// rankLE is the (estimated) number of values <= x; rankLT of values < x.
func (s *approxSide) rankLE(x float64) float64 {
	if !s.sketch() {
		return float64(sort.Search(len(s.sorted), func(i int) bool { return s.sorted[i] > x }))
	}
	i := sort.Search(len(s.items), func(i int) bool { return s.items[i] > x })
	if i == 0 {
		return 0
	}
	return s.cum[i-1]
}

func (s *approxSide) rankLT(x float64) float64 {
	if !s.sketch() {
		return float64(sort.SearchFloat64s(s.sorted, x))
	}
	i := sort.SearchFloat64s(s.items, x)
	if i == 0 {
		return 0
	}
	return s.cum[i-1]
}

// fewValues returns exact counts per distinct value, or nil when there are more than
// FewValuesCap distinct values.
func (s *approxSide) fewValues() *ValueCounts {
	if s.fewDone {
		return s.few
	}
	s.fewDone = true
	if s.sketch() {
		s.few = s.col.Few
		return s.few
	}
	vc := &ValueCounts{}
	for i := 0; i < len(s.sorted); {
		j := i
		for j < len(s.sorted) && s.sorted[j] == s.sorted[i] {
			j++
		}
		if len(vc.Keys) == FewValuesCap {
			return nil
		}
		vc.Keys = append(vc.Keys, s.sorted[i])
		vc.Counts = append(vc.Counts, int64(j-i))
		i = j
	}
	s.few = vc
	return vc
}

// distinct is the number of distinct values, exact or estimated.
func (s *approxSide) distinct() float64 {
	if f := s.fewValues(); f != nil {
		return float64(len(f.Keys))
	}
	if s.sketch() && s.col.Distinct != nil {
		return math.Round(s.col.Distinct.Estimate())
	}
	return float64(stats.DistinctSorted(s.sorted))
}

// decileEdges are psi's reference-decile edges of this (reference) side, and whether
// they are the data's exact deciles or frozen edges of a profile.
func (s *approxSide) decileEdges() (edges []float64, estimated bool) {
	if !s.sketch() {
		c := ColumnProfile{Kind: KindNumeric, Sorted: s.sorted}
		return c.DecileEdges(), false
	}
	if s.col.Hist != nil {
		return s.col.Hist.Edges, false
	}
	return sketchDeciles(s.col.Sketch), true
}

// countsLeft counts the values on inner edges (np.searchsorted left bins): exact for
// exact sides and for a sketch side with a histogram on these edges; estimated from
// the sketch otherwise (estimated = true).
func (s *approxSide) countsLeft(edges []float64) (counts []float64, estimated bool) {
	counts = make([]float64, len(edges)+1)
	if s.sketch() && s.col.Hist != nil && slices.Equal(s.col.Hist.Edges, edges) {
		for i, c := range s.col.Hist.Counts {
			counts[i] = float64(c)
		}
		return counts, false
	}
	prev := 0.0
	for i, e := range edges {
		r := s.rankLE(e)
		counts[i] = r - prev
		prev = r
	}
	counts[len(edges)] = s.n() - prev
	return counts, s.sketch()
}

// countsHistogram counts the values on np.histogram's bins over all edges
// ([e_i, e_i+1), the last closed).
func (s *approxSide) countsHistogram(edges []float64) []float64 {
	nb := len(edges) - 1
	counts := make([]float64, nb)
	for i := range nb {
		hi := s.rankLT(edges[i+1])
		if i == nb-1 {
			hi = s.rankLE(edges[i+1])
		}
		counts[i] = hi - s.rankLT(edges[i])
	}
	return counts
}

// representatives returns m sorted values standing for the side, for code that reads
// ColumnData.Ref/Cur directly (summaries, findings): the values themselves for an
// exact side; for a sketch side its min, its max and the quantiles (i+1/2)/m between.
func (s *approxSide) representatives(m int) []float64 {
	if !s.sketch() {
		return s.sorted
	}
	n := s.n()
	m = int(min(float64(m), n))
	out := make([]float64, 0, m)
	j := 0
	for i := range m {
		target := (float64(i) + 0.5) / float64(m) * n
		for j < len(s.cum)-1 && s.cum[j] < target {
			j++
		}
		out = append(out, s.items[j])
	}
	out[0], out[m-1] = s.col.Sketch.Min(), s.col.Sketch.Max()
	return out
}

// approxData is what a ColumnData needs when a side of a valued column is a sketch.
type approxData struct {
	ref, cur approxSide
	// refDistinct is the reference's distinct count of a categorical column folded into
	// "other" (the text-like rule), 0 otherwise.
	refDistinct float64
	notes       []string
}

func (a *approxData) note(s string) {
	if !slices.Contains(a.notes, s) {
		a.notes = append(a.notes, s)
	}
}

// approxRepresentatives is the number of representative values of a sketch side.
const approxRepresentatives = 4096

// bins returns psi's bins (DESIGN.md) computed from the sides: per value when the
// reference has at most 20 distinct values (exact while both sides have at most
// FewValuesCap), else on the reference's decile edges (the frozen edges of a sketch
// reference), counts exact where a side is exact or has a histogram on those edges.
func (a *approxData) bins(b stats.Binning) stats.Bins {
	if rf := a.ref.fewValues(); rf != nil && len(rf.Keys) <= MaxPerValue {
		r, c, keys := a.perValue()
		return stats.Bins{Ref: r, Cur: c, Keys: keys, Mode: stats.ModePerValue}
	}
	if b == stats.BinningSturges {
		l1, h1 := a.ref.minMax()
		l2, h2 := a.cur.minMax()
		lo, hi := min(l1, l2), max(h1, h2)
		edges := stats.SturgesEdges(lo, hi, int(a.ref.n()+a.cur.n()))
		if a.ref.sketch() || a.cur.sketch() {
			a.note("sturges bins counted from the sketches")
		}
		return stats.Bins{Ref: a.ref.countsHistogram(edges), Cur: a.cur.countsHistogram(edges), Edges: edges, Mode: stats.ModeSturges}
	}
	edges, est := a.ref.decileEdges()
	if est {
		a.note("reference decile edges taken from its sketch (the reference profile has no frozen edges)")
	}
	r, e1 := a.ref.countsLeft(edges)
	c, e2 := a.cur.countsLeft(edges)
	if e1 || e2 {
		a.note("decile bin counts estimated from a sketch (a profile built without the reference's edges)")
	}
	return stats.Bins{Ref: r, Cur: c, Edges: edges, Mode: stats.ModeReferenceDeciles}
}

// perValue returns the counts per distinct value of ref ∪ cur: exact from both sides'
// value counts; when a side has too many distinct values, the other side's values
// with that side's counts estimated from its sketch, and one more bin for the rest.
func (a *approxData) perValue() (ref, cur, keys []float64) {
	rf, cf := a.ref.fewValues(), a.cur.fewValues()
	if rf != nil && cf != nil {
		i, j := 0, 0
		for i < len(rf.Keys) || j < len(cf.Keys) {
			var v float64
			switch {
			case j == len(cf.Keys) || (i < len(rf.Keys) && rf.Keys[i] < cf.Keys[j]):
				v = rf.Keys[i]
			default:
				v = cf.Keys[j]
			}
			var r, c float64
			if i < len(rf.Keys) && rf.Keys[i] == v {
				r = float64(rf.Counts[i])
				i++
			}
			if j < len(cf.Keys) && cf.Keys[j] == v {
				c = float64(cf.Counts[j])
				j++
			}
			keys, ref, cur = append(keys, v), append(ref, r), append(cur, c)
		}
		return ref, cur, keys
	}
	a.note(fmt.Sprintf("per-value counts of the side with more than %d distinct values estimated from its sketch", FewValuesCap))
	known, other := rf, &a.cur
	if rf == nil {
		known, other = cf, &a.ref
	}
	if known == nil { // both sides have many values: bins on the reference's deciles
		b := a.bins(stats.BinningDefault)
		return b.Ref, b.Cur, nil
	}
	var kc, oc []float64
	var rest float64 = other.n()
	for k, v := range known.Keys {
		kc = append(kc, float64(known.Counts[k]))
		c := other.rankLE(v) - other.rankLT(v)
		oc = append(oc, c)
		rest -= c
	}
	keys = slices.Clone(known.Keys)
	kc, oc = append(kc, 0), append(oc, max(rest, 0))
	keys = append(keys, math.NaN())
	if rf != nil {
		return kc, oc, keys
	}
	return oc, kc, keys
}

// unionDistinct is the number of distinct values of ref ∪ cur: exact while both
// sides have value counts, else more than FewValuesCap.
func (a *approxData) unionDistinct() int {
	rf, cf := a.ref.fewValues(), a.cur.fewValues()
	if rf != nil && cf != nil {
		return stats.UnionDistinctSorted(rf.Keys, cf.Keys)
	}
	return int(max(a.ref.distinct(), a.cur.distinct(), FewValuesCap+1))
}

// approxMethod returns the sketch version of a rank method when a side of c is a
// sketch (nil otherwise): the weighted-sample methods of package stats on the sketch's
// items, p-values at the true sample sizes.
func (c *ColumnData) approxMethod(name string) func(*ColumnData, stats.Binning) result {
	a := c.approx
	if a == nil {
		return nil
	}
	v1, w1 := a.ref.values()
	v2, w2 := a.cur.values()
	switch name {
	case "ks":
		return func(*ColumnData, stats.Binning) result {
			d, p := stats.WeightedKS(v1, w1, v2, w2)
			return result{stat: d, p: p}
		}
	case "wasserstein":
		return func(*ColumnData, stats.Binning) result {
			return result{stat: stats.WeightedWasserstein(v1, w1, v2, w2) / math.Max(a.ref.std(), 0.001), p: math.NaN()}
		}
	case "anderson":
		return func(*ColumnData, stats.Binning) result {
			s, p := stats.WeightedAndersonDarling(v1, w1, v2, w2)
			return result{stat: s, p: p}
		}
	case "cramer_von_mises":
		return func(*ColumnData, stats.Binning) result {
			s, p := stats.WeightedCramerVonMises(v1, w1, v2, w2)
			return result{stat: s, p: p}
		}
	case "energy":
		return func(*ColumnData, stats.Binning) result {
			return result{stat: stats.WeightedEnergy(v1, w1, v2, w2), p: math.NaN()}
		}
	}
	return nil
}

// fillFromProfiles fills c from the sides of a run when either is a profile and
// reports whether it did. Valued columns: exact sides (data, exact profiles, sketches
// that never compacted) give sorted values as reading the data does; a sketch side
// sets c.approx. Categorical columns: category counts over the sorted union of labels.
func fillFromProfiles(ctx context.Context, ref, cur Source, c *ColumnData, wk *worker) (bool, error) {
	if !profileRun(ref, cur) {
		return false, nil
	}
	var sides [2]approxSide
	var rows, missing [2]int64
	if !c.Kind.Valued() {
		var labels [2][]string
		var counts [2][]int64
		var other [2]int64
		for k, src := range []Source{ref, cur} {
			var err error
			labels[k], counts[k], other[k], rows[k], missing[k], err = sideLabels(ctx, src, c.Name)
			if err != nil {
				return true, fmt.Errorf("%s: %w", []string{"reference", "current"}[k], err)
			}
		}
		fillLabels(c, labels, counts, other)
		c.RefRows, c.CurRows, c.RefMissing, c.CurMissing = rows[0], rows[1], missing[0], missing[1]
		if other[0] > 0 || other[1] > 0 {
			c.approx = &approxData{}
			if p, ok := ProfileOf(ref); ok {
				if col := p.Column(c.Name); col != nil && col.Truncated && col.Distinct != nil {
					c.approx.refDistinct = math.Round(col.Distinct.Estimate())
				}
			}
			c.approx.note(fmt.Sprintf("categories beyond the %d most frequent folded into %q", DefaultTopK, OtherLabel))
		}
		return true, nil
	}
	for k, src := range []Source{ref, cur} {
		s, r, m, err := valuedSide(ctx, src, c.Name, wk, k)
		if err != nil {
			return true, fmt.Errorf("%s: %w", []string{"reference", "current"}[k], err)
		}
		sides[k], rows[k], missing[k] = s, r, m
	}
	c.RefRows, c.CurRows, c.RefMissing, c.CurMissing = rows[0], rows[1], missing[0], missing[1]
	if !sides[0].sketch() && !sides[1].sketch() {
		c.Ref, c.Cur = sides[0].sorted, sides[1].sorted
		return true, nil
	}
	c.approx = &approxData{ref: sides[0], cur: sides[1]}
	c.Ref = c.approx.ref.representatives(approxRepresentatives)
	c.Cur = c.approx.cur.representatives(approxRepresentatives)
	return true, nil
}

// valuedSide reads one side of a valued column: sorted values from data or an exact
// profile (or a sketch that holds every value), else the sketch's items.
func valuedSide(ctx context.Context, src Source, name string, wk *worker, k int) (approxSide, int64, int64, error) {
	p, ok := ProfileOf(src)
	if !ok {
		buf := &wk.ref
		if k == 1 {
			buf = &wk.cur
		}
		vals, rows, missing, err := readValued(ctx, src, name, (*buf)[:0])
		if err != nil {
			return approxSide{}, 0, 0, err
		}
		wk.sorter.Sort(vals)
		*buf = vals
		return approxSide{sorted: vals}, rows, missing, nil
	}
	col := p.Column(name)
	if col == nil {
		return approxSide{}, 0, 0, &DataError{Source: p.Source, Column: name, Err: fmt.Errorf("%w: not in the profile", ErrNoColumn)}
	}
	if !col.Kind.Valued() {
		return approxSide{}, 0, 0, fmt.Errorf("column %q: want numeric values, got %s", name, col.Kind)
	}
	s := approxSide{col: col}
	switch {
	case col.Sketch == nil:
		s.sorted = col.Sorted
		if s.sorted == nil {
			s.sorted = []float64{}
		}
	case col.Sketch.Exact():
		s.sorted, _ = col.Sketch.Items()
	default:
		s.items, s.weights = col.Sketch.Items()
		s.cum = make([]float64, len(s.weights))
		var c float64
		for i, w := range s.weights {
			c += w
			s.cum[i] = c
		}
	}
	return s, col.Rows, col.Missing, nil
}

// sideLabels returns one side's category counts: from a profile, or counted from data.
// A valued column read as categorical (a kind override) has its values as labels.
func sideLabels(ctx context.Context, src Source, name string) (labels []string, counts []int64, other, rows, missing int64, err error) {
	p, ok := ProfileOf(src)
	if !ok {
		index := map[string]int{}
		var remap []int
		err = src.ReadColumn(ctx, name, func(col Column) error {
			add := func(s string, n int64) {
				i, ok := index[s]
				if !ok {
					i = len(labels)
					index[s] = i
					labels = append(labels, s)
					counts = append(counts, 0)
				}
				counts[i] += n
			}
			if col.Kind.Valued() {
				for _, v := range col.Float64 {
					rows++
					if v-v != 0 {
						missing++
						continue
					}
					add(strconv.FormatFloat(v, 'g', -1, 64), 1)
				}
				return nil
			}
			remap = remap[:0]
			for _, s := range col.Dict {
				add(s, 0)
				remap = append(remap, index[s])
			}
			for _, code := range col.Codes {
				rows++
				if code < 0 {
					missing++
					continue
				}
				counts[remap[code]]++
			}
			return nil
		})
		return labels, counts, 0, rows, missing, err
	}
	col := p.Column(name)
	if col == nil {
		return nil, nil, 0, 0, 0, &DataError{Source: p.Source, Column: name, Err: fmt.Errorf("%w: not in the profile", ErrNoColumn)}
	}
	if !col.Kind.Valued() {
		return col.Labels, col.Counts, col.Other, col.Rows, col.Missing, nil
	}
	vc := col.Few
	if col.Sketch == nil {
		vc = (&approxSide{sorted: col.Sorted}).fewValues()
		if vc == nil { // more than FewValuesCap values: count them all
			vc = &ValueCounts{}
			for i := 0; i < len(col.Sorted); {
				j := i
				for j < len(col.Sorted) && col.Sorted[j] == col.Sorted[i] {
					j++
				}
				vc.Keys = append(vc.Keys, col.Sorted[i])
				vc.Counts = append(vc.Counts, int64(j-i))
				i = j
			}
		}
	}
	if vc == nil {
		return nil, nil, 0, 0, 0, fmt.Errorf("column %q read as categorical: the sketch profile kept no value counts (more than %d distinct values); use an exact profile", name, FewValuesCap)
	}
	for i, v := range vc.Keys {
		labels = append(labels, strconv.FormatFloat(v, 'g', -1, 64))
		counts = append(counts, vc.Counts[i])
	}
	return labels, counts, 0, col.Rows, col.Missing, nil
}

// fillLabels sets c.Labels to the sorted union of both sides' labels (and OtherLabel
// when a side folded categories) and the counts per label.
func fillLabels(c *ColumnData, labels [2][]string, counts [2][]int64, other [2]int64) {
	index := map[string]int{}
	var all []string
	for k := range labels {
		for _, s := range labels[k] {
			if _, ok := index[s]; !ok {
				index[s] = len(all)
				all = append(all, s)
			}
		}
	}
	if other[0] > 0 || other[1] > 0 {
		if _, ok := index[OtherLabel]; !ok {
			index[OtherLabel] = len(all)
			all = append(all, OtherLabel)
		}
	}
	sort.Strings(all)
	for i, s := range all {
		index[s] = i
	}
	c.Labels = all
	c.RefCounts = make([]float64, len(all))
	c.CurCounts = make([]float64, len(all))
	dst := [2][]float64{c.RefCounts, c.CurCounts}
	for k := range labels {
		for i, s := range labels[k] {
			dst[k][index[s]] += float64(counts[k][i])
		}
		if other[k] > 0 {
			dst[k][index[OtherLabel]] += float64(other[k])
		}
	}
}

// approxSummaries corrects the summaries of the sketch sides of c (count-based fields
// are already exact): distinct values, mean and standard deviation from the profile,
// quantiles and histogram counts from the sketch. It returns a finding saying what was
// estimated, nil when nothing was.
func (c *ColumnData) approxSummaries(cr *ColumnReport) []Finding {
	a := c.approx
	if a == nil {
		return nil
	}
	if c.Kind.Valued() {
		for k, s := range []*approxSide{&a.ref, &a.cur} {
			if !s.sketch() {
				continue
			}
			sum := &cr.Reference
			if k == 1 {
				sum = &cr.Current
			}
			sum.Distinct = int(s.distinct())
			sum.Mean, sum.Std = NumPtr(s.col.Moments.Mean), NumPtr(s.col.Moments.Std())
			sum.Min, sum.Max = NumPtr(s.col.Sketch.Min()), NumPtr(s.col.Sketch.Max())
			sum.Quantiles = sum.Quantiles[:0]
			for _, q := range summaryQuantiles {
				sum.Quantiles = append(sum.Quantiles, Num(sketchQuantile(s, q)))
			}
			if h := sum.Histogram; h != nil && len(h.Edges) >= 2 {
				edges := make([]float64, len(h.Edges))
				for i, e := range h.Edges {
					edges[i] = float64(e)
				}
				counts := s.countsHistogram(edges)
				// numericHistogram's bins: [e_i, e_i+1), the last one closed, every value counted
				counts[0] += s.rankLT(edges[0])
				counts[len(counts)-1] += s.n() - s.rankLE(edges[len(edges)-1])
				for i, v := range counts {
					h.Counts[i] = int64(math.Round(v))
				}
			}
		}
		eps := 0.0
		for _, s := range []*approxSide{&a.ref, &a.cur} {
			if s.sketch() {
				eps += s.col.Sketch.RankErrorBound()
			}
		}
		msg := fmt.Sprintf("a side is a sketch profile: rank methods (ks, wasserstein, anderson, cramer_von_mises, energy) and quantiles computed from quantile sketches whose CDFs are within %.2g of the data's (KS D within %.2g)", eps, eps)
		if len(a.notes) > 0 {
			msg += "; " + strings.Join(a.notes, "; ")
		}
		return []Finding{{Type: "sketch_estimate", Column: c.Name, Severity: SeverityInfo, Message: msg, Value: NumPtr(eps)}}
	}
	return []Finding{{Type: "sketch_estimate", Column: c.Name, Severity: SeverityInfo, Message: strings.Join(a.notes, "; ")}}
}

// sketchQuantile is the weighted quantile of a sketch side's items.
func sketchQuantile(s *approxSide, q float64) float64 {
	target := q * s.n()
	i := sort.Search(len(s.cum), func(i int) bool { return s.cum[i] >= target })
	return s.items[min(i, len(s.items)-1)]
}
