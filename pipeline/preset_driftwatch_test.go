package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/driftwatch/driftwatch/stats"
)

// dwCase is one column of the driftwatch decision test: reference and current values
// built by the same generator, and the verdict a person would want.
type dwCase struct {
	name    string
	ref     Column
	cur     Column
	drifted bool
	method  string // the deciding test when drifted
	status  string // default ok
}

func withName(c Column, name string) Column { c.Name = name; return c }

func shifted(x []float64, d float64) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = v + d
	}
	return y
}

func categories(r *rand.Rand, n int, p []float64, extra string, extraShare float64) Column {
	vals := make([]string, n)
	for i := range vals {
		if extra != "" && r.Float64() < extraShare {
			vals[i] = extra
			continue
		}
		u, k := r.Float64(), 0
		for ; k < len(p)-1 && u > p[k]; k++ {
			u -= p[k]
		}
		vals[i] = fmt.Sprintf("v%d", k)
	}
	return StringColumn("", vals, nil)
}

func dwCases(r *rand.Rand) []dwCase {
	const n, m = 4000, 2000
	num := func(x []float64) Column { return Column{Kind: KindNumeric, Float64: x} }
	var cs []dwCase
	add := func(name string, ref, cur Column, drifted bool, method string) {
		cs = append(cs, dwCase{name: name, ref: withName(ref, name), cur: withName(cur, name), drifted: drifted, method: method})
	}
	add("same", num(normal(r, n, 0, 1)), num(normal(r, m, 0, 1)), false, "")
	add("shift_0.5sd", num(normal(r, n, 0, 1)), num(normal(r, m, 0.5, 1)), true, TestWassersteinSD)
	// scale-free: a column on a 1e-9 scale drifts like any other
	add("tiny_scale_shift", num(normal(r, n, 0, 1e-9)), num(normal(r, m, 0.5e-9, 1e-9)), true, TestWassersteinSD)
	add("negligible_0.02sd", num(normal(r, n, 0, 1)), num(normal(r, m, 0.02, 1)), false, "")
	// only the top 5% moved, by 2 sd: Wasserstein sees 0.1 sd at most, the tail 2 sd
	tailRef, tailCur := normal(r, n, 0, 1), normal(r, m, 0, 1)
	q95 := stats.Quantiles(slices.Clone(tailCur), 0.95)[0]
	for i, v := range tailCur {
		if v > q95 {
			tailCur[i] = v + 2
		}
	}
	add("tail_only", num(tailRef), num(tailCur), true, TestTailSD)
	// the missing share jumps 1% -> 21%, the present values do not move
	mRef, mCur := normal(r, n, 0, 1), normal(r, m, 0, 1)
	for i := range mRef {
		if r.Float64() < 0.01 {
			mRef[i] = math.NaN()
		}
	}
	for i := range mCur {
		if r.Float64() < 0.21 {
			mCur[i] = math.NaN()
		}
	}
	add("missing_jump", num(mRef), num(mCur), true, TestMissingJump)
	p8 := []float64{0.3, 0.2, 0.15, 0.1, 0.1, 0.07, 0.05, 0.03}
	q8 := []float64{0.15, 0.2, 0.15, 0.1, 0.1, 0.07, 0.05, 0.18} // 15% moved
	add("cat_same", categories(r, n, p8, "", 0), categories(r, m, p8, "", 0), false, "")
	add("cat_moved", categories(r, n, p8, "", 0), categories(r, m, q8, "", 0), true, TestTotalVariation)
	add("cat_new", categories(r, n, p8, "", 0), categories(r, m, p8, "brand_new", 0.05), true, TestUnseenShare)
	// 3000 sparse categories, one distribution: plug-in distances are large here
	zipf := make([]float64, 3000)
	var z float64
	for i := range zipf {
		zipf[i] = 1 / float64(i+1)
		z += zipf[i]
	}
	for i := range zipf {
		zipf[i] /= z
	}
	add("cat_sparse_same", categories(r, 20000, zipf, "", 0), categories(r, 10000, zipf, "", 0), false, "")
	return cs
}

