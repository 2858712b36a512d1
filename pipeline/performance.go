package pipeline

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/driftwatch/driftwatch/stats"
)

// Model quality: classification or regression metrics of the predictions on the
// reference (the training snapshot when it holds predictions, else a configured
// baseline) and on the current window, with the target taken from the current data or
// from a labels source joined to the predictions by id (late labels).

// Tasks.
const (
	TaskClassification = "classification"
	TaskRegression     = "regression"
)

// Default relative tolerances of the quality metrics.
const (
	DefaultClassificationTolerance = 0.20
	DefaultRegressionTolerance     = 0.10
)

// PerformanceOptions configure the model-quality check.
type PerformanceOptions struct {
	// Task is classification or regression; "" infers it from the target (see inferTask).
	Task string
	// PositiveClass of a binary task (default "1" or "true" when present, else the
	// second of the two classes in order).
	PositiveClass string
	// Baseline holds reference metric values used when the reference has no predictions.
	Baseline map[string]float64
	// Tolerances per metric: relative worsening beyond which it is degraded (defaults
	// 0.2 for classification, 0.1 for regression metrics).
	Tolerances map[string]float64
	// Labels names the columns of Input.Labels.
	Labels LabelOptions
}

// LabelOptions name the columns of a labels source.
type LabelOptions struct {
	ID        string // joined to Roles.ID of the current data (required)
	Label     string // the ground truth (required)
	Timestamp string // when the label arrived (optional: label lag)
}

// Metric names (API: retrain rules name them). For a multiclass task precision, recall
// and f1 are the macro averages.
var (
	higherBetter = map[string]bool{"accuracy": true, "precision": true, "recall": true, "f1": true,
		"precision_macro": true, "recall_macro": true, "f1_macro": true, "roc_auc": true, "r2": true,
		"log_loss": false, "mae": false, "mse": false, "rmse": false, "mape": false}
	classificationMetrics = []string{"accuracy", "precision", "recall", "f1", "precision_macro", "recall_macro", "f1_macro", "roc_auc", "log_loss"}
	regressionMetrics     = []string{"mae", "mse", "rmse", "mape", "r2", "mean_error"}
)

// MetricNames lists the quality metrics of a task ("" for both), in report order.
func MetricNames(task string) []string {
	switch task {
	case TaskClassification:
		return classificationMetrics
	case TaskRegression:
		return regressionMetrics
	}
	return append(append([]string{}, classificationMetrics...), regressionMetrics...)
}

// Performance is the report's "performance" section.
type Performance struct {
	Task          string   `json:"task"`
	Classes       []string `json:"classes,omitempty"`
	PositiveClass string   `json:"positive_class,omitempty"`
	// ReferenceSource: "reference" (the reference data's predictions), "baseline"
	// (configured values) or "none".
	ReferenceSource string `json:"reference_source"`
	// TargetSource of the current side: "current" (the column is in the current data),
	// "labels" (joined by id) or "none" (no labels yet).
	TargetSource string         `json:"target_source"`
	Reference    map[string]Num `json:"reference"`
	Current      map[string]Num `json:"current"`
	// Metrics compares each metric with its tolerance (metrics present on both sides).
	Metrics  []MetricCheck `json:"metrics"`
	Degraded bool          `json:"degraded"`
	// Rows evaluated per side (rows with a target and a prediction).
	Rows            SideRows   `json:"rows"`
	ConfusionMatrix *Confusion `json:"confusion_matrix,omitempty"`
	// LabelCoverage is the share of current predictions that have a target (0 when no
	// label has arrived yet).
	LabelCoverage Num         `json:"label_coverage"`
	LabelLag      *LabelLag   `json:"label_lag,omitempty"`
	Labels        *LabelStats `json:"labels,omitempty"`
}

// MetricCheck is one metric against its tolerance: degraded when it is worse than the
// reference by more than Tolerance × |reference|.
type MetricCheck struct {
	Name           string `json:"name"`
	Reference      Num    `json:"reference"`
	Current        Num    `json:"current"`
	Change         Num    `json:"change"` // (current − reference) / |reference|
	Tolerance      Num    `json:"tolerance"`
	HigherIsBetter bool   `json:"higher_is_better"`
	Degraded       bool   `json:"degraded"`
}

