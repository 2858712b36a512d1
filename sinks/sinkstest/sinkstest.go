// Package sinkstest is the conformance suite every sink passes (Run), and a local HTTP
// receiver with fault injection (Receiver) for the sinks that deliver over HTTP.
package sinkstest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/driftwatch/driftwatch/pipeline"
)

// Snapshot is what a sink's receiver holds, one entry per distinct output: a file by
// path, a row by key, a request body by idempotency key. Two equal snapshots mean the
// receiver saw the same outputs.
type Snapshot map[string]string

// Harness builds one sink under test against fresh local receivers.
type Harness struct {
	// New returns the sink and a function reading back its receiver.
	New func(t *testing.T) (pipeline.Sink, func(t *testing.T) Snapshot)
	// Fail, when set, makes the receiver fail every write from now on (a server that
	// answers 500, a folder that cannot be written): Write must fail and leave nothing.
	Fail func(t *testing.T)
	// Hang, when set, makes the receiver hang: Write must return by its context's deadline.
	Hang func(t *testing.T)
}

// Report returns the report the suite writes: two drifted columns of three, a distance
// method (p-value null), a finding and a fired trigger, at logical time at.
func Report(job string, at time.Time) *pipeline.Report {
	lt := at.UTC()
	num := func(f float64) pipeline.Num { return pipeline.Num(f) }
	r := &pipeline.Report{
		SchemaVersion: pipeline.SchemaVersion, Job: job, RunID: job + "-" + lt.Format("20060102T150405Z"), LogicalTime: &lt,
		Preset:       "evidently",
		Reference:    pipeline.DatasetInfo{Rows: 1000, Source: "parquet ref"},
		Current:      pipeline.DatasetInfo{Rows: 500, Source: "parquet cur"},
		DatasetDrift: pipeline.DatasetDrift{Drifted: true, Share: num(2.0 / 3), Threshold: 0.5, DriftedColumns: 2, Columns: 3},
		Columns: []pipeline.ColumnReport{
			{Name: "income", Kind: pipeline.KindNumeric, Role: pipeline.RoleFeature, Drifted: true, Method: "ks", Status: pipeline.StatusOK,
				Tests: []pipeline.TestResult{{Method: "ks", Statistic: 0.31, PValue: 1e-9, Threshold: 0.05, Drifted: true},
					{Method: "psi", Statistic: 0.42, PValue: num(math.NaN()), Threshold: 0.1, Drifted: true}},
				Reference: pipeline.ColumnSummary{Count: 1000, MissingShare: 0}, Current: pipeline.ColumnSummary{Count: 490, Missing: 10, MissingShare: 0.02}},
			{Name: `channel "web"`, Kind: pipeline.KindCategorical, Role: pipeline.RoleFeature, Drifted: true, Method: "jensen_shannon", Status: pipeline.StatusOK,
				Tests:     []pipeline.TestResult{{Method: "jensen_shannon", Statistic: 0.2, PValue: num(math.NaN()), Threshold: 0.1, Drifted: true}},
				Reference: pipeline.ColumnSummary{Count: 1000}, Current: pipeline.ColumnSummary{Count: 500}},
			{Name: "age", Kind: pipeline.KindNumeric, Role: pipeline.RoleFeature, Method: "ks", Status: pipeline.StatusOK,
				Tests:     []pipeline.TestResult{{Method: "ks", Statistic: 0.02, PValue: 0.9, Threshold: 0.05}},
				Reference: pipeline.ColumnSummary{Count: 1000}, Current: pipeline.ColumnSummary{Count: 500}},
		},
		Quality: []pipeline.Finding{{Type: "missing_share_increase", Column: "income", Severity: pipeline.SeverityWarning, Message: "missing share rose"}},
	}
	r.Triggers = []pipeline.Decision{{Rule: "dataset_drift", Kind: pipeline.RuleDatasetDrift, Severity: pipeline.TriggerWarning, Met: true, Fire: true,
		Reason: pipeline.ReasonFirstTrigger, Message: "2 of 3 feature columns drifted", TriggerID: pipeline.TriggerID(job, "dataset_drift", at), Job: job, LogicalTime: &lt}}
	return r
}

// t0 is the suite's logical time.
var t0 = time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)

