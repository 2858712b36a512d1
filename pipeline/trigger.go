package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strings"
	"time"
)

// Retrain triggers: rules over a report produce decisions, which pass (in this order)
// hysteresis, inhibition, snooze and cooldown/dedup, keyed by (job, rule). The policy is
// pure: the trigger log of earlier runs and the logical time come in as arguments, and
// no wall clock is read. Delivery (the outbox, retries) is the caller's (jobs).

// Rule kinds: what a rule looks at in a report.
const (
	RuleDatasetDrift    = "dataset_drift"    // the dataset verdict is drift
	RuleColumnDrift     = "column_drift"     // named columns drifted, or a share of the features
	RuleTargetDrift     = "target_drift"     // the target column drifted
	RulePredictionDrift = "prediction_drift" // the prediction (or a score) column drifted
	RuleQualityDrop     = "quality_drop"     // a model-quality metric degraded beyond a tolerance
	RuleModelAge        = "model_age"        // the model is older than a limit
	RuleFindings        = "quality_findings" // data-quality findings of a severity
)

// RuleKinds lists the rule kinds, for docs and errors.
func RuleKinds() []string {
	return []string{RuleDatasetDrift, RuleColumnDrift, RuleTargetDrift, RulePredictionDrift, RuleQualityDrop, RuleModelAge, RuleFindings}
}

// driftKinds are the rules that an untrustworthy run (inhibition) silences.
var driftKinds = map[string]bool{RuleDatasetDrift: true, RuleColumnDrift: true, RuleTargetDrift: true, RulePredictionDrift: true}

// Trigger severities, on a decision (the receiver's urgency).
const (
	TriggerInfo     = "info"
	TriggerWarning  = "warning"
	TriggerCritical = "critical"
)

// Decision reasons: why a rule fired or did not.
const (
	ReasonFirstTrigger   = "first_trigger"   // fired
	ReasonNotMet         = "not_met"         // the condition does not hold on this run
	ReasonBelowQuorum    = "below_quorum"    // held, but in fewer than k of the last n runs
	ReasonInhibited      = "inhibited"       // a data-quality finding makes the run untrustworthy
	ReasonSnoozed        = "snoozed"         // the rule is snoozed until a time
	ReasonCooldownActive = "cooldown_active" // fired less than the cooldown ago
	ReasonAlreadyFiring  = "already_firing"  // fired on an earlier run and has held ever since
	ReasonSuppressed     = "suppressed"      // would fire, but this run delivers no triggers (a backfill)
)

// Hysteresis asks that a condition held in at least K of the last N runs (this one
// included) before the rule fires.
type Hysteresis struct {
	K int `json:"k"`
	N int `json:"n"`
}

// Rule is one retrain rule of a job.
type Rule struct {
	// Name identifies the rule in its job (the dedup key is (job, name)); default Kind.
	Name string
	Kind string
	// Severity of the decision: info, warning (default) or critical.
	Severity string
	// Columns (column_drift): the rule holds when any of them drifted; with Share, when
	// the share of them (or of every feature column, without Columns) that drifted
	// reaches Share.
	Columns []string
	Share   float64
	// Metric, Tolerance and Relative (quality_drop): the rule holds when the metric on
	// the current data is worse than on the reference by more than Tolerance (absolute,
	// or a fraction of the reference value when Relative).
	Metric    string
	Tolerance float64
	Relative  bool
	// MaxAge (model_age): the rule holds when report.model.age_days exceeds it.
	MaxAge time.Duration
	// FindingSeverity (quality_findings, default error), FindingTypes (default: any) and
	// MinFindings (default 1): the rule holds when at least MinFindings findings of at
	// least that severity (and of those types) are in the report.
	FindingSeverity string
	FindingTypes    []string
	MinFindings     int
	// Hysteresis, when set: fire only when the condition held in k of the last n runs.
	Hysteresis *Hysteresis
	// Cooldown: after a trigger, the rule does not fire again for this long (logical
	// time). Zero: it fires again as soon as the condition has cleared once and holds again.
	Cooldown time.Duration
	// SnoozeUntil: the rule does not fire for runs before this logical time.
	SnoozeUntil time.Time
}

