package state_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/driftwatch/driftwatch/internal/state"
)

func triggers(t *testing.T, s state.Store) state.TriggerStore {
	ts, ok := s.(state.TriggerStore)
	if !ok {
		t.Fatalf("%T does not implement state.TriggerStore", s)
	}
	return ts
}

func decision(job, rule string, at time.Time, met, fired bool) state.TriggerDecision {
	reason := "not_met"
	if fired {
		reason = "first_trigger"
	}
	return state.TriggerDecision{Job: job, Rule: rule, LogicalTime: at, Met: met, Fired: fired, Reason: reason,
		Decision: json.RawMessage(`{"rule":"` + rule + `"}`), DecidedAt: now}
}

func delivery(job, rule string, at time.Time, dest string) state.Delivery {
	id := fmt.Sprintf("%s:%s:%s", job, rule, at.Format("20060102T150405Z"))
	return state.Delivery{TriggerID: id, Destination: dest, Job: job, Rule: rule, LogicalTime: at,
		Payload: json.RawMessage(`{"trigger_id":"` + id + `"}`), NextAttempt: at, Created: now}
}

// finishRun claims and finishes a run with its triggers.
func finishRun(t *testing.T, s state.Store, job string, at time.Time, ds []state.TriggerDecision, dl []state.Delivery) {
	t.Helper()
	mustClaim(t, s, claim(job, at, "owner-a", now, state.ClaimRerun), true)
	r := state.Run{Job: job, LogicalTime: at, Owner: "owner-a", Status: state.StatusDrift, Finished: now}
	if err := triggers(t, s).FinishWithTriggers(t.Context(), r, ds, dl); err != nil {
		t.Fatalf("FinishWithTriggers(%s, %s) = %v", job, at, err)
	}
}

func TestTriggers_FinishAtomic(t *testing.T) {
	forEach(t, func(t *testing.T, c state.Config) {
		s := open(t, c)
		ts := triggers(t, s)
		// A run this owner does not hold: nothing of its triggers is recorded.
		mustClaim(t, s, claim("churn", t0, "owner-a", now, state.ClaimOnce), true)
		r := state.Run{Job: "churn", LogicalTime: t0, Owner: "owner-b", Status: state.StatusDrift, Finished: now}
		err := ts.FinishWithTriggers(t.Context(), r, []state.TriggerDecision{decision("churn", "drift", t0, true, true)},
			[]state.Delivery{delivery("churn", "drift", t0, "hook")})
		if !errors.Is(err, state.ErrLeaseLost) {
			t.Fatalf("FinishWithTriggers by a non-owner = %v, want ErrLeaseLost", err)
		}
		if log, _ := ts.TriggerLog(t.Context(), "churn", t0.Add(time.Hour), 10); len(log) != 0 {
			t.Errorf("a failed finish logged %d decisions", len(log))
		}
		if dl, _ := ts.Deliveries(t.Context(), state.DeliveryQuery{}); len(dl) != 0 {
			t.Errorf("a failed finish queued %d deliveries", len(dl))
		}
		// The owner's finish records run, decisions and deliveries together.
		r.Owner = "owner-a"
		if err := ts.FinishWithTriggers(t.Context(), r, []state.TriggerDecision{decision("churn", "drift", t0, true, true)},
			[]state.Delivery{delivery("churn", "drift", t0, "hook"), delivery("churn", "drift", t0, "slack")}); err != nil {
			t.Fatal(err)
		}
		run, _, _ := s.Get(t.Context(), "churn", t0)
		if run.Status != state.StatusDrift {
			t.Errorf("run status = %s, want drift", run.Status)
		}
		dl, err := ts.Deliveries(t.Context(), state.DeliveryQuery{Statuses: []string{state.DeliveryPending}})
		if err != nil || len(dl) != 2 {
			t.Fatalf("pending deliveries = %d, %v, want 2", len(dl), err)
		}
	})
}

// TestTriggers_RerunKeepsFired: a re-run of a logical time (a backfill without
// --emit-triggers) neither unfires the logged decision nor queues the trigger again.
func TestTriggers_RerunKeepsFired(t *testing.T) {
	forEach(t, func(t *testing.T, c state.Config) {
		s := open(t, c)
		ts := triggers(t, s)
		finishRun(t, s, "churn", t0, []state.TriggerDecision{decision("churn", "drift", t0, true, true)},
			[]state.Delivery{delivery("churn", "drift", t0, "hook")})
		claimed, err := ts.ClaimDeliveries(t.Context(), "churn", "w1", now, time.Minute, 0)
		if err != nil || len(claimed) != 1 {
			t.Fatalf("ClaimDeliveries = %d, %v", len(claimed), err)
		}
		if err := ts.MarkDelivered(t.Context(), claimed[0], "w1", now); err != nil {
			t.Fatal(err)
		}
		sup := decision("churn", "drift", t0, true, false)
		sup.Reason = "suppressed"
		finishRun(t, s, "churn", t0, []state.TriggerDecision{sup}, []state.Delivery{delivery("churn", "drift", t0, "hook")})
		log, err := ts.TriggerLog(t.Context(), "churn", t0.Add(time.Hour), 10)
		if err != nil || len(log) != 1 || !log[0].Fired || log[0].Reason != "first_trigger" {
			t.Fatalf("log after re-run = %+v, %v, want one fired first_trigger", log, err)
		}
		all, _ := ts.Deliveries(t.Context(), state.DeliveryQuery{})
		if len(all) != 1 || all[0].Status != state.DeliveryDelivered || all[0].Attempts != 1 {
			t.Fatalf("deliveries after re-run = %+v, want one delivered after 1 attempt", all)
		}
	})
}