// Run runs the conformance suite against the sink that h builds: a write lands; a
// second write of the same run id changes nothing (idempotent); a canceled context
// writes nothing and returns the context's error; a failing receiver gets no partial
// output; a hanging one does not outlive the deadline; Close is idempotent. Sinks that
// also deliver triggers (pipeline.TriggerSink) pass the same for Trigger.
func Run(t *testing.T, h Harness) {
	r := Report("churn", t0)
	t.Run("write", func(t *testing.T) {
		s, snap := h.New(t)
		defer s.Close()
		if err := s.Write(t.Context(), r); err != nil {
			t.Fatalf("Write() = %v", err)
		}
		if got := snap(t); len(got) == 0 {
			t.Fatalf("after Write the receiver holds nothing")
		}
	})
	t.Run("idempotent_per_run_id", func(t *testing.T) {
		s, snap := h.New(t)
		defer s.Close()
		if err := s.Write(t.Context(), r); err != nil {
			t.Fatalf("Write() = %v", err)
		}
		first := snap(t)
		if err := s.Write(t.Context(), Report("churn", t0)); err != nil {
			t.Fatalf("second Write() = %v", err)
		}
		if second := snap(t); !maps.Equal(first, second) {
			t.Errorf("a second Write of run %s changed the receiver:\n%s", r.RunID, diff(first, second))
		}
	})
	t.Run("honours_cancellation", func(t *testing.T) {
		s, snap := h.New(t)
		defer s.Close()
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		err := s.Write(ctx, r)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Write(canceled ctx) = %v, want an error wrapping context.Canceled", err)
		}
		if got := snap(t); len(got) != 0 {
			t.Errorf("Write(canceled ctx) left output: %v", keys(got))
		}
	})
	if h.Fail != nil {
		t.Run("no_partial_output", func(t *testing.T) {
			s, snap := h.New(t)
			defer s.Close()
			h.Fail(t)
			before := snap(t) // what the failure itself put there (a file where a folder was)
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			if err := s.Write(ctx, r); err == nil {
				t.Fatal("Write() to a failing receiver = nil, want an error")
			}
			if got := snap(t); !maps.Equal(before, got) {
				t.Errorf("a failed Write left output:\n%s", diff(before, got))
			}
		})
	}
	if h.Hang != nil {
		t.Run("deadline", func(t *testing.T) {
			s, _ := h.New(t)
			defer s.Close()
			h.Hang(t)
			ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
			defer cancel()
			start := time.Now()
			err := s.Write(ctx, r)
			if err == nil {
				t.Fatal("Write() to a hanging receiver = nil, want an error")
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("Write() to a hanging receiver returned after %v, want about the 300ms deadline", d)
			}
		})
	}
	t.Run("close_idempotent", func(t *testing.T) {
		s, _ := h.New(t)
		if err := s.Close(); err != nil {
			t.Errorf("Close() = %v", err)
		}
		if err := s.Close(); err != nil {
			t.Errorf("second Close() = %v", err)
		}
	})
	probe, _ := h.New(t)
	_, triggers := probe.(pipeline.TriggerSink)
	probe.Close()
	if !triggers {
		return
	}
	tr := pipeline.NewTrigger(r.Triggers[0], r)
	t.Run("trigger_idempotent_per_id", func(t *testing.T) {
		s, snap := h.New(t)
		defer s.Close()
		ts := s.(pipeline.TriggerSink)
		if err := ts.Trigger(t.Context(), &tr); err != nil {
			t.Fatalf("Trigger() = %v", err)
		}
		first := snap(t)
		if len(first) == 0 {
			t.Fatal("after Trigger the receiver holds nothing")
		}
		again := tr
		if err := ts.Trigger(t.Context(), &again); err != nil {
			t.Fatalf("second Trigger() = %v", err)
		}
		if second := snap(t); !maps.Equal(first, second) {
			t.Errorf("a second Trigger of %s changed the receiver:\n%s", tr.ID, diff(first, second))
		}
	})
	t.Run("trigger_honours_cancellation", func(t *testing.T) {
		s, snap := h.New(t)
		defer s.Close()
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if err := s.(pipeline.TriggerSink).Trigger(ctx, &tr); !errors.Is(err, context.Canceled) {
			t.Errorf("Trigger(canceled ctx) = %v, want an error wrapping context.Canceled", err)
		}
		if got := snap(t); len(got) != 0 {
			t.Errorf("Trigger(canceled ctx) left output: %v", keys(got))
		}
	})
}

func keys(m Snapshot) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func diff(a, b Snapshot) string {
	var out []string
	for _, k := range keys(a) {
		if v, ok := b[k]; !ok {
			out = append(out, "- "+k)
		} else if v != a[k] {
			out = append(out, fmt.Sprintf("~ %s\n  before: %.300s\n  after:  %.300s", k, a[k], v))
		}
	}
	for _, k := range keys(b) {
		if _, ok := a[k]; !ok {
			out = append(out, "+ "+k)
		}
	}
	return strings.Join(out, "\n")
}
