package jobs

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/driftwatch/driftwatch/internal/state"
	"github.com/driftwatch/driftwatch/internal/state/statetest"
	"github.com/driftwatch/driftwatch/pipeline"
	"github.com/driftwatch/driftwatch/sinks"
	"github.com/driftwatch/driftwatch/sinks/sinkstest"
)

// signed returns a receiver check of the webhook's HMAC signature under secret.
func signed(secret string) func(r *http.Request, body []byte) error {
	return func(r *http.Request, body []byte) error {
		if got, want := r.Header.Get(sinks.HeaderSignature), sinks.Sign([]byte(secret), body); got != want {
			return fmt.Errorf("signature %q, want %q", got, want)
		}
		return nil
	}
}

// cliAt is cli with the wall clock at now.
func cliAt(t testing.TB, now time.Time, args ...string) cliResult {
	t.Helper()
	var out, errb bytes.Buffer
	code := MainEnv(context.Background(), args, Env{Stdout: &out, Stderr: &errb, Now: func() time.Time { return now }})
	return cliResult{code, out.String(), errb.String()}
}

// triggersOf is the part of a report file these tests read.
type triggersOf struct {
	Triggers []pipeline.Decision `json:"triggers"`
}

func readReport(t *testing.T, cfg, date string) *triggersOf {
	t.Helper()
	var r triggersOf
	if err := json.Unmarshal([]byte(mustRead(t, filepath.Join(filepath.Dir(cfg), "out", "daily", date+".json"))), &r); err != nil {
		t.Fatal(err)
	}
	return &r
}

// TestTriggers_EndToEnd runs a daily job day by day through the CLI with a webhook
// receiver that is down for two days: each fired trigger reaches the receiver exactly
// once (the down days' ones on the next run), decisions follow dedup and cooldown, and
// history shows what is pending.
func TestTriggers_EndToEnd(t *testing.T) {
	rc := sinkstest.NewReceiver(t)
	rc.Check = signed("s3cr3t-e2e")
	t.Setenv("E2E_HOOK_SECRET", "s3cr3t-e2e")
	cfg := liveConfig(t, `    triggers:
      cooldown: 0s
      rules:
        - when: dataset_drift
          severity: critical
        - name: x-drift
          when: column_drift
          columns: [x]
          cooldown: 48h
      deliver_to:
        - type: webhook
          url: `+rc.URL+`/retrain
          secret_env: E2E_HOOK_SECRET
          retry: {initial: 1ms, max: 5ms, attempts: 2}
state: {driver: sqlite}
`)
	fired := map[string]string{} // trigger id → date of the run that fired it
	reasons := map[string][]string{}
	for d := 21; d <= 27; d++ {
		date := fmt.Sprintf("2026-11-%d", d)
		if d == 23 {
			rc.SetMode(sinkstest.ModeDown)
		}
		if d == 25 {
			rc.SetMode(sinkstest.ModeOK)
		}
		// each run an hour after its logical time: the wall clock moves on
		r := cliAt(t, time.Date(2026, 11, d, 1, 0, 0, 0, time.UTC), "run", "--config", cfg, "--at", date, "--quiet")
		if r.code != ExitOK {
			t.Fatalf("run %s: exit %d\n%s", date, r.code, r.stderr)
		}
		rep := readReport(t, cfg, date)
		if len(rep.Triggers) != 2 {
			t.Fatalf("run %s: %d decisions, want 2", date, len(rep.Triggers))
		}
		for _, dec := range rep.Triggers {
			reasons[dec.Rule] = append(reasons[dec.Rule], dec.Reason)
			if dec.Fire {
				fired[dec.TriggerID] = date
			}
		}
		if d == 24 {
			h := cli(t, "history", "--config", cfg)
			if !strings.Contains(h.stdout, "Trigger deliveries not delivered") || !strings.Contains(h.stdout, "pending") {
				t.Errorf("history on day 24 does not show the pending deliveries:\n%s", h.stdout)
			}
		}
	}
	t.Logf("reasons: %v", reasons)
	// x drifts more each day (0.2 per day): the dataset verdict holds from its first
	// drifted day on, so dataset_drift fires once; x-drift fires every other day.
	dd := reasons["dataset_drift"]
	first := -1
	for i, r := range dd {
		if r == pipeline.ReasonFirstTrigger {
			if first >= 0 {
				t.Errorf("dataset_drift fired twice in one episode: %v", dd)
			}
			first = i
		}
	}
	if first < 0 {
		t.Fatalf("dataset_drift never fired: %v", dd)
	}
	for _, r := range dd[first+1:] {
		if r != pipeline.ReasonAlreadyFiring {
			t.Errorf("dataset_drift after firing: %v, want already_firing", dd)
		}
	}
	xs := reasons["x-drift"]
	for i := 1; i < len(xs); i++ {
		if xs[i] == pipeline.ReasonFirstTrigger && xs[i-1] == pipeline.ReasonFirstTrigger {
			t.Errorf("x-drift fired on consecutive days despite the 48h cooldown: %v", xs)
		}
	}
	// Every fired trigger reached the receiver exactly once, signed; nothing else did.
	acc := rc.Accepted()
	for id := range fired {
		if acc[id] != 1 {
			t.Errorf("trigger %s (fired %s) accepted %d times, want 1", id, fired[id], acc[id])
		}
	}
	if len(acc) != len(fired) {
		t.Errorf("receiver accepted %d ids, %d fired: %v", len(acc), len(fired), acc)
	}
	if errs := rc.Errors(); len(errs) > 0 {
		t.Errorf("receiver rejected: %v", errs)
	}
	var ev sinks.TriggerEvent
	for id := range fired {
		if err := json.Unmarshal([]byte(rc.Snapshot()[id]), &ev); err != nil || ev.Event != "trigger" || ev.Trigger.ID != id || ev.Trigger.Job != "daily" {
			t.Errorf("body of %s: %+v, %v", id, ev, err)
		}
		break
	}
	r := cli(t, "history", "--config", cfg, "--triggers", "--format", "json")
	var entries []DeliveryEntry
	if err := json.Unmarshal([]byte(r.stdout), &entries); err != nil {
		t.Fatalf("history --triggers: %v\n%s", err, r.stdout)
	}
	retried := 0
	for _, e := range entries {
		if e.Status != state.DeliveryDelivered {
			t.Errorf("delivery %s to %s is %s after the receiver came back", e.TriggerID, e.Sink, e.Status)
		}
		if e.Attempts > 1 {
			retried++
		}
	}
	if len(entries) != len(fired) || retried == 0 {
		t.Errorf("history --triggers: %d deliveries (%d retried), want %d with some retried", len(entries), retried, len(fired))
	}
}

