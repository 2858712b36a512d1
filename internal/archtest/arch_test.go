// Package archtest enforces the import direction of DESIGN.md:
// cmd → jobs → {sources, sinks} → pipeline → stats, with internal/* importing none of them.
package archtest

import (
	"os/exec"
	"strings"
	"testing"
)

const mod = "github.com/driftwatch/driftwatch/"

// allowed lists, per package prefix, the project packages it may import.
var allowed = map[string][]string{
	"stats":          {},
	"pipeline":       {"stats"},
	"sources":        {"pipeline", "stats", "internal/", "sources/"},
	"sinks":          {"pipeline", "stats", "internal/", "sinks/"},
	"jobs":           {"sources", "sinks", "pipeline", "stats", "internal/"},
	"cmd/driftwatch": {"jobs"},
	"cmd/dwgen":      {"internal/"},
	"internal/":      {"internal/"},
}

// forbidden lists third-party imports a package must never have (directly).
var forbidden = map[string][]string{
	"stats":    {"log", "log/slog", "context", "github.com/apache/arrow-go", "github.com/parquet-go", "go.yaml.in", "gopkg.in/yaml"},
	"pipeline": {"github.com/apache/arrow-go", "github.com/parquet-go", "go.yaml.in", "gopkg.in/yaml"},
}

func TestImportDirection(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Imports " "}}`, mod+"...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	checked := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		pkg := strings.TrimPrefix(f[0], mod)
		rule, ok := ruleFor(pkg, allowed)
		if !ok {
			continue
		}
		checked++
		for _, imp := range f[1:] {
			for _, bad := range forbidden[rule] {
				if imp == bad || strings.HasPrefix(imp, bad+"/") || strings.HasPrefix(imp, bad) && strings.Contains(bad, ".") {
					t.Errorf("%s imports %s, which it must not", pkg, imp)
				}
			}
			if !strings.HasPrefix(imp, mod) {
				continue
			}
			target := strings.TrimPrefix(imp, mod)
			ok := false
			for _, a := range allowed[rule] {
				if target == a || strings.HasPrefix(target, a+"/") || strings.HasSuffix(a, "/") && strings.HasPrefix(target, a) {
					ok = true
				}
			}
			if !ok {
				t.Errorf("%s imports %s: against the import direction cmd → jobs → {sources, sinks} → pipeline → stats", pkg, target)
			}
		}
	}
	if checked < 5 {
		t.Fatalf("checked only %d packages; go list output:\n%s", checked, out)
	}
}

func ruleFor(pkg string, rules map[string][]string) (string, bool) {
	best := ""
	for r := range rules {
		if (pkg == r || strings.HasPrefix(pkg, strings.TrimSuffix(r, "/")+"/")) && len(r) > len(best) {
			best = r
		}
	}
	return best, best != ""
}
