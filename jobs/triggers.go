package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/driftwatch/driftwatch/internal/state"
	"github.com/driftwatch/driftwatch/internal/yamlx"
	"github.com/driftwatch/driftwatch/pipeline"
	"github.com/driftwatch/driftwatch/sinks"
)

// Retrain triggers of a job: the `triggers:` block, the decisions of each run (the pure
// pipeline.Policy over the trigger log), and their delivery through the outbox of the
// state store.
//
// With a state store, a run's decisions and its triggers' deliveries are written in the
// transaction that records the run; the deliveries are then sent, after the run is
// recorded, and retried (with backoff) at the job's next run and every daemon tick
// until the receiver accepts them or refuses them for good. A delivery is marked
// delivered only after the receiver accepted it: a crash in between sends it again
// (at least once), and the trigger id, the same on every attempt, lets the receiver
// drop the duplicate.
//
// Without a state store (`run` with no `state:` block), the triggers are sent during
// the run and a delivery that fails fails the run (exit 1), so that the scheduler
// (Airflow) retries it; cooldown, dedup and hysteresis then see no history.

// TriggersConfig is a job's `triggers:` block.
type TriggersConfig struct {
	// Rules decide; each is one retrain condition.
	Rules []RuleConfig `yaml:"rules" required:"true"`
	// DeliverTo lists where fired triggers go: names of the job's sinks (a sink's
	// `name:`, or its type when it has none) or inline sink blocks.
	DeliverTo []yaml.Node `yaml:"deliver_to" required:"true"`
	// Cooldown is the rules' default cooldown (default 0: a rule fires once per
	// episode, and again only after its condition cleared).
	Cooldown time.Duration `yaml:"cooldown"`
	// Inhibit: the lowest finding severity that makes a run untrustworthy so that its
	// drift rules do not fire: error (default), warning or none.
	Inhibit string `yaml:"inhibit"`
	// DeliveryTimeout bounds one delivery pass (default 2m).
	DeliveryTimeout time.Duration `yaml:"delivery_timeout"`
}

// RuleConfig is one rule of `triggers.rules` (pipeline.Rule, by key).
type RuleConfig struct {
	Name            string               `yaml:"name"`
	When            string               `yaml:"when" required:"true"`
	Severity        string               `yaml:"severity"`
	Columns         []string             `yaml:"columns"`
	Share           float64              `yaml:"share"`
	Metric          string               `yaml:"metric"`
	Tolerance       float64              `yaml:"tolerance"`
	Relative        bool                 `yaml:"relative"`
	MaxAge          time.Duration        `yaml:"max_age"`
	FindingSeverity string               `yaml:"finding_severity"`
	FindingTypes    []string             `yaml:"finding_types"`
	MinFindings     int                  `yaml:"min_findings"`
	Hysteresis      *pipeline.Hysteresis `yaml:"hysteresis"`
	Cooldown        *time.Duration       `yaml:"cooldown"`
	SnoozeUntil     string               `yaml:"snooze_until"` // RFC 3339 or a date
}

const (
	defaultDeliveryTimeout = 2 * time.Minute
	deliveryBatch          = 20
	// maxRedelivery caps the wait between two delivery passes of one trigger.
	maxRedelivery = time.Hour
)

// deliveryTick is how often the schedule daemon sends pending deliveries (a variable
// for tests).
var deliveryTick = 30 * time.Second

// policy turns the block into the job's policy (and every problem into an error).
func (tc *TriggersConfig) policy(job string) (pipeline.Policy, error) {
	p := pipeline.Policy{Job: job, Inhibit: tc.Inhibit}
	var errs []error
	for i, rc := range tc.Rules {
		r := pipeline.Rule{Name: rc.Name, Kind: rc.When, Severity: rc.Severity, Columns: rc.Columns, Share: rc.Share,
			Metric: rc.Metric, Tolerance: rc.Tolerance, Relative: rc.Relative, MaxAge: rc.MaxAge,
			FindingSeverity: rc.FindingSeverity, FindingTypes: rc.FindingTypes, MinFindings: rc.MinFindings,
			Hysteresis: rc.Hysteresis, Cooldown: tc.Cooldown}
		if rc.Cooldown != nil {
			r.Cooldown = *rc.Cooldown
		}
		if rc.SnoozeUntil != "" {
			t, err := ParseTime(rc.SnoozeUntil)
			if err != nil {
				errs = append(errs, fmt.Errorf("rules[%d].snooze_until: %w", i, err))
			}
			r.SnoozeUntil = t
		}
		p.Rules = append(p.Rules, r)
	}
	if err := p.Validate(); err != nil {
		errs = append(errs, err)
	}
	if tc.Cooldown < 0 {
		errs = append(errs, errors.New("cooldown: must not be negative"))
	}
	if tc.DeliveryTimeout < 0 {
		errs = append(errs, errors.New("delivery_timeout: must not be negative"))
	}
	return p, errors.Join(errs...)
}

