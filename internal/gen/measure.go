package gen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// Measurement is the resource use of one command, as printed by `dwgen measure`.
type Measurement struct {
	Cmd       string  `json:"cmd"`
	WallS     float64 `json:"wall_s"`
	MaxRSSMiB float64 `json:"max_rss_mib"`
	UserS     float64 `json:"user_s"`
	SysS      float64 `json:"sys_s"`
	Exit      int     `json:"exit"`
}

// Measure runs args[0] with args[1:] (no shell), passing its stdout and stderr to output,
// and returns its wall time, peak resident set size, CPU times and exit code. The clock is
// read only here, to time the child. A command that runs and exits non-zero is a
// Measurement with that Exit, not an error; a command that cannot be started is an error.
func Measure(ctx context.Context, args []string, output io.Writer) (Measurement, error) {
	if len(args) == 0 {
		return Measurement{}, errors.New("measure: no command")
	}
	m := Measurement{Cmd: strings.Join(args, " ")}
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Stdout = output
	cmd.Stderr = output
	start := time.Now()
	err := cmd.Run()
	m.WallS = time.Since(start).Seconds()
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		return m, fmt.Errorf("run %s: %w", args[0], err)
	}
	ps := cmd.ProcessState
	m.Exit = ps.ExitCode()
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		m.Exit = 128 + int(ws.Signal())
	}
	m.UserS = round3(ps.UserTime().Seconds())
	m.SysS = round3(ps.SystemTime().Seconds())
	m.WallS = round3(m.WallS)
	m.MaxRSSMiB = round3(maxRSSMiB(ps))
	return m, nil
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }
