package pipeline

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"strconv"
	"sync"

	"github.com/driftwatch/driftwatch/stats"
)

// Correlation drift: Pearson and Spearman matrices of the numeric feature columns,
// Cramér's V of the categorical ones and feature–target correlations, for reference and
// current, and how far they moved. The columns are read a second time, row-aligned
// (the per-column drift tests read one column at a time).

// Defaults of the correlation and multivariate checks.
const (
	// DefaultCorrelationThreshold: correlations drift when a pair moves by more than this.
	DefaultCorrelationThreshold = 0.25
	// DefaultCorrelationMaxRows bounds the rows read per side for correlations and the
	// multivariate check: larger datasets are sampled systematically (every k-th row,
	// k = ceil(rows / max)), which keeps memory at about 16 bytes per kept row and
	// numeric column (values, ranks, sorted positions) and the sampling error of a
	// correlation near 1/sqrt(max rows) = 0.001, far below the drift threshold.
	DefaultCorrelationMaxRows = 1_000_000
	// DefaultCramersVMaxCategories: categorical columns with more categories (on a side)
	// are left out of Cramér's V (their tables would be mostly empty).
	DefaultCramersVMaxCategories = 100
)

// CorrelationOptions configure the correlation check. The zero value means defaults.
type CorrelationOptions struct {
	Disabled bool
	// Threshold: a pair drifts when |current − reference| > Threshold (default 0.25).
	Threshold float64
	// MaxRows per side read for correlations and the multivariate check (default 1M).
	MaxRows int
	// MaxCategories of a categorical column in Cramér's V (default 100).
	MaxCategories int
}

func (o CorrelationOptions) threshold() float64 {
	if o.Threshold > 0 {
		return o.Threshold
	}
	return DefaultCorrelationThreshold
}

func (o CorrelationOptions) maxRows() int64 {
	if o.MaxRows > 0 {
		return int64(o.MaxRows)
	}
	return DefaultCorrelationMaxRows
}

// Correlations is the report's "correlations" section.
type Correlations struct {
	// Columns are the numeric columns of the Pearson and Spearman matrices, in matrix order.
	Columns  []string    `json:"columns"`
	Rows     SideRows    `json:"rows"` // rows used per side (after sampling)
	Sampled  bool        `json:"sampled,omitempty"`
	Pearson  *CorrMatrix `json:"pearson,omitempty"`
	Spearman *CorrMatrix `json:"spearman,omitempty"`
	// CramersV covers the categorical feature columns (its own Columns).
	CramersV      *CorrMatrix     `json:"cramers_v,omitempty"`
	FeatureTarget []FeatureTarget `json:"feature_target,omitempty"`
	// Drifted: some pair of some matrix (or a feature–target correlation) moved by
	// more than Threshold.
	Drifted   bool `json:"drifted"`
	Threshold Num  `json:"threshold"`
}

// SideRows counts rows of the reference and current sides.
type SideRows struct {
	Reference int64 `json:"reference"`
	Current   int64 `json:"current"`
}

// CorrMatrix is one correlation matrix on both sides and its change. Entries are null
// where undefined (a constant column, fewer than two complete pairs).
type CorrMatrix struct {
	Columns   []string `json:"columns,omitempty"` // only when they differ from the parent's
	Reference [][]Num  `json:"reference"`
	Current   [][]Num  `json:"current"`
	Diff      [][]Num  `json:"diff"` // current − reference
	// MaxAbsDiff is the largest |diff| (null when every diff is undefined), at MaxAbsPair.
	MaxAbsDiff Num      `json:"max_abs_diff"`
	MaxAbsPair []string `json:"max_abs_pair,omitempty"`
	// Frobenius is the Frobenius norm of Diff over the whole square (both triangles).
	Frobenius Num  `json:"frobenius"`
	Drifted   bool `json:"drifted"`
}

// FeatureTarget is the correlation of one feature with the target on both sides.
type FeatureTarget struct {
	Feature   string `json:"feature"`
	Method    string `json:"method"` // pearson, spearman or cramers_v
	Reference Num    `json:"reference"`
	Current   Num    `json:"current"`
	Diff      Num    `json:"diff"`
	Drifted   bool   `json:"drifted"`
}

// colValues is one column read whole (or sampled): values for valued kinds, else codes
// into labels (-1 missing).
type colValues struct {
	valued bool
	f      []float64
	codes  []int32
	labels []string
}

func (c *colValues) len() int {
	if c.valued {
		return len(c.f)
	}
	return len(c.codes)
}