// ruleName is what makes a name safe inside trigger ids and Airflow run ids.
var ruleName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)

// Validate checks the rule; the errors name the keys of its config.
func (r *Rule) Validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if !ruleName.MatchString(r.ID()) {
		add("name: %q is not valid (lowercase letters, digits, _ and -)", r.ID())
	}
	known := false
	for _, k := range RuleKinds() {
		known = known || k == r.Kind
	}
	if !known {
		add("when: %q is not a rule (valid: %s)", r.Kind, strings.Join(RuleKinds(), ", "))
	}
	switch r.Severity {
	case "", TriggerInfo, TriggerWarning, TriggerCritical:
	default:
		add("severity: %q is not valid (valid: info, warning, critical)", r.Severity)
	}
	only := func(key string, set bool, kinds ...string) {
		if !set {
			return
		}
		for _, k := range kinds {
			if r.Kind == k {
				return
			}
		}
		add("%s: only for %s", key, strings.Join(kinds, ", "))
	}
	only("columns", len(r.Columns) > 0, RuleColumnDrift)
	only("share", r.Share != 0, RuleColumnDrift)
	only("metric", r.Metric != "", RuleQualityDrop)
	only("tolerance", r.Tolerance != 0, RuleQualityDrop)
	only("relative", r.Relative, RuleQualityDrop)
	only("max_age", r.MaxAge != 0, RuleModelAge)
	only("finding_severity", r.FindingSeverity != "", RuleFindings)
	only("finding_types", len(r.FindingTypes) > 0, RuleFindings)
	only("min_findings", r.MinFindings != 0, RuleFindings)
	switch r.Kind {
	case RuleColumnDrift:
		if len(r.Columns) == 0 && r.Share == 0 {
			add("columns or share: required for column_drift")
		}
		if r.Share < 0 || r.Share > 1 {
			add("share: must be in (0, 1], got %g", r.Share)
		}
	case RuleQualityDrop:
		if r.Metric == "" {
			add("metric: required for quality_drop")
		} else if _, ok := metricDirection(r.Metric); !ok {
			add("metric: %q is not known (valid: %s)", r.Metric, strings.Join(QualityMetrics(), ", "))
		}
		if r.Tolerance < 0 || math.IsNaN(r.Tolerance) {
			add("tolerance: must not be negative")
		}
	case RuleModelAge:
		if r.MaxAge <= 0 {
			add("max_age: required for model_age (a duration such as 30d)")
		}
	case RuleFindings:
		switch r.FindingSeverity {
		case "", SeverityInfo, SeverityWarning, SeverityError:
		default:
			add("finding_severity: %q is not valid (valid: info, warning, error)", r.FindingSeverity)
		}
		if r.MinFindings < 0 {
			add("min_findings: must not be negative")
		}
	}
	if h := r.Hysteresis; h != nil && (h.N < 1 || h.K < 1 || h.K > h.N || h.N > MaxHysteresisRuns) {
		add("hysteresis: want 1 <= k <= n <= %d, got k=%d n=%d", MaxHysteresisRuns, h.K, h.N)
	}
	if r.Cooldown < 0 {
		add("cooldown: must not be negative")
	}
	return errors.Join(errs...)
}

// MaxHysteresisRuns bounds n of a hysteresis (and so the trigger log a run reads).
const MaxHysteresisRuns = 100

// ID is the rule's name, or its kind when it has none.
func (r *Rule) ID() string {
	if r.Name != "" {
		return r.Name
	}
	return r.Kind
}

// Decision is what one rule decided on one run. It is report content (`triggers`).
type Decision struct {
	Rule     string `json:"rule"`
	Kind     string `json:"kind"`
	Severity string `json:"severity"`
	// Met says whether the rule's condition holds on this run; Fire whether a trigger
	// is emitted. Reason says why (first_trigger, not_met, below_quorum, inhibited,
	// snoozed, cooldown_active, already_firing, suppressed) and Message gives the detail.
	Met     bool   `json:"met"`
	Fire    bool   `json:"fire"`
	Reason  string `json:"reason"`
	Message string `json:"message"`
	// TriggerID is the trigger's stable id (job, rule and logical time): the receiver's
	// idempotency key. Set on every decision; a trigger exists only when Fire is set.
	TriggerID   string     `json:"trigger_id"`
	Job         string     `json:"job"`
	LogicalTime *time.Time `json:"logical_time"`
	// CooldownUntil is when the rule may fire again (after a trigger, with a cooldown).
	CooldownUntil *time.Time `json:"cooldown_until,omitempty"`
}

