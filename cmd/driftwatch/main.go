// Command driftwatch measures drift between a model's training data and its live data.
// See README.md; the whole command line lives in package jobs.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/driftwatch/driftwatch/jobs"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := jobs.Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
