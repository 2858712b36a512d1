package sinks_test

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/driftwatch/driftwatch/internal/yamlx"
	"github.com/driftwatch/driftwatch/pipeline"
	"github.com/driftwatch/driftwatch/sinks"
	"github.com/driftwatch/driftwatch/sinks/sinkstest"
)

// fastRetry keeps the failure cases of the suite short.
const fastRetry = "retry: {initial: 10ms, max: 50ms, max_elapsed: 300ms}\n"

// build constructs a sink of the Builtin registry from YAML, as jobs does.
func build(t *testing.T, src string, deps sinks.Deps) pipeline.Sink {
	t.Helper()
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(src), &n); err != nil {
		t.Fatalf("parse %q: %v", src, err)
	}
	b := yamlx.Block{Path: "sinks[0]", Node: n.Content[0]}
	for i := 0; i+1 < len(b.Node.Content); i += 2 {
		if b.Node.Content[i].Value == "type" {
			b.Type = b.Node.Content[i+1].Value
		}
	}
	s, err := sinks.Builtin().New(b.Type, b.Without("name").Decode, deps)
	if err != nil {
		t.Fatalf("build %s sink: %v", b.Type, err)
	}
	return s
}

// dirSnapshot reads every file below dir (temporary files included: a partial write
// shows up).
func dirSnapshot(t *testing.T, dir string) sinkstest.Snapshot {
	snap := sinkstest.Snapshot{}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Errorf("read %s: %v", p, err)
		}
		rel, _ := filepath.Rel(dir, p)
		snap[rel] = string(b)
		return nil
	})
	return snap
}

// blockDir makes dir unwritable for the sinks, even for root: it becomes a file.
func blockDir(t *testing.T, dir string) {
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir, []byte("not a folder"), 0o644); err != nil {
		t.Fatal(err)
	}
}