// readValues reads column name of src, keeping every step-th row (step 1: all).
// asLabels reads it as categories (valued chunks formatted as labels, as
// readCategorical does); otherwise valued chunks give values and a categorical chunk
// is an error.
func readValues(ctx context.Context, src Source, name string, asLabels bool, step int64) (*colValues, error) {
	if step < 1 {
		step = 1
	}
	n := src.Rows()
	c := &colValues{valued: !asLabels}
	if asLabels {
		c.codes = make([]int32, 0, n/step+1)
	} else {
		c.f = make([]float64, 0, n/step+1)
	}
	index := map[string]int32{}
	code := func(s string) int32 {
		i, ok := index[s]
		if !ok {
			i = int32(len(c.labels))
			index[s] = i
			c.labels = append(c.labels, s)
		}
		return i
	}
	var row int64
	var remap []int32
	err := src.ReadColumn(ctx, name, func(col Column) error {
		if !asLabels && !col.Kind.Valued() {
			return fmt.Errorf("column %q: want numeric values, got %s", name, col.Kind)
		}
		if col.Kind.Valued() && !asLabels {
			// the kept rows of this chunk: those at multiples of step
			first := (step - row%step) % step
			for i := first; i < int64(len(col.Float64)); i += step {
				c.f = append(c.f, col.Float64[i])
			}
			row += int64(len(col.Float64))
			return nil
		}
		if col.Kind.Valued() {
			for _, v := range col.Float64 {
				if row%step == 0 {
					switch {
					case !asLabels:
						c.f = append(c.f, v)
					case math.IsNaN(v) || math.IsInf(v, 0):
						c.codes = append(c.codes, -1)
					default:
						c.codes = append(c.codes, code(strconv.FormatFloat(v, 'g', -1, 64)))
					}
				}
				row++
			}
			return nil
		}
		remap = remap[:0]
		for _, s := range col.Dict {
			remap = append(remap, code(s))
		}
		for _, k := range col.Codes {
			if row%step == 0 {
				if k < 0 {
					c.codes = append(c.codes, -1)
				} else {
					c.codes = append(c.codes, remap[k])
				}
			}
			row++
		}
		return nil
	})
	return c, err
}

// readColumns reads the named columns of src concurrently (par at a time), each
// sampled with step; labels[i] reads names[i] as categories.
func readColumns(ctx context.Context, src Source, names []string, labels []bool, step int64, par int) ([]*colValues, error) {
	out := make([]*colValues, len(names))
	errs := make([]error, len(names))
	sem := make(chan struct{}, max(par, 1))
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			out[i], errs[i] = readValues(ctx, src, name, labels[i], step)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("read %q: %w", names[i], err)
		}
	}
	return out, nil
}

// sampleStep is the k of "every k-th row" that keeps at most max of rows.
func sampleStep(rows, max int64) int64 {
	if rows <= max || max <= 0 {
		return 1
	}
	return (rows + max - 1) / max
}

// side is one dataset's row-aligned columns for the correlation and multivariate checks.
type side struct {
	rows     int64 // kept rows
	step     int64
	num      [][]float64 // numeric features, then the target when numeric
	cat      []*colValues
	catTgt   *colValues // the target when categorical
	numNames []string
}

// corrPlan lists what the correlation and multivariate checks read.
type corrPlan struct {
	numeric     []string // numeric feature columns, in report order
	categorical []string // categorical feature columns
	target      string   // "" when the target takes no part
	targetNum   bool
}

// planCorrelations picks the columns: features tested on both sides (not skipped), valued
// kinds except datetime for the matrices, categorical ones for Cramér's V; the target
// joins the feature–target correlations when present in the reference.
func planCorrelations(rep *Report, o *Options, refSchema Schema) corrPlan {
	var p corrPlan
	for _, c := range rep.Columns {
		if c.Role != RoleFeature || c.Status == "skipped" {
			continue
		}
		switch c.Kind {
		case KindNumeric, KindBoolean:
			p.numeric = append(p.numeric, c.Name)
		case KindCategorical:
			p.categorical = append(p.categorical, c.Name)
		}
	}
	if t := o.Roles.Target; t != "" {
		if f, ok := refSchema.Field(t); ok {
			k := f.Kind
			if kk, ok := o.Roles.Kinds[t]; ok {
				k = kk
			}
			switch k {
			case KindNumeric, KindBoolean:
				p.target, p.targetNum = t, true
			case KindCategorical:
				p.target = t
			}
		}
	}
	return p
}

