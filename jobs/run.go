package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/driftwatch/driftwatch/internal/state"
	"github.com/driftwatch/driftwatch/internal/yamlx"
	"github.com/driftwatch/driftwatch/pipeline"
	"github.com/driftwatch/driftwatch/sinks"
	"github.com/driftwatch/driftwatch/sources"
)

// Log attribute keys.
const (
	logKeyJob         = "job"
	logKeyRunID       = "run_id"
	logKeyWindowStart = "window_start"
	logKeyWindowEnd   = "window_end"
)

// Job is a configured job with its datasets and sinks built (no I/O yet).
type Job struct {
	Name           string
	cfg            *JobConfig
	loc            *time.Location
	ref, cur       pipeline.Dataset
	refWin, curWin WindowConfig
	// curSpan, refSpan and refOff are the windows with calendar days (schedule.go).
	curSpan, refSpan, refOff span
	sinks                    []pipeline.Sink
	triggers                 *triggerSetup // nil: no triggers block (triggers.go)
	opts                     pipeline.Options
	checks                   modelChecks   // labels and model metadata (model.go)
	profiles                 *profileSetup // kept profiles and roll-ups (profile.go)
}

// BuildJob constructs a job's datasets and sinks from the registries. It does no I/O.
func BuildJob(c *Config, jc *JobConfig, env Env) (*Job, error) {
	j := &Job{Name: jc.Name, cfg: jc, loc: time.UTC}
	if jc.Timezone != "" {
		loc, err := time.LoadLocation(jc.Timezone)
		if err != nil {
			return nil, err
		}
		j.loc = loc
	}
	var errs []error
	srcReg := sources.Builtin()
	registerProfileSource(srcReg) // type: profile (profile.go)
	sdeps := sources.Deps{Logger: env.Logger.With(logKeyJob, jc.Name), BaseDir: c.dir}
	buildSource := func(b yamlx.Block, w *WindowConfig) pipeline.Dataset {
		if err := b.Pick(w, windowKeys...); err != nil {
			errs = append(errs, err)
		}
		f, ok := srcReg.Lookup(b.Type)
		if !ok {
			var types []string
			for _, f := range srcReg.All() {
				types = append(types, f.Type)
			}
			errs = append(errs, &yamlx.Error{Path: b.Path + ".type", Msg: fmt.Sprintf("unknown source type %q (valid: %v)", b.Type, types)})
			return nil
		}
		ds, err := f.New(b.Without(windowKeys...).Decode, sdeps)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", b.Path, err))
			return nil
		}
		return ds
	}
	j.ref = buildSource(jc.Reference, &j.refWin)
	j.cur = buildSource(jc.Current, &j.curWin)
	var err error
	if j.refSpan, j.refOff, err = windowSpans(jc.Reference); err != nil {
		errs = append(errs, fmt.Errorf("%s.window: %w", jc.Reference.Path, err))
	}
	if j.curSpan, _, err = windowSpans(jc.Current); err != nil {
		errs = append(errs, fmt.Errorf("%s.window: %w", jc.Current.Path, err))
	}
	if j.checks, err = buildModelChecks(c, jc, srcReg, sdeps); err != nil {
		errs = append(errs, err)
	}
	sinkReg := sinks.Builtin()
	kdeps := sinks.Deps{Logger: env.Logger.With(logKeyJob, jc.Name), BaseDir: c.dir, Stdout: env.Stdout}
	named := map[string]pipeline.Sink{} // for triggers.deliver_to
	for _, b := range jc.Sinks {
		s, err := sinkReg.New(b.Type, b.Without("name").Decode, kdeps)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", b.Path, err))
			continue
		}
		j.sinks = append(j.sinks, s)
		named[sinkName(b)] = s
	}
	j.profiles = buildProfileSetup(c, jc)
	var terrs []error
	j.triggers, terrs = buildTriggers(c, jc, env, named)
	errs = append(errs, terrs...)
	if len(errs) > 0 {
		return nil, &ConfigError{Path: c.path, Err: errors.Join(errs...)}
	}
	binning, _ := parseBinning(jc.Drift.Binning)
	per := map[string]pipeline.ColumnOptions{}
	for col, cd := range jc.Drift.Columns {
		per[col] = pipeline.ColumnOptions{Methods: cd.Methods, Thresholds: cd.Thresholds}
	}
	cc := jc.Columns
	j.opts = pipeline.Options{
		Job: jc.Name, Preset: jc.Drift.Preset, Methods: jc.Drift.Methods, Binning: binning,
		DriftShare: jc.Drift.DriftShare, Thresholds: jc.Drift.Thresholds, PerColumn: per,
		Roles: pipeline.Roles{Target: cc.Target, Prediction: cc.Prediction, Scores: cc.Scores, ID: cc.ID,
			Timestamp: cc.Timestamp, Features: cc.Features, Exclude: cc.Exclude, Kinds: cc.Kinds},
		Logger: env.Logger.With(logKeyJob, jc.Name),
	}
	j.checks.options(jc, &j.opts)
	return j, nil
}

