package jobs

// Tests of the schedule daemon in a testing/synctest bubble: time is fake, so hours
// of schedule pass instantly and every assertion about when a run started is exact.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/driftwatch/driftwatch/internal/state"
	"github.com/driftwatch/driftwatch/internal/state/statetest"
	"github.com/driftwatch/driftwatch/pipeline"
)

// day0 is where the fake clocks start.
var day0 = time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)

// fakeClock returns a clock that reads start when called first, then follows the
// bubble's fake time.
func fakeClock(start time.Time) func() time.Time {
	base := time.Now()
	return func() time.Time { return start.Add(time.Since(base)).UTC() }
}

type execCall struct {
	job         string
	at, started time.Time
}

// fakeExec stands in for Job.RunWith: it records calls, detects a job overlapping
// itself, and behaves as fn says (fn gets the job's call number, from 1).
type fakeExec struct {
	now func() time.Time
	fn  func(ctx context.Context, job string, at time.Time, n int) (status string, err error)

	mu      sync.Mutex
	calls   []execCall
	count   map[string]int
	running map[string]int
	overlap map[string]bool
}

func newFakeExec(now func() time.Time, fn func(ctx context.Context, job string, at time.Time, n int) (string, error)) *fakeExec {
	return &fakeExec{now: now, fn: fn, count: map[string]int{}, running: map[string]int{}, overlap: map[string]bool{}}
}

func (f *fakeExec) exec(ctx context.Context, j *Job, at time.Time, o RunOptions, env Env) (*pipeline.Report, JobSummary, error) {
	f.mu.Lock()
	f.count[j.Name]++
	n := f.count[j.Name]
	f.running[j.Name]++
	if f.running[j.Name] > 1 {
		f.overlap[j.Name] = true
	}
	f.calls = append(f.calls, execCall{j.Name, at, f.now()})
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.running[j.Name]--
		f.mu.Unlock()
	}()
	status, err := f.fn(ctx, j.Name, at, n)
	sum := JobSummary{Job: j.Name, RunID: RunID(j.Name, at), Status: status, Reports: []string{}}
	if err != nil {
		sum.Status, sum.Error = "failed", err.Error()
		return nil, sum, err
	}
	return &pipeline.Report{Reference: pipeline.DatasetInfo{Rows: 10}, Current: pipeline.DatasetInfo{Rows: 5}}, sum, nil
}

// ats returns the logical times job ran at, in call order.
func (f *fakeExec) ats(job string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var ts []time.Time
	for _, c := range f.calls {
		if c.job == job {
			ts = append(ts, c.at)
		}
	}
	return fmtTimes(ts)
}

// work takes d of (fake) time unless ctx ends first.
func work(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func quick(ctx context.Context, job string, at time.Time, n int) (string, error) {
	return "ok", work(ctx, time.Minute)
}

// onTime reports whether a run started at its logical time (within a second: SQLite's
// busy handler sleeps a millisecond of fake time when two jobs write at once).
func onTime(c execCall) bool { return !c.started.Before(c.at) && c.started.Sub(c.at) < time.Second }

type jobSpec struct{ name, spec, catchup string }

// syncBuffer is a log sink that the daemon's goroutines may share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newDaemon(t *testing.T, store state.Store, now func() time.Time, fx *fakeExec, grace time.Duration, logs *syncBuffer, specs ...jobSpec) *scheduler {
	t.Helper()
	env := Env{Now: now, Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{}, Logger: slog.New(slog.NewJSONHandler(logs, nil))}
	s := &scheduler{env: env, grace: grace, rec: newRecorder(store, state.OriginSchedule, state.ClaimOnce, env)}
	s.rec.exec = fx.exec
	for _, sp := range specs {
		sc, err := ParseSchedule(sp.spec, nil)
		if err != nil {
			t.Fatal(err)
		}
		j := &Job{Name: sp.name, cfg: &JobConfig{Name: sp.name, Catchup: sp.catchup}, loc: time.UTC, curSpan: span{dur: time.Hour}}
		s.jobs = append(s.jobs, scheduledJob{job: j, sched: sc, catchup: j.catchup()})
	}
	return s
}

// start runs the daemon in the background; stop sends it "SIGTERM" and returns its error.
func start(s *scheduler) (stop func() error) {
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- s.run(ctx) }()
	return func() error {
		cancel()
		return <-errc
	}
}