// harnesses has one conformance harness per built-in sink type.
func harnesses(t *testing.T) map[string]sinkstest.Harness {
	hs := map[string]sinkstest.Harness{}
	type fsState struct{ base string }
	// file-backed sinks: output below base/out, which Fail turns into a file.
	fileHarness := func(typ, cfg string) sinkstest.Harness {
		var cur *fsState
		return sinkstest.Harness{
			New: func(t *testing.T) (pipeline.Sink, func(*testing.T) sinkstest.Snapshot) {
				st := &fsState{base: t.TempDir()}
				cur = st
				s := build(t, cfg, sinks.Deps{BaseDir: st.base})
				return s, func(t *testing.T) sinkstest.Snapshot { return dirSnapshot(t, st.base) }
			},
			Fail: func(t *testing.T) { blockDir(t, filepath.Join(cur.base, "out")) },
		}
	}
	hs["file"] = fileHarness("file", "type: file\npath: out/{job}/{run_id}.json\n")
	hs["parquet"] = fileHarness("parquet", "type: parquet\npath: out/{job}\n")

	hs["stdout"] = sinkstest.Harness{New: func(t *testing.T) (pipeline.Sink, func(*testing.T) sinkstest.Snapshot) {
		var buf bytes.Buffer
		s := build(t, "type: stdout\n", sinks.Deps{Stdout: &buf})
		return s, func(t *testing.T) sinkstest.Snapshot {
			// A stream cannot take a line back: its reader deduplicates lines (by run id).
			snap := sinkstest.Snapshot{}
			for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
				if l != "" {
					snap[l] = l
				}
			}
			return snap
		}
	}}

	// prometheus: a textfile and a fake gateway (the real one: TestPrometheus_Pushgateway).
	{
		var gw *fakeGateway
		var base string
		hs["prometheus"] = sinkstest.Harness{
			New: func(t *testing.T) (pipeline.Sink, func(*testing.T) sinkstest.Snapshot) {
				gw, base = newFakeGateway(t), t.TempDir()
				g, b := gw, base
				s := build(t, "type: prometheus\npushgateway: "+g.URL+"\ntextfile: out/{job}.prom\n"+fastRetry, sinks.Deps{BaseDir: b})
				return s, func(t *testing.T) sinkstest.Snapshot {
					snap := dirSnapshot(t, b)
					for k, v := range g.Groups() {
						snap["gateway:"+k] = v
					}
					return snap
				}
			},
			Fail: func(t *testing.T) { gw.fail = true; blockDir(t, filepath.Join(base, "out")) },
			Hang: func(t *testing.T) { gw.hang = true },
		}
	}

	{
		var db string
		hs["sql"] = sinkstest.Harness{
			New: func(t *testing.T) (pipeline.Sink, func(*testing.T) sinkstest.Snapshot) {
				p := filepath.Join(t.TempDir(), "metrics.db")
				db = p
				s := build(t, "type: sql\npath: "+p+"\n", sinks.Deps{})
				return s, func(t *testing.T) sinkstest.Snapshot { return sqlSnapshot(t, "sqlite", p, "driftwatch_metric_") }
			},
			// a folder where the database file should be: the open fails
			Fail: func(t *testing.T) { os.MkdirAll(db, 0o755) },
		}
	}

	httpHarness := func(cfg func(url string) string, setup func(rc *sinkstest.Receiver)) sinkstest.Harness {
		var rc *sinkstest.Receiver
		return sinkstest.Harness{
			New: func(t *testing.T) (pipeline.Sink, func(*testing.T) sinkstest.Snapshot) {
				rc = sinkstest.NewReceiver(t)
				if setup != nil {
					setup(rc)
				}
				r := rc
				return build(t, cfg(r.URL), sinks.Deps{}), func(*testing.T) sinkstest.Snapshot { return r.Snapshot() }
			},
			Fail: func(t *testing.T) { rc.SetMode(sinkstest.ModeFail) },
			Hang: func(t *testing.T) { rc.SetMode(sinkstest.ModeHang) },
		}
	}
	t.Setenv("SINKS_TEST_SECRET", "conformance-secret")
	hs["webhook"] = httpHarness(func(u string) string {
		return "type: webhook\nurl: " + u + "/hook\nsecret_env: SINKS_TEST_SECRET\n" + fastRetry
	}, nil)
	hs["slack"] = httpHarness(func(u string) string {
		os.Setenv("SINKS_TEST_SLACK_URL", u+"/services/T000/B000/XXXX")
		return "type: slack\nurl_env: SINKS_TEST_SLACK_URL\n" + fastRetry
	}, nil)
	t.Cleanup(func() { os.Unsetenv("SINKS_TEST_SLACK_URL") })
	hs["airflow"] = httpHarness(func(u string) string {
		return "type: airflow\nurl: " + u + "\ndag_id: retrain\ntoken_env: SINKS_TEST_SECRET\n" + fastRetry
	}, nil)

	// command: a shell script (chosen explicitly: the sink runs no shell of its own)
	// that stores the report or trigger under its idempotency key, atomically.
	{
		var out string
		script := `set -e
[ -e "$OUT/../fail" ] && { echo "injected failure" >&2; exit 1; }
[ -e "$OUT/../hang" ] && sleep 30
src="${DRIFTWATCH_REPORT_PATH:-}"
if [ -n "$src" ]; then cp "$src" "$OUT/.tmp.$$"; else printf '%s' "$DRIFTWATCH_TRIGGER" > "$OUT/.tmp.$$"; fi
mv "$OUT/.tmp.$$" "$OUT/$DRIFTWATCH_EVENT-$DRIFTWATCH_IDEMPOTENCY_KEY.json"`
		hs["command"] = sinkstest.Harness{
			New: func(t *testing.T) (pipeline.Sink, func(*testing.T) sinkstest.Snapshot) {
				dir := t.TempDir()
				out = filepath.Join(dir, "out")
				os.MkdirAll(out, 0o755)
				o := out
				cfg := fmt.Sprintf("type: command\nargv: [/bin/sh, -c, %q]\nenv: {OUT: %q}\ntimeout: 20s\n", script, o)
				return build(t, cfg, sinks.Deps{BaseDir: dir}), func(t *testing.T) sinkstest.Snapshot { return dirSnapshot(t, o) }
			},
			Fail: func(t *testing.T) { os.WriteFile(filepath.Join(out, "..", "fail"), nil, 0o644) },
			Hang: func(t *testing.T) { os.WriteFile(filepath.Join(out, "..", "hang"), nil, 0o644) },
		}
	}
	return hs
}

// TestConformance runs sinkstest against every sink of Builtin(): a sink without a
// harness fails the test.
func TestConformance(t *testing.T) {
	hs := harnesses(t)
	for _, f := range sinks.Builtin().All() {
		t.Run(f.Type, func(t *testing.T) {
			h, ok := hs[f.Type]
			if !ok {
				t.Fatalf("sink %s has no conformance harness", f.Type)
			}
			sinkstest.Run(t, h)
		})
	}
}

// sqlSnapshot reads both tables of the sql sink, a row per key.
func sqlSnapshot(t *testing.T, driver, dsn, prefix string) sinkstest.Snapshot {
	t.Helper()
	snap := sinkstest.Snapshot{}
	if driver == "sqlite" {
		if fi, err := os.Stat(dsn); err != nil || !fi.Mode().IsRegular() {
			return snap
		}
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	read := func(query string, key func(cols []string) string) {
		rows, err := db.QueryContext(ctx, query)
		if err != nil {
			if strings.Contains(err.Error(), "no such table") || strings.Contains(err.Error(), "does not exist") {
				return
			}
			t.Fatalf("%s: %v", query, err)
		}
		defer rows.Close()
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			s := make([]string, len(vals))
			for i, v := range vals {
				if tm, ok := v.(time.Time); ok {
					v = tm.UTC().Format(time.RFC3339Nano)
				}
				s[i] = fmt.Sprint(v)
			}
			snap[key(s)] = strings.Join(s, "|")
		}
	}
	read("SELECT * FROM "+prefix+"runs", func(c []string) string { return "runs/" + c[0] })
	read("SELECT * FROM "+prefix+"metrics", func(c []string) string { return "metrics/" + c[0] + "/" + c[3] + "/" + c[6] })
	return snap
}
