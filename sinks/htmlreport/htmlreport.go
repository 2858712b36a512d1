// Package htmlreport renders a drift report as one self-contained HTML file: a summary,
// a sortable table of columns, a picture per column (histogram overlay and ECDFs for
// numeric columns, side-by-side category bars for categorical ones, missing shares),
// correlation heatmaps and, given history, trend lines.
//
// The file loads nothing from the network: CSS, a little JavaScript (sorting, filtering,
// folding, heatmap tooltips) and the SVG plots are inline, and a Content-Security-Policy
// forbids every other source. Everything taken from data (column names, category
// labels, sources, messages) is escaped with html/template; plot text goes through
// template.HTMLEscapeString, and the script reads data only from data- attributes and
// writes it only as text.
package htmlreport

import (
	"bufio"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"io"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/driftwatch/driftwatch/pipeline"
)

// Options change what Write shows.
type Options struct {
	// Title of the page; default "driftwatch · <job>".
	Title string
	// History holds earlier runs of the same job, oldest first (the report itself is
	// the newest point and is not repeated here). With at least one point the report
	// shows the dataset's drifted share and each column's score as trend lines.
	History []HistoryPoint
}

// HistoryPoint is one earlier run of a job, as the trend lines need it.
type HistoryPoint struct {
	RunID       string
	LogicalTime time.Time
	Drifted     bool    // the dataset verdict
	Share       float64 // share of drifted feature columns
	Threshold   float64 // the dataset's drift share threshold
	Columns     map[string]ColumnPoint
}

// ColumnPoint is one column's result in an earlier run.
type ColumnPoint struct {
	Method string
	// Score is the number judged against Threshold: the p-value of a test (drift when
	// below), the statistic of a distance (drift when at or above).
	Score     float64
	Threshold float64
	Drifted   bool
}

// PointOf summarises a report as a history point, for callers that keep reports.
func PointOf(r *pipeline.Report) HistoryPoint {
	p := HistoryPoint{RunID: r.RunID, Drifted: r.DatasetDrift.Drifted, Share: float64(r.DatasetDrift.Share),
		Threshold: float64(r.DatasetDrift.Threshold), Columns: map[string]ColumnPoint{}}
	if r.LogicalTime != nil {
		p.LogicalTime = *r.LogicalTime
	}
	for i := range r.Columns {
		c := &r.Columns[i]
		if t := decidingTest(c); t != nil {
			p.Columns[c.Name] = ColumnPoint{Method: t.Method, Score: scoreOf(t), Threshold: float64(t.Threshold), Drifted: c.Drifted}
		}
	}
	return p
}