// dwTables puts the cases in two tables; columns of different lengths are padded
// with missing values.
func dwTables(cs []dwCase) (ref, cur *Table) {
	ref, cur = &Table{Name: "ref"}, &Table{Name: "cur"}
	var nr, nc int
	for _, c := range cs {
		nr, nc = max(nr, c.ref.Len()), max(nc, c.cur.Len())
	}
	pad := func(c Column, n int) Column {
		for c.Len() < n {
			if c.Kind.Valued() {
				c.Float64 = append(c.Float64, math.NaN())
			} else {
				c.Codes = append(c.Codes, -1)
			}
		}
		return c
	}
	for _, c := range cs {
		ref.Columns = append(ref.Columns, pad(c.ref, nr))
		cur.Columns = append(cur.Columns, pad(c.cur, nc))
	}
	return ref, cur
}

func runDW(t *testing.T, ref, cur *Table, o Options) *Report {
	t.Helper()
	o.Preset = "driftwatch"
	rep, err := Run(context.Background(), Input{Reference: ref, Current: cur}, o)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func TestDriftwatch_Verdicts(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	// each case in its own run, so that padding does not add missing values
	for _, c := range dwCases(r) {
		ref, cur := dwTables([]dwCase{c})
		rep := runDW(t, ref, cur, Options{})
		got := column(rep, c.name)
		if got == nil {
			t.Fatalf("%s: no column in the report", c.name)
		}
		if got.Drifted != c.drifted || got.Status != StatusOK {
			t.Errorf("%s: drifted %v status %s (%s), want drifted %v, ok", c.name, got.Drifted, got.Status, got.Reason, c.drifted)
			continue
		}
		if c.drifted && got.Method != c.method {
			t.Errorf("%s: decided by %s (%s), want %s", c.name, got.Method, got.Reason, c.method)
		}
		for _, tr := range got.Tests {
			if tr.EffectSize == nil || tr.QValue == nil || !(float64(tr.Threshold) > 0) || tr.Reason == "" || isNaN(tr.PValue) {
				t.Errorf("%s: test %s lacks effect size, p, q, threshold or reason: %+v", c.name, tr.Method, tr)
			}
		}
	}
}

// TestDriftwatch_Reasons checks effect sizes and the one-line reasons against the
// construction of the data.
func TestDriftwatch_Reasons(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	cs := dwCases(r)
	pick := func(name string) *ColumnReport {
		for _, c := range cs {
			if c.name == name {
				ref, cur := dwTables([]dwCase{c})
				return column(runDW(t, ref, cur, Options{}), name)
			}
		}
		t.Fatalf("no case %s", name)
		return nil
	}
	c := pick("shift_0.5sd")
	if e := float64(*c.Tests[0].EffectSize); math.Abs(e-0.5) > 0.06 {
		t.Errorf("shift_0.5sd: effect %v, want 0.5 ± 0.06 (the shift in reference sd)", e)
	}
	if !regexp.MustCompile(`^drift: values moved 0\.[45][0-9]* reference sd \(Wasserstein, threshold 0\.1\); q = [0-9e.-]+$`).MatchString(c.Reason) {
		t.Errorf("shift_0.5sd reason %q", c.Reason)
	}
	c = pick("missing_jump")
	if !regexp.MustCompile(`^drift: missing share [01]\.[0-9]% → 2[0-9.]+% \(threshold \+5 points\); q = `).MatchString(c.Reason) {
		t.Errorf("missing_jump reason %q, want missing share ~1%% → ~21%%", c.Reason)
	}
	c = pick("cat_new")
	if !strings.Contains(c.Reason, "brand_new") {
		t.Errorf("cat_new reason %q, want the new category named", c.Reason)
	}
	c = pick("cat_moved")
	if e := float64(*c.Tests[0].EffectSize); math.Abs(e-0.15) > 0.04 {
		t.Errorf("cat_moved: total variation effect %v, want 0.15 ± 0.04", e)
	}
}

// TestDriftwatch_HugeN: a 0.02 sd shift over 200000 rows is certain (KS p < 1e-6) and
// negligible: no drift. A 0.3 sd shift in the same run is drift.
func TestDriftwatch_HugeN(t *testing.T) {
	if testing.Short() {
		t.Skip("200000 rows")
	}
	r := rand.New(rand.NewPCG(31, 32))
	const n, m = 200000, 100000
	ref := &Table{Name: "ref", Columns: []Column{
		{Name: "small", Kind: KindNumeric, Float64: normal(r, n, 0, 1)},
		{Name: "real", Kind: KindNumeric, Float64: normal(r, n, 0, 1)},
	}}
	cur := &Table{Name: "cur", Columns: []Column{
		{Name: "small", Kind: KindNumeric, Float64: normal(r, m, 0.02, 1)},
		{Name: "real", Kind: KindNumeric, Float64: normal(r, m, 0.3, 1)},
	}}
	a, b := slices.Clone(ref.Columns[0].Float64), slices.Clone(cur.Columns[0].Float64)
	slices.Sort(a)
	slices.Sort(b)
	if _, p := stats.KS(a, b, stats.KSAuto); !(p < 1e-6) {
		t.Fatalf("KS p = %v: the small shift should be significant at this size", p)
	}
	rep := runDW(t, ref, cur, Options{})
	if c := column(rep, "small"); c.Drifted {
		t.Errorf("small: drifted (%s)", c.Reason)
	}
	if c := column(rep, "real"); !c.Drifted {
		t.Errorf("real: not drifted (%s)", c.Reason)
	}
}

// TestDriftwatch_RunFDR: Finalize's q-values are Benjamini–Hochberg over every test
// of the run, and the verdicts follow q <= fdr.
func TestDriftwatch_RunFDR(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 42))
	var cs []dwCase
	for _, c := range dwCases(r) {
		if c.name != "cat_sparse_same" && c.name != "missing_jump" {
			cs = append(cs, c)
		}
	}
	ref, cur := dwTables(cs)
	rep := runDW(t, ref, cur, Options{})
	var ps []float64
	for _, c := range rep.Columns {
		for _, tr := range c.Tests {
			ps = append(ps, float64(tr.PValue))
		}
	}
	qs := stats.BenjaminiHochberg(nil, ps)
	k := 0
	for _, c := range rep.Columns {
		any := false
		for _, tr := range c.Tests {
			if math.Abs(float64(*tr.QValue)-qs[k]) > 1e-15 {
				t.Errorf("%s/%s: q = %v, want %v (BH over the run)", c.Name, tr.Method, float64(*tr.QValue), qs[k])
			}
			if tr.Drifted != (qs[k] <= 0.05) {
				t.Errorf("%s/%s: drifted %v with q = %v", c.Name, tr.Method, tr.Drifted, qs[k])
			}
			any = any || tr.Drifted
			k++
		}
		if c.Drifted != any {
			t.Errorf("%s: column drifted %v, tests %v", c.Name, c.Drifted, any)
		}
	}
	// a stricter fdr for the whole job turns the weakest discoveries off, never on
	strict := runDW(t, ref, cur, Options{Thresholds: map[string]float64{KeyFDR: 1e-300}})
	for _, c := range strict.Columns {
		if c.Drifted && !column(rep, c.Name).Drifted {
			t.Errorf("%s: drifts only under the stricter fdr", c.Name)
		}
	}
	if strict.DatasetDrift.DriftedColumns >= rep.DatasetDrift.DriftedColumns {
		t.Errorf("fdr 1e-300 left %d drifted columns of %d", strict.DatasetDrift.DriftedColumns, rep.DatasetDrift.DriftedColumns)
	}
}

