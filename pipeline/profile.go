package pipeline

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/driftwatch/driftwatch/stats"
)

// A Profile is the mergeable summary of one dataset window (DESIGN.md, "Profiles and
// scale"): per column the row and missing counts, moments, and either every value
// sorted (exact mode) or a quantile sketch with a certified rank error (sketch mode);
// in sketch mode also a histogram on fixed bin edges taken from the reference profile,
// exact counts of up to FewValuesCap distinct values, and a distinct-count sketch;
// category counts of categorical columns (the TopK most frequent plus "other" in
// sketch mode); co-moments of the numeric columns for Pearson correlations; and
// model-quality accumulators.
//
// Profiles merge (Merge): the profile of a dataset equals the merge of the profiles of
// any split of its rows, in any order, exactly for counts, histograms, category counts
// (while they are not folded into "other"), distinct-count sketches and (exact mode)
// the sorted values; to rounding (about 1e-15 relative) for moments and co-moments;
// within the certified bound for the quantile sketch. A run accepts a profile wherever
// it accepts data (ProfileDataset): exact profiles give the same report as the data;
// sketch profiles give the histogram methods exactly on the reference's frozen edges
// and the rank methods within the sketch's bound.
type Profile struct {
	Mode   ProfileMode
	Source string // what was profiled (dataset description, or the merged parts)
	Window Window // the rows' window (zero: all rows, or not known)
	Rows   int64
	// Parts is the number of profiles merged into this one (1 when built from data).
	Parts    int
	Fields   []Field   // the dataset's schema
	Findings []Finding // schema findings of the dataset
	Columns  []*ColumnProfile
	// Corr holds the co-moments of the numeric columns (nil when fewer than two).
	Corr *CorrProfile
	// Quality holds the model-quality accumulators (nil without a target and a prediction).
	Quality *QualityProfile
}

// ProfileMode says how a profile keeps the values of valued columns.
type ProfileMode uint8

const (
	// ProfileExact keeps every finite value, sorted: rank methods are exact, memory and
	// file size grow with the rows (8 bytes per value).
	ProfileExact ProfileMode = iota + 1
	// ProfileSketch keeps a QuantileSketch (rank error at most stats.SketchEpsilon):
	// memory and size do not depend on the rows.
	ProfileSketch
)

func (m ProfileMode) String() string {
	switch m {
	case ProfileExact:
		return "exact"
	case ProfileSketch:
		return "sketch"
	}
	return fmt.Sprintf("mode(%d)", m)
}

// ParseProfileMode parses "exact" or "sketch".
func ParseProfileMode(s string) (ProfileMode, error) {
	switch s {
	case "exact":
		return ProfileExact, nil
	case "sketch":
		return ProfileSketch, nil
	}
	return 0, fmt.Errorf("unknown profile mode %q (valid: exact, sketch)", s)
}

// Limits of sketch-mode profiles.
const (
	// FewValuesCap: a valued column keeps exact counts per distinct value while it has
	// at most this many (psi's per-value bins, chi2, z, distinct counts).
	FewValuesCap = 1024
	// DefaultTopK: a categorical column keeps exact counts of up to this many
	// categories; beyond, the most frequent ones (Misra–Gries: each kept count is low
	// by at most n/(TopK+1)) and an "other" count.
	DefaultTopK = 10_000
	// MaxCorrColumns bounds the numeric columns whose co-moments a profile keeps.
	MaxCorrColumns = 64
)

// OtherLabel is the category that stands for the categories a sketch-mode profile did
// not keep.
const OtherLabel = "__other__"

// ColumnProfile is the profile of one column.
type ColumnProfile struct {
	Name    string
	Kind    Kind
	Rows    int64
	Missing int64
	// Moments of the finite values (valued kinds).
	Moments stats.Moments

	// Sorted holds every finite value in ascending order (exact mode, valued kinds).
	Sorted []float64
	// Sketch summarises the finite values (sketch mode, valued kinds).
	Sketch *stats.QuantileSketch
	// Few counts each distinct value while there are at most FewValuesCap (sketch mode;
	// nil once there are more).
	Few *ValueCounts
	// Hist counts the finite values on fixed edges (sketch mode; nil when parts with
	// different edges were merged).
	Hist *EdgeHist
	// Distinct estimates the distinct values (sketch mode).
	Distinct *stats.HLL

	// Labels (sorted) and Counts of a categorical column; in sketch mode at most TopK of
	// them, with Other the rows of the others.
	Labels []string
	Counts []int64
	Other  int64
	// Truncated: some categories were folded into Other (sketch mode).
	Truncated bool
}

