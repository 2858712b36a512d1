package sinks_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/driftwatch/driftwatch/pipeline"
	"github.com/driftwatch/driftwatch/sinks"
	"github.com/driftwatch/driftwatch/sinks/sinkstest"
	"github.com/driftwatch/driftwatch/sources"
)

var at0 = time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)

// TestRetry runs in a synctest bubble: the waits are virtual, their bounds exact.
func TestRetry(t *testing.T) {
	t.Run("backoff_doubles_with_jitter_up_to_max", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			var at []time.Duration
			start := time.Now()
			err := sinks.Retry(t.Context(), sinks.RetryConfig{Initial: 100 * time.Millisecond, Max: 400 * time.Millisecond, Attempts: 6},
				func(context.Context) error { at = append(at, time.Since(start)); return errors.New("503") })
			if err == nil || !strings.Contains(err.Error(), "gave up after 6 attempts") {
				t.Fatalf("Retry = %v", err)
			}
			// wait n is in (0, min(400ms, 100ms·2^n)]
			bounds := []time.Duration{100, 200, 400, 400, 400}
			for i := 1; i < len(at); i++ {
				if w := at[i] - at[i-1]; w <= 0 || w > bounds[i-1]*time.Millisecond {
					t.Errorf("wait %d = %v, want in (0, %v]", i, w, bounds[i-1]*time.Millisecond)
				}
			}
		})
	})
	t.Run("permanent_is_not_retried", func(t *testing.T) {
		n := 0
		err := sinks.Retry(t.Context(), sinks.RetryConfig{}, func(context.Context) error { n++; return sinks.Permanent(errors.New("400")) })
		if n != 1 || !sinks.IsPermanent(err) {
			t.Errorf("attempts %d, err %v, want 1 and permanent", n, err)
		}
	})
	t.Run("max_elapsed_bounds_the_delivery", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			start := time.Now()
			err := sinks.Retry(t.Context(), sinks.RetryConfig{Initial: time.Second, Max: 10 * time.Second, MaxElapsed: 30 * time.Second},
				func(ctx context.Context) error { return errors.New("500") })
			if d := time.Since(start); err == nil || d > 30*time.Second {
				t.Errorf("Retry = %v after %v, want an error within 30s", err, d)
			}
		})
	})
	t.Run("context_cancel_stops_waiting", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
			defer cancel()
			err := sinks.Retry(ctx, sinks.RetryConfig{Initial: time.Minute, Max: time.Hour, MaxElapsed: time.Hour},
				func(context.Context) error { return errors.New("500") })
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("Retry = %v, want the context's deadline", err)
			}
		})
	})
	t.Run("success_after_failures", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			n := 0
			err := sinks.Retry(t.Context(), sinks.RetryConfig{}, func(context.Context) error {
				if n++; n < 3 {
					return errors.New("500")
				}
				return nil
			})
			if err != nil || n != 3 {
				t.Errorf("Retry = %v after %d attempts, want nil after 3", err, n)
			}
		})
	})
}

// TestWebhook_Statuses: 4xx other than 408/429 is permanent (one attempt); 5xx, 408
// and 429 are retried; Retry-After is honoured.
func TestWebhook_Statuses(t *testing.T) {
	for _, c := range []struct {
		status    int
		attempts  int
		permanent bool
	}{
		{400, 1, true}, {401, 1, true}, {404, 1, true}, {409, 1, true},
		{408, 3, false}, {429, 3, false}, {500, 3, false}, {503, 3, false},
	} {
		t.Run(fmt.Sprint(c.status), func(t *testing.T) {
			n := 0
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				n++
				if c.status == 429 {
					w.Header().Set("Retry-After", "0")
				}
				w.WriteHeader(c.status)
			})
			w, err := sinks.NewWebhook(sinks.WebhookConfig{URL: srv + "/x", Retry: sinks.RetryConfig{Initial: time.Millisecond, Attempts: 3}})
			if err != nil {
				t.Fatal(err)
			}
			err = w.Write(t.Context(), sinkstest.Report("churn", at0))
			if err == nil || n != c.attempts || sinks.IsPermanent(err) != c.permanent {
				t.Errorf("status %d: %d attempts, err %v (permanent %v), want %d attempts, permanent %v", c.status, n, err, sinks.IsPermanent(err), c.attempts, c.permanent)
			}
		})
	}
}

