//go:build unix

package gen

import (
	"os"
	"runtime"
	"syscall"
)

// maxRSSMiB returns the child's peak resident set size in MiB (ru_maxrss is KiB on Linux,
// bytes on macOS).
func maxRSSMiB(ps *os.ProcessState) float64 {
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok {
		return 0
	}
	if runtime.GOOS == "darwin" || runtime.GOOS == "ios" {
		return float64(ru.Maxrss) / (1 << 20)
	}
	return float64(ru.Maxrss) / 1024
}
