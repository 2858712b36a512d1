package htmlreport

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	stdhtml "html"
	"math"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/driftwatch/driftwatch/pipeline"
)

func num(x float64) pipeline.Num   { return pipeline.Num(x) }
func nump(x float64) *pipeline.Num { return pipeline.NumPtr(x) }
func numsOf(x ...float64) []pipeline.Num {
	out := make([]pipeline.Num, len(x))
	for i, v := range x {
		out[i] = pipeline.Num(v)
	}
	return out
}

// testReport is a hand-built report with one column of each shape the page draws.
func testReport() *pipeline.Report {
	at := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	ws, we := at.Add(-24*time.Hour), at
	edges := numsOf(-3.1, -3, -2, -1, 0, 1, 2, 3, 4)
	return &pipeline.Report{
		SchemaVersion: 1, Job: "churn-daily", RunID: "churn-daily-20261127T000000Z", LogicalTime: &at, Preset: "evidently",
		Reference:    pipeline.DatasetInfo{Rows: 20000, Source: "parquet demo/reference"},
		Current:      pipeline.DatasetInfo{Rows: 5000, Source: "parquet demo/live", Window: &pipeline.WindowJSON{Start: &ws, End: &we}},
		DatasetDrift: pipeline.DatasetDrift{Drifted: true, Share: 0.6, Threshold: 0.5, DriftedColumns: 3, Columns: 5},
		Columns: []pipeline.ColumnReport{
			{Name: "age", Kind: pipeline.KindNumeric, Role: pipeline.RoleFeature, Method: "ks", Status: "ok",
				Tests:     []pipeline.TestResult{{Method: "ks", Statistic: 0.0421, PValue: 0.31, Threshold: 0.05}},
				Reference: pipeline.ColumnSummary{Count: 900, Missing: 100, MissingShare: 0.1, Distinct: 60, Mean: nump(41.5), Std: nump(12.25), Min: nump(18), Max: nump(90), Quantiles: numsOf(22, 31, 41, 52, 66)},
				Current:   pipeline.ColumnSummary{Count: 950, Missing: 50, MissingShare: 0.05, Distinct: 58, Mean: nump(42.1), Std: nump(12.5), Min: nump(18), Max: nump(91), Quantiles: numsOf(22, 32, 42, 53, 67)}},
			{Name: "income", Kind: pipeline.KindNumeric, Role: pipeline.RoleFeature, Drifted: true, Method: "ks", Status: "ok",
				Tests: []pipeline.TestResult{{Method: "ks", Statistic: 0.2314, PValue: 1.234e-5, Threshold: 0.05, Drifted: true},
					{Method: "psi", Statistic: 0.25, PValue: num(math.NaN()), Threshold: 0.1, Drifted: true, Binning: "reference_deciles", Bins: 10}},
				Reference: pipeline.ColumnSummary{Count: 1000, MissingShare: 0, Distinct: 1000, Mean: nump(47490.25), Std: nump(25057), Min: nump(6984), Max: nump(283182.4),
					Quantiles: numsOf(18739, 29970, 42044, 58916, 95100),
					Histogram: &pipeline.Histogram{Edges: edges, Counts: []int64{10, 50, 150, 290, 290, 150, 50, 10}}},
				Current: pipeline.ColumnSummary{Count: 1000, MissingShare: 0, Distinct: 1000, Mean: nump(57874), Std: nump(31568), Min: nump(8535), Max: nump(360000),
					Quantiles: numsOf(22383, 36101, 51103, 71716, 116700),
					Histogram: &pipeline.Histogram{Edges: edges, Counts: []int64{0, 10, 40, 150, 290, 290, 170, 50}}}},
			{Name: "channel", Kind: pipeline.KindCategorical, Role: pipeline.RoleFeature, Drifted: true, Method: "jensen_shannon", Status: "ok",
				Tests: []pipeline.TestResult{{Method: "jensen_shannon", Statistic: 0.1927, PValue: num(math.NaN()), Threshold: 0.1, Drifted: true, Binning: "per_category", Bins: 5}},
				Reference: pipeline.ColumnSummary{Count: 1000, MissingShare: 0, Distinct: 4, Top: []pipeline.CategoryCount{{Value: "web", Count: 400}, {Value: "app", Count: 300}},
					Histogram: &pipeline.Histogram{Labels: []string{"web", "app", "branch", "kiosk"}, Counts: []int64{400, 300, 200, 0}, Other: 100}},
				Current: pipeline.ColumnSummary{Count: 1000, MissingShare: 0, Distinct: 4, Top: []pipeline.CategoryCount{{Value: "app", Count: 466}},
					Histogram: &pipeline.Histogram{Labels: []string{"web", "app", "branch", "kiosk"}, Counts: []int64{394, 466, 0, 40}, Other: 100}}},
			{Name: "balance", Kind: pipeline.KindNumeric, Role: pipeline.RoleFeature, Drifted: true, Method: "wasserstein", Status: "ok",
				Tests:     []pipeline.TestResult{{Method: "wasserstein", Statistic: 0.123, PValue: num(math.NaN()), Threshold: 0.1, Drifted: true}},
				Reference: pipeline.ColumnSummary{Count: 920, Missing: 80, MissingShare: 0.08},
				Current:   pipeline.ColumnSummary{Count: 690, Missing: 310, MissingShare: 0.31}},
			{Name: "signup", Kind: pipeline.KindDatetime, Role: pipeline.RoleFeature, Status: "skipped", Reason: "datetime column: not tested for drift unless listed under features", Tests: []pipeline.TestResult{}},
			{Name: "churned", Kind: pipeline.KindBoolean, Role: pipeline.RoleTarget, Method: "z", Status: "ok",
				Tests:     []pipeline.TestResult{{Method: "z", Statistic: 1.2, PValue: 0.23, Threshold: 0.05}},
				Reference: pipeline.ColumnSummary{Count: 1000, Histogram: &pipeline.Histogram{Edges: numsOf(-0.5, -0.5, 0.5, 1.5, 1.5), Counts: []int64{0, 800, 200, 0}}},
				Current:   pipeline.ColumnSummary{Count: 1000, Histogram: &pipeline.Histogram{Edges: numsOf(-0.5, -0.5, 0.5, 1.5, 1.5), Counts: []int64{0, 780, 220, 0}}}},
			{Name: "prediction", Kind: pipeline.KindNumeric, Role: pipeline.RolePrediction, Status: pipeline.StatusInsufficientData, Reason: "no non-missing values in the current", Tests: []pipeline.TestResult{}},
		},
		Correlations: map[string]any{
			"columns": []string{"age", "income", "balance"},
			"pearson": map[string]any{
				"reference":    [][]float64{{1, 0.5, -0.2}, {0.5, 1, 0.1}, {-0.2, 0.1, 1}},
				"current":      [][]float64{{1, 0.1, -0.2}, {0.1, 1, 0.3}, {-0.2, 0.3, 1}},
				"max_abs_diff": 0.4, "max_abs_pair": []string{"age", "income"},
			},
			"drifted": true, "threshold": 0.25,
		},
		Performance: map[string]any{
			"task": "classification", "degraded": true, "label_coverage": 0.83,
			"reference": map[string]any{"accuracy": 0.91, "f1": 0.71}, "current": map[string]any{"accuracy": 0.84, "f1": 0.52, "log_loss": nil},
			"metrics": map[string]any{
				"accuracy": map[string]any{"reference": 0.91, "current": 0.84, "degraded": false},
				"f1":       map[string]any{"reference": 0.71, "current": 0.52, "degraded": true},
			},
		},
		Model: map[string]any{"trained_at": "2026-11-14T12:00:00Z", "age_days": 12.5, "source": "config"},
		Quality: []pipeline.Finding{
			{Type: "unseen_categories", Column: "channel", Severity: pipeline.SeverityInfo, Message: `0.4% of current rows have categories the reference never had: ["kiosk"]`, Value: nump(0.004), ReferenceValue: nump(0)},
			{Type: "missing_share_increase", Column: "balance", Severity: pipeline.SeverityError, Message: "missing share 8.0% → 31.0%", Value: nump(0.31), ReferenceValue: nump(0.08)},
		},
		Triggers: []pipeline.Decision{},
	}
}

