package sinks

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/driftwatch/driftwatch/pipeline"
)

//go:embed examples/command.yaml
var commandExample string

// CommandConfig configures the command sink: a program run without a shell.
type CommandConfig struct {
	// Argv is the program and its arguments; a relative program path resolves against
	// the config file's folder, a bare name through PATH.
	Argv    []string      `yaml:"argv" required:"true"`
	Timeout time.Duration `yaml:"timeout"` // default 1m; the process is killed after it
	// When is always (default) or drift, for reports; triggers always run it.
	When string `yaml:"when"`
	// PassEnv lists the variables of driftwatch's environment the program sees (default
	// PATH and HOME: secrets of driftwatch stay with driftwatch); Env adds variables.
	PassEnv []string          `yaml:"pass_env"`
	Env     map[string]string `yaml:"env"`
	Dir     string            `yaml:"dir"` // working folder (default: the config file's)
}

const defaultCommandTimeout = time.Minute

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Validate checks the config without I/O.
func (c *CommandConfig) Validate() error {
	var errs []error
	if len(c.Argv) == 0 || c.Argv[0] == "" {
		errs = append(errs, errors.New("argv: required (the program first)"))
	}
	if c.Timeout < 0 {
		errs = append(errs, errors.New("timeout: must not be negative"))
	}
	if err := validateWhen(c.When); err != nil {
		errs = append(errs, err)
	}
	for _, n := range c.PassEnv {
		if !envName.MatchString(n) {
			errs = append(errs, fmt.Errorf("pass_env: %q is not a variable name", n))
		}
	}
	for n := range c.Env {
		if !envName.MatchString(n) || strings.HasPrefix(n, "DRIFTWATCH_") {
			errs = append(errs, fmt.Errorf("env: %q is not a variable name of its own (DRIFTWATCH_* are driftwatch's)", n))
		}
	}
	return errors.Join(errs...)
}

var commandFactory = Factory{
	Type:    "command",
	Summary: "runs a program (argv, no shell) with the report path and summary in its environment, with a timeout",
	Example: commandExample,
	New: func(dec Decoder, deps Deps) (pipeline.Sink, error) {
		var cfg CommandConfig
		if err := dec(&cfg); err != nil {
			return nil, err
		}
		return NewCommand(cfg, deps.BaseDir)
	},
}

// Command runs a program per report or trigger. The program gets, in its environment:
//
//	DRIFTWATCH_EVENT            report | trigger
//	DRIFTWATCH_IDEMPOTENCY_KEY  the run id or the trigger id (the program deduplicates)
//	DRIFTWATCH_JOB, DRIFTWATCH_RUN_ID, DRIFTWATCH_LOGICAL_TIME (RFC 3339, empty ad hoc)
//	DRIFTWATCH_DATASET_DRIFTED  true | false
//	DRIFTWATCH_DRIFT_SHARE, DRIFTWATCH_DRIFTED_COLUMNS (comma-separated names)
//	DRIFTWATCH_SUMMARY          the summary as JSON
//	DRIFTWATCH_REPORT_PATH      a JSON file with the whole report, removed afterwards
//	DRIFTWATCH_TRIGGER_ID, DRIFTWATCH_TRIGGER_RULE, DRIFTWATCH_TRIGGER_SEVERITY,
//	DRIFTWATCH_TRIGGER          (triggers) the id, rule, severity and the trigger as JSON
//
// A non-zero exit is an error (retried on the next delivery for triggers); exit code 64
// (EX_USAGE) is permanent.
type Command struct {
	cfg  CommandConfig
	argv []string
	dir  string
}

var (
	_ pipeline.Sink        = (*Command)(nil)
	_ pipeline.TriggerSink = (*Command)(nil)
)

// NewCommand validates cfg and returns the sink; it does no I/O.
func NewCommand(cfg CommandConfig, baseDir string) (*Command, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("command: %w", err)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = defaultCommandTimeout
	}
	if cfg.PassEnv == nil {
		cfg.PassEnv = []string{"PATH", "HOME"}
	}
	argv := append([]string(nil), cfg.Argv...)
	if strings.ContainsRune(argv[0], filepath.Separator) && !filepath.IsAbs(argv[0]) {
		argv[0] = filepath.Join(baseDir, argv[0])
	}
	dir := cfg.Dir
	if dir == "" {
		dir = baseDir
	} else if !filepath.IsAbs(dir) {
		dir = filepath.Join(baseDir, dir)
	}
	return &Command{cfg: cfg, argv: argv, dir: dir}, nil
}