// validateTriggers checks a job's triggers block without building sinks (Validate).
func validateTriggers(p string, j *JobConfig, add func(path, format string, args ...any)) {
	tc := j.Triggers
	if tc == nil {
		return
	}
	if _, err := tc.policy(j.Name); err != nil {
		for _, e := range unjoin(err) {
			add(p+".triggers", "%v", e)
		}
	}
	names := sinkNames(j.Sinks)
	if len(tc.DeliverTo) == 0 {
		add(p+".triggers.deliver_to", "required: at least one sink name or sink block")
	}
	for k, n := range tc.DeliverTo {
		if n.Kind == yaml.ScalarNode {
			switch names[n.Value] {
			case 0:
				var valid []string
				for name := range names {
					valid = append(valid, name)
				}
				sort.Strings(valid)
				add(fmt.Sprintf("%s.triggers.deliver_to[%d]", p, k), "no sink named %q in this job (names: %v)", n.Value, valid)
			case 1:
			default:
				add(fmt.Sprintf("%s.triggers.deliver_to[%d]", p, k), "%q names %d sinks: give them distinct name: keys", n.Value, names[n.Value])
			}
		} else if n.Kind != yaml.MappingNode {
			add(fmt.Sprintf("%s.triggers.deliver_to[%d]", p, k), "want a sink name or a sink block")
		}
	}
}

func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// sinkName is a job sink block's name: its `name:` key, else its type.
func sinkName(b yamlx.Block) string {
	if b.Node != nil {
		for i := 0; i+1 < len(b.Node.Content); i += 2 {
			if b.Node.Content[i].Value == "name" {
				return b.Node.Content[i+1].Value
			}
		}
	}
	return b.Type
}

// sinkNames counts the names of a job's sink blocks.
func sinkNames(bs []yamlx.Block) map[string]int {
	out := map[string]int{}
	for _, b := range bs {
		out[sinkName(b)]++
	}
	return out
}

// destination is one receiver of a job's triggers.
type destination struct {
	name string
	sink pipeline.TriggerSink
}

// triggerSetup is a job's built trigger policy and destinations.
type triggerSetup struct {
	policy  pipeline.Policy
	dests   []destination
	timeout time.Duration
	// afterSend, in tests, runs between a delivery's success and its record; an error
	// simulates a crash there (the delivery stays leased and is sent again later).
	afterSend func(d state.Delivery) error
}

// buildTriggers builds the job's trigger policy and destinations (no I/O). named are
// the job's sinks by name.
func buildTriggers(c *Config, jc *JobConfig, env Env, named map[string]pipeline.Sink) (*triggerSetup, []error) {
	tc := jc.Triggers
	if tc == nil {
		return nil, nil
	}
	path := fmt.Sprintf("jobs[%d].triggers", jobIndex(c, jc))
	pol, err := tc.policy(jc.Name)
	if err != nil {
		return nil, []error{fmt.Errorf("%s: %w", path, err)}
	}
	ts := &triggerSetup{policy: pol, timeout: tc.DeliveryTimeout}
	if ts.timeout == 0 {
		ts.timeout = defaultDeliveryTimeout
	}
	var errs []error
	reg := sinks.Builtin()
	kdeps := sinks.Deps{Logger: env.Logger.With(logKeyJob, jc.Name), BaseDir: c.dir, Stdout: env.Stdout}
	seen := map[string]bool{}
	for k, n := range tc.DeliverTo {
		p := fmt.Sprintf("%s.deliver_to[%d]", path, k)
		var name string
		var s pipeline.Sink
		switch n.Kind {
		case yaml.ScalarNode:
			name = n.Value
			s = named[name]
			if s == nil {
				errs = append(errs, fmt.Errorf("%s: no sink named %q in this job", p, name))
				continue
			}
		case yaml.MappingNode:
			node := n
			b := yamlx.Block{Path: p, Node: &node}
			for i := 0; i+1 < len(node.Content); i += 2 {
				if node.Content[i].Value == "type" {
					b.Type = node.Content[i+1].Value
				}
			}
			name = sinkName(b)
			if name == b.Type {
				name = fmt.Sprintf("deliver_to[%d]:%s", k, b.Type)
			}
			built, err := reg.New(b.Type, b.Without("name").Decode, kdeps)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", p, err))
				continue
			}
			s = built
		default:
			errs = append(errs, fmt.Errorf("%s: want a sink name or a sink block", p))
			continue
		}
		t, ok := s.(pipeline.TriggerSink)
		if !ok {
			errs = append(errs, fmt.Errorf("%s: sink %q cannot deliver triggers (webhook, slack, airflow and command can)", p, name))
			continue
		}
		if seen[name] {
			errs = append(errs, fmt.Errorf("%s: %q is listed twice", p, name))
			continue
		}
		seen[name] = true
		ts.dests = append(ts.dests, destination{name: name, sink: t})
	}
	return ts, errs
}

