package pipeline

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
)

func nums(x ...float64) []Num {
	out := make([]Num, len(x))
	for i, v := range x {
		out[i] = Num(v)
	}
	return out
}

// TestHistogramEdges: the expected edges and counts come from an independent NumPy
// implementation of histogramEdges' rules, testdata/histogram_edges.py (numpy 1.24:
// np.quantile for the 1st/99th percentiles, np.searchsorted(side="left") for the counts;
// run with Debian's /usr/bin/python3). The constant, boolean and empty cases are by hand.
func TestHistogramEdges(t *testing.T) {
	ref := []float64{-3.1, -2.72, -2.32, -1.9, -1.46, -1.0, -0.52, -0.51, -0.13, 0.27, 0.69, 1.13, 1.59, 2.07, 2.08, 2.46, 2.86, 3.28, 3.72, 4.18, 4.66, 4.67, 5.05, 5.45, 5.87, 6.31, 6.77, 7.25, 7.26, 7.64, 8.04, 8.46, 8.9, 9.36, 9.84, 9.85, 10.23, 10.63, 11.05, 11.49, 11.95, 12.43, 12.44, 12.82, 13.22, 13.64, 14.08, 14.54, 15.02, 15.03}
	cur := []float64{1.7, 2.01, 2.36, 2.75, 3.18, 3.15, 3.46, 3.81, 4.2, 4.63, 4.6, 4.91, 5.26, 5.65, 6.08, 6.05, 6.36, 6.71, 7.1, 7.53, 7.5, 7.81, 8.16, 8.55, 8.98, 8.95, 9.26, 9.61, 10.0, 10.43, 10.4, 10.71, 11.06, 11.45, 11.88, 11.85, 12.16, 12.51, 12.9, 13.33}
	ages, ages2 := []float64{}, []float64{}
	for v := 18; v <= 90; v++ {
		ages = append(ages, float64(v))
	}
	for v := 25; v < 100; v += 2 {
		ages2 = append(ages2, float64(v))
	}
	for _, tc := range []struct {
		name           string
		ref, cur       []float64
		edges          []Num
		refCnt, curCnt []int64
	}{
		{
			// lo = -2.9138, hi = 15.0251, width 1; ref's -3.1 falls in the lower tail.
			name: "continuous", ref: ref, cur: cur,
			edges:  nums(-3.1, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 16),
			refCnt: []int64{1, 2, 2, 4, 2, 2, 4, 2, 3, 3, 2, 3, 3, 3, 2, 3, 3, 2, 2, 2, 0},
			curCnt: []int64{0, 0, 0, 0, 0, 1, 3, 4, 4, 2, 4, 4, 4, 2, 4, 4, 3, 1, 0, 0, 0},
		},
		{
			// integers over a range of < 30 values: one bin per integer.
			name: "integers", ref: []float64{1, 2, 2, 3, 3, 3}, cur: []float64{2, 3, 4, 4},
			edges:  nums(0.5, 0.5, 1.5, 2.5, 3.5, 4.5, 4.5),
			refCnt: []int64{0, 1, 2, 3, 0, 0},
			curCnt: []int64{0, 0, 1, 1, 2, 0},
		},
		{
			// integers over 81 values: width 5, edges at half-integers, 5 values per bin.
			name: "wide_integers", ref: ages, cur: ages2,
			edges:  nums(14.5, 14.5, 19.5, 24.5, 29.5, 34.5, 39.5, 44.5, 49.5, 54.5, 59.5, 64.5, 69.5, 74.5, 79.5, 84.5, 89.5, 94.5, 99.5, 99.5),
			refCnt: []int64{0, 2, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 1, 0, 0},
			curCnt: []int64{0, 0, 0, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 0},
		},
		{
			name: "constant", ref: []float64{2.5, 2.5, 2.5}, cur: []float64{2.5, 2.5},
			edges: nums(2.5, 2.5), refCnt: []int64{3}, curCnt: []int64{2},
		},
		{
			// booleans as 0/1: two bins.
			name: "boolean", ref: []float64{0, 0, 0, 1}, cur: []float64{0, 1, 1, 1},
			edges: nums(-0.5, -0.5, 0.5, 1.5, 1.5), refCnt: []int64{0, 3, 1, 0}, curCnt: []int64{0, 1, 3, 0},
		},
		{
			name: "empty_current", ref: []float64{1, 2, 2, 3, 3, 3}, cur: nil,
			edges: nums(0.5, 0.5, 1.5, 2.5, 3.5, 3.5), refCnt: []int64{0, 1, 2, 3, 0},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, c := slices.Clone(tc.ref), slices.Clone(tc.cur)
			slices.Sort(r)
			slices.Sort(c)
			e := histogramEdges(r, c)
			if !reflect.DeepEqual(e, tc.edges) {
				t.Fatalf("histogramEdges = %v, want %v", e, tc.edges)
			}
			if h := numericHistogram(r, e); !reflect.DeepEqual(h.Counts, tc.refCnt) {
				t.Errorf("reference counts = %v, want %v", h.Counts, tc.refCnt)
			}
			if h := numericHistogram(c, e); tc.curCnt != nil && !reflect.DeepEqual(h.Counts, tc.curCnt) {
				t.Errorf("current counts = %v, want %v", h.Counts, tc.curCnt)
			}
		})
	}
}

