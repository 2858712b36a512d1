package examples_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/parquet-go/parquet-go"
	"go.yaml.in/yaml/v3"

	"github.com/driftwatch/driftwatch/internal/blobio"
	"github.com/driftwatch/driftwatch/jobs"
)

// jobsMain runs the driftwatch command line in-process.
func jobsMain(args []string, stdout, stderr io.Writer) int {
	return jobs.MainEnv(context.Background(), args, jobs.Env{Stdout: stdout, Stderr: stderr, Now: time.Now})
}

// The scale-out examples (examples/airflow/profile_sharded.py and
// examples/kubernetes/indexed-job.yaml) are run, command for command, against an
// S3-compatible server in the test process: the shards' profiles merge into the profile
// of the whole window, and the compare step gives the report of the window's data.

// shardedProbe extracts the commands of the sharded DAG without Airflow: the mapped
// task's template, the number of shards, the merge and compare commands and the order
// of the tasks.
const shardedProbe = `
import ast, json, sys
tree = ast.parse(open(sys.argv[1]).read())
consts = {}
def ev(n):
    if isinstance(n, ast.Constant):
        return n.value
    if isinstance(n, ast.Name):
        return consts[n.id]
    if isinstance(n, ast.BinOp) and isinstance(n.op, ast.Add):
        return ev(n.left) + ev(n.right)
    if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "str":
        return str(ev(n.args[0]))
    raise ValueError(ast.dump(n))
for node in tree.body:
    if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
        try:
            consts[node.targets[0].id] = ev(node.value)
        except (ValueError, KeyError):
            pass
out = {"shards": consts["SHARDS"], "tasks": {}, "flow": []}
for node in ast.walk(tree):
    if isinstance(node, ast.Call):
        f = node.func
        kw = {k.arg: k.value for k in node.keywords}
        name = getattr(f, "id", "") or (getattr(f.value, "id", "") + "." + f.attr if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) else "")
        if name in ("BashOperator", "BashOperator.partial"):
            out["tasks"][ev(kw["task_id"])] = {"command": ev(kw["bash_command"]), "mapped": name.endswith("partial")}
        if name == "DAG":
            out["schedule"] = ev(kw["schedule"])
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.BinOp) and isinstance(node.value.op, ast.RShift):
        chain = []
        n = node.value
        while isinstance(n, ast.BinOp):
            chain.insert(0, n.right.id)
            n = n.left
        chain.insert(0, n.id)
        out["flow"] = chain
print(json.dumps(out))
`

type shardedDAG struct {
	Shards int `json:"shards"`
	Tasks  map[string]struct {
		Command string `json:"command"`
		Mapped  bool   `json:"mapped"`
	} `json:"tasks"`
	Flow     []string `json:"flow"`
	Schedule string   `json:"schedule"`
}

type logRow struct {
	TS  int64   `parquet:"ts,timestamp(millisecond)"`
	X   float64 `parquet:"x"`
	Y   float64 `parquet:"y"`
	Cat string  `parquet:"cat,dict"`
}

// s3World is a fake S3 server holding the examples' buckets with a reference snapshot
// and one day (2026-11-26) of hive-partitioned logs, in row groups of 500 rows.
type s3World struct {
	endpoint string
	dir      string // the same data on disk
}

func newS3World(t *testing.T) *s3World {
	t.Helper()
	backend := s3mem.New()
	for _, b := range []string{"ml-logs", "ml-profiles", "ml-data"} {
		if err := backend.CreateBucket(b); err != nil {
			t.Fatal(err)
		}
	}
	ts := httptest.NewServer(gofakes3.New(backend).Server())
	t.Cleanup(ts.Close)
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	w := &s3World{endpoint: ts.URL, dir: t.TempDir()}
	r := rand.New(rand.NewPCG(26, 11))
	day := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	cats := []string{"web", "app", "store", "partner"}
	var train []logRow
	for i := range 4000 {
		x := r.NormFloat64()
		train = append(train, logRow{TS: day.AddDate(0, -1, 0).UnixMilli(), X: x, Y: 0.5*x + r.NormFloat64(), Cat: cats[i%4]})
	}
	w.put(t, "ml-data", "churn/train/part-0.parquet", train)
	for part := range 3 {
		var rows []logRow
		for i := range 3000 {
			x := r.NormFloat64() + 0.3
			at := day.Add(time.Duration(part*3000+i) * 2 * time.Second)
			rows = append(rows, logRow{TS: at.UnixMilli(), X: x, Y: 0.5*x + r.NormFloat64(), Cat: cats[(i*i+part)%4]})
		}
		// a row outside the window, and the next day's partition, must not count
		rows = append(rows, logRow{TS: day.Add(-time.Hour).UnixMilli(), X: 100})
		w.put(t, "ml-logs", fmt.Sprintf("churn/live/dt=2026-11-26/part-%d.parquet", part), rows)
	}
	w.put(t, "ml-logs", "churn/live/dt=2026-11-27/part-0.parquet", []logRow{{TS: day.Add(25 * time.Hour).UnixMilli(), X: -100, Cat: "x"}})
	return w
}

