package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/driftwatch/driftwatch/stats"
)

var nan = math.NaN()

// Roles names the columns with a meaning to the model. Columns not named here are
// features, restricted to Features when it is non-empty, less Exclude.
type Roles struct {
	Target     string
	Prediction string
	Scores     []string
	ID         string
	Timestamp  string
	Features   []string
	Exclude    []string
	Kinds      map[string]Kind // kind overrides
}

// ColumnOptions override the method and thresholds of one column.
type ColumnOptions struct {
	Methods    []string
	Thresholds map[string]float64
}

// Options configure a run. The zero value of each field means its default.
type Options struct {
	Job         string
	RunID       string
	LogicalTime time.Time
	Preset      string   // default DefaultPreset
	Methods     []string // when set, these methods decide instead of the preset
	Binning     stats.Binning
	DriftShare  float64            // dataset drift when share of drifted features >= this; default 0.5
	Thresholds  map[string]float64 // per method
	PerColumn   map[string]ColumnOptions
	Columns     []string // restrict the analysis to these columns (compare --columns)
	Roles       Roles
	Parallelism int // columns in flight; default GOMAXPROCS
	Logger      *slog.Logger

	// Run-level checks after the column tests (model.go and its neighbours).
	Correlations CorrelationOptions
	Multivariate MultivariateOptions
	Performance  PerformanceOptions
	Model        ModelOptions
}

func (o *Options) threshold(col string, m *Method) float64 {
	if pc, ok := o.PerColumn[col]; ok {
		if v, ok := pc.Thresholds[m.Name]; ok {
			return v
		}
	}
	if v, ok := o.Thresholds[m.Name]; ok {
		return v
	}
	return m.Threshold
}

// Input is what a run compares.
type Input struct {
	Reference, Current             Dataset
	ReferenceWindow, CurrentWindow Window
	// Labels, when set, is read whole and joined to the current predictions by id
	// (Options.Performance.Labels): late labels (performance.go).
	Labels Dataset
}

// ColumnError is a problem that stopped one column (a read error): the run reports it
// and ends with an error.
type ColumnError struct {
	Column string
	Err    error
}

func (e *ColumnError) Error() string { return fmt.Sprintf("column %q: %v", e.Column, e.Err) }
func (e *ColumnError) Unwrap() error { return e.Err }

// plan is one column to analyse.
type plan struct {
	name string
	kind Kind
	role Role
	// skip, when set, is why the column is reported without tests.
	skip     string
	findings []Finding
}