func TestDriftwatch_Thresholds(t *testing.T) {
	r := rand.New(rand.NewPCG(51, 52))
	ref := &Table{Name: "ref", Columns: []Column{
		{Name: "a", Kind: KindNumeric, Float64: normal(r, 4000, 0, 1)},
		{Name: "b", Kind: KindNumeric, Float64: normal(r, 4000, 0, 1)},
	}}
	cur := &Table{Name: "cur", Columns: []Column{
		{Name: "a", Kind: KindNumeric, Float64: normal(r, 2000, 0.5, 1)},
		{Name: "b", Kind: KindNumeric, Float64: normal(r, 2000, 0.5, 1)},
	}}
	// per column: a shift of 0.5 sd is below a threshold of 1 sd (tail too)
	rep := runDW(t, ref, cur, Options{PerColumn: map[string]ColumnOptions{
		"a": {Thresholds: map[string]float64{TestWassersteinSD: 1, TestTailSD: 2}}}})
	if a, b := column(rep, "a"), column(rep, "b"); a.Drifted || !b.Drifted || float64(a.Tests[0].Threshold) != 1 {
		t.Errorf("per-column threshold: a drifted %v (threshold %v), b drifted %v", a.Drifted, float64(a.Tests[0].Threshold), b.Drifted)
	}
	// job level
	rep = runDW(t, ref, cur, Options{Thresholds: map[string]float64{TestWassersteinSD: 1, TestTailSD: 2}})
	if rep.DatasetDrift.DriftedColumns != 0 {
		t.Errorf("job threshold: %d columns drifted, want 0", rep.DatasetDrift.DriftedColumns)
	}
	// a per-column method list still wins over the preset
	rep = runDW(t, ref, cur, Options{PerColumn: map[string]ColumnOptions{"a": {Methods: []string{"ks"}}}})
	if a := column(rep, "a"); a.Method != "ks" || a.Tests[0].QValue != nil {
		t.Errorf("per-column methods: a decided by %s, q %v", a.Method, a.Tests[0].QValue)
	}
}