// Confusion holds the confusion matrices (rows: true class, columns: predicted, in the
// order of Labels).
type Confusion struct {
	Labels    []string  `json:"labels"`
	Reference [][]int64 `json:"reference,omitempty"`
	Current   [][]int64 `json:"current,omitempty"`
}

// LabelLag is the delay from prediction to label, over the joined rows with both times.
type LabelLag struct {
	MedianS Num   `json:"median_s"`
	P95S    Num   `json:"p95_s"`
	N       int64 `json:"n"`
}

// LabelStats count the labels source's rows and how they joined.
type LabelStats struct {
	Rows       int64 `json:"rows"`       // labels read
	Matched    int64 `json:"matched"`    // distinct label ids that match a current prediction
	Unmatched  int64 `json:"unmatched"`  // distinct label ids matching no current prediction
	Duplicates int64 `json:"duplicates"` // label rows superseded by a later label of the same id
}

// perfData is one side's target, prediction and scores, classes encoded 0..k-1 over the
// shared class list (classification) or values (regression).
type perfData struct {
	yCls, pCls []int32
	y, p       []float64
	scores     [][]float64
}

// inferTask: classification when the target is categorical or boolean, or numeric with
// only whole values and at most MaxPerValue distinct ones while the prediction is
// whole-valued too (class codes stored as integers); regression otherwise.
func inferTask(targetKind Kind, target, pred *colValues) string {
	if targetKind == KindCategorical || targetKind == KindBoolean || targetKind == KindText {
		return TaskClassification
	}
	whole := func(c *colValues) (bool, int) {
		if c == nil || !c.valued {
			return c != nil, 0
		}
		seen := map[float64]bool{}
		for _, v := range c.f {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				continue
			}
			if v != math.Trunc(v) {
				return false, 0
			}
			if len(seen) <= MaxPerValue {
				seen[v] = true
			}
		}
		return true, len(seen)
	}
	tw, tn := whole(target)
	pw, _ := whole(pred)
	if tw && pw && tn <= MaxPerValue {
		return TaskClassification
	}
	return TaskRegression
}

// classOrder sorts class labels: numerically when every label is a number, else as text.
func classOrder(labels []string) {
	nums := make(map[string]float64, len(labels))
	for _, l := range labels {
		f, err := strconv.ParseFloat(l, 64)
		if err != nil {
			sort.Strings(labels)
			return
		}
		nums[l] = f
	}
	sort.Slice(labels, func(a, b int) bool { return nums[labels[a]] < nums[labels[b]] })
}

// encodeClasses maps each column's codes onto the sorted union of their labels.
func encodeClasses(cols ...*colValues) ([]string, [][]int32) {
	set := map[string]bool{}
	for _, c := range cols {
		if c == nil {
			continue
		}
		for _, l := range usedLabels(c) {
			set[l] = true
		}
	}
	classes := make([]string, 0, len(set))
	for l := range set {
		classes = append(classes, l)
	}
	classOrder(classes)
	index := make(map[string]int32, len(classes))
	for i, l := range classes {
		index[l] = int32(i)
	}
	out := make([][]int32, len(cols))
	for i, c := range cols {
		if c == nil {
			continue
		}
		out[i] = make([]int32, len(c.codes))
		for r, k := range c.codes {
			if k < 0 {
				out[i][r] = -1
			} else {
				out[i][r] = index[c.labels[k]]
			}
		}
	}
	return classes, out
}

// usedLabels are the labels that some row of c has.
func usedLabels(c *colValues) []string {
	used := make([]bool, len(c.labels))
	for _, k := range c.codes {
		if k >= 0 {
			used[k] = true
		}
	}
	var out []string
	for i, u := range used {
		if u {
			out = append(out, c.labels[i])
		}
	}
	return out
}

func positiveClass(classes []string, want string) int {
	for _, w := range []string{want, "1", "true", "True"} {
		if w == "" {
			continue
		}
		for i, c := range classes {
			if c == w {
				return i
			}
		}
		if w == want {
			return -1 // named but absent
		}
	}
	if len(classes) == 2 {
		return 1
	}
	return -1
}

