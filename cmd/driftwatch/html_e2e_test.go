package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCompare_HTML: compare --format html prints one self-contained page for the demo
// data, with a picture per tested column.
func TestCompare_HTML(t *testing.T) {
	ref := filepath.Join(demoDir, "reference")
	cur := filepath.Join(demoDir, "live", "dt=2026-11-26")
	res := run(t, t.TempDir(), nil, "compare", "--reference", ref, "--current", cur, "--format", "html",
		"--id", "request_id", "--timestamp", "ts", "--target", "churned", "--prediction", "prediction")
	if res.code != 0 {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	html := res.stdout
	if !strings.HasPrefix(html, "<!DOCTYPE html>") || !strings.HasSuffix(strings.TrimSpace(html), "</html>") {
		t.Fatalf("not one HTML document: %.80q", html)
	}
	for _, want := range []string{`<h1 id="job">compare</h1>`, `<tr data-name="income">`, `<tr data-name="channel">`,
		`aria-label="histogram of reference and current"`, `aria-label="category shares of reference and current"`,
		`class="label unseen">SE</text>`, "missing share increase"} {
		if !strings.Contains(html, want) {
			t.Errorf("compare --format html: no %q", want)
		}
	}
	if len(html) > 1<<20 {
		t.Errorf("the demo page is %d bytes", len(html))
	}
}

// TestRun_HTMLSink: a file sink with format [json, html] writes both files for a run;
// the summary line names the JSON file.
func TestRun_HTMLSink(t *testing.T) {
	cfg := strings.Replace(demoConfig, `{type: file, path: "out/{job}/{logical_date}.json"}`,
		`{type: file, path: "out/{job}/{logical_date}.json", format: [json, html]}`, 1)
	dir := writeConfig(t, cfg)
	res := run(t, dir, []string{"DEMO=" + demoDir}, "run", "--config", "config.yaml", "--at", "2026-11-27T00:00:00Z")
	if res.code != 0 {
		t.Fatalf("exit %d: %s\n%s", res.code, res.stdout, res.stderr)
	}
	if !strings.Contains(lastLine(res.stdout), filepath.Join("out", "churn-daily", "2026-11-27.json")) {
		t.Errorf("summary line does not name the JSON report: %s", lastLine(res.stdout))
	}
	b, err := os.ReadFile(filepath.Join(dir, "out", "churn-daily", "2026-11-27.html"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(b), "<!DOCTYPE html>") || !strings.Contains(string(b), `<h1 id="job">churn-daily</h1>`) ||
		!strings.Contains(string(b), "[2026-11-26, 2026-11-27)") {
		t.Errorf("the HTML report is not the run's: %.200q", b)
	}
	if _, err := os.Stat(filepath.Join(dir, "out", "churn-daily", "2026-11-27.json")); err != nil {
		t.Errorf("no JSON report beside the HTML: %v", err)
	}
}