func TestIsThresholdKey(t *testing.T) {
	for name, want := range map[string]bool{"ks": true, TestWassersteinSD: true, KeyFDR: true, KeyMinCount: true, "wasserstein_std": false} {
		if IsThresholdKey(name) != want {
			t.Errorf("IsThresholdKey(%q) = %v, want %v", name, !want, want)
		}
	}
}

// TestDriftwatch_InsufficientData: a window too small to decide says so, the dataset
// verdict ignores it, and a missing-share jump still decides.
func TestDriftwatch_InsufficientData(t *testing.T) {
	r := rand.New(rand.NewPCG(61, 62))
	gone := normal(r, 2000, 0, 1)
	for i := range gone {
		gone[i] = math.NaN()
	}
	few := normal(r, 2000, 0, 1)
	for i := 20; i < len(few); i++ {
		few[i] = math.NaN()
	}
	ref := &Table{Name: "ref", Columns: []Column{
		{Name: "few", Kind: KindNumeric, Float64: normal(r, 4000, 0, 1)},
		{Name: "gone", Kind: KindNumeric, Float64: normal(r, 4000, 0, 1)},
		{Name: "ok", Kind: KindNumeric, Float64: normal(r, 4000, 0, 1)},
	}}
	cur := &Table{Name: "cur", Columns: []Column{
		{Name: "few", Kind: KindNumeric, Float64: few},
		{Name: "gone", Kind: KindNumeric, Float64: gone},
		{Name: "ok", Kind: KindNumeric, Float64: normal(r, 2000, 0, 1)},
	}}
	rep := runDW(t, ref, cur, Options{})
	// few: 20 current values and a missing share of 99%: the jump decides
	if c := column(rep, "few"); !c.Drifted || c.Method != TestMissingJump || c.Status != StatusOK {
		t.Errorf("few: drifted %v by %s, status %s (%s)", c.Drifted, c.Method, c.Status, c.Reason)
	}
	// gone: no current values at all (Run's all-null case): the jump to 100% decides
	if c := column(rep, "gone"); !c.Drifted || c.Method != TestMissingJump || !strings.Contains(c.Reason, "→ 100") {
		t.Errorf("gone: drifted %v by %s (%s)", c.Drifted, c.Method, c.Reason)
	}
	// with the missing-share test off (threshold 1), few is undecidable
	rep = runDW(t, ref, cur, Options{Thresholds: map[string]float64{TestMissingJump: 1}})
	c := column(rep, "few")
	if c.Drifted || c.Status != StatusInsufficientData || !strings.Contains(c.Reason, "20 current values") {
		t.Errorf("few without the missing test: drifted %v, status %s (%s)", c.Drifted, c.Status, c.Reason)
	}
	if d := rep.DatasetDrift; d.Columns != 1 {
		t.Errorf("dataset verdict counts %d columns, want 1 (ok only)", d.Columns)
	}
	// 120 vs 60 values: the noise hides an effect of twice the threshold
	ref = &Table{Name: "ref", Columns: []Column{{Name: "x", Kind: KindNumeric, Float64: normal(r, 120, 0, 1)}}}
	cur = &Table{Name: "cur", Columns: []Column{{Name: "x", Kind: KindNumeric, Float64: normal(r, 60, 0, 1)}}}
	if c := column(runDW(t, ref, cur, Options{}), "x"); c.Status != StatusInsufficientData || c.Drifted {
		t.Errorf("120 vs 60: status %s drifted %v (%s)", c.Status, c.Drifted, c.Reason)
	}
	// ... but a large effect at that size is drift
	cur = &Table{Name: "cur", Columns: []Column{{Name: "x", Kind: KindNumeric, Float64: normal(r, 60, 1.5, 1)}}}
	if c := column(runDW(t, ref, cur, Options{}), "x"); c.Status != StatusOK || !c.Drifted {
		t.Errorf("120 vs 60, shift 1.5 sd: status %s drifted %v (%s)", c.Status, c.Drifted, c.Reason)
	}
}