// LogEntry is one earlier decision, as the trigger log keeps it.
type LogEntry struct {
	Job         string
	Rule        string
	LogicalTime time.Time
	Met         bool
	// Fired: a trigger was emitted (delivered or pending). A decision made while
	// triggers were suppressed (a backfill) is not a fired one.
	Fired bool
}

// Policy is a job's trigger policy.
type Policy struct {
	Job   string
	Rules []Rule
	// Inhibit is the lowest finding severity that makes a run untrustworthy, so that its
	// drift rules do not fire: error (the default), warning, or none.
	Inhibit string
}

// Inhibit levels.
const InhibitNone = "none"

// Validate checks every rule and the uniqueness of their names.
func (p *Policy) Validate() error {
	var errs []error
	seen := map[string]bool{}
	for i := range p.Rules {
		r := &p.Rules[i]
		if err := r.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("rules[%d]: %w", i, err))
		}
		if seen[r.ID()] {
			errs = append(errs, fmt.Errorf("rules[%d].name: %q is used twice (give the rules names)", i, r.ID()))
		}
		seen[r.ID()] = true
	}
	switch p.Inhibit {
	case "", SeverityError, SeverityWarning, InhibitNone:
	default:
		errs = append(errs, fmt.Errorf("inhibit: %q is not valid (valid: error, warning, none)", p.Inhibit))
	}
	return errors.Join(errs...)
}

// TriggerID is the stable id of the trigger of rule in job at logical time at:
// "job:rule:20061102T150405Z". A re-run of the same logical time gets the same id.
func TriggerID(job, rule string, at time.Time) string {
	return job + ":" + rule + ":" + at.UTC().Format("20060102T150405Z")
}

// LogDepth is how many earlier entries per rule Decide needs (the largest hysteresis n,
// at least 1 for dedup).
func (p *Policy) LogDepth() int {
	n := 1
	for _, r := range p.Rules {
		if r.Hysteresis != nil && r.Hysteresis.N > n {
			n = r.Hysteresis.N
		}
	}
	return n
}

// Decide evaluates every rule on r, the report of the run at logical time at, and
// returns one decision per rule, in rule order. prev is the trigger log of earlier
// runs of the job, in any order; entries of other jobs and entries at or after at are
// ignored, so that a re-run (or a backfill of an old time) decides as the first run of
// that time did. Stages, in order: condition, hysteresis (k of n), inhibition, snooze,
// cooldown and dedup keyed by (job, rule).
//
// Cooldown and dedup need the entries since the rule last fired, or, with a cooldown,
// those of the cooldown: callers pass at least those (and LogDepth per rule).
func (p *Policy) Decide(prev []LogEntry, r *Report, at time.Time) []Decision {
	byRule := map[string][]LogEntry{}
	for _, e := range prev {
		if e.Job != p.Job || !e.LogicalTime.Before(at) {
			continue
		}
		byRule[e.Rule] = append(byRule[e.Rule], e)
	}
	for _, es := range byRule {
		sort.Slice(es, func(i, j int) bool { return es[i].LogicalTime.After(es[j].LogicalTime) }) // newest first
	}
	inhibitor := p.inhibitor(r)
	lt := at.UTC()
	out := make([]Decision, 0, len(p.Rules))
	for i := range p.Rules {
		rule := &p.Rules[i]
		d := Decision{Rule: rule.ID(), Kind: rule.Kind, Severity: rule.Severity, Job: p.Job, LogicalTime: &lt,
			TriggerID: TriggerID(p.Job, rule.ID(), at)}
		if d.Severity == "" {
			d.Severity = TriggerWarning
		}
		d.Met, d.Message = rule.condition(r)
		hist := byRule[rule.ID()]
		switch {
		case !d.Met:
			d.Reason = ReasonNotMet
		case rule.Hysteresis != nil && !quorum(hist, rule.Hysteresis):
			d.Reason = ReasonBelowQuorum
			d.Message += fmt.Sprintf("; held in %d of the last %d runs, want %d", held(hist, rule.Hysteresis.N), rule.Hysteresis.N, rule.Hysteresis.K)
		case inhibitor != "" && driftKinds[rule.Kind]:
			d.Reason = ReasonInhibited
			d.Message += "; inhibited: " + inhibitor
		case !rule.SnoozeUntil.IsZero() && at.Before(rule.SnoozeUntil):
			d.Reason = ReasonSnoozed
			d.Message += "; snoozed until " + rule.SnoozeUntil.UTC().Format(time.RFC3339)
		default:
			d.Reason, d.Fire = rule.dedup(hist, at, &d)
		}
		if d.Fire && rule.Cooldown > 0 {
			u := lt.Add(rule.Cooldown)
			d.CooldownUntil = &u
		}
		out = append(out, d)
	}
	return out
}

