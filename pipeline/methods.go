package pipeline

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/driftwatch/driftwatch/stats"
)

// Direction says how a method's number is judged; it is never implicit.
type Direction uint8

const (
	// DistanceAbove: drift when the statistic is >= the threshold (psi, wasserstein, …).
	DistanceAbove Direction = iota
	// PValueBelow: drift when the p-value is < the threshold (ks, chi2, …).
	PValueBelow
)

// Applicability of a method to a column.
type Applies uint8

const (
	// AppliesNumeric: valued columns (numeric, boolean, datetime).
	AppliesNumeric Applies = 1 << iota
	// AppliesCategorical: categorical columns.
	AppliesCategorical
	// AppliesFewValues: valued columns with at most MaxPerValue distinct values in
	// reference ∪ current (counted per value, as categories).
	AppliesFewValues
	// AppliesTwoValues: columns with at most two distinct values in reference ∪ current.
	AppliesTwoValues
)

// MaxPerValue is the largest number of distinct values in reference ∪ current for which
// a numeric column counts as "numeric with few values" (chi2, chi2_gof).
const MaxPerValue = 20

// Method is one drift method: data, not a class hierarchy. The docs table is rendered
// from Methods.
type Method struct {
	Name       string
	Applies    Applies
	Direction  Direction
	Threshold  float64 // default
	Definition string  // one line; DESIGN.md has the exact definition
	compute    func(c *ColumnData, b stats.Binning) result
}

type result struct {
	stat, p float64
	binning string
	bins    int
}

// Methods lists every method, in DESIGN.md's order. Names are API.
var Methods = []Method{
	{Name: "ks", Applies: AppliesNumeric, Direction: PValueBelow, Threshold: 0.05,
		Definition: "two-sample Kolmogorov–Smirnov, two-sided; exact p when max(n1,n2) <= 10000, else asymptotic",
		compute: func(c *ColumnData, _ stats.Binning) result {
			d, p := stats.KS(c.Ref, c.Cur, stats.KSAuto)
			return result{stat: d, p: p}
		}},
	{Name: "wasserstein", Applies: AppliesNumeric, Direction: DistanceAbove, Threshold: 0.1,
		Definition: "W1 distance / max(std_ref (ddof 0), 0.001)",
		compute: func(c *ColumnData, _ stats.Binning) result {
			_, sd := stats.MeanStd(c.Ref)
			return result{stat: stats.Wasserstein(c.Ref, c.Cur) / math.Max(sd, 0.001), p: math.NaN()}
		}},
	{Name: "psi", Applies: AppliesNumeric | AppliesCategorical, Direction: DistanceAbove, Threshold: 0.1,
		Definition: "population stability index over reference deciles (or per value / category), empty bins filled",
		compute:    binned(stats.PSI)},
	{Name: "jensen_shannon", Applies: AppliesNumeric | AppliesCategorical, Direction: DistanceAbove, Threshold: 0.1,
		Definition: "Jensen–Shannon distance (natural log) on psi's bins, no fill",
		compute:    binned(stats.JensenShannon)},
	{Name: "kl", Applies: AppliesNumeric | AppliesCategorical, Direction: DistanceAbove, Threshold: 0.1,
		Definition: "KL(ref || cur), natural log, on psi's bins and fill",
		compute:    binned(stats.KL)},
	{Name: "hellinger", Applies: AppliesNumeric | AppliesCategorical, Direction: DistanceAbove, Threshold: 0.1,
		Definition: "Hellinger distance sqrt(1 - sum sqrt(p q)) on psi's bins",
		compute:    binned(stats.Hellinger)},
	{Name: "chi2", Applies: AppliesCategorical | AppliesFewValues, Direction: PValueBelow, Threshold: 0.05,
		Definition: "chi-square test of homogeneity on the 2×k table of counts (no continuity correction)",
		compute: func(c *ColumnData, _ stats.Binning) result {
			r, cu := c.counts()
			s, p, _ := stats.Chi2Contingency(r, cu)
			return result{stat: s, p: p, binning: c.countsMode(), bins: len(r)}
		}},
	{Name: "chi2_gof", Applies: AppliesCategorical | AppliesFewValues, Direction: PValueBelow, Threshold: 0.05,
		Definition: "chi-square goodness of fit of current counts against reference shares (Evidently's chi-square)",
		compute: func(c *ColumnData, _ stats.Binning) result {
			r, cu := c.counts()
			s, p := stats.Chi2GOF(r, cu)
			return result{stat: s, p: p, binning: c.countsMode(), bins: len(r)}
		}},
	{Name: "z", Applies: AppliesTwoValues, Direction: PValueBelow, Threshold: 0.05,
		Definition: "pooled two-proportion z-test, two-sided (boolean or two-valued columns)",
		compute: func(c *ColumnData, _ stats.Binning) result {
			r, cu := c.counts()
			var x1, x2 float64
			if len(r) == 2 {
				x1, x2 = r[1], cu[1]
			}
			n1, n2 := sum(r), sum(cu)
			z, p := stats.ZTest(n1, x1, n2, x2)
			return result{stat: z, p: p, binning: c.countsMode(), bins: len(r)}
		}},
	{Name: "anderson", Applies: AppliesNumeric, Direction: PValueBelow, Threshold: 0.05,
		Definition: "k-sample Anderson–Darling (midrank); p as scipy.stats.anderson_ksamp, capped to [0.001, 0.25]",
		compute: func(c *ColumnData, _ stats.Binning) result {
			s, p := stats.AndersonDarling(c.Ref, c.Cur)
			return result{stat: s, p: p}
		}},
	{Name: "cramer_von_mises", Applies: AppliesNumeric, Direction: PValueBelow, Threshold: 0.05,
		Definition: "two-sample Cramér–von Mises; p as scipy.stats.cramervonmises_2samp",
		compute: func(c *ColumnData, _ stats.Binning) result {
			s, p := stats.CramerVonMises(c.Ref, c.Cur)
			return result{stat: s, p: p}
		}},
	{Name: "energy", Applies: AppliesNumeric, Direction: DistanceAbove, Threshold: 0.1,
		Definition: "energy distance (scipy.stats.energy_distance)",
		compute: func(c *ColumnData, _ stats.Binning) result {
			return result{stat: stats.Energy(c.Ref, c.Cur), p: math.NaN()}
		}},
}