func jobIndex(c *Config, jc *JobConfig) int {
	for i := range c.Jobs {
		if &c.Jobs[i] == jc {
			return i
		}
	}
	return 0
}

// checkEnv reports the secrets the job's sinks name but the environment lacks.
func (j *Job) checkEnv() []error {
	var errs []error
	seen := map[any]bool{}
	check := func(s any) {
		if seen[s] {
			return
		}
		seen[s] = true
		if c, ok := s.(sinks.EnvChecker); ok {
			if err := c.CheckEnv(); err != nil {
				errs = append(errs, fmt.Errorf("job %s: %w", j.Name, err))
			}
		}
	}
	for _, s := range j.sinks {
		check(s)
	}
	if j.triggers != nil {
		for _, d := range j.triggers.dests {
			check(d.sink)
		}
	}
	return errs
}

// afterAnalysis completes a report once the analysis is done: its duration and the
// trigger decisions (from the trigger log of ro's store, if any).
func (j *Job) afterAnalysis(ctx context.Context, rep *pipeline.Report, at time.Time, ro RunOptions, start time.Time, env Env) error {
	d := pipeline.Num(env.Now().Sub(start).Seconds())
	rep.DurationS = &d
	if j.triggers == nil {
		return nil
	}
	var prev []pipeline.LogEntry
	if ts, ok := ro.store.(state.TriggerStore); ok {
		log, err := ts.TriggerLog(ctx, j.Name, at, j.triggers.policy.LogDepth())
		if err != nil {
			return err
		}
		for _, e := range log {
			prev = append(prev, pipeline.LogEntry{Job: e.Job, Rule: e.Rule, LogicalTime: e.LogicalTime, Met: e.Met, Fired: e.Fired})
		}
	}
	ds := j.triggers.policy.Decide(prev, rep, at)
	if ro.SuppressTriggers {
		for i := range ds {
			if ds[i].Fire {
				ds[i].Fire, ds[i].Reason = false, pipeline.ReasonSuppressed
				ds[i].CooldownUntil = nil
				ds[i].Message += "; not delivered: a backfill without --emit-triggers"
			}
		}
	}
	rep.Triggers = ds
	return nil
}

// deliverDirect sends the fired triggers of rep to every destination during the run
// (no state store: no outbox).
func (j *Job) deliverDirect(ctx context.Context, rep *pipeline.Report, log *slog.Logger) error {
	if j.triggers == nil {
		return nil
	}
	var errs []error
	for _, d := range pipeline.Fired(rep.Triggers) {
		t := pipeline.NewTrigger(d, rep)
		for _, dest := range j.triggers.dests {
			if err := dest.sink.Trigger(ctx, &t); err != nil {
				errs = append(errs, fmt.Errorf("trigger %s to %s: %w", t.ID, dest.name, err))
				continue
			}
			log.Info("trigger delivered", "trigger_id", t.ID, "sink", dest.name)
		}
	}
	return errors.Join(errs...)
}

// triggerRecords turns a report's decisions into trigger-log rows and outbox rows.
func (j *Job) triggerRecords(rep *pipeline.Report, at, now time.Time) ([]state.TriggerDecision, []state.Delivery) {
	if j.triggers == nil || rep == nil {
		return nil, nil
	}
	var ds []state.TriggerDecision
	var dl []state.Delivery
	for _, d := range rep.Triggers {
		b, _ := json.Marshal(d)
		ds = append(ds, state.TriggerDecision{Job: j.Name, Rule: d.Rule, LogicalTime: at, Met: d.Met, Fired: d.Fire,
			Reason: d.Reason, Decision: b, DecidedAt: now})
		if !d.Fire {
			continue
		}
		payload, _ := json.Marshal(pipeline.NewTrigger(d, rep))
		for _, dest := range j.triggers.dests {
			dl = append(dl, state.Delivery{TriggerID: d.TriggerID, Destination: dest.name, Job: j.Name, Rule: d.Rule,
				LogicalTime: at, Payload: payload, NextAttempt: now, Created: now})
		}
	}
	return ds, dl
}

