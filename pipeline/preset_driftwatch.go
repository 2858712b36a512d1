package pipeline

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"sort"
	"strings"

	"github.com/driftwatch/driftwatch/stats"
)

// The driftwatch preset answers "does this column need attention?" at any sample
// size (docs/preset.md has the reasoning and the benchmark figures). Each column
// gets a few tests, each an effect size free of the column's units with a threshold
// below which a change is negligible:
//
//	wasserstein_sd   numeric      W1(ref, cur) / sd(ref): how far the values moved, in reference sd
//	tail_sd          numeric      the same over the worse tail, the quantile levels 0.5–5% or 95–99.5%
//	                              (stats.QuantileShift), when both sides have at least 1000 values
//	total_variation  categorical  (1/2) Σ|r_i - c_i| over the category shares, categories with fewer
//	                              than 10 rows in both samples together pooled into one "other"
//	missing_jump     all          rise of the missing share, current - reference
//	unseen_share     categorical  share of current rows whose category the reference lacks, counting
//	                              only categories too frequent to be absent by chance
//
// Every test asks whether the effect is larger than its threshold, not whether it
// is zero. For the distances, the null distribution of the effect size (both samples
// from one distribution) says how much distance sampling noise alone makes at these
// sizes: its mean is the effect's bias, its standard deviation the noise, and
//
//	effect_size = statistic - mean_null,   p = P(Z > (effect_size - threshold) / sd_null).
//
// The null comes from 100 permutations of a subsample of at most 2000 values per
// side, scaled to the full sizes by sqrt((1/n + 1/m) / (1/a + 1/b)) (numeric), or
// from 100 multinomial draws of both totals from the pooled category shares
// (categorical). The shares are tested by Wald tests against the threshold as the
// margin. Benjamini–Hochberg then controls the false discovery rate over every test
// of the run (Finalize), and a column drifts when one of its tests has q <= fdr.
// Small effects at huge n are not drift (the effect stays under the threshold however
// sure it is); large effects at small n are drift once the evidence holds. A column
// with too few values, or whose noise is more than half its threshold (twice the
// threshold could not be told from nothing), reports status insufficient_data unless
// a test found drift.
type driftwatchPreset struct{}

// Names of the driftwatch preset's tests and settings: the keys of Options.Thresholds
// and ColumnOptions.Thresholds that it reads.
const (
	TestWassersteinSD  = "wasserstein_sd"
	TestTailSD         = "tail_sd"
	TestTotalVariation = "total_variation"
	TestMissingJump    = "missing_jump"
	TestUnseenShare    = "unseen_share"
	// KeyFDR is the false discovery rate of the run's tests (run-level only).
	KeyFDR = "fdr"
	// KeyMinCount is the fewest non-missing values per side for a distribution test.
	KeyMinCount = "min_count"
)

// DriftwatchThresholds returns the default thresholds and settings of the driftwatch
// preset by key (a fresh map).
func DriftwatchThresholds() map[string]float64 {
	return map[string]float64{
		TestWassersteinSD:  0.1,
		TestTailSD:         0.3,
		TestTotalVariation: 0.05,
		TestMissingJump:    0.05,
		TestUnseenShare:    0.01,
		KeyFDR:             0.05,
		KeyMinCount:        50,
	}
}

// IsThresholdKey reports whether name may key a threshold (Options.Thresholds,
// ColumnOptions.Thresholds): a method name or a driftwatch test or setting.
func IsThresholdKey(name string) bool {
	if _, ok := LookupMethod(name); ok {
		return true
	}
	_, ok := DriftwatchThresholds()[name]
	return ok
}

// Fixed parameters of the driftwatch tests.
const (
	dwSubsample  = 2000  // values per side that the permutations of a numeric column split
	dwResamples  = 100   // permutations (numeric) or multinomial draws (categorical) per column
	dwTailShare  = 0.05  // the tail of tail_sd ...
	dwTailTrim   = 0.005 // ... less its outermost levels, whose noise falls too slowly for heavy tails
	dwTailMin    = 1000  // values per side for tail_sd (50 per 5% tail)
	dwRareCount  = 10    // categories with fewer rows (both sides together) are pooled
	dwUnseenP    = 0.01  // an absent category counts as unseen when P(absent | same distribution) <= this
	dwNoiseShare = 0.5   // insufficient when the null's standard deviation exceeds this × threshold
)

func (driftwatchPreset) Name() string { return "driftwatch" }

func dwSetting(o *Options, col, key string) float64 {
	if pc, ok := o.PerColumn[col]; ok && key != KeyFDR {
		if v, ok := pc.Thresholds[key]; ok {
			return v
		}
	}
	if v, ok := o.Thresholds[key]; ok {
		return v
	}
	return DriftwatchThresholds()[key]
}

