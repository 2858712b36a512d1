package pipeline

import (
	"fmt"
	"sort"
	"strings"

	"github.com/driftwatch/driftwatch/stats"
)

// Verdict is a preset's answer for one column.
type Verdict struct {
	Drifted bool
	Method  string // the deciding method
	Status  string
	Reason  string
	Tests   []TestResult
}

// A Preset decides, per column, which methods run and what the verdict is.
type Preset interface {
	Name() string
	Judge(c *ColumnData, o *Options) Verdict
}

// A RunPreset is a Preset with a run-level step: Run calls Finalize once every
// column is judged (before the dataset verdict), with every column of the report,
// so that a decision can look across columns (false discovery rate control).
type RunPreset interface {
	Preset
	Finalize(cols []*ColumnReport, o *Options)
}

var presets = map[string]Preset{
	"evidently":  evidentlyPreset{},
	"driftwatch": driftwatchPreset{},
}

// DefaultPreset is the preset used when none is named.
const DefaultPreset = "driftwatch"

// LookupPreset returns the preset called name.
func LookupPreset(name string) (Preset, error) {
	if name == "" {
		name = DefaultPreset
	}
	p, ok := presets[name]
	if !ok {
		return nil, fmt.Errorf("unknown preset %q (valid: %s)", name, strings.Join(PresetNames(), ", "))
	}
	return p, nil
}

// PresetNames lists the valid preset names, sorted.
func PresetNames() []string {
	var out []string
	for n := range presets {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// evidentlyPreset reproduces Evidently's default per-column choice (DataDriftPreset):
//
//	reference rows <= 1000: categorical or <= 5 distinct values (ref ∪ cur) -> chi2_gof (> 2 values) or z (2),
//	                        else ks (drift if p <= 0.05);
//	reference rows  > 1000: numeric with > 5 distinct values -> wasserstein (>= 0.1), else jensen_shannon (>= 0.1)
//	                        on per-value / per-category bins.
//
// Missing values are ignored by the verdict, as in Evidently; the run reports them as findings.
type evidentlyPreset struct{}

func (evidentlyPreset) Name() string { return "evidently" }

func (evidentlyPreset) Judge(c *ColumnData, o *Options) Verdict {
	valued := c.Kind.Valued()
	fewValues := c.Kind == KindCategorical || c.Kind == KindBoolean || c.UnionDistinct() <= 5
	var name string
	inclusive := false
	binning := stats.BinningDefault
	switch {
	case c.RefCount() <= 1000 && fewValues && c.UnionDistinct() > 2:
		name = "chi2_gof"
	case c.RefCount() <= 1000 && fewValues:
		name = "z"
	case c.RefCount() <= 1000:
		name, inclusive = "ks", true
	case valued && c.Kind != KindBoolean && c.UnionDistinct() > 5:
		name = "wasserstein"
	default:
		name = "jensen_shannon"
	}
	m, _ := LookupMethod(name)
	th := o.threshold(c.Name, m)
	var t TestResult
	if name == "jensen_shannon" && valued {
		// Evidently bins a few-valued numeric column per value.
		r, cu := c.counts()
		s := stats.JensenShannon(r, cu)
		t = TestResult{Method: name, Statistic: Num(s), PValue: Num(nan), Threshold: Num(th), Binning: "per_value", Bins: len(r)}
		t.Drifted = m.Judge(s, nan, th, false)
	} else {
		t = m.Run(c, binning, th)
		t.Drifted = m.Judge(float64(t.Statistic), float64(t.PValue), th, inclusive)
	}
	return Verdict{Drifted: t.Drifted, Method: name, Status: StatusOK, Reason: reasonFor(m, t, inclusive), Tests: []TestResult{t}}
}

// forcedPreset runs the methods listed by --method (or config) on every column they
// apply to, in the order asked; the first one that applies decides.
type forcedPreset struct{ methods []string }

func (forcedPreset) Name() string { return "methods" }

func (f forcedPreset) Judge(c *ColumnData, o *Options) Verdict {
	v := Verdict{Status: StatusOK}
	var skipped []string
	for _, name := range f.methods {
		m, _ := LookupMethod(name)
		if ok, why := m.AppliesTo(c); !ok {
			skipped = append(skipped, why)
			continue
		}
		t := m.Run(c, o.Binning, o.threshold(c.Name, m))
		if v.Method == "" {
			v.Method, v.Drifted, v.Reason = name, t.Drifted, reasonFor(m, t, false)
		}
		v.Tests = append(v.Tests, t)
	}
	if v.Method == "" {
		v.Reason = "no listed method applies: " + strings.Join(skipped, "; ")
	}
	return v
}

func reasonFor(m *Method, t TestResult, inclusive bool) string {
	if t.Error != "" {
		return m.Name + " " + t.Error
	}
	verb := map[bool]string{true: "drift", false: "no drift"}[t.Drifted]
	if m.Direction == PValueBelow {
		op := "<"
		if inclusive {
			op = "<="
		}
		return fmt.Sprintf("%s: %s p = %.3g (drift if p %s %g)", verb, m.Name, float64(t.PValue), op, float64(t.Threshold))
	}
	return fmt.Sprintf("%s: %s = %.3g (drift if >= %g)", verb, m.Name, float64(t.Statistic), float64(t.Threshold))
}
