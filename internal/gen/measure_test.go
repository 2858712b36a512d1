package gen

import (
	"bytes"
	"context"
	"os/exec"
	"strings"
	"testing"
)

func TestMeasure(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	var out bytes.Buffer
	m, err := Measure(context.Background(), []string{sh, "-c", "echo hello; echo oops >&2; exit 3"}, &out)
	if err != nil {
		t.Fatal(err)
	}
	if m.Exit != 3 {
		t.Errorf("exit = %d, want 3", m.Exit)
	}
	if !strings.Contains(out.String(), "hello") || !strings.Contains(out.String(), "oops") {
		t.Errorf("output %q: want the command's stdout and stderr", out.String())
	}
	if m.Cmd != sh+" -c echo hello; echo oops >&2; exit 3" {
		t.Errorf("cmd = %q", m.Cmd)
	}
	if m.WallS < 0 || m.UserS < 0 || m.SysS < 0 || m.MaxRSSMiB <= 0 {
		t.Errorf("measurement %+v: want non-negative times and a positive peak RSS", m)
	}
}

func TestMeasure_killed(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	m, err := Measure(context.Background(), []string{sh, "-c", "kill -9 $$"}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if m.Exit != 128+9 {
		t.Errorf("exit = %d, want 137 (SIGKILL)", m.Exit)
	}
}

func TestMeasure_errors(t *testing.T) {
	if _, err := Measure(context.Background(), nil, &bytes.Buffer{}); err == nil {
		t.Error("no command: want an error")
	}
	if _, err := Measure(context.Background(), []string{"/nonexistent/dwgen-test"}, &bytes.Buffer{}); err == nil {
		t.Error("missing program: want an error")
	}
}
