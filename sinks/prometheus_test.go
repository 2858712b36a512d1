package sinks_test

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/driftwatch/driftwatch/sinks"
	"github.com/driftwatch/driftwatch/sinks/sinkstest"
)

// fakeGateway keeps the last PUT body of each group, as a Pushgateway replaces a group.
type fakeGateway struct {
	URL        string
	mu         sync.Mutex
	groups     map[string]string
	fail, hang bool
}

func newFakeGateway(t *testing.T) *fakeGateway {
	g := &fakeGateway{groups: map[string]string{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if g.hang {
			<-r.Context().Done()
			return
		}
		if g.fail {
			http.Error(w, "injected", http.StatusInternalServerError)
			return
		}
		if r.Method != http.MethodPut {
			http.Error(w, "want PUT", http.StatusMethodNotAllowed)
			return
		}
		g.mu.Lock()
		g.groups[r.URL.Path] = string(b)
		g.mu.Unlock()
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(func() { srv.CloseClientConnections(); srv.Close() })
	g.URL = srv.URL
	return g
}

func (g *fakeGateway) Groups() map[string]string {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := map[string]string{}
	for k, v := range g.groups {
		out[k] = v
	}
	return out
}

func TestWriteMetrics(t *testing.T) {
	r := sinkstest.Report("churn", time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC))
	r.Model = map[string]any{"age_days": 12.5}
	var buf bytes.Buffer
	sinks.WriteMetrics(&buf, r)
	got := buf.String()
	// Values from sinkstest.Report: income ks 0.31 (p 1e-9), psi 0.42 (no p-value).
	for _, want := range []string{
		"# TYPE driftwatch_dataset_drifted gauge\ndriftwatch_dataset_drifted{job=\"churn\"} 1\n",
		`driftwatch_dataset_drift_share{job="churn"} 0.6666666666666666`,
		`driftwatch_column_drift_score{job="churn",column="income",method="ks"} 0.31`,
		`driftwatch_column_drift_score{job="churn",column="income",method="psi"} 0.42`,
		`driftwatch_column_drift_p_value{job="churn",column="income",method="ks"} 1e-09`,
		`driftwatch_column_drift_score{job="churn",column="channel \"web\"",method="jensen_shannon"} 0.2`,
		`driftwatch_column_missing_share{job="churn",column="income",side="current"} 0.02`,
		`driftwatch_rows{job="churn",side="current"} 500`,
		`driftwatch_quality_findings{job="churn",severity="warning"} 1`,
		`driftwatch_model_age_days{job="churn"} 12.5`,
		`driftwatch_logical_time_seconds{job="churn"} 1.7957376e+09`,
		`driftwatch_retrain_trigger{job="churn",rule="dataset_drift"} 1`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("metrics lack %s\n%s", want, got)
		}
	}
	if strings.Contains(got, `method="psi"} NaN`) || strings.Contains(got, "p_value{job=\"churn\",column=\"income\",method=\"psi\"}") {
		t.Errorf("a null p-value was exported:\n%s", got)
	}
	// Every family once, its samples together.
	seen := map[string]bool{}
	last := ""
	for _, l := range strings.Split(strings.TrimSpace(got), "\n") {
		if strings.HasPrefix(l, "#") {
			continue
		}
		name := l[:strings.IndexAny(l, "{ ")]
		if name != last && seen[name] {
			t.Errorf("family %s is split", name)
		}
		seen[name], last = true, name
	}
}

