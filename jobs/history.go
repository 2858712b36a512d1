package jobs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/driftwatch/driftwatch/internal/state"
	"github.com/driftwatch/driftwatch/pipeline"
)

// StateConfig is the `state:` block: where the run history, the leases and the
// scheduler's cursors live.
//
// Without a `state:` block, `schedule`, `backfill` and `history` use the SQLite file
// driftwatch.db beside the config file, and `run` records nothing (so that Airflow
// and Kubernetes runs with a read-only config folder need no writable state). With
// one, every command uses it; `driver: none` turns recording off everywhere (then
// `schedule` refuses to start: it needs its cursors and leases).
type StateConfig struct {
	Driver string `yaml:"driver"` // sqlite (default), postgres or none
	Path   string `yaml:"path"`   // sqlite: the file, relative to the config's folder (default driftwatch.db)
	DSN    string `yaml:"dsn"`    // postgres: a URL or key=value string; put it in the environment: ${DRIFTWATCH_STATE_DSN}
}

// Default state file, beside the config file.
const defaultStateFile = "driftwatch.db"

// validateState checks the state block (called by Validate).
func validateState(s *StateConfig, add func(path, format string, args ...any)) {
	if s == nil {
		return
	}
	switch s.Driver {
	case "", state.DriverSQLite:
		if s.DSN != "" {
			add("state.dsn", "only for driver postgres")
		}
	case state.DriverPostgres:
		if s.DSN == "" {
			add("state.dsn", "required for driver postgres")
		}
		if s.Path != "" {
			add("state.path", "only for driver sqlite")
		}
	case "none":
		if s.DSN != "" || s.Path != "" {
			add("state", "driver none takes no path or dsn")
		}
	default:
		add("state.driver", "%q is not valid (valid: sqlite, postgres, none)", s.Driver)
	}
}

// resolvedState is where a command keeps its state, or none.
type resolvedState struct {
	cfg  state.Config
	none bool
}

func (r resolvedState) describe() string {
	switch {
	case r.none:
		return "none"
	case r.cfg.Driver == state.DriverSQLite:
		return "sqlite " + r.cfg.Path
	}
	return "postgres" // never the DSN: it may hold a password
}

// stateFor resolves the state of a config; implicit says whether a config without a
// `state:` block gets the default SQLite file (schedule, backfill, history) or none (run).
func stateFor(c *Config, implicit bool) resolvedState {
	s := c.State
	if s == nil {
		if !implicit {
			return resolvedState{none: true}
		}
		s = &StateConfig{}
	}
	switch s.Driver {
	case "none":
		return resolvedState{none: true}
	case state.DriverPostgres:
		return resolvedState{cfg: state.Config{Driver: state.DriverPostgres, DSN: s.DSN}}
	}
	p := s.Path
	if p == "" {
		p = defaultStateFile
	}
	if !filepath.IsAbs(p) {
		p = filepath.Join(c.dir, p)
	}
	return resolvedState{cfg: state.Config{Driver: state.DriverSQLite, Path: p}}
}

// openState opens the config's state store (nil when it has none).
func openState(ctx context.Context, c *Config, implicit bool) (state.Store, resolvedState, error) {
	rs := stateFor(c, implicit)
	if rs.none {
		return nil, rs, nil
	}
	s, err := state.Open(ctx, rs.cfg)
	if err != nil {
		return nil, rs, fmt.Errorf("state (%s): %w", rs.describe(), err)
	}
	return s, rs, nil
}

// RunOptions change one run of a job.
type RunOptions struct {
	// Current, when not zero, is the current window (Airflow's data interval) instead
	// of the one the config computes from the logical time.
	Current pipeline.Window
	// SuppressTriggers marks a run whose retrain triggers are decided but not
	// delivered: backfills without --emit-triggers (triggers.go).
	SuppressTriggers bool
	// store is the state store of a recorded run: its triggers go through the outbox
	// (triggers.go); nil sends them during the run.
	store state.Store
}

