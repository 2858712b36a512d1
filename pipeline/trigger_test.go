package pipeline

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

var tAt = time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)

func day(n int) time.Time { return tAt.Add(time.Duration(n) * 24 * time.Hour) }

// triggerReport is a report with the given dataset verdict and columns.
func triggerReport(drifted bool, cols ...ColumnReport) *Report {
	r := &Report{Job: "churn", Columns: cols, Quality: []Finding{}}
	n, k := 0, 0
	for _, c := range cols {
		if c.Role == RoleFeature {
			n++
			if c.Drifted {
				k++
			}
		}
	}
	r.DatasetDrift = DatasetDrift{Drifted: drifted, DriftedColumns: k, Columns: n, Share: Num(float64(k) / float64(max(n, 1))), Threshold: 0.5}
	return r
}

func col(name string, role Role, drifted bool) ColumnReport {
	return ColumnReport{Name: name, Role: role, Drifted: drifted, Method: "ks", Status: StatusOK}
}

func TestRule_Condition(t *testing.T) {
	base := triggerReport(true, col("income", RoleFeature, true), col("age", RoleFeature, false),
		col("tenure", RoleFeature, true), col("churned", RoleTarget, false), col("prediction", RolePrediction, true))
	base.Model = map[string]any{"age_days": 45.5}
	base.Performance = map[string]any{"metrics": []any{
		map[string]any{"name": "f1", "reference": 0.80, "current": 0.70},
		map[string]any{"name": "rmse", "reference": 2.0, "current": 2.1},
	}}
	base.Quality = []Finding{{Type: "missing_share_increase", Column: "income", Severity: SeverityWarning},
		{Type: "schema_changed", Severity: SeverityError}}
	cases := []struct {
		name string
		rule Rule
		want bool
		msg  string // a substring of the message
	}{
		{"dataset drift", Rule{Kind: RuleDatasetDrift}, true, "2 of 3 feature columns drifted"},
		{"named column drifted", Rule{Kind: RuleColumnDrift, Columns: []string{"age", "income"}}, true, "1 of 2 named columns drifted: income"},
		{"named column stable", Rule{Kind: RuleColumnDrift, Columns: []string{"age"}}, false, "0 of 1"},
		{"named column absent", Rule{Kind: RuleColumnDrift, Columns: []string{"zip"}}, false, "not in the report: zip"},
		// 2 of 3 features = 0.667 >= 0.6
		{"share of features", Rule{Kind: RuleColumnDrift, Share: 0.6}, true, "2 of 3 columns drifted"},
		{"share of features below", Rule{Kind: RuleColumnDrift, Share: 0.7}, false, "share 0.6667"},
		{"share of named", Rule{Kind: RuleColumnDrift, Columns: []string{"income", "tenure", "age", "prediction"}, Share: 0.75}, true, "3 of 4"},
		{"target", Rule{Kind: RuleTargetDrift}, false, "target did not drift: churned"},
		{"prediction", Rule{Kind: RulePredictionDrift}, true, "prediction drifted: prediction"},
		// f1 0.80 -> 0.70: worse by 0.1
		{"f1 drop beyond 0.05", Rule{Kind: RuleQualityDrop, Metric: "f1", Tolerance: 0.05}, true, "worse by 0.1"},
		{"f1 drop within 0.15", Rule{Kind: RuleQualityDrop, Metric: "f1", Tolerance: 0.15}, false, ""},
		// relative: 0.1 > 0.1*0.8 = 0.08
		{"f1 relative 10%", Rule{Kind: RuleQualityDrop, Metric: "f1", Tolerance: 0.1, Relative: true}, true, "tolerance 0.08"},
		// rmse is lower-is-better: 2.0 -> 2.1, worse by 0.1
		{"rmse rise", Rule{Kind: RuleQualityDrop, Metric: "rmse", Tolerance: 0.05}, true, "worse by 0.1"},
		{"metric absent", Rule{Kind: RuleQualityDrop, Metric: "roc_auc"}, false, "no roc_auc"},
		{"model age over", Rule{Kind: RuleModelAge, MaxAge: 30 * 24 * time.Hour}, true, "45.5 days, limit 30 days"},
		{"model age under", Rule{Kind: RuleModelAge, MaxAge: 60 * 24 * time.Hour}, false, ""},
		{"error findings", Rule{Kind: RuleFindings}, true, "1 findings of severity error"},
		{"warning findings x2", Rule{Kind: RuleFindings, FindingSeverity: SeverityWarning, MinFindings: 2}, true, "missing_share_increase (income), schema_changed"},
		{"typed findings", Rule{Kind: RuleFindings, FindingSeverity: SeverityInfo, FindingTypes: []string{"unseen_categories"}}, false, "0 findings"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := c.rule.Validate(); err != nil {
				t.Fatalf("Validate() = %v", err)
			}
			got, msg := c.rule.condition(base)
			if got != c.want || !strings.Contains(msg, c.msg) {
				t.Errorf("condition() = %v, %q, want %v, containing %q", got, msg, c.want, c.msg)
			}
		})
	}
}