// Write renders r as one HTML document to w.
func Write(w io.Writer, r *pipeline.Report, opt Options) error {
	if r == nil {
		return errors.New("write html report: no report")
	}
	p, err := build(r, opt)
	if err != nil {
		return fmt.Errorf("write html report: %w", err)
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	if err := pageTemplate.Execute(bw, p); err != nil {
		return fmt.Errorf("write html report: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write html report: %w", err)
	}
	return nil
}

var (
	//go:embed page.html
	pageHTML string
	//go:embed style.css
	styleCSS string
	//go:embed script.js
	scriptJS string

	// csp allows the inline script by its hash and nothing from anywhere else.
	csp = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; script-src 'sha256-" +
		func() string { h := sha256.Sum256([]byte(scriptJS)); return base64.StdEncoding.EncodeToString(h[:]) }() + "'"

	pageTemplate = template.Must(template.New("page").Parse(pageHTML))
)

// page is what page.html renders. Strings are plain text (the template escapes them);
// template.HTML fields were built from escaped pieces (svg.go, generic.go).
type page struct {
	Style                           template.CSS // style.css, verbatim
	Script                          template.JS  // script.js, verbatim (its hash is in the CSP)
	Title, CSP                      string
	Job, RunID, Preset, LogicalTime string
	Drifted                         bool
	Verdict, VerdictNote            string
	Cards                           []card
	DatasetTrend                    template.HTML
	Sides                           []side
	Findings, MoreFindings          []finding
	Sections                        []section
	Heatmaps                        []heatmapGroup
	CorrelationFields               template.HTML
	Rows                            []row
	HasTrend                        bool
	Details                         []detail
	Counts                          string
}

type card struct{ Label, Value, Note, Class string }

type side struct{ Name, Source, Rows, Window string }

type finding struct{ Severity, Column, Type, Message, Values string }

type section struct {
	ID, Title string
	Body      template.HTML
}

type row struct {
	ID, Name, Kind, Role, Method  string
	Score, ScoreV, ScoreTitle     string
	Threshold, ThresholdV         string
	Verdict, VerdictClass, Order  string
	Missing, MissingV, MissingCls string
	Trend                         template.HTML
}

type plot struct {
	Title string
	SVG   template.HTML
}

type statRow struct{ Label, Ref, Cur string }

type testRow struct {
	Method, Statistic, PValue, Threshold, Verdict, VerdictClass, Bins, Error string
	Deciding                                                                 bool
}

type detail struct {
	ID, Name, Kind, Role  string
	Open                  bool
	Verdict, VerdictClass string
	Headline, Reason      string
	Missing, MissingClass string
	Plots                 []plot
	MissingSVG            template.HTML
	Stats                 []statRow
	Tests                 []testRow
	Findings              []finding
}

// decidingTest returns the test of the column's deciding method, else nil.
func decidingTest(c *pipeline.ColumnReport) *pipeline.TestResult {
	for i := range c.Tests {
		if c.Tests[i].Method == c.Method {
			return &c.Tests[i]
		}
	}
	return nil
}

func pValueMethod(name string) bool {
	m, ok := pipeline.LookupMethod(name)
	return ok && m.Direction == pipeline.PValueBelow
}

// scoreOf is the number a test's verdict compares with its threshold.
func scoreOf(t *pipeline.TestResult) float64 {
	if pValueMethod(t.Method) {
		return float64(t.PValue)
	}
	return float64(t.Statistic)
}

// strength is how far a score lies past its threshold on a log scale: log10(score/th)
// for distances, log10(th/p) for p-values; positive means drift. It sorts columns of
// different methods together and draws the trend lines.
func strength(method string, score, th float64) float64 {
	if math.IsNaN(score) || !(th > 0) {
		return math.NaN()
	}
	var v float64
	if pValueMethod(method) {
		v = math.Log10(th / score)
	} else {
		v = math.Log10(score / th)
	}
	return math.Max(-300, math.Min(300, v))
}

func verdictOf(c *pipeline.ColumnReport) (text, class string, order int) {
	switch {
	case c.Status == "skipped":
		return "skipped", "skip", 3
	case c.Status == pipeline.StatusInsufficientData:
		return "insufficient data", "warn", 1
	case c.Status == pipeline.StatusError:
		return "error", "warn", 1
	case c.Drifted:
		return "drift", "drift", 0
	case len(c.Tests) == 0:
		return "not tested", "skip", 3
	}
	return "ok", "ok", 2
}

func build(r *pipeline.Report, opt Options) (*page, error) {
	root, err := toNode(r)
	if err != nil {
		return nil, fmt.Errorf("encode report: %w", err)
	}
	p := &page{Style: template.CSS(styleCSS), Script: template.JS(scriptJS), Title: opt.Title, CSP: csp, Job: r.Job, RunID: r.RunID, Preset: r.Preset, LogicalTime: "ad-hoc comparison"}
	if p.Title == "" {
		p.Title = "driftwatch · " + r.Job
	}
	if r.LogicalTime != nil {
		p.LogicalTime = fmtTime(*r.LogicalTime)
	}
	d := r.DatasetDrift
	p.Drifted = d.Drifted
	p.Verdict = "No dataset drift"
	if d.Drifted {
		p.Verdict = "Dataset drift"
	}
	p.VerdictNote = fmt.Sprintf("%d of %d feature columns drifted (%s; threshold %s)", d.DriftedColumns, d.Columns,
		fmtPct(float64(d.Share)), fmtPct(float64(d.Threshold)))
	p.Counts = fmt.Sprintf("%d columns", len(r.Columns))

	p.Cards = cards(r, root)
	p.Sides = []side{sideOf("reference", r.Reference), sideOf("current", r.Current)}
	p.Findings = findings(r.Quality, "")
	// Long lists: errors and warnings stay in view, the rest folds away.
	if keep := max(shownFindings, countSevere(r.Quality)); len(p.Findings) > keep+2 {
		p.Findings, p.MoreFindings = p.Findings[:keep], p.Findings[keep:]
	}

	// Trend lines.
	if len(opt.History) > 0 {
		p.HasTrend = true
		var pts []trendPoint
		for _, h := range opt.History {
			pts = append(pts, trendPoint{label: pointLabel(h.LogicalTime, h.RunID), y: h.Share, drifted: h.Drifted,
				text: fmtPct(h.Share) + " drifted" + map[bool]string{true: " · drift", false: ""}[h.Drifted]})
		}
		now := PointOf(r)
		pts = append(pts, trendPoint{label: pointLabel(now.LogicalTime, now.RunID), y: now.Share, drifted: now.Drifted,
			text: fmtPct(now.Share) + " drifted" + map[bool]string{true: " · drift", false: ""}[now.Drifted] + " (this run)"})
		p.DatasetTrend = trendSVG(pts, float64(d.Threshold))
	}

	// Generic sections: model quality, model, fields added later, triggers.
	known := map[string]bool{"schema_version": true, "job": true, "run_id": true, "logical_time": true, "preset": true,
		"reference": true, "current": true, "dataset_drift": true, "columns": true, "correlations": true, "quality": true}
	titles := map[string]string{"performance": "Model quality", "model": "Model", "triggers": "Retrain triggers"}
	for i, k := range root.keys {
		if known[k] || empty(root.vals[i]) {
			continue
		}
		t := titles[k]
		if t == "" && k != "" {
			t = strings.ToUpper(humanKey(k)[:1]) + humanKey(k)[1:]
		}
		p.Sections = append(p.Sections, section{ID: "s-" + k, Title: t, Body: renderGeneric(root.vals[i])})
	}
	if c := root.get("correlations"); !empty(c) {
		p.Heatmaps = findHeatmaps(c)
		p.CorrelationFields = renderGeneric(c)
	}

	// Columns: drifted first, then problems, ok, skipped; within, the strongest first.
	idx := make([]int, len(r.Columns))
	keys := make([]float64, len(r.Columns))
	orders := make([]int, len(r.Columns))
	for i := range r.Columns {
		idx[i] = i
		c := &r.Columns[i]
		_, _, orders[i] = verdictOf(c)
		keys[i] = math.Inf(-1)
		if t := decidingTest(c); t != nil {
			if s := strength(t.Method, scoreOf(t), float64(t.Threshold)); !math.IsNaN(s) {
				keys[i] = s
			}
		}
	}
	sort.SliceStable(idx, func(a, b int) bool {
		i, j := idx[a], idx[b]
		if orders[i] != orders[j] {
			return orders[i] < orders[j]
		}
		if keys[i] != keys[j] {
			return keys[i] > keys[j]
		}
		return r.Columns[i].Name < r.Columns[j].Name
	})
	byColumn := map[string][]pipeline.Finding{}
	for _, f := range r.Quality {
		if f.Column != "" {
			byColumn[f.Column] = append(byColumn[f.Column], f)
		}
	}
	for k, i := range idx {
		c := &r.Columns[i]
		id := fmt.Sprintf("col-%d", k+1)
		rw := rowOf(c, id, orders[i], keys[i])
		if p.HasTrend {
			rw.Trend = columnTrend(c, opt.History, r)
		}
		p.Rows = append(p.Rows, rw)
		p.Details = append(p.Details, detailOf(c, id, byColumn[c.Name]))
	}
	return p, nil
}

func empty(n *node) bool {
	return n == nil || n.kind == 'z' || (n.kind == 'o' || n.kind == 'a') && len(n.vals) == 0
}

func pointLabel(t time.Time, runID string) string {
	if t.IsZero() {
		return runID
	}
	return fmtTime(t)
}

func sideOf(name string, d pipeline.DatasetInfo) side {
	s := side{Name: name, Source: d.Source, Rows: fmtInt(d.Rows), Window: "all rows"}
	if w := d.Window; w != nil {
		start, end := "…", "…"
		if w.Start != nil {
			start = fmtTime(*w.Start)
		}
		if w.End != nil {
			end = fmtTime(*w.End)
		}
		s.Window = "[" + start + ", " + end + ")"
	}
	return s
}

// shownFindings is how many findings the page lists before folding the rest (errors and
// warnings are always listed).
const shownFindings = 10

func countSevere(q []pipeline.Finding) int {
	n := 0
	for _, f := range q {
		if f.Severity == pipeline.SeverityError || f.Severity == pipeline.SeverityWarning {
			n++
		}
	}
	return n
}

var severityOrder = map[string]int{pipeline.SeverityError: 0, pipeline.SeverityWarning: 1, pipeline.SeverityInfo: 2}

// findings lists report findings, errors first (for one column when col != "").
func findings(q []pipeline.Finding, col string) []finding {
	var out []finding
	fs := append([]pipeline.Finding(nil), q...)
	sort.SliceStable(fs, func(i, j int) bool { return severityOrder[fs[i].Severity] < severityOrder[fs[j].Severity] })
	for _, f := range fs {
		if col != "" && f.Column != col {
			continue
		}
		v := ""
		if f.Value != nil {
			v = fmtNum(float64(*f.Value))
			if f.ReferenceValue != nil {
				v = fmtNum(float64(*f.ReferenceValue)) + " → " + v
			}
		}
		out = append(out, finding{Severity: f.Severity, Column: f.Column, Type: humanKey(f.Type), Message: f.Message, Values: v})
	}
	return out
}

// cards are the summary's headline facts.
func cards(r *pipeline.Report, root *node) []card {
	d := r.DatasetDrift
	out := []card{{Label: "Dataset", Value: "No drift", Class: "good",
		Note: fmt.Sprintf("%d of %d feature columns drifted · %s (threshold %s)", d.DriftedColumns, d.Columns, fmtPct(float64(d.Share)), fmtPct(float64(d.Threshold)))}}
	if d.Drifted {
		out[0].Value, out[0].Class = "Drift", "bad"
	}
	roleCard := func(label, key string, roles ...pipeline.Role) card {
		c := card{Label: label, Value: "not measured", Class: "neutral", Note: "no " + strings.ToLower(label[:strings.Index(label, " ")]) + " column"}
		var notes []string
		seen, tested, drifted := false, false, false
		for i := range r.Columns {
			col := &r.Columns[i]
			if !slices.Contains(roles, col.Role) {
				continue
			}
			seen = true
			v, _, _ := verdictOf(col)
			note := col.Name + ": " + v
			if t := decidingTest(col); t != nil {
				tested = true
				note += " (" + headline(t) + ")"
			} else if col.Reason != "" {
				note += " (" + col.Reason + ")"
			}
			notes = append(notes, note)
			drifted = drifted || col.Drifted
		}
		if n := root.get(key); !seen && n != nil && n.kind == 'o' {
			// A summary field without the columns in the report (e.g. columns filtered out).
			if dn := n.get("drifted"); dn != nil && dn.kind == 'b' {
				tested, drifted = true, dn.b
				notes = append(notes, "see "+strings.ToLower(label)+" below")
			}
		}
		if len(notes) > 0 {
			c.Note = strings.Join(notes, "; ")
		}
		if tested {
			c.Value, c.Class = "No drift", "good"
			if drifted {
				c.Value, c.Class = "Drift", "bad"
			}
		}
		return c
	}
	out = append(out, roleCard("Target drift", "target_drift", pipeline.RoleTarget, pipeline.RoleLabel),
		roleCard("Prediction drift", "prediction_drift", pipeline.RolePrediction, pipeline.RoleScore))

	perf := card{Label: "Model quality", Value: "not measured", Class: "neutral", Note: "no labels or no performance section"}
	if n := root.get("performance"); !empty(n) {
		perf.Value, perf.Class, perf.Note = "measured", "neutral", ""
		switch dg := n.get("degraded"); {
		case empty(n.get("current")) && n.get("current") != nil:
			perf.Value = "No labels yet" // nothing to judge the current window by
		case dg != nil && dg.kind == 'b' && dg.b:
			perf.Value, perf.Class = "Degraded", "bad"
		case dg != nil && dg.kind == 'b':
			perf.Value, perf.Class = "Within tolerance", "good"
		}
		var notes []string
		for _, k := range []string{"task", "label_coverage"} {
			if v := n.get(k); v != nil && v.scalar() {
				t := scalarText(v)
				if k == "label_coverage" && v.kind == 'n' {
					t = fmtPct(v.num)
				}
				notes = append(notes, humanKey(k)+" "+t)
			}
		}
		perf.Note = strings.Join(notes, " · ")
		if perf.Note == "" {
			perf.Note = "see Model quality below"
		}
	}
	out = append(out, perf)

	age := card{Label: "Model age", Value: "unknown", Class: "neutral", Note: "no model section"}
	if n := root.get("model"); !empty(n) {
		age.Note = ""
		if a := n.get("age_days"); a != nil && a.kind == 'n' {
			age.Value = fmtNum(a.num) + " days"
			if math.Abs(a.num-math.Round(a.num)) < 0.05 || math.Abs(a.num) >= 100 {
				age.Value = fmt.Sprintf("%.0f days", a.num)
			} else {
				age.Value = fmt.Sprintf("%.1f days", a.num)
			}
		}
		if t := n.get("trained_at"); t != nil && t.kind == 's' {
			age.Note = "trained " + t.str
			if ts, err := time.Parse(time.RFC3339Nano, t.str); err == nil {
				age.Note = "trained " + fmtTime(ts)
			}
		}
	}
	out = append(out, age)

	var errs, warns, infos int
	for _, f := range r.Quality {
		switch f.Severity {
		case pipeline.SeverityError:
			errs++
		case pipeline.SeverityWarning:
			warns++
		default:
			infos++
		}
	}
	q := card{Label: "Data quality", Value: "No findings", Class: "good", Note: "missing shares, ranges and categories as in the reference"}
	if n := len(r.Quality); n > 0 {
		q.Value = fmt.Sprintf("%d finding%s", n, map[bool]string{true: "", false: "s"}[n == 1])
		q.Note = fmt.Sprintf("%d error%s · %d warning%s · %d info", errs, plural(errs), warns, plural(warns), infos)
		switch {
		case errs > 0:
			q.Class = "bad"
		case warns > 0:
			q.Class = "warn"
		default:
			q.Class = "neutral"
		}
	}
	return append(out, q)
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// headline is a test's verdict in words: "p = 1.2e-05 < 0.05" or "0.23 ≥ 0.1".
func headline(t *pipeline.TestResult) string {
	s, th := scoreOf(t), float64(t.Threshold)
	if pValueMethod(t.Method) {
		op := "≥"
		if t.Drifted {
			op = "<"
		}
		if math.IsNaN(s) {
			return t.Method + ": p undefined"
		}
		return t.Method + " p = " + fmtNum(s) + " " + op + " " + fmtNum(th)
	}
	op := "<"
	if t.Drifted {
		op = "≥"
	}
	if math.IsNaN(s) {
		return t.Method + ": undefined"
	}
	return t.Method + " " + fmtNum(s) + " " + op + " " + fmtNum(th)
}

func missingOf(c *pipeline.ColumnReport) (text, key, class string) {
	rs, cs := float64(c.Reference.MissingShare), float64(c.Current.MissingShare)
	text = fmtPct(rs) + " → " + fmtPct(cs)
	if cs-rs >= pipeline.MissingShareJump {
		class = "warn"
	}
	if math.IsNaN(cs) {
		cs = -1
	}
	return text, sortKey(cs), class
}

func rowOf(c *pipeline.ColumnReport, id string, order int, key float64) row {
	v, vc, _ := verdictOf(c)
	rw := row{ID: id, Name: c.Name, Kind: c.Kind.String(), Role: c.Role.String(), Method: c.Method, Verdict: v, VerdictClass: vc,
		Score: dash, Threshold: dash, Order: fmt.Sprint(order)}
	if t := decidingTest(c); t != nil {
		s := scoreOf(t)
		rw.Score = fmtNum(s)
		if pValueMethod(t.Method) && !math.IsNaN(s) {
			rw.Score = "p " + fmtNum(s)
		}
		rw.ScoreTitle = headline(t)
		rw.Threshold, rw.ThresholdV = fmtNum(float64(t.Threshold)), sortKey(float64(t.Threshold))
	}
	if rw.Method == "" {
		rw.Method = dash
	}
	rw.ScoreV = sortKey(key)
	rw.Missing, rw.MissingV, rw.MissingCls = missingOf(c)
	return rw
}

func columnTrend(c *pipeline.ColumnReport, hist []HistoryPoint, r *pipeline.Report) template.HTML {
	var pts []trendPoint
	for _, h := range hist {
		cp, ok := h.Columns[c.Name]
		if !ok {
			continue
		}
		pts = append(pts, trendPoint{label: pointLabel(h.LogicalTime, h.RunID), y: strength(cp.Method, cp.Score, cp.Threshold),
			drifted: cp.Drifted, text: pointText(cp)})
	}
	now := PointOf(r)
	if cp, ok := now.Columns[c.Name]; ok {
		pts = append(pts, trendPoint{label: pointLabel(now.LogicalTime, now.RunID), y: strength(cp.Method, cp.Score, cp.Threshold),
			drifted: cp.Drifted, text: pointText(cp) + " (this run)"})
	}
	return sparklineSVG(pts)
}

func pointText(cp ColumnPoint) string {
	s := cp.Method + " " + fmtNum(cp.Score)
	if pValueMethod(cp.Method) {
		s = cp.Method + " p " + fmtNum(cp.Score)
	}
	if cp.Drifted {
		s += " · drift"
	}
	return s
}

func detailOf(c *pipeline.ColumnReport, id string, fs []pipeline.Finding) detail {
	v, vc, _ := verdictOf(c)
	d := detail{ID: id, Name: c.Name, Kind: c.Kind.String(), Role: c.Role.String(), Verdict: v, VerdictClass: vc,
		Open: c.Drifted, Reason: c.Reason}
	if t := decidingTest(c); t != nil {
		d.Headline = headline(t)
	}
	d.Missing, _, d.MissingClass = missingOf(c)
	ref, cur := c.Reference, c.Current
	datetime := c.Kind == pipeline.KindDatetime

	// Plots.
	rh, ch := ref.Histogram, cur.Histogram
	switch {
	case (rh != nil && len(rh.Edges) > 0) || (ch != nil && len(ch.Edges) > 0):
		h := numericHist{datetime: datetime}
		if rh != nil && len(rh.Edges) > 0 {
			h.edges, h.ref = nums(rh.Edges), rh.Counts
		}
		if ch != nil && len(ch.Edges) > 0 {
			if h.edges == nil {
				h.edges = nums(ch.Edges)
			} else if !slices.Equal(rh.Edges, ch.Edges) {
				h.edges = nil // the sides do not share their bins: no picture rather than a wrong one
			}
			h.cur = ch.Counts
		}
		if svg := histogramSVG(h); svg != "" {
			d.Plots = append(d.Plots, plot{Title: "Distribution (share of non-missing values per bin)", SVG: svg})
		}
		for i := range c.Tests {
			if c.Tests[i].Method == "ks" {
				if svg := ecdfSVG(h, float64(c.Tests[i].Statistic)); svg != "" {
					d.Plots = append(d.Plots, plot{Title: "Empirical CDFs (at the bin edges)", SVG: svg})
				}
				break
			}
		}
	case (rh != nil && len(rh.Labels) > 0) || (ch != nil && len(ch.Labels) > 0):
		h := categoryHist{}
		if rh != nil {
			h.labels, h.ref, h.refOther = rh.Labels, rh.Counts, rh.Other
		}
		if ch != nil {
			if h.labels == nil {
				h.labels = ch.Labels
			} else if !slices.Equal(h.labels, ch.Labels) {
				h.labels = nil
			}
			h.cur, h.curOther = ch.Counts, ch.Other
		}
		if svg := barsSVG(h); svg != "" {
			d.Plots = append(d.Plots, plot{Title: "Top categories (share of non-missing values)", SVG: svg})
		}
	}
	if c.Status != "skipped" || ref.Count+ref.Missing+cur.Count+cur.Missing > 0 {
		d.MissingSVG = missingSVG(float64(ref.MissingShare), float64(cur.MissingShare))
	}

	// Summary statistics.
	val := func(n *pipeline.Num) string {
		if n != nil && datetime && !math.IsNaN(float64(*n)) {
			return fmtTick(float64(*n), true, 0)
		}
		return fmtNumP(n)
	}
	d.Stats = []statRow{
		{"non-missing", fmtInt(ref.Count), fmtInt(cur.Count)},
		{"missing", fmtInt(ref.Missing) + " (" + fmtPct(float64(ref.MissingShare)) + ")", fmtInt(cur.Missing) + " (" + fmtPct(float64(cur.MissingShare)) + ")"},
		{"distinct", fmtInt(int64(ref.Distinct)), fmtInt(int64(cur.Distinct))},
	}
	if ref.Mean != nil || cur.Mean != nil {
		d.Stats = append(d.Stats, statRow{"mean", val(ref.Mean), val(cur.Mean)})
		if datetime {
			d.Stats = append(d.Stats, statRow{"std (days)", days(ref.Std), days(cur.Std)})
		} else {
			d.Stats = append(d.Stats, statRow{"std", fmtNumP(ref.Std), fmtNumP(cur.Std)})
		}
		d.Stats = append(d.Stats, statRow{"min", val(ref.Min), val(cur.Min)})
		for i, q := range []string{"p5", "p25", "median", "p75", "p95"} {
			d.Stats = append(d.Stats, statRow{q, quant(ref.Quantiles, i, val), quant(cur.Quantiles, i, val)})
		}
		d.Stats = append(d.Stats, statRow{"max", val(ref.Max), val(cur.Max)})
	}
	for i := range c.Tests {
		t := &c.Tests[i]
		tr := testRow{Method: t.Method, Statistic: fmtNum(float64(t.Statistic)), PValue: fmtNum(float64(t.PValue)),
			Threshold: fmtNum(float64(t.Threshold)), Verdict: "ok", VerdictClass: "ok", Error: t.Error, Deciding: t.Method == c.Method}
		if t.Drifted {
			tr.Verdict, tr.VerdictClass = "drift", "drift"
		}
		if t.Bins > 0 {
			tr.Bins = fmt.Sprintf("%d (%s)", t.Bins, humanKey(t.Binning))
		}
		d.Tests = append(d.Tests, tr)
	}
	d.Findings = findings(fs, c.Name)
	return d
}

func quant(q []pipeline.Num, i int, val func(*pipeline.Num) string) string {
	if i >= len(q) {
		return dash
	}
	return val(&q[i])
}

func days(n *pipeline.Num) string {
	if n == nil {
		return dash
	}
	return fmtNum(float64(*n) / 86400)
}

func nums(x []pipeline.Num) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = float64(v)
	}
	return out
}
