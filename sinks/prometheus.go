package sinks

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/driftwatch/driftwatch/internal/atomicfile"
	"github.com/driftwatch/driftwatch/pipeline"
)

//go:embed examples/prometheus.yaml
var prometheusExample string

// PrometheusConfig configures the prometheus sink: a push to a Pushgateway and/or a
// file for node_exporter's textfile collector. At least one is required.
type PrometheusConfig struct {
	// Pushgateway is the gateway's base URL; the metrics of a job replace its group,
	// PUT {pushgateway}/metrics/job/{job}.
	Pushgateway string `yaml:"pushgateway"`
	// Username and PasswordEnv: basic auth for the gateway (optional).
	Username    string `yaml:"username"`
	PasswordEnv string `yaml:"password_env"`
	// Textfile is a path template ({job}) of a .prom file, written atomically; relative
	// to the config file's folder and kept inside Base (default: that folder).
	Textfile string        `yaml:"textfile"`
	Base     string        `yaml:"base"`
	Timeout  time.Duration `yaml:"timeout"`
	Retry    RetryConfig   `yaml:"retry"`
}

// Validate checks the config without I/O.
func (c *PrometheusConfig) Validate() error {
	var errs []error
	if c.Pushgateway == "" && c.Textfile == "" {
		errs = append(errs, errors.New("pushgateway or textfile: at least one is required"))
	}
	if c.Pushgateway != "" {
		if err := checkURL("pushgateway", c.Pushgateway); err != nil {
			errs = append(errs, err)
		}
	}
	if (c.Username == "") != (c.PasswordEnv == "") {
		errs = append(errs, errors.New("username and password_env: give both"))
	}
	if err := checkEnvName("password_env", c.PasswordEnv, false); err != nil {
		errs = append(errs, err)
	}
	if c.Textfile != "" {
		if !strings.HasSuffix(c.Textfile, ".prom") {
			errs = append(errs, errors.New("textfile: must end in .prom (the textfile collector reads only those)"))
		}
		for _, m := range placeholder.FindAllString(c.Textfile, -1) {
			if m != "{job}" {
				errs = append(errs, fmt.Errorf("textfile: unknown placeholder %s (valid: {job})", m))
			}
		}
	}
	if c.Timeout < 0 {
		errs = append(errs, errors.New("timeout: must not be negative"))
	}
	if err := c.Retry.Validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

var prometheusFactory = Factory{
	Type:    "prometheus",
	Summary: "pushes drift metrics to a Prometheus Pushgateway (grouped by job) and/or writes a textfile-collector file",
	Example: prometheusExample,
	New: func(dec Decoder, deps Deps) (pipeline.Sink, error) {
		var cfg PrometheusConfig
		if err := dec(&cfg); err != nil {
			return nil, err
		}
		return NewPrometheus(cfg, deps.BaseDir)
	},
}

// Prometheus exports a report's metrics. A write replaces the job's metrics (the
// gateway group, the file), so writing a run again changes nothing.
type Prometheus struct {
	cfg      PrometheusConfig
	gateway  string
	textfile *File
	client   *http.Client
}

var _ pipeline.Sink = (*Prometheus)(nil)

// NewPrometheus validates cfg and returns the sink; it does no I/O.
func NewPrometheus(cfg PrometheusConfig, baseDir string) (*Prometheus, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("prometheus: %w", err)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = defaultHTTPTimeout
	}
	p := &Prometheus{cfg: cfg, gateway: strings.TrimRight(cfg.Pushgateway, "/"), client: &http.Client{}}
	if cfg.Textfile != "" {
		p.textfile = NewFile(FileConfig{Path: cfg.Textfile, Base: cfg.Base}, baseDir)
	}
	return p, nil
}

// CheckEnv reports whether the gateway password's variable is set.
func (p *Prometheus) CheckEnv() error {
	if err := checkEnv("password_env", p.cfg.PasswordEnv); err != nil {
		return fmt.Errorf("prometheus: %w", err)
	}
	return nil
}

// Write exports r to the gateway and to the textfile.
func (p *Prometheus) Write(ctx context.Context, r *pipeline.Report) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	var buf bytes.Buffer
	WriteMetrics(&buf, r)
	if p.textfile != nil {
		path, err := p.textfile.location(r)
		if err != nil {
			return fmt.Errorf("prometheus: %w", err)
		}
		if err := atomicfile.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			return fmt.Errorf("prometheus: %w", err)
		}
	}
	if p.gateway != "" {
		return p.push(ctx, r.Job, buf.Bytes())
	}
	return nil
}

