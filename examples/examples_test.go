// Package examples_test checks the deployment examples against the command line they
// call: the Airflow DAG (parsed with Python's ast module; Airflow itself is not
// installed here) and the Kubernetes manifests (decoded as YAML).
package examples_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/driftwatch/driftwatch/jobs"
)

// dagProbe parses the DAG without importing Airflow: it evaluates the module's string
// constants, finds the operator calls, renders the data-interval templates as Airflow
// does (ISO 8601 with +00:00) and splits the bash command like bash would.
const dagProbe = `
import ast, json, shlex, sys
src = open(sys.argv[1]).read()
tree = ast.parse(src)
consts = {}
for node in tree.body:
    if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
        try:
            consts[node.targets[0].id] = ast.literal_eval(node.value)
        except ValueError:
            pass
def ev(n):
    if isinstance(n, ast.Constant):
        return n.value
    if isinstance(n, ast.Name):
        return consts[n.id]
    if isinstance(n, ast.BinOp) and isinstance(n.op, ast.Add):
        return ev(n.left) + ev(n.right)
    if isinstance(n, ast.List):
        return [ev(e) for e in n.elts]
    raise ValueError(ast.dump(n))
def render(s):
    return s.replace("{{ data_interval_start }}", "2026-11-26T01:00:00+00:00").replace("{{ data_interval_end }}", "2026-11-27T01:00:00+00:00")
out = {"operators": {}}
for node in ast.walk(tree):
    if not isinstance(node, ast.Call):
        continue
    name = getattr(node.func, "id", getattr(node.func, "attr", ""))
    kw = {k.arg: k.value for k in node.keywords}
    if name == "DAG":
        out["schedule"] = ev(kw["schedule"])
        out["catchup"] = ev(kw["catchup"])
        out["max_active_runs"] = ev(kw["max_active_runs"])
    if name == "BashOperator":
        out["operators"][ev(kw["task_id"])] = {"argv": shlex.split(render(ev(kw["bash_command"]))), "xcom": ev(kw["do_xcom_push"])}
    if name == "KubernetesPodOperator":
        out["operators"][ev(kw["task_id"])] = {"argv": ["driftwatch"] + [render(a) for a in ev(kw["arguments"])], "xcom": ev(kw["do_xcom_push"])}
print(json.dumps(out))
`

type dagInfo struct {
	Schedule      string `json:"schedule"`
	Catchup       bool   `json:"catchup"`
	MaxActiveRuns int    `json:"max_active_runs"`
	Operators     map[string]struct {
		Argv []string `json:"argv"`
		XCom bool     `json:"xcom"`
	} `json:"operators"`
}

// cli runs the driftwatch command line in-process.
func cli(args ...string) (int, string) {
	var out, errb bytes.Buffer
	code := jobs.MainEnv(context.Background(), args, jobs.Env{Stdout: &out, Stderr: &errb, Now: time.Now})
	return code, errb.String()
}

// checkArgv runs a command line from an example with its config swapped for one that
// does not exist: the flags must all parse (a flag error would name the flag), so the
// first error is the missing config.
func checkArgv(t *testing.T, what string, argv []string) {
	t.Helper()
	if len(argv) < 2 || argv[0] != "driftwatch" || argv[1] != "run" {
		t.Fatalf("%s: command %q, want driftwatch run …", what, argv)
	}
	missing := filepath.Join(t.TempDir(), "absent.yaml")
	args := append([]string(nil), argv[1:]...)
	for i := range args {
		if args[i] == "--config" && i+1 < len(args) {
			args[i+1] = missing
		}
	}
	code, stderr := cli(args...)
	if code != jobs.ExitUsage || !strings.Contains(stderr, "absent.yaml") || strings.Contains(stderr, "flag") {
		t.Errorf("%s: driftwatch %s\nexit %d: %s\nwant the missing config as the only error", what, strings.Join(args, " "), code, stderr)
	}
}