func binned(f func(r, c []float64) float64) func(c *ColumnData, b stats.Binning) result {
	return func(c *ColumnData, b stats.Binning) result {
		if !c.Kind.Valued() {
			return result{stat: f(c.RefCounts, c.CurCounts), p: math.NaN(), binning: "per_category", bins: len(c.RefCounts)}
		}
		bins := c.bins(b)
		return result{stat: f(bins.Ref, bins.Cur), p: math.NaN(), binning: bins.Mode, bins: len(bins.Ref)}
	}
}

func sum(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v
	}
	return s
}

// LookupMethod returns the method called name.
func LookupMethod(name string) (*Method, bool) {
	for i := range Methods {
		if Methods[i].Name == name {
			return &Methods[i], true
		}
	}
	return nil, false
}

// MethodNames lists the valid method names in table order.
func MethodNames() []string {
	out := make([]string, len(Methods))
	for i, m := range Methods {
		out[i] = m.Name
	}
	return out
}

// ParseMethods checks a list of method names; an unknown name is an error listing the valid ones.
func ParseMethods(names []string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, n := range names {
		n = strings.TrimSpace(n)
		if n == "" || seen[n] {
			continue
		}
		if _, ok := LookupMethod(n); !ok {
			return nil, fmt.Errorf("unknown method %q (valid: %s)", n, strings.Join(MethodNames(), ", "))
		}
		seen[n] = true
		out = append(out, n)
	}
	return out, nil
}

// AppliesTo reports whether m can run on c, and if not, why.
func (m *Method) AppliesTo(c *ColumnData) (bool, string) {
	valued := c.Kind.Valued()
	switch {
	case m.Applies&AppliesTwoValues != 0:
		if c.UnionDistinct() <= 2 {
			return true, ""
		}
		return false, fmt.Sprintf("%s needs at most 2 distinct values, the column has %s", m.Name, c.distinctText())
	case valued && m.Applies&AppliesNumeric != 0:
		return true, ""
	case !valued && m.Applies&AppliesCategorical != 0:
		return true, ""
	case valued && m.Applies&AppliesFewValues != 0:
		if c.UnionDistinct() <= MaxPerValue {
			return true, ""
		}
		return false, fmt.Sprintf("%s needs at most %d distinct values, the column has %s", m.Name, MaxPerValue, c.distinctText())
	}
	return false, fmt.Sprintf("%s does not apply to %s columns", m.Name, c.Kind)
}