func openStore(t *testing.T, c state.Config) state.Store {
	t.Helper()
	s, err := state.Open(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func history(t *testing.T, s state.Store, job string) map[string]state.Run {
	t.Helper()
	runs, err := s.Runs(context.Background(), state.Query{Job: job})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]state.Run{}
	for _, r := range runs {
		out[r.LogicalTime.Format(time.RFC3339)] = r
	}
	return out
}

// TestScheduler_OnSchedule: an hourly job started at 00:30 with no history runs at
// 01:00, 02:00 and 03:00 exactly, records each run and advances its cursor.
func TestScheduler_OnSchedule(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		now := fakeClock(day0.Add(30 * time.Minute))
		store := openStore(t, statetest.SQLite(t))
		defer store.Close()
		fx := newFakeExec(now, quick)
		var logs syncBuffer
		stop := start(newDaemon(t, store, now, fx, time.Minute, &logs, jobSpec{"hourly", "0 * * * *", ""}))
		time.Sleep(3*time.Hour + 10*time.Minute)
		if err := stop(); err != nil {
			t.Errorf("stop = %v", err)
		}
		if got := fx.ats("hourly"); got != "2026-11-27T01:00:00Z 2026-11-27T02:00:00Z 2026-11-27T03:00:00Z" {
			t.Errorf("ran at %s", got)
		}
		for _, c := range fx.calls {
			if !onTime(c) {
				t.Errorf("run for %s started at %s, want on time", c.at, c.started)
			}
		}
		h := history(t, store, "hourly")
		r := h["2026-11-27T02:00:00Z"]
		if len(h) != 3 || r.Status != state.StatusOK || r.Origin != state.OriginSchedule || r.RowsRead != 15 ||
			!r.Finished.Equal(day0.Add(2*time.Hour+time.Minute)) || !r.WindowStart.Equal(day0.Add(time.Hour)) || r.Attempts != 1 {
			t.Errorf("history: %d rows, 02:00 = %+v", len(h), r)
		}
		if cur, _ := store.Cursor(context.Background(), "hourly"); !cur.Equal(day0.Add(3 * time.Hour)) {
			t.Errorf("cursor = %s, want 03:00", cur)
		}
	})
}

// TestScheduler_Catchup: the daemon was down from 20:00 (the last completed run) to
// 00:30; each policy treats the four missed hours its way.
func TestScheduler_Catchup(t *testing.T) {
	for _, c := range []struct {
		catchup, want string
	}{
		{CatchupAll, "2026-11-26T21:00:00Z 2026-11-26T22:00:00Z 2026-11-26T23:00:00Z 2026-11-27T00:00:00Z 2026-11-27T01:00:00Z"},
		{CatchupLatest, "2026-11-27T00:00:00Z 2026-11-27T01:00:00Z"},
		{"", "2026-11-27T00:00:00Z 2026-11-27T01:00:00Z"}, // latest is the default
		{CatchupNone, "2026-11-27T01:00:00Z"},
	} {
		t.Run("catchup_"+c.catchup, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				now := fakeClock(day0.Add(30 * time.Minute))
				store := openStore(t, statetest.SQLite(t))
				defer store.Close()
				if err := store.Advance(context.Background(), "j", day0.Add(-4*time.Hour)); err != nil {
					t.Fatal(err)
				}
				fx := newFakeExec(now, quick)
				var logs syncBuffer
				stop := start(newDaemon(t, store, now, fx, time.Minute, &logs, jobSpec{"j", "0 * * * *", c.catchup}))
				time.Sleep(time.Hour)
				stop()
				if got := fx.ats("j"); got != c.want {
					t.Errorf("ran at %s\nwant %s", got, c.want)
				}
				if c.catchup != CatchupAll && !strings.Contains(logs.String(), "skipping missed runs") {
					t.Errorf("no log line about the skipped runs:\n%s", logs.String())
				}
			})
		})
	}
}

