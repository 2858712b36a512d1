package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/driftwatch/driftwatch/internal/state"
	"github.com/driftwatch/driftwatch/internal/yamlx"
	"github.com/driftwatch/driftwatch/pipeline"
)

// Schedule is a job's cron schedule. github.com/robfig/cron/v3 parses the spec and
// enumerates matching wall-clock times; the mapping of wall-clock times to instants
// is ours, because the library's has defects around DST changes (a 02:30 job is
// skipped on the spring-forward day and runs twice on the fall-back day) and its
// parser panics on a bare "CRON_TZ=UTC". The rules, as Vixie cron's:
//
//   - The spec is read in its CRON_TZ= (or TZ=) zone, else in the job's timezone,
//     else UTC (never the machine's local zone).
//   - A fixed-time job (neither the minute nor the hour field starts with * or ?;
//     @daily, @weekly, @monthly, @yearly) whose wall-clock time is skipped by a DST
//     change runs at the transition (02:30 on the spring-forward day runs at 03:00
//     CEST), and a wall-clock time that happens twice runs once, the first time.
//   - Any other job (@hourly, */15 …) follows the clock: a skipped time does not
//     run, a repeated time runs twice (the hour really passes twice).
//   - @every D runs at the multiples of D since the Unix epoch, so that every daemon,
//     backfill and restart computes the same logical times.
type Schedule struct {
	spec  string
	loc   *time.Location
	spec5 *cron.SpecSchedule // evaluated on wall-clock times written as UTC (no DST)
	every time.Duration
	fixed bool
}

var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// ParseSchedule parses a cron spec: five fields (minute hour day-of-month month
// day-of-week), a descriptor (@yearly, @monthly, @weekly, @daily, @midnight, @hourly,
// @every 90m), optionally prefixed with CRON_TZ=Zone or TZ=Zone. loc is the zone
// of a spec without a prefix (nil: UTC).
func ParseSchedule(spec string, loc *time.Location) (*Schedule, error) {
	if loc == nil {
		loc = time.UTC
	}
	s := &Schedule{spec: spec, loc: loc}
	rest := strings.TrimSpace(spec)
	for _, p := range []string{"CRON_TZ=", "TZ="} {
		if !strings.HasPrefix(rest, p) {
			continue
		}
		zone, fields, _ := strings.Cut(rest[len(p):], " ")
		fields = strings.TrimSpace(fields)
		if fields == "" {
			return nil, fmt.Errorf("schedule %q: no fields after %s%s", spec, p, zone)
		}
		l, err := time.LoadLocation(zone)
		if err != nil || zone == "" || strings.EqualFold(zone, "local") {
			return nil, fmt.Errorf("schedule %q: unknown time zone %q", spec, zone)
		}
		s.loc, rest = l, fields
		break
	}
	if rest == "" {
		return nil, fmt.Errorf("schedule %q: empty", spec)
	}
	if strings.HasPrefix(rest, "@every") {
		d, err := yamlx.ParseDuration(strings.TrimSpace(strings.TrimPrefix(rest, "@every")))
		if err != nil || d < time.Minute || d%time.Second != 0 {
			return nil, fmt.Errorf("schedule %q: @every needs a whole number of seconds of at least 1m", spec)
		}
		s.every = d
		return s, nil
	}
	parsed, err := parseCron(rest)
	if err != nil {
		return nil, fmt.Errorf("schedule %q: %w", spec, err)
	}
	sp, ok := parsed.(*cron.SpecSchedule)
	if !ok {
		return nil, fmt.Errorf("schedule %q: not a calendar schedule", spec)
	}
	sp.Location = time.UTC
	s.spec5 = sp
	if strings.HasPrefix(rest, "@") {
		s.fixed = rest != "@hourly"
	} else {
		f := strings.Fields(rest)
		s.fixed = !strings.ContainsAny(f[0][:1], "*?") && !strings.ContainsAny(f[1][:1], "*?")
	}
	if s.Next(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)).IsZero() && s.Next(time.Date(2004, 1, 1, 0, 0, 0, 0, time.UTC)).IsZero() {
		return nil, fmt.Errorf("schedule %q: matches no date", spec)
	}
	return s, nil
}

// parseCron calls the library parser, turning a panic into an error.
func parseCron(spec string) (sc cron.Schedule, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("invalid spec: %v", r)
		}
	}()
	return cronParser.Parse(spec)
}

func (s *Schedule) String() string { return s.spec }

