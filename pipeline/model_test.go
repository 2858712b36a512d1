package pipeline

import (
	"testing"
	"time"
)

func TestModel_age(t *testing.T) {
	c := newChurn(31, 500, 300)
	o := churnOptions()
	o.Model = ModelOptions{}
	rep := runChurn(t, c, o, false)
	m, ok := rep.Model.(*ModelInfo)
	if !ok {
		t.Fatalf("model = %T", rep.Model)
	}
	// the reference's latest timestamp: t0 + 499 s; the run's logical time t0 + 24h
	want := t0.Add(499 * time.Second)
	if m.Source != "reference_timestamp" || !m.TrainedAt.Equal(want) || !m.AsOf.Equal(o.LogicalTime) {
		t.Errorf("model = %+v", m)
	}
	if age := float64(m.AgeDays); age != o.LogicalTime.Sub(want).Hours()/24 {
		t.Errorf("age_days = %v", age)
	}
	// measured at the logical time, not the wall clock: a backfill of an old day
	o.LogicalTime = t0.Add(-24 * time.Hour)
	o.Model = ModelOptions{TrainedAt: t0.Add(-72 * time.Hour), Source: "mlflow:MLmodel"}
	rep = runChurn(t, c, o, false)
	if m := rep.Model.(*ModelInfo); m.AgeDays != 2 || m.Source != "mlflow:MLmodel" {
		t.Errorf("backfill: %+v", m)
	}
	// trained after the run: a warning
	o.Model.TrainedAt = t0
	rep = runChurn(t, c, o, false)
	if f := findFinding(rep, "model_trained_after_run", ""); f == nil || rep.Model.(*ModelInfo).AgeDays != -1 {
		t.Errorf("finding %+v, model %+v", f, rep.Model)
	}
	// nothing known: no model section
	o = churnOptions()
	o.Model, o.Roles.Timestamp = ModelOptions{}, ""
	if rep := runChurn(t, c, o, false); rep.Model != nil {
		t.Errorf("model = %+v, want none", rep.Model)
	}
}
