package sinks

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/driftwatch/driftwatch/pipeline"
)

//go:embed examples/slack.yaml
var slackExample string

// SlackConfig configures the slack sink (an incoming webhook).
type SlackConfig struct {
	// URLEnv names the environment variable with the incoming-webhook URL (the URL is
	// the credential: it never sits in the config).
	URLEnv string `yaml:"url_env" required:"true"`
	// When is always (default) or drift: post only reports with dataset drift or a
	// firing trigger. Triggers are always posted.
	When    string        `yaml:"when"`
	Top     int           `yaml:"top"` // drifted columns listed (default 5)
	Timeout time.Duration `yaml:"timeout"`
	Retry   RetryConfig   `yaml:"retry"`
}

// When values.
const (
	WhenAlways = "always"
	WhenDrift  = "drift"
)

func validateWhen(w string) error {
	switch w {
	case "", WhenAlways, WhenDrift:
		return nil
	}
	return fmt.Errorf("when: %q is not valid (valid: always, drift)", w)
}

// Validate checks the config without I/O (it reads the URL from the environment).
func (c *SlackConfig) Validate() error {
	var errs []error
	if err := checkEnvName("url_env", c.URLEnv, true); err != nil {
		errs = append(errs, err)
	}
	if err := validateWhen(c.When); err != nil {
		errs = append(errs, err)
	}
	if c.Top < 0 {
		errs = append(errs, errors.New("top: must not be negative"))
	}
	if c.Timeout < 0 {
		errs = append(errs, errors.New("timeout: must not be negative"))
	}
	if err := c.Retry.Validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

var slackFactory = Factory{
	Type:    "slack",
	Summary: "posts the verdict and the top drifted columns (and retrain triggers) to a Slack incoming webhook",
	Example: slackExample,
	New: func(dec Decoder, deps Deps) (pipeline.Sink, error) {
		var cfg SlackConfig
		if err := dec(&cfg); err != nil {
			return nil, err
		}
		return NewSlack(cfg)
	},
}

// Slack posts messages to an incoming webhook. Slack does not deduplicate: the sink
// posts a run id or trigger id once per process, sends the id as Idempotency-Key (for
// proxies that honour it) and names it in the message.
type Slack struct {
	cfg    SlackConfig
	mu     sync.Mutex
	posted map[string]bool
}

var (
	_ pipeline.Sink        = (*Slack)(nil)
	_ pipeline.TriggerSink = (*Slack)(nil)
)

// NewSlack validates cfg and returns the sink; it does no I/O.
func NewSlack(cfg SlackConfig) (*Slack, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("slack: %w", err)
	}
	if cfg.Top == 0 {
		cfg.Top = pipeline.DefaultTop
	}
	return &Slack{cfg: cfg, posted: map[string]bool{}}, nil
}

// target reads the webhook URL from the environment.
func (s *Slack) target() (httpTarget, error) {
	u, err := envSecret("url_env", s.cfg.URLEnv)
	if err == nil && checkURL("url_env", u) != nil {
		err = fmt.Errorf("url_env: %s does not hold an http or https URL", s.cfg.URLEnv)
	}
	if err != nil {
		return httpTarget{}, Permanent(fmt.Errorf("slack: %w", err))
	}
	if pu, perr := url.Parse(u); perr == nil {
		rememberSecret(pu.Path) // the token part, should a proxy echo it
	}
	return newHTTPTarget(u, "the slack webhook of $"+s.cfg.URLEnv, s.cfg.Timeout), nil
}

// CheckEnv reports whether the webhook URL's variable is set.
func (s *Slack) CheckEnv() error {
	_, err := s.target()
	return err
}

// SlackMessage is the body of an incoming-webhook post.
type SlackMessage struct {
	Text   string       `json:"text"`
	Blocks []SlackBlock `json:"blocks,omitempty"`
}

// SlackBlock is one Block Kit section.
type SlackBlock struct {
	Type string     `json:"type"`
	Text *SlackText `json:"text,omitempty"`
}

// SlackText is Block Kit text.
type SlackText struct {
	Type string `json:"type"` // mrkdwn
	Text string `json:"text"`
}

func section(s string) SlackBlock {
	return SlackBlock{Type: "section", Text: &SlackText{Type: "mrkdwn", Text: s}}
}

