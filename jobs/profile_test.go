package jobs

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/driftwatch/driftwatch/internal/blobio"
	"github.com/driftwatch/driftwatch/pipeline"
)

// histogramMethods are exact on sketch profiles (counts on the reference's edges).
var histogramMethods = []string{"psi", "jensen_shannon", "kl", "hellinger", "chi2", "chi2_gof", "z"}

const allMethodsList = "ks,wasserstein,psi,jensen_shannon,kl,hellinger,chi2,chi2_gof,z,anderson,cramer_von_mises,energy"

// view is the part of a report that profiles must not change: its columns.
type view struct {
	Columns []struct {
		Name  string            `json:"name"`
		Tests []json.RawMessage `json:"tests"`
	} `json:"columns"`
	raw string // the columns as canonical JSON
}

// viewOf reads a report given as JSON text (the command line's output) or a *Report.
func viewOf(t *testing.T, r any) *view {
	t.Helper()
	var b []byte
	switch r := r.(type) {
	case string:
		b = []byte(r)
	default:
		b, _ = json.Marshal(r)
	}
	var v view
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("report: %v\n%s", err, b)
	}
	var doc struct {
		Columns any `json:"columns"`
	}
	json.Unmarshal(b, &doc)
	c, _ := json.Marshal(doc.Columns)
	v.raw = string(c)
	return &v
}

func columnsOf(t *testing.T, r any) string { return viewOf(t, r).raw }

// sameTests checks that the tests of got equal want's (only the methods in only, or
// every method when only is nil).
func sameTests(t *testing.T, got, want any, only []string) {
	t.Helper()
	g, w := viewOf(t, got), viewOf(t, want)
	method := func(m json.RawMessage) string {
		var x struct {
			Method string `json:"method"`
		}
		json.Unmarshal(m, &x)
		return x.Method
	}
	n := 0
	for _, wc := range w.Columns {
		for _, wt := range wc.Tests {
			if only != nil && !slices.Contains(only, method(wt)) {
				continue
			}
			found := false
			for _, gc := range g.Columns {
				for _, gt := range gc.Tests {
					if gc.Name == wc.Name && method(gt) == method(wt) {
						found = true
						var a, b any
						json.Unmarshal(gt, &a)
						json.Unmarshal(wt, &b)
						as, _ := json.Marshal(a)
						bs, _ := json.Marshal(b)
						if string(as) != string(bs) {
							t.Errorf("%s %s: %s, want %s", wc.Name, method(wt), as, bs)
						}
						n++
					}
				}
			}
			if !found {
				t.Errorf("%s %s: missing", wc.Name, method(wt))
			}
		}
	}
	if n == 0 {
		t.Errorf("no test compared")
	}
}

