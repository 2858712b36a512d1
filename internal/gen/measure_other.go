//go:build !unix

package gen

import "os"

// maxRSSMiB is not available on this platform.
func maxRSSMiB(*os.ProcessState) float64 { return 0 }