// TestScheduler_NoOverlap: a job whose runs take 2.5 hours on an hourly schedule never
// runs twice at once; the hours that pass during a run follow the catch-up policy; a
// second job keeps its own schedule meanwhile.
func TestScheduler_NoOverlap(t *testing.T) {
	for _, c := range []struct{ catchup, want string }{
		{CatchupLatest, "2026-11-27T01:00:00Z 2026-11-27T03:00:00Z"},
		{CatchupAll, "2026-11-27T01:00:00Z 2026-11-27T02:00:00Z"},
	} {
		t.Run(c.catchup, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				now := fakeClock(day0.Add(30 * time.Minute))
				store := openStore(t, statetest.SQLite(t))
				defer store.Close()
				fx := newFakeExec(now, func(ctx context.Context, job string, at time.Time, n int) (string, error) {
					if job == "slow" {
						return "ok", work(ctx, 150*time.Minute)
					}
					return "ok", work(ctx, time.Minute)
				})
				var logs syncBuffer
				stop := start(newDaemon(t, store, now, fx, time.Hour, &logs,
					jobSpec{"slow", "0 * * * *", c.catchup}, jobSpec{"fast", "*/30 * * * *", ""}))
				time.Sleep(5*time.Hour + 20*time.Minute) // to 05:50, in the second slow run
				if err := stop(); err != nil {
					t.Errorf("stop = %v (the second run ends within the grace hour)", err)
				}
				if fx.overlap["slow"] {
					t.Error("the slow job overlapped itself")
				}
				if got := fx.ats("slow"); got != c.want {
					t.Errorf("slow ran at %s, want %s", got, c.want)
				}
				var fast []time.Time
				for _, call := range fx.calls {
					if call.job == "fast" {
						if !onTime(call) {
							t.Errorf("fast run for %s started late, at %s", call.at, call.started)
						}
						fast = append(fast, call.at)
					}
				}
				if len(fast) != 10 { // 01:00 … 05:30
					t.Errorf("fast ran %d times (%s), want 10", len(fast), fmtTimes(fast))
				}
			})
		})
	}
}

// TestScheduler_PanicsAndErrors: a job that panics, then fails, then works keeps its
// schedule (robfig's Recover before SkipIfStillRunning would have stopped it after the
// panic), each outcome is recorded, and the other job never notices.
func TestScheduler_PanicsAndErrors(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		now := fakeClock(day0.Add(30 * time.Minute))
		store := openStore(t, statetest.SQLite(t))
		defer store.Close()
		fx := newFakeExec(now, func(ctx context.Context, job string, at time.Time, n int) (string, error) {
			if job == "flaky" {
				switch n {
				case 1:
					panic("index out of range")
				case 2:
					return "", errors.New("source unreadable")
				}
			}
			return "drift", work(ctx, time.Minute)
		})
		var logs syncBuffer
		stop := start(newDaemon(t, store, now, fx, time.Minute, &logs,
			jobSpec{"flaky", "0 * * * *", ""}, jobSpec{"steady", "0 * * * *", ""}))
		time.Sleep(3*time.Hour + 10*time.Minute)
		stop()
		for _, job := range []string{"flaky", "steady"} {
			if got := fx.ats(job); got != "2026-11-27T01:00:00Z 2026-11-27T02:00:00Z 2026-11-27T03:00:00Z" {
				t.Errorf("%s ran at %s, want every hour", job, got)
			}
		}
		h := history(t, store, "flaky")
		for at, want := range map[string]string{"2026-11-27T01:00:00Z": "panic: index out of range", "2026-11-27T02:00:00Z": "source unreadable"} {
			if r := h[at]; r.Status != state.StatusFailed || !strings.Contains(r.Error, want) {
				t.Errorf("flaky at %s: %s %q, want failed %q", at, r.Status, r.Error, want)
			}
		}
		if r := h["2026-11-27T03:00:00Z"]; r.Status != state.StatusDrift {
			t.Errorf("flaky at 03:00: %s, want drift", r.Status)
		}
		if !strings.Contains(logs.String(), `"msg":"job panicked"`) {
			t.Error("the panic was not logged")
		}
	})
}

