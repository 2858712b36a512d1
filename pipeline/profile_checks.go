package pipeline

import (
	"context"
	"fmt"
	"math"
)

// profileChecks is runChecks for a run with a profile on either side: the checks a
// profile carries what they need for run from it, the others are reported as not
// available.
//
//   - target and prediction drift summaries, the extra quality findings: from the
//     column reports, as with data;
//   - correlations: Pearson matrices (and feature–target Pearson) from the co-moments
//     of both sides (a data side is read row-aligned for its co-moments); Spearman,
//     Cramér's V and the multivariate check need rows and are left out (a finding);
//   - performance: from the model-quality accumulators of both sides;
//   - model age: from a configured training time and the logical time.
func profileChecks(ctx context.Context, ref, cur Source, o *Options, rep *Report) error {
	var missing []string
	perf, err := profilePerformance(ctx, ref, cur, o, rep)
	if err != nil {
		return fmt.Errorf("performance: %w", err)
	}
	if perf != nil {
		rep.Performance = perf
	}
	rep.TargetDrift = roleDriftSummary(rep, false, RoleTarget)
	rep.PredictionDrift = roleDriftSummary(rep, false, RolePrediction, RoleScore)
	if !o.Model.TrainedAt.IsZero() && !o.LogicalTime.IsZero() {
		mo := *o
		mo.Roles.Timestamp = "" // nothing to read: the configured time and the logical time
		m, mf, err := modelInfo(ctx, ref, cur, &mo)
		if err != nil {
			return fmt.Errorf("model age: %w", err)
		}
		if m != nil {
			rep.Model = m
		}
		rep.Quality = append(rep.Quality, mf...)
	}
	rep.Quality = append(rep.Quality, moreQualityFindings(rep)...)
	if !o.Correlations.Disabled {
		c, err := profileCorrelations(ctx, ref, cur, o, rep)
		if err != nil {
			return fmt.Errorf("correlations: %w", err)
		}
		if c != nil {
			rep.Correlations = c
			missing = append(missing, "Spearman and Cramér's V correlations")
		}
	}
	if !o.Multivariate.Disabled {
		missing = append(missing, "the multivariate (PCA reconstruction) check")
	}
	if len(missing) > 0 {
		msg := "computed from profiles: "
		for i, m := range missing {
			if i > 0 {
				msg += ", "
			}
			msg += m
		}
		rep.Quality = append(rep.Quality, Finding{Type: "profile_checks_skipped", Severity: SeverityInfo,
			Message: msg + " need the rows and are not computed; Pearson correlations come from the profiles' co-moments"})
	}
	return nil
}

// sideCoMoments returns the co-moments of the named numeric columns of one side: from
// a profile (nil when it lacks some), or read row-aligned from data.
func sideCoMoments(ctx context.Context, src Source, names []string) (*CorrProfile, error) {
	if p, ok := ProfileOf(src); ok {
		if p.Corr == nil {
			return nil, nil
		}
		return p.Corr, nil
	}
	fields := make([]Field, len(names))
	idx := make([]int, len(names))
	builders := make([]*columnBuilder, len(names))
	for i, n := range names {
		f, ok := src.Schema().Field(n)
		if !ok {
			return nil, nil
		}
		fields[i], idx[i] = f, i
	}
	return readAligned(ctx, src, fields, builders, idx)
}

// profileCorrelations computes Pearson correlation drift from co-moments.
func profileCorrelations(ctx context.Context, ref, cur Source, o *Options, rep *Report) (*Correlations, error) {
	p := planCorrelations(rep, o, ref.Schema())
	names := p.numeric
	if p.target != "" && p.targetNum {
		names = append(names[:len(names):len(names)], p.target)
	}
	if len(names) < 2 {
		return nil, nil
	}
	rc, err := sideCoMoments(ctx, ref, names)
	if err != nil {
		return nil, fmt.Errorf("reference: %w", err)
	}
	cc, err := sideCoMoments(ctx, cur, names)
	if err != nil {
		return nil, fmt.Errorf("current: %w", err)
	}
	if rc == nil || cc == nil {
		return nil, nil
	}
	rm, rn, okR := pearsonMatrix(rc, names)
	cm, cn, okC := pearsonMatrix(cc, names)
	if !okR || !okC { // a profile without some of the columns
		return nil, nil
	}
	k := len(p.numeric)
	th := o.Correlations.threshold()
	out := &Correlations{Columns: p.numeric, Threshold: Num(th), Rows: SideRows{Reference: rn, Current: cn}}
	if k >= 2 {
		out.Pearson = matrixDrift(nil, sub(rm, len(names), k), sub(cm, len(names), k), p.numeric, th)
		out.Drifted = out.Pearson.Drifted
	}
	if p.target != "" && p.targetNum {
		t := len(names) - 1
		for i, name := range p.numeric {
			r, c := rm[i*len(names)+t], cm[i*len(names)+t]
			ft := FeatureTarget{Feature: name, Method: "pearson", Reference: Num(r), Current: Num(c), Diff: Num(c - r)}
			ft.Drifted = math.Abs(c-r) > th
			out.Drifted = out.Drifted || ft.Drifted
			out.FeatureTarget = append(out.FeatureTarget, ft)
		}
	}
	if out.Pearson == nil && len(out.FeatureTarget) == 0 {
		return nil, nil
	}
	return out, nil
}

// pearsonMatrix returns the n×n Pearson matrix of the named columns from co-moments
// (1 on the diagonal for a column with variance, NaN for a constant one), the largest
// number of complete pairs, and whether every column was there.
func pearsonMatrix(cp *CorrProfile, names []string) ([]float64, int64, bool) {
	pos := map[string]int{}
	for i, c := range cp.Columns {
		pos[c] = i
	}
	n := len(names)
	m := make([]float64, n*n)
	var rows int64
	for i, a := range names {
		ia, ok := pos[a]
		if !ok {
			return nil, 0, false
		}
		for j, b := range names {
			ib, ok := pos[b]
			if !ok {
				return nil, 0, false
			}
			if ia == ib {
				m[i*n+j] = math.NaN()
				for other := range cp.Columns {
					if other != ia {
						c := cp.M.Pairs[cp.M.PairIndex(ia, other)]
						v := c.M2X
						if ia > other {
							v = c.M2Y
						}
						if v > 0 {
							m[i*n+j] = 1
						}
						break
					}
				}
				continue
			}
			c := cp.M.Pairs[cp.M.PairIndex(ia, ib)]
			rows = max(rows, c.N)
			m[i*n+j] = c.Pearson()
		}
	}
	return m, rows, true
}