// TestTriggers_Backfill: a backfill decides triggers but delivers them only with
// --emit-triggers; a later emitting backfill of the same days delivers each once.
func TestTriggers_Backfill(t *testing.T) {
	rc := sinkstest.NewReceiver(t)
	cfg := liveConfig(t, `    triggers:
      rules: [{when: column_drift, columns: [x], cooldown: 24h}]
      deliver_to: [{type: webhook, url: `+rc.URL+`}]
`)
	r := cli(t, "backfill", "--config", cfg, "--job", "daily", "--from", "2026-11-21", "--to", "2026-11-28")
	if r.code != ExitOK {
		t.Fatalf("backfill: exit %d\n%s", r.code, r.stderr)
	}
	if n := rc.Requests(); n != 0 {
		t.Fatalf("a backfill without --emit-triggers sent %d requests", n)
	}
	rep := readReport(t, cfg, "2026-11-27")
	if d := rep.Triggers[0]; d.Fire || d.Reason != pipeline.ReasonSuppressed || !d.Met {
		t.Errorf("decision of a suppressed backfill = %+v, want met and suppressed", d)
	}
	for range 2 {
		r = cli(t, "backfill", "--config", cfg, "--job", "daily", "--from", "2026-11-21", "--to", "2026-11-28", "--emit-triggers")
		if r.code != ExitOK {
			t.Fatalf("backfill --emit-triggers: exit %d\n%s", r.code, r.stderr)
		}
	}
	acc := rc.Accepted()
	if len(acc) == 0 {
		t.Fatal("backfill --emit-triggers delivered nothing")
	}
	for id, n := range acc {
		if n != 1 {
			t.Errorf("%s delivered %d times by two emitting backfills, want 1", id, n)
		}
	}
}

