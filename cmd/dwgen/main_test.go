package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func runCmd(args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = run(context.Background(), args, &o, &e)
	return code, o.String(), e.String()
}

func TestRun_usage(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"frobnicate"},
		{"demo"},
		{"demo", "--out"},
		{"demo", "--out", "x", "extra"},
		{"demo", "--seed", "minus", "--out", "x"},
		{"bench", "--out", "x"},
		{"bench", "--rows", "10"},
		{"bench", "--rows", "-5", "--out", "x"},
		{"bench", "--rows", "10", "--out", "x", "--compression", "gzip"},
		{"npy2parquet"},
		{"npy2parquet", "a", "b"},
		{"measure"},
		{"measure", "--"},
	} {
		code, stdout, stderr := runCmd(args...)
		if code != 2 || stdout != "" || !strings.Contains(stderr, "usage:") {
			t.Errorf("dwgen %q: exit %d, stdout %q, stderr %q; want 2, nothing, the usage", args, code, stdout, stderr)
		}
	}
}

func TestRun_demo(t *testing.T) {
	dir := t.TempDir()
	code, stdout, stderr := runCmd("demo", "--out", dir, "--seed", "7")
	if code != 0 || stdout != "" || strings.Count(stderr, "\n") != 1 {
		t.Fatalf("exit %d, stdout %q, stderr %q; want 0, nothing, one line", code, stdout, stderr)
	}
	for _, f := range []string{"reference/train.parquet", "live/dt=2026-11-26/part-0.parquet", "labels/dt=2026-11-26/part-0.parquet"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
}

func TestRun_bench(t *testing.T) {
	dir := t.TempDir()
	code, stdout, stderr := runCmd("bench", "--rows", "500", "--cur-rows", "200", "--out", dir, "--row-group", "100", "--compression", "zstd")
	if code != 0 || stdout != "" || strings.Count(stderr, "\n") != 1 {
		t.Fatalf("exit %d, stdout %q, stderr %q; want 0, nothing, one line", code, stdout, stderr)
	}
	if !strings.Contains(stderr, "(500 rows)") || !strings.Contains(stderr, "(200 rows)") {
		t.Errorf("stderr %q: want the row counts", stderr)
	}
}

func TestRun_benchUnwritable(t *testing.T) {
	f := filepath.Join(t.TempDir(), "file")
	os.WriteFile(f, nil, 0o644)
	code, _, stderr := runCmd("bench", "--rows", "10", "--out", filepath.Join(f, "sub"))
	if code != 1 || !strings.HasPrefix(stderr, "dwgen: ") {
		t.Errorf("exit %d, stderr %q; want 1 and a message", code, stderr)
	}
}

func TestRun_npy2parquet(t *testing.T) {
	dir := t.TempDir()
	meta := `{"numeric": ["a"], "categorical": [], "categories": {}}`
	os.WriteFile(filepath.Join(dir, "meta.json"), []byte(meta), 0o644)
	for _, side := range []string{"reference", "current"} {
		h := "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 1), }"
		h += strings.Repeat(" ", 64-(10+len(h)+1)%64) + "\n"
		b := append([]byte("\x93NUMPY\x01\x00"), byte(len(h)), byte(len(h)>>8))
		b = append(b, h...)
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(1))
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(math.NaN()))
		os.WriteFile(filepath.Join(dir, side+"_num.npy"), b, 0o644)
	}
	out := filepath.Join(t.TempDir(), "out")
	// flags after the positional folder
	code, stdout, stderr := runCmd("npy2parquet", dir, "--out", out)
	if code != 0 || stdout != "" || strings.Count(stderr, "\n") != 1 {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	for _, f := range []string{"reference.parquet", "current.parquet"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
	if code, _, stderr := runCmd("npy2parquet", t.TempDir()); code != 1 || !strings.Contains(stderr, "meta.json") {
		t.Errorf("folder without meta.json: exit %d, stderr %q; want 1", code, stderr)
	}
}

func TestRun_measure(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	for _, tc := range []struct {
		script string
		exit   int
		code   int
	}{{"echo measured", 0, 0}, {"echo measured; exit 4", 4, 1}} {
		code, stdout, stderr := runCmd("measure", "--", sh, "-c", tc.script)
		if code != tc.code {
			t.Errorf("%q: dwgen exit %d, want %d (stderr %q)", tc.script, code, tc.code, stderr)
		}
		if !strings.Contains(stderr, "measured") {
			t.Errorf("%q: stderr %q, want the command's output", tc.script, stderr)
		}
		if strings.Count(stdout, "\n") != 1 {
			t.Fatalf("%q: stdout %q, want one JSON line", tc.script, stdout)
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(stdout), &m); err != nil {
			t.Fatalf("stdout %q: %v", stdout, err)
		}
		for _, k := range []string{"cmd", "wall_s", "max_rss_mib", "user_s", "sys_s", "exit"} {
			if _, ok := m[k]; !ok {
				t.Errorf("JSON %s lacks %q", stdout, k)
			}
		}
		if m["exit"] != float64(tc.exit) || m["cmd"] != sh+" -c "+tc.script {
			t.Errorf("JSON %s: want exit %d and the command line", stdout, tc.exit)
		}
	}
}