// readSide reads one side's columns for the correlation and multivariate checks.
// target, when non-nil, replaces reading the target column (the current side's labels
// joined by id, full length: it is sampled here with the same step).
func readSide(ctx context.Context, src Source, p corrPlan, o *Options, target *colValues, hasTarget bool) (*side, error) {
	step := sampleStep(src.Rows(), o.Correlations.maxRows())
	var names []string
	var labels []bool
	for _, n := range p.numeric {
		names, labels = append(names, n), append(labels, false)
	}
	for _, n := range p.categorical {
		names, labels = append(names, n), append(labels, true)
	}
	readTarget := p.target != "" && hasTarget && target == nil
	if readTarget {
		names, labels = append(names, p.target), append(labels, !p.targetNum)
	}
	cols, err := readColumns(ctx, src, names, labels, step, parallelism(o))
	if err != nil {
		return nil, err
	}
	s := &side{step: step, numNames: p.numeric}
	for i := range p.numeric {
		s.num = append(s.num, cols[i].f)
	}
	s.cat = cols[len(p.numeric) : len(p.numeric)+len(p.categorical)]
	var tgt *colValues
	switch {
	case readTarget:
		tgt = cols[len(cols)-1]
	case target != nil:
		tgt = sampleValues(target, step)
	}
	if tgt != nil {
		if p.targetNum && tgt.valued {
			s.num = append(s.num, tgt.f)
		} else if !p.targetNum && !tgt.valued {
			s.catTgt = tgt
		}
	}
	if len(cols) > 0 {
		s.rows = int64(cols[0].len())
	} else if tgt != nil {
		s.rows = int64(tgt.len())
	}
	return s, nil
}

func sampleValues(c *colValues, step int64) *colValues {
	if step <= 1 {
		return c
	}
	out := &colValues{valued: c.valued, labels: c.labels}
	for i := int64(0); i < int64(c.len()); i += step {
		if c.valued {
			out.f = append(out.f, c.f[i])
		} else {
			out.codes = append(out.codes, c.codes[i])
		}
	}
	return out
}

func parallelism(o *Options) int {
	if o.Parallelism > 0 {
		return o.Parallelism
	}
	return runtime.GOMAXPROCS(0)
}

// corrSide holds one side's computed matrices.
type corrSide struct {
	m      stats.CorrMatrices
	cramer []float64 // len(cat)^2
	cats   []int     // categories of each categorical column
	ft     map[string][2]float64
}

// computeSide computes one side's matrices (the target, if numeric and present,
// follows the numeric features in s.num). Categorical columns with more than
// MaxCategories categories on this side get NaN in Cramér's V.
func computeSide(s *side, p corrPlan, o *Options) corrSide {
	var cs corrSide
	cs.m = stats.Correlations(s.num, stats.CorrOptions{Spearman: true, Workers: parallelism(o)})
	maxCats := o.Correlations.MaxCategories
	if maxCats <= 0 {
		maxCats = DefaultCramersVMaxCategories
	}
	nc := len(s.cat)
	catOK := make([]bool, nc)
	cs.cats = make([]int, nc)
	for i, c := range s.cat {
		cs.cats[i] = len(c.labels)
		catOK[i] = len(c.labels) <= maxCats
	}
	cs.cramer = make([]float64, nc*nc)
	for i := range nc {
		for j := range nc {
			switch {
			case !catOK[i] || !catOK[j]:
				cs.cramer[i*nc+j] = math.NaN()
			case i == j:
				cs.cramer[i*nc+j] = cramersV(s.cat[i], s.cat[i])
			case j < i:
				cs.cramer[i*nc+j] = cs.cramer[j*nc+i]
			default:
				cs.cramer[i*nc+j] = cramersV(s.cat[i], s.cat[j])
			}
		}
	}
	cs.ft = map[string][2]float64{}
	nt := len(p.numeric)
	if p.targetNum && len(s.num) > nt {
		k := cs.m.K
		for i, name := range p.numeric {
			cs.ft["pearson/"+name] = [2]float64{cs.m.Pearson[i*k+nt], 0}
			cs.ft["spearman/"+name] = [2]float64{cs.m.Spearman[i*k+nt], 0}
		}
	}
	if s.catTgt != nil {
		for i, name := range p.categorical {
			v := math.NaN()
			if catOK[i] {
				v = cramersV(s.cat[i], s.catTgt)
			}
			cs.ft["cramers_v/"+name] = [2]float64{v, 0}
		}
	}
	return cs
}

func cramersV(a, b *colValues) float64 {
	t := stats.Contingency(a.codes, b.codes, len(a.labels), len(b.labels))
	return stats.CramersV(t, len(a.labels), len(b.labels))
}