// Windows returns the reference and current windows of a run at logical time at, in
// the job's time zone: durations in hours and less are exact, days (`1d`) are calendar
// days (schedule.go).
func (j *Job) Windows(at time.Time) (ref, cur pipeline.Window) {
	return j.windows(at, pipeline.Window{})
}

// catchup returns the job's catch-up policy.
func (j *Job) catchup() string {
	if j.cfg == nil || j.cfg.Catchup == "" {
		return CatchupLatest
	}
	return j.cfg.Catchup
}

// RunID is deterministic per job and logical time, so that a re-run replaces its outputs.
func RunID(job string, at time.Time) string {
	return job + "-" + at.UTC().Format("20060102T150405Z")
}

// JobSummary is one job's entry in the run summary line.
type JobSummary struct {
	Job            string       `json:"job"`
	RunID          string       `json:"run_id"`
	Status         string       `json:"status"` // ok | drift | failed
	DatasetDrifted bool         `json:"dataset_drifted"`
	Share          pipeline.Num `json:"share"`
	DriftedColumns int          `json:"drifted_columns"`
	Columns        int          `json:"columns"`
	Findings       int          `json:"findings"`
	Reports        []string     `json:"reports"`
	Error          string       `json:"error,omitempty"`
	DurationS      float64      `json:"duration_s"`
	// Window is the current window (null: every row).
	Window *pipeline.WindowJSON `json:"window"`
}

// RunSummary is the last line of `run` on stdout (Airflow pushes it to XCom).
type RunSummary struct {
	Status      string       `json:"status"` // ok | drift | failed
	LogicalTime time.Time    `json:"logical_time"`
	Jobs        []JobSummary `json:"jobs"`
}

// Run runs the job once for logical time at and delivers the report to every sink.
func (j *Job) Run(ctx context.Context, at time.Time, env Env) (*pipeline.Report, JobSummary, error) {
	return j.RunWith(ctx, at, env, RunOptions{})
}