// TestHistogramEdges_Invariants: on random and awkward data every value is counted once,
// edges never decrease, there are at most HistogramBins+1 regular bins, and a sample far
// from the reference is drawn in the regular bins, not in a tail.
func TestHistogramEdges_Invariants(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	cases := map[string][2][]float64{
		"normal":      {normal(r, 5000, 0, 1), normal(r, 3000, 0.5, 2)},
		"moved_far":   {normal(r, 100000, 0, 1), normal(r, 1000, 50, 1)},
		"heavy_tail":  {expo(r, 4000, 1e-3), expo(r, 4000, 1)},
		"large_scale": {normal(r, 2000, 1e9, 1), normal(r, 2000, 1e9, 1)},
		"tiny_scale":  {normal(r, 2000, 0, 1e-12), normal(r, 2000, 0, 1e-12)},
		"huge_range":  {{-1e308, 0, 1e308}, {1}},
		"mostly_zero": {append(make([]float64, 990), 1, 2, 3, 4, 5, 6, 7, 8, 9, 1000), make([]float64, 10)},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			ref, cur := slices.Clone(c[0]), slices.Clone(c[1])
			slices.Sort(ref)
			slices.Sort(cur)
			e := histogramEdges(ref, cur)
			if len(e) < 2 || len(e)-1 > HistogramBins+3 {
				t.Fatalf("%d edges: %v", len(e), e)
			}
			for i := 1; i < len(e); i++ {
				if !(e[i] >= e[i-1]) {
					t.Fatalf("edges decrease at %d: %v", i, e)
				}
			}
			for side, x := range [][]float64{ref, cur} {
				h := numericHistogram(x, e)
				var n int64
				for _, k := range h.Counts {
					n += k
				}
				if n != int64(len(x)) {
					t.Errorf("side %d: counts sum to %d, want %d", side, n, len(x))
				}
				if name == "moved_far" {
					tails := h.Counts[0] + h.Counts[len(h.Counts)-1]
					if float64(tails) > 0.02*float64(len(x))+1 {
						t.Errorf("side %d: %d of %d values in the tails; edges %v", side, tails, len(x), e)
					}
				}
			}
		})
	}
}

func expo(r *rand.Rand, n int, scale float64) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = scale * r.ExpFloat64()
	}
	return x
}