// Judge runs the column's tests. Its verdict treats the column as a run of its own
// (Benjamini–Hochberg over its tests only); Finalize decides again over the run.
func (driftwatchPreset) Judge(c *ColumnData, o *Options) Verdict {
	cr := ColumnReport{Name: c.Name, Status: StatusOK,
		Reference: ColumnSummary{Count: c.RefCount(), Missing: c.RefMissing},
		Current:   ColumnSummary{Count: c.CurCount(), Missing: c.CurMissing}}
	if minN := int64(dwSetting(o, c.Name, KeyMinCount)); c.RefCount() >= minN && c.CurCount() >= minN {
		rng := rand.New(rand.NewPCG(seedOf(c.Name), 0x6472696674))
		if c.Kind.Valued() {
			cr.Tests = dwNumeric(c, o, rng)
		} else {
			cr.Tests = dwCategorical(c, o, rng)
		}
	}
	if t, ok := dwMissing(c.RefMissing, c.RefRows, c.CurMissing, c.CurRows, dwSetting(o, c.Name, TestMissingJump)); ok {
		cr.Tests = append(cr.Tests, t)
	}
	settle([]*ColumnReport{&cr}, o)
	return Verdict{Drifted: cr.Drifted, Method: cr.Method, Status: cr.Status, Reason: cr.Reason, Tests: cr.Tests}
}

// Finalize decides every column the preset judged over the whole run: it adds the
// missing-share test to columns that Run left without a verdict (one side without
// values; a text-like column), then applies Benjamini–Hochberg across all tests of
// the run. A column left without a verdict keeps its status unless its missing share
// jumped.
func (driftwatchPreset) Finalize(cols []*ColumnReport, o *Options) {
	var own []*ColumnReport
	skipped := map[*ColumnReport]string{}
	for _, cr := range cols {
		if pc, ok := o.PerColumn[cr.Name]; ok && len(pc.Methods) > 0 {
			continue
		}
		switch {
		case len(cr.Tests) == 0 && (cr.Status == StatusInsufficientData || cr.Status == "skipped"):
			// Run's all-null and text-like cases: only the missing share can speak
			r, c := cr.Reference, cr.Current
			if t, ok := dwMissing(r.Missing, r.Count+r.Missing, c.Missing, c.Count+c.Missing, dwSetting(o, cr.Name, TestMissingJump)); ok {
				cr.Tests = append(cr.Tests, t)
				own = append(own, cr)
				if cr.Status == "skipped" {
					skipped[cr] = cr.Reason
				}
			}
		case len(cr.Tests) > 0 && isDriftwatchTest(cr.Tests[0].Method):
			own = append(own, cr)
		}
	}
	settle(own, o)
	for cr, why := range skipped {
		if !cr.Drifted {
			cr.Status, cr.Reason, cr.Method = "skipped", why, ""
		}
	}
}

func isDriftwatchTest(name string) bool {
	switch name {
	case TestWassersteinSD, TestTailSD, TestTotalVariation, TestMissingJump, TestUnseenShare:
		return true
	}
	return false
}

// settle applies Benjamini–Hochberg over the tests of cols and sets each test's
// q-value and verdict and each column's verdict, status, deciding method and reason.
func settle(cols []*ColumnReport, o *Options) {
	var ps []float64
	for _, cr := range cols {
		for _, t := range cr.Tests {
			ps = append(ps, float64(t.PValue))
		}
	}
	qs := stats.BenjaminiHochberg(nil, ps)
	fdr := dwSetting(o, "", KeyFDR)
	k := 0
	for _, cr := range cols {
		cr.Drifted = false
		best := -1
		for i := range cr.Tests {
			t := &cr.Tests[i]
			q := qs[k]
			k++
			t.QValue = NumPtr(q)
			t.Drifted = q <= fdr
			t.Reason = t.note + "; q = " + fmtQ(q)
			if t.Drifted {
				cr.Drifted = true
				if best < 0 || q < float64(*cr.Tests[best].QValue) {
					best = i
				}
			}
		}
		if len(cr.Tests) > 0 {
			cr.Method = cr.Tests[0].Method
		}
		why := dwInsufficient(cr, o)
		switch {
		case cr.Drifted:
			cr.Status = StatusOK
			cr.Method = cr.Tests[best].Method
			cr.Reason = "drift: " + cr.Tests[best].Reason
		case why != "":
			cr.Status = StatusInsufficientData
			cr.Reason = why
		default:
			cr.Status = StatusOK
			cr.Reason = "no drift: " + cr.Tests[0].Reason
		}
	}
}

