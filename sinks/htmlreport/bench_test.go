package htmlreport

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/driftwatch/driftwatch/pipeline"
)

// syntheticReport is a report of cols columns over rows rows per side, as a large job
// produces it: 60% numeric (half ks, half wasserstein; 32-bin histograms), 40%
// categorical (20 shown categories plus other, labels of 12–30 characters), Pearson and
// Spearman matrices (reference, current, diff) over the numeric columns, a finding per
// three columns, and history runs of earlier results.
func syntheticReport(cols int, rows int64, history int) (*pipeline.Report, []HistoryPoint) {
	r := rand.New(rand.NewPCG(11, 12))
	at := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	rep := &pipeline.Report{SchemaVersion: 1, Job: "synthetic", RunID: "synthetic-20261127T000000Z", LogicalTime: &at, Preset: "evidently",
		Reference: pipeline.DatasetInfo{Rows: rows, Source: "parquet s3://bucket/models/churn/reference/"},
		Current:   pipeline.DatasetInfo{Rows: rows, Source: "parquet s3://bucket/models/churn/live/"}, Triggers: []pipeline.Decision{}}
	split := func(n int, total int64, mu float64) []int64 {
		w := make([]float64, n)
		var s float64
		for i := range w {
			x := (float64(i) - float64(n)/2 - mu) / (float64(n) / 6)
			w[i] = math.Exp(-x*x/2) + 1e-3
			s += w[i]
		}
		out := make([]int64, n)
		var acc int64
		for i := range w {
			out[i] = int64(float64(total) * w[i] / s)
			acc += out[i]
		}
		out[n/2] += total - acc
		return out
	}
	var numeric []string
	drifted := 0
	for i := range cols {
		name := fmt.Sprintf("feature_%03d_%s", i, []string{"amount", "ratio", "count", "score", "days_since"}[i%5])
		c := pipeline.ColumnReport{Name: name, Role: pipeline.RoleFeature, Status: "ok"}
		shift := r.Float64() * 3
		c.Drifted = shift > 1.5
		if c.Drifted {
			drifted++
		}
		miss := int64(float64(rows) * r.Float64() * 0.02)
		side := func(counts []int64, h *pipeline.Histogram) pipeline.ColumnSummary {
			return pipeline.ColumnSummary{Count: rows - miss, Missing: miss, MissingShare: pipeline.Num(float64(miss) / float64(rows)),
				Distinct: 1 + r.IntN(int(rows)), Mean: nump(r.NormFloat64() * 1e4), Std: nump(r.Float64() * 1e3), Min: nump(-r.Float64() * 1e5),
				Max: nump(r.Float64() * 1e5), Quantiles: numsOf(-3e3, -1e3, 12.5, 1e3, 3e3), Histogram: h}
		}
		if i%5 < 3 {
			c.Kind = pipeline.KindNumeric
			numeric = append(numeric, name)
			edges := make([]pipeline.Num, 33)
			edges[0] = -12345.678
			for k := 1; k < 32; k++ {
				edges[k] = pipeline.Num(-3000 + 200*float64(k-1))
			}
			edges[32] = 98765.4321
			c.Reference = side(split(32, rows-miss, 0), &pipeline.Histogram{Edges: edges, Counts: split(32, rows-miss, 0)})
			c.Current = side(nil, &pipeline.Histogram{Edges: edges, Counts: split(32, rows-miss, shift)})
			if i%2 == 0 {
				c.Method = "ks"
				p := math.Exp(-shift * 20)
				c.Tests = []pipeline.TestResult{{Method: "ks", Statistic: pipeline.Num(shift / 10), PValue: pipeline.Num(p), Threshold: 0.05, Drifted: c.Drifted}}
			} else {
				c.Method = "wasserstein"
				c.Tests = []pipeline.TestResult{{Method: "wasserstein", Statistic: pipeline.Num(shift / 15), PValue: pipeline.Num(math.NaN()), Threshold: 0.1, Drifted: c.Drifted}}
			}
		} else {
			c.Kind = pipeline.KindCategorical
			labels := make([]string, 20)
			for k := range labels {
				labels[k] = fmt.Sprintf("category-%02d-%s", k, "abcdefghijklmnopq"[:r.IntN(17)])
			}
			rc, cc := split(21, rows-miss, 0), split(21, rows-miss, shift)
			c.Reference = side(nil, &pipeline.Histogram{Labels: labels, Counts: rc[:20], Other: rc[20]})
			c.Current = side(nil, &pipeline.Histogram{Labels: labels, Counts: cc[:20], Other: cc[20]})
			c.Reference.Mean, c.Reference.Std, c.Reference.Quantiles = nil, nil, nil
			c.Current.Mean, c.Current.Std, c.Current.Quantiles = nil, nil, nil
			c.Method = "jensen_shannon"
			c.Tests = []pipeline.TestResult{{Method: "jensen_shannon", Statistic: pipeline.Num(shift / 15), PValue: pipeline.Num(math.NaN()), Threshold: 0.1, Drifted: c.Drifted, Binning: "per_category", Bins: 40}}
		}
		rep.Columns = append(rep.Columns, c)
		if i%3 == 0 {
			rep.Quality = append(rep.Quality, pipeline.Finding{Type: "out_of_range", Column: name, Severity: pipeline.SeverityInfo,
				Message: "0.04% of current values lie outside the reference range [6983.53431305802, 283182.4288116831]", Value: nump(4e-4), ReferenceValue: nump(0)})
		}
	}
	rep.DatasetDrift = pipeline.DatasetDrift{Drifted: drifted*2 >= cols, Share: pipeline.Num(float64(drifted) / float64(cols)), Threshold: 0.5, DriftedColumns: drifted, Columns: cols}
	matrix := func(jitter float64) [][]float64 {
		n := len(numeric)
		m := make([][]float64, n)
		for i := range m {
			m[i] = make([]float64, n)
		}
		for i := range n {
			m[i][i] = 1
			for j := range i {
				v := math.Max(-1, math.Min(1, math.Sin(float64(i*j))*0.6+jitter*r.NormFloat64()))
				m[i][j], m[j][i] = v, v
			}
		}
		return m
	}
	corr := map[string]any{"columns": numeric}
	for _, k := range []string{"pearson", "spearman"} {
		ref, cur := matrix(0.05), matrix(0.2)
		diff := make([][]float64, len(ref))
		for i := range ref {
			diff[i] = make([]float64, len(ref))
			for j := range ref {
				diff[i][j] = cur[i][j] - ref[i][j]
			}
		}
		corr[k] = map[string]any{"reference": ref, "current": cur, "diff": diff, "max_abs_diff": 0.71, "max_abs_pair": numeric[:2], "frobenius": 5.2}
	}
	rep.Correlations = corr
	var hist []HistoryPoint
	for k := history; k >= 1; k-- {
		h := PointOf(rep)
		h.LogicalTime = at.AddDate(0, 0, -k)
		h.Share = r.Float64()
		for name, c := range h.Columns {
			c.Score *= 0.5 + r.Float64()
			h.Columns[name] = c
		}
		hist = append(hist, h)
	}
	return rep, hist
}

