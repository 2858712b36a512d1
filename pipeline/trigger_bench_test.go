package pipeline

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkPolicy_Decide: 10 rules over a report of 200 columns and a trigger log of
// 100 runs per rule (what a daily job with hysteresis n = 100 reads).
func BenchmarkPolicy_Decide(b *testing.B) {
	var cols []ColumnReport
	for i := range 200 {
		cols = append(cols, col(fmt.Sprintf("c%03d", i), RoleFeature, i%3 == 0))
	}
	r := triggerReport(false, cols...)
	r.Quality = []Finding{{Type: "unseen_categories", Severity: SeverityWarning}}
	p := Policy{Job: "churn"}
	var prev []LogEntry
	for k := range 10 {
		rule := Rule{Name: fmt.Sprintf("r%d", k), Kind: RuleColumnDrift, Share: 0.3, Hysteresis: &Hysteresis{K: 3, N: 100}, Cooldown: 72 * time.Hour}
		p.Rules = append(p.Rules, rule)
		for d := 1; d <= 100; d++ {
			prev = append(prev, LogEntry{Job: "churn", Rule: rule.Name, LogicalTime: day(-d), Met: d%2 == 0, Fired: d%10 == 0})
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		p.Decide(prev, r, tAt)
	}
}