// put writes rows as Parquet to the bucket and to the same path on disk.
func (w *s3World) put(t *testing.T, bucket, key string, rows []logRow) {
	t.Helper()
	var buf bytes.Buffer
	pw := parquet.NewGenericWriter[logRow](&buf, parquet.MaxRowsPerRowGroup(500))
	if _, err := pw.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := pw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := blobio.WriteAll(t.Context(), w.url("s3://"+bucket+"/"+key), buf.Bytes()); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(w.dir, bucket, filepath.FromSlash(key))
	os.MkdirAll(filepath.Dir(p), 0o755)
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

var s3URL = regexp.MustCompile(`s3://[^\s?]+`)

// url points an s3:// URL of an example at the fake server.
func (w *s3World) url(u string) string {
	return u + "?endpoint=" + w.endpoint + "&use_path_style=true"
}

// run runs an example's command line (argv[0] is driftwatch) against the fake server.
func (w *s3World) run(t *testing.T, argv []string) string {
	t.Helper()
	if argv[0] != "driftwatch" {
		t.Fatalf("command %q does not start with driftwatch", argv)
	}
	args := make([]string, len(argv)-1)
	for i, a := range argv[1:] {
		args[i] = s3URL.ReplaceAllStringFunc(a, w.url)
	}
	var out, errb bytes.Buffer
	code := jobsMain(args, &out, &errb)
	if code != 0 {
		t.Fatalf("driftwatch %s: exit %d\n%s", strings.Join(argv[1:], " "), code, errb.String())
	}
	return out.String()
}

// referenceProfile builds the reference profile as the DAG's doc says (once, at
// training time).
func (w *s3World) referenceProfile(t *testing.T) {
	w.run(t, strings.Fields("driftwatch profile --input s3://ml-data/churn/train --mode sketch --out s3://ml-profiles/churn/reference.dwprof"))
}

// wholeWindow is the report of the window read whole, from the data on disk.
func (w *s3World) wholeWindow(t *testing.T) string {
	prof := filepath.Join(t.TempDir(), "whole.dwprof")
	ref := filepath.Join(t.TempDir(), "ref.dwprof")
	var out, errb bytes.Buffer
	if code := jobsMain([]string{"profile", "--input", filepath.Join(w.dir, "ml-data", "churn", "train"), "--mode", "sketch", "--out", ref}, &out, &errb); code != 0 {
		t.Fatal(errb.String())
	}
	if code := jobsMain([]string{"profile", "--input", filepath.Join(w.dir, "ml-logs", "churn", "live"), "--timestamp", "ts",
		"--window-start", "2026-11-26T00:00:00Z", "--window-end", "2026-11-27T00:00:00Z", "--mode", "sketch",
		"--reference-profile", ref, "--out", prof}, &out, &errb); code != 0 {
		t.Fatal(errb.String())
	}
	out.Reset()
	if code := jobsMain([]string{"compare", "--reference", ref, "--current", prof, "--format", "json"}, &out, &errb); code != 0 {
		t.Fatal(errb.String())
	}
	return out.String()
}

// columnsAndRows is the part of a report the sharded pipeline must reproduce.
func columnsAndRows(t *testing.T, report string) string {
	t.Helper()
	var r struct {
		Current struct {
			Rows int64 `json:"rows"`
		} `json:"current"`
		Columns      any `json:"columns"`
		DatasetDrift any `json:"dataset_drift"`
	}
	if err := json.Unmarshal([]byte(report), &r); err != nil {
		t.Fatalf("report: %v\n%s", err, report)
	}
	b, _ := json.Marshal(r)
	return string(b)
}

// TestAirflowShardedDAG runs the sharded DAG's tasks in its order: eight mapped
// profile tasks (map_index 0..7), the merge and the compare.
func TestAirflowShardedDAG(t *testing.T) {
	py := "/usr/bin/python3"
	if _, err := os.Stat(py); err != nil {
		t.Skipf("no %s to parse the DAG with", py)
	}
	out, err := exec.Command(py, "-c", shardedProbe, "airflow/profile_sharded.py").Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("parse DAG: %v\n%s", err, ee.Stderr)
		}
		t.Fatal(err)
	}
	var dag shardedDAG
	if err := json.Unmarshal(out, &dag); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if dag.Shards != 8 || strings.Join(dag.Flow, ">>") != "profile>>merge>>compare" || !dag.Tasks["profile_shard"].Mapped {
		t.Fatalf("DAG: %d shards, flow %v, tasks %+v", dag.Shards, dag.Flow, dag.Tasks)
	}
	render := func(cmd string, mapIndex int) []string {
		r := strings.NewReplacer("{{ ti.map_index }}", fmt.Sprint(mapIndex),
			"{{ data_interval_start }}", "2026-11-26T00:00:00+00:00",
			"{{ data_interval_end }}", "2026-11-27T00:00:00+00:00",
			"{{ ds_nodash }}", "20261126")
		return strings.Fields(r.Replace(cmd))
	}
	w := newS3World(t)
	w.referenceProfile(t)
	for k := range dag.Shards {
		w.run(t, render(dag.Tasks["profile_shard"].Command, k))
	}
	w.run(t, render(dag.Tasks["merge"].Command, -1))
	got := w.run(t, render(dag.Tasks["compare"].Command, -1))
	if g, want := columnsAndRows(t, got), columnsAndRows(t, w.wholeWindow(t)); g != want {
		t.Errorf("sharded DAG report differs from the window read whole\n got %s\nwant %s", g, want)
	}
	if !strings.Contains(got, `"rows": 9000`) {
		t.Errorf("the window has 9000 rows; report: %.300s", got)
	}
}