// correlationDrift builds the report section from both sides.
func correlationDrift(p corrPlan, ref, cur corrSide, rows SideRows, sampled bool, o *Options) *Correlations {
	th := o.Correlations.threshold()
	maxCats := o.Correlations.MaxCategories
	if maxCats <= 0 {
		maxCats = DefaultCramersVMaxCategories
	}
	catOK := make([]bool, len(p.categorical))
	for i := range catOK {
		catOK[i] = ref.cats[i] <= maxCats && cur.cats[i] <= maxCats
	}
	out := &Correlations{Columns: p.numeric, Threshold: Num(th), Rows: rows, Sampled: sampled}
	if out.Columns == nil {
		out.Columns = []string{}
	}
	nt := len(p.numeric)
	if nt > 0 {
		out.Pearson = matrixDrift(nil, sub(ref.m.Pearson, ref.m.K, nt), sub(cur.m.Pearson, cur.m.K, nt), p.numeric, th)
		out.Spearman = matrixDrift(nil, sub(ref.m.Spearman, ref.m.K, nt), sub(cur.m.Spearman, cur.m.K, nt), p.numeric, th)
		out.Drifted = out.Pearson.Drifted || out.Spearman.Drifted
	}
	var cats []string
	var idx []int
	for i, name := range p.categorical {
		if catOK[i] {
			cats, idx = append(cats, name), append(idx, i)
		}
	}
	if len(cats) > 0 {
		nc := len(p.categorical)
		pick := func(m []float64) []float64 {
			out := make([]float64, len(idx)*len(idx))
			for a, i := range idx {
				for b, j := range idx {
					out[a*len(idx)+b] = m[i*nc+j]
				}
			}
			return out
		}
		out.CramersV = matrixDrift(cats, pick(ref.cramer), pick(cur.cramer), cats, th)
		out.Drifted = out.Drifted || out.CramersV.Drifted
	}
	for _, method := range []string{"pearson", "spearman", "cramers_v"} {
		names := p.numeric
		if method == "cramers_v" {
			names = p.categorical
		}
		for _, name := range names {
			r, okR := ref.ft[method+"/"+name]
			c, okC := cur.ft[method+"/"+name]
			if !okR && !okC {
				continue
			}
			ft := FeatureTarget{Feature: name, Method: method, Reference: Num(nan), Current: Num(nan), Diff: Num(nan)}
			if okR {
				ft.Reference = Num(r[0])
			}
			if okC {
				ft.Current = Num(c[0])
			}
			d := float64(ft.Current) - float64(ft.Reference)
			ft.Diff = Num(d)
			ft.Drifted = math.Abs(d) > th
			out.Drifted = out.Drifted || ft.Drifted
			out.FeatureTarget = append(out.FeatureTarget, ft)
		}
	}
	return out
}

// sub returns the leading n×n block of a k×k matrix.
func sub(m []float64, k, n int) []float64 {
	if k == n {
		return m
	}
	out := make([]float64, n*n)
	for i := range n {
		copy(out[i*n:(i+1)*n], m[i*k:i*k+n])
	}
	return out
}

// matrixDrift compares two n×n matrices: diff = cur − ref, the largest |diff| and its
// pair (NaN entries ignored, as numpy.nanargmax), the Frobenius norm of diff over the
// whole square (NaN entries as 0, as numpy.nansum), drifted when max |diff| > th.
func matrixDrift(cols []string, ref, cur []float64, names []string, th float64) *CorrMatrix {
	n := len(names)
	m := &CorrMatrix{Columns: cols, Reference: toRows(ref, n), Current: toRows(cur, n), MaxAbsDiff: Num(nan), Frobenius: Num(nan)}
	diff := make([]float64, n*n)
	best, bi, bj := -1.0, -1, -1
	var ss float64
	anyDefined := false
	for i := range n {
		for j := range n {
			d := cur[i*n+j] - ref[i*n+j]
			diff[i*n+j] = d
			if math.IsNaN(d) {
				continue
			}
			anyDefined = true
			ss += d * d
			if a := math.Abs(d); a > best {
				best, bi, bj = a, i, j
			}
		}
	}
	m.Diff = toRows(diff, n)
	if anyDefined {
		m.MaxAbsDiff, m.Frobenius = Num(best), Num(math.Sqrt(ss))
		m.MaxAbsPair = []string{names[bi], names[bj]}
		m.Drifted = best > th
	}
	return m
}

func toRows(m []float64, n int) [][]Num {
	out := make([][]Num, n)
	for i := range n {
		out[i] = make([]Num, n)
		for j := range n {
			out[i][j] = Num(m[i*n+j])
		}
	}
	return out
}