func TestLookupMetric_Shapes(t *testing.T) {
	shapes := []any{
		map[string]any{"f1": map[string]any{"reference": 0.9, "current": 0.8}},
		map[string]any{"reference": map[string]any{"f1": 0.9}, "current": map[string]any{"f1": 0.8}},
		map[string]any{"classification": map[string]any{"metrics": []any{map[string]any{"metric": "f1", "reference": 0.9, "current": 0.8}}}},
		struct {
			F1 struct {
				Reference float64 `json:"reference"`
				Current   float64 `json:"current"`
			} `json:"f1"`
		}{F1: struct {
			Reference float64 `json:"reference"`
			Current   float64 `json:"current"`
		}{0.9, 0.8}},
	}
	for i, s := range shapes {
		ref, cur, ok := lookupMetric(s, "f1")
		if !ok || ref != 0.9 || cur != 0.8 {
			t.Errorf("shape %d: lookupMetric = %v, %v, %v, want 0.9, 0.8, true", i, ref, cur, ok)
		}
	}
	// The run's own performance section (performance.go).
	perf := &Performance{Reference: map[string]Num{"roc_auc": 0.91}, Current: map[string]Num{"roc_auc": 0.84},
		Metrics: []MetricCheck{{Name: "roc_auc", Reference: 0.91, Current: 0.84}}}
	r := Rule{Kind: RuleQualityDrop, Metric: "roc_auc", Tolerance: 0.05}
	if met, msg := r.condition(&Report{Performance: perf}); !met || !strings.Contains(msg, "roc_auc 0.91 on the reference, 0.84 on the current data") {
		t.Errorf("quality_drop on a Performance section = %v, %q", met, msg)
	}
	age := Rule{Kind: RuleModelAge, MaxAge: 30 * 24 * time.Hour}
	if met, msg := age.condition(&Report{Model: &ModelInfo{AgeDays: 45}}); !met || !strings.Contains(msg, "model age 45 days") {
		t.Errorf("model_age on a ModelInfo section = %v, %q", met, msg)
	}
	if _, _, ok := lookupMetric(nil, "f1"); ok {
		t.Error("lookupMetric(nil) found a metric")
	}
}

func entry(rule string, d int, met, fired bool) LogEntry {
	return LogEntry{Job: "churn", Rule: rule, LogicalTime: day(d), Met: met, Fired: fired}
}

