//go:build unix

package sinks

import (
	"os/exec"
	"syscall"
)

// setProcessGroup starts the program in a process group of its own, so that a timeout
// kills what it started too.
func setProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
}
