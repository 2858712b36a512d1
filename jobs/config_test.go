package jobs

import (
	"bufio"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func testEnv() Env {
	return Env{Stdout: io.Discard, Stderr: io.Discard, Now: func() time.Time { return time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC) },
		Logger: slog.New(slog.DiscardHandler)}
}

// TestRootConfig: the config.yaml at the repository root loads and builds.
func TestRootConfig(t *testing.T) {
	c, err := LoadConfig("../config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for i := range c.Jobs {
		if _, err := BuildJob(c, &c.Jobs[i], testEnv()); err != nil {
			t.Errorf("job %s: %v", c.Jobs[i].Name, err)
		}
	}
}

// TestBadConfigs: each testdata/config/*.bad.yaml fails with the error its first line names.
func TestBadConfigs(t *testing.T) {
	files, _ := filepath.Glob("testdata/config/*.bad.yaml")
	if len(files) < 10 {
		t.Fatalf("found %d bad configs", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			fh, err := os.Open(f)
			if err != nil {
				t.Fatal(err)
			}
			first, _ := bufio.NewReader(fh).ReadString('\n')
			fh.Close()
			want := strings.TrimSpace(strings.TrimPrefix(first, "# want:"))
			err = loadAndBuild(f)
			if err == nil {
				t.Fatalf("no error, want %q", want)
			}
			if !strings.Contains(err.Error(), want) {
				t.Fatalf("error %q\nwant it to contain %q", err, want)
			}
			if _, ok := err.(*ConfigError); !ok {
				t.Fatalf("error is %T, want *ConfigError (exit code 2)", err)
			}
		})
	}
}

func loadAndBuild(path string) error {
	c, err := LoadConfig(path)
	if err != nil {
		return err
	}
	for i := range c.Jobs {
		if _, err := BuildJob(c, &c.Jobs[i], testEnv()); err != nil {
			return err
		}
	}
	return nil
}

func TestWindows(t *testing.T) {
	src := `
jobs:
  - name: w
    reference: {type: parquet, path: r, window: 7d}
    current: {type: parquet, path: c, window: 24h}
  - name: snap
    reference: {type: parquet, path: r}
    current: {type: parquet, path: c, window: 6h}
  - name: off
    reference: {type: parquet, path: r, window: 48h, offset: 168h}
    current: {type: parquet, path: c, window: 24h}
`
	c, err := ParseConfig([]byte(src), "inline.yaml")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	cases := []struct {
		job                        string
		refStart, refEnd, curStart time.Time
	}{
		{"w", at.Add(-8 * day), at.Add(-day), at.Add(-day)},
		{"snap", time.Time{}, time.Time{}, at.Add(-6 * time.Hour)},
		{"off", at.Add(-9 * day), at.Add(-7 * day), at.Add(-day)},
	}
	for i, tc := range cases {
		j, err := BuildJob(c, &c.Jobs[i], testEnv())
		if err != nil {
			t.Fatal(err)
		}
		ref, cur := j.Windows(at)
		if !ref.Start.Equal(tc.refStart) || !ref.End.Equal(tc.refEnd) || !cur.Start.Equal(tc.curStart) || !cur.End.Equal(at) {
			t.Errorf("%s: Windows(%v) = ref %v, cur %v; want ref [%v, %v), cur [%v, %v)", tc.job, at, ref, cur, tc.refStart, tc.refEnd, tc.curStart, at)
		}
	}
}

func TestParseTime(t *testing.T) {
	want := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	for _, s := range []string{"2026-11-27", "2026-11-27T00:00:00Z", "2026-11-27T01:00:00+01:00", "2026-11-27T00:00:00"} {
		got, err := ParseTime(s)
		if err != nil || !got.Equal(want) {
			t.Errorf("ParseTime(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
	if _, err := ParseTime("yesterday"); err == nil {
		t.Error("ParseTime(yesterday) gave no error")
	}
}

// TestConfig_DriftwatchThresholdKeys: the driftwatch preset's test names and parameters
// are valid threshold keys, per job and per column.
func TestConfig_DriftwatchThresholdKeys(t *testing.T) {
	src := `
jobs:
  - name: a
    reference: {type: parquet, path: r.parquet}
    current: {type: parquet, path: c.parquet}
    drift:
      thresholds: {wasserstein_sd: 0.2, tail_sd: 0.4, total_variation: 0.1, missing_jump: 0.1, unseen_share: 0.02, fdr: 0.01, min_count: 100, psi: 0.2}
      columns:
        income: {thresholds: {wasserstein_sd: 0.3}}
`
	if _, err := ParseConfig([]byte(src), "inline.yaml"); err != nil {
		t.Fatal(err)
	}
}