// classificationMetricsOf computes the metrics of one side; findings report scores
// that cannot be probabilities.
func classificationMetricsOf(d *perfData, k, pos int, sideName string) (map[string]Num, [][]int64, []Finding) {
	out := map[string]Num{}
	cm := stats.ConfusionMatrix(d.yCls, d.pCls, k)
	out["accuracy"] = Num(stats.Accuracy(cm, k))
	sc := stats.Scores(cm, k)
	pm, rm, fm := sc.Macro()
	out["precision_macro"], out["recall_macro"], out["f1_macro"] = Num(pm), Num(rm), Num(fm)
	if k <= 2 && pos >= 0 {
		out["precision"], out["recall"], out["f1"] = Num(sc.Precision[pos]), Num(sc.Recall[pos]), Num(sc.F1[pos])
	} else {
		out["precision"], out["recall"], out["f1"] = Num(pm), Num(rm), Num(fm)
	}
	matrix := make([][]int64, k)
	for i := range k {
		matrix[i] = make([]int64, k)
		for j := range k {
			matrix[i][j] = int64(cm[i*k+j])
		}
	}
	var findings []Finding
	if len(d.scores) > 0 {
		bad := 0
		for _, s := range d.scores {
			for _, v := range s {
				if !math.IsNaN(v) && !(v >= 0 && v <= 1) {
					bad++
				}
			}
		}
		if bad > 0 {
			findings = append(findings, Finding{Type: "score_out_of_range", Severity: SeverityError, Source: sideName,
				Message: fmt.Sprintf("%d score values lie outside [0, 1]: ROC AUC and log loss not computed for the %s", bad, sideName),
				Value:   NumPtr(float64(bad)), ReferenceValue: NumPtr(0)})
		} else if k <= 2 && pos >= 0 {
			score := d.scores[0]
			if len(d.scores) == 2 {
				score = d.scores[pos]
			}
			isPos := make([]bool, len(d.yCls))
			for i, y := range d.yCls {
				isPos[i] = int(y) == pos
			}
			out["roc_auc"] = Num(stats.ROCAUC(isPos, score))
			out["log_loss"] = Num(stats.LogLossBinary(isPos, score))
		} else if len(d.scores) == k {
			out["roc_auc"] = Num(stats.ROCAUCMacro(d.yCls, d.scores))
			out["log_loss"] = Num(stats.LogLoss(d.yCls, d.scores))
		}
	}
	return out, matrix, findings
}

func regressionMetricsOf(d *perfData) map[string]Num {
	r := stats.RegressionMetrics(d.y, d.p)
	return map[string]Num{"mae": Num(r.MAE), "mse": Num(r.RMSE * r.RMSE), "rmse": Num(r.RMSE), "mape": Num(r.MAPE),
		"r2": Num(r.R2), "mean_error": Num(r.MeanError)}
}

// checkMetrics compares every metric present on both sides with its tolerance.
func checkMetrics(p *Performance, o *PerformanceOptions) {
	def := DefaultClassificationTolerance
	names := classificationMetrics
	if p.Task == TaskRegression {
		def, names = DefaultRegressionTolerance, regressionMetrics
	}
	p.Metrics = []MetricCheck{}
	for _, name := range names {
		higher, judged := higherBetter[name]
		ref, okR := p.Reference[name]
		cur, okC := p.Current[name]
		if !okR || !okC || math.IsNaN(float64(ref)) || math.IsNaN(float64(cur)) {
			continue
		}
		tol := def
		if t, ok := o.Tolerances[name]; ok {
			tol = t
		}
		mc := MetricCheck{Name: name, Reference: ref, Current: cur, Tolerance: Num(tol), HigherIsBetter: higher}
		r, c := float64(ref), float64(cur)
		mc.Change = Num((c - r) / math.Abs(r)) // ±Inf or NaN (null) when the reference is 0
		if !judged {
			mc.Tolerance = Num(nan) // mean_error: reported, not judged
			p.Metrics = append(p.Metrics, mc)
			continue
		}
		worse := c - r
		if higher {
			worse = r - c
		}
		mc.Degraded = worse > tol*math.Abs(r)
		p.Degraded = p.Degraded || mc.Degraded
		p.Metrics = append(p.Metrics, mc)
	}
}