// Run compares the current dataset with the reference and returns the report. Data
// facts (missing columns, type changes, all-null columns) are findings in the report;
// I/O and decoding problems are errors.
func Run(ctx context.Context, in Input, o Options) (*Report, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.DriftShare == 0 {
		o.DriftShare = 0.5
	}
	var preset Preset
	if len(o.Methods) > 0 {
		ms, err := ParseMethods(o.Methods)
		if err != nil {
			return nil, err
		}
		preset = forcedPreset{methods: ms}
	} else {
		p, err := LookupPreset(o.Preset)
		if err != nil {
			return nil, err
		}
		preset = p
	}
	ref, err := in.Reference.Open(ctx, in.ReferenceWindow)
	if err != nil {
		return nil, fmt.Errorf("open reference: %w", err)
	}
	defer ref.Close()
	cur, err := in.Current.Open(ctx, in.CurrentWindow)
	if err != nil {
		return nil, fmt.Errorf("open current: %w", err)
	}
	defer cur.Close()

	rep := &Report{
		SchemaVersion: SchemaVersion,
		Job:           o.Job,
		RunID:         o.RunID,
		Preset:        preset.Name(),
		Reference:     DatasetInfo{Rows: ref.Rows(), Source: in.Reference.String(), Window: NewWindowJSON(in.ReferenceWindow)},
		Current:       DatasetInfo{Rows: cur.Rows(), Source: in.Current.String(), Window: NewWindowJSON(in.CurrentWindow)},
		Columns:       []ColumnReport{},
		Quality:       []Finding{},
		Triggers:      []Decision{},
	}
	if !o.LogicalTime.IsZero() {
		t := o.LogicalTime.UTC()
		rep.LogicalTime = &t
	}
	for _, f := range ref.Schema().Findings {
		f.Source = "reference"
		rep.Quality = append(rep.Quality, f)
	}
	for _, f := range cur.Schema().Findings {
		f.Source = "current"
		rep.Quality = append(rep.Quality, f)
	}
	plans, err := planColumns(ref.Schema(), cur.Schema(), &o)
	if err != nil {
		return nil, err
	}
	if ref.Rows() == 0 {
		rep.Quality = append(rep.Quality, Finding{Type: "empty_dataset", Severity: SeverityError, Source: "reference",
			Message: "the reference has no rows" + windowNote(in.ReferenceWindow)})
	}
	if cur.Rows() == 0 {
		rep.Quality = append(rep.Quality, Finding{Type: "empty_dataset", Severity: SeverityError, Source: "current",
			Message: "the current data has no rows" + windowNote(in.CurrentWindow)})
	}

	results := make([]ColumnReport, len(plans))
	findings := make([][]Finding, len(plans))
	errs := make([]error, len(plans))
	par := o.Parallelism
	if par <= 0 {
		par = runtime.GOMAXPROCS(0)
	}
	jobs := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < min(par, max(1, len(plans))); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			wk := &worker{}
			for i := range jobs {
				if ctx.Err() != nil {
					errs[i] = ctx.Err()
					continue
				}
				results[i], findings[i], errs[i] = wk.column(ctx, ref, cur, &plans[i], preset, &o)
			}
		}()
	}
	for i := range plans {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var colErrs []error
	for i := range plans {
		if errs[i] != nil {
			colErrs = append(colErrs, &ColumnError{Column: plans[i].name, Err: errs[i]})
			continue
		}
		rep.Columns = append(rep.Columns, results[i])
		rep.Quality = append(rep.Quality, plans[i].findings...)
		rep.Quality = append(rep.Quality, findings[i]...)
	}
	if len(colErrs) > 0 {
		return nil, errors.Join(colErrs...)
	}
	if rp, ok := preset.(RunPreset); ok {
		cols := make([]*ColumnReport, len(rep.Columns))
		for i := range rep.Columns {
			cols[i] = &rep.Columns[i]
		}
		rp.Finalize(cols, &o)
	}
	rep.DatasetDrift = datasetDrift(rep.Columns, o.DriftShare)
	if profileRun(ref, cur) { // run-level checks from profiles (profile_checks.go)
		if err := profileChecks(ctx, ref, cur, &o, rep); err != nil {
			return nil, err
		}
		return rep, nil
	}
	if err := runChecks(ctx, ref, cur, in, &o, preset, rep); err != nil {
		return nil, err
	}
	o.Logger.Debug("run computed", "columns", len(rep.Columns), "drifted", rep.DatasetDrift.DriftedColumns)
	return rep, nil
}

func windowNote(w Window) string {
	if w.IsZero() {
		return ""
	}
	return fmt.Sprintf(" in [%s, %s)", w.Start.UTC().Format(time.RFC3339), w.End.UTC().Format(time.RFC3339))
}

func datasetDrift(cols []ColumnReport, share float64) DatasetDrift {
	d := DatasetDrift{Threshold: Num(share)}
	for _, c := range cols {
		if c.Role != RoleFeature || c.Status != StatusOK || c.Method == "" {
			continue
		}
		d.Columns++
		if c.Drifted {
			d.DriftedColumns++
		}
	}
	if d.Columns > 0 {
		d.Share = Num(float64(d.DriftedColumns) / float64(d.Columns))
		d.Drifted = float64(d.Share) >= share
	}
	return d
}