// RunWith is Run with options (an explicit current window; triggers suppressed).
func (j *Job) RunWith(ctx context.Context, at time.Time, env Env, ro RunOptions) (*pipeline.Report, JobSummary, error) {
	start := env.Now()
	sum := JobSummary{Job: j.Name, RunID: RunID(j.Name, at), Reports: []string{}}
	if j.cfg.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, j.cfg.Timeout)
		defer cancel()
	}
	refW, curW := j.windows(at, ro.Current)
	sum.Window = pipeline.NewWindowJSON(curW)
	log := env.Logger.With(logKeyJob, j.Name, logKeyRunID, sum.RunID)
	log.Info("run started", "logical_time", at.UTC(), logKeyWindowStart, curW.Start, logKeyWindowEnd, curW.End,
		"reference", j.ref.String(), "current", j.cur.String())
	o := j.opts
	o.RunID, o.LogicalTime = sum.RunID, at
	in := pipeline.Input{Reference: j.ref, Current: j.cur, ReferenceWindow: refW, CurrentWindow: curW}
	err := j.checks.prepare(&o, &in)
	if err == nil {
		err = j.profiles.rollup(ctx, j, &in, &o, env)
	}
	var rep *pipeline.Report
	if err == nil {
		rep, err = pipeline.Run(ctx, in, o)
	}
	if err == nil {
		err = j.profiles.keep(ctx, j, in, &o, env)
	}
	if err != nil {
		sum.Status, sum.Error = "failed", err.Error()
		sum.DurationS = env.Now().Sub(start).Seconds()
		return nil, sum, fmt.Errorf("job %s: %w", j.Name, err)
	}
	if err := j.afterAnalysis(ctx, rep, at, ro, start, env); err != nil {
		sum.Status, sum.Error = "failed", err.Error()
		sum.DurationS = env.Now().Sub(start).Seconds()
		return nil, sum, fmt.Errorf("job %s: decide triggers: %w", j.Name, err)
	}
	var sinkErrs []error
	for _, s := range j.sinks {
		if err := s.Write(ctx, rep); err != nil {
			sinkErrs = append(sinkErrs, err)
			continue
		}
		if l, ok := s.(interface {
			Locations(*pipeline.Report) ([]string, error)
		}); ok {
			if ps, err := l.Locations(rep); err == nil {
				sum.Reports = append(sum.Reports, ps...)
			}
		}
	}
	if ro.store == nil { // no outbox: send the triggers now (triggers.go)
		if err := j.deliverDirect(ctx, rep, log); err != nil {
			sinkErrs = append(sinkErrs, err)
		}
	}
	d := rep.DatasetDrift
	sum.DatasetDrifted, sum.Share, sum.DriftedColumns, sum.Columns, sum.Findings = d.Drifted, d.Share, d.DriftedColumns, d.Columns, len(rep.Quality)
	sum.Status = "ok"
	if d.Drifted {
		sum.Status = "drift"
	}
	sum.DurationS = env.Now().Sub(start).Seconds()
	if len(sinkErrs) > 0 {
		sum.Status, sum.Error = "failed", errors.Join(sinkErrs...).Error()
		return rep, sum, fmt.Errorf("job %s: deliver report: %w", j.Name, errors.Join(sinkErrs...))
	}
	log.Info("run finished", "reference_rows", rep.Reference.Rows, "current_rows", rep.Current.Rows,
		"columns", len(rep.Columns), "drifted", d.DriftedColumns, "dataset_drift", d.Drifted,
		"findings", len(rep.Quality), "duration_s", sum.DurationS)
	return rep, sum, nil
}

func cmdRun(ctx context.Context, args []string, env Env) (int, error) {
	fs := newFlags("run", env)
	cfgPath := fs.String("config", "", "config file (required)")
	jobName := fs.String("job", "", "run only this job (default: every job)")
	atFlag := fs.String("at", "", "logical time of the run, RFC 3339 or a date (default: now); \"scheduled\": the job's last scheduled time (Kubernetes CronJob)")
	wsFlag := fs.String("window-start", "", "start of the current window, with --window-end, instead of --at (Airflow: {{ data_interval_start }})")
	weFlag := fs.String("window-end", "", "end of the current window and logical time of the run (Airflow: {{ data_interval_end }})")
	failOnDrift := fs.Bool("fail-on-drift", false, "exit 3 when a job's dataset drifted")
	quiet := fs.Bool("quiet", false, "print only the summary line on stdout")
	if err := parseFlags(fs, args); err != nil {
		return 0, err
	}
	if *cfgPath == "" {
		return 0, usagef("run: --config is required")
	}
	at := env.Now().UTC()
	if *atFlag != "" && *atFlag != atScheduled {
		t, err := ParseTime(*atFlag)
		if err != nil {
			return 0, &UsageError{Err: fmt.Errorf("run: --at: %w", err)}
		}
		at = t
	}
	if *atFlag == atScheduled && *jobName == "" {
		return 0, usagef("run: --at scheduled needs --job")
	}
	cur, err := windowFlags(*atFlag, *wsFlag, *weFlag)
	if err != nil {
		return 0, err
	}
	if !cur.IsZero() {
		at = cur.End
	}
	cfg, err := LoadConfig(*cfgPath)
	if err != nil {
		return 0, err
	}
	jobs, err := selectJobs(cfg, *jobName, env)
	if err != nil {
		return 0, err
	}
	if *atFlag == atScheduled {
		if at, err = lastScheduled(jobs[0], env.Now()); err != nil {
			return 0, err
		}
	}
	store, _, err := openState(ctx, cfg, false)
	if err != nil {
		return 0, err
	}
	if store != nil {
		defer store.Close()
	}
	rec := newRecorder(store, state.OriginRun, state.ClaimRerun, env)
	summary := RunSummary{Status: "ok", LogicalTime: at, Jobs: []JobSummary{}}
	var errs []error
	for _, j := range jobs {
		rep, js, err := rec.runRecorded(ctx, j, at, RunOptions{Current: cur}, env)
		summary.Jobs = append(summary.Jobs, js)
		if err != nil {
			errs = append(errs, err)
			summary.Status = "failed"
		} else if js.DatasetDrifted && summary.Status == "ok" {
			summary.Status = "drift"
		}
		if rep != nil && !*quiet {
			WriteText(env.Stdout, rep)
			for _, p := range js.Reports {
				fmt.Fprintf(env.Stdout, "report: %s\n", p)
			}
			fmt.Fprintln(env.Stdout)
		}
	}
	b, _ := json.Marshal(summary)
	fmt.Fprintln(env.Stdout, string(b))
	if len(errs) > 0 {
		return ExitFailed, errors.Join(errs...)
	}
	if *failOnDrift && summary.Status == "drift" {
		return ExitDrifted, nil
	}
	return ExitOK, nil
}

