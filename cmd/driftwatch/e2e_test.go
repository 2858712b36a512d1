package main

// End-to-end tests through the built binary: the commands, exit codes, the report file
// and the summary line, on Parquet files written by the project's generator.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/driftwatch/driftwatch/internal/gen"
)

var (
	binary  string // the built driftwatch
	demoDir string // demo data, generated once
)

func TestMain(m *testing.M) {
	tmp, err := os.MkdirTemp("", "driftwatch-e2e-")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(tmp, "driftwatch")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		os.Stderr.Write(out)
		panic(err)
	}
	demoDir = filepath.Join(tmp, "demo")
	if _, err := gen.Demo(context.Background(), demoDir, 7); err != nil {
		panic(err)
	}
	code := m.Run()
	os.RemoveAll(tmp)
	os.Exit(code)
}

type result struct {
	code           int
	stdout, stderr string
}

func run(t *testing.T, dir string, env []string, args ...string) result {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(errb.String(), "panic:") || strings.Contains(errb.String(), "goroutine ") {
		t.Fatalf("driftwatch panicked:\n%s", errb.String())
	}
	return result{code, out.String(), errb.String()}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}

const demoConfig = `
version: 1
jobs:
  - name: churn-daily
    reference:
      type: parquet
      path: ${DEMO}/reference
    current:
      type: parquet
      path: ${DEMO}/live
      timestamp: ts
      window: 24h
    columns: {id: request_id, timestamp: ts, target: churned, prediction: prediction, scores: [score]}
    sinks:
      - {type: file, path: "out/{job}/{logical_date}.json", format: [json, html]}
`

func writeConfig(t *testing.T, text string) string {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "config.yaml"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

type report struct {
	SchemaVersion int    `json:"schema_version"`
	Job           string `json:"job"`
	RunID         string `json:"run_id"`
	LogicalTime   string `json:"logical_time"`
	Reference     struct {
		Rows int64 `json:"rows"`
	} `json:"reference"`
	Current struct {
		Rows   int64 `json:"rows"`
		Window struct {
			Start, End string
		} `json:"window"`
	} `json:"current"`
	DatasetDrift struct {
		Drifted        bool    `json:"drifted"`
		Share          float64 `json:"share"`
		DriftedColumns int     `json:"drifted_columns"`
		Columns        int     `json:"columns"`
	} `json:"dataset_drift"`
	Columns []struct {
		Name    string `json:"name"`
		Kind    string `json:"kind"`
		Role    string `json:"role"`
		Drifted bool   `json:"drifted"`
		Method  string `json:"method"`
		Status  string `json:"status"`
		Tests   []struct {
			Method    string   `json:"method"`
			Statistic *float64 `json:"statistic"`
			PValue    *float64 `json:"p_value"`
		} `json:"tests"`
	} `json:"columns"`
	Quality []struct {
		Type   string `json:"type"`
		Column string `json:"column"`
	} `json:"quality"`
	Correlations json.RawMessage `json:"correlations"`
	Multivariate json.RawMessage `json:"multivariate"`
}

func (r *report) column(name string) (drifted bool, method string, ok bool) {
	for _, c := range r.Columns {
		if c.Name == name {
			return c.Drifted, c.Method, true
		}
	}
	return false, "", false
}

func (r *report) hasFinding(typ, col string) bool {
	for _, f := range r.Quality {
		if f.Type == typ && f.Column == col {
			return true
		}
	}
	return false
}

func TestRun_Demo(t *testing.T) {
	dir := writeConfig(t, demoConfig)
	res := run(t, dir, []string{"DEMO=" + demoDir}, "run", "--config", "config.yaml", "--at", "2026-11-27T00:00:00Z")
	if res.code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", res.code, res.stdout, res.stderr)
	}
	var sum struct {
		Status string `json:"status"`
		Jobs   []struct {
			Job, RunID, Status string
			Reports            []string `json:"reports"`
		} `json:"jobs"`
	}
	if err := json.Unmarshal([]byte(lastLine(res.stdout)), &sum); err != nil {
		t.Fatalf("last stdout line is not JSON: %v\n%s", err, lastLine(res.stdout))
	}
	if len(sum.Jobs) != 1 || sum.Jobs[0].Job != "churn-daily" || len(sum.Jobs[0].Reports) != 2 {
		t.Fatalf("summary = %+v, want one job with two report files", sum)
	}
	if html := filepath.Join(dir, "out", "churn-daily", "2026-11-27.html"); sum.Jobs[0].Reports[1] != html {
		t.Errorf("second report %s, want %s", sum.Jobs[0].Reports[1], html)
	}
	want := filepath.Join(dir, "out", "churn-daily", "2026-11-27.json")
	if sum.Jobs[0].Reports[0] != want {
		t.Errorf("report path %s, want %s", sum.Jobs[0].Reports[0], want)
	}
	b, err := os.ReadFile(want)
	if err != nil {
		t.Fatal(err)
	}
	var rep report
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.SchemaVersion != 1 || rep.RunID != "churn-daily-20261127T000000Z" || rep.LogicalTime != "2026-11-27T00:00:00Z" {
		t.Errorf("report header = %d %s %s", rep.SchemaVersion, rep.RunID, rep.LogicalTime)
	}
	if rep.Reference.Rows != 20000 || rep.Current.Rows != 5000 {
		t.Errorf("rows = %d / %d, want 20000 / 5000 (one day of the live log)", rep.Reference.Rows, rep.Current.Rows)
	}
	if rep.Current.Window.Start != "2026-11-26T00:00:00Z" || rep.Current.Window.End != "2026-11-27T00:00:00Z" {
		t.Errorf("current window = %+v", rep.Current.Window)
	}
	// injected drift: income and channel drift; age and credit_score do not
	for name, want := range map[string]bool{"income": true, "channel": true, "age": false, "credit_score": false} {
		d, _, ok := rep.column(name)
		if !ok || d != want {
			t.Errorf("column %s drifted = %v (present %v), want %v", name, d, ok, want)
		}
	}
	if _, _, ok := rep.column("request_id"); ok {
		t.Error("id column was tested")
	}
	if !rep.hasFinding("missing_share_increase", "balance") {
		t.Error("no missing_share_increase finding for balance")
	}
	if !rep.hasFinding("unseen_categories", "country") {
		t.Error("no unseen_categories finding for country")
	}
	// the same run again replaces the same file (idempotent per run id)
	res2 := run(t, dir, []string{"DEMO=" + demoDir}, "run", "--config", "config.yaml", "--at", "2026-11-27", "--quiet")
	if res2.code != 0 || strings.Count(strings.TrimSpace(res2.stdout), "\n") != 0 {
		t.Fatalf("quiet re-run: exit %d, stdout %q", res2.code, res2.stdout)
	}
	b2, _ := os.ReadFile(want)
	if !bytes.Equal(b, b2) {
		t.Error("re-run of the same logical time wrote a different report")
	}
}