// recorder runs jobs under a lease in the state store and records each run in the
// history. With no store it just runs them.
type recorder struct {
	store  state.Store
	owner  string
	origin string
	mode   state.ClaimMode
	ttl    time.Duration
	now    func() time.Time
	// exec runs the job; tests replace it.
	exec func(ctx context.Context, j *Job, at time.Time, o RunOptions, env Env) (*pipeline.Report, JobSummary, error)
}

func newRecorder(store state.Store, origin string, mode state.ClaimMode, env Env) *recorder {
	return &recorder{store: store, owner: newOwner(), origin: origin, mode: mode, ttl: defaultLeaseTTL,
		now: env.Now, exec: runJob}
}

// newOwner names this process in leases: host, pid and a random suffix.
func newOwner() string {
	host, _ := os.Hostname()
	var b [4]byte
	rand.Read(b[:])
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}

// claim takes the lease of j at logical time at.
func (rc *recorder) claim(ctx context.Context, j *Job, at time.Time, cur pipeline.Window) (bool, state.Run, error) {
	_, curW := j.windows(at, cur)
	return rc.store.Claim(ctx, state.Claim{Job: j.Name, LogicalTime: at, RunID: RunID(j.Name, at), Origin: rc.origin,
		WindowStart: curW.Start, WindowEnd: curW.End, Owner: rc.owner, Now: rc.now(), TTL: rc.ttl, Mode: rc.mode})
}

// release gives back a claimed run that did not start (recorded as canceled, so that
// it runs again).
func (rc *recorder) release(j *Job, at time.Time) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rc.store.Finish(ctx, state.Run{Job: j.Name, LogicalTime: at, Owner: rc.owner, Status: state.StatusCanceled,
		Finished: rc.now(), Error: "not started: shutting down"})
}

// BusyError is a run that another process holds, or (for the scheduler) has finished.
type BusyError struct{ Holder state.Run }

func (e *BusyError) Error() string {
	return fmt.Sprintf("run %s is %s by %s (lease until %s)", e.Holder.RunID, e.Holder.Status, e.Holder.Owner,
		e.Holder.LeaseExpires.UTC().Format(time.RFC3339))
}

// runRecorded claims j at at and executes it; without a store it only executes it.
func (rc *recorder) runRecorded(ctx context.Context, j *Job, at time.Time, o RunOptions, env Env) (*pipeline.Report, JobSummary, error) {
	if rc.store == nil {
		return rc.call(ctx, j, at, o, env)
	}
	ok, holder, err := rc.claim(ctx, j, at, o.Current)
	if err != nil {
		sum := JobSummary{Job: j.Name, RunID: RunID(j.Name, at), Status: "failed", Reports: []string{}, Error: err.Error()}
		return nil, sum, fmt.Errorf("job %s: %w", j.Name, err)
	}
	if !ok {
		err := &BusyError{Holder: holder}
		sum := JobSummary{Job: j.Name, RunID: RunID(j.Name, at), Status: "failed", Reports: []string{}, Error: err.Error()}
		return nil, sum, fmt.Errorf("job %s: %w", j.Name, err)
	}
	return rc.execute(ctx, j, at, o, env)
}