func render(t *testing.T, r *pipeline.Report, opt Options) string {
	t.Helper()
	var b bytes.Buffer
	if err := Write(&b, r, opt); err != nil {
		t.Fatalf("Write: %v", err)
	}
	return b.String()
}

// section returns the HTML from the element with id to the end of its <section>.
func sectionOf(t *testing.T, html, id string) string {
	t.Helper()
	i := strings.Index(html, `id="`+id+`"`)
	if i < 0 {
		t.Fatalf("no element with id %q", id)
	}
	j := strings.Index(html[i:], "</section>")
	if j < 0 {
		t.Fatalf("element %q is not in a section", id)
	}
	return html[i : i+j]
}

func mustContain(t *testing.T, where, html string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(html, w) {
			t.Errorf("%s: no %q", where, w)
		}
	}
}

// TestWrite_Structure: the elements of the page are present, in order, with their
// numbers formatted.
func TestWrite_Structure(t *testing.T) {
	html := render(t, testReport(), Options{})
	if !strings.HasPrefix(html, "<!DOCTYPE html>") || !strings.HasSuffix(strings.TrimSpace(html), "</html>") {
		t.Errorf("not a whole HTML document: %.60q … %.30q", html, html[max(0, len(html)-30):])
	}
	order := []string{`<title>driftwatch · churn-daily</title>`, `id="summary"`, `id="findings"`, `id="columns"`,
		`id="correlations"`, `id="s-performance"`, `id="s-model"`, `id="details"`}
	last := -1
	for _, o := range order {
		i := strings.Index(html, o)
		if i < 0 || i < last {
			t.Errorf("%s at %d, want after %d", o, i, last)
		}
		last = i
	}

	summary := sectionOf(t, html, "summary")
	mustContain(t, "header", html, `<header class="top bad">`, "Dataset drift", "3 of 5 feature columns drifted (60%; threshold 50%)",
		"2026-11-27", "churn-daily-20261127T000000Z")
	mustContain(t, "summary", summary,
		`<div class="label">Dataset</div><div class="value">Drift</div>`,
		`<div class="label">Target drift</div><div class="value">No drift</div><div class="note">churned: ok (z p = 0.23 ≥ 0.05)</div>`,
		`<div class="label">Prediction drift</div><div class="value">not measured</div>`,
		`<div class="label">Model quality</div><div class="value">Degraded</div><div class="note">task classification · label coverage 83%</div>`,
		`<div class="label">Model age</div><div class="value">12.5 days</div><div class="note">trained 2026-11-14 12:00Z</div>`,
		`<div class="label">Data quality</div><div class="value">2 findings</div><div class="note">1 error · 0 warnings · 1 info</div>`,
		`<td class="num">20,000</td><td>all rows</td>`, `<td class="num">5,000</td><td>[2026-11-26, 2026-11-27)</td>`)

	// Findings: errors first, with their values.
	f := sectionOf(t, html, "findings")
	if strings.Index(f, "missing share increase") > strings.Index(f, "unseen categories") {
		t.Errorf("findings: the error is not first:\n%s", f)
	}
	mustContain(t, "findings", f, `<span class="sev error">error</span>`, `<td class="num">0.08 → 0.31</td>`)

	// Generic sections: an object of objects is one table; scalars formatted.
	perf := sectionOf(t, html, "s-performance")
	mustContain(t, "performance", perf, `<table class="grid"><thead><tr><th></th><th>current</th><th>degraded</th><th>reference</th></tr>`,
		`<tr><th>accuracy</th><td class="num">0.84</td><td>no</td><td class="num">0.91</td></tr>`, "<th>label coverage</th>",
		`<tr><th>reference → current</th><td><table class="grid"><thead><tr><th></th><th class="num">reference</th><th class="num">current</th><th class="num">current − reference</th></tr></thead><tbody><tr><th>accuracy</th><td class="num">0.91</td><td class="num">0.84</td><td class="num">-0.07</td></tr>`,
		`<tr><th>log loss</th><td class="num"></td><td class="num">–</td><td class="num"></td></tr>`)
	if strings.Contains(perf, "<th>current</th><td><table") {
		t.Error("performance: current listed apart from the reference")
	}

	// Columns table: drifted first (strongest first), then problems, ok, skipped.
	cols := sectionOf(t, html, "columns")
	var names []string
	for _, m := range regexp.MustCompile(`<tr data-name="([^"]*)">`).FindAllStringSubmatch(cols, -1) {
		names = append(names, m[1])
	}
	want := []string{"income", "channel", "balance", "prediction", "churned", "age", "signup"}
	if strings.Join(names, ",") != strings.Join(want, ",") {
		t.Errorf("column order = %v, want %v", names, want)
	}
	mustContain(t, "columns", cols,
		`<td class="num" data-v="3.60765" title="ks p = 1.23e-5 &lt; 0.05">p 1.23e-5</td>`,
		`<td class="num" data-v="0.284882" title="jensen_shannon 0.1927 ≥ 0.1">0.1927</td>`,
		`<span class="pill drift">drift</span>`, `<span class="pill warn">insufficient data</span>`, `<span class="pill skip">skipped</span>`,
		`<td class="num warn" data-v="0.31">8% → 31%</td>`, `<th data-t="n" class="num">score</th>`)
	if strings.Contains(cols, "<th>trend</th>") {
		t.Error("a trend column without history")
	}

	// Details: numeric → histogram (+ ECDF for ks), categorical → bars with new/gone,
	// missing shares, stats and tests tables.
	det := html[strings.Index(html, `id="details"`):]
	parts := strings.Split(det, `<details id="col-`)[1:]
	if len(parts) != 7 {
		t.Fatalf("%d column details, want 7", len(parts))
	}
	income, channel, balance := parts[0], parts[1], parts[2]
	mustContain(t, "income", income, `data-name="income" open>`, "Distribution (share of non-missing values per bin)",
		"Empirical CDFs (at the bin edges)", "KS D = 0.2314", "[-3, -2)", "reference 5% (50)", "current 1% (10)",
		"<th>mean</th><td class=\"num\">47,490</td><td class=\"num\">57,874</td>", `<tr class="deciding" title="the deciding method"><td>ks</td>`,
		"<td>10 (reference deciles)</td>", `aria-label="histogram of reference and current"`, "&lt;-3", "missing · current")
	if strings.Count(income, "<svg") != 3 { // histogram, ECDF, missing
		t.Errorf("income: %d plots, want 3", strings.Count(income, "<svg"))
	}
	mustContain(t, "channel", channel, "Top categories", `class="label unseen">kiosk</text>`, `>new</text>`,
		`class="label gone">branch</text>`, ">gone</text>", `class="label other">other</text>`, "40% → 39.4%", "0% → 4%")
	if strings.Contains(channel, "Empirical CDFs") {
		t.Error("channel: ECDF for a categorical column")
	}
	mustContain(t, "balance", balance, `<span class="miss warn">missing 8% → 31%</span>`, "missing share 8.0% → 31.0%")
	mustContain(t, "signup", parts[6], "datetime column: not tested", `<span class="pill skip">skipped</span>`)
	if strings.Contains(parts[6], "Distribution") {
		t.Error("signup: a histogram for a skipped column")
	}

	// Correlations: reference, current and the computed change.
	corr := sectionOf(t, html, "correlations")
	if n := strings.Count(corr, `<svg xmlns="http://www.w3.org/2000/svg" class="heat"`); n != 3 {
		t.Errorf("%d heatmaps, want 3", n)
	}
	mustContain(t, "correlations", corr, "pearson · change (current − reference)",
		`data-cols="[&#34;age&#34;,&#34;income&#34;,&#34;balance&#34;]"`, `data-m="[[0,-0.4,0],[-0.4,0,0.2],[0,0.2,0]]"`,
		"max abs diff: 0.4", "max abs pair: age × income", "heatmap above")
}

