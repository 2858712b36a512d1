package sinks

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/driftwatch/driftwatch/pipeline"
	"github.com/driftwatch/driftwatch/sinks/htmlreport"
)

// dayReport is job's report of day d of November 2026, with one column whose p-value
// and the dataset's drifted share change by day.
func dayReport(job string, d int) *pipeline.Report {
	at := time.Date(2026, 11, d, 0, 0, 0, 0, time.UTC)
	p := pipeline.Num(0.5 / float64(d))
	return &pipeline.Report{SchemaVersion: 1, Job: job, RunID: job + at.Format("-20060102T150405Z"), LogicalTime: &at,
		DatasetDrift: pipeline.DatasetDrift{Share: pipeline.Num(float64(d%3) / 2), Threshold: 0.5, Drifted: d%3 == 2},
		Columns: []pipeline.ColumnReport{{Name: "x", Kind: pipeline.KindNumeric, Status: "ok", Drifted: p < 0.05,
			Tests: []pipeline.TestResult{{Method: "ks", Statistic: 0.1, PValue: p, Threshold: 0.05, Drifted: p < 0.05}}}},
		Quality: []pipeline.Finding{}}
}

// wantHTML is the page of r with the given earlier reports as history (oldest first).
func wantHTML(t *testing.T, r *pipeline.Report, earlier ...*pipeline.Report) []byte {
	t.Helper()
	var hist []htmlreport.HistoryPoint
	for _, e := range earlier {
		hist = append(hist, htmlreport.PointOf(e))
	}
	var b bytes.Buffer
	if err := htmlreport.Write(&b, r, htmlreport.Options{History: hist}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// The file sink's HTML draws the job's earlier runs, read back from its own JSON reports:
// only earlier logical times, only the same job, at most `history` of them, damaged files
// skipped; none without json among the formats or for an ad-hoc report.
func TestFile_HTMLHistory(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name, yaml string
		html       string // where day 27's page lands
		want       []int  // days drawn as history
	}{
		{"daily", "path: out/{job}/{logical_date}.json\n    format: [json, html]", "out/churn/2026-11-27.html", []int{23, 24, 25, 26}},
		{"limit", "path: out/{job}/{logical_date}.json\n    format: [json, html]\n    history: 2", "out/churn/2026-11-27.html", []int{25, 26}},
		{"off", "path: out/{job}/{logical_date}.json\n    format: [json, html]\n    history: 0", "out/churn/2026-11-27.html", nil},
		{"html_first", "path: out/{job}/{logical_time}/report.html\n    format: [html, json]", "out/churn/20261127T000000Z/report.html", []int{23, 24, 25, 26}},
		{"shared_folder", "path: out/{logical_date}-{job}.json\n    format: [json, html]", "out/2026-11-27-churn.html", []int{23, 24, 25, 26}},
		{"run_id", "path: out/{job}/{run_id}.json\n    format: [json, html]", "out/churn/churn-20261127T000000Z.html", []int{23, 24, 25, 26}},
		{"html_only", "path: out/{job}/{logical_date}.html\n    format: html", "out/churn/2026-11-27.html", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			f, err := fileSink(t, dir, "sinks:\n  - type: file\n    "+tc.yaml+"\n")
			if err != nil {
				t.Fatal(err)
			}
			// earlier days (one out of order), a later day, and another job's days
			for _, d := range []int{24, 23, 26, 25, 28} {
				if err := f.Write(ctx, dayReport("churn", d)); err != nil {
					t.Fatal(err)
				}
				if err := f.Write(ctx, dayReport("fraud", d)); err != nil {
					t.Fatal(err)
				}
			}
			// a damaged report where an earlier one would be
			if paths, err := f.Locations(dayReport("churn", 22)); err == nil {
				for _, p := range paths {
					os.MkdirAll(filepath.Dir(p), 0o755)
					os.WriteFile(p, []byte("{not json"), 0o644)
				}
			}
			r := dayReport("churn", 27)
			if err := f.Write(ctx, r); err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(filepath.Join(dir, tc.html))
			if err != nil {
				t.Fatal(err)
			}
			// the wanted days as their JSON files say (numbers round-trip as the report writes them)
			var earlier []*pipeline.Report
			for _, d := range tc.want {
				paths, err := f.Locations(dayReport("churn", d))
				if err != nil {
					t.Fatal(err)
				}
				b, err := os.ReadFile(paths[slices.Index(f.formats, FormatJSON)])
				if err != nil {
					t.Fatal(err)
				}
				var e pipeline.Report
				if err := json.Unmarshal(b, &e); err != nil {
					t.Fatal(err)
				}
				earlier = append(earlier, &e)
			}
			if !bytes.Equal(got, wantHTML(t, r, earlier...)) {
				t.Errorf("day 27's page is not the page with history %v", tc.want)
			}
			// writing it again gives the same bytes (its own earlier file is not history)
			if err := f.Write(ctx, r); err != nil {
				t.Fatal(err)
			}
			if again, _ := os.ReadFile(filepath.Join(dir, tc.html)); !bytes.Equal(again, got) {
				t.Error("re-run wrote another page")
			}
		})
	}

	// an ad-hoc report (no logical time) draws no history
	dir := t.TempDir()
	f, err := fileSink(t, dir, "sinks:\n  - type: file\n    path: out/{job}-{run_id}.json\n    format: [json, html]\n")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Write(ctx, dayReport("churn", 20)); err != nil {
		t.Fatal(err)
	}
	adhoc := dayReport("churn", 21)
	adhoc.LogicalTime, adhoc.RunID = nil, "adhoc-1"
	if err := f.Write(ctx, adhoc); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(filepath.Join(dir, "out/churn-adhoc-1.html"))
	if !bytes.Equal(got, wantHTML(t, adhoc)) {
		t.Error("an ad-hoc page drew history")
	}

	if _, err := fileSink(t, dir, "sinks:\n  - type: file\n    path: r.json\n    history: -1\n"); err == nil {
		t.Error("history -1 accepted")
	}
}