// execute runs a claimed run: it renews the lease while the job runs (and cancels
// the run when the lease is lost), then records the outcome. A run whose ctx ends
// (SIGTERM) is recorded as canceled and may run again; otherwise the job's cursor
// advances to at.
func (rc *recorder) execute(ctx context.Context, j *Job, at time.Time, o RunOptions, env Env) (*pipeline.Report, JobSummary, error) {
	log := env.Logger.With(logKeyJob, j.Name, logKeyRunID, RunID(j.Name, at))
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	bg := context.WithoutCancel(ctx)
	lost := make(chan struct{})
	stopRenew := make(chan struct{})
	renewDone := make(chan struct{})
	go func() {
		defer close(renewDone)
		t := time.NewTicker(rc.ttl / 3)
		defer t.Stop()
		for {
			select {
			case <-stopRenew:
				return
			case <-t.C:
			}
			err := rc.store.Renew(bg, j.Name, at, rc.owner, rc.now().Add(rc.ttl))
			if errors.Is(err, state.ErrLeaseLost) {
				log.Error("lease lost: another process took the run over; canceling", "err", err)
				close(lost)
				cancel()
				return
			}
			if err != nil {
				log.Warn("renew lease", "err", err)
			}
		}
	}()
	o.store = rc.store
	rep, sum, err := rc.call(runCtx, j, at, o, env)
	close(stopRenew)
	<-renewDone

	r := state.Run{Job: j.Name, LogicalTime: at, Owner: rc.owner, Finished: rc.now(), Status: sum.Status}
	canceled := err != nil && ctx.Err() != nil
	select {
	case <-lost:
		canceled = true
	default:
	}
	if err != nil {
		r.Status, r.Error = state.StatusFailed, err.Error()
		if canceled {
			r.Status = state.StatusCanceled
		}
	}
	if r.Status == "" {
		r.Status = state.StatusFailed
	}
	if rep != nil {
		r.RowsRead = rep.Reference.Rows + rep.Current.Rows
	}
	if len(sum.Reports) > 0 {
		r.ReportPath = sum.Reports[0]
	}
	if b, err := json.Marshal(sum); err == nil {
		r.Summary = b
	}
	sctx, scancel := context.WithTimeout(bg, 30*time.Second)
	defer scancel()
	if ferr := rc.finishRun(sctx, j, r, rep); ferr != nil {
		log.Error("record run", "err", ferr)
	} else if r.Status != state.StatusCanceled {
		if aerr := rc.store.Advance(sctx, j.Name, at); aerr != nil {
			log.Error("advance cursor", "err", aerr)
		}
	}
	rc.deliverAfterRun(ctx, j, log) // the outbox: pending triggers of this job (triggers.go)
	return rep, sum, err
}

// runJob is the recorder's default exec.
func runJob(ctx context.Context, j *Job, at time.Time, o RunOptions, env Env) (*pipeline.Report, JobSummary, error) {
	return j.RunWith(ctx, at, env, o)
}