// dedup decides between firing, cooldown and an episode that already fired; hist is
// newest first.
func (r *Rule) dedup(hist []LogEntry, at time.Time, d *Decision) (string, bool) {
	for i, e := range hist {
		if !e.Fired {
			if r.Cooldown == 0 && r.cleared(hist[i:]) {
				break // the condition cleared since the last trigger: a new episode
			}
			continue
		}
		if r.Cooldown > 0 {
			if until := e.LogicalTime.Add(r.Cooldown); at.Before(until) {
				d.Message += fmt.Sprintf("; fired at %s, cooldown until %s", e.LogicalTime.UTC().Format(time.RFC3339), until.UTC().Format(time.RFC3339))
				return ReasonCooldownActive, false
			}
			break
		}
		d.Message += fmt.Sprintf("; fired at %s and held since", e.LogicalTime.UTC().Format(time.RFC3339))
		return ReasonAlreadyFiring, false
	}
	return ReasonFirstTrigger, true
}

// cleared reports whether the rule's condition was off at the run of hist[0] (hist is
// newest first): not met, or, with hysteresis, met in fewer than k of the n runs then.
func (r *Rule) cleared(hist []LogEntry) bool {
	h := r.Hysteresis
	if h == nil {
		return !hist[0].Met
	}
	c := 0
	for i := 0; i < len(hist) && i < h.N; i++ {
		if hist[i].Met {
			c++
		}
	}
	return c < h.K
}

// held counts the runs among this one and the n-1 before it where the condition held
// (this run's condition holds when held is asked).
func held(hist []LogEntry, n int) int {
	c := 1
	for i := 0; i < len(hist) && i < n-1; i++ {
		if hist[i].Met {
			c++
		}
	}
	return c
}

func quorum(hist []LogEntry, h *Hysteresis) bool { return held(hist, h.N) >= h.K }

// inhibitor returns why the run is untrustworthy ("" when it is not).
func (p *Policy) inhibitor(r *Report) string {
	min := severityRank(SeverityError)
	switch p.Inhibit {
	case InhibitNone:
		return ""
	case SeverityWarning:
		min = severityRank(SeverityWarning)
	}
	var types []string
	seen := map[string]bool{}
	for _, f := range r.Quality {
		if severityRank(f.Severity) >= min && !seen[f.Type] {
			seen[f.Type] = true
			types = append(types, f.Type)
		}
	}
	if len(types) == 0 {
		return ""
	}
	return "data-quality findings on this run: " + strings.Join(types, ", ")
}

func severityRank(s string) int {
	switch s {
	case SeverityInfo:
		return 1
	case SeverityWarning:
		return 2
	case SeverityError:
		return 3
	}
	return 0
}

