package sinks

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/driftwatch/driftwatch/pipeline"
)

//go:embed examples/airflow.yaml
var airflowExample string

// AirflowConfig configures the airflow sink: a DAG run through Airflow's stable REST
// API, POST {url}/api/v1/dags/{dag_id}/dagRuns.
type AirflowConfig struct {
	URL   string `yaml:"url" required:"true"`
	DAGID string `yaml:"dag_id" required:"true"`
	// TokenEnv (Bearer) or Username with PasswordEnv (basic auth) name the credentials'
	// environment variables; neither: no authentication.
	TokenEnv    string `yaml:"token_env"`
	Username    string `yaml:"username"`
	PasswordEnv string `yaml:"password_env"`
	// When is always (default) or drift, for reports; triggers always run the DAG.
	When    string        `yaml:"when"`
	Timeout time.Duration `yaml:"timeout"`
	Retry   RetryConfig   `yaml:"retry"`
}

var dagIDPattern = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

// Validate checks the config without I/O (it reads the credentials' variables).
func (c *AirflowConfig) Validate() error {
	var errs []error
	if err := checkURL("url", c.URL); err != nil {
		errs = append(errs, err)
	} else if u, _ := url.Parse(c.URL); u.User != nil {
		errs = append(errs, errors.New("url: must not hold credentials (use token_env or username and password_env)"))
	}
	if !dagIDPattern.MatchString(c.DAGID) {
		errs = append(errs, fmt.Errorf("dag_id: %q is not a DAG id (letters, digits, _ . -)", c.DAGID))
	}
	if c.TokenEnv != "" && (c.Username != "" || c.PasswordEnv != "") {
		errs = append(errs, errors.New("token_env: excludes username and password_env"))
	}
	if (c.Username == "") != (c.PasswordEnv == "") {
		errs = append(errs, errors.New("username and password_env: give both"))
	}
	if err := checkEnvName("token_env", c.TokenEnv, false); err != nil {
		errs = append(errs, err)
	}
	if err := checkEnvName("password_env", c.PasswordEnv, false); err != nil {
		errs = append(errs, err)
	}
	if err := validateWhen(c.When); err != nil {
		errs = append(errs, err)
	}
	if c.Timeout < 0 {
		errs = append(errs, errors.New("timeout: must not be negative"))
	}
	if err := c.Retry.Validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

var airflowFactory = Factory{
	Type:    "airflow",
	Summary: "triggers an Airflow DAG run (stable REST API) with the summary as conf; the dag_run_id is the run or trigger id",
	Example: airflowExample,
	New: func(dec Decoder, deps Deps) (pipeline.Sink, error) {
		var cfg AirflowConfig
		if err := dec(&cfg); err != nil {
			return nil, err
		}
		return NewAirflow(cfg)
	},
}

// Airflow triggers DAG runs. A DAG run id that exists already (409 Conflict) is a
// success: the run was triggered before.
type Airflow struct {
	cfg    AirflowConfig
	target httpTarget
}

var (
	_ pipeline.Sink        = (*Airflow)(nil)
	_ pipeline.TriggerSink = (*Airflow)(nil)
)

// NewAirflow validates cfg and returns the sink; it does no I/O.
func NewAirflow(cfg AirflowConfig) (*Airflow, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("airflow: %w", err)
	}
	endpoint := strings.TrimRight(cfg.URL, "/") + "/api/v1/dags/" + url.PathEscape(cfg.DAGID) + "/dagRuns"
	return &Airflow{cfg: cfg, target: newHTTPTarget(endpoint, "", cfg.Timeout)}, nil
}

// authorization returns the Authorization header value from the environment.
func (a *Airflow) authorization() (string, error) {
	switch {
	case a.cfg.TokenEnv != "":
		tok, err := envSecret("token_env", a.cfg.TokenEnv)
		return "Bearer " + tok, err
	case a.cfg.Username != "":
		pw, err := envSecret("password_env", a.cfg.PasswordEnv)
		return basicAuth(a.cfg.Username, pw), err
	}
	return "", nil
}

// CheckEnv reports the credentials' variables that are not set.
func (a *Airflow) CheckEnv() error {
	if err := checkEnv("token_env", a.cfg.TokenEnv, "password_env", a.cfg.PasswordEnv); err != nil {
		return fmt.Errorf("airflow: %w", err)
	}
	return nil
}

// DAGRunRequest is the body of POST /api/v1/dags/{dag_id}/dagRuns.
type DAGRunRequest struct {
	DAGRunID string         `json:"dag_run_id"`
	Conf     map[string]any `json:"conf"`
	Note     string         `json:"note,omitempty"`
}

// DAGRunID derives an Airflow run id from a driftwatch run or trigger id: "driftwatch__"
// and the id, with characters Airflow does not accept replaced by "_".
func DAGRunID(id string) string {
	return "driftwatch__" + runIDUnsafe.ReplaceAllString(id, "_")
}

// Airflow's default allowed_run_id_pattern is ^[A-Za-z0-9_.~:+-]+$.
var runIDUnsafe = regexp.MustCompile(`[^A-Za-z0-9_.~:+-]`)

// Write triggers a DAG run for the report (unless when: drift and nothing drifted).
func (a *Airflow) Write(ctx context.Context, r *pipeline.Report) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if a.cfg.When == WhenDrift && !r.DatasetDrift.Drifted && len(pipeline.Fired(r.Triggers)) == 0 {
		return nil
	}
	conf := map[string]any{"event": "report", "summary": pipeline.Summarize(r, pipeline.DefaultTop)}
	return a.post(ctx, r.RunID, DAGRunRequest{DAGRunID: DAGRunID(r.RunID), Conf: conf, Note: "driftwatch report " + r.RunID})
}

// Trigger triggers a DAG run for a retrain trigger; conf carries the trigger and the
// report summary.
func (a *Airflow) Trigger(ctx context.Context, t *pipeline.Trigger) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	conf := map[string]any{"event": "trigger", "trigger": t}
	return a.post(ctx, t.ID, DAGRunRequest{DAGRunID: DAGRunID(t.ID), Conf: conf,
		Note: fmt.Sprintf("driftwatch retrain trigger %s: %s", t.Rule, t.Message)})
}

func (a *Airflow) post(ctx context.Context, key string, req DAGRunRequest) error {
	body, err := json.Marshal(req)
	if err != nil {
		return Permanent(fmt.Errorf("airflow: encode dag run: %w", err))
	}
	auth, err := a.authorization()
	if err != nil {
		return Permanent(fmt.Errorf("airflow: %w", err))
	}
	h := http.Header{}
	h.Set(HeaderIdempotency, key)
	if auth != "" {
		h.Set("Authorization", auth)
	}
	err = Retry(ctx, a.cfg.Retry, func(ctx context.Context) error { return a.target.post(ctx, body, h, http.StatusConflict) })
	if err != nil {
		return fmt.Errorf("airflow: dag %s run %s: %w", a.cfg.DAGID, req.DAGRunID, err)
	}
	return nil
}

// Close does nothing; it is idempotent.
func (a *Airflow) Close() error { return nil }