// Location is the zone the spec is read in.
func (s *Schedule) Location() *time.Location { return s.loc }

// Next returns the first scheduled time strictly after t (zero when there is none
// within five years).
func (s *Schedule) Next(t time.Time) time.Time {
	if s.every > 0 {
		n := t.UnixNano() / int64(s.every)
		if t.UnixNano() < 0 && t.UnixNano()%int64(s.every) != 0 {
			n--
		}
		return time.Unix(0, (n+1)*int64(s.every)).UTC()
	}
	c := civil(t, s.loc)
	// A wall-clock time before t's may still lie after t when the clock is set back
	// within a few hours after t: look back by as much as it is set back, only then.
	var back time.Duration
	if lt := t.In(s.loc); true {
		if _, end := lt.ZoneBounds(); !end.IsZero() && end.Sub(t) <= 6*time.Hour {
			_, offNow := lt.Zone()
			_, offAfter := end.In(s.loc).Zone()
			if offNow > offAfter {
				back = time.Duration(offNow-offAfter) * time.Second
			}
		}
	}
	var best time.Time
	cand := s.spec5.Next(c.Add(-back - time.Second))
	for i := 0; !cand.IsZero() && i < 1<<20; i++ {
		inst := s.instants(cand)
		if len(inst) > 0 && !best.IsZero() && !inst[0].Before(best) {
			break // later wall-clock times never map earlier
		}
		for _, x := range inst {
			if x.After(t) && (best.IsZero() || x.Before(best)) {
				best = x
			}
		}
		cand = s.spec5.Next(cand)
	}
	return best
}

// instants maps one matching wall-clock time to the instants it runs at.
func (s *Schedule) instants(c time.Time) []time.Time {
	first, last, exists := wallClock(c, s.loc)
	switch {
	case !exists && s.fixed:
		return []time.Time{first}
	case !exists:
		return nil
	case first.Equal(last) || s.fixed:
		return []time.Time{first}
	}
	return []time.Time{first, last}
}

// Between returns the scheduled times in [from, to), at most limit of them (0: no
// limit), and whether it stopped at the limit.
func (s *Schedule) Between(from, to time.Time, limit int) ([]time.Time, bool) {
	var out []time.Time
	for t := s.Next(from.Add(-time.Nanosecond)); !t.IsZero() && t.Before(to); t = s.Next(t) {
		if limit > 0 && len(out) == limit {
			return out, true
		}
		out = append(out, t)
	}
	return out, false
}

// Last returns the last scheduled time in (after, until], or zero.
func (s *Schedule) Last(after, until time.Time) time.Time {
	// Most schedules fire at least daily: look at the last day first.
	for _, back := range []time.Duration{25 * time.Hour, 32 * 24 * time.Hour, 367 * 24 * time.Hour, 0} {
		from := after
		if back > 0 && until.Add(-back).After(after) {
			from = until.Add(-back)
		}
		var last time.Time
		for t := s.Next(from); !t.IsZero() && !t.After(until); t = s.Next(t) {
			last = t
		}
		if !last.IsZero() || from.Equal(after) {
			return last
		}
	}
	return time.Time{}
}

// civil returns the wall-clock reading of t in loc, as a UTC time.
func civil(t time.Time, loc *time.Location) time.Time {
	l := t.In(loc)
	return time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute(), l.Second(), l.Nanosecond(), time.UTC)
}

// wallClock returns the first and last instants at which the clock of loc reads c
// (a wall-clock time written as UTC): one instant, or two where the clock is set
// back. When the clock skips c (it is set forward), exists is false and first = last
// is the transition, the first instant whose reading is past c.
func wallClock(c time.Time, loc *time.Location) (first, last time.Time, exists bool) {
	if loc == time.UTC {
		return c, c, true
	}
	u := c.Unix()
	// The offsets in force around c: before and after any transition near it.
	var offs [3]int
	n := 0
	for _, probe := range [3]int64{u - 36*3600, u, u + 36*3600} {
		_, off := time.Unix(probe, 0).In(loc).Zone()
		if !slices.Contains(offs[:n], off) {
			offs[n] = off
			n++
		}
	}
	for _, off := range offs[:n] {
		x := time.Unix(u-int64(off), int64(c.Nanosecond())).UTC()
		if _, o := x.In(loc).Zone(); o != off {
			continue
		}
		if first.IsZero() || x.Before(first) {
			first = x
		}
		if last.IsZero() || x.After(last) {
			last = x
		}
	}
	if !first.IsZero() {
		return first, last, true
	}
	start, _ := time.Unix(u-int64(offs[0]), 0).In(loc).ZoneBounds()
	return start.UTC(), start.UTC(), false
}

