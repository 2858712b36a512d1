package state_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/driftwatch/driftwatch/internal/state"
	"github.com/driftwatch/driftwatch/internal/state/statetest"
)

var (
	t0  = time.Date(2026, 11, 27, 1, 0, 0, 0, time.UTC) // a logical time
	now = time.Date(2026, 11, 27, 1, 0, 3, 123456000, time.UTC)
)

func open(t *testing.T, c state.Config) state.Store {
	t.Helper()
	s, err := state.Open(t.Context(), c)
	if err != nil {
		t.Fatalf("Open(%s) = %v", c.Driver, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func claim(job string, at time.Time, owner string, now time.Time, mode state.ClaimMode) state.Claim {
	return state.Claim{Job: job, LogicalTime: at, RunID: job + "-" + at.Format("20060102T150405Z"), Origin: state.OriginSchedule,
		WindowStart: at.Add(-24 * time.Hour), WindowEnd: at, Owner: owner, Now: now, TTL: time.Minute, Mode: mode}
}

func mustClaim(t *testing.T, s state.Store, c state.Claim, want bool) state.Run {
	t.Helper()
	ok, holder, err := s.Claim(t.Context(), c)
	if err != nil {
		t.Fatalf("Claim(%s, %s, owner %s) = %v", c.Job, c.LogicalTime, c.Owner, err)
	}
	if ok != want {
		t.Fatalf("Claim(%s, %s, owner %s) = %v (holder %s, %s), want %v", c.Job, c.LogicalTime, c.Owner, ok, holder.Owner, holder.Status, want)
	}
	return holder
}

// forEach runs f against a new store of each backend.
func forEach(t *testing.T, f func(t *testing.T, c state.Config)) {
	for _, b := range statetest.Backends() {
		t.Run(b.Name, func(t *testing.T) { f(t, b.Config(t)) })
	}
}

func TestStore_Migrate(t *testing.T) {
	forEach(t, func(t *testing.T, c state.Config) {
		s := open(t, c)
		v, err := s.SchemaVersion(t.Context())
		if err != nil || v != 4 {
			t.Fatalf("SchemaVersion() = %d, %v, want 4", v, err)
		}
		// Reopening applies nothing again (a second CREATE TABLE would fail).
		s2 := open(t, c)
		if v, _ := s2.SchemaVersion(t.Context()); v != 4 {
			t.Errorf("SchemaVersion() after reopen = %d, want 4", v)
		}
	})
}

// TestStore_MigrateConcurrently: two processes starting on a new store at once both
// open it (the second waits for the first's migration).
func TestStore_MigrateConcurrently(t *testing.T) {
	forEach(t, func(t *testing.T, c state.Config) {
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for i := range errs {
			wg.Go(func() {
				s, err := state.Open(context.Background(), c)
				if err == nil {
					s.Close()
				}
				errs[i] = err
			})
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("Open #%d = %v", i, err)
			}
		}
	})
}

func TestSQLite_WAL(t *testing.T) {
	p := filepath.Join(t.TempDir(), "sub", "state.db")
	s := open(t, state.Config{Driver: state.DriverSQLite, Path: p})
	mode, err := state.JournalMode(t.Context(), s)
	if err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q, %v, want wal", mode, err)
	}
}

func TestOpen_Errors(t *testing.T) {
	for _, c := range []struct {
		cfg  state.Config
		want string
	}{
		{state.Config{Driver: "mysql"}, `unknown driver "mysql"`},
		{state.Config{Driver: state.DriverSQLite}, "path is required"},
		{state.Config{Driver: state.DriverSQLite, Path: "a?b.db"}, "must not contain"},
		{state.Config{Driver: state.DriverPostgres}, "dsn is required"},
		{state.Config{Driver: state.DriverPostgres, DSN: "postgres://nobody@127.0.0.1:1/x?connect_timeout=2"}, "open postgres state"},
	} {
		_, err := state.Open(t.Context(), c.cfg)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Open(%+v) = %v, want an error containing %q", c.cfg, err, c.want)
		}
	}
}