// labelJoin is the result of joining a labels source to the current predictions.
type labelJoin struct {
	target   *colValues // aligned with the current rows; missing where no label
	lag      []float64  // seconds, per joined row with both times
	stats    LabelStats
	findings []Finding
}

// idKeys reads an id column as strings (numbers formatted as readCategorical does).
func idKeys(ctx context.Context, src Source, name string) ([]string, error) {
	c, err := readValues(ctx, src, name, true, 1)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(c.codes))
	for i, k := range c.codes {
		if k >= 0 {
			out[i] = c.labels[k]
		} else {
			out[i] = "\x00missing"
		}
	}
	return out, nil
}

// joinLabels joins the labels source to the current rows by id. Duplicate label ids
// keep the latest label (by label time when there is one, else the last read);
// duplicate prediction ids each get the label. asLabels reads the label as categories.
func joinLabels(ctx context.Context, cur, labels Source, labelsName string, o *Options, asLabels bool) (*labelJoin, error) {
	lo := o.Performance.Labels
	for _, c := range []string{lo.ID, lo.Label, lo.Timestamp} {
		if c == "" {
			continue
		}
		if _, ok := labels.Schema().Field(c); !ok {
			return nil, &DataError{Source: labelsName, Column: c, Err: fmt.Errorf("%w in the labels", ErrNoColumn)}
		}
	}
	curIDs, err := idKeys(ctx, cur, o.Roles.ID)
	if err != nil {
		return nil, fmt.Errorf("current: %w", err)
	}
	labIDs, err := idKeys(ctx, labels, lo.ID)
	if err != nil {
		return nil, fmt.Errorf("labels: %w", err)
	}
	val, err := readValues(ctx, labels, lo.Label, asLabels, 1)
	if err != nil {
		return nil, fmt.Errorf("labels: %w", err)
	}
	var labTS, curTS []float64
	if lo.Timestamp != "" {
		t, err := readValues(ctx, labels, lo.Timestamp, false, 1)
		if err != nil {
			return nil, fmt.Errorf("labels: %w", err)
		}
		labTS = t.f
	}
	if ts := o.Roles.Timestamp; ts != "" {
		if _, ok := cur.Schema().Field(ts); ok {
			t, err := readValues(ctx, cur, ts, false, 1)
			if err != nil {
				return nil, fmt.Errorf("current: %w", err)
			}
			curTS = t.f
		}
	}
	j := &labelJoin{target: &colValues{valued: val.valued, labels: val.labels}}
	j.stats.Rows = int64(len(labIDs))
	// the label row of each id: the latest
	byID := make(map[string]int, len(labIDs))
	for i, id := range labIDs {
		if !labelPresent(val, i) || strings.HasPrefix(id, "\x00") {
			continue
		}
		prev, seen := byID[id]
		if seen {
			j.stats.Duplicates++
			if labTS != nil && labTS[i] < labTS[prev] {
				continue
			}
		}
		byID[id] = i
	}
	// predictions
	n := len(curIDs)
	if val.valued {
		j.target.f = make([]float64, n)
	} else {
		j.target.codes = make([]int32, n)
	}
	seenPred := make(map[string]int, n)
	var dupRows int64
	for r, id := range curIDs {
		if !strings.HasPrefix(id, "\x00") {
			if seenPred[id]++; seenPred[id] == 2 {
				dupRows += 2
			} else if seenPred[id] > 2 {
				dupRows++
			}
		}
		i, ok := byID[id]
		if !ok {
			if val.valued {
				j.target.f[r] = nan
			} else {
				j.target.codes[r] = -1
			}
			continue
		}
		if val.valued {
			j.target.f[r] = val.f[i]
		} else {
			j.target.codes[r] = val.codes[i]
		}
		if labTS != nil && curTS != nil {
			if d := labTS[i] - curTS[r]; !math.IsNaN(d) && !math.IsInf(d, 0) {
				j.lag = append(j.lag, d)
			}
		}
	}
	for id := range byID {
		if _, ok := seenPred[id]; ok {
			j.stats.Matched++
		} else {
			j.stats.Unmatched++
		}
	}
	if dupRows > 0 {
		j.findings = append(j.findings, Finding{Type: "duplicate_ids", Column: o.Roles.ID, Severity: SeverityWarning, Source: "current",
			Message: fmt.Sprintf("%d current rows share their id with another row: each gets the same label", dupRows),
			Value:   NumPtr(share(dupRows, int64(n))), ReferenceValue: NumPtr(0)})
	}
	if j.stats.Duplicates > 0 {
		how := "the last one read"
		if labTS != nil {
			how = "the latest by " + lo.Timestamp
		}
		j.findings = append(j.findings, Finding{Type: "duplicate_labels", Column: lo.ID, Severity: SeverityWarning, Source: "labels",
			Message: fmt.Sprintf("%d labels repeat an id of an earlier label: %s is used", j.stats.Duplicates, how),
			Value:   NumPtr(float64(j.stats.Duplicates))})
	}
	if j.stats.Matched == 0 && len(byID) > 0 {
		// Usually the window's labels have not arrived yet; ids in different forms
		// ("42" and "42.0", "A-1" and "a-1") look the same here: the examples tell.
		j.findings = append(j.findings, Finding{Type: "labels_unmatched", Column: lo.ID, Severity: SeverityInfo, Source: "labels",
			Message: fmt.Sprintf("none of the %d label ids matches a prediction id (%s) of the current window: no label has arrived for it yet, or the ids differ (labels: %s; predictions: %s)",
				len(byID), o.Roles.ID, idExamples(labIDs), idExamples(curIDs)),
			Value: NumPtr(float64(j.stats.Unmatched))})
	}
	return j, nil
}