// TestProfileCommands: profile (whole and in eight shards), merge and compare through
// the command line. The merge of the eight shard profiles gives the report of the
// whole, and (exact mode) of the data; a profile is detected by its magic bytes
// wherever compare takes data.
func TestProfileCommands(t *testing.T) {
	cfg := liveConfig(t, "")
	dir := filepath.Dir(cfg)
	ref, live := filepath.Join(dir, "ref"), filepath.Join(dir, "live")
	out := func(name string) string { return filepath.Join(dir, "p", name) }
	data := cli(t, "compare", "--reference", ref, "--current", live, "--method", allMethodsList)
	if data.code != 0 {
		t.Fatalf("compare data: %d %s", data.code, data.stderr)
	}
	want := data.stdout
	for _, mode := range []string{"exact", "sketch"} {
		t.Run(mode, func(t *testing.T) {
			r := cli(t, "profile", "--input", ref, "--out", out(mode+"-ref.dwprof"), "--mode", "exact")
			if r.code != 0 {
				t.Fatalf("profile ref: %d %s", r.code, r.stderr)
			}
			var sum ProfileSummary
			if err := json.Unmarshal([]byte(lastLine(r.stdout)), &sum); err != nil || sum.Rows != 500 || sum.Mode != "exact" {
				t.Errorf("profile summary %q: %+v, %v", r.stdout, sum, err)
			}
			refArgs := []string{"--reference-profile", out(mode + "-ref.dwprof"), "--mode", mode}
			r = cli(t, append([]string{"profile", "--input", live, "--out", out(mode + "-whole.dwprof")}, refArgs...)...)
			if r.code != 0 {
				t.Fatalf("profile whole: %d %s", r.code, r.stderr)
			}
			var shards []string
			for k := range 8 {
				s := out(fmt.Sprintf("%s-shard-%d.dwprof", mode, k))
				shards = append(shards, s)
				r = cli(t, append([]string{"profile", "--input", live, "--out", s, "--shard", fmt.Sprintf("%d/8", k)}, refArgs...)...)
				if r.code != 0 {
					t.Fatalf("profile shard %d: %d %s", k, r.code, r.stderr)
				}
			}
			// merge in a scrambled order, flags after the inputs
			order := []string{shards[5], shards[2], shards[7], shards[0], shards[3], shards[6], shards[1], shards[4]}
			r = cli(t, append(append([]string{"merge"}, order...), "--out", out(mode+"-merged.dwprof"))...)
			if r.code != 0 {
				t.Fatalf("merge: %d %s", r.code, r.stderr)
			}
			if err := json.Unmarshal([]byte(lastLine(r.stdout)), &sum); err != nil || sum.Parts != 8 || sum.Rows != 1400 {
				t.Errorf("merge summary %q: %+v, %v", r.stdout, sum, err)
			}
			whole := cli(t, "compare", "--reference", out(mode+"-ref.dwprof"), "--current", out(mode+"-whole.dwprof"), "--method", allMethodsList)
			merged := cli(t, "compare", "--reference", out(mode+"-ref.dwprof"), "--current", out(mode+"-merged.dwprof"), "--method", allMethodsList)
			if whole.code != 0 || merged.code != 0 {
				t.Fatalf("compare profiles: %d %s / %d %s", whole.code, whole.stderr, merged.code, merged.stderr)
			}
			wr, mr := whole.stdout, merged.stdout
			if mode == "exact" {
				if columnsOf(t, mr) != columnsOf(t, wr) || columnsOf(t, mr) != columnsOf(t, want) {
					t.Errorf("exact: merged shards, whole profile and data give different columns")
				}
				// a profile on one side only, the other side data
				mixed := cli(t, "compare", "--reference", out(mode+"-ref.dwprof"), "--current", live, "--method", allMethodsList)
				if columnsOf(t, mixed.stdout) != columnsOf(t, want) {
					t.Errorf("exact reference profile + data: columns differ from the data run")
				}
			} else {
				sameTests(t, mr, wr, nil) // the same merge whatever the order: here every count is exact
				sameTests(t, mr, want, histogramMethods)
			}
		})
	}
	if r := cli(t, "merge", "--out", out("x.dwprof")); r.code != ExitUsage {
		t.Errorf("merge without inputs: exit %d, want 2", r.code)
	}
	if r := cli(t, "profile", "--input", live, "--out", out("x.dwprof"), "--shard", "8/8"); r.code != ExitUsage {
		t.Errorf("profile --shard 8/8: exit %d, want 2", r.code)
	}
	if r := cli(t, "merge", out("exact-ref.dwprof"), out("sketch-whole.dwprof"), "--out", out("x.dwprof")); r.code != ExitFailed || !strings.Contains(r.stderr, "modes differ") {
		t.Errorf("merge exact + sketch: exit %d %s", r.code, r.stderr)
	}
}