// condition evaluates the rule on r: whether it holds, and a sentence saying why.
func (r *Rule) condition(rep *Report) (bool, string) {
	switch r.Kind {
	case RuleDatasetDrift:
		d := rep.DatasetDrift
		return d.Drifted, fmt.Sprintf("%d of %d feature columns drifted (share %s, threshold %s)",
			d.DriftedColumns, d.Columns, fmtNum(float64(d.Share)), fmtNum(float64(d.Threshold)))
	case RuleColumnDrift:
		return r.columnDrift(rep)
	case RuleTargetDrift:
		return roleDrift(rep, "target", RoleTarget)
	case RulePredictionDrift:
		return roleDrift(rep, "prediction", RolePrediction, RoleScore)
	case RuleQualityDrop:
		return r.qualityDrop(rep)
	case RuleModelAge:
		age, ok := lookupNumber(rep.Model, "age_days")
		if !ok {
			return false, "the report has no model age (model.age_days)"
		}
		limit := r.MaxAge.Hours() / 24
		return age > limit, fmt.Sprintf("model age %s days, limit %s days", fmtNum(age), fmtNum(limit))
	case RuleFindings:
		return r.findings(rep)
	}
	return false, "unknown rule kind " + r.Kind
}

func (r *Rule) columnDrift(rep *Report) (bool, string) {
	byName := map[string]*ColumnReport{}
	for i := range rep.Columns {
		byName[rep.Columns[i].Name] = &rep.Columns[i]
	}
	var drifted, absent []string
	considered := 0
	if len(r.Columns) > 0 {
		for _, name := range r.Columns {
			c, ok := byName[name]
			if !ok {
				absent = append(absent, name)
				continue
			}
			considered++
			if c.Drifted {
				drifted = append(drifted, name)
			}
		}
	} else {
		for i := range rep.Columns {
			c := &rep.Columns[i]
			if c.Role != RoleFeature || c.Status != StatusOK || c.Method == "" {
				continue
			}
			considered++
			if c.Drifted {
				drifted = append(drifted, c.Name)
			}
		}
	}
	var met bool
	var msg string
	if r.Share > 0 {
		share := 0.0
		if considered > 0 {
			share = float64(len(drifted)) / float64(considered)
		}
		met = considered > 0 && share >= r.Share
		msg = fmt.Sprintf("%d of %d columns drifted (share %s, rule share %s)", len(drifted), considered, fmtNum(share), fmtNum(r.Share))
	} else {
		met = len(drifted) > 0
		msg = fmt.Sprintf("%d of %d named columns drifted", len(drifted), len(r.Columns))
	}
	if len(drifted) > 0 {
		msg += ": " + strings.Join(drifted, ", ")
	}
	if len(absent) > 0 {
		msg += "; not in the report: " + strings.Join(absent, ", ")
	}
	return met, msg
}

func roleDrift(rep *Report, what string, roles ...Role) (bool, string) {
	var names, drifted []string
	for _, c := range rep.Columns {
		for _, role := range roles {
			if c.Role == role && c.Status == StatusOK && c.Method != "" {
				names = append(names, c.Name)
				if c.Drifted {
					drifted = append(drifted, c.Name)
				}
			}
		}
	}
	switch {
	case len(names) == 0:
		return false, "no tested " + what + " column in the report"
	case len(drifted) == 0:
		return false, what + " did not drift: " + strings.Join(names, ", ")
	}
	return true, what + " drifted: " + strings.Join(drifted, ", ")
}

func (r *Rule) findings(rep *Report) (bool, string) {
	sev := r.FindingSeverity
	if sev == "" {
		sev = SeverityError
	}
	minN := max(r.MinFindings, 1)
	types := map[string]bool{}
	for _, t := range r.FindingTypes {
		types[t] = true
	}
	n := 0
	var which []string
	for _, f := range rep.Quality {
		if severityRank(f.Severity) < severityRank(sev) || len(types) > 0 && !types[f.Type] {
			continue
		}
		n++
		w := f.Type
		if f.Column != "" {
			w += " (" + f.Column + ")"
		}
		which = append(which, w)
	}
	msg := fmt.Sprintf("%d findings of severity %s or above, want %d", n, sev, minN)
	if len(which) > 0 {
		msg += ": " + strings.Join(which, ", ")
	}
	return n >= minN, msg
}

// higherIsBetter says, per model-quality metric, which direction is an improvement.
var higherIsBetter = map[string]bool{
	"accuracy": true, "balanced_accuracy": true, "precision": true, "recall": true, "f1": true,
	"precision_macro": true, "recall_macro": true, "f1_macro": true, "roc_auc": true, "pr_auc": true, "r2": true,
	"log_loss": false, "brier": false, "mae": false, "mse": false, "rmse": false, "mape": false,
}