// TestScheduler_SIGTERM: "SIGTERM" while a run is in progress stops new runs at once;
// the run finishes within the grace period, or is canceled at its end (recorded as
// canceled, no output, the cursor left where it was).
func TestScheduler_SIGTERM(t *testing.T) {
	for _, c := range []struct {
		name    string
		grace   time.Duration
		status  string
		output  bool
		stopErr bool
	}{
		{"finishes_within_grace", 15 * time.Minute, state.StatusOK, true, false},
		{"canceled_after_grace", 5 * time.Minute, state.StatusCanceled, false, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				now := fakeClock(day0.Add(55 * time.Minute))
				store := openStore(t, statetest.SQLite(t))
				defer store.Close()
				if err := store.Advance(context.Background(), "report", day0); err != nil {
					t.Fatal(err)
				}
				out := filepath.Join(t.TempDir(), "report.json")
				fx := newFakeExec(now, func(ctx context.Context, job string, at time.Time, n int) (string, error) {
					if job == "report" {
						// 10 minutes of work, then the (atomic) output: none when canceled.
						if err := work(ctx, 10*time.Minute); err != nil {
							return "", err
						}
						return "ok", os.WriteFile(out, []byte("{}"), 0o644)
					}
					return "ok", nil
				})
				var logs syncBuffer
				stop := start(newDaemon(t, store, now, fx, c.grace, &logs,
					jobSpec{"report", "0 * * * *", ""}, jobSpec{"minutely", "* * * * *", ""}))
				time.Sleep(7 * time.Minute) // 01:02, the report run is 2 minutes in
				err := stop()
				if (err != nil) != c.stopErr {
					t.Errorf("stop = %v, want an error: %v", err, c.stopErr)
				}
				stopped := now()
				for _, call := range fx.calls {
					if call.started.After(day0.Add(62 * time.Minute)) {
						t.Errorf("%s started a run for %s at %s, after SIGTERM", call.job, call.at, call.started)
					}
				}
				r := history(t, store, "report")["2026-11-27T01:00:00Z"]
				if r.Status != c.status {
					t.Errorf("run status %s, want %s", r.Status, c.status)
				}
				if _, err := os.Stat(out); (err == nil) != c.output {
					t.Errorf("output written: %v, want %v", err == nil, c.output)
				}
				wantCursor := day0.Add(time.Hour)
				wantStop := day0.Add(70 * time.Minute)
				if c.status == state.StatusCanceled {
					wantCursor, wantStop = day0, day0.Add(67*time.Minute)
				}
				if cur, _ := store.Cursor(context.Background(), "report"); !cur.Equal(wantCursor) {
					t.Errorf("cursor = %s, want %s", cur, wantCursor)
				}
				// (within a second: SQLite's busy handler may sleep a millisecond when the two
				// jobs write at once)
				if stopped.Before(wantStop) || stopped.After(wantStop.Add(time.Second)) {
					t.Errorf("daemon stopped at %s, want %s", stopped, wantStop)
				}
				// A canceled run is run again by the next daemon (catch-up latest).
				if c.status == state.StatusCanceled {
					fx2 := newFakeExec(now, quick)
					stop2 := start(newDaemon(t, store, now, fx2, time.Minute, &logs, jobSpec{"report", "0 * * * *", ""}))
					time.Sleep(time.Minute)
					stop2()
					if got := fx2.ats("report"); got != "2026-11-27T01:00:00Z" {
						t.Errorf("restarted daemon ran %q, want the canceled 01:00", got)
					}
				}
			})
		})
	}
}

// TestScheduler_TwoDaemons: two daemons (two owners, two connections) on one store
// run an hourly job for a day: each logical time runs exactly once.
func TestScheduler_TwoDaemons(t *testing.T) {
	for _, b := range statetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			cfg := b.Config(t)
			synctest.Test(t, func(t *testing.T) {
				now := fakeClock(day0.Add(30 * time.Minute))
				s1, s2 := openStore(t, cfg), openStore(t, cfg)
				defer s1.Close()
				defer s2.Close()
				fx := newFakeExec(now, func(ctx context.Context, job string, at time.Time, n int) (string, error) {
					return "ok", work(ctx, 5*time.Minute)
				})
				var logs syncBuffer
				d1 := newDaemon(t, s1, now, fx, time.Minute, &logs, jobSpec{"j", "0 * * * *", ""})
				d2 := newDaemon(t, s2, now, fx, time.Minute, &logs, jobSpec{"j", "0 * * * *", ""})
				stop1, stop2 := start(d1), start(d2)
				time.Sleep(24*time.Hour + 10*time.Minute)
				stop1()
				stop2()
				seen := map[time.Time]int{}
				for _, c := range fx.calls {
					seen[c.at]++
				}
				if len(seen) != 24 {
					t.Errorf("%d logical times ran, want 24", len(seen))
				}
				for at, n := range seen {
					if n != 1 {
						t.Errorf("%s ran %d times", at, n)
					}
				}
				h := history(t, s1, "j")
				owners := map[string]int{}
				for _, r := range h {
					owners[r.Owner]++
					if r.Status != state.StatusOK || r.Attempts != 1 {
						t.Errorf("run %s: %s after %d attempts", r.RunID, r.Status, r.Attempts)
					}
				}
				if len(h) != 24 || owners[d1.rec.owner]+owners[d2.rec.owner] != 24 {
					t.Errorf("history: %d rows, owners %v", len(h), owners)
				}
			})
		})
	}
}