// TestKubernetesIndexedJob runs the Indexed Job's pods (JOB_COMPLETION_INDEX 0..7),
// then the second Job's init container (merge) and container (compare).
func TestKubernetesIndexedJob(t *testing.T) {
	f, err := os.Open("kubernetes/indexed-job.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var jobs []map[string]any
	dec := yaml.NewDecoder(f)
	for {
		var doc map[string]any
		if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		if doc["kind"] == "Job" {
			jobs = append(jobs, doc)
		}
	}
	if len(jobs) != 2 {
		t.Fatalf("want 2 Jobs, got %d", len(jobs))
	}
	spec := func(doc map[string]any) map[string]any { return doc["spec"].(map[string]any) }
	pod := func(doc map[string]any) map[string]any {
		return spec(doc)["template"].(map[string]any)["spec"].(map[string]any)
	}
	argsOf := func(c any) []string {
		var out []string
		for _, a := range c.(map[string]any)["args"].([]any) {
			out = append(out, fmt.Sprint(a))
		}
		return out
	}
	indexed := spec(jobs[0])
	if indexed["completionMode"] != "Indexed" || indexed["completions"] != 8 || indexed["parallelism"] != 8 {
		t.Fatalf("first Job: %v", indexed)
	}
	w := newS3World(t)
	w.referenceProfile(t)
	profileArgs := argsOf(pod(jobs[0])["containers"].([]any)[0])
	for k := range 8 {
		argv := []string{"driftwatch"}
		for _, a := range profileArgs {
			argv = append(argv, strings.ReplaceAll(a, "$(JOB_COMPLETION_INDEX)", fmt.Sprint(k)))
		}
		w.run(t, argv)
	}
	w.run(t, append([]string{"driftwatch"}, argsOf(pod(jobs[1])["initContainers"].([]any)[0])...))
	got := w.run(t, append([]string{"driftwatch"}, argsOf(pod(jobs[1])["containers"].([]any)[0])...))
	if g, want := columnsAndRows(t, got), columnsAndRows(t, w.wholeWindow(t)); g != want {
		t.Errorf("indexed-job report differs from the window read whole\n got %s\nwant %s", g, want)
	}
}
