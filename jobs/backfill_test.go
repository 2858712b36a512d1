package jobs

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/driftwatch/driftwatch/internal/state"
)

type logRow struct {
	TS  int64   `parquet:"ts,timestamp(millisecond)"`
	X   float64 `parquet:"x"`
	Cat string  `parquet:"cat,dict"`
}

func writeRows(t testing.TB, path string, rows []logRow) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := parquet.NewGenericWriter[logRow](f, parquet.MaxRowsPerRowGroup(50))
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
}

// liveConfig writes a reference snapshot and daily partitions dt=2026-11-20 … 26 of 200
// rows each (x drifts upwards day by day), and a config with a daily job at midnight
// UTC whose current window is the day before; it returns the config path.
func liveConfig(t testing.TB, extra string) string {
	t.Helper()
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(1, 2))
	cats := []string{"web", "app", "store"}
	var ref []logRow
	for i := range 500 {
		ref = append(ref, logRow{TS: day0.Add(-30 * 24 * time.Hour).UnixMilli(), X: rng.NormFloat64(), Cat: cats[i%3]})
	}
	writeRows(t, filepath.Join(dir, "ref", "train.parquet"), ref)
	for d := range 7 {
		day := time.Date(2026, 11, 20+d, 0, 0, 0, 0, time.UTC)
		var rows []logRow
		for i := range 200 {
			rows = append(rows, logRow{TS: day.Add(time.Duration(i) * 7 * time.Minute).UnixMilli(), X: rng.NormFloat64() + float64(d)*0.2, Cat: cats[(i+d)%3]})
		}
		writeRows(t, filepath.Join(dir, "live", "dt="+day.Format("2006-01-02"), "part-0.parquet"), rows)
	}
	cfg := `version: 1
jobs:
  - name: daily
    schedule: "0 0 * * *"
    reference: {type: parquet, path: ref}
    current: {type: parquet, path: live, timestamp: ts, window: 1d}
    columns: {timestamp: ts}
    sinks:
      - type: file
        path: out/{job}/{logical_date}.json
` + extra
	p := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(p, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// cliNow is the clock of cli.
var cliNow = day0.Add(9 * time.Hour)

type cliResult struct {
	code           int
	stdout, stderr string
}

func cli(t testing.TB, args ...string) cliResult {
	t.Helper()
	var out, errb bytes.Buffer
	code := MainEnv(context.Background(), args, Env{Stdout: &out, Stderr: &errb, Now: func() time.Time { return cliNow }})
	return cliResult{code, out.String(), errb.String()}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}

func stateAt(t testing.TB, cfgPath string) state.Store {
	t.Helper()
	s, err := state.OpenSQLite(context.Background(), filepath.Join(filepath.Dir(cfgPath), "driftwatch.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestBackfill: six days in parallel, recorded, with progress lines; a second
// backfill replaces the same report files and history rows.
func TestBackfill(t *testing.T) {
	cfg := liveConfig(t, "")
	dir := filepath.Dir(cfg)
	args := []string{"backfill", "--config", cfg, "--job", "daily", "--from", "2026-11-21", "--to", "2026-11-27", "--parallel", "2"}
	r := cli(t, args...)
	if r.code != ExitOK {
		t.Fatalf("backfill exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	var sum BackfillSummary
	if err := json.Unmarshal([]byte(lastLine(r.stdout)), &sum); err != nil {
		t.Fatalf("last line %q: %v", lastLine(r.stdout), err)
	}
	if sum.Runs != 6 || sum.OK+sum.Drift != 6 || sum.Failed != 0 || sum.Triggers != "suppressed" || sum.Job != "daily" {
		t.Errorf("summary = %+v", sum)
	}
	if n := strings.Count(r.stderr, `"msg":"backfill progress"`); n != 6 {
		t.Errorf("%d progress lines on a non-terminal stderr, want 6", n)
	}
	first := map[string][]byte{}
	for d := 21; d <= 26; d++ {
		p := filepath.Join(dir, "out", "daily", fmt.Sprintf("2026-11-%02d.json", d))
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatalf("report for day %d: %v", d, err)
		}
		var rep struct {
			Current struct {
				Rows   int64 `json:"rows"`
				Window struct{ Start, End time.Time }
			} `json:"current"`
		}
		json.Unmarshal(b, &rep)
		wantStart := time.Date(2026, 11, d-1, 0, 0, 0, 0, time.UTC)
		if rep.Current.Rows != 200 || !rep.Current.Window.Start.Equal(wantStart) {
			t.Errorf("day %d: current %d rows from %s, want the 200 rows of the day before", d, rep.Current.Rows, rep.Current.Window.Start)
		}
		first[p] = b
	}
	store := stateAt(t, cfg)
	runs, _ := store.Runs(context.Background(), state.Query{Job: "daily"})
	if len(runs) != 6 || runs[0].Origin != state.OriginBackfill || runs[0].RowsRead != 700 || !strings.HasSuffix(runs[0].ReportPath, "2026-11-26.json") {
		t.Fatalf("history = %d rows, newest %+v", len(runs), runs[0])
	}

	// Again: the same files, byte for byte, and the same rows, replaced.
	if r := cli(t, args...); r.code != ExitOK {
		t.Fatalf("second backfill exit %d: %s", r.code, r.stderr)
	}
	for p, b := range first {
		if again, _ := os.ReadFile(p); !bytes.Equal(again, b) {
			t.Errorf("%s changed on the second backfill", p)
		}
	}
	runs, _ = store.Runs(context.Background(), state.Query{Job: "daily"})
	if len(runs) != 6 {
		t.Fatalf("history after the second backfill = %d rows, want 6", len(runs))
	}
	for _, r := range runs {
		if r.Attempts != 2 || !r.Done() {
			t.Errorf("run %s: %d attempts, %s; want 2, done", r.RunID, r.Attempts, r.Status)
		}
	}
}

func TestBackfill_DryRun(t *testing.T) {
	cfg := liveConfig(t, "")
	r := cli(t, "backfill", "--config", cfg, "--job", "daily", "--from", "2026-11-25T12:00:00Z", "--to", "2026-11-27T00:00:00Z", "--dry-run")
	if r.code != ExitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	want := "2026-11-26T00:00:00Z  daily-20261126T000000Z  current [2026-11-25T00:00:00Z, 2026-11-26T00:00:00Z)  reference (all rows)\n"
	if !strings.HasPrefix(r.stdout, want) || strings.Count(r.stdout, "\n") != 2 {
		t.Errorf("dry run printed\n%s\nwant one line per day, the first\n%s", r.stdout, want)
	}
	if !strings.Contains(lastLine(r.stdout), `"dry_run":true,"runs":1`) {
		t.Errorf("summary %s", lastLine(r.stdout))
	}
	if exists(filepath.Join(filepath.Dir(cfg), "driftwatch.db")) || exists(filepath.Join(filepath.Dir(cfg), "out")) {
		t.Error("a dry run wrote state or reports")
	}
}

func TestBackfill_Errors(t *testing.T) {
	cfg := liveConfig(t, "")
	noSched := strings.Replace(mustRead(t, cfg), `    schedule: "0 0 * * *"`+"\n", "", 1)
	cfg2 := filepath.Join(filepath.Dir(cfg), "nosched.yaml")
	os.WriteFile(cfg2, []byte(noSched), 0o644)
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--job", "daily", "--from", "2026-11-27", "--to", "2026-11-21"}, ExitUsage, "is not before"},
		{[]string{"--job", "daily", "--from", "2026-11-21"}, ExitUsage, "--to are required"},
		{[]string{"--job", "nope", "--from", "2026-11-21", "--to", "2026-11-22"}, ExitUsage, `no job "nope"`},
		{[]string{"--job", "daily", "--from", "yesterday", "--to", "2026-11-22"}, ExitUsage, "--from: invalid time"},
		{[]string{"--job", "daily", "--from", "2026-11-21", "--to", "2026-11-22", "--parallel", "0"}, ExitUsage, "--parallel"},
	} {
		r := cli(t, append([]string{"backfill", "--config", cfg}, c.args...)...)
		if r.code != c.code || !strings.Contains(r.stderr, c.want) {
			t.Errorf("backfill %v: exit %d, stderr %q; want %d and %q", c.args, r.code, r.stderr, c.code, c.want)
		}
	}
	// A job without a schedule has no logical times.
	r := cli(t, "backfill", "--config", cfg2, "--job", "daily", "--from", "2026-11-21", "--to", "2026-11-22")
	if r.code != ExitUsage || !strings.Contains(r.stderr, "has no schedule") {
		t.Errorf("no schedule: exit %d, %s", r.code, r.stderr)
	}
	// A minutely job over a year trips the limit before anything runs.
	cfg3 := filepath.Join(filepath.Dir(cfg), "minutely.yaml")
	os.WriteFile(cfg3, []byte(strings.Replace(mustRead(t, cfg), `"0 0 * * *"`, `"* * * * *"`, 1)), 0o644)
	r = cli(t, "backfill", "--config", cfg3, "--job", "daily", "--from", "2026-01-01", "--to", "2026-11-22")
	if r.code != ExitUsage || !strings.Contains(r.stderr, "more than 100000 scheduled times") {
		t.Errorf("a year of minutes: exit %d, %s", r.code, r.stderr)
	}
}

// TestBackfill_HeldRun: a run another process holds fails; the others run.
func TestBackfill_HeldRun(t *testing.T) {
	cfg := liveConfig(t, "")
	store := stateAt(t, cfg)
	at := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	if ok, _, err := store.Claim(context.Background(), state.Claim{Job: "daily", LogicalTime: at, RunID: RunID("daily", at), Origin: state.OriginSchedule,
		Owner: "daemon-elsewhere", Now: cliNow, TTL: time.Hour}); !ok || err != nil {
		t.Fatal(ok, err)
	}
	r := cli(t, "backfill", "--config", cfg, "--job", "daily", "--from", "2026-11-21", "--to", "2026-11-24")
	if r.code != ExitFailed {
		t.Fatalf("exit %d, want 1", r.code)
	}
	var sum BackfillSummary
	json.Unmarshal([]byte(lastLine(r.stdout)), &sum)
	if sum.Failed != 1 || sum.OK+sum.Drift != 2 || len(sum.Failures) != 1 || sum.Failures[0].RunID != "daily-20261122T000000Z" ||
		!strings.Contains(sum.Failures[0].Error, "is running by daemon-elsewhere") {
		t.Errorf("summary = %+v", sum)
	}
}

// TestSameReportEverywhere: run (as Airflow calls it, with --at or the data interval),
// backfill and the daemon write the same report for the same job and logical time.
func TestSameReportEverywhere(t *testing.T) {
	cfg := liveConfig(t, "")
	report := filepath.Join(filepath.Dir(cfg), "out", "daily", "2026-11-26.json")
	read := func() []byte {
		b, err := os.ReadFile(report)
		if err != nil {
			t.Fatal(err)
		}
		os.Remove(report)
		return b
	}
	if r := cli(t, "run", "--config", cfg, "--at", "2026-11-26T00:00:00Z", "--quiet"); r.code != ExitOK {
		t.Fatalf("run --at: exit %d: %s", r.code, r.stderr)
	}
	byAt := read()
	r := cli(t, "run", "--config", cfg, "--window-start", "2026-11-25T00:00:00+00:00", "--window-end", "2026-11-26T00:00:00+00:00", "--quiet")
	if r.code != ExitOK {
		t.Fatalf("run --window-*: exit %d: %s", r.code, r.stderr)
	}
	if got := read(); !bytes.Equal(got, byAt) {
		t.Error("run --window-start/--window-end wrote a different report than run --at")
	}
	if !strings.Contains(lastLine(r.stdout), `"window":{"start":"2026-11-25T00:00:00Z","end":"2026-11-26T00:00:00Z"}`) {
		t.Errorf("summary line lacks the window: %s", lastLine(r.stdout))
	}
	if r := cli(t, "backfill", "--config", cfg, "--job", "daily", "--from", "2026-11-26", "--to", "2026-11-26T00:00:01Z"); r.code != ExitOK {
		t.Fatalf("backfill: exit %d: %s", r.code, r.stderr)
	}
	if got := read(); !bytes.Equal(got, byAt) {
		t.Error("backfill wrote a different report than run")
	}
	c, err := LoadConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	synctest.Test(t, func(t *testing.T) {
		now := fakeClock(time.Date(2026, 11, 25, 23, 59, 0, 0, time.UTC))
		env := Env{Now: now, Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{}, Logger: testEnv().Logger}
		j, err := BuildJob(c, &c.Jobs[0], env)
		if err != nil {
			t.Fatal(err)
		}
		store := openStore(t, state.Config{Driver: state.DriverSQLite, Path: filepath.Join(t.TempDir(), "s.db")})
		defer store.Close()
		sc, _ := ParseSchedule(c.Jobs[0].Schedule, nil)
		s := &scheduler{env: env, grace: time.Minute, rec: newRecorder(store, state.OriginSchedule, state.ClaimOnce, env),
			jobs: []scheduledJob{{job: j, sched: sc, catchup: CatchupLatest}}}
		stop := start(s)
		time.Sleep(2 * time.Minute)
		synctest.Wait()
		stop()
	})
	if got := read(); !bytes.Equal(got, byAt) {
		t.Error("the daemon wrote a different report than run")
	}
}

// TestRun_AtScheduled: --at scheduled (a Kubernetes CronJob) runs the job's last
// scheduled time, not the pod's start time.
func TestRun_AtScheduled(t *testing.T) {
	cfg := liveConfig(t, "")
	r := cli(t, "run", "--config", cfg, "--job", "daily", "--at", "scheduled", "--quiet")
	if r.code != ExitOK || !strings.Contains(lastLine(r.stdout), `"logical_time":"2026-11-27T00:00:00Z"`) {
		t.Errorf("exit %d, summary %s; want logical time 2026-11-27T00:00:00Z (cli clock: 09:00)", r.code, lastLine(r.stdout))
	}
	if r := cli(t, "run", "--config", cfg, "--at", "scheduled"); r.code != ExitUsage || !strings.Contains(r.stderr, "needs --job") {
		t.Errorf("--at scheduled without --job: exit %d, %s", r.code, r.stderr)
	}
}

// TestRun_WindowFlags: the usage errors of --window-start/--window-end.
func TestRun_WindowFlags(t *testing.T) {
	cfg := liveConfig(t, "")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--at", "2026-11-26", "--window-start", "2026-11-25", "--window-end", "2026-11-26"}, "exclude each other"},
		{[]string{"--window-start", "2026-11-25"}, "go together"},
		{[]string{"--window-start", "2026-11-26", "--window-end", "2026-11-25"}, "is not before"},
		{[]string{"--window-start", "x", "--window-end", "2026-11-25"}, "--window-start: invalid time"},
	} {
		r := cli(t, append([]string{"run", "--config", cfg}, c.args...)...)
		if r.code != ExitUsage || !strings.Contains(r.stderr, c.want) {
			t.Errorf("run %v: exit %d, %q; want 2 and %q", c.args, r.code, r.stderr, c.want)
		}
	}
}

// TestRun_State: without a state block run records nothing; with one it records the
// run, refuses a run that another process holds, and history prints both formats.
func TestRun_State(t *testing.T) {
	cfg := liveConfig(t, "")
	if r := cli(t, "run", "--config", cfg, "--at", "2026-11-26", "--quiet"); r.code != ExitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if exists(filepath.Join(filepath.Dir(cfg), "driftwatch.db")) {
		t.Error("run without a state block created driftwatch.db")
	}
	if r := cli(t, "history", "--config", cfg); r.code != ExitOK || !strings.Contains(r.stdout, "no runs recorded") {
		t.Errorf("history before any recorded run: exit %d, %q", r.code, r.stdout)
	}

	cfg = liveConfig(t, "state: {driver: sqlite, path: var/state.db}\n")
	if r := cli(t, "run", "--config", cfg, "--at", "2026-11-26", "--quiet"); r.code != ExitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	store, err := state.OpenSQLite(context.Background(), filepath.Join(filepath.Dir(cfg), "var", "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	runs, _ := store.Runs(context.Background(), state.Query{})
	if len(runs) != 1 || runs[0].Origin != state.OriginRun || !runs[0].Done() || runs[0].RowsRead != 700 || len(runs[0].Summary) == 0 {
		t.Fatalf("history = %+v", runs)
	}
	at := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	store.Claim(context.Background(), state.Claim{Job: "daily", LogicalTime: at, RunID: RunID("daily", at), Origin: state.OriginSchedule,
		Owner: "other", Now: cliNow, TTL: time.Hour})
	r := cli(t, "run", "--config", cfg, "--at", "2026-11-25", "--quiet")
	if r.code != ExitFailed || !strings.Contains(lastLine(r.stdout), `"status":"failed"`) || !strings.Contains(r.stdout, "is running by other") {
		t.Errorf("run of a held logical time: exit %d, %s", r.code, r.stdout)
	}

	r = cli(t, "history", "--config", cfg, "--job", "daily", "--format", "json")
	var entries []HistoryEntry
	if err := json.Unmarshal([]byte(r.stdout), &entries); err != nil || r.code != ExitOK {
		t.Fatalf("history json: exit %d, %v\n%s", r.code, err, r.stdout)
	}
	if len(entries) != 2 || entries[0].RunID != "daily-20261126T000000Z" || entries[0].DurationS == nil || entries[1].Status != state.StatusRunning ||
		entries[0].WindowStart == nil || !entries[0].WindowStart.Equal(time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("history json = %+v", entries)
	}
	r = cli(t, "history", "--config", cfg)
	if !strings.Contains(r.stdout, "JOB  ") || !strings.Contains(r.stdout, "daily  2026-11-26T00:00:00Z  ") || !strings.Contains(r.stdout, " run ") {
		t.Errorf("history text:\n%s", r.stdout)
	}
	if r := cli(t, "history", "--config", cfg, "--format", "xml"); r.code != ExitUsage {
		t.Errorf("history --format xml: exit %d", r.code)
	}
}

func mustRead(t testing.TB, p string) string {
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