// TestWrite_SelfContained: nothing is loaded from elsewhere, and the Content-Security-Policy
// allows exactly the inline script.
func TestWrite_SelfContained(t *testing.T) {
	html := render(t, testReport(), Options{})
	for _, bad := range []string{" src=", "<link", "@import", "url(", `href="http`, "<iframe", "<object", "<embed"} {
		if strings.Contains(html, bad) {
			t.Errorf("the page contains %q", bad)
		}
	}
	if n := strings.Count(html, "<script"); n != 1 {
		t.Fatalf("%d script elements, want 1", n)
	}
	s := html[strings.Index(html, "<script>")+len("<script>") : strings.Index(html, "</script>")]
	h := sha256.Sum256([]byte(s))
	want := "script-src 'sha256-" + base64.StdEncoding.EncodeToString(h[:]) + "'"
	m := regexp.MustCompile(`<meta http-equiv="Content-Security-Policy" content="([^"]*)">`).FindStringSubmatch(html)
	if m == nil {
		t.Fatal("no Content-Security-Policy")
	}
	if policy := stdhtml.UnescapeString(m[1]); !strings.HasSuffix(policy, want) || !strings.HasPrefix(policy, "default-src 'none';") {
		t.Errorf("CSP = %q, want default-src 'none' … %s", policy, want)
	}
}