// TestStore_RunRoundTrip: a claimed and finished run reads back field for field.
func TestStore_RunRoundTrip(t *testing.T) {
	forEach(t, func(t *testing.T, c state.Config) {
		s := open(t, c)
		ctx := t.Context()
		cl := claim("churn", t0, "a", now, state.ClaimOnce)
		mustClaim(t, s, cl, true)
		r, ok, err := s.Get(ctx, "churn", t0)
		if err != nil || !ok {
			t.Fatalf("Get = %v, %v", ok, err)
		}
		if r.Status != state.StatusRunning || r.Owner != "a" || !r.LeaseExpires.Equal(now.Add(time.Minute)) ||
			!r.Started.Equal(now) || !r.WindowStart.Equal(t0.Add(-24*time.Hour)) || !r.WindowEnd.Equal(t0) || r.Attempts != 1 {
			t.Errorf("running row = %+v", r)
		}
		sum := json.RawMessage(`{"job":"churn","status":"drift","share":0.5}`)
		fin := now.Add(90 * time.Second)
		err = s.Finish(ctx, state.Run{Job: "churn", LogicalTime: t0, Owner: "a", Status: state.StatusDrift,
			Finished: fin, RowsRead: 12345, Summary: sum, ReportPath: "/out/churn/2026-11-27.json", Error: ""})
		if err != nil {
			t.Fatalf("Finish = %v", err)
		}
		r, _, _ = s.Get(ctx, "churn", t0)
		var got, want any
		json.Unmarshal(r.Summary, &got)
		json.Unmarshal(sum, &want)
		if r.Status != state.StatusDrift || !r.Finished.Equal(fin) || r.RowsRead != 12345 || fmt.Sprint(got) != fmt.Sprint(want) ||
			r.ReportPath != "/out/churn/2026-11-27.json" || !r.LeaseExpires.IsZero() || r.RunID != "churn-20261127T010000Z" ||
			r.Origin != state.OriginSchedule || !r.LogicalTime.Equal(t0) || r.LogicalTime.Location() != time.UTC || !r.Done() {
			t.Errorf("finished row = %+v (summary %s)", r, r.Summary)
		}
		if _, ok, _ := s.Get(ctx, "churn", t0.Add(time.Hour)); ok {
			t.Errorf("Get(other time) found a row")
		}
	})
}

