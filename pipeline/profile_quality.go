package pipeline

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"

	"github.com/driftwatch/driftwatch/stats"
)

// ScoreBins is the number of equal bins on [0, 1] of a profile's score histograms
// (binned ROC AUC).
const ScoreBins = 1000

// QualityProfile holds the model-quality accumulators of a profile: the rows with both
// a target and a prediction, summarised so that they merge by addition.
//
// Classification (a categorical or boolean target): the confusion counts per (true,
// predicted) label pair and, with a score column (the probability of the positive
// class), per true label a histogram of the scores on ScoreBins bins and the sums of
// -ln(clip(s)) and -ln(clip(1-s)) (clip to [1e-15, 1-1e-15], as sklearn's log_loss).
// ROC AUC from the histograms counts pairs in the same bin as ties (half), so it is
// within the share of positive–negative pairs that share a bin of the exact value.
//
// Regression (a numeric target): n, the sums of e = prediction - target, |e|, e^2 and
// |e|/|y| (rows with y != 0 for MAPE, as sklearn: |y| floored at machine epsilon), and
// the target's moments for R^2.
type QualityProfile struct {
	Target, Prediction, Score string
	Task                      string // classification | regression

	// classification
	Labels    []string // true and predicted labels, sorted
	Confusion []int64  // len(Labels)^2, row: true, column: predicted
	ScoreHist [][]int64
	LogPos    []float64 // per true label: sum -ln(clip(s))
	LogNeg    []float64 // per true label: sum -ln(clip(1-s))
	ScoreRows int64
	BadScores int64 // scores outside [0, 1]

	// regression
	N                     int64
	SumErr, SumAbs, SumSq float64
	SumAPE                float64
	Y                     stats.Moments
}

// buildQuality reads the target, prediction and score columns of src row-aligned and
// returns their accumulators, nil when the profile has no target or prediction.
func buildQuality(ctx context.Context, src Source, p *Profile, o ProfileOptions) (*QualityProfile, error) {
	r := o.Roles
	if r.Target == "" || r.Prediction == "" {
		return nil, nil
	}
	s := src.Schema()
	tf, ok1 := s.Field(r.Target)
	pf, ok2 := s.Field(r.Prediction)
	if !ok1 || !ok2 {
		return nil, nil
	}
	q := &QualityProfile{Target: r.Target, Prediction: r.Prediction, Task: TaskRegression}
	if !tf.Kind.Valued() || tf.Kind == KindBoolean || !pf.Kind.Valued() {
		q.Task = TaskClassification
	}
	names := []string{r.Target, r.Prediction}
	if q.Task == TaskClassification && len(r.Scores) > 0 {
		if f, ok := s.Field(r.Scores[0]); ok && f.Kind.Valued() {
			q.Score = r.Scores[0]
			names = append(names, q.Score)
		}
	}
	if q.Task == TaskRegression {
		conv := []func(Column) ([]float64, error){valuesOf, valuesOf}
		err := alignedRead(ctx, src, names, conv, func(b [][]float64) {
			y, pr := b[0], b[1]
			keep := make([]float64, 0, len(y))
			for i, t := range y {
				v := pr[i]
				if t-t != 0 || v-v != 0 {
					continue
				}
				e := v - t
				q.N++
				q.SumErr += e
				q.SumAbs += math.Abs(e)
				q.SumSq += e * e
				q.SumAPE += math.Abs(e) / math.Max(math.Abs(t), 0x1p-52)
				keep = append(keep, t)
			}
			q.Y = q.Y.Merge(stats.MomentsOf(keep))
		})
		return q, err
	}
	// classification: labels as indexes into per-column label tables
	tables := make([]*labelTable, 2)
	conv := make([]func(Column) ([]float64, error), len(names))
	for j := range 2 {
		tables[j] = &labelTable{index: map[string]int{}}
		conv[j] = tables[j].convert
	}
	if q.Score != "" {
		conv[2] = valuesOf
	}
	pairs := map[[2]int]int64{}
	type scoreAcc struct {
		hist           []int64
		logPos, logNeg float64
	}
	scores := map[int]*scoreAcc{}
	err := alignedRead(ctx, src, names, conv, func(b [][]float64) {
		for i, t := range b[0] {
			v := b[1][i]
			if t-t != 0 || v-v != 0 {
				continue
			}
			pairs[[2]int{int(t), int(v)}]++
			if q.Score == "" {
				continue
			}
			sc := b[2][i]
			switch {
			case sc-sc != 0:
				continue
			case sc < 0 || sc > 1:
				q.BadScores++
				continue
			}
			a := scores[int(t)]
			if a == nil {
				a = &scoreAcc{hist: make([]int64, ScoreBins)}
				scores[int(t)] = a
			}
			a.hist[min(int(sc*ScoreBins), ScoreBins-1)]++
			c := min(max(sc, 1e-15), 1-1e-15)
			a.logPos -= math.Log(c)
			a.logNeg -= math.Log(1 - c)
			q.ScoreRows++
		}
	})
	if err != nil {
		return nil, err
	}
	// labels of both columns, sorted, and the accumulators re-indexed to them
	set := map[string]bool{}
	for _, t := range tables {
		for _, l := range t.labels {
			set[l] = true
		}
	}
	for l := range set {
		q.Labels = append(q.Labels, l)
	}
	sort.Strings(q.Labels)
	pos := map[string]int{}
	for i, l := range q.Labels {
		pos[l] = i
	}
	k := len(q.Labels)
	q.Confusion = make([]int64, k*k)
	for pr, n := range pairs {
		q.Confusion[pos[tables[0].labels[pr[0]]]*k+pos[tables[1].labels[pr[1]]]] += n
	}
	if q.Score != "" {
		q.ScoreHist = make([][]int64, k)
		q.LogPos, q.LogNeg = make([]float64, k), make([]float64, k)
		for t, a := range scores {
			i := pos[tables[0].labels[t]]
			q.ScoreHist[i], q.LogPos[i], q.LogNeg[i] = a.hist, a.logPos, a.logNeg
		}
	}
	return q, nil
}