// TestRollup: a daily job keeps the profile of each day; a weekly job answers its 7-day
// window by merging them. Its report equals a weekly job that reads the week: every
// test with exact profiles, the histogram methods with sketch profiles. A missing day
// is read from the data (gaps: read) or fails the run (gaps: fail).
func TestRollup(t *testing.T) {
	for _, mode := range []string{"exact", "sketch"} {
		t.Run(mode, func(t *testing.T) {
			base := liveConfig(t, "")
			dir := filepath.Dir(base)
			cfg := fmt.Sprintf(`version: 1
jobs:
  - name: daily
    reference: {type: parquet, path: ref}
    current: {type: parquet, path: live, timestamp: ts, window: 24h}
    columns: {timestamp: ts}
    drift: {methods: [%[1]s]}
    profiles: {path: profiles, mode: %[2]s}
  - name: weekly
    reference: {type: parquet, path: ref}
    current: {type: parquet, path: live, timestamp: ts, window: 168h}
    columns: {timestamp: ts}
    drift: {methods: [%[1]s]}
    rollup: {job: daily}
  - name: strict
    reference: {type: parquet, path: ref}
    current: {type: parquet, path: live, timestamp: ts, window: 168h}
    columns: {timestamp: ts}
    drift: {methods: [%[1]s]}
    rollup: {job: daily, gaps: fail}
  - name: weekly-data
    reference: {type: parquet, path: ref}
    current: {type: parquet, path: live, timestamp: ts, window: 168h}
    columns: {timestamp: ts}
    drift: {methods: [%[1]s]}
`, allMethodsList, mode)
			path := filepath.Join(dir, "rollup.yaml")
			if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
				t.Fatal(err)
			}
			c, err := LoadConfig(path)
			if err != nil {
				t.Fatal(err)
			}
			jobs := map[string]*Job{}
			for i := range c.Jobs {
				j, err := BuildJob(c, &c.Jobs[i], testEnv())
				if err != nil {
					t.Fatal(err)
				}
				jobs[j.Name] = j
			}
			ctx := t.Context()
			end := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
			// six of the seven days kept; Nov 23 is missing
			for d := 21; d <= 27; d++ {
				if d == 24 {
					continue
				}
				if _, _, err := jobs["daily"].Run(ctx, time.Date(2026, 11, d, 0, 0, 0, 0, time.UTC), testEnv()); err != nil {
					t.Fatalf("daily %d: %v", d, err)
				}
			}
			kept, _ := ListProfileDir(ctx, filepath.Join(dir, "profiles", "daily"))
			if len(kept) != 6 || kept[0] != "20261120T000000Z_20261121T000000Z.dwprof" {
				t.Fatalf("kept profiles %v", kept)
			}
			if _, _, err := jobs["strict"].Run(ctx, end, testEnv()); err == nil || !strings.Contains(err.Error(), "2026-11-23T00:00:00Z") {
				t.Errorf("strict rollup with a missing day: %v", err)
			}
			roll, _, err := jobs["weekly"].Run(ctx, end, testEnv())
			if err != nil {
				t.Fatalf("weekly rollup: %v", err)
			}
			data, _, err := jobs["weekly-data"].Run(ctx, end, testEnv())
			if err != nil {
				t.Fatalf("weekly data: %v", err)
			}
			if roll.Current.Rows != data.Current.Rows || roll.Current.Rows != 1400 || !strings.Contains(roll.Current.Source, "rollup of 6 kept profiles") {
				t.Errorf("rollup current rows %d (%s), data %d", roll.Current.Rows, roll.Current.Source, data.Current.Rows)
			}
			if mode == "exact" {
				if columnsOf(t, roll) != columnsOf(t, data) {
					t.Errorf("exact rollup: columns differ from reading the week\n got %s\nwant %s", columnsOf(t, roll), columnsOf(t, data))
				}
			} else {
				sameTests(t, roll, data, histogramMethods)
			}
			// now with the missing day kept: every part from a profile
			if _, _, err := jobs["daily"].Run(ctx, time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC), testEnv()); err != nil {
				t.Fatal(err)
			}
			strict, _, err := jobs["strict"].Run(ctx, end, testEnv())
			if err != nil {
				t.Fatalf("strict rollup with every day kept: %v", err)
			}
			if mode == "exact" && columnsOf(t, strict) != columnsOf(t, data) {
				t.Errorf("exact rollup of 7 kept days: columns differ from reading the week")
			}
			if mode == "sketch" {
				sameTests(t, strict, data, histogramMethods)
			}
		})
	}
}

