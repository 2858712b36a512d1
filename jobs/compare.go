package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/driftwatch/driftwatch/pipeline"
	"github.com/driftwatch/driftwatch/sinks/htmlreport"
	"github.com/driftwatch/driftwatch/sources"
	"github.com/driftwatch/driftwatch/stats"
)

func cmdCompare(ctx context.Context, args []string, env Env) (int, error) {
	fs := newFlags("compare", env)
	refPath := fs.String("reference", "", "reference data: a Parquet/Arrow file, a folder or a glob (required)")
	curPath := fs.String("current", "", "current data: a Parquet/Arrow file, a folder or a glob (required)")
	columns := fs.String("columns", "", "comma-separated columns to compare (default: all)")
	preset := fs.String("preset", pipeline.DefaultPreset, "preset that chooses methods per column: "+fmt.Sprint(pipeline.PresetNames()))
	methods := fs.String("method", "", "comma-separated methods to compute for every column they apply to (overrides --preset)")
	format := fs.String("format", "json", "output format: json, text or html (one self-contained page)")
	binning := fs.String("binning", "default", "bins of psi, kl, jensen_shannon, hellinger: default or sturges")
	share := fs.Float64("drift-share", 0.5, "dataset drift when this share of feature columns drift")
	target := fs.String("target", "", "target (ground truth) column")
	prediction := fs.String("prediction", "", "prediction column")
	id := fs.String("id", "", "id column (not tested)")
	timestamp := fs.String("timestamp", "", "timestamp column (not tested)")
	score := fs.String("score", "", "comma-separated score columns: the positive class's probability, or one per class in class order")
	task := fs.String("task", "", "classification or regression (default: inferred from the target)")
	failOnDrift := fs.Bool("fail-on-drift", false, "exit 3 when the dataset drifted")
	checks := fs.String("checks", "", "run-level checks beyond column drift: correlations, multivariate, all (default: none; model quality runs whenever --target and --prediction are given)")
	if err := parseFlags(fs, args); err != nil {
		return 0, err
	}
	if *refPath == "" || *curPath == "" {
		return 0, usagef("compare: --reference and --current are required")
	}
	if *format != "json" && *format != "text" && *format != "html" {
		return 0, usagef("compare: --format %q is not valid (valid: json, text, html)", *format)
	}
	b, err := parseBinning(*binning)
	if err != nil {
		return 0, &UsageError{Err: fmt.Errorf("compare: --binning: %w", err)}
	}
	ms, err := pipeline.ParseMethods(splitList(*methods))
	if err != nil {
		return 0, &UsageError{Err: fmt.Errorf("compare: --method: %w", err)}
	}
	if _, err := pipeline.LookupPreset(*preset); err != nil {
		return 0, &UsageError{Err: fmt.Errorf("compare: --preset: %w", err)}
	}
	if *share <= 0 || *share > 1 {
		return 0, usagef("compare: --drift-share must be in (0, 1]")
	}
	if *task != "" && *task != pipeline.TaskClassification && *task != pipeline.TaskRegression {
		return 0, usagef("compare: --task %q is not valid (valid: classification, regression)", *task)
	}
	corrOn, multiOn := false, false
	for _, c := range splitList(*checks) {
		switch c {
		case "correlations":
			corrOn = true
		case "multivariate":
			multiOn = true
		case "all":
			corrOn, multiOn = true, true
		case "none":
		default:
			return 0, usagef("compare: --checks: unknown check %q (valid: correlations, multivariate, all, none)", c)
		}
	}
	deps := sources.Deps{Logger: env.Logger}
	ref, err := openInput(ctx, *refPath, deps) // data or a profile file (profile.go)
	if err != nil {
		return 0, fmt.Errorf("reference: %w", err)
	}
	cur, err := openInput(ctx, *curPath, deps) // data or a profile file (profile.go)
	if err != nil {
		return 0, fmt.Errorf("current: %w", err)
	}
	rep, err := pipeline.Run(ctx, pipeline.Input{Reference: ref, Current: cur}, pipeline.Options{
		Job: "compare", RunID: "compare", Preset: *preset, Methods: ms, Binning: b, DriftShare: *share,
		Columns: splitList(*columns), Logger: env.Logger,
		Roles:        pipeline.Roles{Target: *target, Prediction: *prediction, Scores: splitList(*score), ID: *id, Timestamp: *timestamp},
		Performance:  pipeline.PerformanceOptions{Task: *task},
		Correlations: pipeline.CorrelationOptions{Disabled: !corrOn},
		Multivariate: pipeline.MultivariateOptions{Disabled: !multiOn},
	})
	if err != nil {
		return 0, err
	}
	switch *format {
	case "text":
		WriteText(env.Stdout, rep)
	case "html":
		if err := htmlreport.Write(env.Stdout, rep, htmlreport.Options{}); err != nil {
			return 0, err
		}
	default:
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return 0, fmt.Errorf("write report: %w", err)
		}
	}
	if *failOnDrift && rep.DatasetDrift.Drifted {
		return ExitDrifted, nil
	}
	return ExitOK, nil
}

