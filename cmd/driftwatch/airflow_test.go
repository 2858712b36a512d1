//go:build linux

package main

// The Airflow (and Kubernetes) contract through the built binary: how a BashOperator
// or a KubernetesPodOperator calls driftwatch, what it reads back (exit code, the last
// stdout line for XCom, JSON logs on stderr), and SIGTERM, which Airflow sends when it
// kills a task. Linux only: the SIGTERM test sizes a pipe with fcntl.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// airflowConfig is the demo job as a deployment would run it: a daily schedule, the
// report as a file, recorded in a state store.
const airflowConfig = `
version: 1
state: {driver: sqlite, path: state/driftwatch.db}
jobs:
  - name: churn-daily
    schedule: "0 0 * * *"
    reference: {type: parquet, path: "${DEMO}/reference"}
    current: {type: parquet, path: "${DEMO}/live", timestamp: ts, window: 1d}
    columns: {id: request_id, timestamp: ts, target: churned, prediction: prediction, scores: [score]}
    sinks:
      - {type: file, path: "out/{job}/{logical_date}.json"}
`

type xcom struct {
	Status      string `json:"status"`
	LogicalTime string `json:"logical_time"`
	Jobs        []struct {
		Job     string   `json:"job"`
		RunID   string   `json:"run_id"`
		Status  string   `json:"status"`
		Error   string   `json:"error"`
		Reports []string `json:"reports"`
		Window  *struct {
			Start string `json:"start"`
			End   string `json:"end"`
		} `json:"window"`
	} `json:"jobs"`
}

func parseXCom(t *testing.T, stdout string) xcom {
	t.Helper()
	var x xcom
	if err := json.Unmarshal([]byte(lastLine(stdout)), &x); err != nil {
		t.Fatalf("last stdout line is not the JSON summary: %v\n%q", err, lastLine(stdout))
	}
	return x
}

// stderrIsJSONLogs checks that every stderr line is a JSON log record (not a terminal).
func stderrIsJSONLogs(t *testing.T, stderr string, allow ...string) {
	t.Helper()
	sc := bufio.NewScanner(strings.NewReader(stderr))
	for sc.Scan() {
		line := sc.Text()
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) == nil && rec["level"] != nil && rec["msg"] != nil {
			continue
		}
		ok := false
		for _, a := range allow {
			ok = ok || strings.HasPrefix(line, a)
		}
		if !ok {
			t.Errorf("stderr line is not a JSON log record: %q", line)
		}
	}
}