// hostile are names and labels that would run script if they were not escaped. The
// marker they would set (PWNED, data-pwned) never appears in them literally.
var hostile = []string{
	`<script>document.title='PW'+'NED'</script>`,
	`"><img src=x onerror="document.body.setAttribute('data-'+'pwned','1')">`,
	`</text><script>document.title='PW'+'NED'</script><text>`,
	`<svg onload="document.title='PW'+'NED'">`,
	`';document.title='PW'+'NED';//`,
	`</script><script>document.title='PW'+'NED'</script>`,
	`{{.Title}} <!-- x --> &amp; ]]>`,
	`javascript:document.title='PW'+'NED'`,
}

func hostileReport() *pipeline.Report {
	r := testReport()
	r.Job = hostile[0]
	r.Reference.Source = hostile[1]
	for i := range r.Columns {
		r.Columns[i].Name = hostile[i%len(hostile)] + " " + r.Columns[i].Name
	}
	ch := &r.Columns[2]
	ch.Reference.Histogram.Labels = hostile[2:6]
	ch.Current.Histogram.Labels = hostile[2:6]
	r.Quality[0].Message = hostile[3]
	r.Quality[0].Column = hostile[4]
	r.Correlations.(map[string]any)["columns"] = hostile[5:8]
	r.Model.(map[string]any)["trained_at"] = hostile[6]
	r.Performance.(map[string]any)["task"] = hostile[7]
	return r
}