// TestStore_Lease walks one run through every claim rule of the package doc.
func TestStore_Lease(t *testing.T) {
	forEach(t, func(t *testing.T, c state.Config) {
		s := open(t, c)
		ctx := t.Context()
		// a holds a live lease: b can't take it, whatever the mode.
		mustClaim(t, s, claim("j", t0, "a", now, state.ClaimOnce), true)
		if h := mustClaim(t, s, claim("j", t0, "b", now.Add(59*time.Second), state.ClaimOnce), false); h.Owner != "a" || h.Status != state.StatusRunning {
			t.Errorf("holder = %s %s, want a running", h.Owner, h.Status)
		}
		mustClaim(t, s, claim("j", t0, "b", now.Add(59*time.Second), state.ClaimRerun), false)
		// a renews; at +90s the lease still holds.
		if err := s.Renew(ctx, "j", t0, "a", now.Add(2*time.Minute)); err != nil {
			t.Fatalf("Renew = %v", err)
		}
		mustClaim(t, s, claim("j", t0, "b", now.Add(90*time.Second), state.ClaimOnce), false)
		// a stops renewing (crashed): at +2m the lease has expired and b takes the run over.
		mustClaim(t, s, claim("j", t0, "b", now.Add(2*time.Minute), state.ClaimOnce), true)
		if r, _, _ := s.Get(ctx, "j", t0); r.Owner != "b" || r.Attempts != 2 {
			t.Errorf("after takeover: owner %s attempts %d, want b 2", r.Owner, r.Attempts)
		}
		// a comes back: its renew and finish fail with ErrLeaseLost.
		if err := s.Renew(ctx, "j", t0, "a", now.Add(5*time.Minute)); !errors.Is(err, state.ErrLeaseLost) {
			t.Errorf("Renew by the old owner = %v, want ErrLeaseLost", err)
		}
		if err := s.Finish(ctx, state.Run{Job: "j", LogicalTime: t0, Owner: "a", Status: state.StatusOK, Finished: now}); !errors.Is(err, state.ErrLeaseLost) {
			t.Errorf("Finish by the old owner = %v, want ErrLeaseLost", err)
		}
		// b finishes: the scheduler (ClaimOnce) never runs it again, a backfill (ClaimRerun) does.
		if err := s.Finish(ctx, state.Run{Job: "j", LogicalTime: t0, Owner: "b", Status: state.StatusFailed, Finished: now, Error: "boom"}); err != nil {
			t.Fatal(err)
		}
		if err := s.Finish(ctx, state.Run{Job: "j", LogicalTime: t0, Owner: "b", Status: state.StatusOK, Finished: now}); !errors.Is(err, state.ErrLeaseLost) {
			t.Errorf("second Finish = %v, want ErrLeaseLost", err)
		}
		if h := mustClaim(t, s, claim("j", t0, "c", now.Add(time.Hour), state.ClaimOnce), false); h.Status != state.StatusFailed || h.Error != "boom" {
			t.Errorf("holder = %+v, want the failed row", h)
		}
		mustClaim(t, s, claim("j", t0, "c", now.Add(time.Hour), state.ClaimRerun), true)
		r, _, _ := s.Get(ctx, "j", t0)
		if r.Status != state.StatusRunning || r.Error != "" || !r.Finished.IsZero() || r.Attempts != 3 {
			t.Errorf("re-run row = %+v, want running with the old outcome cleared", r)
		}
		// c is canceled (SIGTERM): the next claim of either mode runs it.
		if err := s.Finish(ctx, state.Run{Job: "j", LogicalTime: t0, Owner: "c", Status: state.StatusCanceled, Finished: now}); err != nil {
			t.Fatal(err)
		}
		mustClaim(t, s, claim("j", t0, "d", now.Add(time.Hour), state.ClaimOnce), true)
		// Other jobs and times are independent.
		mustClaim(t, s, claim("j", t0.Add(time.Hour), "a", now, state.ClaimOnce), true)
		mustClaim(t, s, claim("k", t0, "a", now, state.ClaimOnce), true)
	})
}

// TestStore_ClaimRace: processes (separate connections) claim the same run at the
// same moment; exactly one wins, each time.
func TestStore_ClaimRace(t *testing.T) {
	forEach(t, func(t *testing.T, c state.Config) {
		const procs, rounds = 4, 20
		stores := make([]state.Store, procs)
		for i := range stores {
			stores[i] = open(t, c)
		}
		for round := range rounds {
			at := t0.Add(time.Duration(round) * time.Hour)
			var wg sync.WaitGroup
			won := make([]bool, procs)
			errs := make([]error, procs)
			for i, s := range stores {
				wg.Go(func() {
					won[i], _, errs[i] = s.Claim(context.Background(), claim("race", at, fmt.Sprint("p", i), now, state.ClaimOnce))
				})
			}
			wg.Wait()
			n := 0
			for i := range won {
				if errs[i] != nil {
					t.Fatalf("round %d: Claim #%d = %v", round, i, errs[i])
				}
				if won[i] {
					n++
				}
			}
			if n != 1 {
				t.Fatalf("round %d: %d claims won, want exactly 1", round, n)
			}
		}
	})
}