// Count is the number of non-missing values.
func (c *ColumnProfile) Count() int64 { return c.Rows - c.Missing }

// ValueCounts are exact counts per distinct value (ascending keys).
type ValueCounts struct {
	Keys   []float64
	Counts []int64
}

// EdgeHist counts values on fixed inner edges: bin i holds the values x with exactly i
// edges below x (np.searchsorted(edges, x, 'left')), len(Edges)+1 bins, as psi's
// reference-decile bins (stats.NumericBins).
type EdgeHist struct {
	Edges  []float64
	Counts []int64
}

// CorrProfile holds the pairwise-complete co-moments of numeric columns.
type CorrProfile struct {
	Columns []string
	M       *stats.CoMomentMatrix
}

// ProfileOptions configure BuildProfile.
type ProfileOptions struct {
	Mode ProfileMode // default ProfileSketch
	// Columns restricts the profile to these columns (default: every column).
	Columns []string
	// Reference, when set, gives the histogram edges of valued columns (its decile
	// edges); without it a sketch-mode profile reads each valued column twice, the
	// second time to count on its own deciles.
	Reference *Profile
	// Roles name the target, prediction and score columns for the model-quality
	// accumulators (optional).
	Roles Roles
	// TopK categories kept per categorical column in sketch mode (default DefaultTopK).
	TopK   int
	Source string
	Window Window
	// Parallelism: columns read at once outside the correlated set (default GOMAXPROCS).
	Parallelism int
}

