package jobs

import (
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSecrets_NeverLeak configures every sink that takes a secret, with receivers that
// refuse (and echo what they were sent, as a careless proxy does), runs a job, its
// history and validate, and greps every output for the secret values: stdout, stderr
// (debug logs), the reports, every file the run wrote, the state database.
func TestSecrets_NeverLeak(t *testing.T) {
	secretVals := map[string]string{
		"LEAK_HOOK_SECRET":   "S3CRET-hmac-key-0001",
		"LEAK_HOOK_AUTH":     "Bearer S3CRET-auth-0002",
		"LEAK_SLACK_URL":     "", // set below: the receiver's URL with a secret path
		"LEAK_AIRFLOW_TOKEN": "S3CRET-airflow-0003",
		"LEAK_PGW_PASSWORD":  "S3CRET-pushgw-0004",
	}
	echo := func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.WriteHeader(http.StatusBadGateway)
		io.WriteString(w, "refused "+r.URL.String()+" auth="+r.Header.Get("Authorization")+" body="+string(b[:min(len(b), 64)]))
	}
	hs := newEchoServer(t, echo)
	secretVals["LEAK_SLACK_URL"] = hs + "/services/T000/B000/S3CRET-slack-0005"
	for k, v := range secretVals {
		t.Setenv(k, v)
	}
	t.Setenv("DRIFTWATCH_LOG_LEVEL", "debug")
	retry := "retry: {initial: 1ms, max: 2ms, attempts: 2}"
	cfg := liveConfig(t, `      - {type: webhook, name: hook, url: "`+hs+`/hook", secret_env: LEAK_HOOK_SECRET, headers_env: {Authorization: LEAK_HOOK_AUTH}, `+retry+`}
      - {type: prometheus, pushgateway: "`+hs+`", username: dw, password_env: LEAK_PGW_PASSWORD, `+retry+`}
    triggers:
      rules: [{when: column_drift, columns: [x]}]
      deliver_to:
        - hook
        - {type: slack, url_env: LEAK_SLACK_URL, `+retry+`}
        - {type: airflow, url: "`+hs+`", dag_id: retrain, token_env: LEAK_AIRFLOW_TOKEN, `+retry+`}
state: {driver: sqlite}
`)
	var outputs []string
	r := cli(t, "run", "--config", cfg, "--at", "2026-11-27")
	if r.code != ExitFailed {
		t.Errorf("run with refusing receivers: exit %d, want 1", r.code)
	}
	if !strings.Contains(r.stderr, "502 Bad Gateway") || !strings.Contains(r.stderr, "[redacted]") {
		t.Errorf("the receivers' refusals are not in the logs (or nothing was redacted):\n%s", r.stderr)
	}
	outputs = append(outputs, r.stdout, r.stderr)
	if testing.Verbose() {
		t.Logf("run stderr:\n%s", r.stderr)
	}
	for _, args := range [][]string{
		{"history", "--config", cfg},
		{"history", "--config", cfg, "--triggers"},
		{"history", "--config", cfg, "--triggers", "--format", "json"},
		{"history", "--config", cfg, "--format", "json"},
		{"validate", "--config", cfg, "--at", "2026-11-27"},
	} {
		r := cli(t, args...)
		outputs = append(outputs, r.stdout, r.stderr)
	}
	// validate names a missing secret's variable, never a value.
	os.Unsetenv("LEAK_AIRFLOW_TOKEN")
	r = cli(t, "validate", "--config", cfg, "--at", "2026-11-27")
	if r.code == ExitOK || !strings.Contains(r.stderr, "token_env: environment variable LEAK_AIRFLOW_TOKEN is not set") {
		t.Errorf("validate without LEAK_AIRFLOW_TOKEN: exit %d\n%s", r.code, r.stderr)
	}
	outputs = append(outputs, r.stdout, r.stderr)
	filepath.WalkDir(filepath.Dir(cfg), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !strings.HasSuffix(p, ".parquet") && !strings.HasSuffix(p, "config.yaml") {
			b, _ := os.ReadFile(p)
			outputs = append(outputs, "file "+p+": "+string(b))
		}
		return nil
	})
	if len(outputs) < 15 {
		t.Fatalf("only %d outputs collected", len(outputs))
	}
	for name, v := range secretVals {
		for _, probe := range []string{v, strings.TrimPrefix(v, "Bearer "), "S3CRET-slack-0005"} {
			for _, o := range outputs {
				if i := strings.Index(o, probe); i >= 0 {
					t.Errorf("the value of %s appears in an output: …%s…", name, o[max(0, i-80):min(len(o), i+len(probe)+20)])
				}
			}
		}
	}
}

func newEchoServer(t *testing.T, h http.HandlerFunc) string {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}