// span is a window length or offset: calendar days in the job's zone plus an exact
// duration. `window: 24h` is exactly 24 hours; `window: 1d` is one calendar day, 23
// or 25 hours across a DST change, so that daily windows tile the days of the zone.
type span struct {
	days int
	dur  time.Duration
}

func (sp span) zero() bool { return sp.days == 0 && sp.dur == 0 }

var daysPrefix = regexp.MustCompile(`^\s*(\d+)d(.*)$`)

// parseSpan reads a window or offset as written in config ("24h", "7d", "1d12h").
func parseSpan(s string) (span, error) {
	if m := daysPrefix.FindStringSubmatch(s); m != nil {
		days, err := strconv.Atoi(m[1])
		if err != nil {
			return span{}, err
		}
		var rest time.Duration
		if r := strings.TrimSpace(m[2]); r != "" {
			if rest, err = time.ParseDuration(r); err != nil {
				return span{}, err
			}
		}
		return span{days: days, dur: rest}, nil
	}
	if strings.TrimSpace(s) == "" {
		return span{}, nil
	}
	d, err := yamlx.ParseDuration(s)
	return span{dur: d}, err
}

// before returns the instant sp before t: the calendar days are taken on the wall
// clock of loc (the first instant with the same reading, or the transition when the
// clock skips it), then the exact duration.
func (sp span) before(t time.Time, loc *time.Location) time.Time {
	if sp.days != 0 {
		c := civil(t, loc).AddDate(0, 0, -sp.days)
		t, _, _ = wallClock(c, loc)
	}
	return t.Add(-sp.dur)
}

// rawKeys returns the scalar values of the keys of a block, as written.
func rawKeys(b yamlx.Block, keys ...string) map[string]string {
	out := map[string]string{}
	if b.Node == nil {
		return out
	}
	for i := 0; i+1 < len(b.Node.Content); i += 2 {
		for _, k := range keys {
			if b.Node.Content[i].Value == k {
				out[k] = b.Node.Content[i+1].Value
			}
		}
	}
	return out
}

// windowSpans reads a source block's window and offset as spans.
func windowSpans(b yamlx.Block) (win, off span, err error) {
	raw := rawKeys(b, windowKeys...)
	if win, err = parseSpan(raw["window"]); err != nil {
		return span{}, span{}, err
	}
	off, err = parseSpan(raw["offset"])
	return win, off, err
}

// windows computes the reference and current windows of a run at logical time at.
// cur, when not zero, is the current window given from outside (Airflow's data
// interval); else it is [at - window, at). A reference window without an offset ends
// where the current window starts.
func (j *Job) windows(at time.Time, cur pipeline.Window) (ref, curW pipeline.Window) {
	loc := j.loc
	if loc == nil {
		loc = time.UTC
	}
	curW = cur
	if curW.IsZero() && !j.curSpan.zero() {
		curW = pipeline.Window{Start: j.curSpan.before(at, loc), End: at}
	}
	if !j.refSpan.zero() {
		end := at
		switch {
		case !j.refOff.zero():
			end = j.refOff.before(at, loc)
		case !curW.IsZero():
			end = curW.Start
		}
		ref = pipeline.Window{Start: j.refSpan.before(end, loc), End: end}
	}
	return ref, curW
}

// atScheduled is the --at value of run that means "the job's last scheduled time":
// a Kubernetes CronJob passes no logical time, and a pod may start late.
const atScheduled = "scheduled"

// lastScheduled returns the job's last scheduled time at or before now (within a year
// and a day, which covers @yearly).
func lastScheduled(j *Job, now time.Time) (time.Time, error) {
	if j.cfg.Schedule == "" {
		return time.Time{}, usagef("run: --at scheduled: job %s has no schedule", j.Name)
	}
	sc, err := ParseSchedule(j.cfg.Schedule, j.loc)
	if err != nil {
		return time.Time{}, &ConfigError{Err: err}
	}
	at := sc.Last(now.Add(-367*24*time.Hour), now)
	if at.IsZero() {
		return time.Time{}, fmt.Errorf("run: --at scheduled: job %s was not scheduled in the last year", j.Name)
	}
	return at, nil
}

// Catch-up policies (`catchup:`): what the daemon does with scheduled times that
// passed while it was down or while the job's previous run was still running.
const (
	CatchupAll    = "all"    // run every one, oldest first
	CatchupLatest = "latest" // run only the most recent one (the default)
	CatchupNone   = "none"   // run none; wait for the next scheduled time
)