// TestSummarize_Histogram runs a small table through Run: numeric sides share their
// edges, categorical sides share their labels (union of both top-10s, unseen ones with a
// reference count of 0) and count the rest as other; the extra JSON stays small.
func TestSummarize_Histogram(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	n := 5000
	cats := func(offset int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = "c" + string(rune('a'+(offset+int(r.ExpFloat64()*4))%26))
		}
		return out
	}
	refCat, curCat := cats(0), cats(3)
	ref := &Table{Name: "ref", Columns: []Column{
		{Name: "x", Kind: KindNumeric, Float64: normal(r, n, 0, 1)},
		StringColumn("cat", refCat, nil),
	}}
	cur := &Table{Name: "cur", Columns: []Column{
		{Name: "x", Kind: KindNumeric, Float64: normal(r, n, 1, 1)},
		StringColumn("cat", curCat, nil),
	}}
	rep, err := Run(context.Background(), Input{Reference: ref, Current: cur}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	x := column(rep, "x")
	rh, ch := x.Reference.Histogram, x.Current.Histogram
	if rh == nil || ch == nil || !reflect.DeepEqual(rh.Edges, ch.Edges) || len(rh.Counts) != len(rh.Edges)-1 {
		t.Fatalf("numeric histograms = %+v, %+v; want shared edges", rh, ch)
	}
	c := column(rep, "cat")
	rh, ch = c.Reference.Histogram, c.Current.Histogram
	if rh == nil || ch == nil || !reflect.DeepEqual(rh.Labels, ch.Labels) {
		t.Fatalf("categorical histograms = %+v, %+v; want shared labels", rh, ch)
	}
	count := func(xs []string, v string) (k int64) {
		for _, s := range xs {
			if s == v {
				k++
			}
		}
		return k
	}
	var refShown, curShown int64
	for i, l := range rh.Labels {
		if rh.Counts[i] != count(refCat, l) || ch.Counts[i] != count(curCat, l) {
			t.Errorf("%s: counts %d, %d; want %d, %d", l, rh.Counts[i], ch.Counts[i], count(refCat, l), count(curCat, l))
		}
		if i > 0 && rh.Counts[i] > rh.Counts[i-1] {
			t.Errorf("labels not by reference count: %v %v", rh.Labels, rh.Counts)
		}
		refShown += rh.Counts[i]
		curShown += ch.Counts[i]
	}
	if rh.Other != int64(n)-refShown || ch.Other != int64(n)-curShown {
		t.Errorf("other = %d, %d; want %d, %d", rh.Other, ch.Other, int64(n)-refShown, int64(n)-curShown)
	}
	for _, top := range [][]CategoryCount{c.Reference.Top, c.Current.Top} {
		for _, tc := range top {
			if !slices.Contains(rh.Labels, tc.Value) {
				t.Errorf("top category %q not in the histogram labels %v", tc.Value, rh.Labels)
			}
		}
	}
	if !slices.Contains(rh.Labels, "cd") || rh.Counts[slices.Index(rh.Labels, "cd")] != count(refCat, "cd") {
		t.Errorf("labels %v: want the current's top category cd with its reference count", rh.Labels)
	}
	for _, col := range rep.Columns {
		b, _ := json.Marshal(struct{ R, C *Histogram }{col.Reference.Histogram, col.Current.Histogram})
		if len(b) > 1200 {
			t.Errorf("%s: histograms take %d bytes of JSON, want ≤ 1200: %s", col.Name, len(b), b)
		}
	}
}

// BenchmarkHistogram: the histogram fields of one numeric column (shared edges and both
// sides' counts) on sorted samples of 1M rows per side, as summarize computes them.
func BenchmarkHistogram(b *testing.B) {
	r := rand.New(rand.NewPCG(5, 6))
	ref, cur := normal(r, 1_000_000, 0, 1), normal(r, 1_000_000, 0.3, 1.2)
	slices.Sort(ref)
	slices.Sort(cur)
	b.ReportAllocs()
	for b.Loop() {
		e := histogramEdges(ref, cur)
		numericHistogram(ref, e)
		numericHistogram(cur, e)
	}
}
