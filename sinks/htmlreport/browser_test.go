package htmlreport

import (
	"context"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/driftwatch/driftwatch/pipeline"
)

// artifactDir is where the browser test keeps its page, DOM dump and screenshot:
// $DRIFTWATCH_ARTIFACTS/htmlreport, else out/test-artifacts/htmlreport at the module root
// (out/ is git-ignored).
func artifactDir(t *testing.T) string {
	t.Helper()
	base := os.Getenv("DRIFTWATCH_ARTIFACTS")
	if base == "" {
		base = filepath.Join("..", "..", "out", "test-artifacts")
	}
	dir, err := filepath.Abs(filepath.Join(base, "htmlreport"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

var (
	tagPattern  = regexp.MustCompile(`<([a-zA-Z][\w:-]*)((?:\s+[^\s=>/]+(?:="[^"]*")?)*)\s*/?>`)
	attrPattern = regexp.MustCompile(`\s([^\s=>/]+)(?:="([^"]*)")?`)
	ownHref     = regexp.MustCompile(`^#col-[0-9]+$`) // the table's links to the column details
)

// chromium returns the browser, or skips the test when it is missing outside CI.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium is not installed, and CI is set: .ci/run installs it (apt-get install -y chromium)")
	}
	t.Skip("chromium is not installed (apt-get install -y chromium); CI runs this test")
	return ""
}

// headless runs chromium on the file with the flags of the issue plus extra.
func headless(t *testing.T, bin, page string, extra ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	args := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
		"--user-data-dir=" + t.TempDir()}, extra...)
	cmd := exec.CommandContext(ctx, bin, append(args, "file://"+page)...)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %v: %v\n%s", extra, err, stderr.String())
	}
	return stdout.String()
}

// browserReport runs the pipeline on a table whose column names, category labels and
// source name are script injections.
func browserReport(t *testing.T) *pipeline.Report {
	t.Helper()
	r := rand.New(rand.NewPCG(1, 2))
	n := 3000
	num := func(mu float64) []float64 {
		x := make([]float64, n)
		for i := range x {
			x[i] = mu + r.NormFloat64()
		}
		return x
	}
	cats := func(labels []string, weights []float64) []string {
		out := make([]string, n)
		for i := range out {
			u, k := r.Float64(), 0
			for k < len(weights)-1 && u > weights[k] {
				u -= weights[k]
				k++
			}
			out[i] = labels[k]
		}
		return out
	}
	labels := []string{hostile[2], hostile[3], hostile[4], hostile[5], hostile[6], hostile[7]}
	ref := &pipeline.Table{Name: hostile[1], Columns: []pipeline.Column{
		{Name: hostile[0], Kind: pipeline.KindNumeric, Float64: num(0)},
		{Name: hostile[1], Kind: pipeline.KindNumeric, Float64: num(0)},
		pipeline.StringColumn(hostile[2], cats(labels[:5], []float64{.4, .3, .2, .1, 0}), nil),
		pipeline.StringColumn("plain", cats([]string{"a", "b"}, []float64{.5, .5}), nil),
	}}
	cur := &pipeline.Table{Name: hostile[3], Columns: []pipeline.Column{
		{Name: hostile[0], Kind: pipeline.KindNumeric, Float64: num(0.6)},
		{Name: hostile[1], Kind: pipeline.KindNumeric, Float64: num(0)},
		pipeline.StringColumn(hostile[2], cats(labels, []float64{.2, .2, .2, .1, .1, .2}), nil),
		pipeline.StringColumn("plain", cats([]string{"a", "b"}, []float64{.5, .5}), nil),
	}}
	at := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	rep, err := pipeline.Run(t.Context(), pipeline.Input{Reference: ref, Current: cur},
		pipeline.Options{Job: hostile[5], RunID: "browser", LogicalTime: at, Preset: "evidently"})
	if err != nil {
		t.Fatal(err)
	}
	rep.Correlations = map[string]any{"columns": []string{hostile[0], hostile[1], hostile[4]}, "pearson": map[string]any{
		"reference": [][]float64{{1, 0.2, 0.1}, {0.2, 1, -0.3}, {0.1, -0.3, 1}}, "current": [][]float64{{1, 0.6, 0.1}, {0.6, 1, 0.2}, {0.1, 0.2, 1}}}}
	rep.Model = map[string]any{"trained_at": hostile[6], "age_days": 12.5}
	return rep
}

