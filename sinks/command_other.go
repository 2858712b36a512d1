//go:build !unix

package sinks

import "os/exec"

// setProcessGroup does nothing here: a timeout kills the program only.
func setProcessGroup(cmd *exec.Cmd) {}