func planColumns(rs, cs Schema, o *Options) ([]plan, error) {
	roles := map[string]Role{}
	set := func(name string, r Role) {
		if name != "" {
			roles[name] = r
		}
	}
	set(o.Roles.Target, RoleTarget)
	set(o.Roles.Prediction, RolePrediction)
	for _, s := range o.Roles.Scores {
		set(s, RoleScore)
	}
	set(o.Roles.ID, RoleID)
	set(o.Roles.Timestamp, RoleTimestamp)
	exclude := map[string]bool{}
	for _, e := range o.Roles.Exclude {
		exclude[e] = true
	}
	explicit := map[string]bool{}
	for _, f := range o.Roles.Features {
		explicit[f] = true
	}
	for _, c := range o.Columns {
		explicit[c] = true
	}

	// every name in either schema, reference order first
	var names []string
	seen := map[string]bool{}
	for _, f := range rs.Fields {
		names = append(names, f.Name)
		seen[f.Name] = true
	}
	for _, f := range cs.Fields {
		if !seen[f.Name] {
			names = append(names, f.Name)
			seen[f.Name] = true
		}
	}
	// named columns must exist somewhere: a typo is an error, not a finding
	var unknown []string
	for name := range explicit {
		if !seen[name] {
			unknown = append(unknown, name)
		}
	}
	for name := range roles {
		if !seen[name] {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, &DataError{Source: "reference and current", Err: fmt.Errorf("%w: %s (available: %s)",
			ErrNoColumn, strings.Join(unknown, ", "), strings.Join(names, ", "))}
	}
	restrict := len(o.Columns) > 0 || len(o.Roles.Features) > 0
	var out []plan
	for _, name := range names {
		role, hasRole := roles[name]
		if !hasRole {
			role = RoleFeature
		}
		if role == RoleID || role == RoleTimestamp || exclude[name] {
			continue
		}
		if len(o.Columns) > 0 && !explicit[name] {
			continue
		}
		if role == RoleFeature && restrict && !explicit[name] {
			continue
		}
		rf, inRef := rs.Field(name)
		cf, inCur := cs.Field(name)
		p := plan{name: name, role: role}
		switch {
		case !inCur && role == RoleTarget:
			// live data usually lacks the ground truth: it arrives later as labels
			p.kind = rf.Kind
			p.skip = "target not in the current data (labels arrive later)"
			p.findings = append(p.findings, Finding{Type: "target_missing", Column: name, Severity: SeverityInfo,
				Message: fmt.Sprintf("target column %q is not in the current data; target drift needs labels", name)})
		case !inCur:
			p.kind = rf.Kind
			p.skip = "column missing from the current data"
			p.findings = append(p.findings, Finding{Type: "column_missing", Column: name, Severity: SeverityError,
				Message: fmt.Sprintf("column %q (%s) is in the reference but not in the current data", name, rf.Type)})
		case !inRef:
			p.kind = cf.Kind
			p.skip = "column not in the reference"
			p.findings = append(p.findings, Finding{Type: "column_added", Column: name, Severity: SeverityInfo,
				Message: fmt.Sprintf("column %q (%s) is in the current data but not in the reference", name, cf.Type)})
		default:
			p.kind = rf.Kind
			if k, ok := o.Roles.Kinds[name]; ok {
				p.kind = k
			}
			if rf.Kind != cf.Kind {
				_, overridden := o.Roles.Kinds[name]
				sev := SeverityError
				if !overridden || !compatibleOverride(p.kind, rf.Kind, cf.Kind) {
					p.skip = fmt.Sprintf("type changed from %s to %s", rf.Type, cf.Type)
				} else {
					sev = SeverityWarning
				}
				p.findings = append(p.findings, Finding{Type: "type_changed", Column: name, Severity: sev,
					Message: fmt.Sprintf("column %q changed type from %s (%s) in the reference to %s (%s) in the current data", name, rf.Type, rf.Kind, cf.Type, cf.Kind)})
			}
		}
		if p.skip == "" && p.kind == KindDatetime && !explicit[name] {
			p.skip = "datetime column: not tested for drift unless listed under features"
		}
		if p.skip == "" && p.kind == KindText {
			p.skip = "text column: not tested for drift"
		}
		out = append(out, p)
	}
	return out, nil
}

// compatibleOverride: with a categorical override, any two kinds can be compared as categories.
func compatibleOverride(k, a, b Kind) bool {
	return k == KindCategorical || (a.Valued() && b.Valued() && k.Valued())
}

// worker holds per-goroutine buffers reused across columns.
type worker struct {
	sorter   stats.Sorter
	ref, cur []float64
}

func (wk *worker) column(ctx context.Context, ref, cur Source, p *plan, preset Preset, o *Options) (ColumnReport, []Finding, error) {
	cr := ColumnReport{Name: p.name, Kind: p.kind, Role: p.role, Tests: []TestResult{}}
	if p.skip != "" {
		cr.Status, cr.Reason = "skipped", p.skip
		return cr, nil, nil
	}
	c := &ColumnData{Name: p.name, Kind: p.kind, Role: p.role}
	if ok, err := fillFromProfiles(ctx, ref, cur, c, wk); ok || err != nil { // profile_run.go
		if err != nil {
			return cr, nil, err
		}
	} else if p.kind.Valued() {
		var err error
		wk.ref, c.RefRows, c.RefMissing, err = readValued(ctx, ref, p.name, wk.ref[:0])
		if err != nil {
			return cr, nil, fmt.Errorf("reference: %w", err)
		}
		wk.cur, c.CurRows, c.CurMissing, err = readValued(ctx, cur, p.name, wk.cur[:0])
		if err != nil {
			return cr, nil, fmt.Errorf("current: %w", err)
		}
		wk.sorter.Sort(wk.ref)
		wk.sorter.Sort(wk.cur)
		c.Ref, c.Cur = wk.ref, wk.cur
	} else if err := readCategorical(ctx, ref, cur, c); err != nil {
		return cr, nil, err
	}
	cr.Reference = summarize(c, true)
	cr.Current = summarize(c, false)
	findings := qualityFindings(c)
	findings = append(findings, c.approxSummaries(&cr)...)
	switch {
	case c.RefCount() == 0 || c.CurCount() == 0:
		side := "current"
		if c.RefCount() == 0 {
			side = "reference"
		}
		cr.Status = StatusInsufficientData
		cr.Reason = "no non-missing values in the " + side
		findings = append(findings, Finding{Type: "all_null", Column: p.name, Severity: SeverityError, Source: side,
			Message: fmt.Sprintf("column %q has no non-missing values in the %s", p.name, side)})
		return cr, findings, nil
	case !p.kind.Valued() && isTextLike(c, o):
		cr.Kind = KindText
		cr.Status, cr.Reason = "skipped", fmt.Sprintf("text-like column: %d distinct values in %d reference rows (declare kind categorical to test it)", cr.Reference.Distinct, c.RefCount())
		return cr, findings, nil
	}
	pre := preset
	if pc, ok := o.PerColumn[p.name]; ok && len(pc.Methods) > 0 {
		pre = forcedPreset{methods: pc.Methods}
	}
	v := pre.Judge(c, o)
	cr.Drifted, cr.Method, cr.Status, cr.Reason, cr.Tests = v.Drifted, v.Method, v.Status, v.Reason, v.Tests
	if cr.Tests == nil {
		cr.Tests = []TestResult{}
	}
	return cr, findings, nil
}

// isTextLike: a string column whose values are almost all distinct (ids, free text)
// is not tested unless its kind is declared categorical.
func isTextLike(c *ColumnData, o *Options) bool {
	if k, ok := o.Roles.Kinds[c.Name]; ok && k == KindCategorical {
		return false
	}
	var distinct int64
	for _, n := range c.RefCounts {
		if n > 0 {
			distinct++
		}
	}
	if c.approx != nil && c.approx.refDistinct > 0 { // categories folded by a sketch profile
		distinct = int64(c.approx.refDistinct)
	}
	return distinct >= 100 && float64(distinct) > 0.5*float64(c.RefCount())
}

func readValued(ctx context.Context, src Source, name string, dst []float64) ([]float64, int64, int64, error) {
	if n := src.Rows(); int64(cap(dst)) < n {
		dst = make([]float64, 0, n)
	}
	var rows int64
	err := src.ReadColumn(ctx, name, func(c Column) error {
		if !c.Kind.Valued() {
			return fmt.Errorf("column %q: want numeric values, got %s", name, c.Kind)
		}
		rows += int64(len(c.Float64))
		dst = stats.Finite(dst, c.Float64)
		return nil
	})
	return dst, rows, rows - int64(len(dst)), err
}

// readCategorical counts categories of both sides over one shared label list. A
// valued column declared categorical is counted per distinct value.
func readCategorical(ctx context.Context, ref, cur Source, c *ColumnData) error {
	index := map[string]int{}
	var counts [2][]float64
	var rows, missing [2]int64
	var remap []int32
	for side, src := range []Source{ref, cur} {
		err := src.ReadColumn(ctx, c.Name, func(col Column) error {
			if col.Kind.Valued() {
				for _, v := range col.Float64 {
					rows[side]++
					if math.IsNaN(v) || math.IsInf(v, 0) {
						missing[side]++
						continue
					}
					label := strconv.FormatFloat(v, 'g', -1, 64)
					i, ok := index[label]
					if !ok {
						i = len(index)
						index[label] = i
					}
					for len(counts[side]) <= i {
						counts[side] = append(counts[side], 0)
					}
					counts[side][i]++
				}
				return nil
			}
			remap = remap[:0]
			for _, s := range col.Dict {
				i, ok := index[s]
				if !ok {
					i = len(index)
					index[s] = i
				}
				remap = append(remap, int32(i))
			}
			for len(counts[side]) < len(index) {
				counts[side] = append(counts[side], 0)
			}
			cs := counts[side]
			for _, code := range col.Codes {
				if code < 0 {
					missing[side]++
					continue
				}
				cs[remap[code]]++
			}
			rows[side] += int64(len(col.Codes))
			return nil
		})
		if err != nil {
			return fmt.Errorf("%s: %w", []string{"reference", "current"}[side], err)
		}
	}
	labels := make([]string, len(index))
	for s, i := range index {
		labels[i] = s
	}
	order := sortedLabels(labels)
	c.Labels = make([]string, len(order))
	c.RefCounts = make([]float64, len(order))
	c.CurCounts = make([]float64, len(order))
	for j, i := range order {
		c.Labels[j] = labels[i]
		if i < len(counts[0]) {
			c.RefCounts[j] = counts[0][i]
		}
		if i < len(counts[1]) {
			c.CurCounts[j] = counts[1][i]
		}
	}
	c.RefRows, c.CurRows = rows[0], rows[1]
	c.RefMissing, c.CurMissing = missing[0], missing[1]
	return nil
}
