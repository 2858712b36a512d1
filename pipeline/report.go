package pipeline

import (
	"math"
	"strconv"
	"time"
)

// SchemaVersion is the version of the JSON report. Fields may be added freely; a
// rename or removal needs a bump.
const SchemaVersion = 1

// Num is a float64 that marshals non-finite values (NaN, ±Inf) as JSON null.
type Num float64

// MarshalJSON implements json.Marshaler.
func (n Num) MarshalJSON() ([]byte, error) {
	f := float64(n)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, f, 'g', -1, 64), nil
}

// UnmarshalJSON implements json.Unmarshaler; null becomes NaN.
func (n *Num) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*n = Num(math.NaN())
		return nil
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return err
	}
	*n = Num(f)
	return nil
}

// Severity of a finding.
const (
	SeverityInfo    = "info"
	SeverityWarning = "warning"
	SeverityError   = "error"
)

// Finding is a fact about the data worth a person's attention: a data-quality signal
// (missing share jump, unseen categories, schema change) or a problem that stopped a
// method (an all-null column). Findings are report content, not errors.
type Finding struct {
	Type           string `json:"type"`
	Column         string `json:"column,omitempty"`
	Severity       string `json:"severity"`
	Message        string `json:"message"`
	Value          *Num   `json:"value,omitempty"`
	ReferenceValue *Num   `json:"reference_value,omitempty"`
	Source         string `json:"source,omitempty"`
}

// NumPtr returns a pointer to Num(f), for optional report fields.
func NumPtr(f float64) *Num { n := Num(f); return &n }

// Report is the schema-1 drift report. See DESIGN.md, "Report schema".
type Report struct {
	SchemaVersion int            `json:"schema_version"`
	Job           string         `json:"job"`
	RunID         string         `json:"run_id"`
	LogicalTime   *time.Time     `json:"logical_time"` // null for ad-hoc compares
	Preset        string         `json:"preset"`
	Reference     DatasetInfo    `json:"reference"`
	Current       DatasetInfo    `json:"current"`
	DatasetDrift  DatasetDrift   `json:"dataset_drift"`
	Columns       []ColumnReport `json:"columns"`
	Correlations  any            `json:"correlations,omitempty"`
	Performance   any            `json:"performance,omitempty"`
	Model         any            `json:"model,omitempty"`
	// TargetDrift and PredictionDrift summarise the target's and the prediction's (and
	// scores') column verdicts, counted apart from the feature share (model.go).
	TargetDrift     *RoleDrift    `json:"target_drift,omitempty"`
	PredictionDrift *RoleDrift    `json:"prediction_drift,omitempty"`
	Multivariate    *Multivariate `json:"multivariate,omitempty"` // multivariate.go
	Quality         []Finding     `json:"quality"`
	Triggers        []Decision    `json:"triggers"` // retrain decisions (trigger.go); set by jobs
	// DurationS is how long the analysis took (wall clock, set by jobs; absent ad hoc).
	DurationS *Num `json:"-"` // not in the JSON file: a re-run of the same RunID writes the same bytes
}

// DatasetInfo describes one side of the comparison.
type DatasetInfo struct {
	Rows   int64       `json:"rows"`
	Source string      `json:"source"`
	Window *WindowJSON `json:"window"`
}

// WindowJSON is a window as the report writes it (RFC 3339, null for an open bound).
type WindowJSON struct {
	Start *time.Time `json:"start"`
	End   *time.Time `json:"end"`
}

// NewWindowJSON returns nil for the zero window.
func NewWindowJSON(w Window) *WindowJSON {
	if w.IsZero() {
		return nil
	}
	var j WindowJSON
	if !w.Start.IsZero() {
		s := w.Start.UTC()
		j.Start = &s
	}
	if !w.End.IsZero() {
		e := w.End.UTC()
		j.End = &e
	}
	return &j
}

// DatasetDrift is the dataset verdict: drifted when the share of drifted feature
// columns reaches Threshold.
type DatasetDrift struct {
	Drifted        bool `json:"drifted"`
	Share          Num  `json:"share"`
	Threshold      Num  `json:"threshold"`
	DriftedColumns int  `json:"drifted_columns"`
	Columns        int  `json:"columns"`
}

// Column statuses.
const (
	StatusOK               = "ok"
	StatusInsufficientData = "insufficient_data"
	StatusError            = "error"
)

// ColumnReport is the drift result of one column.
type ColumnReport struct {
	Name      string        `json:"name"`
	Kind      Kind          `json:"kind"`
	Role      Role          `json:"role"`
	Drifted   bool          `json:"drifted"`
	Method    string        `json:"method"`
	Status    string        `json:"status"`
	Reason    string        `json:"reason,omitempty"`
	Tests     []TestResult  `json:"tests"`
	Reference ColumnSummary `json:"reference"`
	Current   ColumnSummary `json:"current"`
}

// TestResult is the outcome of one method on one column.
type TestResult struct {
	Method    string `json:"method"`
	Statistic Num    `json:"statistic"`
	PValue    Num    `json:"p_value"` // null for distance methods
	Threshold Num    `json:"threshold"`
	Drifted   bool   `json:"drifted"`
	Binning   string `json:"binning,omitempty"`
	Bins      int    `json:"bins,omitempty"`
	Error     string `json:"error,omitempty"`
	// EffectSize, QValue and Reason are set by presets that judge effect sizes
	// (driftwatch): the bias-corrected effect, the Benjamini–Hochberg q-value over the
	// run's tests and a one-line reason.
	EffectSize *Num   `json:"effect_size,omitempty"`
	QValue     *Num   `json:"q_value,omitempty"`
	Reason     string `json:"reason,omitempty"`

	se   float64 // the effect's standard error, for the preset's insufficient-data rule
	note string  // the reason without its q-value
}

// ColumnSummary holds summary statistics of one side of a column.
type ColumnSummary struct {
	Count        int64           `json:"count"` // non-missing values
	Missing      int64           `json:"missing"`
	MissingShare Num             `json:"missing_share"`
	Distinct     int             `json:"distinct"`
	Min          *Num            `json:"min,omitempty"`
	Max          *Num            `json:"max,omitempty"`
	Mean         *Num            `json:"mean,omitempty"`
	Std          *Num            `json:"std,omitempty"`
	Quantiles    []Num           `json:"quantiles,omitempty"` // p5, p25, p50, p75, p95
	Top          []CategoryCount `json:"top,omitempty"`
	Histogram    *Histogram      `json:"histogram,omitempty"` // for plots; see Histogram
}

// Histogram is one side's distribution of a column, for plots (the HTML report).
//
// Numeric (valued) columns: Counts[i] counts the values in [Edges[i], Edges[i+1]), the
// last bin closed; reference and current share their Edges. The first and the last bin
// are tails: they reach from the smallest and to the largest value of both sides and may
// be empty (then of width 0). Categorical columns: Labels are the union of both sides' top
// categories (the same list, in the same order, on both sides), Counts their counts, and
// Other (omitted when 0) counts every other category. How the bins are chosen:
// summary.go, histogramOf.
type Histogram struct {
	Edges  []Num    `json:"edges,omitempty"`
	Labels []string `json:"labels,omitempty"`
	Counts []int64  `json:"counts"`
	Other  int64    `json:"other,omitempty"`
}

// CategoryCount is one category and how often it occurs.
type CategoryCount struct {
	Value string `json:"value"`
	Count int64  `json:"count"`
}