func TestPolicy_Decide(t *testing.T) {
	drift := triggerReport(true, col("a", RoleFeature, true))
	calm := triggerReport(false, col("a", RoleFeature, false))
	untrusted := triggerReport(true, col("a", RoleFeature, true))
	untrusted.Quality = []Finding{{Type: "empty_dataset", Severity: SeverityError, Message: "no rows"}}
	warned := triggerReport(true, col("a", RoleFeature, true))
	warned.Quality = []Finding{{Type: "unseen_categories", Severity: SeverityWarning}}
	cases := []struct {
		name    string
		rule    Rule
		inhibit string
		prev    []LogEntry
		rep     *Report
		reason  string
		fire    bool
	}{
		{"first trigger", Rule{Kind: RuleDatasetDrift}, "", nil, drift, ReasonFirstTrigger, true},
		{"not met", Rule{Kind: RuleDatasetDrift}, "", nil, calm, ReasonNotMet, false},
		{"episode already fired", Rule{Kind: RuleDatasetDrift}, "",
			[]LogEntry{entry("dataset_drift", -2, true, true), entry("dataset_drift", -1, true, false)}, drift, ReasonAlreadyFiring, false},
		{"new episode after clearing", Rule{Kind: RuleDatasetDrift}, "",
			[]LogEntry{entry("dataset_drift", -3, true, true), entry("dataset_drift", -2, false, false), entry("dataset_drift", -1, true, false)}, drift, ReasonFirstTrigger, true},
		{"cooldown active", Rule{Kind: RuleDatasetDrift, Cooldown: 72 * time.Hour}, "",
			[]LogEntry{entry("dataset_drift", -2, true, true), entry("dataset_drift", -1, false, false)}, drift, ReasonCooldownActive, false},
		{"cooldown over", Rule{Kind: RuleDatasetDrift, Cooldown: 72 * time.Hour}, "",
			[]LogEntry{entry("dataset_drift", -3, true, true), entry("dataset_drift", -1, true, false)}, drift, ReasonFirstTrigger, true},
		{"cooldown keyed by rule", Rule{Kind: RuleDatasetDrift, Cooldown: 72 * time.Hour}, "",
			[]LogEntry{entry("other", -1, true, true)}, drift, ReasonFirstTrigger, true},
		{"cooldown keyed by job", Rule{Kind: RuleDatasetDrift, Cooldown: 72 * time.Hour}, "",
			[]LogEntry{{Job: "other", Rule: "dataset_drift", LogicalTime: day(-1), Met: true, Fired: true}}, drift, ReasonFirstTrigger, true},
		{"suppressed earlier trigger does not count", Rule{Kind: RuleDatasetDrift, Cooldown: 72 * time.Hour}, "",
			[]LogEntry{entry("dataset_drift", -1, true, false)}, drift, ReasonFirstTrigger, true},
		{"entries at or after the logical time are ignored", Rule{Kind: RuleDatasetDrift, Cooldown: 72 * time.Hour}, "",
			[]LogEntry{entry("dataset_drift", 0, true, true), entry("dataset_drift", 1, true, true)}, drift, ReasonFirstTrigger, true},
		{"inhibited by an error finding", Rule{Kind: RuleDatasetDrift}, "", nil, untrusted, ReasonInhibited, false},
		{"warning does not inhibit by default", Rule{Kind: RuleDatasetDrift}, "", nil, warned, ReasonFirstTrigger, true},
		{"warning inhibits with inhibit: warning", Rule{Kind: RuleDatasetDrift}, SeverityWarning, nil, warned, ReasonInhibited, false},
		{"inhibit none", Rule{Kind: RuleDatasetDrift}, InhibitNone, nil, untrusted, ReasonFirstTrigger, true},
		{"findings rule is not inhibited", Rule{Kind: RuleFindings}, "", nil, untrusted, ReasonFirstTrigger, true},
		{"snoozed", Rule{Kind: RuleDatasetDrift, SnoozeUntil: day(1)}, "", nil, drift, ReasonSnoozed, false},
		{"snooze over", Rule{Kind: RuleDatasetDrift, SnoozeUntil: day(0)}, "", nil, drift, ReasonFirstTrigger, true},
		{"hysteresis below quorum", Rule{Kind: RuleDatasetDrift, Hysteresis: &Hysteresis{K: 2, N: 3}}, "",
			[]LogEntry{entry("dataset_drift", -2, false, false), entry("dataset_drift", -1, false, false)}, drift, ReasonBelowQuorum, false},
		{"hysteresis 2 of 3", Rule{Kind: RuleDatasetDrift, Hysteresis: &Hysteresis{K: 2, N: 3}}, "",
			[]LogEntry{entry("dataset_drift", -2, true, false), entry("dataset_drift", -1, false, false)}, drift, ReasonFirstTrigger, true},
		{"hysteresis window is n runs", Rule{Kind: RuleDatasetDrift, Hysteresis: &Hysteresis{K: 2, N: 3}}, "",
			[]LogEntry{entry("dataset_drift", -3, true, false), entry("dataset_drift", -2, false, false), entry("dataset_drift", -1, false, false)}, drift, ReasonBelowQuorum, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := Policy{Job: "churn", Rules: []Rule{c.rule}, Inhibit: c.inhibit}
			if err := p.Validate(); err != nil {
				t.Fatalf("Validate() = %v", err)
			}
			ds := p.Decide(c.prev, c.rep, tAt)
			if len(ds) != 1 {
				t.Fatalf("Decide returned %d decisions, want 1", len(ds))
			}
			d := ds[0]
			if d.Reason != c.reason || d.Fire != c.fire {
				t.Errorf("Decide = %s (fire %v): %s, want %s (fire %v)", d.Reason, d.Fire, d.Message, c.reason, c.fire)
			}
			if want := "churn:" + c.rule.ID() + ":20261127T000000Z"; d.TriggerID != want {
				t.Errorf("TriggerID = %q, want %q", d.TriggerID, want)
			}
		})
	}
}