// freePort returns a loopback port nobody listens on.
func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startPushgateway starts Debian's prometheus-pushgateway on a free loopback port. It
// skips without the binary, except under CI=true.
func startPushgateway(t *testing.T) string {
	bin, err := exec.LookPath("prometheus-pushgateway")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("prometheus-pushgateway is not installed under CI=true: .ci/run installs it")
		}
		t.Skip("prometheus-pushgateway not installed (apt-get install prometheus-pushgateway)")
	}
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	var logs bytes.Buffer
	cmd := exec.Command(bin, "--web.listen-address="+addr, "--persistence.file="+filepath.Join(t.TempDir(), "pgw"))
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	url := "http://" + addr
	for deadline := time.Now().Add(15 * time.Second); ; {
		resp, err := http.Get(url + "/-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return url
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("pushgateway did not become ready: %v\n%s", err, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// scrape returns the value of the sample whose line starts with name{ and contains
// every label pair.
func scrape(t *testing.T, url, name string, labels ...string) (float64, bool) {
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + `\{([^}]*)\} (\S+)$`)
next:
	for _, m := range re.FindAllStringSubmatch(string(b), -1) {
		for _, l := range labels {
			if !strings.Contains(m[1], l) {
				continue next
			}
		}
		v, err := strconv.ParseFloat(m[2], 64)
		if err != nil {
			t.Fatalf("parse %s: %v", m[0], err)
		}
		return v, true
	}
	return 0, false
}

// TestPrometheus_Pushgateway pushes to a real Pushgateway and scrapes the values back.
func TestPrometheus_Pushgateway(t *testing.T) {
	url := startPushgateway(t)
	s := build(t, "type: prometheus\npushgateway: "+url+"\n", sinks.Deps{})
	at := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	r := sinkstest.Report("churn", at)
	if err := s.Write(t.Context(), r); err != nil {
		t.Fatalf("Write() = %v", err)
	}
	cases := []struct {
		name   string
		labels []string
		want   float64
	}{
		{"driftwatch_dataset_drifted", []string{`job="churn"`}, 1},
		{"driftwatch_column_drift_score", []string{`job="churn"`, `column="income"`, `method="ks"`}, 0.31},
		{"driftwatch_column_drift_p_value", []string{`job="churn"`, `column="income"`, `method="ks"`}, 1e-9},
		{"driftwatch_drifted_columns", []string{`job="churn"`}, 2},
		{"driftwatch_rows", []string{`job="churn"`, `side="reference"`}, 1000},
	}
	for _, c := range cases {
		got, ok := scrape(t, url, c.name, c.labels...)
		if !ok || got != c.want {
			t.Errorf("scraped %s%v = %v (found %v), want %v", c.name, c.labels, got, ok, c.want)
		}
	}
	// A later run of the job replaces the group: a column that vanished is gone.
	r2 := sinkstest.Report("churn", at.Add(24*time.Hour))
	r2.Columns = r2.Columns[2:] // only "age"
	r2.DatasetDrift.Drifted = false
	if err := s.Write(t.Context(), r2); err != nil {
		t.Fatalf("Write(r2) = %v", err)
	}
	if _, ok := scrape(t, url, "driftwatch_column_drift_score", `column="income"`); ok {
		t.Error("income's score survived a push that did not have it")
	}
	if got, _ := scrape(t, url, "driftwatch_dataset_drifted", `job="churn"`); got != 0 {
		t.Errorf("driftwatch_dataset_drifted after r2 = %v, want 0", got)
	}
	// Another job is another group.
	if err := s.Write(t.Context(), sinkstest.Report("fraud", at)); err != nil {
		t.Fatal(err)
	}
	if got, ok := scrape(t, url, "driftwatch_column_drift_score", `job="fraud"`, `column="income"`, `method="psi"`); !ok || got != 0.42 {
		t.Errorf("fraud's psi = %v (%v), want 0.42", got, ok)
	}
	if _, ok := scrape(t, url, "driftwatch_column_drift_score", `job="churn"`, `column="age"`); !ok {
		t.Error("churn's metrics vanished when fraud pushed")
	}
}

// BenchmarkWriteMetrics: the exposition of a 200-column report with two methods each.
func BenchmarkWriteMetrics(b *testing.B) {
	r := sinkstest.Report("churn", time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC))
	base := r.Columns[0]
	r.Columns = nil
	for i := range 200 {
		c := base
		c.Name = fmt.Sprintf("feature_%03d", i)
		r.Columns = append(r.Columns, c)
	}
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		sinks.WriteMetrics(&buf, r)
	}
	b.ReportMetric(float64(buf.Len()), "bytes/report")
}
