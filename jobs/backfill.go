package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/driftwatch/driftwatch/internal/state"
	"github.com/driftwatch/driftwatch/pipeline"
)

// maxBackfillRuns bounds one backfill (a typo in --from should not start a million runs).
const maxBackfillRuns = 100_000

// BackfillSummary is the last line of `backfill` on stdout.
type BackfillSummary struct {
	Status   string            `json:"status"` // ok | drift | failed (a run failed or was canceled)
	Job      string            `json:"job"`
	From     time.Time         `json:"from"`
	To       time.Time         `json:"to"`
	DryRun   bool              `json:"dry_run,omitempty"`
	Runs     int               `json:"runs"`     // scheduled times in [from, to)
	OK       int               `json:"ok"`       // completed without drift
	Drift    int               `json:"drift"`    // completed with dataset drift
	Failed   int               `json:"failed"`   // failed, canceled or held by another process
	NotRun   int               `json:"not_run"`  // not started (SIGTERM)
	Triggers string            `json:"triggers"` // suppressed | emitted
	Failures []BackfillFailure `json:"failures"`
}

// BackfillFailure is one failed run of a backfill.
type BackfillFailure struct {
	RunID string `json:"run_id"`
	Error string `json:"error"`
}

func cmdBackfill(ctx context.Context, args []string, env Env) (int, error) {
	fs := newFlags("backfill", env)
	cfgPath := fs.String("config", "", "config file (required)")
	jobName := fs.String("job", "", "the job to backfill (required)")
	fromFlag := fs.String("from", "", "first logical time (inclusive), RFC 3339 or a date (required)")
	toFlag := fs.String("to", "", "end (exclusive), RFC 3339 or a date (required)")
	parallel := fs.Int("parallel", 1, "runs in flight at once")
	dryRun := fs.Bool("dry-run", false, "list the runs and their windows; run nothing")
	emit := fs.Bool("emit-triggers", false, "deliver retrain triggers (default: decided, not delivered)")
	if err := parseFlags(fs, args); err != nil {
		return 0, err
	}
	if *cfgPath == "" || *jobName == "" || *fromFlag == "" || *toFlag == "" {
		return 0, usagef("backfill: --config, --job, --from and --to are required")
	}
	if *parallel < 1 {
		return 0, usagef("backfill: --parallel must be at least 1")
	}
	from, err := ParseTime(*fromFlag)
	if err != nil {
		return 0, &UsageError{Err: fmt.Errorf("backfill: --from: %w", err)}
	}
	to, err := ParseTime(*toFlag)
	if err != nil {
		return 0, &UsageError{Err: fmt.Errorf("backfill: --to: %w", err)}
	}
	if !from.Before(to) {
		return 0, usagef("backfill: --from %s is not before --to %s", *fromFlag, *toFlag)
	}
	cfg, err := LoadConfig(*cfgPath)
	if err != nil {
		return 0, err
	}
	jobs, err := selectJobs(cfg, *jobName, env)
	if err != nil {
		return 0, err
	}
	j := jobs[0]
	if j.cfg.Schedule == "" {
		return 0, usagef("backfill: job %s has no schedule: its logical times are undefined", j.Name)
	}
	sched, _ := ParseSchedule(j.cfg.Schedule, j.loc)
	times, over := sched.Between(from, to, maxBackfillRuns)
	if over {
		return 0, usagef("backfill: more than %d scheduled times in [%s, %s)", maxBackfillRuns, *fromFlag, *toFlag)
	}
	sum := BackfillSummary{Status: "ok", Job: j.Name, From: from, To: to, DryRun: *dryRun, Runs: len(times),
		Triggers: "suppressed", Failures: []BackfillFailure{}}
	if *emit {
		sum.Triggers = "emitted"
	}
	if *dryRun {
		for _, at := range times {
			ref, cur := j.Windows(at)
			fmt.Fprintf(env.Stdout, "%s  %s  current %s  reference %s\n", at.UTC().Format(time.RFC3339), RunID(j.Name, at), fmtWindow(cur), fmtWindow(ref))
		}
		return ExitOK, printJSON(env.Stdout, sum)
	}
	store, rs, err := openState(ctx, cfg, true)
	if err != nil {
		return 0, err
	}
	if store != nil {
		defer store.Close()
	}
	rec := newRecorder(store, state.OriginBackfill, state.ClaimRerun, env)
	env.Logger.Info("backfill started", logKeyJob, j.Name, "from", from, "to", to, "runs", len(times),
		"parallel", *parallel, "state", rs.describe(), "triggers", sum.Triggers)
	ro := RunOptions{SuppressTriggers: !*emit}
	code := runBackfill(ctx, rec, j, times, *parallel, ro, env, &sum)
	return code, printJSON(env.Stdout, sum)
}

