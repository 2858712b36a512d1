// Command dwgen generates driftwatch's demo and benchmark data, converts the peers' .npy
// datasets to Parquet and measures the resources of a command.
//
//	dwgen demo --out DIR [--seed 7]
//	dwgen bench --rows N [--cur-rows M] --out DIR [--seed 42] [--row-group 1048576] [--compression snappy|zstd]
//	dwgen npy2parquet DIR [--out DIR2] [--row-group 1048576] [--compression snappy|zstd]
//	dwgen measure -- CMD ARGS...
//
// Exit codes: 0 success, 1 error, 2 usage error. measure prints one JSON line on stdout
// and exits 1 when the measured command fails.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/driftwatch/driftwatch/internal/gen"
)

const usage = `usage:
  dwgen demo --out DIR [--seed 7]
  dwgen bench --rows N [--cur-rows M] --out DIR [--seed 42] [--row-group 1048576] [--compression snappy|zstd]
  dwgen npy2parquet DIR [--out DIR2] [--row-group 1048576] [--compression snappy|zstd]
  dwgen measure -- CMD ARGS...
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// usageError marks errors that exit with status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return &usageError{fmt.Sprintf(format, a...)} }

// run executes one dwgen command and returns the process exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch cmd, rest := args[0], args[1:]; cmd {
	case "demo":
		err = runDemo(ctx, rest, stderr)
	case "bench":
		err = runBench(ctx, rest, stderr)
	case "npy2parquet":
		err = runNPY(ctx, rest, stderr)
	case "measure":
		err = runMeasure(ctx, rest, stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		err = usagef("unknown command %q", cmd)
	}
	var ue *usageError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "dwgen: %v\n%s", err, usage)
		return 2
	default:
		fmt.Fprintf(stderr, "dwgen: %v\n", err)
		return 1
	}
}

// parse parses flags that may come before and after the positional arguments
// (`npy2parquet DIR --out X` as well as `npy2parquet --out X DIR`) and returns the
// positional ones.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usagef("%s: %v", fs.Name(), err)
		}
		rest := fs.Args()
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			return append(pos, rest...), nil // everything after -- is positional
		}
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

func runDemo(ctx context.Context, args []string, stderr io.Writer) error {
	fs := newFlagSet("demo", stderr)
	out := fs.String("out", "", "output folder (required)")
	seed := fs.Uint64("seed", 7, "random seed")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("demo: unexpected argument %q", pos[0])
	}
	if *out == "" {
		return usagef("demo: --out is required")
	}
	s, err := gen.Demo(ctx, *out, *seed)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "dwgen demo: wrote %d files to %s (%d training rows, %d live rows, %d labels)\n",
		s.Files, *out, s.TrainRows, s.LiveRows, s.LabelRows)
	return nil
}

func runBench(ctx context.Context, args []string, stderr io.Writer) error {
	cfg := gen.DefaultBenchConfig()
	fs := newFlagSet("bench", stderr)
	fs.IntVar(&cfg.Rows, "rows", 0, "reference rows (required)")
	fs.IntVar(&cfg.CurRows, "cur-rows", 0, "current rows (default: --rows)")
	out := fs.String("out", "", "output folder (required)")
	fs.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "random seed")
	fs.IntVar(&cfg.RowGroup, "row-group", cfg.RowGroup, "rows per row group")
	fs.StringVar(&cfg.Codec, "compression", cfg.Codec, "snappy or zstd")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("bench: unexpected argument %q", pos[0])
	}
	if *out == "" {
		return usagef("bench: --out is required")
	}
	if cfg.CurRows == 0 {
		cfg.CurRows = cfg.Rows
	}
	if err := cfg.Validate(); err != nil {
		return usagef("bench: %v", err)
	}
	s, err := gen.Bench(ctx, *out, cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "dwgen bench: wrote %s (%d rows) and %s (%d rows)\n", s.Reference, s.RefRows, s.Current, s.CurRows)
	return nil
}

func runNPY(ctx context.Context, args []string, stderr io.Writer) error {
	fs := newFlagSet("npy2parquet", stderr)
	out := fs.String("out", "", "output folder (default: the input folder)")
	opt := gen.NPYOptions{}
	fs.IntVar(&opt.RowGroup, "row-group", 1<<20, "rows per row group")
	fs.StringVar(&opt.Codec, "compression", "snappy", "snappy or zstd")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("npy2parquet: want one input folder, got %d arguments", len(pos))
	}
	if *out == "" {
		*out = pos[0]
	}
	s, err := gen.NPYToParquet(ctx, pos[0], *out, opt)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "dwgen npy2parquet: wrote %s (%d rows) and %s (%d rows), %d numeric and %d categorical columns\n",
		s.Reference, s.RefRows, s.Current, s.CurRows, s.Numeric, s.Categ)
	return nil
}

func runMeasure(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		return usagef("measure: no command after --")
	}
	m, err := gen.Measure(ctx, args, stderr)
	if err != nil {
		return err
	}
	line, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("encode measurement: %w", err)
	}
	fmt.Fprintf(stdout, "%s\n", line)
	if m.Exit != 0 {
		return fmt.Errorf("measure: %s exited with status %d", args[0], m.Exit)
	}
	return nil
}