// Write runs the program for a report.
func (c *Command) Write(ctx context.Context, r *pipeline.Report) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if c.cfg.When == WhenDrift && !r.DatasetDrift.Drifted && len(pipeline.Fired(r.Triggers)) == 0 {
		return nil
	}
	return c.run(ctx, "report", r.RunID, r, nil)
}

// Trigger runs the program for a retrain trigger.
func (c *Command) Trigger(ctx context.Context, t *pipeline.Trigger) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return c.run(ctx, "trigger", t.ID, nil, t)
}

func (c *Command) run(ctx context.Context, event, key string, r *pipeline.Report, t *pipeline.Trigger) error {
	env := []string{}
	for _, n := range c.cfg.PassEnv {
		if v, ok := os.LookupEnv(n); ok {
			env = append(env, n+"="+v)
		}
	}
	for n, v := range c.cfg.Env {
		env = append(env, n+"="+v)
	}
	var sum pipeline.Summary
	if r != nil {
		sum = pipeline.Summarize(r, pipeline.DefaultTop)
		f, err := os.CreateTemp("", "driftwatch-report-*.json")
		if err != nil {
			return fmt.Errorf("command: report file: %w", err)
		}
		defer os.Remove(f.Name())
		err = json.NewEncoder(f).Encode(r)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("command: report file: %w", err)
		}
		env = append(env, "DRIFTWATCH_REPORT_PATH="+f.Name())
	} else {
		sum = t.Summary
		tj, _ := json.Marshal(t)
		env = append(env, "DRIFTWATCH_TRIGGER_ID="+t.ID, "DRIFTWATCH_TRIGGER_RULE="+t.Rule,
			"DRIFTWATCH_TRIGGER_SEVERITY="+t.Severity, "DRIFTWATCH_TRIGGER="+string(tj))
	}
	sj, _ := json.Marshal(sum)
	lt := ""
	if sum.LogicalTime != nil {
		lt = sum.LogicalTime.UTC().Format(time.RFC3339)
	}
	var drifted []string
	for _, d := range sum.TopDrifted {
		drifted = append(drifted, d.Name)
	}
	if r != nil {
		drifted = drifted[:0]
		for _, col := range r.Columns {
			if col.Drifted {
				drifted = append(drifted, col.Name)
			}
		}
	}
	env = append(env, "DRIFTWATCH_EVENT="+event, "DRIFTWATCH_IDEMPOTENCY_KEY="+key, "DRIFTWATCH_JOB="+sum.Job,
		"DRIFTWATCH_RUN_ID="+sum.RunID, "DRIFTWATCH_LOGICAL_TIME="+lt,
		"DRIFTWATCH_DATASET_DRIFTED="+strconv.FormatBool(sum.DatasetDrifted),
		"DRIFTWATCH_DRIFT_SHARE="+strconv.FormatFloat(float64(sum.Share), 'g', -1, 64),
		"DRIFTWATCH_DRIFTED_COLUMNS="+strings.Join(drifted, ","), "DRIFTWATCH_SUMMARY="+string(sj))

	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.argv[0], c.argv[1:]...)
	cmd.Env = env
	cmd.Dir = c.dir
	cmd.WaitDelay = 2 * time.Second
	var stderr bytes.Buffer
	cmd.Stderr = &tail{buf: &stderr, max: 2048}
	setProcessGroup(cmd)
	err := cmd.Run()
	if err == nil {
		return nil
	}
	name := filepath.Base(c.argv[0])
	if ctx.Err() != nil {
		return fmt.Errorf("command %s: %s %s: %w", name, event, key, context.Cause(ctx))
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		err = fmt.Errorf("command %s: %s %s: exit code %d%s", name, event, key, ee.ExitCode(), bodyNote(stderr.Bytes()))
		if ee.ExitCode() == 64 {
			return Permanent(err)
		}
		return err
	}
	if errors.Is(err, exec.ErrNotFound) || errors.Is(err, os.ErrNotExist) || errors.Is(err, os.ErrPermission) {
		return Permanent(fmt.Errorf("command %s: %w", name, err))
	}
	return fmt.Errorf("command %s: %s %s: %w", name, event, key, err)
}

// Close does nothing; it is idempotent.
func (c *Command) Close() error { return nil }

// tail keeps the last max bytes written.
type tail struct {
	buf *bytes.Buffer
	max int
}

func (t *tail) Write(p []byte) (int, error) {
	t.buf.Write(p)
	if over := t.buf.Len() - t.max; over > 0 {
		b := append([]byte(nil), t.buf.Bytes()[over:]...)
		t.buf.Reset()
		t.buf.Write(b)
	}
	return len(p), nil
}