// progress reports backfill progress: a bar on a terminal, log lines otherwise.
type progress struct {
	bar   *progressbar.ProgressBar
	log   *slog.Logger
	total int
	done  int
}

func newProgress(env Env, job string, total int) *progress {
	p := &progress{log: env.Logger, total: total}
	if isTerminal(env.Stderr) {
		p.bar = progressbar.NewOptions(total, progressbar.OptionSetWriter(env.Stderr),
			progressbar.OptionSetDescription("backfill "+job), progressbar.OptionShowCount(),
			progressbar.OptionSetItsString("runs"), progressbar.OptionShowIts(), progressbar.OptionSetPredictTime(true),
			progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionFullWidth(),
			progressbar.OptionOnCompletion(func() { fmt.Fprintln(env.Stderr) }))
	}
	return p
}

func (p *progress) step(sum JobSummary, at time.Time) {
	p.done++
	if p.bar != nil {
		p.bar.Add(1)
		return
	}
	p.log.Info("backfill progress", "done", p.done, "total", p.total, logKeyJob, sum.Job, "logical_time", at.UTC(),
		"status", sum.Status, "duration_s", sum.DurationS)
}

// quietHandler drops records below a level: on a terminal, the job's own Info lines
// would tear the progress bar.
type quietHandler struct {
	slog.Handler
	min slog.Level
}

func (h quietHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func (h quietHandler) WithAttrs(a []slog.Attr) slog.Handler {
	return quietHandler{h.Handler.WithAttrs(a), h.min}
}

func (h quietHandler) WithGroup(n string) slog.Handler {
	return quietHandler{h.Handler.WithGroup(n), h.min}
}

// runBackfill runs times with parallel workers, in order of logical time, and fills
// sum. After ctx ends no new run starts; running ones end as canceled.
func runBackfill(ctx context.Context, rec *recorder, j *Job, times []time.Time, parallel int, ro RunOptions, env Env, sum *BackfillSummary) int {
	prog := newProgress(env, j.Name, len(times))
	runEnv := env
	if prog.bar != nil {
		runEnv.Logger = slog.New(quietHandler{env.Logger.Handler(), slog.LevelWarn})
	}
	type result struct {
		at  time.Time
		sum JobSummary
		err error
	}
	next := make(chan time.Time)
	results := make(chan result)
	var wg sync.WaitGroup
	for range min(parallel, max(1, len(times))) {
		wg.Go(func() {
			for at := range next {
				_, s, err := rec.runRecorded(ctx, j, at, ro, runEnv)
				results <- result{at, s, err}
			}
		})
	}
	go func() {
		defer close(next)
		for _, at := range times {
			if ctx.Err() != nil {
				return
			}
			select {
			case next <- at:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() { wg.Wait(); close(results) }()
	var failures []result
	started := 0
	for r := range results {
		started++
		prog.step(r.sum, r.at)
		if r.err != nil {
			env.Logger.Error("backfill run failed", logKeyJob, j.Name, logKeyRunID, RunID(j.Name, r.at), "err", r.err)
		}
		switch {
		case r.err != nil:
			sum.Failed++
			failures = append(failures, r)
		case r.sum.Status == "drift":
			sum.Drift++
		default:
			sum.OK++
		}
	}
	if prog.bar != nil && started == len(times) {
		prog.bar.Finish()
	}
	sum.NotRun = len(times) - started
	for _, f := range failures {
		sum.Failures = append(sum.Failures, BackfillFailure{RunID: RunID(j.Name, f.at), Error: f.err.Error()})
	}
	switch {
	case sum.Failed > 0 || sum.NotRun > 0:
		sum.Status = "failed"
	case sum.Drift > 0:
		sum.Status = "drift"
	}
	env.Logger.Info("backfill finished", logKeyJob, j.Name, "runs", sum.Runs, "ok", sum.OK, "drift", sum.Drift,
		"failed", sum.Failed, "not_run", sum.NotRun)
	if sum.Status == "failed" {
		return ExitFailed
	}
	return ExitOK
}

func fmtWindow(w pipeline.Window) string {
	if w.IsZero() {
		return "(all rows)"
	}
	f := func(t time.Time) string {
		if t.IsZero() {
			return "-"
		}
		return t.UTC().Format(time.RFC3339)
	}
	return "[" + f(w.Start) + ", " + f(w.End) + ")"
}

func printJSON(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(w, string(b))
	return err
}