// TestBrowser loads a report built from hostile names and labels in headless Chromium and
// checks from the dumped DOM that no injected script ran, that our own script did (under
// the Content-Security-Policy), and that the hostile text shows as text. It runs the page
// once more without the CSP, so that a hole in the escaping would execute, not just be
// blocked. The page, the DOM and a screenshot are kept in artifactDir.
func TestBrowser(t *testing.T) {
	bin := chromium(t)
	dir := artifactDir(t)
	rep := browserReport(t)
	hist := []HistoryPoint{}
	for i := 5; i >= 1; i-- {
		h := PointOf(rep)
		h.LogicalTime = rep.LogicalTime.AddDate(0, 0, -i)
		h.Share, h.Drifted = float64(5-i)/10, false
		for k, c := range h.Columns {
			c.Score *= float64(i)
			h.Columns[k] = c
		}
		hist = append(hist, h)
	}
	f, err := os.Create(filepath.Join(dir, "hostile.html"))
	if err != nil {
		t.Fatal(err)
	}
	if err := Write(f, rep, Options{History: hist}); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	page := f.Name()
	html, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	noCSP := filepath.Join(dir, "hostile-nocsp.html")
	i := strings.Index(string(html), `<meta http-equiv="Content-Security-Policy"`)
	j := i + strings.Index(string(html[i:]), ">") + 1
	if err := os.WriteFile(noCSP, append(html[:i:i], html[j:]...), 0o644); err != nil {
		t.Fatal(err)
	}

	for _, p := range []string{page, noCSP} {
		dom := headless(t, bin, p, "--dump-dom", "--virtual-time-budget=3000")
		if err := os.WriteFile(strings.TrimSuffix(p, ".html")+".dom.html", []byte(dom), 0o644); err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(p)
		if !strings.Contains(dom, `data-js="ready"`) {
			t.Errorf("%s: the page's own script did not run (no data-js=ready in the DOM)", name)
		}
		for _, marker := range []string{"PWNED", "data-pwned"} {
			if strings.Contains(dom, marker) {
				t.Errorf("%s: an injected script ran: %q in the DOM", name, marker)
			}
		}
		// Chromium's serialisation escapes < and > in text and attribute values, so
		// every "<" starts a real element: list them with their attributes.
		scripts := 0
		for _, m := range tagPattern.FindAllStringSubmatch(dom, -1) {
			tag := strings.ToLower(m[1])
			switch tag {
			case "script":
				scripts++
			case "img", "iframe", "object", "embed", "image", "foreignobject", "use":
				t.Errorf("%s: an injected <%s> is in the DOM: %.120s", name, tag, m[0])
			}
			for _, a := range attrPattern.FindAllStringSubmatch(m[2], -1) {
				attr := strings.ToLower(a[1])
				ownLink := tag == "a" && attr == "href" && ownHref.MatchString(a[2])
				if strings.HasPrefix(attr, "on") || (attr == "href" || attr == "src" || attr == "xlink:href") && !ownLink {
					t.Errorf("%s: <%s> has an injected %s attribute: %.120s", name, tag, attr, m[0])
				}
			}
		}
		if scripts != 1 {
			t.Errorf("%s: %d script elements in the DOM, want 1 (ours)", name, scripts)
		}
		// The payloads are there, as text.
		for _, text := range []string{
			"&lt;script&gt;document.title='PW'+'NED'&lt;/script&gt;",
			"&lt;/text&gt;&lt;script&gt;document.title='PW'+'NED'&lt;/script&gt;&lt;text&gt;",
			"\"&gt;&lt;img src=x onerror=\"document.body.setAttribute",
		} {
			if !strings.Contains(dom, text) {
				t.Errorf("%s: the DOM lacks the text %q", name, text)
			}
		}
		if !strings.Contains(dom, "<title>driftwatch · &lt;/script&gt;&lt;script&gt;document.title='PW'+'NED'&lt;/script&gt;</title>") {
			t.Errorf("%s: the title is not the job name as text", name)
		}
	}

	shot := filepath.Join(dir, "hostile.png")
	headless(t, bin, page, "--screenshot="+shot, "--window-size=1400,2000", "--hide-scrollbars")
	st, err := os.Stat(shot)
	if err != nil || st.Size() < 10_000 {
		t.Fatalf("screenshot %s: %v (size %d)", shot, err, st.Size())
	}
	t.Logf("artifacts: %s (hostile.html, hostile.dom.html, hostile.png)", dir)
}
