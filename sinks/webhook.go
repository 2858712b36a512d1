package sinks

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/driftwatch/driftwatch/pipeline"
)

//go:embed examples/webhook.yaml
var webhookExample string

// WebhookConfig configures the webhook sink.
type WebhookConfig struct {
	URL string `yaml:"url" required:"true"`
	// SecretEnv names the environment variable with the HMAC key: each request carries
	// X-Driftwatch-Signature: sha256=<hex HMAC-SHA256 of the body>. Optional.
	SecretEnv string `yaml:"secret_env"`
	// Headers are sent as they are; HeadersEnv sends a header whose value is read from
	// the named environment variable (Authorization: WEBHOOK_TOKEN).
	Headers    map[string]string `yaml:"headers"`
	HeadersEnv map[string]string `yaml:"headers_env"`
	// Body is what a report sends: summary (default: the verdict and the top drifted
	// columns) or report (the whole JSON report).
	Body    string        `yaml:"body"`
	Timeout time.Duration `yaml:"timeout"` // one attempt (default 10s)
	Retry   RetryConfig   `yaml:"retry"`
}

// Webhook bodies.
const (
	BodySummary = "summary"
	BodyReport  = "report"
)

// Validate checks the config without I/O (it reads the environment for the secrets).
func (c *WebhookConfig) Validate() error {
	var errs []error
	if err := checkURL("url", c.URL); err != nil {
		errs = append(errs, err)
	}
	if err := checkEnvName("secret_env", c.SecretEnv, false); err != nil {
		errs = append(errs, err)
	}
	for h, name := range c.HeadersEnv {
		if err := checkEnvName("headers_env."+h, name, true); err != nil {
			errs = append(errs, err)
		}
	}
	switch c.Body {
	case "", BodySummary, BodyReport:
	default:
		errs = append(errs, fmt.Errorf("body: %q is not valid (valid: summary, report)", c.Body))
	}
	if c.Timeout < 0 {
		errs = append(errs, errors.New("timeout: must not be negative"))
	}
	if err := c.Retry.Validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

var webhookFactory = Factory{
	Type:    "webhook",
	Summary: "POSTs JSON (report summary or retrain trigger), HMAC-signed, with an idempotency key, retried with backoff",
	Example: webhookExample,
	New: func(dec Decoder, deps Deps) (pipeline.Sink, error) {
		var cfg WebhookConfig
		if err := dec(&cfg); err != nil {
			return nil, err
		}
		return NewWebhook(cfg)
	},
}

// Webhook posts reports and triggers as signed JSON.
type Webhook struct {
	cfg    WebhookConfig
	target httpTarget
	header http.Header
}

var (
	_ pipeline.Sink        = (*Webhook)(nil)
	_ pipeline.TriggerSink = (*Webhook)(nil)
)

// NewWebhook validates cfg and returns the sink; it does no I/O.
func NewWebhook(cfg WebhookConfig) (*Webhook, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("webhook: %w", err)
	}
	w := &Webhook{cfg: cfg, target: newHTTPTarget(cfg.URL, "", cfg.Timeout), header: http.Header{}}
	for k, v := range cfg.Headers {
		w.header.Set(k, v)
	}
	return w, nil
}

// CheckEnv reports the secrets' variables that are not set.
func (w *Webhook) CheckEnv() error {
	pairs := []string{"secret_env", w.cfg.SecretEnv}
	for k, name := range w.cfg.HeadersEnv {
		pairs = append(pairs, "headers_env."+k, name)
	}
	if err := checkEnv(pairs...); err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	return nil
}

// ReportEvent is the body a webhook posts for a report.
type ReportEvent struct {
	Event   string           `json:"event"` // "report"
	Summary pipeline.Summary `json:"summary"`
	Report  *pipeline.Report `json:"report,omitempty"` // with body: report
}

// TriggerEvent is the body a webhook posts for a retrain trigger.
type TriggerEvent struct {
	Event   string           `json:"event"` // "trigger"
	Trigger pipeline.Trigger `json:"trigger"`
}

// Sign returns the X-Driftwatch-Signature value of body under secret:
// "sha256=" + hex(HMAC-SHA256(secret, body)).
func Sign(secret, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Write posts the report (its summary, or all of it) with the run id as idempotency key.
func (w *Webhook) Write(ctx context.Context, r *pipeline.Report) error {
	ev := ReportEvent{Event: "report", Summary: pipeline.Summarize(r, pipeline.DefaultTop)}
	if w.cfg.Body == BodyReport {
		ev.Report = r
	}
	return w.send(ctx, "report", r.RunID, ev)
}

// Trigger posts a retrain trigger with its id as idempotency key.
func (w *Webhook) Trigger(ctx context.Context, t *pipeline.Trigger) error {
	return w.send(ctx, "trigger", t.ID, TriggerEvent{Event: "trigger", Trigger: *t})
}

func (w *Webhook) send(ctx context.Context, event, key string, v any) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	body, err := json.Marshal(v)
	if err != nil {
		return Permanent(fmt.Errorf("webhook: encode %s: %w", event, err))
	}
	h := w.header.Clone()
	for k, name := range w.cfg.HeadersEnv {
		v, err := envSecret("headers_env."+k, name)
		if err != nil {
			return Permanent(fmt.Errorf("webhook: %w", err))
		}
		h.Set(k, v)
	}
	h.Set(HeaderEvent, event)
	h.Set(HeaderIdempotency, key)
	if w.cfg.SecretEnv != "" {
		secret, err := envSecret("secret_env", w.cfg.SecretEnv)
		if err != nil {
			return Permanent(fmt.Errorf("webhook: %w", err))
		}
		h.Set(HeaderSignature, Sign([]byte(secret), body))
	}
	if err := Retry(ctx, w.cfg.Retry, func(ctx context.Context) error { return w.target.post(ctx, body, h) }); err != nil {
		return fmt.Errorf("webhook: %s %s: %w", event, key, err)
	}
	return nil
}

// Close does nothing; it is idempotent.
func (w *Webhook) Close() error { return nil }

// String names the sink in logs: never the secret parts of the URL.
func (w *Webhook) String() string { return "webhook " + w.target.display }