// TestTriggers_NoState: without a state store the triggers go out during the run, and
// a receiver that refuses fails the run (exit 1) so that the scheduler retries it.
func TestTriggers_NoState(t *testing.T) {
	rc := sinkstest.NewReceiver(t)
	cfg := liveConfig(t, `    triggers:
      rules: [{when: column_drift, columns: [x]}]
      deliver_to: [{type: webhook, url: `+rc.URL+`, retry: {initial: 1ms, attempts: 2}}]
`)
	if r := cli(t, "run", "--config", cfg, "--at", "2026-11-27", "--quiet"); r.code != ExitOK {
		t.Fatalf("run: exit %d\n%s", r.code, r.stderr)
	}
	if acc := rc.Accepted(); acc["daily:column_drift:20261127T000000Z"] != 1 {
		t.Errorf("accepted = %v, want the trigger once", acc)
	}
	rc.SetMode(sinkstest.ModeFail)
	r := cli(t, "run", "--config", cfg, "--at", "2026-11-26", "--quiet")
	if r.code != ExitFailed || !strings.Contains(r.stderr, "daily:column_drift:20261126T000000Z") {
		t.Errorf("run with a failing receiver: exit %d\n%s", r.code, r.stderr)
	}
}

func TestTriggers_Config(t *testing.T) {
	base := `version: 1
jobs:
  - name: j
    reference: {type: parquet, path: a.parquet}
    current: {type: parquet, path: b.parquet}
    sinks:
      - {type: file, path: out.json}
      - {type: webhook, name: hook, url: "http://127.0.0.1:1/x"}
`
	for _, c := range []struct{ triggers, want string }{
		{"rules: [{when: dataset_drift}]\n      deliver_to: [nope]", `jobs[0].triggers.deliver_to[0]: no sink named "nope" in this job (names: [file hook])`},
		{"rules: [{when: dataset_drift}]\n      deliver_to: [file]", `sink "file" cannot deliver triggers`},
		{"rules: [{when: drift}]\n      deliver_to: [hook]", `when: "drift" is not a rule`},
		{"rules: [{when: model_age}]\n      deliver_to: [hook]", "max_age: required"},
		{"rules: [{when: dataset_drift, colour: red}]\n      deliver_to: [hook]", "jobs[0].triggers.rules[0].colour: unknown key"},
		{"rules: [{when: dataset_drift}]\n      deliver_to: [{type: webhook}]", "jobs[0].triggers.deliver_to[0].url: required"},
		{"rules: [{when: dataset_drift, snooze_until: someday}]\n      deliver_to: [hook]", "snooze_until"},
		{"rules: [{when: dataset_drift}]", "deliver_to: required"},
	} {
		y := base + "    triggers:\n      " + c.triggers + "\n"
		cfg, err := ParseConfig([]byte(y), filepath.Join(t.TempDir(), "c.yaml"))
		if err == nil {
			_, err = BuildJob(cfg, &cfg.Jobs[0], testEnv())
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s:\nerror %v\nwant %q", c.triggers, err, c.want)
		}
	}
	y := base + "    triggers:\n      rules: [{when: dataset_drift}, {name: age, when: model_age, max_age: 30d, hysteresis: {k: 2, n: 3}}]\n      deliver_to: [hook, {type: slack, url_env: X}]\n"
	cfg, err := ParseConfig([]byte(y), filepath.Join(t.TempDir(), "c.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	j, err := BuildJob(cfg, &cfg.Jobs[0], testEnv())
	if err != nil {
		t.Fatal(err)
	}
	if len(j.triggers.dests) != 2 || j.triggers.dests[0].name != "hook" || j.triggers.dests[1].name != "deliver_to[1]:slack" ||
		j.triggers.policy.Rules[1].MaxAge != 30*24*time.Hour || j.triggers.policy.Rules[1].Hysteresis.K != 2 {
		t.Errorf("built triggers = %+v", j.triggers)
	}
}

// TestTriggers_FaultInjection delivers 1000 trigger decisions through the outbox to a
// local receiver that is down for three passes, then answers 500 before 200, then
// hangs past the deadline for some requests, then is slow; one delivery in 50 hits a
// simulated crash between the receiver's acceptance and the outbox's record. None is
// lost: every trigger id is accepted; none is doubled: each is accepted once, except
// the crashed ones, accepted exactly twice (at least once + the idempotency key).
func TestTriggers_FaultInjection(t *testing.T) {
	for _, b := range statetest.Backends() {
		t.Run(b.Name, func(t *testing.T) { faultInjection(t, b.Config(t)) })
	}
}

func faultInjection(t *testing.T, sc state.Config) {
	ctx := context.Background()
	store, err := state.Open(ctx, sc)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	ts := store.(state.TriggerStore)
	rc := sinkstest.NewReceiver(t)
	t.Setenv("FAULT_SECRET", "fault-secret")
	rc.Check = signed("fault-secret")
	hook, err := sinks.NewWebhook(sinks.WebhookConfig{URL: rc.URL, SecretEnv: "FAULT_SECRET", Timeout: 500 * time.Millisecond,
		Retry: sinks.RetryConfig{Initial: time.Millisecond, Max: 2 * time.Millisecond, Attempts: 2}})
	if err != nil {
		t.Fatal(err)
	}
	clock := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	advance := func(d time.Duration) { mu.Lock(); clock = clock.Add(d); mu.Unlock() }
	crashed := map[string]bool{}
	j := &Job{Name: "fault", triggers: &triggerSetup{timeout: time.Minute, dests: []destination{{name: "hook", sink: hook}},
		afterSend: func(d state.Delivery) error {
			if n := d.Rule[len(d.Rule)-2:]; n == "07" && !crashed[d.TriggerID] && len(crashed) < 20 {
				crashed[d.TriggerID] = true
				return errors.New("simulated crash")
			}
			return nil
		}}}
	// 100 runs × 10 rules = 1000 fired decisions, queued as runs record them.
	runs, rules := 100, 10 // 1000 decisions (20 s on both backends); -short: 200
	if testing.Short() {
		runs = 20
	}
	for i := range runs {
		at := clock.Add(time.Duration(i-runs) * time.Hour)
		var ds []state.TriggerDecision
		var dl []state.Delivery
		for k := range rules {
			rule := fmt.Sprintf("rule-%02d", k)
			d := pipeline.Decision{Rule: rule, Fire: true, Reason: pipeline.ReasonFirstTrigger, TriggerID: pipeline.TriggerID("fault", rule, at), Job: "fault", LogicalTime: &at}
			payload, _ := json.Marshal(pipeline.NewTrigger(d, &pipeline.Report{Job: "fault", RunID: RunID("fault", at)}))
			ds = append(ds, state.TriggerDecision{Job: "fault", Rule: rule, LogicalTime: at, Met: true, Fired: true, Reason: d.Reason, DecidedAt: at})
			dl = append(dl, state.Delivery{TriggerID: d.TriggerID, Destination: "hook", Job: "fault", Rule: rule, LogicalTime: at,
				Payload: payload, NextAttempt: at, Created: at})
		}
		if err := ts.RecordTriggers(ctx, ds, dl); err != nil {
			t.Fatal(err)
		}
	}
	log := testEnv().Logger
	pass := func(name string) DeliveryResult {
		res, err := deliverPending(ctx, store, j, "daemon-1", now, log)
		if err != nil && err.Error() != "simulated crash" {
			t.Fatalf("%s: %v", name, err)
		}
		t.Logf("%s: %+v (accepted so far %d ids)", name, res, len(rc.Accepted()))
		advance(2 * time.Hour) // past every backoff (≤ 1h) and lease (timeout + 1m)
		return res
	}
	// Down for three passes: nothing is accepted, nothing is lost.
	rc.SetMode(sinkstest.ModeDown)
	for i := range 3 {
		if res := pass(fmt.Sprintf("down %d", i+1)); res.Delivered != 0 || res.Retry != runs*rules {
			t.Fatalf("down pass: %+v, want %d retries", res, runs*rules)
		}
	}
	if n := len(rc.Accepted()); n != 0 {
		t.Fatalf("accepted %d while down", n)
	}
	// 500 then 200: the first 300 requests fail (150 deliveries, 2 attempts each).
	rc.SetMode(sinkstest.ModeOK)
	fails := make([]sinkstest.Mode, 300)
	for i := range fails {
		fails[i] = sinkstest.ModeFail
	}
	rc.Script(fails...)
	pass("500 then 200")
	// Hangs past the 500ms deadline (5 requests), then 100 slow answers well within it
	// (20ms: a margin wide enough that a loaded CI machine does not turn "slow" into
	// "accepted after the client gave up", which is a real at-least-once duplicate).
	script := []sinkstest.Mode{sinkstest.ModeHang, sinkstest.ModeHang, sinkstest.ModeHang, sinkstest.ModeHang, sinkstest.ModeHang}
	for range 100 {
		script = append(script, sinkstest.ModeSlow)
	}
	rc.Script(script...)
	rc.SetDelay(20 * time.Millisecond)
	for i := 0; i < 40; i++ {
		left, err := ts.Deliveries(ctx, state.DeliveryQuery{Job: "fault", Statuses: []string{state.DeliveryPending}})
		if err != nil {
			t.Fatal(err)
		}
		if len(left) == 0 {
			break
		}
		pass(fmt.Sprintf("hang/slow %d (%d pending)", i+1, len(left)))
	}
	// None lost, none doubled except across a simulated crash.
	acc := rc.Accepted()
	if len(acc) != runs*rules {
		t.Errorf("%d distinct trigger ids accepted, want %d", len(acc), runs*rules)
	}
	dups := 0
	for id, n := range acc {
		want := 1
		if crashed[id] {
			want = 2
		}
		if n != want {
			t.Errorf("%s accepted %d times, want %d (crashed: %v)", id, n, want, crashed[id])
		}
		if n > 1 {
			dups++
		}
	}
	if len(crashed) == 0 || dups != len(crashed) {
		t.Errorf("%d duplicates, %d simulated crashes", dups, len(crashed))
	}
	all, _ := ts.Deliveries(ctx, state.DeliveryQuery{Job: "fault"})
	for _, d := range all {
		if d.Status != state.DeliveryDelivered {
			t.Errorf("%s is %s after %d attempts: %s", d.TriggerID, d.Status, d.Attempts, d.LastError)
		}
	}
	if errs := rc.Errors(); len(errs) > 0 {
		t.Errorf("bad signatures: %v", errs[:min(3, len(errs))])
	}
	t.Logf("%d requests for %d triggers, %d crashes", rc.Requests(), len(acc), len(crashed))
}

// TestScheduler_DeliversPending: the daemon's delivery loop sends a trigger left
// pending (a run whose receiver was down) without a new run of the job.
func TestScheduler_DeliversPending(t *testing.T) {
	tick := deliveryTick
	deliveryTick = 20 * time.Millisecond
	defer func() { deliveryTick = tick }()
	store, err := state.Open(t.Context(), statetest.SQLite(t))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	rc := sinkstest.NewReceiver(t)
	hook, err := sinks.NewWebhook(sinks.WebhookConfig{URL: rc.URL})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	id := pipeline.TriggerID("daily", "dataset_drift", at)
	err = store.(state.TriggerStore).RecordTriggers(t.Context(), nil, []state.Delivery{{TriggerID: id, Destination: "hook", Job: "daily",
		Rule: "dataset_drift", LogicalTime: at, Payload: []byte(`{"trigger_id":"` + id + `"}`), NextAttempt: at, Created: at}})
	if err != nil {
		t.Fatal(err)
	}
	env := testEnv()
	env.Now = func() time.Time { return at.Add(time.Hour) }
	j := &Job{Name: "daily", triggers: &triggerSetup{timeout: 10 * time.Second, dests: []destination{{name: "hook", sink: hook}}}}
	s := &scheduler{env: env, jobs: []scheduledJob{{job: j}}, rec: newRecorder(store, state.OriginSchedule, state.ClaimOnce, env)}
	stop := s.startDelivery(t.Context())
	deadline := time.Now().Add(10 * time.Second)
	for rc.Accepted()[id] == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	stop()
	if n := rc.Accepted()[id]; n != 1 {
		t.Fatalf("the daemon delivered %s %d times, want 1", id, n)
	}
	dl, _ := store.(state.TriggerStore).Deliveries(t.Context(), state.DeliveryQuery{})
	if len(dl) != 1 || dl[0].Status != state.DeliveryDelivered {
		t.Errorf("outbox after the tick: %+v", dl)
	}
}