// dwInsufficient says why a column cannot be decided ("" when it can): no
// distribution test (too few values on a side), or one whose noise hides twice its
// threshold.
func dwInsufficient(cr *ColumnReport, o *Options) string {
	if len(cr.Tests) == 0 || cr.Tests[0].Method == TestMissingJump {
		r, c := cr.Reference.Count, cr.Current.Count
		minN := int64(dwSetting(o, cr.Name, KeyMinCount))
		switch {
		case r == 0:
			return "insufficient data: no non-missing values in the reference"
		case c == 0:
			return "insufficient data: no non-missing values in the current data"
		}
		return fmt.Sprintf("insufficient data: %d reference and %d current values (at least %d each needed)", r, c, minN)
	}
	if t := cr.Tests[0]; !(t.se <= dwNoiseShare*float64(t.Threshold)) {
		return fmt.Sprintf("insufficient data: %s noise (null sd %.2g) exceeds half its threshold %g: more rows needed",
			t.Method, t.se, float64(t.Threshold))
	}
	return ""
}

func fmtQ(q float64) string {
	switch {
	case math.IsNaN(q):
		return "n/a"
	case q >= 0.01:
		return fmt.Sprintf("%.2g", q)
	}
	return fmt.Sprintf("%.1g", q)
}

func seedOf(name string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	return h.Sum64()
}

// dwMissing tests the rise of the missing share (x missing of n rows per side); ok
// is false when neither side has a missing value.
func dwMissing(x1, n1, x2, n2 int64, th float64) (TestResult, bool) {
	if x1+x2 == 0 || n1 == 0 || n2 == 0 {
		return TestResult{}, false
	}
	d, p := stats.ProportionRise(float64(x1), float64(n1), float64(x2), float64(n2), th)
	t := TestResult{Method: TestMissingJump, Statistic: Num(d), EffectSize: NumPtr(d), PValue: Num(p), Threshold: Num(th)}
	t.note = fmt.Sprintf("missing share %s → %s (threshold +%g points)", pct(float64(x1)/float64(n1)), pct(float64(x2)/float64(n2)), 100*th)
	return t, true
}

// dwNumeric: wasserstein_sd and, on big enough samples, tail_sd, each against its
// permutation null on subsamples of at most dwSubsample values per side, whose mean
// and standard deviation are scaled to the full sizes by sqrt((1/n + 1/m) / (1/a + 1/b)).
func dwNumeric(c *ColumnData, o *Options, rng *rand.Rand) []TestResult {
	// n, m: the sample sizes (on a sketch profile, c.Ref and c.Cur are representative
	// values of a larger sample: the null is scaled to the true sizes)
	n, m := c.RefCount(), c.CurCount()
	_, unit := stats.MeanStd(c.Ref)
	unitNote := "reference sd"
	if unit == 0 {
		unit = pooledSD(c.Ref, c.Cur)
		unitNote = "pooled sd (the reference is constant)"
	}
	withTail := n >= dwTailMin && m >= dwTailMin && c.Kind != KindBoolean && c.UnionDistinct() > 2
	thW := dwSetting(o, c.Name, TestWassersteinSD)
	thT := dwSetting(o, c.Name, TestTailSD)
	if unit == 0 {
		// both sides constant and equal
		t := TestResult{Method: TestWassersteinSD, Statistic: 0, EffectSize: NumPtr(0), PValue: 1, Threshold: Num(thW)}
		t.note = fmt.Sprintf("both samples are the constant %g (threshold %g)", c.Ref[0], thW)
		return []TestResult{t}
	}
	a, b := min(len(c.Ref), dwSubsample), min(len(c.Cur), dwSubsample)
	rs := stats.Subsample(nil, c.Ref, a, rng)
	cs := stats.Subsample(nil, c.Cur, b, rng)
	fns := []func(r, c []float64) float64{stats.Wasserstein}
	if withTail {
		fns = append(fns, func(r, c []float64) float64 { return math.Max(tailShifts(r, c)) })
	}
	null := stats.PermutationSorted(rs, cs, dwResamples, rng, fns...)
	f := math.Sqrt((1/float64(n) + 1/float64(m)) / (1/float64(a) + 1/float64(b)))
	test := func(name string, stat float64, k int, th float64) TestResult {
		stat /= unit
		mean, sd := f*null[k].Mean/unit, f*null[k].SD/unit
		eff := stat - mean
		return TestResult{Method: name, Statistic: Num(stat), EffectSize: NumPtr(math.Max(eff, 0)),
			PValue: Num(stats.AboveP(eff, sd, th)), Threshold: Num(th), se: sd}
	}
	w := test(TestWassersteinSD, stats.Wasserstein(c.Ref, c.Cur), 0, thW)
	w.note = fmt.Sprintf("values moved %.2g %s (Wasserstein, threshold %g)", float64(*w.EffectSize), unitNote, thW)
	out := []TestResult{w}
	if withTail {
		lo, up := tailShifts(c.Ref, c.Cur)
		t := test(TestTailSD, math.Max(lo, up), 1, thT)
		side := "upper"
		if lo > up {
			side = "lower"
		}
		t.note = fmt.Sprintf("%s %g%% tail moved %.2g %s (threshold %g)", side, 100*dwTailShare, float64(*t.EffectSize), unitNote, thT)
		out = append(out, t)
	}
	return out
}