// TestWrite_Escaping: hostile names and labels come out as text everywhere (element
// content, attributes, SVG text, the JSON in data- attributes).
func TestWrite_Escaping(t *testing.T) {
	html := render(t, hostileReport(), Options{History: []HistoryPoint{PointOf(hostileReport())}})
	if n := strings.Count(html, "<script"); n != 1 {
		t.Errorf("%d <script, want 1 (ours)", n)
	}
	for _, bad := range []string{"<img", "<svg onload", `onerror="`, "</text><script", "<!-- x -->", `href="javascript`} {
		if strings.Contains(html, bad) {
			t.Errorf("unescaped %q in the page", bad)
		}
	}
	mustContain(t, "page", html,
		"<h1 id=\"job\">&lt;script&gt;document.title=&#39;PW&#39;&#43;&#39;NED&#39;&lt;/script&gt;</h1>",
		`&lt;/text&gt;&lt;script&gt;document.title=&#39;PW&#39;+&#39;NED&#39;&lt;/script&gt;&lt;text&gt;`, // SVG text (HTMLEscapeString)
		`&#34;&gt;&lt;img src=x onerror=&#34;document.body.setAttribute(`,
		"{{.Title}} &lt;!-- x --&gt; &amp;amp; ]]&gt;")
	if !strings.Contains(html, `data-cols="[&#34;&lt;/script&gt;&lt;script&gt;`) && !strings.Contains(html, `data-cols="[&#34;\u003c/script\u003e`) {
		t.Errorf("the heatmap's column JSON is not escaped in its attribute")
	}
}