func valuesOf(c Column) ([]float64, error) {
	if !c.Kind.Valued() {
		return nil, fmt.Errorf("column %q: want numeric values, got %s", c.Name, c.Kind)
	}
	return c.Float64, nil
}

// labelTable maps a column's labels (categories, or values formatted as readCategorical
// does) to indexes, delivered as float64 (NaN for missing).
type labelTable struct {
	index  map[string]int
	labels []string
	buf    []float64
	remap  []int
}

func (t *labelTable) id(s string) int {
	i, ok := t.index[s]
	if !ok {
		i = len(t.labels)
		t.index[s] = i
		t.labels = append(t.labels, s)
	}
	return i
}

func (t *labelTable) convert(c Column) ([]float64, error) {
	t.buf = t.buf[:0]
	if c.Kind.Valued() {
		for _, v := range c.Float64 {
			if v-v != 0 {
				t.buf = append(t.buf, math.NaN())
				continue
			}
			t.buf = append(t.buf, float64(t.id(strconv.FormatFloat(v, 'g', -1, 64))))
		}
		return t.buf, nil
	}
	t.remap = t.remap[:0]
	for _, s := range c.Dict {
		t.remap = append(t.remap, t.id(s))
	}
	for _, code := range c.Codes {
		if code < 0 {
			t.buf = append(t.buf, math.NaN())
			continue
		}
		t.buf = append(t.buf, float64(t.remap[code]))
	}
	return t.buf, nil
}

// mergeQuality returns the accumulators of both profiles added up (nil when either
// lacks them or they name different columns).
func mergeQuality(a, b *QualityProfile) *QualityProfile {
	if a == nil || b == nil || a.Target != b.Target || a.Prediction != b.Prediction || a.Score != b.Score || a.Task != b.Task {
		return nil
	}
	q := &QualityProfile{Target: a.Target, Prediction: a.Prediction, Score: a.Score, Task: a.Task,
		ScoreRows: a.ScoreRows + b.ScoreRows, BadScores: a.BadScores + b.BadScores,
		N: a.N + b.N, SumErr: a.SumErr + b.SumErr, SumAbs: a.SumAbs + b.SumAbs, SumSq: a.SumSq + b.SumSq,
		SumAPE: a.SumAPE + b.SumAPE, Y: a.Y.Merge(b.Y)}
	if q.Task == TaskRegression {
		return q
	}
	q.Labels = slices.Clone(a.Labels)
	for _, l := range b.Labels {
		if !slices.Contains(q.Labels, l) {
			q.Labels = append(q.Labels, l)
		}
	}
	sort.Strings(q.Labels)
	k := len(q.Labels)
	pos := map[string]int{}
	for i, l := range q.Labels {
		pos[l] = i
	}
	q.Confusion = make([]int64, k*k)
	if q.Score != "" {
		q.ScoreHist = make([][]int64, k)
		q.LogPos, q.LogNeg = make([]float64, k), make([]float64, k)
	}
	for _, x := range []*QualityProfile{a, b} {
		kx := len(x.Labels)
		for i := range kx {
			for j := range kx {
				q.Confusion[pos[x.Labels[i]]*k+pos[x.Labels[j]]] += x.Confusion[i*kx+j]
			}
			if q.Score == "" {
				continue
			}
			t := pos[x.Labels[i]]
			q.LogPos[t] += x.LogPos[i]
			q.LogNeg[t] += x.LogNeg[i]
			if x.ScoreHist[i] != nil {
				if q.ScoreHist[t] == nil {
					q.ScoreHist[t] = make([]int64, ScoreBins)
				}
				for b, n := range x.ScoreHist[i] {
					q.ScoreHist[t][b] += n
				}
			}
		}
	}
	return q
}