// push replaces the job's group on the gateway.
func (p *Prometheus) push(ctx context.Context, job string, body []byte) error {
	endpoint := p.gateway + "/metrics/" + groupValue(job)
	display := redactURL(endpoint)
	auth := ""
	if p.cfg.Username != "" {
		pw, err := envSecret("password_env", p.cfg.PasswordEnv)
		if err != nil {
			return Permanent(fmt.Errorf("prometheus: %w", err))
		}
		auth = basicAuth(p.cfg.Username, pw)
	}
	err := Retry(ctx, p.cfg.Retry, func(ctx context.Context) error {
		actx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
		defer cancel()
		req, err := http.NewRequestWithContext(actx, http.MethodPut, endpoint, bytes.NewReader(body))
		if err != nil {
			return Permanent(fmt.Errorf("push to %s: build request", display))
		}
		req.Header.Set("Content-Type", "text/plain; version=0.0.4")
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := p.client.Do(req)
		if err != nil {
			return fmt.Errorf("push to %s: %w", display, cleanErr(err))
		}
		defer resp.Body.Close()
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		switch {
		case resp.StatusCode >= 200 && resp.StatusCode < 300:
			return nil
		case resp.StatusCode == http.StatusRequestTimeout || resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
			return fmt.Errorf("push to %s: %s%s", display, resp.Status, bodyNote(msg))
		}
		return Permanent(fmt.Errorf("push to %s: %s%s", display, resp.Status, bodyNote(msg)))
	})
	if err != nil {
		return fmt.Errorf("prometheus: %w", err)
	}
	return nil
}

// groupValue encodes a grouping-key value for the gateway's URL: as it is when it is a
// plain path segment, else base64url with the @base64 suffix.
func groupValue(v string) string {
	if v != "" && url.PathEscape(v) == v && !strings.Contains(v, "/") {
		return "job/" + v
	}
	return "job@base64/" + base64.RawURLEncoding.EncodeToString([]byte(v))
}

// Close does nothing; it is idempotent.
func (p *Prometheus) Close() error { return nil }

// metric is one sample.
type metric struct {
	labels [][2]string
	value  float64
}

type family struct {
	name, help string
	samples    []metric
}

