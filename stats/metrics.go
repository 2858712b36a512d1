package stats

import "math"

// Model-quality metrics, equal to scikit-learn 1.2's on the same data (tests:
// testdata/sklearn/classification.json and regression.json). Classes are codes 0..k-1;
// a negative code is missing and the pair is skipped.

// ConfusionMatrix returns the k×k confusion matrix, row-major with true classes in rows
// and predicted classes in columns, of the pairs (yTrue[i], yPred[i]) with both codes
// non-negative, as sklearn.metrics.confusion_matrix(labels=range(k)). It panics if the
// slices differ in length or a code is >= k.
func ConfusionMatrix(yTrue, yPred []int32, k int) []float64 {
	return Contingency(yTrue, yPred, k, k)
}

// Accuracy returns trace(cm) / sum(cm) of a k×k confusion matrix (NaN when empty), as
// sklearn.metrics.accuracy_score.
func Accuracy(cm []float64, k int) float64 {
	var tp, n float64
	for i := range k {
		tp += cm[i*k+i]
		for j := range k {
			n += cm[i*k+j]
		}
	}
	if n == 0 {
		return math.NaN()
	}
	return tp / n
}

// ClassScores are per-class precision, recall, F1 and support of a confusion matrix.
type ClassScores struct {
	Precision, Recall, F1, Support []float64
	// Present marks the classes that occur among the true or the predicted classes
	// (sklearn's labels when none are given: the macro averages run over these).
	Present []bool
}

// Scores returns per-class precision tp/(tp+fp), recall tp/(tp+fn) and F1
// 2pr/(p+r) of a k×k confusion matrix, each 0 when its denominator is 0 (sklearn's
// zero_division default, which also warns), as
// sklearn.metrics.precision_recall_fscore_support(labels=range(k), zero_division=0).
func Scores(cm []float64, k int) ClassScores {
	s := ClassScores{Precision: make([]float64, k), Recall: make([]float64, k), F1: make([]float64, k),
		Support: make([]float64, k), Present: make([]bool, k)}
	for c := range k {
		var predicted float64
		for i := range k {
			s.Support[c] += cm[c*k+i]
			predicted += cm[i*k+c]
		}
		tp := cm[c*k+c]
		s.Present[c] = s.Support[c] > 0 || predicted > 0
		if predicted > 0 {
			s.Precision[c] = tp / predicted
		}
		if s.Support[c] > 0 {
			s.Recall[c] = tp / s.Support[c]
		}
		if p, r := s.Precision[c], s.Recall[c]; p+r > 0 {
			s.F1[c] = 2 * p * r / (p + r)
		}
	}
	return s
}

// Macro returns the unweighted means of precision, recall and F1 over the present
// classes, as sklearn's average="macro" without labels (NaN when no class is present).
func (s ClassScores) Macro() (precision, recall, f1 float64) {
	var n float64
	for c, ok := range s.Present {
		if ok {
			n++
			precision += s.Precision[c]
			recall += s.Recall[c]
			f1 += s.F1[c]
		}
	}
	if n == 0 {
		return math.NaN(), math.NaN(), math.NaN()
	}
	return precision / n, recall / n, f1 / n
}

// ROCAUC returns the area under the ROC curve of scores for the binary truth positive,
// skipping missing scores (NaN, ±Inf). Tied scores count one half, so the area is the
// Mann–Whitney probability
//
//	AUC = (#{(p, n): s_p > s_n} + #{(p, n): s_p = s_n}/2) / (n_pos * n_neg)
//
// over positive/negative pairs, which is what sklearn.metrics.roc_auc_score computes
// (trapezoids over the distinct thresholds). NaN when either class is absent. It panics
// if the slices differ in length.
func ROCAUC(positive []bool, scores []float64) float64 {
	if len(positive) != len(scores) {
		panic("stats: ROCAUC: slices of different lengths")
	}
	var pos, neg []float64
	for i, s := range scores {
		if !isFinite(s) {
			continue
		}
		if positive[i] {
			pos = append(pos, s)
		} else {
			neg = append(neg, s)
		}
	}
	if len(pos) == 0 || len(neg) == 0 {
		return math.NaN()
	}
	Sort(pos)
	Sort(neg)
	// twice the Mann–Whitney U, an integer (exact in float64 below 2^53)
	var u2 float64
	lo, hi := 0, 0 // neg[:lo] < s, neg[:hi] <= s
	for _, s := range pos {
		for lo < len(neg) && neg[lo] < s {
			lo++
		}
		hi = max(hi, lo)
		for hi < len(neg) && neg[hi] <= s {
			hi++
		}
		u2 += float64(lo + hi)
	}
	return u2 / 2 / (float64(len(pos)) * float64(len(neg)))
}

// ROCAUCMacro returns the one-vs-rest ROC AUC of each class c (truth yTrue == c, scores
// proba[c]) averaged over the k classes, as sklearn.metrics.roc_auc_score(multi_class=
// "ovr", average="macro"). Rows with a missing class or a missing score are skipped. It
// is NaN when a class is absent from yTrue (sklearn raises) or when a row's scores do
// not sum to 1 (sklearn's check: numpy.allclose, rtol 1e-5, atol 1e-8; it raises too).
func ROCAUCMacro(yTrue []int32, proba [][]float64) float64 {
	k := len(proba)
	rows := keptRows(yTrue, proba)
	for _, i := range rows {
		var s float64
		for c := range k {
			s += proba[c][i]
		}
		if math.Abs(s-1) > 1e-8+1e-5 {
			return math.NaN()
		}
	}
	var total float64
	pos := make([]bool, len(rows))
	sc := make([]float64, len(rows))
	for c := range k {
		for t, i := range rows {
			pos[t], sc[t] = yTrue[i] == int32(c), proba[c][i]
		}
		a := ROCAUC(pos, sc)
		if math.IsNaN(a) {
			return math.NaN()
		}
		total += a
	}
	return total / float64(k)
}