// call runs rc.exec, turning a panic into an error: one broken job never takes the
// daemon or the other jobs down, and its run never stays marked as running (robfig's
// Recover wrapped outside SkipIfStillRunning stops a job for good after one panic).
func (rc *recorder) call(ctx context.Context, j *Job, at time.Time, o RunOptions, env Env) (rep *pipeline.Report, sum JobSummary, err error) {
	defer func() {
		if r := recover(); r != nil {
			env.Logger.Error("job panicked", logKeyJob, j.Name, logKeyRunID, RunID(j.Name, at), "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			rep = nil
			sum = JobSummary{Job: j.Name, RunID: RunID(j.Name, at), Status: "failed", Reports: []string{}, Error: fmt.Sprintf("panic: %v", r)}
			err = fmt.Errorf("job %s: panic: %v", j.Name, r)
		}
	}()
	return rc.exec(ctx, j, at, o, env)
}

// HistoryEntry is one run in `history --format json`.
type HistoryEntry struct {
	Job         string          `json:"job"`
	LogicalTime time.Time       `json:"logical_time"`
	RunID       string          `json:"run_id"`
	Origin      string          `json:"origin"`
	Status      string          `json:"status"` // running, ok, drift, failed, canceled, abandoned (running, lease expired)
	WindowStart *time.Time      `json:"window_start"`
	WindowEnd   *time.Time      `json:"window_end"`
	Started     time.Time       `json:"started"`
	Finished    *time.Time      `json:"finished"`
	DurationS   *float64        `json:"duration_s"`
	RowsRead    int64           `json:"rows_read"`
	ReportPath  string          `json:"report_path,omitempty"`
	Error       string          `json:"error,omitempty"`
	Attempts    int             `json:"attempts"`
	Summary     json.RawMessage `json:"summary,omitempty"`
}

func historyEntry(r state.Run, now time.Time) HistoryEntry {
	opt := func(t time.Time) *time.Time {
		if t.IsZero() {
			return nil
		}
		t = t.UTC()
		return &t
	}
	e := HistoryEntry{Job: r.Job, LogicalTime: r.LogicalTime.UTC(), RunID: r.RunID, Origin: r.Origin, Status: r.Status,
		WindowStart: opt(r.WindowStart), WindowEnd: opt(r.WindowEnd), Started: r.Started.UTC(), Finished: opt(r.Finished),
		RowsRead: r.RowsRead, ReportPath: r.ReportPath, Error: r.Error, Attempts: r.Attempts, Summary: r.Summary}
	if r.Status == state.StatusRunning && !r.LeaseExpires.IsZero() && r.LeaseExpires.Before(now) {
		e.Status = "abandoned"
	}
	if !r.Finished.IsZero() {
		d := r.Finished.Sub(r.Started).Seconds()
		e.DurationS = &d
	}
	return e
}

func cmdHistory(ctx context.Context, args []string, env Env) error {
	fs := newFlags("history", env)
	cfgPath := fs.String("config", "", "config file (required)")
	jobName := fs.String("job", "", "only this job")
	format := fs.String("format", "text", "text or json")
	limit := fs.Int("limit", 50, "at most this many runs, newest first (0: all)")
	showTriggers := fs.Bool("triggers", false, "list retrain trigger deliveries (pending, delivered, failed) instead of runs")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *cfgPath == "" {
		return usagef("history: --config is required")
	}
	if *format != "text" && *format != "json" {
		return usagef("history: --format %q is not valid (valid: text, json)", *format)
	}
	if *limit < 0 {
		return usagef("history: --limit must not be negative")
	}
	cfg, err := LoadConfig(*cfgPath)
	if err != nil {
		return err
	}
	if *jobName != "" {
		if _, ok := cfg.Job(*jobName); !ok {
			return usagef("history: no job %q in %s", *jobName, *cfgPath)
		}
	}
	rs := stateFor(cfg, true)
	if rs.none {
		return &ConfigError{Path: cfg.path, Err: errors.New("state: driver none keeps no history")}
	}
	var runs []state.Run
	if rs.cfg.Driver == state.DriverSQLite && !exists(rs.cfg.Path) {
		// Nothing has run yet: do not create the file just to say so.
		if *showTriggers {
			return historyDeliveries(ctx, nil, *jobName, *format, true, *limit, env.Stdout)
		}
	} else {
		store, _, err := openState(ctx, cfg, true)
		if err != nil {
			return err
		}
		defer store.Close()
		if *showTriggers {
			return historyDeliveries(ctx, store, *jobName, *format, true, *limit, env.Stdout)
		}
		if runs, err = store.Runs(ctx, state.Query{Job: *jobName, Limit: *limit}); err != nil {
			return err
		}
		if *format == "text" {
			defer historyDeliveries(ctx, store, *jobName, *format, false, 0, env.Stdout)
		}
	}
	now := env.Now()
	entries := make([]HistoryEntry, len(runs))
	for i, r := range runs {
		entries[i] = historyEntry(r, now)
	}
	if *format == "json" {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(entries)
	}
	writeHistory(env.Stdout, entries)
	return nil
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func writeHistory(w io.Writer, entries []HistoryEntry) {
	if len(entries) == 0 {
		fmt.Fprintln(w, "no runs recorded")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "JOB\tLOGICAL TIME\tSTATUS\tORIGIN\tSTARTED\tDURATION\tROWS\tREPORT / ERROR")
	for _, e := range entries {
		dur := "-"
		if e.DurationS != nil {
			dur = (time.Duration(*e.DurationS * float64(time.Second))).Round(time.Millisecond).String()
		}
		detail := e.ReportPath
		if e.Error != "" {
			detail = e.Error
			if len(detail) > 100 {
				detail = detail[:97] + "..."
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\n", e.Job, e.LogicalTime.Format(time.RFC3339), e.Status, e.Origin,
			e.Started.Format(time.RFC3339), dur, e.RowsRead, strings.ReplaceAll(detail, "\n", " "))
	}
	tw.Flush()
}