// windowFlags parses run's --window-start and --window-end (Airflow's data interval).
func windowFlags(at, start, end string) (pipeline.Window, error) {
	if start == "" && end == "" {
		return pipeline.Window{}, nil
	}
	if at != "" {
		return pipeline.Window{}, usagef("run: --at and --window-start/--window-end exclude each other")
	}
	if start == "" || end == "" {
		return pipeline.Window{}, usagef("run: --window-start and --window-end go together")
	}
	s, err := ParseTime(start)
	if err != nil {
		return pipeline.Window{}, &UsageError{Err: fmt.Errorf("run: --window-start: %w", err)}
	}
	e, err := ParseTime(end)
	if err != nil {
		return pipeline.Window{}, &UsageError{Err: fmt.Errorf("run: --window-end: %w", err)}
	}
	if !s.Before(e) {
		return pipeline.Window{}, usagef("run: --window-start %s is not before --window-end %s", start, end)
	}
	return pipeline.Window{Start: s, End: e}, nil
}

func selectJobs(cfg *Config, name string, env Env) ([]*Job, error) {
	var out []*Job
	for i := range cfg.Jobs {
		jc := &cfg.Jobs[i]
		if name != "" && jc.Name != name {
			continue
		}
		j, err := BuildJob(cfg, jc, env)
		if err != nil {
			return nil, err
		}
		out = append(out, j)
	}
	if name != "" && len(out) == 0 {
		var names []string
		for _, j := range cfg.Jobs {
			names = append(names, j.Name)
		}
		return nil, usagef("no job %q in %s (jobs: %v)", name, cfg.path, names)
	}
	return out, nil
}

func cmdValidate(ctx context.Context, args []string, env Env) error {
	fs := newFlags("validate", env)
	cfgPath := fs.String("config", "", "config file (required)")
	atFlag := fs.String("at", "", "logical time whose windows are checked (default: now)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *cfgPath == "" {
		return usagef("validate: --config is required")
	}
	at := env.Now().UTC()
	if *atFlag != "" {
		t, err := ParseTime(*atFlag)
		if err != nil {
			return &UsageError{Err: fmt.Errorf("validate: --at: %w", err)}
		}
		at = t
	}
	cfg, err := LoadConfig(*cfgPath)
	if err != nil {
		return err
	}
	jobs, err := selectJobs(cfg, "", env)
	if err != nil {
		return err
	}
	var errs []error
	for _, j := range jobs {
		errs = append(errs, j.checkEnv()...) // secrets named by *_env keys
		refW, curW := j.Windows(at)
		for _, side := range []struct {
			name string
			ds   pipeline.Dataset
			w    pipeline.Window
		}{{"reference", j.ref, refW}, {"current", j.cur, curW}} {
			src, err := side.ds.Open(ctx, side.w)
			if err != nil {
				errs = append(errs, fmt.Errorf("job %s: %s: %w", j.Name, side.name, err))
				continue
			}
			fmt.Fprintf(env.Stdout, "job %s: %s %s: %d rows, %d columns\n", j.Name, side.name, side.ds, src.Rows(), len(src.Schema().Fields))
			for _, f := range src.Schema().Findings {
				fmt.Fprintf(env.Stdout, "  [%s] %s\n", f.Severity, f.Message)
			}
			src.Close()
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	fmt.Fprintf(env.Stdout, "config %s is valid: %d job(s)\n", *cfgPath, len(jobs))
	return nil
}