// keptRows lists the rows with a class and finite scores in every column.
func keptRows(yTrue []int32, proba [][]float64) []int {
	var rows []int
rows:
	for i, y := range yTrue {
		if y < 0 {
			continue
		}
		for _, p := range proba {
			if !isFinite(p[i]) {
				continue rows
			}
		}
		rows = append(rows, i)
	}
	return rows
}

// LogLossEps is the clipping of LogLoss: float64 machine epsilon (sklearn's eps="auto").
const LogLossEps = 0x1p-52

// LogLossBinary returns the mean negative log-likelihood of the binary truth positive
// under the probabilities p of the positive class, as sklearn.metrics.log_loss(y, p):
// p is clipped to [eps, 1-eps] (eps = LogLossEps), the pair (1-p, p) renormalised to
// sum 1, and the loss of a row is -ln of its true class's share. Rows with a missing p
// are skipped; NaN when none remains. It panics if the slices differ in length.
func LogLossBinary(positive []bool, p []float64) float64 {
	if len(positive) != len(p) {
		panic("stats: LogLossBinary: slices of different lengths")
	}
	loss := make([]float64, 0, len(p))
	for i, v := range p {
		if !isFinite(v) {
			continue
		}
		v = min(max(v, LogLossEps), 1-LogLossEps)
		q := 1 - v
		s := q + v
		if positive[i] {
			loss = append(loss, -math.Log(v/s))
		} else {
			loss = append(loss, -math.Log(q/s))
		}
	}
	return meanOf(loss)
}

// LogLoss returns the multiclass log loss of yTrue (codes 0..k-1) under per-class
// probabilities proba[c][i], as sklearn.metrics.log_loss(y, P, labels=range(k)): each
// probability clipped to [eps, 1-eps], each row renormalised to sum 1, the loss of a row
// -ln of its true class's share. Rows with a missing class or score are skipped; NaN
// when none remains.
func LogLoss(yTrue []int32, proba [][]float64) float64 {
	rows := keptRows(yTrue, proba)
	loss := make([]float64, 0, len(rows))
	for _, i := range rows {
		var s, t float64
		for c, p := range proba {
			v := min(max(p[i], LogLossEps), 1-LogLossEps)
			s += v
			if int32(c) == yTrue[i] {
				t = v
			}
		}
		loss = append(loss, -math.Log(t/s))
	}
	return meanOf(loss)
}

// meanOf is numpy's mean (pairwise summation), NaN for an empty slice.
func meanOf(x []float64) float64 {
	if len(x) == 0 {
		return math.NaN()
	}
	return pairwiseSum(x) / float64(len(x))
}

// Regression holds regression quality metrics.
type Regression struct {
	N    int     // pairs with both values finite
	MAE  float64 // mean |y - p|
	RMSE float64 // sqrt(mean (y - p)^2)
	// MAPE is mean |y - p| / max(|y|, eps), eps = float64 machine epsilon
	// (sklearn.metrics.mean_absolute_percentage_error: a share, not a percentage).
	MAPE float64
	// R2 is 1 - sum (y - p)^2 / sum (y - mean y)^2; when y is constant, 1 if every
	// prediction is exact, else 0 (sklearn's force_finite). NaN below two pairs.
	R2 float64
	// MeanError is mean (p - y): positive when the model over-predicts.
	MeanError float64
}

// RegressionMetrics returns the regression metrics of predictions p for targets y over
// the pairs where both are finite, as sklearn.metrics' mean_absolute_error,
// mean_squared_error (square-rooted), mean_absolute_percentage_error and r2_score. All
// are NaN when no pair remains. It panics if the slices differ in length.
func RegressionMetrics(y, p []float64) Regression {
	if len(y) != len(p) {
		panic("stats: RegressionMetrics: slices of different lengths")
	}
	var yy, pp []float64
	for i, v := range y {
		if isFinite(v) && isFinite(p[i]) {
			yy = append(yy, v)
			pp = append(pp, p[i])
		}
	}
	n := len(yy)
	r := Regression{N: n}
	if n == 0 {
		nan := math.NaN()
		r.MAE, r.RMSE, r.MAPE, r.R2, r.MeanError = nan, nan, nan, nan, nan
		return r
	}
	abs, sq, pct, err := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	for i := range yy {
		d := pp[i] - yy[i]
		abs[i] = math.Abs(d)
		sq[i] = (yy[i] - pp[i]) * (yy[i] - pp[i])
		pct[i] = abs[i] / math.Max(math.Abs(yy[i]), 0x1p-52)
		err[i] = d
	}
	r.MAE, r.MAPE, r.MeanError = meanOf(abs), meanOf(pct), meanOf(err)
	mse := meanOf(sq)
	r.RMSE = math.Sqrt(mse)
	r.R2 = math.NaN()
	if n >= 2 {
		num := pairwiseSum(sq)
		mean := meanOf(yy)
		den := pairwiseSumSq(yy, mean)
		switch {
		case den != 0 && num != 0:
			r.R2 = 1 - num/den
		case num == 0:
			r.R2 = 1
		default:
			r.R2 = 0
		}
	}
	return r
}

// Quantiles returns the q-quantiles of the finite values of x (numpy.quantile's default
// 'linear' method), NaN when x has none. x is not modified.
func Quantiles(x []float64, qs ...float64) []float64 {
	s := Finite(nil, x)
	Sort(s)
	out := make([]float64, len(qs))
	for i, q := range qs {
		out[i] = QuantileSorted(s, q)
	}
	return out
}