func TestTriggers_Log(t *testing.T) {
	forEach(t, func(t *testing.T, c state.Config) {
		s := open(t, c)
		ts := triggers(t, s)
		day := func(n int) time.Time { return t0.Add(time.Duration(n) * 24 * time.Hour) }
		// drift fired on day 0, then held for 5 days; calm never fired.
		for i := 0; i < 6; i++ {
			finishRun(t, s, "churn", day(i), []state.TriggerDecision{
				decision("churn", "drift", day(i), true, i == 0), decision("churn", "calm", day(i), false, false)}, nil)
		}
		finishRun(t, s, "other", day(1), []state.TriggerDecision{decision("other", "drift", day(1), true, true)}, nil)
		log, err := ts.TriggerLog(t.Context(), "churn", day(5), 2)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, d := range log {
			got = append(got, fmt.Sprintf("%s@%d:%v", d.Rule, int(d.LogicalTime.Sub(t0).Hours()/24), d.Fired))
		}
		sort.Strings(got)
		// days 3 and 4 of each rule (before day 5, two per rule), plus drift's last fired day 0
		want := []string{"calm@3:false", "calm@4:false", "drift@0:true", "drift@3:false", "drift@4:false"}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("TriggerLog(before day 5, 2 per rule) = %v, want %v", got, want)
		}
		for i := 1; i < len(log); i++ {
			if log[i].LogicalTime.After(log[i-1].LogicalTime) {
				t.Errorf("TriggerLog is not newest first: %v after %v", log[i].LogicalTime, log[i-1].LogicalTime)
			}
		}
	})
}

func TestTriggers_Deliveries(t *testing.T) {
	forEach(t, func(t *testing.T, c state.Config) {
		s := open(t, c)
		ts := triggers(t, s)
		var dl []state.Delivery
		for i := 0; i < 20; i++ {
			dl = append(dl, delivery("churn", fmt.Sprintf("r%02d", i), t0, "hook"))
		}
		finishRun(t, s, "churn", t0, nil, dl)
		// Two owners claim concurrently: each delivery goes to exactly one.
		var mu sync.Mutex
		owners := map[string]string{}
		var wg sync.WaitGroup
		for _, o := range []string{"w1", "w2", "w3"} {
			wg.Go(func() {
				got, err := ts.ClaimDeliveries(t.Context(), "", o, now, time.Minute, 0)
				if err != nil {
					t.Errorf("ClaimDeliveries(%s) = %v", o, err)
				}
				mu.Lock()
				defer mu.Unlock()
				for _, d := range got {
					if prev, dup := owners[d.TriggerID]; dup {
						t.Errorf("%s claimed by %s and %s", d.TriggerID, prev, o)
					}
					owners[d.TriggerID] = o
				}
			})
		}
		wg.Wait()
		if len(owners) != 20 {
			t.Fatalf("claimed %d deliveries, want 20", len(owners))
		}
		// A leased delivery is not claimable until its lease expires.
		if got, _ := ts.ClaimDeliveries(t.Context(), "", "w9", now.Add(30*time.Second), time.Minute, 0); len(got) != 0 {
			t.Errorf("claimed %d leased deliveries", len(got))
		}
		byID := map[string]state.Delivery{}
		for _, d := range dl {
			byID[d.TriggerID] = d
		}
		id0, id1, id2 := dl[0].TriggerID, dl[1].TriggerID, dl[2].TriggerID
		if err := ts.MarkDelivered(t.Context(), byID[id0], owners[id0], now); err != nil {
			t.Fatal(err)
		}
		if err := ts.MarkAttempt(t.Context(), byID[id1], owners[id1], "post: 500", false, now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := ts.MarkAttempt(t.Context(), byID[id2], owners[id2], "post: 400", true, now); err != nil {
			t.Fatal(err)
		}
		// Not the owner: the lease is lost.
		other := "w1"
		if owners[dl[3].TriggerID] == "w1" {
			other = "w2"
		}
		if err := ts.MarkDelivered(t.Context(), dl[3], other, now); !errors.Is(err, state.ErrLeaseLost) {
			t.Errorf("MarkDelivered by a non-owner = %v, want ErrLeaseLost", err)
		}
		// After the leases expire: 17 are due now; the one retried later is not; delivered and failed never.
		due, err := ts.ClaimDeliveries(t.Context(), "churn", "w9", now.Add(2*time.Minute), time.Minute, 0)
		if err != nil || len(due) != 17 {
			t.Fatalf("due after lease expiry = %d, %v, want 17", len(due), err)
		}
		// Later, w9's leases have expired too, and the retried one is due: 18.
		due, _ = ts.ClaimDeliveries(t.Context(), "churn", "w8", now.Add(2*time.Hour), time.Minute, 0)
		var retried []state.Delivery
		for _, d := range due {
			if d.TriggerID == id1 {
				retried = append(retried, d)
			}
		}
		if len(due) != 18 || len(retried) != 1 || retried[0].Attempts != 1 || retried[0].LastError != "post: 500" {
			t.Errorf("due after the next attempt: %d, retried %+v, want 18 with %s after 1 attempt", len(due), retried, id1)
		}
		failed, _ := ts.Deliveries(t.Context(), state.DeliveryQuery{Statuses: []string{state.DeliveryFailed}})
		if len(failed) != 1 || failed[0].TriggerID != id2 || failed[0].LastError != "post: 400" {
			t.Errorf("failed deliveries = %+v, want %s", failed, id2)
		}
		done, _ := ts.Deliveries(t.Context(), state.DeliveryQuery{Job: "churn", Statuses: []string{state.DeliveryDelivered}})
		if len(done) != 1 || done[0].TriggerID != id0 || done[0].Delivered.IsZero() {
			t.Errorf("delivered = %+v, want %s with a time", done, id0)
		}
	})
}
