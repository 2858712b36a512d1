package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/driftwatch/driftwatch/stats"
)

// allMethods is every method, in table order.
func allMethods() []string { return MethodNames() }

// histogramMethods are the methods that depend on counts only: exact on profiles of
// either mode (psi's bins on the reference's edges).
var histogramMethods = []string{"psi", "jensen_shannon", "kl", "hellinger", "chi2", "chi2_gof", "z"}

// profileTable returns a reference-like or current-like table of n rows: a continuous
// column with missing values, a correlated one, a few-valued one, a two-valued one,
// a boolean, a categorical one, a categorical target and a prediction with a score.
func profileTable(name string, n int, shift float64, seed uint64) *Table {
	r := rand.New(rand.NewPCG(seed, 7))
	x := make([]float64, n)
	y := make([]float64, n)
	k := make([]float64, n)
	two := make([]float64, n)
	b := make([]float64, n)
	cat := make([]string, n)
	miss := make([]bool, n)
	target := make([]string, n)
	pred := make([]string, n)
	score := make([]float64, n)
	cats := []string{"a", "b", "c", "d", "e", "f", "g", "h"}
	for i := range n {
		x[i] = r.NormFloat64() + shift
		if r.IntN(40) == 0 {
			x[i] = math.NaN()
		}
		y[i] = 0.6*x[i] + 0.8*r.NormFloat64()
		k[i] = float64(r.IntN(5))
		if shift > 0 && r.IntN(10) == 0 {
			k[i] = 4
		}
		two[i] = float64(10 * r.IntN(2))
		b[i] = float64(r.IntN(3) / 2)
		j := min(int(math.Abs(r.NormFloat64()+shift)*2.5), len(cats)-1)
		cat[i], miss[i] = cats[j], r.IntN(50) == 0
		s := 1 / (1 + math.Exp(-(2*x[i] + r.NormFloat64())))
		if math.IsNaN(s) {
			s = 0.5
		}
		score[i] = s
		target[i] = map[bool]string{true: "1", false: "0"}[r.Float64() < s]
		pred[i] = map[bool]string{true: "1", false: "0"}[s > 0.5]
	}
	return &Table{Name: name, ChunkRows: 4093, Columns: []Column{
		{Name: "x", Kind: KindNumeric, Float64: x},
		{Name: "y", Kind: KindNumeric, Float64: y},
		{Name: "k", Kind: KindNumeric, Float64: k},
		{Name: "two", Kind: KindNumeric, Float64: two},
		{Name: "b", Kind: KindBoolean, Float64: b},
		StringColumn("cat", cat, miss),
		StringColumn("target", target, nil),
		StringColumn("pred", pred, nil),
		{Name: "score", Kind: KindNumeric, Float64: score},
	}}
}

var profileRoles = Roles{Target: "target", Prediction: "pred", Scores: []string{"score"}}

// slice returns rows [lo, hi) of t as a new table.
func slice(t *Table, lo, hi int) *Table {
	out := &Table{Name: fmt.Sprintf("%s[%d:%d]", t.Name, lo, hi), ChunkRows: t.ChunkRows}
	for _, c := range t.Columns {
		d := Column{Name: c.Name, Kind: c.Kind, Dict: c.Dict}
		if c.Kind.Valued() {
			d.Float64 = c.Float64[lo:hi]
		} else {
			d.Codes = c.Codes[lo:hi]
		}
		out.Columns = append(out.Columns, d)
	}
	return out
}