// TestAirflow_BashOperator: the command lines of examples/airflow, with Airflow's
// rendering of {{ data_interval_start }} / {{ data_interval_end }} (+00:00 offsets).
func TestAirflow_BashOperator(t *testing.T) {
	dir := writeConfig(t, airflowConfig)
	env := []string{"DEMO=" + demoDir}
	res := run(t, dir, env, "run", "--config", "config.yaml", "--job", "churn-daily", "--at", "2026-11-27T00:00:00+00:00", "--quiet")
	if res.code != 0 {
		t.Fatalf("run --at: exit %d\n%s", res.code, res.stderr)
	}
	if n := strings.Count(res.stdout, "\n"); n != 1 {
		t.Errorf("--quiet printed %d lines, want only the summary", n)
	}
	x := parseXCom(t, res.stdout)
	if x.LogicalTime != "2026-11-27T00:00:00Z" || len(x.Jobs) != 1 || x.Jobs[0].RunID != "churn-daily-20261127T000000Z" ||
		x.Jobs[0].Window == nil || x.Jobs[0].Window.Start != "2026-11-26T00:00:00Z" || len(x.Jobs[0].Reports) != 1 {
		t.Fatalf("summary = %+v", x)
	}
	stderrIsJSONLogs(t, res.stderr)
	byAt, err := os.ReadFile(x.Jobs[0].Reports[0])
	if err != nil {
		t.Fatal(err)
	}

	// The data-interval form gives the same report (same run id, same file).
	res = run(t, dir, env, "run", "--config", "config.yaml", "--job", "churn-daily",
		"--window-start", "2026-11-26T00:00:00+00:00", "--window-end", "2026-11-27T00:00:00+00:00", "--quiet")
	if res.code != 0 {
		t.Fatalf("run --window-*: exit %d\n%s", res.code, res.stderr)
	}
	if got, _ := os.ReadFile(x.Jobs[0].Reports[0]); !bytes.Equal(got, byAt) {
		t.Error("--window-start/--window-end wrote a different report than --at")
	}

	// --fail-on-drift: exit 3 when the summary says drift, else 0.
	res = run(t, dir, env, "run", "--config", "config.yaml", "--at", "2026-11-27T00:00:00+00:00", "--quiet", "--fail-on-drift")
	if x := parseXCom(t, res.stdout); !(x.Status == "drift" && res.code == 3 || x.Status == "ok" && res.code == 0) {
		t.Errorf("--fail-on-drift: exit %d with status %s", res.code, x.Status)
	}

	// A failed run (no data for the window's source): exit 1, summary last, error in it.
	res = run(t, dir, []string{"DEMO=" + filepath.Join(dir, "missing")}, "run", "--config", "config.yaml", "--at", "2026-11-27", "--quiet")
	if x := parseXCom(t, res.stdout); res.code != 1 || x.Status != "failed" || x.Jobs[0].Error == "" {
		t.Errorf("failed run: exit %d, summary %+v", res.code, x)
	}
	stderrIsJSONLogs(t, res.stderr, "driftwatch: ")

	// Usage errors are exit 2 (Airflow should not retry them).
	res = run(t, dir, env, "run", "--config", "config.yaml", "--at", "2026-11-27", "--window-end", "2026-11-27")
	if res.code != 2 {
		t.Errorf("--at with --window-end: exit %d, want 2", res.code)
	}

	// Every run was recorded.
	res = run(t, dir, env, "history", "--config", "config.yaml", "--format", "json")
	var hist []struct {
		RunID    string `json:"run_id"`
		Status   string `json:"status"`
		Origin   string `json:"origin"`
		Attempts int    `json:"attempts"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &hist); err != nil || res.code != 0 {
		t.Fatalf("history: exit %d, %v\n%s", res.code, err, res.stdout)
	}
	if len(hist) != 1 || hist[0].RunID != "churn-daily-20261127T000000Z" || hist[0].Origin != "run" || hist[0].Attempts != 4 || hist[0].Status != "failed" {
		t.Errorf("history = %+v, want the one run, 4 attempts, the last failed", hist)
	}
}

// TestAirflow_SIGTERM: SIGTERM in the middle of a run (while the report is being
// delivered) ends it with exit 1, the summary line last on stdout, no report file,
// and the run recorded as canceled. The run is held mid-delivery deterministically:
// its stdout sink writes into a 4 KiB pipe that the test does not read until the
// signal has been sent.
func TestAirflow_SIGTERM(t *testing.T) {
	cfg := strings.Replace(airflowConfig, `      - {type: file, path: "out/{job}/{logical_date}.json"}`,
		"      - {type: stdout}\n      - {type: file, path: \"out/{job}/{logical_date}.json\"}", 1)
	dir := writeConfig(t, cfg)
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	const pipeSize = 4096
	if _, err := unix.FcntlInt(pw.Fd(), unix.F_SETPIPE_SZ, pipeSize); err != nil {
		t.Skipf("F_SETPIPE_SZ: %v", err)
	}
	cmd := exec.Command(binary, "run", "--config", "config.yaml", "--at", "2026-11-27T00:00:00+00:00")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "DEMO="+demoDir)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = pw, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	// Wait until the pipe is full: the stdout sink is blocked in the middle of the report.
	deadline := time.Now().Add(60 * time.Second)
	for {
		n, err := unix.IoctlGetInt(int(pr.Fd()), unix.TIOCINQ)
		if err != nil {
			t.Fatal(err)
		}
		if n >= pipeSize {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("the run never filled stdout (%d bytes)\n%s", n, stderr.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// Let the signal land before the sink can finish its write.
	time.Sleep(200 * time.Millisecond)
	var stdout bytes.Buffer
	stdout.ReadFrom(pr)
	err = cmd.Wait()
	code := cmd.ProcessState.ExitCode()
	if code != 1 {
		t.Fatalf("exit %d (%v), want 1\n%s", code, err, stderr.String())
	}
	x := parseXCom(t, stdout.String())
	if x.Status != "failed" || !strings.Contains(x.Jobs[0].Error, "context canceled") {
		t.Errorf("summary = %+v, want failed with context canceled", x)
	}
	if _, err := os.Stat(filepath.Join(dir, "out")); !os.IsNotExist(err) {
		t.Errorf("out/ exists after a run stopped by SIGTERM: %v", err)
	}
	res := run(t, dir, []string{"DEMO=" + demoDir}, "history", "--config", "config.yaml", "--format", "json")
	if !strings.Contains(res.stdout, `"status": "canceled"`) {
		t.Errorf("history after SIGTERM:\n%s", res.stdout)
	}
	stderrIsJSONLogs(t, stderr.String(), "driftwatch: ")
}

// TestSchedule_SIGTERM: the daemon, idle between runs, stops on SIGTERM at once
// (exit 0) and says so in its logs.
func TestSchedule_SIGTERM(t *testing.T) {
	dir := writeConfig(t, strings.Replace(airflowConfig, `"0 0 * * *"`, `"0 0 1 1 *"`, 1))
	cmd := exec.Command(binary, "schedule", "--config", "config.yaml", "--grace", "5s")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "DEMO="+demoDir)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(stderr.String(), "first start: scheduling from now") {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("the daemon did not start:\n%s", stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	start := time.Now()
	cmd.Process.Signal(syscall.SIGTERM)
	err := cmd.Wait()
	if err != nil || time.Since(start) > 4*time.Second {
		t.Errorf("daemon exited with %v after %s, want 0 at once\n%s", err, time.Since(start), stderr.String())
	}
	for _, want := range []string{`"msg":"scheduler started"`, `"msg":"stopping: no new runs"`, `"msg":"stopped"`} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("logs lack %s:\n%s", want, stderr.String())
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "state", "driftwatch.db")); err != nil {
		t.Errorf("state store not created: %v", err)
	}
}

// TestBackfill_Binary: a dry run lists the windows; a backfill of the demo week
// reports through the summary line and the history.
func TestBackfill_Binary(t *testing.T) {
	dir := writeConfig(t, airflowConfig)
	env := []string{"DEMO=" + demoDir}
	res := run(t, dir, env, "backfill", "--config", "config.yaml", "--job", "churn-daily", "--from", "2026-11-21", "--to", "2026-11-28", "--dry-run")
	if res.code != 0 || strings.Count(res.stdout, "current [") != 7 {
		t.Fatalf("dry run: exit %d\n%s", res.code, res.stdout)
	}
	res = run(t, dir, env, "backfill", "--config", "config.yaml", "--job", "churn-daily", "--from", "2026-11-21", "--to", "2026-11-28", "--parallel", "2")
	var sum struct {
		Status          string
		Runs, OK, Drift int
		Failed          int
		NotRun          int `json:"not_run"`
		Triggers        string
	}
	if err := json.Unmarshal([]byte(lastLine(res.stdout)), &sum); err != nil || res.code != 0 {
		t.Fatalf("backfill: exit %d, %v\n%s\n%s", res.code, err, res.stdout, res.stderr)
	}
	if sum.Runs != 7 || sum.OK+sum.Drift != 7 || sum.Triggers != "suppressed" {
		t.Errorf("summary = %+v", sum)
	}
	if n := strings.Count(res.stderr, `"msg":"backfill progress"`); n != 7 {
		t.Errorf("%d progress lines, want 7", n)
	}
	for d := 21; d <= 27; d++ {
		if _, err := os.Stat(filepath.Join(dir, "out", "churn-daily", fmt.Sprintf("2026-11-%02d.json", d))); err != nil {
			t.Errorf("report of day %d: %v", d, err)
		}
	}
}

// TestBackfill_ProgressBarOnTerminal: on a terminal (a pty from util-linux's script),
// backfill draws a progress bar instead of progress log lines.
func TestBackfill_ProgressBarOnTerminal(t *testing.T) {
	scriptBin, err := exec.LookPath("script")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI needs util-linux's script for the terminal test: %v", err)
		}
		t.Skipf("no script(1): %v", err)
	}
	dir := writeConfig(t, airflowConfig)
	line := fmt.Sprintf("DEMO=%s %s backfill --config config.yaml --job churn-daily --from 2026-11-21 --to 2026-11-28", demoDir, binary)
	cmd := exec.Command(scriptBin, "-qec", line, "/dev/null")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("backfill on a pty: %v\n%s", err, out)
	}
	s := string(out)
	for _, want := range []string{"backfill churn-daily", "100%", "7/7", "runs"} {
		if !strings.Contains(s, want) {
			t.Errorf("terminal output lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "backfill progress") {
		t.Errorf("progress log lines on a terminal (the bar should replace them):\n%s", s)
	}
}