// TestDriftwatch_Deterministic: seeded resampling, the same report on every run and
// at any parallelism.
func TestDriftwatch_Deterministic(t *testing.T) {
	r := rand.New(rand.NewPCG(71, 72))
	var cs []dwCase
	for _, c := range dwCases(r) {
		if c.name != "cat_sparse_same" {
			cs = append(cs, c)
		}
	}
	ref, cur := dwTables(cs)
	a, _ := json.Marshal(runDW(t, ref, cur, Options{Parallelism: 1}))
	b, _ := json.Marshal(runDW(t, ref, cur, Options{Parallelism: 4}))
	if string(a) != string(b) {
		t.Errorf("two runs differ")
	}
}

// BenchmarkPreset compares the cost of the presets on 1M reference and 500k current
// rows: four numeric columns (normal, shifted, lognormal, rounded) and two
// categorical ones (8 and 1000 categories).
func BenchmarkPreset(b *testing.B) {
	r := rand.New(rand.NewPCG(81, 82))
	const n, m = 1_000_000, 500_000
	p8 := []float64{0.3, 0.2, 0.15, 0.1, 0.1, 0.07, 0.05, 0.03}
	p1000 := make([]float64, 1000)
	for i := range p1000 {
		p1000[i] = 1.0 / 1000
	}
	mk := func(n int, shift float64) *Table {
		logn := normal(r, n, 0, 0.6)
		for i, v := range logn {
			logn[i] = math.Exp(v)
		}
		round := normal(r, n, 0, 1)
		for i, v := range round {
			round[i] = math.Round(v*10) / 10
		}
		return &Table{Name: "t", Columns: []Column{
			{Name: "normal", Kind: KindNumeric, Float64: normal(r, n, 0, 1)},
			{Name: "shifted", Kind: KindNumeric, Float64: normal(r, n, shift, 1)},
			{Name: "lognormal", Kind: KindNumeric, Float64: logn},
			{Name: "rounded", Kind: KindNumeric, Float64: round},
			withName(categories(r, n, p8, "", 0), "cat8"),
			withName(categories(r, n, p1000, "", 0), "cat1000"),
		}}
	}
	ref, cur := mk(n, 0), mk(m, 0.3)
	for _, preset := range []string{"evidently", "driftwatch"} {
		b.Run(preset, func(b *testing.B) {
			for b.Loop() {
				if _, err := Run(context.Background(), Input{Reference: ref, Current: cur}, Options{Preset: preset}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