func buildProfile(t *testing.T, ds Dataset, o ProfileOptions) *Profile {
	t.Helper()
	src, err := ds.Open(t.Context(), Window{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	o.Roles = profileRoles
	p, err := BuildProfile(t.Context(), src, o)
	if err != nil {
		t.Fatalf("BuildProfile(%s) = %v", ds, err)
	}
	return p
}

func runReport(t *testing.T, ref, cur Dataset, methods []string) *Report {
	t.Helper()
	rep, err := Run(t.Context(), Input{Reference: ref, Current: cur}, Options{Methods: methods, Roles: profileRoles, Parallelism: 2})
	if err != nil {
		t.Fatalf("Run = %v", err)
	}
	return rep
}

// columnsJSON is the report's columns as JSON, the part that must not depend on
// whether a side was read from data or from an exact profile.
func columnsJSON(t *testing.T, rep *Report) string {
	b, err := json.Marshal(rep.Columns)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// shardProfiles profiles n contiguous shards of t and merges them in the given order.
func shardProfiles(t *testing.T, tab *Table, n int, order []int, o ProfileOptions) *Profile {
	t.Helper()
	rows := tab.Columns[0].Len()
	parts := make([]*Profile, n)
	for s := range n {
		parts[s] = buildProfile(t, slice(tab, s*rows/n, (s+1)*rows/n), o)
	}
	var ordered []*Profile
	for _, i := range order {
		ordered = append(ordered, parts[i])
	}
	m, err := MergeAll(ordered...)
	if err != nil {
		t.Fatalf("MergeAll = %v", err)
	}
	return m
}

// TestProfile_ExactEqualsData: a run on exact profiles gives the report of a run on
// the data, bit for bit, for every method (and the evidently preset).
func TestProfile_ExactEqualsData(t *testing.T) {
	ref := profileTable("ref", 3000, 0, 1)
	cur := profileTable("cur", 2500, 0.3, 2)
	rp := buildProfile(t, ref, ProfileOptions{Mode: ProfileExact})
	cp := buildProfile(t, cur, ProfileOptions{Mode: ProfileExact, Reference: rp})
	for _, methods := range [][]string{allMethods(), nil} {
		data := runReport(t, ref, cur, methods)
		for name, pair := range map[string][2]Dataset{
			"both":      {ProfileDataset(rp, ""), ProfileDataset(cp, "")},
			"reference": {ProfileDataset(rp, ""), cur},
			"current":   {ref, ProfileDataset(cp, "")},
		} {
			prof := runReport(t, pair[0], pair[1], methods)
			if got, want := columnsJSON(t, prof), columnsJSON(t, data); got != want {
				t.Errorf("methods %v, %s profiled: columns differ from the data run\n got %s\nwant %s", methods, name, got, want)
			}
			if !reflect.DeepEqual(prof.DatasetDrift, data.DatasetDrift) {
				t.Errorf("%s: dataset drift %+v, want %+v", name, prof.DatasetDrift, data.DatasetDrift)
			}
		}
	}
}

// TestProfile_EightShards shards a dataset eight ways, profiles each shard, merges the
// profiles in several orders and checks that the merge equals the profile of the
// whole: exact mode bit for bit (and the run equals the data run); sketch mode bit for
// bit for every count (histogram, values, categories, distinct sketch), to rounding for
// moments and co-moments, within the bound for the quantile sketch.
func TestProfile_EightShards(t *testing.T) {
	ref := profileTable("ref", 90_000, 0, 3)
	cur := profileTable("cur", 120_000, 0.2, 4)
	orders := [][]int{{0, 1, 2, 3, 4, 5, 6, 7}, {7, 6, 5, 4, 3, 2, 1, 0}, {3, 0, 6, 1, 7, 2, 5, 4}}
	for _, mode := range []ProfileMode{ProfileExact, ProfileSketch} {
		t.Run(mode.String(), func(t *testing.T) {
			rp := buildProfile(t, ref, ProfileOptions{Mode: ProfileExact})
			o := ProfileOptions{Mode: mode, Reference: rp}
			whole := buildProfile(t, cur, o)
			var first *Report
			for _, order := range orders {
				m := shardProfiles(t, cur, 8, order, o)
				if m.Rows != whole.Rows || m.Parts != 8 {
					t.Fatalf("merged rows, parts = %d, %d, want %d, 8", m.Rows, m.Parts, whole.Rows)
				}
				compareProfiles(t, m, whole)
				rep := runReport(t, ProfileDataset(rp, ""), ProfileDataset(m, ""), allMethods())
				wrep := runReport(t, ProfileDataset(rp, ""), ProfileDataset(whole, ""), allMethods())
				for _, c := range wrep.Columns {
					for _, wt := range c.Tests {
						got := testOf(rep, c.Name, wt.Method)
						exactStat := mode == ProfileExact || slices.Contains(histogramMethods, wt.Method)
						if exactStat && !sameNum(got.Statistic, wt.Statistic) || exactStat && !sameNum(got.PValue, wt.PValue) {
							t.Errorf("order %v: %s %s = %v, %v on the merge, %v, %v on the whole", order, c.Name, wt.Method, got.Statistic, got.PValue, wt.Statistic, wt.PValue)
						}
					}
				}
				// any merge order gives the same report
				if first == nil {
					first = rep
				} else if mode == ProfileExact && columnsJSON(t, rep) != columnsJSON(t, first) {
					t.Errorf("order %v: report differs from the first order's", order)
				}
				if mode == ProfileExact {
					data := runReport(t, ref, cur, allMethods())
					if columnsJSON(t, rep) != columnsJSON(t, data) {
						t.Errorf("order %v: exact merged profiles do not give the data run's columns", order)
					}
				}
				checkPearson(t, rep, wrep, 1e-12)
			}
		})
	}
}

func sameNum(a, b Num) bool {
	return a == b || (math.IsNaN(float64(a)) && math.IsNaN(float64(b)))
}

func testOf(rep *Report, col, method string) TestResult {
	for _, c := range rep.Columns {
		if c.Name == col {
			for _, t := range c.Tests {
				if t.Method == method {
					return t
				}
			}
		}
	}
	return TestResult{Statistic: Num(math.Inf(1))}
}

// checkPearson compares the Pearson matrices of two reports to a relative tolerance:
// co-moments merged in a different order agree to rounding, not bit for bit (Chan's
// update is exact in real arithmetic only).
func checkPearson(t *testing.T, got, want *Report, tol float64) {
	t.Helper()
	g, ok1 := got.Correlations.(*Correlations)
	w, ok2 := want.Correlations.(*Correlations)
	if !ok1 || !ok2 || g.Pearson == nil || w.Pearson == nil {
		t.Fatalf("correlations missing: %T %T", got.Correlations, want.Correlations)
	}
	for i := range w.Pearson.Current {
		for j := range w.Pearson.Current[i] {
			for _, side := range [][2][][]Num{{g.Pearson.Current, w.Pearson.Current}, {g.Pearson.Reference, w.Pearson.Reference}} {
				a, b := float64(side[0][i][j]), float64(side[1][i][j])
				if math.IsNaN(a) != math.IsNaN(b) || (!math.IsNaN(b) && math.Abs(a-b) > tol*math.Max(math.Abs(b), 1e-300)) {
					t.Errorf("pearson[%d][%d] = %v, want %v (±%g relative)", i, j, a, b, tol)
				}
			}
		}
	}
}

// compareProfiles checks a merged profile against the whole's.
func compareProfiles(t *testing.T, m, w *Profile) {
	t.Helper()
	for _, wc := range w.Columns {
		mc := m.Column(wc.Name)
		if mc == nil {
			t.Fatalf("merged profile lacks %q", wc.Name)
		}
		if mc.Rows != wc.Rows || mc.Missing != wc.Missing {
			t.Errorf("%s: rows, missing = %d, %d, want %d, %d", wc.Name, mc.Rows, mc.Missing, wc.Rows, wc.Missing)
		}
		if !slices.Equal(mc.Labels, wc.Labels) || !slices.Equal(mc.Counts, wc.Counts) || mc.Other != wc.Other {
			t.Errorf("%s: category counts differ", wc.Name)
		}
		if len(mc.Sorted) != len(wc.Sorted) || !slices.EqualFunc(mc.Sorted, wc.Sorted, func(a, b float64) bool { return math.Float64bits(a) == math.Float64bits(b) }) {
			t.Errorf("%s: sorted values differ", wc.Name)
		}
		if !reflect.DeepEqual(mc.Hist, wc.Hist) || !reflect.DeepEqual(mc.Few, wc.Few) {
			t.Errorf("%s: histogram or value counts differ: %+v vs %+v", wc.Name, mc.Hist, wc.Hist)
		}
		if (wc.Distinct == nil) != (mc.Distinct == nil) || (wc.Distinct != nil && mc.Distinct.Estimate() != wc.Distinct.Estimate()) {
			t.Errorf("%s: distinct-count sketches differ", wc.Name)
		}
		if wc.Kind.Valued() {
			mo, wo := mc.Moments, wc.Moments
			if mo.N != wo.N || mo.Min != wo.Min || mo.Max != wo.Max || math.Abs(mo.Mean-wo.Mean) > 1e-14*math.Max(1, math.Abs(wo.Mean)) ||
				math.Abs(mo.M2-wo.M2) > 1e-12*wo.M2 {
				t.Errorf("%s: moments %+v, want %+v", wc.Name, mo, wo)
			}
		}
		if wc.Sketch != nil {
			if mc.Sketch.Count() != wc.Sketch.Count() || mc.Sketch.Min() != wc.Sketch.Min() || mc.Sketch.Max() != wc.Sketch.Max() ||
				mc.Sketch.RankErrorBound() > stats.SketchEpsilon {
				t.Errorf("%s: sketch count/min/max/bound differ", wc.Name)
			}
		}
	}
	if !reflect.DeepEqual(m.Quality.Confusion, w.Quality.Confusion) || !reflect.DeepEqual(m.Quality.ScoreHist, w.Quality.ScoreHist) {
		t.Errorf("quality accumulators differ")
	}
}

// TestProfile_SketchBounds: a sketch-mode current profile against an exact reference
// gives the histogram methods of the data run bit for bit (the current's histogram is
// counted on the reference's decile edges, the few-valued columns per value), and the
// rank methods within the certified bound.
func TestProfile_SketchBounds(t *testing.T) {
	ref := profileTable("ref", 80_000, 0, 5)
	cur := profileTable("cur", 150_000, 0.15, 6)
	rp := buildProfile(t, ref, ProfileOptions{Mode: ProfileExact})
	cp := buildProfile(t, cur, ProfileOptions{Mode: ProfileSketch, Reference: rp})
	if cp.Column("x").Sketch.Exact() {
		t.Fatalf("the current sketch did not compact: the test would not test the bound")
	}
	data := runReport(t, ref, cur, allMethods())
	prof := runReport(t, ProfileDataset(rp, ""), ProfileDataset(cp, ""), allMethods())
	eps := cp.Column("x").Sketch.RankErrorBound()
	for _, c := range data.Columns {
		for _, dt := range c.Tests {
			pt := testOf(prof, c.Name, dt.Method)
			switch {
			case slices.Contains(histogramMethods, dt.Method):
				if !sameNum(pt.Statistic, dt.Statistic) || !sameNum(pt.PValue, dt.PValue) {
					t.Errorf("%s %s = %v, %v from the sketch profile, %v, %v from data", c.Name, dt.Method, pt.Statistic, pt.PValue, dt.Statistic, dt.PValue)
				}
			case dt.Method == "ks":
				if d := math.Abs(float64(pt.Statistic - dt.Statistic)); d > eps+1e-12 {
					t.Errorf("%s ks D = %v from the sketch, %v from data: off by %v > bound %v", c.Name, pt.Statistic, dt.Statistic, d, eps)
				}
			}
		}
	}
	if findFinding(prof, "sketch_estimate", "x") == nil {
		t.Errorf("no sketch_estimate finding for x")
	}
	checkPearson(t, prof, data, 1e-12)
	// the quality accumulators give the data run's metrics (ROC AUC binned: close)
	pp, ok1 := prof.Performance.(*Performance)
	dp, ok2 := data.Performance.(*Performance)
	if !ok1 || !ok2 {
		t.Fatalf("performance missing: %T %T", prof.Performance, data.Performance)
	}
	for _, name := range []string{"accuracy", "precision", "recall", "f1", "log_loss"} {
		if a, b := float64(pp.Current[name]), float64(dp.Current[name]); math.Abs(a-b) > 1e-12*math.Abs(b) {
			t.Errorf("current %s = %v from the profile, %v from data", name, a, b)
		}
	}
	if a, b := float64(pp.Current["roc_auc"]), float64(dp.Current["roc_auc"]); math.Abs(a-b) > 1e-3 {
		t.Errorf("current roc_auc = %v binned, %v exact", a, b)
	}
}

// TestProfile_Errors: merging profiles of different modes or kinds, reading rows from
// a profile, and asking for an unknown column are errors.
func TestProfile_Errors(t *testing.T) {
	tab := profileTable("t", 500, 0, 9)
	e := buildProfile(t, tab, ProfileOptions{Mode: ProfileExact})
	s := buildProfile(t, tab, ProfileOptions{Mode: ProfileSketch})
	if _, err := Merge(e, s); err == nil {
		t.Errorf("Merge(exact, sketch) = nil error")
	}
	src, _ := ProfileDataset(e, "").Open(t.Context(), Window{})
	if err := src.ReadColumn(t.Context(), "x", func(Column) error { return nil }); err == nil {
		t.Errorf("ReadColumn on a profile = nil error")
	}
	tsrc, _ := tab.Open(context.Background(), Window{})
	if _, err := BuildProfile(t.Context(), tsrc, ProfileOptions{Columns: []string{"nope"}}); err == nil {
		t.Errorf("BuildProfile(unknown column) = nil error")
	}
}

// TestHistBuilder: the histogram's bin of each value is np.searchsorted(edges, v,
// 'left'), for the short edge lists (binary search) and long ones.
func TestHistBuilder(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	for _, ne := range []int{0, 1, 2, 9, 15, 16, 40} {
		edges := make([]float64, ne)
		for i := range edges {
			edges[i] = float64(i) - float64(ne)/2
		}
		x := make([]float64, 5000)
		for i := range x {
			x[i] = math.Round(r.NormFloat64()*float64(ne+1)) / 2 // many values on the edges
		}
		x[0] = math.NaN()
		h := &histBuilder{edges: edges, counts: make([]int64, ne+1)}
		h.add(x)
		want := make([]int64, ne+1)
		for _, v := range x[1:] {
			b, _ := slices.BinarySearch(edges, v) // the first edge >= v: #edges < v
			want[b]++
		}
		if !slices.Equal(h.counts, want) {
			t.Errorf("%d edges: counts %v, want %v", ne, h.counts, want)
		}
	}
}

// TestHistBuilder_OnSorted: a sketch-mode column on a reference's edges counts its
// histogram on the sketch's sorted buffers (and what is left in the buffer at the end):
// the counts equal histBuilder.add on every value, with values on the edges, -0 and +0
// (edges -0 and +0 alike), missing values, and several compactions.
func TestHistBuilder_OnSorted(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	nz := math.Copysign(0, -1)
	for _, edges := range [][]float64{{-1, nz, 1.5}, {-2, -1, 0, 0.5, 1, 2}, {}, {0.25}} {
		x := make([]float64, 3*stats.SketchBuffer+123)
		for i := range x {
			switch i % 7 {
			case 0:
				x[i] = nz
			case 1:
				x[i] = 0
			case 2:
				x[i] = math.NaN()
			default:
				x[i] = math.Round(r.NormFloat64()*8) / 4 // many values on the edges
			}
		}
		want := &histBuilder{edges: edges, counts: make([]int64, len(edges)+1)}
		want.add(x)
		b := newColumnBuilder(Field{Name: "x", Kind: KindNumeric}, ProfileOptions{Mode: ProfileSketch})
		b.setEdges(edges)
		for lo := 0; lo < len(x); lo += 1000 {
			if err := b.add(Column{Name: "x", Kind: KindNumeric, Float64: x[lo:min(lo+1000, len(x))]}); err != nil {
				t.Fatal(err)
			}
		}
		c := b.finish()
		if !slices.Equal(c.Hist.Counts, want.counts) {
			t.Errorf("edges %v: counts %v, want %v (histBuilder.add)", edges, c.Hist.Counts, want.counts)
		}
	}
}