// validateSchedule checks a job's schedule and catch-up keys (called by Validate).
func validateSchedule(p string, j *JobConfig, add func(path, format string, args ...any)) {
	if j.Schedule != "" {
		loc := time.UTC
		if j.Timezone != "" {
			if l, err := time.LoadLocation(j.Timezone); err == nil {
				loc = l
			}
		}
		if _, err := ParseSchedule(j.Schedule, loc); err != nil {
			add(p+".schedule", "%v", err)
		}
	}
	switch j.Catchup {
	case "", CatchupAll, CatchupLatest, CatchupNone:
	default:
		add(p+".catchup", "%q is not valid (valid: all, latest, none)", j.Catchup)
	}
	for _, side := range []struct {
		name string
		b    yamlx.Block
	}{{"reference", j.Reference}, {"current", j.Current}} {
		if _, _, err := windowSpans(side.b); err != nil {
			add(p+"."+side.name+".window", "%v", err)
		}
	}
}

// Daemon defaults.
const (
	defaultGrace    = 25 * time.Second // below Kubernetes' default terminationGracePeriodSeconds (30)
	defaultLeaseTTL = 2 * time.Minute
	maxSleep        = time.Minute // the daemon wakes at least this often (wall-clock jumps)
	retryStore      = 15 * time.Second
)

// scheduler is the `schedule` daemon: one loop per job, runs recorded in the state
// store under a lease.
type scheduler struct {
	jobs  []scheduledJob
	rec   *recorder
	env   Env
	grace time.Duration
}

type scheduledJob struct {
	job     *Job
	sched   *Schedule
	catchup string
}

// run runs every job on its schedule until ctx ends (SIGTERM), then lets running jobs
// finish for the grace period and cancels those still running. It returns an error
// only when it had to cancel runs.
func (s *scheduler) run(ctx context.Context) error {
	log := s.env.Logger
	runCtx, cancelRuns := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelRuns()
	defer s.startDelivery(ctx)() // pending retrain triggers, every tick (triggers.go)
	var wg sync.WaitGroup
	var running sync.Map // job name → logical time of its current run
	for _, sj := range s.jobs {
		wg.Go(func() { s.loop(ctx, runCtx, sj, &running) })
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
	}
	var inFlight []string
	running.Range(func(k, v any) bool {
		inFlight = append(inFlight, fmt.Sprintf("%s@%s", k, v.(time.Time).UTC().Format(time.RFC3339)))
		return true
	})
	sort.Strings(inFlight)
	log.Info("stopping: no new runs", "running", inFlight, "grace", s.grace.String())
	t := time.NewTimer(s.grace)
	defer t.Stop()
	select {
	case <-done:
		log.Info("stopped")
		return nil
	case <-t.C:
	}
	log.Warn("grace period over: canceling running jobs", "grace", s.grace.String())
	cancelRuns()
	<-done
	return fmt.Errorf("schedule: canceled the runs still going after the %s grace period", s.grace)
}

// loop runs one job: it sleeps until the job's next scheduled time, applies the
// catch-up policy to times that passed, and runs one logical time at a time (a job
// never overlaps itself). An error or a panic of a run is logged and recorded; the
// loop goes on.
func (s *scheduler) loop(ctx, runCtx context.Context, sj scheduledJob, running *sync.Map) {
	name := sj.job.Name
	log := s.env.Logger.With(logKeyJob, name)
	var cursor time.Time
	for {
		c, err := s.rec.store.Cursor(ctx, name)
		if err == nil {
			cursor = c
			break
		}
		log.Error("read cursor", "err", err)
		if !sleepCtx(ctx, retryStore) {
			return
		}
	}
	if cursor.IsZero() {
		cursor = s.env.Now()
		log.Info("first start: scheduling from now", "next", sj.sched.Next(cursor))
	} else {
		log.Info("resuming", "last_completed", cursor, "next", sj.sched.Next(cursor), "catchup", sj.catchup)
	}
	var awaited time.Time // the scheduled time the loop last slept until
	for ctx.Err() == nil {
		now := s.env.Now()
		next := sj.sched.Next(cursor)
		if next.IsZero() {
			log.Warn("schedule has no further times")
			return
		}
		if next.After(now) {
			awaited = next
			sleepUntil(ctx, s.env.Now, next)
			continue
		}
		at := next
		switch sj.catchup {
		case CatchupLatest:
			at = sj.sched.Last(cursor, now)
			if !at.Equal(next) {
				log.Warn("skipping missed runs (catchup: latest)", "from", next, "to", sj.sched.Last(cursor, at.Add(-time.Nanosecond)), "running", at)
			}
		case CatchupNone:
			last := sj.sched.Last(cursor, now)
			if !last.Equal(awaited) {
				log.Warn("skipping missed runs (catchup: none)", "from", next, "to", last)
				cursor = last
				continue
			}
			at = last
		}
		running.Store(name, at)
		s.runOnce(ctx, runCtx, sj.job, at)
		running.Delete(name)
		cursor = at
	}
}