// TestProfileSourceConfig: a job's reference may be a profile file (type: profile).
func TestProfileSourceConfig(t *testing.T) {
	base := liveConfig(t, "")
	dir := filepath.Dir(base)
	if r := cli(t, "profile", "--input", filepath.Join(dir, "ref"), "--out", filepath.Join(dir, "ref.dwprof"), "--mode", "exact"); r.code != 0 {
		t.Fatalf("profile: %s", r.stderr)
	}
	cfg := fmt.Sprintf(`version: 1
jobs:
  - name: prof
    reference: {type: profile, path: ref.dwprof}
    current: {type: parquet, path: live, timestamp: ts, window: 24h}
    columns: {timestamp: ts}
    drift: {methods: [%[1]s]}
  - name: data
    reference: {type: parquet, path: ref}
    current: {type: parquet, path: live, timestamp: ts, window: 24h}
    columns: {timestamp: ts}
    drift: {methods: [%[1]s]}
`, allMethodsList)
	path := filepath.Join(dir, "p.yaml")
	os.WriteFile(path, []byte(cfg), 0o644)
	c, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	var reps []*pipeline.Report
	for i := range c.Jobs {
		j, err := BuildJob(c, &c.Jobs[i], testEnv())
		if err != nil {
			t.Fatal(err)
		}
		rep, _, err := j.Run(t.Context(), time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC), testEnv())
		if err != nil {
			t.Fatalf("%s: %v", j.Name, err)
		}
		reps = append(reps, rep)
	}
	if columnsOf(t, reps[0]) != columnsOf(t, reps[1]) {
		t.Errorf("a profile reference gives different columns than its data")
	}
	if reps[0].Reference.Source != "profile "+filepath.Join(dir, "ref.dwprof") {
		t.Errorf("reference source %q", reps[0].Reference.Source)
	}
	// config errors
	for _, bad := range []struct{ yaml, want string }{
		{"rollup: {job: nope}", `no job "nope"`},
		{"rollup: {job: a}", "keeps no profiles"},
		{"rollup: {}", "job or path is required"},
		{"rollup: {path: x, gaps: skip}", `"skip" is not valid`},
		{"profiles: {mode: fast}", "profiles.path: required"},
	} {
		src := "jobs:\n  - name: a\n    reference: {type: parquet, path: r}\n    current: {type: parquet, path: c}\n    " + bad.yaml + "\n"
		_, err := ParseConfig([]byte(src), "x.yaml")
		if err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%s: error %v, want %q", bad.yaml, err, bad.want)
		}
	}
}

// TestProfile_S3: data, profiles and merged profiles in an S3-compatible server run in
// the test process (real HTTP): profile --input s3://… --out s3://…, merge of s3://
// profiles, and compare with an s3:// profile on one side and s3:// data on the other
// give the report of the same data on disk.
func TestProfile_S3(t *testing.T) {
	backend := s3mem.New()
	if err := backend.CreateBucket("ml"); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(gofakes3.New(backend).Server())
	defer ts.Close()
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	url := func(key string) string {
		return fmt.Sprintf("s3://ml/%s?endpoint=%s&use_path_style=true", key, ts.URL)
	}
	dir := filepath.Dir(liveConfig(t, ""))
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".parquet") {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		b, _ := os.ReadFile(p)
		return blobio.WriteAll(t.Context(), url(filepath.ToSlash(rel)), b)
	})
	if err != nil {
		t.Fatal(err)
	}
	if r := cli(t, "profile", "--input", url("ref"), "--out", url("profiles/ref.dwprof"), "--mode", "exact"); r.code != 0 {
		t.Fatalf("profile s3: %d %s", r.code, r.stderr)
	}
	for k := range 2 {
		r := cli(t, "profile", "--input", url("live"), "--out", url(fmt.Sprintf("profiles/live-%d.dwprof", k)), "--mode", "exact", "--shard", fmt.Sprintf("%d/2", k))
		if r.code != 0 {
			t.Fatalf("profile shard: %d %s", r.code, r.stderr)
		}
	}
	if r := cli(t, "merge", url("profiles/live-0.dwprof"), url("profiles/live-1.dwprof"), "--out", url("profiles/live.dwprof")); r.code != 0 {
		t.Fatalf("merge s3: %d %s", r.code, r.stderr)
	}
	want := cli(t, "compare", "--reference", filepath.Join(dir, "ref"), "--current", filepath.Join(dir, "live"), "--method", allMethodsList)
	for _, pair := range [][2]string{
		{url("profiles/ref.dwprof"), url("profiles/live.dwprof")},
		{url("profiles/ref.dwprof"), url("live")},
		{url("ref"), url("live")},
	} {
		got := cli(t, "compare", "--reference", pair[0], "--current", pair[1], "--method", allMethodsList)
		if got.code != 0 {
			t.Fatalf("compare %v: %d %s", pair, got.code, got.stderr)
		}
		if columnsOf(t, got.stdout) != columnsOf(t, want.stdout) {
			t.Errorf("compare %s %s: columns differ from the data on disk", pair[0], pair[1])
		}
	}
	names, err := ListProfileDir(t.Context(), url("profiles"))
	if err != nil || !slices.Equal(names, []string{"live-0.dwprof", "live-1.dwprof", "live.dwprof", "ref.dwprof"}) {
		t.Errorf("ListProfileDir(s3) = %v, %v", names, err)
	}
}