func parseBinning(s string) (stats.Binning, error) {
	switch s {
	case "", "default":
		return stats.BinningDefault, nil
	case "sturges":
		return stats.BinningSturges, nil
	}
	return 0, fmt.Errorf("%q is not valid (valid: default, sturges)", s)
}

// WriteText writes a compact, aligned table of the report for a terminal.
func WriteText(w io.Writer, r *pipeline.Report) {
	d := r.DatasetDrift
	verdict := "no dataset drift"
	if d.Drifted {
		verdict = "DATASET DRIFT"
	}
	title := r.Job
	if r.LogicalTime != nil {
		title += " @ " + r.LogicalTime.Format("2006-01-02T15:04:05Z07:00")
	}
	fmt.Fprintf(w, "%s: %s: %d of %d feature columns drifted (share %.2f, threshold %.2f); preset %s\n",
		title, verdict, d.DriftedColumns, d.Columns, float64(d.Share), float64(d.Threshold), r.Preset)
	fmt.Fprintf(w, "reference %d rows (%s); current %d rows (%s)\n\n", r.Reference.Rows, r.Reference.Source, r.Current.Rows, r.Current.Source)
	nameW := len("COLUMN")
	for _, c := range r.Columns {
		nameW = max(nameW, min(len(c.Name), 40))
	}
	fmt.Fprintf(w, "%-*s  %-11s %-10s %-15s %12s %12s %10s  %s\n", nameW, "COLUMN", "KIND", "ROLE", "METHOD", "STATISTIC", "P-VALUE", "THRESHOLD", "VERDICT")
	for _, c := range r.Columns {
		name := c.Name
		if len(name) > 40 {
			name = name[:39] + "…"
		}
		verdict := "ok"
		switch {
		case c.Status != pipeline.StatusOK:
			verdict = c.Status + ": " + c.Reason
		case c.Drifted:
			verdict = "DRIFT"
		case c.Method == "":
			verdict = c.Reason
		}
		if len(c.Tests) == 0 {
			fmt.Fprintf(w, "%-*s  %-11s %-10s %-15s %12s %12s %10s  %s\n", nameW, name, c.Kind, c.Role, "-", "-", "-", "-", verdict)
			continue
		}
		for i, t := range c.Tests {
			v := verdict
			if i > 0 {
				name, v = "", map[bool]string{true: "(drift)", false: "(ok)"}[t.Drifted]
			}
			fmt.Fprintf(w, "%-*s  %-11s %-10s %-15s %12s %12s %10s  %s\n", nameW, name, c.Kind, c.Role, t.Method,
				fmtNum(t.Statistic), fmtNum(t.PValue), fmtNum(t.Threshold), v)
		}
	}
	writeChecksText(w, r)
	if len(r.Quality) > 0 {
		fmt.Fprintf(w, "\nfindings:\n")
		for _, f := range r.Quality {
			col := ""
			if f.Column != "" {
				col = f.Column + ": "
			}
			fmt.Fprintf(w, "  [%s] %s%s (%s)\n", f.Severity, col, f.Message, f.Type)
		}
	}
}

func fmtNum(n pipeline.Num) string {
	b, _ := n.MarshalJSON()
	if string(b) == "null" {
		return "-"
	}
	return fmt.Sprintf("%.4g", float64(n))
}