// runOnce claims and runs job at logical time at. A run held by another daemon is
// waited for (it finishes, or its lease expires and this daemon takes over); a run
// finished before is not run again.
func (s *scheduler) runOnce(ctx, runCtx context.Context, j *Job, at time.Time) {
	log := s.env.Logger.With(logKeyJob, j.Name, logKeyRunID, RunID(j.Name, at))
	for {
		if ctx.Err() != nil {
			return
		}
		ok, holder, err := s.rec.claim(ctx, j, at, pipeline.Window{})
		if err != nil {
			log.Error("claim run", "err", err)
			if !sleepCtx(ctx, retryStore) {
				return
			}
			continue
		}
		if ok && ctx.Err() != nil { // SIGTERM came while claiming: give the run back
			s.rec.release(j, at)
			return
		}
		if ok {
			break
		}
		if holder.Done() {
			log.Info("already run", "owner", holder.Owner, "status", holder.Status)
			return
		}
		wait := max(holder.LeaseExpires.Sub(s.env.Now()), time.Second)
		log.Info("running elsewhere: waiting", "owner", holder.Owner, "lease_expires", holder.LeaseExpires)
		if !sleepCtx(ctx, min(wait, s.rec.ttl)) {
			return
		}
	}
	s.rec.execute(runCtx, j, at, RunOptions{}, s.env)
}

// sleepUntil sleeps until now() reaches t or ctx ends, waking at least every maxSleep
// to re-read the clock.
func sleepUntil(ctx context.Context, now func() time.Time, t time.Time) {
	for {
		d := t.Sub(now())
		if d <= 0 {
			return
		}
		if !sleepCtx(ctx, min(d, maxSleep)) {
			return
		}
	}
}

// sleepCtx sleeps for d and reports whether ctx is still live.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

func cmdSchedule(ctx context.Context, args []string, env Env) error {
	fs := newFlags("schedule", env)
	cfgPath := fs.String("config", "", "config file (required)")
	jobName := fs.String("job", "", "schedule only this job (default: every job with a schedule)")
	grace := fs.Duration("grace", defaultGrace, "on SIGTERM, how long running jobs may go on before they are canceled")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *cfgPath == "" {
		return usagef("schedule: --config is required")
	}
	if *grace < 0 {
		return usagef("schedule: --grace must not be negative")
	}
	cfg, err := LoadConfig(*cfgPath)
	if err != nil {
		return err
	}
	jobs, err := selectJobs(cfg, *jobName, env)
	if err != nil {
		return err
	}
	var sjs []scheduledJob
	for _, j := range jobs {
		if j.cfg.Schedule == "" {
			if *jobName != "" {
				return usagef("schedule: job %s has no schedule", j.Name)
			}
			env.Logger.Info("job has no schedule: not scheduled", logKeyJob, j.Name)
			continue
		}
		sc, _ := ParseSchedule(j.cfg.Schedule, j.loc) // validated with the config
		sjs = append(sjs, scheduledJob{job: j, sched: sc, catchup: j.catchup()})
	}
	if len(sjs) == 0 {
		return &ConfigError{Path: cfg.path, Err: errors.New("no job has a schedule")}
	}
	store, sc, err := openState(ctx, cfg, true)
	if err != nil {
		return err
	}
	defer store.Close()
	s := &scheduler{jobs: sjs, env: env, grace: *grace,
		rec: newRecorder(store, state.OriginSchedule, state.ClaimOnce, env)}
	attrs := []any{"state", sc.describe(), "owner", s.rec.owner, "grace", grace.String()}
	for _, sj := range sjs {
		attrs = append(attrs, slog.Group(sj.job.Name, "schedule", sj.sched.String(), "catchup", sj.catchup))
	}
	env.Logger.Info("scheduler started", attrs...)
	return s.run(ctx)
}