// metrics returns the quality metrics of the accumulators (performance.go's names) and
// the classes and the positive class index of a classification.
func (q *QualityProfile) metrics(positive string) map[string]Num {
	out := map[string]Num{}
	if q.Task == TaskRegression {
		if q.N == 0 {
			return out
		}
		n := float64(q.N)
		out["mae"] = Num(q.SumAbs / n)
		out["mse"] = Num(q.SumSq / n)
		out["rmse"] = Num(math.Sqrt(q.SumSq / n))
		out["mape"] = Num(q.SumAPE / n)
		out["mean_error"] = Num(q.SumErr / n)
		r2 := math.NaN()
		if q.Y.M2 > 0 {
			r2 = 1 - q.SumSq/q.Y.M2
		}
		out["r2"] = Num(r2)
		return out
	}
	k := len(q.Labels)
	if k == 0 {
		return out
	}
	cm := make([]float64, k*k)
	for i, n := range q.Confusion {
		cm[i] = float64(n)
	}
	out["accuracy"] = Num(stats.Accuracy(cm, k))
	sc := stats.Scores(cm, k)
	pm, rm, fm := sc.Macro()
	out["precision_macro"], out["recall_macro"], out["f1_macro"] = Num(pm), Num(rm), Num(fm)
	pos := positiveClass(q.Labels, positive)
	if k <= 2 && pos >= 0 {
		out["precision"], out["recall"], out["f1"] = Num(sc.Precision[pos]), Num(sc.Recall[pos]), Num(sc.F1[pos])
	} else {
		out["precision"], out["recall"], out["f1"] = Num(pm), Num(rm), Num(fm)
	}
	if q.Score != "" && q.BadScores == 0 && k == 2 && pos >= 0 && q.ScoreRows > 0 {
		neg := 1 - pos
		out["roc_auc"] = Num(binnedAUC(q.ScoreHist[pos], q.ScoreHist[neg]))
		out["log_loss"] = Num((q.LogPos[pos] + q.LogNeg[neg]) / float64(q.ScoreRows))
	}
	return out
}

// binnedAUC is the ROC AUC of positive and negative score histograms on the same bins:
// P(score_pos > score_neg) + P(same bin)/2.
func binnedAUC(posHist, negHist []int64) float64 {
	var np, nn float64
	for b := range ScoreBins {
		if posHist != nil {
			np += float64(posHist[b])
		}
		if negHist != nil {
			nn += float64(negHist[b])
		}
	}
	if np == 0 || nn == 0 {
		return math.NaN()
	}
	var below, s float64
	for b := range ScoreBins {
		var p, n float64
		if posHist != nil {
			p = float64(posHist[b])
		}
		if negHist != nil {
			n = float64(negHist[b])
		}
		s += p * (below + n/2)
		below += n
	}
	return s / (np * nn)
}

// profilePerformance compares the quality accumulators of both sides (profiles, or
// data profiled on the fly for these columns).
func profilePerformance(ctx context.Context, ref, cur Source, o *Options, rep *Report) (*Performance, error) {
	if o.Roles.Target == "" || o.Roles.Prediction == "" {
		return nil, nil
	}
	side := func(src Source) (*QualityProfile, error) {
		if p, ok := ProfileOf(src); ok {
			return p.Quality, nil
		}
		return buildQuality(ctx, src, nil, ProfileOptions{Roles: o.Roles})
	}
	rq, err := side(ref)
	if err != nil {
		return nil, fmt.Errorf("reference: %w", err)
	}
	cq, err := side(cur)
	if err != nil {
		return nil, fmt.Errorf("current: %w", err)
	}
	if rq == nil && cq == nil {
		return nil, nil
	}
	task := o.Performance.Task
	perf := &Performance{Reference: map[string]Num{}, Current: map[string]Num{}, ReferenceSource: "none", TargetSource: "none",
		PositiveClass: o.Performance.PositiveClass}
	for k, q := range []*QualityProfile{rq, cq} {
		if q == nil {
			continue
		}
		if task == "" {
			task = q.Task
		}
		m := q.metrics(o.Performance.PositiveClass)
		if k == 0 {
			perf.Reference, perf.ReferenceSource = m, "reference"
			perf.Rows.Reference = q.rows()
		} else {
			perf.Current, perf.TargetSource = m, "current"
			perf.Rows.Current = q.rows()
		}
		if q.Task == TaskClassification {
			for _, l := range q.Labels {
				if !slices.Contains(perf.Classes, l) {
					perf.Classes = append(perf.Classes, l)
				}
			}
		}
	}
	sort.Strings(perf.Classes)
	perf.Task = task
	if rq == nil && len(o.Performance.Baseline) > 0 {
		for k, v := range o.Performance.Baseline {
			perf.Reference[k] = Num(v)
		}
		perf.ReferenceSource = "baseline"
	}
	if cq != nil && rep.Current.Rows > 0 {
		perf.LabelCoverage = Num(float64(cq.rows()) / float64(rep.Current.Rows))
	}
	checkMetrics(perf, &o.Performance)
	return perf, nil
}

func (q *QualityProfile) rows() int64 {
	if q.Task == TaskRegression {
		return q.N
	}
	var n int64
	for _, c := range q.Confusion {
		n += c
	}
	return n
}
