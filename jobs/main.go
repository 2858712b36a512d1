package jobs

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/driftwatch/driftwatch/pipeline"
)

// Exit codes: the CLI contract (DESIGN.md, "Command line").
const (
	ExitOK      = 0 // run completed, drift or not
	ExitFailed  = 1 // run failed (I/O, unreadable data, a sink that could not deliver)
	ExitUsage   = 2 // usage or config error
	ExitDrifted = 3 // drift found, only with --fail-on-drift
)

// UsageError is a bad command line; the CLI exits with code 2.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

func usagef(format string, args ...any) error { return &UsageError{Err: fmt.Errorf(format, args...)} }

// Version is set at build time (-ldflags "-X .../jobs.Version=…").
var Version = "dev"

const usage = `driftwatch: drift reports for deployed ML models

Usage:
  driftwatch run      --config F [--job J] [--at T | --window-start S --window-end E]
                      [--fail-on-drift] [--quiet]
  driftwatch schedule --config F [--job J] [--grace 25s]
  driftwatch backfill --config F --job J --from T1 --to T2 [--parallel N] [--dry-run]
                      [--emit-triggers]
  driftwatch history  --config F [--job J] [--format text|json] [--limit N] [--triggers]
  driftwatch compare  --reference A --current B [--columns c1,c2] [--preset P] [--method m1,m2]
                      [--format json|text|html] [--binning default|sturges] [--target T]
                      [--prediction P] [--id I] [--timestamp TS] [--score S1,S2]
                      [--task classification|regression] [--drift-share X]
                      [--checks correlations,multivariate|all] [--fail-on-drift]
  driftwatch profile  --input DATA --out FILE [--reference-profile R] [--shard k/n]
                      [--mode exact|sketch] [--columns c1,c2] [--target T] [--prediction P]
                      [--score S] [--timestamp TS --window-start S --window-end E]
  driftwatch merge    A B … --out FILE
  driftwatch validate --config F [--at T]
  driftwatch methods  (lists the drift methods)
  driftwatch version

Exit codes: 0 completed (drift or not), 1 run failed, 2 usage or config error,
3 drift found (only with --fail-on-drift).
`

// Env is what Main needs from its process; tests pass their own.
type Env struct {
	Stdout, Stderr io.Writer
	Now            func() time.Time
	Logger         *slog.Logger // nil: built from Stderr
}

// Main runs the command line args (without the program name) and returns the exit code.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return MainEnv(ctx, args, Env{Stdout: stdout, Stderr: stderr, Now: time.Now})
}

// MainEnv is Main with an injected environment.
func MainEnv(ctx context.Context, args []string, env Env) int {
	if env.Now == nil {
		env.Now = time.Now
	}
	if env.Logger == nil {
		env.Logger = newLogger(env.Stderr)
	}
	if len(args) == 0 {
		fmt.Fprint(env.Stderr, usage)
		return ExitUsage
	}
	var err error
	code := ExitOK
	switch args[0] {
	case "run":
		code, err = cmdRun(ctx, args[1:], env)
	case "compare":
		code, err = cmdCompare(ctx, args[1:], env)
	case "profile":
		code, err = cmdProfile(ctx, args[1:], env)
	case "merge":
		code, err = cmdMerge(ctx, args[1:], env)
	case "schedule":
		err = cmdSchedule(ctx, args[1:], env)
	case "backfill":
		code, err = cmdBackfill(ctx, args[1:], env)
	case "history":
		err = cmdHistory(ctx, args[1:], env)
	case "validate":
		err = cmdValidate(ctx, args[1:], env)
	case "methods":
		cmdMethods(env.Stdout)
	case "version", "--version":
		fmt.Fprintln(env.Stdout, "driftwatch", Version)
	case "help", "-h", "--help":
		fmt.Fprint(env.Stdout, usage)
	default:
		err = usagef("unknown command %q", args[0])
	}
	if err == nil {
		return code
	}
	if errors.Is(err, flag.ErrHelp) {
		return ExitOK
	}
	var ue *UsageError
	var ce *ConfigError
	switch {
	case errors.As(err, &ue):
		fmt.Fprintf(env.Stderr, "driftwatch: %v\n\nRun 'driftwatch help' for usage.\n", err)
		return ExitUsage
	case errors.As(err, &ce):
		fmt.Fprintf(env.Stderr, "driftwatch: %v\n", err)
		return ExitUsage
	case errors.Is(err, context.Canceled):
		env.Logger.Error("interrupted", "err", err)
		return ExitFailed
	default:
		env.Logger.Error("run failed", "err", err)
		fmt.Fprintf(env.Stderr, "driftwatch: %v\n", err)
		return ExitFailed
	}
}

func newLogger(w io.Writer) *slog.Logger {
	level := slog.LevelInfo
	switch strings.ToLower(os.Getenv("DRIFTWATCH_LOG_LEVEL")) {
	case "debug":
		level = slog.LevelDebug
	case "warn", "warning":
		level = slog.LevelWarn
	case "error":
		level = slog.LevelError
	}
	opts := &slog.HandlerOptions{Level: level}
	if isTerminal(w) {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// newFlags returns a flag set whose errors become usage errors.
func newFlags(name string, env Env) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	return fs
}

func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return &UsageError{Err: err}
	}
	if fs.NArg() > 0 {
		return usagef("%s: unexpected argument %q", fs.Name(), fs.Arg(0))
	}
	return nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func cmdMethods(w io.Writer) {
	fmt.Fprintf(w, "%-18s %-10s %-10s %s\n", "METHOD", "JUDGED", "THRESHOLD", "DEFINITION")
	for _, m := range pipeline.Methods {
		dir := "stat >="
		if m.Direction == pipeline.PValueBelow {
			dir = "p <"
		}
		fmt.Fprintf(w, "%-18s %-10s %-10g %s\n", m.Name, dir, m.Threshold, m.Definition)
	}
}

// ParseTime parses a logical time: RFC 3339 (2026-11-27T00:00:00Z), a date (2026-11-27,
// midnight UTC) or a zone-less date-time (2026-11-27T06:00:00, UTC).
func ParseTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("invalid time %q (want RFC 3339, e.g. 2026-11-27T00:00:00Z, or a date 2026-11-27)", s)
}