// QualityMetrics lists the metrics a quality_drop rule knows, sorted.
func QualityMetrics() []string {
	var out []string
	for m := range higherIsBetter {
		out = append(out, m)
	}
	sort.Strings(out)
	return out
}

func metricDirection(m string) (higher bool, ok bool) {
	higher, ok = higherIsBetter[m]
	return
}

func (r *Rule) qualityDrop(rep *Report) (bool, string) {
	ref, cur, ok := lookupMetric(rep.Performance, r.Metric)
	if !ok {
		return false, fmt.Sprintf("the report has no %s on both sides (performance needs labels)", r.Metric)
	}
	higher, _ := metricDirection(r.Metric)
	worse := cur - ref // how much worse the current value is
	if higher {
		worse = ref - cur
	}
	limit := r.Tolerance
	if r.Relative {
		limit = r.Tolerance * math.Abs(ref)
	}
	return worse > limit, fmt.Sprintf("%s %s on the reference, %s on the current data (worse by %s, tolerance %s)",
		r.Metric, fmtNum(ref), fmtNum(cur), fmtNum(worse), fmtNum(limit))
}

// lookupMetric finds a metric's reference and current values in the report's
// performance section, read generically (its JSON), in any of these shapes:
//
//	{"f1": {"reference": x, "current": y}}
//	{"reference": {"f1": x}, "current": {"f1": y}}
//	{"metrics": [{"name": "f1", "reference": x, "current": y}]}
//
// at any depth.
func lookupMetric(perf any, metric string) (ref, cur float64, ok bool) {
	v, err := generic(perf)
	if err != nil || v == nil {
		return 0, 0, false
	}
	var walk func(v any) bool
	walk = func(v any) bool {
		switch x := v.(type) {
		case map[string]any:
			if m, isMap := x[metric].(map[string]any); isMap {
				if rf, cf, both := pair(m["reference"], m["current"]); both {
					ref, cur = rf, cf
					return true
				}
			}
			if rm, isMap := x["reference"].(map[string]any); isMap {
				if cm, isMap := x["current"].(map[string]any); isMap {
					if rf, cf, both := pair(rm[metric], cm[metric]); both {
						ref, cur = rf, cf
						return true
					}
				}
			}
			if x["name"] == metric || x["metric"] == metric {
				if rf, cf, both := pair(x["reference"], x["current"]); both {
					ref, cur = rf, cf
					return true
				}
			}
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				if walk(x[k]) {
					return true
				}
			}
		case []any:
			for _, e := range x {
				if walk(e) {
					return true
				}
			}
		}
		return false
	}
	ok = walk(v)
	return ref, cur, ok
}

// lookupNumber returns the number under key at the top of a generic section.
func lookupNumber(section any, key string) (float64, bool) {
	v, err := generic(section)
	if err != nil {
		return 0, false
	}
	m, ok := v.(map[string]any)
	if !ok {
		return 0, false
	}
	f, ok := m[key].(float64)
	return f, ok && !math.IsNaN(f)
}

func pair(a, b any) (float64, float64, bool) {
	x, ok1 := a.(float64)
	y, ok2 := b.(float64)
	return x, y, ok1 && ok2
}

// generic turns a report section (a struct or a map) into JSON values.
func generic(v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out any
	err = json.Unmarshal(b, &out)
	return out, err
}

func fmtNum(f float64) string {
	if math.IsNaN(f) {
		return "n/a"
	}
	return fmt.Sprintf("%.4g", f)
}

// Fired returns the decisions that fire.
func Fired(ds []Decision) []Decision {
	var out []Decision
	for _, d := range ds {
		if d.Fire {
			out = append(out, d)
		}
	}
	return out
}

// Trigger is a fired decision on its way to a receiver (a TriggerSink). Its ID is the
// receiver's idempotency key: a redelivery carries the same ID.
type Trigger struct {
	ID          string    `json:"trigger_id"`
	Job         string    `json:"job"`
	Rule        string    `json:"rule"`
	Kind        string    `json:"kind"`
	Severity    string    `json:"severity"`
	Reason      string    `json:"reason"`
	Message     string    `json:"message"`
	LogicalTime time.Time `json:"logical_time"`
	RunID       string    `json:"run_id"`
	Summary     Summary   `json:"summary"`
}