// finishRun records a finished run, with its trigger decisions and deliveries in the
// same transaction when the job has triggers.
func (rc *recorder) finishRun(ctx context.Context, j *Job, r state.Run, rep *pipeline.Report) error {
	ts, ok := rc.store.(state.TriggerStore)
	if !ok || j.triggers == nil || rep == nil || r.Status == state.StatusCanceled {
		return rc.store.Finish(ctx, r)
	}
	ds, dl := j.triggerRecords(rep, r.LogicalTime, rc.now())
	return ts.FinishWithTriggers(ctx, r, ds, dl)
}

// DeliveryResult counts what a delivery pass did.
type DeliveryResult struct {
	Delivered, Retry, Failed int
}

// deliverPending sends the job's due deliveries from the outbox until none is due or
// the pass's timeout ends.
func deliverPending(ctx context.Context, store state.Store, j *Job, owner string, now func() time.Time, log *slog.Logger) (DeliveryResult, error) {
	var res DeliveryResult
	ts, ok := store.(state.TriggerStore)
	if !ok || j.triggers == nil {
		return res, nil
	}
	ctx, cancel := context.WithTimeout(ctx, j.triggers.timeout)
	defer cancel()
	dests := map[string]pipeline.TriggerSink{}
	for _, d := range j.triggers.dests {
		dests[d.name] = d.sink
	}
	// The lease outlasts the pass: a delivery is never claimed by two passes at once.
	ttl := j.triggers.timeout + time.Minute
	bg := context.WithoutCancel(ctx)
	for ctx.Err() == nil {
		batch, err := ts.ClaimDeliveries(ctx, j.Name, owner, now(), ttl, deliveryBatch)
		if err != nil {
			return res, err
		}
		if len(batch) == 0 {
			return res, nil
		}
		for _, d := range batch {
			if ctx.Err() != nil {
				break // not attempted: claimable again when its lease ends
			}
			err := sendDelivery(ctx, d, dests)
			if err == nil && j.triggers.afterSend != nil {
				if cerr := j.triggers.afterSend(d); cerr != nil {
					return res, cerr // a simulated crash: nothing recorded
				}
			}
			rctx, rcancel := context.WithTimeout(bg, 15*time.Second)
			switch {
			case err == nil:
				res.Delivered++
				if merr := ts.MarkDelivered(rctx, d, owner, now()); merr != nil {
					log.Error("record delivery", "trigger_id", d.TriggerID, "sink", d.Destination, "err", merr)
				} else {
					log.Info("trigger delivered", "trigger_id", d.TriggerID, "sink", d.Destination, "attempts", d.Attempts+1)
				}
			case sinks.IsPermanent(err):
				res.Failed++
				log.Error("trigger delivery failed for good", "trigger_id", d.TriggerID, "sink", d.Destination, "err", err)
				if merr := ts.MarkAttempt(rctx, d, owner, err.Error(), true, now()); merr != nil {
					log.Error("record delivery attempt", "trigger_id", d.TriggerID, "err", merr)
				}
			default:
				res.Retry++
				next := now().Add(redeliveryDelay(d.Attempts + 1))
				log.Warn("trigger delivery failed: retrying later", "trigger_id", d.TriggerID, "sink", d.Destination,
					"attempts", d.Attempts+1, "next_attempt", next, "err", err)
				if merr := ts.MarkAttempt(rctx, d, owner, err.Error(), false, next); merr != nil {
					log.Error("record delivery attempt", "trigger_id", d.TriggerID, "err", merr)
				}
			}
			rcancel()
		}
	}
	return res, nil
}

// sendDelivery sends one delivery to its destination.
func sendDelivery(ctx context.Context, d state.Delivery, dests map[string]pipeline.TriggerSink) error {
	s, ok := dests[d.Destination]
	if !ok {
		return sinks.Permanent(fmt.Errorf("destination %q is no longer in the job's triggers.deliver_to", d.Destination))
	}
	var t pipeline.Trigger
	if err := json.Unmarshal(d.Payload, &t); err != nil {
		return sinks.Permanent(fmt.Errorf("decode trigger %s: %w", d.TriggerID, err))
	}
	return s.Trigger(ctx, &t)
}

