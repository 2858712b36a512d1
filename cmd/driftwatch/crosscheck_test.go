package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestCrosscheckSciPy runs scripts/crosscheck.sh: 100k-row data from the peers'
// gen_data.py, the SciPy oracle ref_drift.py, and driftwatch compare with every method,
// compared column by column at 1e-9 relative. It needs Debian's python3-scipy and
// python3-pandas (.ci/run installs them); without them it skips, except in CI.
func TestCrosscheckSciPy(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the 100k-row cross-check takes about 20 s")
	}
	if err := exec.Command("/usr/bin/python3", "-c", "import scipy, numpy").Run(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI needs /usr/bin/python3 with scipy for the cross-check: %v", err)
		}
		t.Skipf("no /usr/bin/python3 with scipy: %v", err)
	}
	dir := filepath.Join(t.TempDir(), "xc")
	cmd := exec.Command("bash", "../../scripts/crosscheck.sh", "100000", dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("crosscheck: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "322 values compared, 0 mismatches") {
		t.Fatalf("crosscheck output:\n%s", out)
	}
}