// NewTrigger makes the trigger of a fired decision d of report r.
func NewTrigger(d Decision, r *Report) Trigger {
	t := Trigger{ID: d.TriggerID, Job: d.Job, Rule: d.Rule, Kind: d.Kind, Severity: d.Severity, Reason: d.Reason,
		Message: d.Message, RunID: r.RunID, Summary: Summarize(r, DefaultTop)}
	if d.LogicalTime != nil {
		t.LogicalTime = *d.LogicalTime
	}
	return t
}

// A TriggerSink delivers retrain triggers. Trigger may deliver t more than once (after a
// crash between delivery and its record); receivers deduplicate by t.ID. Errors wrapped
// in sinks.Permanent are not retried.
type TriggerSink interface {
	Trigger(ctx context.Context, t *Trigger) error
}

// Summary is the short form of a report that notifications carry.
type Summary struct {
	Job            string          `json:"job"`
	RunID          string          `json:"run_id"`
	LogicalTime    *time.Time      `json:"logical_time"`
	DatasetDrifted bool            `json:"dataset_drifted"`
	Share          Num             `json:"share"`
	Threshold      Num             `json:"threshold"`
	DriftedColumns int             `json:"drifted_columns"`
	Columns        int             `json:"columns"`
	Findings       int             `json:"findings"`
	Errors         int             `json:"error_findings"`
	TopDrifted     []DriftedColumn `json:"top_drifted"`
	Triggers       []string        `json:"triggers"` // rules that fire
}

// DriftedColumn is one drifted column in a summary.
type DriftedColumn struct {
	Name      string `json:"name"`
	Method    string `json:"method"`
	Statistic Num    `json:"statistic"`
	PValue    Num    `json:"p_value"`
}

// DefaultTop is how many drifted columns a summary lists.
const DefaultTop = 5

// Summarize returns the summary of r with at most top drifted columns, the most
// drifted first (smallest p-value, then largest statistic).
func Summarize(r *Report, top int) Summary {
	d := r.DatasetDrift
	s := Summary{Job: r.Job, RunID: r.RunID, LogicalTime: r.LogicalTime, DatasetDrifted: d.Drifted, Share: d.Share,
		Threshold: d.Threshold, DriftedColumns: d.DriftedColumns, Columns: d.Columns, Findings: len(r.Quality),
		TopDrifted: []DriftedColumn{}, Triggers: []string{}}
	for _, f := range r.Quality {
		if f.Severity == SeverityError {
			s.Errors++
		}
	}
	for _, c := range r.Columns {
		if !c.Drifted {
			continue
		}
		dc := DriftedColumn{Name: c.Name, Method: c.Method, Statistic: Num(math.NaN()), PValue: Num(math.NaN())}
		for _, t := range c.Tests {
			if t.Method == c.Method {
				dc.Statistic, dc.PValue = t.Statistic, t.PValue
				break
			}
		}
		s.TopDrifted = append(s.TopDrifted, dc)
	}
	key := func(c DriftedColumn) (float64, float64) {
		p, st := float64(c.PValue), float64(c.Statistic)
		if math.IsNaN(p) {
			p = 2 // distances after tests
		}
		if math.IsNaN(st) {
			st = math.Inf(-1)
		}
		return p, st
	}
	sort.SliceStable(s.TopDrifted, func(i, j int) bool {
		pi, si := key(s.TopDrifted[i])
		pj, sj := key(s.TopDrifted[j])
		if pi != pj {
			return pi < pj
		}
		if si != sj {
			return si > sj
		}
		return s.TopDrifted[i].Name < s.TopDrifted[j].Name
	})
	if top >= 0 && len(s.TopDrifted) > top {
		s.TopDrifted = s.TopDrifted[:top]
	}
	for _, t := range r.Triggers {
		if t.Fire {
			s.Triggers = append(s.Triggers, t.Rule)
		}
	}
	return s
}