// idExamples quotes up to three ids.
func idExamples(ids []string) string {
	var out []string
	for _, id := range ids {
		if len(out) == 3 {
			break
		}
		if !strings.HasPrefix(id, "\x00") {
			out = append(out, strconv.Quote(id))
		}
	}
	if len(out) == 0 {
		return "none"
	}
	return strings.Join(out, ", ")
}

func labelPresent(c *colValues, i int) bool {
	if c.valued {
		return !math.IsNaN(c.f[i]) && !math.IsInf(c.f[i], 0)
	}
	return c.codes[i] >= 0
}

// ErrLabelsConfig is wrapped when a labels source is given without the columns to join it.
var ErrLabelsConfig = errors.New("labels need performance.labels.id, performance.labels.label and columns.id")

// perfInput is what runPerformance works on.
type perfInput struct {
	ref, cur   Source
	labels     Source // nil: none
	labelsName string
}

// runPerformance computes the performance section; it also returns the current target
// (from the current data or the labels) for target drift and feature–target
// correlations, nil when there is none.
func runPerformance(ctx context.Context, in perfInput, o *Options, rep *Report) (*Performance, *colValues, []Finding, error) {
	r := o.Roles
	po := &o.Performance
	if in.labels != nil && (po.Labels.ID == "" || po.Labels.Label == "" || r.ID == "") {
		return nil, nil, nil, ErrLabelsConfig
	}
	if r.Target == "" || r.Prediction == "" {
		return nil, nil, nil, nil
	}
	rs, cs := in.ref.Schema(), in.cur.Schema()
	tRef, hasTRef := rs.Field(r.Target)
	_, hasPRef := rs.Field(r.Prediction)
	_, hasTCur := cs.Field(r.Target)
	_, hasPCur := cs.Field(r.Prediction)
	if !hasPCur {
		return nil, nil, nil, nil // column_missing is reported by the column plan
	}
	targetKind := tRef.Kind
	if k, ok := r.Kinds[r.Target]; ok {
		targetKind = k
	}
	if !hasTRef && in.labels != nil {
		if f, ok := in.labels.Schema().Field(po.Labels.Label); ok {
			targetKind = f.Kind
		}
	}
	// Read the current prediction first: the task may depend on it.
	var findings []Finding
	task := po.Task
	asLabels := func() bool { return task == TaskClassification }
	var predCurRaw *colValues
	if task == "" {
		var err error
		if predCurRaw, err = readValues(ctx, in.cur, r.Prediction, !kindValued(cs, r.Prediction, r.Kinds), 1); err != nil {
			return nil, nil, nil, fmt.Errorf("current: %w", err)
		}
		var tgt *colValues
		if hasTRef {
			if tgt, err = readValues(ctx, in.ref, r.Target, !targetKind.Valued(), 1); err != nil {
				return nil, nil, nil, fmt.Errorf("reference: %w", err)
			}
		}
		task = inferTask(targetKind, tgt, predCurRaw)
	}
	p := &Performance{Task: task, ReferenceSource: "none", TargetSource: "none", LabelCoverage: 0}

	read := func(src Source, name string) (*colValues, error) {
		return readValues(ctx, src, name, asLabels(), 1)
	}
	readScores := func(src Source) ([][]float64, error) {
		var out [][]float64
		for _, s := range r.Scores {
			if _, ok := src.Schema().Field(s); !ok {
				return nil, nil
			}
			c, err := readValues(ctx, src, s, false, 1)
			if err != nil {
				return nil, err
			}
			out = append(out, c.f)
		}
		return out, nil
	}
	// reference
	var yRef, pRef *colValues
	var sRef [][]float64
	if hasTRef && hasPRef {
		var err error
		if yRef, err = read(in.ref, r.Target); err != nil {
			return nil, nil, nil, fmt.Errorf("reference: %w", err)
		}
		if pRef, err = read(in.ref, r.Prediction); err != nil {
			return nil, nil, nil, fmt.Errorf("reference: %w", err)
		}
		if sRef, err = readScores(in.ref); err != nil {
			return nil, nil, nil, fmt.Errorf("reference: %w", err)
		}
	}
	// current
	pCur, err := read(in.cur, r.Prediction)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("current: %w", err)
	}
	sCur, err := readScores(in.cur)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("current: %w", err)
	}
	// The current target: from the labels when a labels source is configured (the live
	// log's own target column, if any, is usually empty until labels arrive), else from
	// the current data.
	var yCur *colValues
	fromLabels := in.labels != nil
	switch {
	case fromLabels:
		j, err := joinLabels(ctx, in.cur, in.labels, in.labelsName, o, asLabels())
		if err != nil {
			return nil, nil, nil, err
		}
		findings = append(findings, j.findings...)
		p.Labels = &j.stats
		yCur = j.target
		p.TargetSource = "labels"
		if len(j.lag) > 0 {
			q := stats.Quantiles(j.lag, 0.5, 0.95)
			p.LabelLag = &LabelLag{MedianS: Num(q[0]), P95S: Num(q[1]), N: int64(len(j.lag))}
		}
	case hasTCur:
		if yCur, err = read(in.cur, r.Target); err != nil {
			return nil, nil, nil, fmt.Errorf("current: %w", err)
		}
		p.TargetSource = "current"
	}
	if yCur != nil && yCur.len() != pCur.len() {
		return nil, nil, nil, fmt.Errorf("current: %q has %d rows, %q %d", r.Target, yCur.len(), r.Prediction, pCur.len())
	}
	// coverage: predictions with a target
	var preds, labelled int64
	for i := range pCur.len() {
		if !labelPresent(pCur, i) {
			continue
		}
		preds++
		if yCur != nil && labelPresent(yCur, i) {
			labelled++
		}
	}
	p.LabelCoverage = Num(share(labelled, preds))
	if preds == 0 {
		p.LabelCoverage = Num(nan)
	}
	if labelled == 0 {
		p.TargetSource = "none"
	}

	p.Reference, p.Current = map[string]Num{}, map[string]Num{}
	switch task {
	case TaskClassification:
		if !allLabels(yRef, pRef, pCur, yCur) {
			return nil, nil, nil, fmt.Errorf("classification needs categorical reads of %q and %q", r.Target, r.Prediction)
		}
		classes, enc := encodeClasses(yRef, pRef, yCur, pCur)
		k := len(classes)
		pos := positiveClass(classes, po.PositiveClass)
		p.Classes = classes
		if k <= 2 && pos >= 0 {
			p.PositiveClass = classes[pos]
		} else if k <= 2 && po.PositiveClass != "" {
			findings = append(findings, Finding{Type: "positive_class_absent", Column: r.Target, Severity: SeverityWarning,
				Message: fmt.Sprintf("positive class %q occurs in neither target nor prediction (classes: %s)", po.PositiveClass, strings.Join(classes, ", "))})
		}
		if len(r.Scores) > 0 && !(k <= 2 && (len(r.Scores) == 1 || len(r.Scores) == 2)) && len(r.Scores) != k {
			findings = append(findings, Finding{Type: "scores_mismatch", Severity: SeverityWarning,
				Message: fmt.Sprintf("%d score columns for %d classes: ROC AUC and log loss need one per class (in class order) or one for the positive class", len(r.Scores), k)})
			sRef, sCur = nil, nil
		}
		conf := &Confusion{Labels: classes}
		if yRef != nil {
			d := rowsWithBoth(&perfData{yCls: enc[0], pCls: enc[1], scores: sRef})
			m, cm, f := classificationMetricsOf(d, k, pos, "reference")
			p.Reference, conf.Reference, p.ReferenceSource = m, cm, "reference"
			p.Rows.Reference = int64(len(d.yCls))
			findings = append(findings, f...)
		}
		if yCur != nil && labelled > 0 {
			d := rowsWithBoth(&perfData{yCls: enc[2], pCls: enc[3], scores: sCur})
			m, cm, f := classificationMetricsOf(d, k, pos, "current")
			p.Current, conf.Current = m, cm
			p.Rows.Current = int64(len(d.yCls))
			findings = append(findings, f...)
		}
		if conf.Reference != nil || conf.Current != nil {
			p.ConfusionMatrix = conf
		}
	default:
		if !allValued(yRef, pRef, pCur, yCur) {
			return nil, nil, nil, fmt.Errorf("regression needs numeric %q and %q (set performance.task: classification for class labels)", r.Target, r.Prediction)
		}
		if yRef != nil {
			d := &perfData{y: yRef.f, p: pRef.f}
			p.Reference, p.ReferenceSource = regressionMetricsOf(d), "reference"
			p.Rows.Reference = int64(stats.RegressionMetrics(d.y, d.p).N)
		}
		if yCur != nil && labelled > 0 {
			d := &perfData{y: yCur.f, p: pCur.f}
			p.Current = regressionMetricsOf(d)
			p.Rows.Current = int64(stats.RegressionMetrics(d.y, d.p).N)
		}
	}
	if p.ReferenceSource == "none" && len(po.Baseline) > 0 {
		for k, v := range po.Baseline {
			p.Reference[k] = Num(v)
		}
		p.ReferenceSource = "baseline"
	}
	checkMetrics(p, po)
	if !fromLabels || labelled == 0 {
		return p, nil, findings, nil // the target column's own test stands
	}
	return p, yCur, findings, nil
}

func kindValued(s Schema, name string, kinds map[string]Kind) bool {
	if k, ok := kinds[name]; ok {
		return k.Valued()
	}
	f, _ := s.Field(name)
	return f.Kind.Valued()
}

func allLabels(cs ...*colValues) bool {
	for _, c := range cs {
		if c != nil && c.valued {
			return false
		}
	}
	return true
}

func allValued(cs ...*colValues) bool {
	for _, c := range cs {
		if c != nil && !c.valued {
			return false
		}
	}
	return true
}

// rowsWithBoth keeps the rows with both a true and a predicted class (and their scores).
func rowsWithBoth(d *perfData) *perfData {
	out := &perfData{scores: make([][]float64, len(d.scores))}
	for i, y := range d.yCls {
		if y < 0 || d.pCls[i] < 0 {
			continue
		}
		out.yCls = append(out.yCls, y)
		out.pCls = append(out.pCls, d.pCls[i])
		for s := range d.scores {
			out.scores[s] = append(out.scores[s], d.scores[s][i])
		}
	}
	if len(d.scores) == 0 {
		out.scores = nil
	}
	return out
}