// slackEscape escapes the characters Slack's mrkdwn treats as markup.
var slackEscape = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// ReportMessage renders the Slack message of a report.
func ReportMessage(r *pipeline.Report, top int) SlackMessage {
	s := pipeline.Summarize(r, top)
	verdict := "no dataset drift"
	icon := ":white_check_mark:"
	if s.DatasetDrifted {
		verdict, icon = "dataset drift", ":warning:"
	}
	when := "ad hoc"
	if s.LogicalTime != nil {
		when = s.LogicalTime.UTC().Format(time.RFC3339)
	}
	head := fmt.Sprintf("%s *%s*: %s at %s: %d of %d feature columns drifted (share %s, threshold %s)",
		icon, slackEscape.Replace(s.Job), verdict, when, s.DriftedColumns, s.Columns, fmtNum(s.Share), fmtNum(s.Threshold))
	msg := SlackMessage{Text: head, Blocks: []SlackBlock{section(head)}}
	if len(s.TopDrifted) > 0 {
		var b strings.Builder
		b.WriteString("*Most drifted columns*")
		for _, c := range s.TopDrifted {
			fmt.Fprintf(&b, "\n• `%s` %s %s", slackEscape.Replace(c.Name), c.Method, fmtNum(c.Statistic))
			if !math.IsNaN(float64(c.PValue)) {
				fmt.Fprintf(&b, " (p %s)", fmtNum(c.PValue))
			}
		}
		msg.Blocks = append(msg.Blocks, section(b.String()))
	}
	var foot []string
	if s.Findings > 0 {
		foot = append(foot, fmt.Sprintf("%d data-quality findings (%d errors)", s.Findings, s.Errors))
	}
	if len(s.Triggers) > 0 {
		foot = append(foot, "retrain triggers: "+strings.Join(s.Triggers, ", "))
	}
	foot = append(foot, "run "+slackEscape.Replace(s.RunID))
	msg.Blocks = append(msg.Blocks, section(strings.Join(foot, " · ")))
	return msg
}

// TriggerMessage renders the Slack message of a retrain trigger.
func TriggerMessage(t *pipeline.Trigger) SlackMessage {
	head := fmt.Sprintf(":rotating_light: *%s*: retrain trigger `%s` (%s) at %s", slackEscape.Replace(t.Job),
		slackEscape.Replace(t.Rule), t.Severity, t.LogicalTime.UTC().Format(time.RFC3339))
	body := slackEscape.Replace(t.Message) + "\ntrigger " + slackEscape.Replace(t.ID)
	return SlackMessage{Text: head, Blocks: []SlackBlock{section(head), section(body)}}
}

func fmtNum(n pipeline.Num) string {
	f := float64(n)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "n/a"
	}
	return fmt.Sprintf("%.4g", f)
}

// Write posts the report's message (unless when: drift and nothing drifted or fired).
func (s *Slack) Write(ctx context.Context, r *pipeline.Report) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.cfg.When == WhenDrift && !r.DatasetDrift.Drifted && len(pipeline.Fired(r.Triggers)) == 0 {
		return nil
	}
	return s.post(ctx, "report", r.RunID, ReportMessage(r, s.cfg.Top))
}

// Trigger posts the trigger's message.
func (s *Slack) Trigger(ctx context.Context, t *pipeline.Trigger) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.post(ctx, "trigger", t.ID, TriggerMessage(t))
}

func (s *Slack) post(ctx context.Context, event, key string, m SlackMessage) error {
	s.mu.Lock()
	done := s.posted[event+"/"+key]
	s.mu.Unlock()
	if done {
		return nil
	}
	target, err := s.target()
	if err != nil {
		return err
	}
	body, err := json.Marshal(m)
	if err != nil {
		return Permanent(fmt.Errorf("slack: encode message: %w", err))
	}
	h := http.Header{}
	h.Set(HeaderIdempotency, key)
	h.Set(HeaderEvent, event)
	if err := Retry(ctx, s.cfg.Retry, func(ctx context.Context) error { return target.post(ctx, body, h) }); err != nil {
		return fmt.Errorf("slack: %s %s: %w", event, key, err)
	}
	s.mu.Lock()
	s.posted[event+"/"+key] = true
	s.mu.Unlock()
	return nil
}

// Close does nothing; it is idempotent.
func (s *Slack) Close() error { return nil }