// TestWrite_History: with history the page has the dataset trend and a trend column.
func TestWrite_History(t *testing.T) {
	r := testReport()
	var hist []HistoryPoint
	for i := 3; i >= 1; i-- {
		h := PointOf(r)
		h.LogicalTime = r.LogicalTime.AddDate(0, 0, -i)
		h.Share, h.Drifted = 0.2*float64(3-i), false
		hist = append(hist, h)
	}
	html := render(t, r, Options{History: hist})
	mustContain(t, "summary", sectionOf(t, html, "summary"), "Share of drifted columns over the last runs",
		`aria-label="share of drifted columns over the last runs"`, "2026-11-24: 0% drifted", "2026-11-27: 60% drifted · drift (this run)")
	cols := sectionOf(t, html, "columns")
	mustContain(t, "columns", cols, "<th>trend</th>", `class="spark"`, "2026-11-24: ks p 1.23e-5 · drift")
	if n := strings.Count(cols, `class="spark"`); n != 5 { // the columns with a deciding test
		t.Errorf("%d sparklines, want 5", n)
	}
}

// TestWrite_FindingsFold: past ten findings the rest folds away, errors and warnings first.
func TestWrite_FindingsFold(t *testing.T) {
	r := testReport()
	r.Quality = nil
	for i := range 15 {
		r.Quality = append(r.Quality, pipeline.Finding{Type: "out_of_range", Column: fmt.Sprint("c", i), Severity: pipeline.SeverityInfo, Message: "m"})
	}
	r.Quality = append(r.Quality, pipeline.Finding{Type: "all_null", Column: "e", Severity: pipeline.SeverityError, Message: "m"})
	f := sectionOf(t, render(t, r, Options{}), "findings")
	main, more, ok := strings.Cut(f, `<details class="more"><summary>6 more findings</summary>`)
	if !ok {
		t.Fatalf("no fold of 6 findings:\n%s", f)
	}
	if n := strings.Count(main, "<tr><td>"); n != 10 || !strings.Contains(main, `<tr><td><span class="sev error">`) {
		t.Errorf("%d findings in view, want 10 with the error", n)
	}
	if n := strings.Count(more, "<tr><td>"); n != 6 {
		t.Errorf("%d folded findings, want 6", n)
	}
}

// TestWrite_Minimal: an empty report renders; a nil report is an error.
func TestWrite_Minimal(t *testing.T) {
	html := render(t, &pipeline.Report{Job: "j", DatasetDrift: pipeline.DatasetDrift{Share: num(math.NaN()), Threshold: 0.5}}, Options{Title: "T"})
	mustContain(t, "page", html, "<title>T</title>", "No dataset drift", "0 of 0 feature columns drifted (–; threshold 50%)",
		"ad-hoc comparison", `<div class="label">Model age</div><div class="value">unknown</div>`)
	for _, absent := range []string{`id="findings"`, `id="correlations"`, `id="s-`} {
		if strings.Contains(html, absent) {
			t.Errorf("empty report has %s", absent)
		}
	}
	if err := Write(&bytes.Buffer{}, nil, Options{}); err == nil {
		t.Error("Write(nil report) = nil error")
	}
}