func newServer(t *testing.T, h http.HandlerFunc) string {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestWebhook_Signature: the signature is HMAC-SHA256 of the exact body, with the
// secret from the environment; the idempotency key is the run id, then the trigger id.
func TestWebhook_Signature(t *testing.T) {
	rc := sinkstest.NewReceiver(t)
	t.Setenv("HOOK_SECRET", "k3y")
	w, err := sinks.NewWebhook(sinks.WebhookConfig{URL: rc.URL, SecretEnv: "HOOK_SECRET", Headers: map[string]string{"X-Team": "ml"},
		HeadersEnv: map[string]string{"Authorization": "HOOK_SECRET"}})
	if err != nil {
		t.Fatal(err)
	}
	r := sinkstest.Report("churn", at0)
	if err := w.Write(t.Context(), r); err != nil {
		t.Fatal(err)
	}
	body := rc.Snapshot()[r.RunID]
	h := rc.Header(r.RunID)
	if got, want := h.Get(sinks.HeaderSignature), sinks.Sign([]byte("k3y"), []byte(body)); got != want {
		t.Errorf("signature %q, want %q", got, want)
	}
	if h.Get(sinks.HeaderEvent) != "report" || h.Get("X-Team") != "ml" || h.Get("Authorization") != "k3y" || h.Get("Content-Type") != "application/json" {
		t.Errorf("headers = %v", h)
	}
	var ev sinks.ReportEvent
	if err := json.Unmarshal([]byte(body), &ev); err != nil || ev.Event != "report" || ev.Report != nil ||
		!ev.Summary.DatasetDrifted || ev.Summary.DriftedColumns != 2 || len(ev.Summary.TopDrifted) != 2 || ev.Summary.TopDrifted[0].Name != "income" {
		t.Errorf("body = %s (%v)", body, err)
	}
	tr := pipeline.NewTrigger(r.Triggers[0], r)
	if err := w.Trigger(t.Context(), &tr); err != nil {
		t.Fatal(err)
	}
	if h := rc.Header(tr.ID); h.Get(sinks.HeaderEvent) != "trigger" || h.Get(sinks.HeaderIdempotency) != "churn:dataset_drift:20261127T000000Z" {
		t.Errorf("trigger headers = %v", h)
	}
	// Without the secret in the environment: a permanent error naming the variable.
	os.Unsetenv("HOOK_SECRET")
	err = w.Write(t.Context(), r)
	if !sinks.IsPermanent(err) || !strings.Contains(err.Error(), "environment variable HOOK_SECRET is not set") {
		t.Errorf("Write without the secret = %v", err)
	}
	if err := w.CheckEnv(); err == nil || !strings.Contains(err.Error(), "HOOK_SECRET") {
		t.Errorf("CheckEnv() = %v", err)
	}
}

// TestSign checks the signature against Python's hmac (a known answer).
func TestSign(t *testing.T) {
	// /usr/bin/python3 -c 'import hmac,hashlib;print(hmac.new(b"k3y",b"{\"a\":1}",hashlib.sha256).hexdigest())'
	want := "sha256=32db719f172c48e89dbfa56ed20d9e19cdbfdbe9f652ccdf5fa03494d2444853"
	if got := sinks.Sign([]byte("k3y"), []byte(`{"a":1}`)); got != want {
		t.Errorf("Sign = %s, want %s", got, want)
	}
}

func TestAirflow(t *testing.T) {
	rc := sinkstest.NewReceiver(t)
	t.Setenv("AF_PASSWORD", "pw")
	a, err := sinks.NewAirflow(sinks.AirflowConfig{URL: rc.URL + "/", DAGID: "churn_retrain", Username: "admin", PasswordEnv: "AF_PASSWORD"})
	if err != nil {
		t.Fatal(err)
	}
	r := sinkstest.Report("churn", at0)
	tr := pipeline.NewTrigger(r.Triggers[0], r)
	if err := a.Trigger(t.Context(), &tr); err != nil {
		t.Fatal(err)
	}
	var req sinks.DAGRunRequest
	if err := json.Unmarshal([]byte(rc.Snapshot()[tr.ID]), &req); err != nil {
		t.Fatal(err)
	}
	if req.DAGRunID != "driftwatch__churn:dataset_drift:20261127T000000Z" || req.Conf["event"] != "trigger" {
		t.Errorf("dag run = %+v", req)
	}
	if got := rc.Header(tr.ID).Get("Authorization"); got != "Basic "+base64.StdEncoding.EncodeToString([]byte("admin:pw")) {
		t.Errorf("Authorization = %q", got)
	}
	// Airflow answers 409 for a dag_run_id it has: already triggered, a success.
	rc.SetStatus(http.StatusConflict)
	if err := a.Trigger(t.Context(), &tr); err != nil {
		t.Errorf("Trigger after 409 = %v, want nil", err)
	}
	if got := sinks.DAGRunID("job with spaces/x:rule:1"); got != "driftwatch__job_with_spaces_x:rule:1" {
		t.Errorf("DAGRunID = %q", got)
	}
	if _, err := sinks.NewAirflow(sinks.AirflowConfig{URL: "http://user:pw@h", DAGID: "d"}); err == nil || strings.Contains(err.Error(), "pw") {
		t.Errorf("URL with credentials: %v", err)
	}
}

func TestSlack_Message(t *testing.T) {
	r := sinkstest.Report("churn", at0)
	m := sinks.ReportMessage(r, 1)
	b, _ := json.Marshal(m)
	s := string(b)
	for _, want := range []string{"*churn*: dataset drift at 2026-11-27T00:00:00Z: 2 of 3 feature columns drifted (share 0.6667, threshold 0.5)",
		"`income` ks 0.31 (p 1e-09)", "1 data-quality findings (0 errors)", "retrain triggers: dataset_drift", "run churn-20261127T000000Z"} {
		if !strings.Contains(s, want) {
			t.Errorf("message lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "channel") {
		t.Errorf("top 1 listed a second column:\n%s", s)
	}
	// when: drift skips a calm report.
	rc := sinkstest.NewReceiver(t)
	t.Setenv("SLACK_URL", rc.URL+"/services/T/B/secret")
	sl, err := sinks.NewSlack(sinks.SlackConfig{URLEnv: "SLACK_URL", When: sinks.WhenDrift})
	if err != nil {
		t.Fatal(err)
	}
	calm := sinkstest.Report("churn", at0)
	calm.DatasetDrift.Drifted, calm.Triggers = false, nil
	if err := sl.Write(t.Context(), calm); err != nil || rc.Requests() != 0 {
		t.Errorf("when: drift posted a calm report: %v, %d requests", err, rc.Requests())
	}
}

func TestCommand(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "env.txt")
	t.Setenv("DRIFTWATCH_TEST_LEAK", "should-not-pass")
	c, err := sinks.NewCommand(sinks.CommandConfig{Argv: []string{"/bin/sh", "-c", `env | grep -E '^(DRIFTWATCH|EXTRA)' | sort > "$0"; test -s "$DRIFTWATCH_REPORT_PATH"`, out},
		Env: map[string]string{"EXTRA": "1"}}, dir)
	if err != nil {
		t.Fatal(err)
	}
	r := sinkstest.Report("churn", at0)
	if err := c.Write(t.Context(), r); err != nil {
		t.Fatal(err)
	}
	env := mustReadFile(t, out)
	for _, want := range []string{"DRIFTWATCH_EVENT=report\n", "DRIFTWATCH_IDEMPOTENCY_KEY=churn-20261127T000000Z\n", "DRIFTWATCH_JOB=churn\n",
		"DRIFTWATCH_LOGICAL_TIME=2026-11-27T00:00:00Z\n", "DRIFTWATCH_DATASET_DRIFTED=true\n", "DRIFTWATCH_DRIFTED_COLUMNS=income,channel \"web\"\n",
		"DRIFTWATCH_DRIFT_SHARE=0.6666666666666666\n", "EXTRA=1\n", `DRIFTWATCH_SUMMARY={"job":"churn"`} {
		if !strings.Contains(env, want) {
			t.Errorf("environment lacks %q:\n%s", want, env)
		}
	}
	if strings.Contains(env, "should-not-pass") {
		t.Error("a variable outside pass_env reached the program")
	}
	// The report file is gone afterwards.
	if m, _ := filepath.Glob(filepath.Join(os.TempDir(), "driftwatch-report-*.json")); len(m) > 0 {
		t.Logf("leftover report files (other processes?): %v", m)
	}
	// Timeout kills the program (and its children), exit codes classify.
	slow, _ := sinks.NewCommand(sinks.CommandConfig{Argv: []string{"/bin/sh", "-c", "sleep 30 & wait"}, Timeout: 200 * time.Millisecond}, dir)
	start := time.Now()
	if err := slow.Write(t.Context(), r); !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second {
		t.Errorf("timeout: %v after %v", err, time.Since(start))
	}
	usage, _ := sinks.NewCommand(sinks.CommandConfig{Argv: []string{"/bin/sh", "-c", "echo bad input >&2; exit 64"}}, dir)
	if err := usage.Write(t.Context(), r); !sinks.IsPermanent(err) || !strings.Contains(err.Error(), "exit code 64: bad input") {
		t.Errorf("exit 64: %v, want permanent with stderr", err)
	}
	fail, _ := sinks.NewCommand(sinks.CommandConfig{Argv: []string{"/bin/sh", "-c", "exit 3"}}, dir)
	if err := fail.Write(t.Context(), r); err == nil || sinks.IsPermanent(err) {
		t.Errorf("exit 3: %v, want a retryable error", err)
	}
	missing, _ := sinks.NewCommand(sinks.CommandConfig{Argv: []string{"./no-such-program"}}, dir)
	if err := missing.Write(t.Context(), r); !sinks.IsPermanent(err) {
		t.Errorf("missing program: %v, want permanent", err)
	}
}

func mustReadFile(t *testing.T, p string) string {
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestParquet_ReadBack: the metrics table reads back through driftwatch's own Parquet
// source, partitions and all.
func TestParquet_ReadBack(t *testing.T) {
	dir := t.TempDir()
	p, err := sinks.NewParquet(sinks.ParquetConfig{Path: "metrics/{job}"}, dir)
	if err != nil {
		t.Fatal(err)
	}
	for d := range 3 {
		if err := p.Write(t.Context(), sinkstest.Report("churn", at0.Add(time.Duration(d)*24*time.Hour))); err != nil {
			t.Fatal(err)
		}
	}
	loc, _ := p.Location(sinkstest.Report("churn", at0))
	if want := filepath.Join(dir, "metrics", "churn", "dt=2026-11-27", "churn-20261127T000000Z.parquet"); loc != want {
		t.Errorf("Location = %s, want %s", loc, want)
	}
	f, _ := sources.Builtin().Lookup("parquet")
	ds, err := f.New(func(into any) error {
		c := into.(*sources.ParquetConfig)
		c.Path, c.Timestamp = filepath.Join(dir, "metrics", "churn"), "logical_time"
		return nil
	}, sources.Deps{BaseDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	// The window of the second day: its partition only.
	src, err := ds.Open(t.Context(), pipeline.Window{Start: at0.Add(24 * time.Hour), End: at0.Add(48 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if src.Rows() != 4 { // income ks, income psi, channel js, age ks
		t.Errorf("rows of day 2 = %d, want 4", src.Rows())
	}
	var stats []float64
	if err := src.ReadColumn(t.Context(), "statistic", func(c pipeline.Column) error {
		stats = append(stats, c.Float64...)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(stats, []float64{0.31, 0.42, 0.2, 0.02}) {
		t.Errorf("statistic = %v, want [0.31 0.42 0.2 0.02]", stats)
	}
	var methods []string
	src.ReadColumn(t.Context(), "method", func(c pipeline.Column) error {
		for _, code := range c.Codes {
			methods = append(methods, c.Dict[code])
		}
		return nil
	})
	if !slices.Equal(methods, []string{"ks", "psi", "jensen_shannon", "ks"}) {
		t.Errorf("method = %v", methods)
	}
	var pv []float64
	src.ReadColumn(t.Context(), "p_value", func(c pipeline.Column) error { pv = append(pv, c.Float64...); return nil })
	if len(pv) != 4 || pv[0] != 1e-9 || pv[1] == pv[1] { // psi's p-value is null (NaN)
		t.Errorf("p_value = %v, want [1e-9 NaN NaN 0.9]", pv)
	}
}