// Run computes m on c with threshold th. It never panics on data.
func (m *Method) Run(c *ColumnData, b stats.Binning, th float64) TestResult {
	var r result
	if f := c.approxMethod(m.Name); f != nil { // a side is a sketch profile (profile_run.go)
		r = f(c, b)
	} else {
		r = m.compute(c, b)
	}
	t := TestResult{Method: m.Name, Statistic: Num(r.stat), PValue: Num(r.p), Threshold: Num(th), Binning: r.binning, Bins: r.bins}
	t.Drifted = m.Judge(r.stat, r.p, th, false)
	v := r.stat
	if m.Direction == PValueBelow {
		v = r.p
	}
	if math.IsNaN(v) {
		t.Error = "undefined for this data"
	}
	return t
}

// Judge applies the method's direction: PValueBelow drifts when p < th (p <= th when
// inclusive, as Evidently's ks), DistanceAbove when stat >= th. NaN never drifts.
func (m *Method) Judge(stat, p, th float64, inclusive bool) bool {
	if m.Direction == PValueBelow {
		if inclusive {
			return p <= th
		}
		return p < th
	}
	return stat >= th
}

// ColumnData is one column of both datasets, prepared for the methods: valued columns
// as sorted finite samples, categorical columns as counts over the sorted union of
// their labels.
type ColumnData struct {
	Name string
	Kind Kind
	Role Role

	Ref, Cur []float64 // sorted, finite (valued kinds)

	Labels               []string  // sorted union of categories (categorical)
	RefCounts, CurCounts []float64 // per label (categorical)

	RefRows, CurRows       int64 // rows including missing
	RefMissing, CurMissing int64

	unionDistinct int
	binsCache     [2]*stats.Bins
	perValue      *stats.Bins
	approx        *approxData // set when a side is a sketch profile (profile_run.go)
}

// RefCount and CurCount are the non-missing counts.
func (c *ColumnData) RefCount() int64 { return c.RefRows - c.RefMissing }
func (c *ColumnData) CurCount() int64 { return c.CurRows - c.CurMissing }

// UnionDistinct is the number of distinct values (categories seen) in reference ∪
// current. For valued columns the count stops above MaxPerValue (it returns
// MaxPerValue+1 then): every rule only compares it with MaxPerValue or less.
func (c *ColumnData) UnionDistinct() int {
	if c.unionDistinct == 0 {
		if c.approx != nil && c.Kind.Valued() {
			c.unionDistinct = c.approx.unionDistinct()
		} else if c.Kind.Valued() {
			c.unionDistinct = stats.UnionDistinctSortedAtMost(c.Ref, c.Cur, MaxPerValue)
		} else {
			for i := range c.Labels {
				if c.RefCounts[i] > 0 || c.CurCounts[i] > 0 {
					c.unionDistinct++
				}
			}
		}
	}
	return c.unionDistinct
}

func (c *ColumnData) distinctText() string {
	if n := c.UnionDistinct(); !c.Kind.Valued() || n <= MaxPerValue {
		return fmt.Sprint(n)
	}
	return fmt.Sprintf("more than %d", MaxPerValue)
}

func (c *ColumnData) bins(b stats.Binning) *stats.Bins {
	if c.binsCache[b] == nil {
		var bb stats.Bins
		if c.approx != nil {
			bb = c.approx.bins(b)
		} else {
			bb = stats.NumericBins(c.Ref, c.Cur, b)
		}
		c.binsCache[b] = &bb
	}
	return c.binsCache[b]
}

// counts returns per-value (valued kinds) or per-category counts.
func (c *ColumnData) counts() (ref, cur []float64) {
	if !c.Kind.Valued() {
		return c.RefCounts, c.CurCounts
	}
	if c.perValue == nil {
		b := stats.PerValueBins(c.Ref, c.Cur)
		if c.approx != nil {
			b.Ref, b.Cur, b.Keys = c.approx.perValue()
		}
		c.perValue = &b
	}
	return c.perValue.Ref, c.perValue.Cur
}

func (c *ColumnData) countsMode() string {
	if c.Kind.Valued() {
		return "per_value"
	}
	return "per_category"
}

// sortedLabels returns the indexes of labels in sorted order.
func sortedLabels(labels []string) []int {
	idx := make([]int, len(labels))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return labels[idx[a]] < labels[idx[b]] })
	return idx
}