// Column returns the profile of the column called name (nil if it has none).
func (p *Profile) Column(name string) *ColumnProfile {
	for _, c := range p.Columns {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// Schema returns the profiled dataset's schema and findings.
func (p *Profile) Schema() Schema {
	return Schema{Fields: slices.Clone(p.Fields), Findings: slices.Clone(p.Findings)}
}

// BuildProfile reads src and returns its profile. Numeric columns (at most
// MaxCorrColumns of them, in schema order) are read together, row-aligned, for their
// co-moments (with the boolean ones, as the correlation check); the other columns one
// at a time, Parallelism at once.
func BuildProfile(ctx context.Context, src Source, o ProfileOptions) (*Profile, error) {
	if o.Mode == 0 {
		o.Mode = ProfileSketch
	}
	if o.TopK <= 0 {
		o.TopK = DefaultTopK
	}
	par := o.Parallelism
	if par <= 0 {
		par = runtime.GOMAXPROCS(0)
	}
	schema := src.Schema()
	fields := schema.Fields
	if len(o.Columns) > 0 {
		fields = nil
		var missing []string
		for _, name := range o.Columns {
			f, ok := schema.Field(name)
			if !ok {
				missing = append(missing, name)
				continue
			}
			fields = append(fields, f)
		}
		if len(missing) > 0 {
			return nil, &DataError{Source: o.Source, Err: fmt.Errorf("%w: %s", ErrNoColumn, strings.Join(missing, ", "))}
		}
	}
	p := &Profile{Mode: o.Mode, Source: o.Source, Window: o.Window, Rows: src.Rows(), Parts: 1,
		Fields: slices.Clone(schema.Fields), Findings: slices.Clone(schema.Findings)}
	builders := make([]*columnBuilder, len(fields))
	for i, f := range fields {
		b := newColumnBuilder(f, o)
		if o.Reference != nil && f.Kind.Valued() {
			if rc := o.Reference.Column(f.Name); rc != nil && rc.Kind.Valued() {
				b.setEdges(rc.DecileEdges())
			}
		}
		builders[i] = b
	}
	var corr []int
	for i, f := range fields {
		if (f.Kind == KindNumeric || f.Kind == KindBoolean) && len(corr) < MaxCorrColumns {
			corr = append(corr, i)
		}
	}
	if len(corr) < 2 {
		corr = nil
	}
	inCorr := map[int]bool{}
	for _, i := range corr {
		inCorr[i] = true
	}
	if len(corr) > 0 {
		cp, err := readAligned(ctx, src, fields, builders, corr)
		if err != nil {
			return nil, err
		}
		p.Corr = cp
	}
	var rest []int
	for i := range fields {
		if !inCorr[i] {
			rest = append(rest, i)
		}
	}
	err := forEach(ctx, rest, par, func(i int) error {
		return readInto(ctx, src, fields[i].Name, builders[i].add)
	})
	if err != nil {
		return nil, err
	}
	// Second pass: count on the column's own deciles (sketch mode, no reference edges).
	var second []int
	for i, b := range builders {
		if b.needsEdges() {
			second = append(second, i)
		}
	}
	err = forEach(ctx, second, par, func(i int) error {
		b := builders[i]
		b.setEdges(sketchDeciles(b.col.Sketch))
		return readInto(ctx, src, fields[i].Name, func(c Column) error {
			if c.Kind.Valued() {
				b.hist.add(c.Float64)
			}
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	for _, b := range builders {
		p.Columns = append(p.Columns, b.finish())
	}
	q, err := buildQuality(ctx, src, p, o)
	if err != nil {
		return nil, fmt.Errorf("profile quality: %w", err)
	}
	p.Quality = q
	return p, nil
}

// readInto reads column name of src into fn, naming the column in errors.
func readInto(ctx context.Context, src Source, name string, fn func(Column) error) error {
	if err := src.ReadColumn(ctx, name, fn); err != nil {
		return fmt.Errorf("profile column %q: %w", name, err)
	}
	return nil
}

// forEach runs f on each index, par at a time, and returns the first error.
func forEach(ctx context.Context, idx []int, par int, f func(int) error) error {
	if len(idx) == 0 {
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobs := make(chan int)
	errs := make([]error, len(idx))
	pos := make(map[int]int, len(idx))
	for k, i := range idx {
		pos[i] = k
	}
	var wg sync.WaitGroup
	for range min(par, len(idx)) {
		wg.Go(func() {
			for i := range jobs {
				if ctx.Err() != nil {
					continue
				}
				if err := f(i); err != nil {
					errs[pos[i]] = err
					cancel()
				}
			}
		})
	}
	for _, i := range idx {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	for _, err := range errs {
		if err != nil && !errors.Is(err, context.Canceled) {
			return err
		}
	}
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return ctx.Err()
}

// readAligned reads the columns idx of src concurrently, each into its builder (when
// not nil), and feeds row-aligned copies of their values to a co-moment matrix.
func readAligned(ctx context.Context, src Source, fields []Field, builders []*columnBuilder, idx []int) (*CorrProfile, error) {
	names := make([]string, len(idx))
	conv := make([]func(Column) ([]float64, error), len(idx))
	for j, i := range idx {
		names[j] = fields[i].Name
		b := builders[i]
		conv[j] = func(c Column) ([]float64, error) {
			if b != nil {
				if err := b.add(c); err != nil {
					return nil, err
				}
			}
			return valuesOf(c)
		}
	}
	m := stats.NewCoMomentMatrix(len(idx))
	if err := alignedRead(ctx, src, names, conv, m.Add); err != nil {
		return nil, err
	}
	return &CorrProfile{Columns: names, M: m}, nil
}

// alignedRead reads the named columns of src concurrently, converts each chunk to
// float64 values (conv[j] runs on column j's goroutine; its result is copied) and calls
// consume, on the calling goroutine, with row-aligned blocks of all columns. Memory is
// bounded by a few chunks per column in flight.
func alignedRead(ctx context.Context, src Source, names []string, conv []func(Column) ([]float64, error), consume func([][]float64)) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	k := len(names)
	chans := make([]chan []float64, k)
	for j := range chans {
		chans[j] = make(chan []float64, 4)
	}
	var pool sync.Pool
	get := func(n int) []float64 {
		if b, ok := pool.Get().(*[]float64); ok && cap(*b) >= n {
			return (*b)[:n]
		}
		return make([]float64, n)
	}
	var wg sync.WaitGroup
	for j, name := range names {
		wg.Go(func() {
			defer close(chans[j])
			err := readInto(ctx, src, name, func(c Column) error {
				x, err := conv[j](c)
				if err != nil {
					return err
				}
				buf := get(len(x))
				copy(buf, x)
				select {
				case chans[j] <- buf:
					return nil
				case <-ctx.Done():
					return context.Cause(ctx)
				}
			})
			if err != nil {
				cancel(err)
			}
		})
	}
	cur := make([][]float64, k)
	off := make([]int, k)
	part := make([][]float64, k)
	var alignErr error
	for ctx.Err() == nil {
		done := 0
		for j := range k {
			for off[j] == len(cur[j]) {
				if cur[j] != nil {
					b := cur[j][:0]
					pool.Put(&b)
				}
				next, ok := <-chans[j]
				if !ok {
					cur[j], off[j] = nil, 0
					break
				}
				cur[j], off[j] = next, 0
			}
			if cur[j] == nil {
				done++
			}
		}
		if done == k {
			break
		}
		if done > 0 {
			alignErr = fmt.Errorf("columns of different lengths (%s)", strings.Join(names, ", "))
			cancel(alignErr)
			break
		}
		n := math.MaxInt
		for j := range k {
			n = min(n, len(cur[j])-off[j])
		}
		for j := range k {
			part[j] = cur[j][off[j] : off[j]+n]
			off[j] += n
		}
		consume(part)
	}
	for j := range chans { // unblock readers waiting on a full channel
		for range chans[j] {
		}
	}
	wg.Wait()
	if alignErr != nil {
		return alignErr
	}
	return context.Cause(ctx)
}

// columnBuilder accumulates one column's profile.
type columnBuilder struct {
	col    ColumnProfile
	mode   ProfileMode
	topK   int
	sorter stats.Sorter
	few    *fewTable
	hist   *histBuilder
	// histSorted: hist counts the sketch's sorted level-0 buffers (OnSorted) and, at
	// finish, what is left in it, rather than every chunk
	histSorted bool
	// categorical
	index  map[string]int32
	remap  []int32
	used   []bool
	labels []string
	counts []int64
}

func newColumnBuilder(f Field, o ProfileOptions) *columnBuilder {
	b := &columnBuilder{col: ColumnProfile{Name: f.Name, Kind: f.Kind}, mode: o.Mode, topK: o.TopK}
	b.col.Moments = stats.Moments{Min: math.Inf(1), Max: math.Inf(-1)}
	if f.Kind.Valued() {
		if o.Mode == ProfileSketch {
			b.col.Sketch = stats.NewQuantileSketch()
			b.col.Distinct = stats.NewHLL()
			b.few = newFewTable()
		}
	} else {
		b.index = map[string]int32{}
		if o.Mode == ProfileSketch {
			b.col.Distinct = stats.NewHLL()
		}
	}
	return b
}

func (b *columnBuilder) setEdges(edges []float64) {
	if b.mode == ProfileSketch && edges != nil {
		b.hist = &histBuilder{edges: edges, counts: make([]int64, len(edges)+1)}
		if b.col.Sketch != nil && b.col.Sketch.Count() == 0 && !b.histSorted {
			b.col.Sketch.OnSorted(b.hist.addSorted)
			b.histSorted = true
		}
	}
}

func (b *columnBuilder) needsEdges() bool {
	return b.mode == ProfileSketch && b.col.Kind.Valued() && b.hist == nil
}

// sketchDeciles returns the decile edges of a sketch: the items at k/10 of the
// weight, k = 1..9, sorted, duplicates removed.
func sketchDeciles(s *stats.QuantileSketch) []float64 {
	if s == nil || s.Count() == 0 {
		return []float64{}
	}
	v, w := s.Items()
	var total float64
	for _, x := range w {
		total += x
	}
	edges := make([]float64, 0, 9)
	var c float64
	i := 0
	for k := 1; k <= 9; k++ {
		target := float64(k) / 10 * total
		for i < len(v)-1 && c+w[i] < target {
			c += w[i]
			i++
		}
		edges = append(edges, v[i])
	}
	slices.Sort(edges)
	return slices.Compact(edges)
}

// add accumulates one chunk.
func (b *columnBuilder) add(c Column) error {
	if b.col.Kind.Valued() != c.Kind.Valued() {
		return fmt.Errorf("chunk of kind %s in a %s column", c.Kind, b.col.Kind)
	}
	if c.Kind.Valued() {
		x := c.Float64
		mo := stats.MomentsOf(x)
		b.col.Rows += int64(len(x))
		b.col.Missing += int64(len(x)) - mo.N
		b.col.Moments = b.col.Moments.Merge(mo)
		if b.mode == ProfileExact {
			b.col.Sorted = stats.Finite(b.col.Sorted, x)
			return nil
		}
		b.col.Sketch.Add(x)
		b.col.Distinct.AddFloats(x)
		if b.few != nil && !b.few.add(x) {
			b.few = nil
		}
		if b.hist != nil && !b.histSorted {
			b.hist.add(x)
		}
		return nil
	}
	// categorical: map this chunk's dictionary to the column's labels
	b.remap = b.remap[:0]
	b.used = b.used[:0]
	for _, s := range c.Dict {
		i, ok := b.index[s]
		if !ok {
			i = int32(len(b.labels))
			b.index[s] = i
			b.labels = append(b.labels, s)
			b.counts = append(b.counts, 0)
		}
		b.remap = append(b.remap, i)
		b.used = append(b.used, false)
	}
	b.col.Rows += int64(len(c.Codes))
	for _, code := range c.Codes {
		if code < 0 {
			b.col.Missing++
			continue
		}
		b.counts[b.remap[code]]++
		b.used[code] = true
	}
	if b.col.Distinct != nil {
		for k, u := range b.used {
			if u {
				b.col.Distinct.AddHash(stats.HashString(c.Dict[k]))
			}
		}
	}
	if b.mode == ProfileSketch && len(b.labels) > b.topK {
		b.labels, b.counts = misraGries(b.labels, b.counts, b.topK)
		b.col.Truncated = true
		clear(b.index)
		for i, s := range b.labels {
			b.index[s] = int32(i)
		}
	}
	return nil
}

// misraGries reduces labels/counts to at most k entries: every count loses the
// (k+1)-th largest count, and the entries left with nothing are dropped (Misra–Gries
// with weights; a kept count is low by at most n/(k+1)). Ties are broken by label so
// that the result does not depend on the input order.
func misraGries(labels []string, counts []int64, k int) ([]string, []int64) {
	if len(labels) <= k {
		return labels, counts
	}
	idx := make([]int, len(labels))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int {
		if c := cmp.Compare(counts[b], counts[a]); c != 0 {
			return c
		}
		return strings.Compare(labels[a], labels[b])
	})
	cut := counts[idx[k]]
	var ls []string
	var cs []int64
	for _, i := range idx[:k] {
		if c := counts[i] - cut; c > 0 {
			ls = append(ls, labels[i])
			cs = append(cs, c)
		}
	}
	return ls, cs
}

// finish returns the column profile: values sorted, labels sorted, Other counted.
func (b *columnBuilder) finish() *ColumnProfile {
	c := &b.col
	if c.Kind.Valued() {
		if b.mode == ProfileExact {
			b.sorter.Sort(c.Sorted)
			if c.Sorted == nil {
				c.Sorted = []float64{}
			}
		}
		if b.few != nil {
			c.Few = b.few.valueCounts()
		}
		if b.histSorted {
			b.hist.add(c.Sketch.Buffered())
			c.Sketch.OnSorted(nil)
			b.histSorted = false
		}
		if b.hist != nil {
			c.Hist = &EdgeHist{Edges: b.hist.edges, Counts: b.hist.counts}
		}
		return c
	}
	order := make([]int, len(b.labels))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(x, y int) int { return strings.Compare(b.labels[x], b.labels[y]) })
	var kept int64
	for _, i := range order {
		if b.counts[i] == 0 {
			continue
		}
		c.Labels = append(c.Labels, b.labels[i])
		c.Counts = append(c.Counts, b.counts[i])
		kept += b.counts[i]
	}
	c.Other = c.Count() - kept
	return c
}

// fewTable counts distinct values in an open-addressing hash table until there are
// more than FewValuesCap of them.
type fewTable struct {
	keys   []uint64 // float64 bits + 1 (0: an empty slot); -0 is stored as +0
	counts []int64
	n      int
}

func newFewTable() *fewTable {
	return &fewTable{keys: make([]uint64, 2*FewValuesCap), counts: make([]int64, 2*FewValuesCap)}
}

// add counts the finite values of x; it returns false once there would be more than
// FewValuesCap distinct values.
func (t *fewTable) add(x []float64) bool {
	mask := uint64(len(t.keys) - 1)
	for _, v := range x {
		if v-v != 0 {
			continue
		}
		if v == 0 {
			v = 0
		}
		k := math.Float64bits(v) + 1
		h := stats.HashFloat(v) & mask
		for {
			if t.keys[h] == k {
				t.counts[h]++
				break
			}
			if t.keys[h] == 0 {
				if t.n == FewValuesCap {
					return false
				}
				t.keys[h] = k
				t.counts[h] = 1
				t.n++
				break
			}
			h = (h + 1) & mask
		}
	}
	return true
}

func (t *fewTable) valueCounts() *ValueCounts {
	vc := &ValueCounts{Keys: []float64{}, Counts: []int64{}}
	idx := make([]int, 0, t.n)
	for i, k := range t.keys {
		if k != 0 {
			idx = append(idx, i)
		}
	}
	slices.SortFunc(idx, func(a, b int) int {
		return cmp.Compare(math.Float64frombits(t.keys[a]-1), math.Float64frombits(t.keys[b]-1))
	})
	for _, i := range idx {
		vc.Keys = append(vc.Keys, math.Float64frombits(t.keys[i]-1))
		vc.Counts = append(vc.Counts, t.counts[i])
	}
	return vc
}

// addSorted counts the values of x, sorted ascending (-0 before +0) and finite, by a
// binary search of each edge: the values with the same edges below them as in add
// (edge - v < 0, the sign bit) form a run of x.
func (h *histBuilder) addSorted(x []float64) {
	prev := 0
	for k, e := range h.edges {
		pos := sort.Search(len(x), func(i int) bool { return math.Signbit(e - x[i]) })
		h.counts[k] += int64(pos - prev)
		prev = pos
	}
	h.counts[len(h.edges)] += int64(len(x) - prev)
}

// histBuilder counts values on fixed inner edges (np.searchsorted left).
type histBuilder struct {
	edges  []float64
	counts []int64
}

func (h *histBuilder) add(x []float64) {
	e := h.edges
	if len(e) <= 15 {
		// a branch-free binary search over the edges padded with +Inf to 15
		var p [16]float64
		for i := range p {
			p[i] = math.Inf(1)
		}
		copy(p[:], e)
		for _, v := range x {
			if v-v != 0 {
				continue
			}
			// edge < v iff edge - v < 0: the sign bit (+Inf - v and edge == v give 0)
			i := uint64(0)
			i += 8 * (math.Float64bits(p[(i+7)&15]-v) >> 63)
			i += 4 * (math.Float64bits(p[(i+3)&15]-v) >> 63)
			i += 2 * (math.Float64bits(p[(i+1)&15]-v) >> 63)
			i += math.Float64bits(p[i&15]-v) >> 63
			h.counts[i]++
		}
		return
	}
	for _, v := range x {
		if v-v != 0 {
			continue
		}
		// the number of edges below v, branch-free: edge - v < 0 sets the sign bit
		// (edge == v gives +0; values are finite)
		b := uint64(0)
		for _, edge := range e {
			b += math.Float64bits(edge-v) >> 63
		}
		h.counts[b]++
	}
}

// DecileEdges returns the inner edges of psi's reference-decile bins of a valued
// column: in exact mode numpy's linear quantiles at k/10 of the sorted values, sorted,
// duplicates removed (as stats.NumericBins); in sketch mode the edges of Hist (the
// sketch's deciles when the profile was built, or its reference's). Nil when unknown.
func (c *ColumnProfile) DecileEdges() []float64 {
	switch {
	case c.Kind.Valued() && c.Sketch == nil:
		if len(c.Sorted) == 0 {
			return []float64{}
		}
		edges := make([]float64, 0, 9)
		for k := 1; k <= 9; k++ {
			edges = append(edges, stats.QuantileSorted(c.Sorted, float64(k)/10))
		}
		slices.Sort(edges)
		return slices.Compact(edges)
	case c.Hist != nil:
		return c.Hist.Edges
	}
	return nil
}
