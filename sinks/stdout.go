package sinks

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/driftwatch/driftwatch/pipeline"
)

//go:embed examples/stdout.yaml
var stdoutExample string

// StdoutConfig configures the stdout sink.
type StdoutConfig struct{}

var stdoutFactory = Factory{
	Type:    "stdout",
	Summary: "prints the JSON report on standard output (before the run's summary line)",
	Example: stdoutExample,
	New: func(dec Decoder, deps Deps) (pipeline.Sink, error) {
		var cfg StdoutConfig
		if err := dec(&cfg); err != nil {
			return nil, err
		}
		w := deps.Stdout
		if w == nil {
			w = os.Stdout
		}
		return &Stdout{w: w}, nil
	},
}

// Stdout prints reports as JSON.
type Stdout struct{ w io.Writer }

// Write prints r as one line of JSON.
func (s *Stdout) Write(ctx context.Context, r *pipeline.Report) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("stdout: encode report: %w", err)
	}
	_, err = s.w.Write(append(b, '\n'))
	return err
}

// Close does nothing.
func (s *Stdout) Close() error { return nil }