// redeliveryDelay is the wait before delivery pass n+1 of a trigger: 30s doubling, up
// to an hour, with ±25% jitter.
func redeliveryDelay(attempts int) time.Duration {
	d := 30 * time.Second
	for i := 1; i < attempts && d < maxRedelivery; i++ {
		d *= 2
	}
	d = min(d, maxRedelivery)
	return d - d/4 + time.Duration(rand.Int64N(int64(d/2)+1))
}

// deliverAfterRun sends the job's due deliveries after a recorded run.
func (rc *recorder) deliverAfterRun(ctx context.Context, j *Job, log *slog.Logger) {
	if j.triggers == nil || rc.store == nil || ctx.Err() != nil {
		return
	}
	if _, err := deliverPending(ctx, rc.store, j, rc.owner, rc.now, log); err != nil {
		log.Error("deliver triggers", "err", err)
	}
}

// startDelivery runs the daemon's delivery loop: every deliveryTick, the pending
// deliveries of every job are sent. The returned function stops it and waits.
func (s *scheduler) startDelivery(ctx context.Context) func() {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(deliveryTick)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			for _, sj := range s.jobs {
				s.rec.deliverAfterRun(ctx, sj.job, s.env.Logger.With(logKeyJob, sj.job.Name))
			}
		}
	})
	return func() { cancel(); wg.Wait() }
}

// DeliveryEntry is one outbox row in `history --triggers --format json`.
type DeliveryEntry struct {
	TriggerID   string     `json:"trigger_id"`
	Job         string     `json:"job"`
	Rule        string     `json:"rule"`
	LogicalTime time.Time  `json:"logical_time"`
	Sink        string     `json:"sink"`
	Status      string     `json:"status"` // pending | delivered | failed
	Attempts    int        `json:"attempts"`
	NextAttempt *time.Time `json:"next_attempt,omitempty"`
	LastError   string     `json:"last_error,omitempty"`
	Created     time.Time  `json:"created"`
	Delivered   *time.Time `json:"delivered,omitempty"`
}

// historyDeliveries prints trigger deliveries for `history`: all of them (--triggers,
// text or json), or, after the runs of the text format, a section with the pending and
// failed ones (none: nothing).
func historyDeliveries(ctx context.Context, store state.Store, job, format string, all bool, limit int, w io.Writer) error {
	ts, ok := store.(state.TriggerStore)
	if !ok {
		if all && format == "json" {
			_, err := io.WriteString(w, "[]\n")
			return err
		}
		return nil
	}
	q := state.DeliveryQuery{Job: job, Limit: limit}
	if !all {
		q.Statuses = []string{state.DeliveryPending, state.DeliveryFailed}
	}
	dl, err := ts.Deliveries(ctx, q)
	if err != nil {
		return err
	}
	entries := make([]DeliveryEntry, len(dl))
	for i, d := range dl {
		e := DeliveryEntry{TriggerID: d.TriggerID, Job: d.Job, Rule: d.Rule, LogicalTime: d.LogicalTime.UTC(), Sink: d.Destination,
			Status: d.Status, Attempts: d.Attempts, LastError: d.LastError, Created: d.Created.UTC()}
		if d.Status == state.DeliveryPending {
			n := d.NextAttempt.UTC()
			e.NextAttempt = &n
		}
		if !d.Delivered.IsZero() {
			t := d.Delivered.UTC()
			e.Delivered = &t
		}
		entries[i] = e
	}
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(entries)
	}
	if len(entries) == 0 {
		if all {
			fmt.Fprintln(w, "no trigger deliveries recorded")
		}
		return nil
	}
	if !all {
		fmt.Fprintf(w, "\nTrigger deliveries not delivered (%d):\n", len(entries))
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TRIGGER\tSINK\tSTATUS\tATTEMPTS\tNEXT / DELIVERED\tLAST ERROR")
	for _, e := range entries {
		when := "-"
		switch {
		case e.NextAttempt != nil:
			when = "next " + e.NextAttempt.Format(time.RFC3339)
		case e.Delivered != nil:
			when = e.Delivered.Format(time.RFC3339)
		}
		msg := strings.ReplaceAll(e.LastError, "\n", " ")
		if len(msg) > 100 {
			msg = msg[:97] + "..."
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", e.TriggerID, e.Sink, e.Status, e.Attempts, when, msg)
	}
	return tw.Flush()
}