func TestStore_Runs(t *testing.T) {
	forEach(t, func(t *testing.T, c state.Config) {
		s := open(t, c)
		for i := range 3 {
			for _, job := range []string{"a", "b"} {
				mustClaim(t, s, claim(job, t0.Add(time.Duration(i)*time.Hour), "o", now, state.ClaimOnce), true)
			}
		}
		all, err := s.Runs(t.Context(), state.Query{})
		if err != nil || len(all) != 6 {
			t.Fatalf("Runs() = %d rows, %v, want 6", len(all), err)
		}
		if !all[0].LogicalTime.Equal(t0.Add(2*time.Hour)) || all[0].Job != "a" || all[1].Job != "b" || !all[5].LogicalTime.Equal(t0) {
			t.Errorf("Runs() order: first %s %s, last %s, want newest first then by job", all[0].Job, all[0].LogicalTime, all[5].LogicalTime)
		}
		b, _ := s.Runs(t.Context(), state.Query{Job: "b", Limit: 2})
		if len(b) != 2 || b[0].Job != "b" || !b[0].LogicalTime.Equal(t0.Add(2*time.Hour)) || !b[1].LogicalTime.Equal(t0.Add(time.Hour)) {
			t.Errorf("Runs(job b, limit 2) = %v", b)
		}
	})
}

func TestStore_Cursor(t *testing.T) {
	forEach(t, func(t *testing.T, c state.Config) {
		s := open(t, c)
		ctx := t.Context()
		if cur, err := s.Cursor(ctx, "j"); err != nil || !cur.IsZero() {
			t.Fatalf("Cursor(new job) = %v, %v, want zero", cur, err)
		}
		for _, step := range []struct{ advance, want time.Time }{
			{t0, t0},
			{t0.Add(time.Hour), t0.Add(time.Hour)},
			{t0, t0.Add(time.Hour)}, // never moves back (a slow backfill or an older daemon)
			{t0.Add(25 * time.Hour), t0.Add(25 * time.Hour)},
		} {
			if err := s.Advance(ctx, "j", step.advance); err != nil {
				t.Fatal(err)
			}
			if cur, _ := s.Cursor(ctx, "j"); !cur.Equal(step.want) {
				t.Errorf("after Advance(%s): Cursor = %s, want %s", step.advance, cur, step.want)
			}
		}
		if cur, _ := s.Cursor(ctx, "other"); !cur.IsZero() {
			t.Errorf("Cursor(other) = %s, want zero", cur)
		}
	})
}

// TestStore_NewerSchema: a store migrated by a newer driftwatch is refused, not used.
func TestStore_NewerSchema(t *testing.T) {
	forEach(t, func(t *testing.T, c state.Config) {
		s := open(t, c)
		if err := state.AddMigrationRow(t.Context(), s, 99); err != nil {
			t.Fatal(err)
		}
		if _, err := state.Open(t.Context(), c); err == nil || !strings.Contains(err.Error(), "schema version 99, newer") {
			t.Errorf("Open(newer schema) = %v, want a schema version error", err)
		}
	})
}

func TestStore_ClaimValidates(t *testing.T) {
	s := open(t, statetest.SQLite(t))
	if _, _, err := s.Claim(t.Context(), state.Claim{Job: "j", LogicalTime: t0}); err == nil {
		t.Error("Claim without owner, ttl and now succeeded")
	}
}

// BenchmarkStore_ClaimFinish: the state store's cost per run: a claim and a finish.
func BenchmarkStore_ClaimFinish(b *testing.B) {
	for _, be := range statetest.Backends() {
		b.Run(be.Name, func(b *testing.B) {
			s, err := state.Open(context.Background(), be.Config(b))
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			ctx := context.Background()
			i := 0
			for b.Loop() {
				at := t0.Add(time.Duration(i) * time.Hour)
				i++
				if ok, _, err := s.Claim(ctx, claim("bench", at, "o", now, state.ClaimOnce)); !ok || err != nil {
					b.Fatal(ok, err)
				}
				if err := s.Finish(ctx, state.Run{Job: "bench", LogicalTime: at, Owner: "o", Status: state.StatusOK, Finished: now,
					Summary: []byte(`{"status":"ok"}`)}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
