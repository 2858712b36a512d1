package yamlx

import (
	"strings"
	"testing"
	"time"
)

type sinkCfg struct {
	Path string `yaml:"path" required:"true"`
}

type jobCfg struct {
	Name    string            `yaml:"name" required:"true"`
	Window  time.Duration     `yaml:"window"`
	Share   float64           `yaml:"share"`
	Enabled bool              `yaml:"enabled"`
	Tags    []string          `yaml:"tags"`
	Sinks   []Block           `yaml:"sinks"`
	Kinds   map[string]string `yaml:"kinds"`
}

type rootCfg struct {
	Version int      `yaml:"version"`
	Jobs    []jobCfg `yaml:"jobs" required:"true"`
}

func TestUnmarshal(t *testing.T) {
	src := `
version: 1
jobs:
  - name: a
    window: 7d
    share: 0.5
    enabled: true
    tags: [x, y]
    kinds: {age: numeric}
    sinks:
      - type: file
        path: out/a.json
`
	var c rootCfg
	if err := Unmarshal([]byte(src), &c); err != nil {
		t.Fatal(err)
	}
	j := c.Jobs[0]
	if j.Name != "a" || j.Window != 7*24*time.Hour || j.Share != 0.5 || !j.Enabled || len(j.Tags) != 2 || j.Kinds["age"] != "numeric" {
		t.Fatalf("decoded %+v", j)
	}
	if j.Sinks[0].Type != "file" || j.Sinks[0].Path != "jobs[0].sinks[0]" {
		t.Fatalf("block %+v", j.Sinks[0])
	}
	var s sinkCfg
	if err := j.Sinks[0].Decode(&s); err != nil || s.Path != "out/a.json" {
		t.Fatalf("block decode = %+v, %v", s, err)
	}
}

func TestUnmarshal_errorsCarryPaths(t *testing.T) {
	src := `
jobs:
  - window: soon
    share: lots
    colour: red
    sinks:
      - path: x
  - name: b
    sinks:
      - type: file
        pth: x
`
	var c rootCfg
	err := Unmarshal([]byte(src), &c)
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{
		"jobs[0].name: required",
		"jobs[0].window: invalid duration \"soon\"",
		"jobs[0].share: want a number",
		"jobs[0].colour: unknown key",
		"jobs[0].sinks[0].type: required",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	var s sinkCfg
	err = c.Jobs[1].Sinks[0].Decode(&s)
	for _, want := range []string{"jobs[1].sinks[0].pth: unknown key", "jobs[1].sinks[0].path: required"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("block error %v lacks %q", err, want)
		}
	}
}

func TestExpandEnv(t *testing.T) {
	env := map[string]string{"A": "1", "EMPTY": ""}
	look := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	got, err := ExpandEnv([]byte("a=${A} b=${B:-two} c=${C:three} e=${EMPTY:-d} $$HOME"), look)
	if err != nil || string(got) != "a=1 b=two c=three e=d $HOME" {
		t.Fatalf("ExpandEnv = %q, %v", got, err)
	}
	_, err = ExpandEnv([]byte("${Y} ${X} ${Y}"), look)
	if err == nil || err.Error() != "environment variables not set: X, Y" {
		t.Fatalf("ExpandEnv error = %v", err)
	}
}

func TestParseDuration(t *testing.T) {
	for s, want := range map[string]time.Duration{"24h": 24 * time.Hour, "7d": 168 * time.Hour, "1d12h": 36 * time.Hour, "90m": 90 * time.Minute} {
		got, err := ParseDuration(s)
		if err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
	for _, s := range []string{"", "d", "xd", "7days", "soon"} {
		if s == "" {
			continue
		}
		if _, err := ParseDuration(s); err == nil {
			t.Errorf("ParseDuration(%q) gave no error", s)
		}
	}
}

func FuzzUnmarshal(f *testing.F) {
	f.Add([]byte("jobs: [{name: a, sinks: [{type: file}]}]"))
	f.Add([]byte("{"))
	f.Fuzz(func(t *testing.T, b []byte) {
		var c rootCfg
		_ = Unmarshal(b, &c) // must not panic
	})
}

func TestUnmarshal_EnvInValuesOnly(t *testing.T) {
	t.Setenv("DW_YAMLX_NAME", "from-env")
	t.Setenv("DW_YAMLX_TRICK", "x\nshare: 9")
	src := `
# a comment may say ${NOT_A_VARIABLE}
jobs:
  - name: ${DW_YAMLX_NAME}
    tags: ["${DW_YAMLX_TRICK}", "${DW_YAMLX_MISSING:-dflt}"]
`
	var c rootCfg
	if err := Unmarshal([]byte(src), &c); err != nil {
		t.Fatal(err)
	}
	j := c.Jobs[0]
	if j.Name != "from-env" || j.Tags[0] != "x\nshare: 9" || j.Tags[1] != "dflt" || j.Share != 0 {
		t.Fatalf("decoded %+v", j)
	}
	err := Unmarshal([]byte("jobs:\n  - name: ${DW_YAMLX_A}\n    tags: [\"${DW_YAMLX_B}\", \"${DW_YAMLX_A}\"]\n"), &c)
	if err == nil || err.Error() != "environment variables not set: DW_YAMLX_A, DW_YAMLX_B" {
		t.Fatalf("error = %v", err)
	}
}