// TestScheduler_TakesOverExpiredLease: a daemon that crashed mid-run left a running
// row with a lease until 01:03; another daemon waits for the lease and then runs it.
func TestScheduler_TakesOverExpiredLease(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		now := fakeClock(day0.Add(time.Hour + 30*time.Second))
		store := openStore(t, statetest.SQLite(t))
		defer store.Close()
		ctx := context.Background()
		store.Advance(ctx, "j", day0)
		ok, _, err := store.Claim(ctx, state.Claim{Job: "j", LogicalTime: day0.Add(time.Hour), RunID: RunID("j", day0.Add(time.Hour)),
			Origin: state.OriginSchedule, Owner: "crashed", Now: day0.Add(time.Hour), TTL: 3 * time.Minute})
		if !ok || err != nil {
			t.Fatal(ok, err)
		}
		fx := newFakeExec(now, quick)
		var logs syncBuffer
		d := newDaemon(t, store, now, fx, time.Minute, &logs, jobSpec{"j", "0 * * * *", ""})
		stop := start(d)
		time.Sleep(10 * time.Minute)
		stop()
		if len(fx.calls) != 1 || !fx.calls[0].at.Equal(day0.Add(time.Hour)) || fx.calls[0].started.Before(day0.Add(63*time.Minute)) {
			t.Fatalf("calls = %+v, want the 01:00 run once, from 01:03 on", fx.calls)
		}
		r := history(t, store, "j")["2026-11-27T01:00:00Z"]
		if r.Owner != d.rec.owner || r.Attempts != 2 || r.Status != state.StatusOK {
			t.Errorf("run = owner %s, %d attempts, %s; want taken over, 2, ok", r.Owner, r.Attempts, r.Status)
		}
		if !strings.Contains(logs.String(), "running elsewhere: waiting") {
			t.Error("no log line about waiting for the lease")
		}
	})
}

// lossyStore loses every lease on renewal, as when another process took the run over.
type lossyStore struct{ state.Store }

func (lossyStore) Renew(context.Context, string, time.Time, string, time.Time) error {
	return fmt.Errorf("renew: %w", state.ErrLeaseLost)
}

// TestRecorder_LeaseLost: a run whose lease is lost is canceled and recorded so.
func TestRecorder_LeaseLost(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		now := fakeClock(day0)
		store := openStore(t, statetest.SQLite(t))
		defer store.Close()
		fx := newFakeExec(now, func(ctx context.Context, job string, at time.Time, n int) (string, error) {
			return "ok", work(ctx, time.Hour)
		})
		env := Env{Now: now, Logger: slog.New(slog.DiscardHandler)}
		rec := newRecorder(lossyStore{store}, state.OriginRun, state.ClaimRerun, env)
		rec.exec = fx.exec
		j := &Job{Name: "j", cfg: &JobConfig{Name: "j"}, loc: time.UTC}
		_, _, err := rec.runRecorded(context.Background(), j, day0, RunOptions{}, env)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("run = %v, want canceled", err)
		}
		if got := now().Sub(day0); got != rec.ttl/3 {
			t.Errorf("run lasted %s, want until the first renewal, %s", got, rec.ttl/3)
		}
		if r := history(t, store, "j")[day0.Format(time.RFC3339)]; r.Status != state.StatusCanceled {
			t.Errorf("recorded %s, want canceled", r.Status)
		}
	})
}