func TestRun_FailOnDrift(t *testing.T) {
	dir := writeConfig(t, demoConfig)
	res := run(t, dir, []string{"DEMO=" + demoDir}, "run", "--config", "config.yaml", "--at", "2026-11-27", "--fail-on-drift", "--quiet")
	var sum struct{ Status string }
	json.Unmarshal([]byte(lastLine(res.stdout)), &sum)
	want := 0
	if sum.Status == "drift" {
		want = 3
	}
	if res.code != want {
		t.Fatalf("exit %d with status %q, want %d", res.code, sum.Status, want)
	}
}

func TestCompare_Formats(t *testing.T) {
	ref := filepath.Join(demoDir, "reference")
	cur := filepath.Join(demoDir, "live", "dt=2026-11-26")
	res := run(t, t.TempDir(), nil, "compare", "--reference", ref, "--current", cur, "--id", "request_id", "--timestamp", "ts", "--preset", "evidently")
	if res.code != 0 {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	var rep report
	if err := json.Unmarshal([]byte(res.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if d, m, _ := rep.column("income"); !d || m != "wasserstein" {
		t.Errorf("income = %v/%s, want drifted by wasserstein (evidently preset, > 1000 rows)", d, m)
	}
	if _, m, _ := rep.column("channel"); m != "jensen_shannon" {
		t.Errorf("channel method = %s, want jensen_shannon", m)
	}
	if len(rep.Correlations) != 0 || len(rep.Multivariate) != 0 {
		t.Errorf("compare without --checks computed correlations or multivariate drift")
	}
	res = run(t, t.TempDir(), nil, "compare", "--reference", ref, "--current", cur, "--id", "request_id", "--timestamp", "ts", "--checks", "all")
	rep = report{}
	if err := json.Unmarshal([]byte(res.stdout), &rep); err != nil || res.code != 0 {
		t.Fatalf("--checks all: exit %d, %v: %s", res.code, err, res.stderr)
	}
	if len(rep.Correlations) < 10 || len(rep.Multivariate) < 10 {
		t.Errorf("--checks all: correlations %q, multivariate %q", rep.Correlations, rep.Multivariate)
	}
	if res = run(t, t.TempDir(), nil, "compare", "--reference", ref, "--current", cur, "--checks", "corr"); res.code != 2 {
		t.Errorf("--checks corr: exit %d, want 2", res.code)
	}
	res = run(t, t.TempDir(), nil, "compare", "--reference", ref, "--current", cur, "--format", "text", "--columns", "income,channel")
	if res.code != 0 || !strings.Contains(res.stdout, "income") || !strings.Contains(res.stdout, "DRIFT") || strings.Contains(res.stdout, "credit_score") {
		t.Fatalf("text output (exit %d):\n%s\n%s", res.code, res.stdout, res.stderr)
	}
	res = run(t, t.TempDir(), nil, "compare", "--reference", ref, "--current", cur, "--method", "ks,psi", "--columns", "age,channel")
	if res.code != 0 {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	rep = report{}
	json.Unmarshal([]byte(res.stdout), &rep)
	for _, c := range rep.Columns {
		var got []string
		for _, tr := range c.Tests {
			got = append(got, tr.Method)
		}
		want := "ks,psi"
		if c.Kind == "categorical" {
			want = "psi"
		}
		if strings.Join(got, ",") != want {
			t.Errorf("%s (%s) tests = %v, want %s", c.Name, c.Kind, got, want)
		}
	}
}

func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	ref := filepath.Join(demoDir, "reference", "train.parquet")
	notParquet := filepath.Join(dir, "notes.parquet")
	os.WriteFile(notParquet, []byte("this is not a parquet file at all"), 0o644)
	whole, _ := os.ReadFile(ref)
	truncated := filepath.Join(dir, "truncated.parquet")
	os.WriteFile(truncated, whole[:len(whole)/2], 0o644)
	cases := []struct {
		name string
		args []string
		code int
		want string // in stderr
	}{
		{"no args", nil, 2, "Usage"},
		{"unknown command", []string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{"unknown flag", []string{"compare", "--bogus"}, 2, "flag provided but not defined"},
		{"missing flags", []string{"compare", "--reference", ref}, 2, "--current are required"},
		{"unknown method", []string{"compare", "--reference", ref, "--current", ref, "--method", "ks,nope"}, 2, `unknown method "nope" (valid: ks, wasserstein, psi`},
		{"bad format", []string{"compare", "--reference", ref, "--current", ref, "--format", "xml"}, 2, "--format"},
		{"missing file", []string{"compare", "--reference", ref, "--current", filepath.Join(dir, "nope.parquet")}, 1, "nope.parquet"},
		{"not parquet", []string{"compare", "--reference", ref, "--current", notParquet}, 1, "notes.parquet"},
		{"truncated", []string{"compare", "--reference", ref, "--current", truncated}, 1, "truncated.parquet"},
		{"unknown column", []string{"compare", "--reference", ref, "--current", ref, "--columns", "incme"}, 1, "incme"},
		{"missing config", []string{"run", "--config", filepath.Join(dir, "none.yaml")}, 2, "none.yaml"},
		{"validate ok", []string{"validate", "--config", "../../config.yaml", "--at", "2026-11-27"}, -1, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := run(t, ".", []string{"DRIFTWATCH_DEMO_DATA=" + demoDir}, tc.args...)
			if tc.code == -1 {
				if res.code != 0 {
					t.Fatalf("exit %d: %s", res.code, res.stderr)
				}
				return
			}
			if res.code != tc.code || !strings.Contains(res.stderr, tc.want) {
				t.Fatalf("exit %d, stderr:\n%s\nwant exit %d and %q", res.code, res.stderr, tc.code, tc.want)
			}
		})
	}
}

// TestRun_NoPartialReport: a run whose current data is corrupt fails with exit 1 and
// leaves no report file behind.
func TestRun_NoPartialReport(t *testing.T) {
	dir := writeConfig(t, strings.ReplaceAll(demoConfig, "${DEMO}/live", "bad"))
	os.MkdirAll(filepath.Join(dir, "bad"), 0o755)
	whole, _ := os.ReadFile(filepath.Join(demoDir, "reference", "train.parquet"))
	os.WriteFile(filepath.Join(dir, "bad", "part-0.parquet"), whole[:len(whole)-100], 0o644)
	res := run(t, dir, []string{"DEMO=" + demoDir}, "run", "--config", "config.yaml", "--at", "2026-11-27")
	if res.code != 1 {
		t.Fatalf("exit %d, want 1\n%s", res.code, res.stderr)
	}
	if !strings.Contains(res.stderr, "part-0.parquet") {
		t.Errorf("error does not name the file:\n%s", res.stderr)
	}
	var sum struct{ Status string }
	if err := json.Unmarshal([]byte(lastLine(res.stdout)), &sum); err != nil || sum.Status != "failed" {
		t.Errorf("summary line %q: status %q, want failed", lastLine(res.stdout), sum.Status)
	}
	if _, err := os.Stat(filepath.Join(dir, "out")); !os.IsNotExist(err) {
		t.Errorf("out/ exists after a failed run: %v", err)
	}
}