// TestWrite_BadHistograms: histograms that do not fit (lengths, non-finite edges) are
// left out, never a panic.
func TestWrite_BadHistograms(t *testing.T) {
	r := testReport()
	inc := &r.Columns[1]
	inc.Reference.Histogram.Counts = inc.Reference.Histogram.Counts[:3]
	ch := &r.Columns[2]
	ch.Current.Histogram.Labels = []string{"only"}
	age := &r.Columns[0]
	age.Reference.Histogram = &pipeline.Histogram{Edges: numsOf(0, math.NaN()), Counts: []int64{1}}
	age.Current.Histogram = &pipeline.Histogram{Edges: numsOf(5, 5), Counts: []int64{3}}
	html := render(t, r, Options{})
	det := strings.Split(html[strings.Index(html, `id="details"`):], `<details id="col-`)[1:]
	if strings.Contains(det[0], "Distribution") || strings.Contains(det[1], "Top categories") {
		t.Error("a plot from a histogram whose lengths do not match")
	}
}

func TestFormat(t *testing.T) {
	for _, tc := range []struct {
		got, want string
	}{
		{fmtNum(0.23141), "0.2314"}, {fmtNum(12.345), "12.35"}, {fmtNum(4749.2), "4749"}, {fmtNum(47490.25), "47,490"},
		{fmtNum(-1234567.8), "-1,234,568"}, {fmtNum(1.234e-5), "1.23e-5"}, {fmtNum(3.4e15), "3.4e+15"}, {fmtNum(0), "0"},
		{fmtNum(math.NaN()), "–"}, {fmtNum(math.Inf(1)), "–"}, {fmtNum(1e-300), "1e-300"},
		{fmtPct(0.31), "31%"}, {fmtPct(0.0821), "8.2%"}, {fmtPct(0.0004), "0.04%"}, {fmtPct(0), "0%"}, {fmtPct(math.NaN()), "–"},
		{fmtInt(1234567), "1,234,567"}, {fmtInt(-1000), "-1,000"}, {fmtInt(999), "999"},
		{fmtTime(time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)), "2026-11-27"},
		{fmtTime(time.Date(2026, 11, 27, 6, 30, 0, 0, time.UTC)), "2026-11-27 06:30Z"},
		{fmtTick(1764201600, true, 86400), "2025-11-27"}, {fmtTick(2.5, false, 0.5), "2.5"}, {fmtTick(0.30000000000000004, false, 0.1), "0.3"},
		{sortKey(math.NaN()), ""}, {sortKey(math.Inf(1)), "1e308"}, {sortKey(0.25), "0.25"},
		{ellipsis("abcdef", 4), "abc…"}, {ellipsis("äöü", 3), "äöü"},
		{heatColor(0), "#f7f7f7"}, {heatColor(10), "#b2182b"}, {heatColor(-10), "#2166ac"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

// TestStrength: how far past the threshold, on one log scale for both directions.
func TestStrength(t *testing.T) {
	for _, tc := range []struct {
		method    string
		score, th float64
		want      float64
	}{
		{"ks", 0.005, 0.05, 1}, {"ks", 0.5, 0.05, -1}, {"wasserstein", 1, 0.1, 1}, {"psi", 0.01, 0.1, -1},
		{"ks", 0, 0.05, 300}, {"ks", math.NaN(), 0.05, math.NaN()}, {"psi", 0.1, 0, math.NaN()},
	} {
		got := strength(tc.method, tc.score, tc.th)
		if !(math.Abs(got-tc.want) < 1e-12 || math.IsNaN(got) && math.IsNaN(tc.want)) {
			t.Errorf("strength(%s, %v, %v) = %v, want %v", tc.method, tc.score, tc.th, got, tc.want)
		}
	}
}

// TestGeneric: key order is kept, objects of objects become one table, matrices grids,
// long lists are cut.
func TestGeneric(t *testing.T) {
	n, err := parseJSON([]byte(`{"z": 1, "a": {"x": {"p": 1.5, "q": "s"}, "y": {"p": 2}}, "m": [[1, null], [0.5, 1]], "l": [` + strings.Repeat("1,", 70) + `1], "e": []}`))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(n.keys, ",") != "z,a,m,l,e" {
		t.Errorf("keys = %v, want the document's order", n.keys)
	}
	got := string(renderGeneric(n))
	mustContain(t, "generic", got, `<tr><th>z</th><td class="num">1</td></tr>`,
		`<table class="grid"><thead><tr><th></th><th>p</th><th>q</th></tr></thead><tbody><tr><th>x</th><td class="num">1.5</td><td>s</td></tr><tr><th>y</th><td class="num">2</td><td></td></tr>`,
		`<table class="matrix"><tr><td class="num">1</td><td class="num">–</td></tr>`, ", … (11 more)", "<tr><th>e</th><td>–</td></tr>")
	if _, err := parseJSON([]byte(`{"a": 1} x`)); err == nil {
		t.Error("parseJSON accepted trailing data")
	}
}

// TestHistogramSVG: datetime axes are dates, tails appear only when they hold values,
// and every bin has a tooltip with its exact range and counts.
func TestHistogramSVG(t *testing.T) {
	day := 86400.0
	start := float64(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).Unix())
	edges := []float64{start - 3*day, start}
	for k := 1; k <= 26; k++ {
		edges = append(edges, start+float64(k)*day)
	}
	edges = append(edges, start+26*day)
	ref, cur := make([]int64, len(edges)-1), make([]int64, len(edges)-1)
	for i := range ref {
		ref[i], cur[i] = 10, int64(i)
	}
	ref[0], cur[0], ref[len(ref)-1], cur[len(cur)-1] = 4, 0, 0, 0
	svg := string(histogramSVG(numericHist{edges: edges, ref: ref, cur: cur, datetime: true}))
	mustContain(t, "datetime", svg, ">2026-11-05<", ">&lt;2026-11-01<", "[2026-10-29, 2026-11-01)\nreference 1.5% (4)\ncurrent 0% (0)")
	if strings.Contains(svg, "&gt;2026") {
		t.Errorf("an upper tail without values is drawn")
	}
	if n := strings.Count(svg, "<title>"); n != 27 { // lower tail + 26 days
		t.Errorf("%d tooltips, want 27", n)
	}
	if got := histogramSVG(numericHist{edges: edges, ref: ref[:3]}); got != "" {
		t.Errorf("mismatched counts drew a plot")
	}
	one := string(histogramSVG(numericHist{edges: []float64{2.5, 2.5}, ref: []int64{7}, cur: []int64{3}}))
	mustContain(t, "constant", one, "[2.5, 2.5]\nreference 100% (7)\ncurrent 100% (3)")
}

// TestCards: a target without a test is not measured, performance without current labels
// has no verdict, and without a prediction column prediction drift is not measured.
func TestCards(t *testing.T) {
	r := testReport()
	r.Columns[5].Tests, r.Columns[5].Method, r.Columns[5].Status, r.Columns[5].Reason = nil, "", "skipped", "target not in the current data"
	r.Performance = map[string]any{"task": "classification", "reference": map[string]any{"accuracy": 0.8}, "current": map[string]any{}, "degraded": false, "label_coverage": 0}
	r.Columns = append(r.Columns[:6], r.Columns[7:]...) // drop the prediction column
	summary := sectionOf(t, render(t, r, Options{}), "summary")
	mustContain(t, "cards", summary,
		`<div class="label">Target drift</div><div class="value">not measured</div><div class="note">churned: skipped (target not in the current data)</div>`,
		`<div class="label">Model quality</div><div class="value">No labels yet</div><div class="note">task classification · label coverage 0%</div>`,
		`<div class="label">Prediction drift</div><div class="value">not measured</div><div class="note">no prediction column</div>`)
}