// tailShifts is the mean quantile distance over the lower and the upper tail.
func tailShifts(r, c []float64) (lower, upper float64) {
	return stats.QuantileShift(r, c, dwTailTrim, dwTailShare), stats.QuantileShift(r, c, 1-dwTailShare, 1-dwTailTrim)
}

func pooledSD(r, c []float64) float64 {
	mr, sr := stats.MeanStd(r)
	mc, sc := stats.MeanStd(c)
	n, m := float64(len(r)), float64(len(c))
	mu := (n*mr + m*mc) / (n + m)
	v := (n*(sr*sr+(mr-mu)*(mr-mu)) + m*(sc*sc+(mc-mu)*(mc-mu))) / (n + m)
	return math.Sqrt(v)
}

// dwCategorical: total_variation over the categories (rare ones pooled) and, when
// the current sample has categories the reference lacks, unseen_share.
func dwCategorical(c *ColumnData, o *Options, rng *rand.Rand) []TestResult {
	var rb, cb []float64
	var otherR, otherC float64
	pooled := 0
	for i := range c.Labels {
		r, cu := c.RefCounts[i], c.CurCounts[i]
		if r+cu == 0 {
			continue
		}
		if r+cu < dwRareCount {
			otherR += r
			otherC += cu
			pooled++
			continue
		}
		rb = append(rb, r)
		cb = append(cb, cu)
	}
	if pooled > 0 {
		rb = append(rb, otherR)
		cb = append(cb, otherC)
	}
	th := dwSetting(o, c.Name, TestTotalVariation)
	tv := stats.TotalVariation(rb, cb)
	null := stats.NullCounts(rb, cb, dwResamples, rng, stats.TotalVariation)
	se := null.SD
	eff := tv - null.Mean
	t := TestResult{Method: TestTotalVariation, Statistic: Num(tv), EffectSize: NumPtr(math.Max(eff, 0)),
		PValue: Num(stats.AboveP(eff, se, th)), Threshold: Num(th), Bins: len(rb), se: se, Binning: "per_category"}
	if pooled > 0 {
		t.Binning = "per_category_rare_pooled"
	}
	t.note = fmt.Sprintf("category shares moved %.2g (total variation, threshold %g)", float64(*t.EffectSize), th)
	out := []TestResult{t}

	// unseen: categories absent from the reference whose absence is improbable under
	// "same distribution": P(all t rows in the current sample) = prod_{j<t} (m-j)/(N-j)
	m, N := float64(c.CurCount()), float64(c.RefCount()+c.CurCount())
	var unseen, rows float64
	var labels []string
	any := false
	for i := range c.Labels {
		cu := c.CurCounts[i]
		if c.RefCounts[i] != 0 || cu == 0 {
			continue
		}
		any = true
		lp, limit := 0.0, math.Log(dwUnseenP)
		for j := 0.0; j < cu && lp > limit; j++ {
			lp += math.Log((m - j) / (N - j))
		}
		if lp <= limit {
			unseen++
			rows += cu
			labels = append(labels, c.Labels[i])
		}
	}
	if any {
		thU := dwSetting(o, c.Name, TestUnseenShare)
		s, p := stats.ProportionAbove(rows, m, thU)
		u := TestResult{Method: TestUnseenShare, Statistic: Num(s), EffectSize: NumPtr(s), PValue: Num(p), Threshold: Num(thU)}
		sort.Strings(labels)
		if len(labels) > 3 {
			labels = append(labels[:3], "…")
		}
		noun := "categories"
		if unseen == 1 {
			noun = "category"
		}
		u.note = fmt.Sprintf("%s of current rows in %g %s the reference never had%s (threshold %s)",
			pct(s), unseen, noun, labelList(labels), pct(thU))
		out = append(out, u)
	}
	return out
}

func labelList(l []string) string {
	if len(l) == 0 {
		return ""
	}
	return ": " + strings.Join(l, ", ")
}