func TestAirflowDAG(t *testing.T) {
	py := "/usr/bin/python3"
	if _, err := os.Stat(py); err != nil {
		t.Skipf("no %s to parse the DAG with", py)
	}
	out, err := exec.Command(py, "-c", dagProbe, "airflow/driftwatch_dag.py").Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("parse DAG: %v\n%s", err, ee.Stderr)
		}
		t.Fatal(err)
	}
	var dag dagInfo
	if err := json.Unmarshal(out, &dag); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if dag.Schedule != k8sJobSchedule(t) || dag.Catchup || dag.MaxActiveRuns != 1 {
		t.Errorf("DAG schedule %q catchup %v max_active_runs %d; want the job's schedule, false, 1", dag.Schedule, dag.Catchup, dag.MaxActiveRuns)
	}
	for _, task := range []string{"drift_report", "drift_report_k8s"} {
		op, ok := dag.Operators[task]
		if !ok {
			t.Errorf("no task %s in %v", task, dag.Operators)
			continue
		}
		joined := strings.Join(op.Argv, " ")
		if !strings.Contains(joined, "--window-start 2026-11-26T01:00:00+00:00 --window-end 2026-11-27T01:00:00+00:00") {
			t.Errorf("%s: %s does not pass the data interval", task, joined)
		}
		checkArgv(t, task, op.Argv)
	}
	if !dag.Operators["drift_report"].XCom {
		t.Error("the BashOperator does not push the summary line to XCom")
	}
}

// k8sDocs decodes the manifests of examples/kubernetes/cronjob.yaml.
func k8sDocs(t *testing.T) (configMap, cronJob map[string]any) {
	t.Helper()
	f, err := os.Open("kubernetes/cronjob.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := yaml.NewDecoder(f)
	for {
		var doc map[string]any
		if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		switch doc["kind"] {
		case "ConfigMap":
			configMap = doc
		case "CronJob":
			cronJob = doc
		}
	}
	if configMap == nil || cronJob == nil {
		t.Fatal("cronjob.yaml lacks the ConfigMap or the CronJob")
	}
	return configMap, cronJob
}

func get(m any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			mm, _ := m.(map[string]any)
			m = mm[k]
		case int:
			s, _ := m.([]any)
			if k >= len(s) {
				return nil
			}
			m = s[k]
		}
	}
	return m
}

// k8sJobSchedule returns the schedule of the job in the ConfigMap's config, after
// checking that the config is valid.
func k8sJobSchedule(t *testing.T) string {
	cm, _ := k8sDocs(t)
	text, _ := get(cm, "data", "config.yaml").(string)
	t.Setenv("DRIFTWATCH_STATE_DSN", "postgres://driftwatch@db:5432/driftwatch")
	cfg, err := jobs.ParseConfig([]byte(text), "configmap/config.yaml")
	if err != nil {
		t.Fatalf("the ConfigMap's config.yaml: %v", err)
	}
	return cfg.Jobs[0].Schedule
}

func TestKubernetesCronJob(t *testing.T) {
	_, cj := k8sDocs(t)
	if get(cj, "apiVersion") != "batch/v1" || get(cj, "spec", "concurrencyPolicy") != "Forbid" {
		t.Errorf("CronJob: apiVersion %v, concurrencyPolicy %v; want batch/v1, Forbid", get(cj, "apiVersion"), get(cj, "spec", "concurrencyPolicy"))
	}
	if s := get(cj, "spec", "schedule"); s != k8sJobSchedule(t) {
		t.Errorf("CronJob schedule %v differs from the job's schedule %s", s, k8sJobSchedule(t))
	}
	pod := get(cj, "spec", "jobTemplate", "spec", "template", "spec")
	if get(pod, "restartPolicy") != "Never" {
		t.Errorf("restartPolicy %v, want Never (retries are the Job's backoffLimit)", get(pod, "restartPolicy"))
	}
	raw, _ := get(pod, "containers", 0, "args").([]any)
	argv := []string{"driftwatch"}
	for _, a := range raw {
		argv = append(argv, a.(string))
	}
	if !strings.Contains(strings.Join(argv, " "), "--at scheduled") {
		t.Errorf("container args %v: want --at scheduled (Kubernetes passes no logical time)", argv)
	}
	checkArgv(t, "CronJob", argv)
}