type countingWriter struct{ n int64 }

func (w *countingWriter) Write(p []byte) (int, error) { w.n += int64(len(p)); return len(p), nil }

// TestWrite_SizeBudget: 100 columns at 1M rows, with correlation matrices of the 60
// numeric columns and 30 runs of history, stay within the 3 MB.
func TestWrite_SizeBudget(t *testing.T) {
	rep, hist := syntheticReport(100, 1_000_000, 30)
	var w countingWriter
	if err := Write(&w, rep, Options{History: hist}); err != nil {
		t.Fatal(err)
	}
	if w.n > 3<<20 {
		t.Errorf("HTML of 100 columns is %d bytes, want ≤ 3 MiB", w.n)
	}
	t.Logf("100 columns: %d bytes", w.n)
}

// BenchmarkWrite renders the synthetic report of TestWrite_SizeBudget (the budget:
// ≤ 0.5 s and ≤ 3 MB for 100 columns at 1M rows); MB/page is the output size.
func BenchmarkWrite(b *testing.B) {
	for _, bc := range []struct {
		cols, history int
	}{{20, 0}, {100, 0}, {100, 30}} {
		b.Run(fmt.Sprintf("cols=%d/history=%d", bc.cols, bc.history), func(b *testing.B) {
			rep, hist := syntheticReport(bc.cols, 1_000_000, bc.history)
			var w countingWriter
			b.ReportAllocs()
			for b.Loop() {
				w.n = 0
				if err := Write(&w, rep, Options{History: hist}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(w.n)/1e6, "MB/page")
		})
	}
}

var _ io.Writer = (*countingWriter)(nil)