// TestPolicy_DecideSequence runs a policy over a sequence of days, feeding each
// decision back as the log.
func TestPolicy_DecideSequence(t *testing.T) {
	drift := triggerReport(true, col("a", RoleFeature, true))
	calm := triggerReport(false, col("a", RoleFeature, false))
	days := []*Report{calm, drift, drift, drift, drift, drift, calm, drift, calm, calm, drift, drift}
	cases := []struct {
		name string
		rule Rule
		want []int // days that fire
	}{
		{"dedup per episode", Rule{Kind: RuleDatasetDrift}, []int{1, 7, 10}},
		{"cooldown 72h", Rule{Kind: RuleDatasetDrift, Cooldown: 72 * time.Hour}, []int{1, 4, 7, 10}},
		// one calm day (6) keeps 2 of 3: the episode goes on; two (8, 9) end it
		{"hysteresis 2 of 3", Rule{Kind: RuleDatasetDrift, Hysteresis: &Hysteresis{K: 2, N: 3}}, []int{2, 11}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := Policy{Job: "churn", Rules: []Rule{c.rule}}
			var log []LogEntry
			var fired []int
			for i, r := range days {
				d := p.Decide(log, r, day(i))[0]
				if d.Fire {
					fired = append(fired, i)
				}
				log = append(log, LogEntry{Job: "churn", Rule: d.Rule, LogicalTime: day(i), Met: d.Met, Fired: d.Fire})
			}
			if !equalInts(fired, c.want) {
				t.Errorf("fired on days %v, want %v", fired, c.want)
			}
		})
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestPolicy_Validate(t *testing.T) {
	cases := []struct {
		rules []Rule
		want  string
	}{
		{[]Rule{{Kind: "drift"}}, `when: "drift" is not a rule`},
		{[]Rule{{Kind: RuleColumnDrift}}, "columns or share: required"},
		{[]Rule{{Kind: RuleDatasetDrift, Columns: []string{"a"}}}, "columns: only for column_drift"},
		{[]Rule{{Kind: RuleQualityDrop, Metric: "wobble"}}, `metric: "wobble" is not known`},
		{[]Rule{{Kind: RuleModelAge}}, "max_age: required"},
		{[]Rule{{Kind: RuleDatasetDrift, Hysteresis: &Hysteresis{K: 3, N: 2}}}, "hysteresis: want 1 <= k <= n"},
		{[]Rule{{Kind: RuleDatasetDrift}, {Kind: RuleDatasetDrift}}, `rules[1].name: "dataset_drift" is used twice`},
		{[]Rule{{Kind: RuleDatasetDrift, Name: "Has Space"}}, "name: \"Has Space\" is not valid"},
		{[]Rule{{Kind: RuleDatasetDrift, Severity: "urgent"}}, "severity"},
	}
	for _, c := range cases {
		p := Policy{Job: "j", Rules: c.rules}
		err := p.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Validate(%+v) = %v, want an error containing %q", c.rules, err, c.want)
		}
	}
}

func TestDecision_JSON(t *testing.T) {
	p := Policy{Job: "churn", Rules: []Rule{{Kind: RuleDatasetDrift, Severity: TriggerCritical, Cooldown: 24 * time.Hour}}}
	ds := p.Decide(nil, triggerReport(true, col("a", RoleFeature, true)), tAt)
	b, err := json.Marshal(ds[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"rule":"dataset_drift"`, `"severity":"critical"`, `"fire":true`, `"reason":"first_trigger"`,
		`"trigger_id":"churn:dataset_drift:20261127T000000Z"`, `"logical_time":"2026-11-27T00:00:00Z"`, `"cooldown_until":"2026-11-28T00:00:00Z"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("JSON %s lacks %s", b, want)
		}
	}
}