// WriteMetrics writes r's metrics in the Prometheus text exposition format (0.0.4),
// one family at a time, every metric a gauge:
//
//	driftwatch_dataset_drifted{job}                      1 when the dataset drifted
//	driftwatch_dataset_drift_share{job}                  share of drifted feature columns
//	driftwatch_drifted_columns{job}, driftwatch_columns{job}
//	driftwatch_column_drifted{job,column}                1 when the column drifted
//	driftwatch_column_drift_score{job,column,method}     each method's statistic
//	driftwatch_column_drift_p_value{job,column,method}   tests only
//	driftwatch_column_drift_threshold{job,column,method}
//	driftwatch_column_missing_share{job,column,side}
//	driftwatch_rows{job,side}
//	driftwatch_quality_findings{job,severity}
//	driftwatch_model_age_days{job}                       when the report has one
//	driftwatch_run_duration_seconds{job}                 when the report has one
//	driftwatch_logical_time_seconds{job}                 the run's logical time (Unix)
//	driftwatch_retrain_trigger{job,rule}                 1 when the rule fired on this run
//
// Non-finite values are left out.
func WriteMetrics(w io.Writer, r *pipeline.Report) {
	job := [2]string{"job", r.Job}
	b2f := func(b bool) float64 {
		if b {
			return 1
		}
		return 0
	}
	d := r.DatasetDrift
	fams := []*family{
		{"driftwatch_dataset_drifted", "1 when the share of drifted feature columns reached the threshold.", []metric{{[][2]string{job}, b2f(d.Drifted)}}},
		{"driftwatch_dataset_drift_share", "Share of drifted feature columns.", []metric{{[][2]string{job}, float64(d.Share)}}},
		{"driftwatch_drifted_columns", "Number of drifted feature columns.", []metric{{[][2]string{job}, float64(d.DriftedColumns)}}},
		{"driftwatch_columns", "Number of tested feature columns.", []metric{{[][2]string{job}, float64(d.Columns)}}},
	}
	colDrifted := &family{name: "driftwatch_column_drifted", help: "1 when the column drifted."}
	score := &family{name: "driftwatch_column_drift_score", help: "Drift statistic of a column by method (distance or test statistic)."}
	pval := &family{name: "driftwatch_column_drift_p_value", help: "p-value of a column's drift test by method."}
	thr := &family{name: "driftwatch_column_drift_threshold", help: "Threshold of a column's drift method."}
	miss := &family{name: "driftwatch_column_missing_share", help: "Share of missing values of a column by side."}
	for _, c := range r.Columns {
		cl := [2]string{"column", c.Name}
		colDrifted.samples = append(colDrifted.samples, metric{[][2]string{job, cl}, b2f(c.Drifted)})
		for _, t := range c.Tests {
			ls := [][2]string{job, cl, {"method", t.Method}}
			score.samples = append(score.samples, metric{ls, float64(t.Statistic)})
			pval.samples = append(pval.samples, metric{ls, float64(t.PValue)})
			thr.samples = append(thr.samples, metric{ls, float64(t.Threshold)})
		}
		miss.samples = append(miss.samples,
			metric{[][2]string{job, cl, {"side", "reference"}}, float64(c.Reference.MissingShare)},
			metric{[][2]string{job, cl, {"side", "current"}}, float64(c.Current.MissingShare)})
	}
	fams = append(fams, colDrifted, score, pval, thr, miss,
		&family{"driftwatch_rows", "Rows read by side.", []metric{
			{[][2]string{job, {"side", "reference"}}, float64(r.Reference.Rows)},
			{[][2]string{job, {"side", "current"}}, float64(r.Current.Rows)}}})
	sev := map[string]int{pipeline.SeverityInfo: 0, pipeline.SeverityWarning: 0, pipeline.SeverityError: 0}
	for _, f := range r.Quality {
		sev[f.Severity]++
	}
	qf := &family{name: "driftwatch_quality_findings", help: "Data-quality findings by severity."}
	for _, s := range sortedKeys(sev) {
		qf.samples = append(qf.samples, metric{[][2]string{job, {"severity", s}}, float64(sev[s])})
	}
	fams = append(fams, qf)
	if age, ok := numberIn(r.Model, "age_days"); ok {
		fams = append(fams, &family{"driftwatch_model_age_days", "Days since the model was trained.", []metric{{[][2]string{job}, age}}})
	}
	if r.DurationS != nil {
		fams = append(fams, &family{"driftwatch_run_duration_seconds", "Duration of the run's analysis.", []metric{{[][2]string{job}, float64(*r.DurationS)}}})
	}
	if r.LogicalTime != nil {
		fams = append(fams, &family{"driftwatch_logical_time_seconds", "Logical time of the run (Unix seconds).",
			[]metric{{[][2]string{job}, float64(r.LogicalTime.Unix())}}})
	}
	if len(r.Triggers) > 0 {
		tf := &family{name: "driftwatch_retrain_trigger", help: "1 when the retrain rule fired on this run."}
		for _, t := range r.Triggers {
			tf.samples = append(tf.samples, metric{[][2]string{job, {"rule", t.Rule}}, b2f(t.Fire)})
		}
		fams = append(fams, tf)
	}
	for _, f := range fams {
		var live []metric
		for _, m := range f.samples {
			if !math.IsNaN(m.value) && !math.IsInf(m.value, 0) {
				live = append(live, m)
			}
		}
		if len(live) == 0 {
			continue
		}
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s gauge\n", f.name, f.help, f.name)
		for _, m := range live {
			io.WriteString(w, f.name)
			io.WriteString(w, "{")
			for i, l := range m.labels {
				if i > 0 {
					io.WriteString(w, ",")
				}
				fmt.Fprintf(w, `%s="%s"`, l[0], labelEscape.Replace(l[1]))
			}
			io.WriteString(w, "} ")
			io.WriteString(w, strconv.FormatFloat(m.value, 'g', -1, 64))
			io.WriteString(w, "\n")
		}
	}
}

var labelEscape = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)

func sortedKeys(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// numberIn reads a number at the top of a generic report section (model).
func numberIn(section any, key string) (float64, bool) {
	switch s := section.(type) {
	case map[string]any:
		switch v := s[key].(type) {
		case float64:
			return v, true
		case pipeline.Num:
			return float64(v), true
		case int:
			return float64(v), true
		}
	case nil:
		return 0, false
	}
	var m map[string]any
	if b, err := json.Marshal(section); err == nil && json.Unmarshal(b, &m) == nil {
		if v, ok := m[key].(float64); ok {
			return v, true
		}
	}
	return 0, false
}
