package sinks

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/driftwatch/driftwatch/internal/yamlx"
	"github.com/driftwatch/driftwatch/pipeline"
)

// fileSink builds a file sink from YAML through the registry, as jobs does.
func fileSink(t *testing.T, dir, yaml string) (*File, error) {
	t.Helper()
	var doc struct {
		Sinks []yamlx.Block `yaml:"sinks"`
	}
	if err := yamlx.Unmarshal([]byte(yaml), &doc); err != nil {
		t.Fatalf("yaml: %v", err)
	}
	s, err := Builtin().New(doc.Sinks[0].Type, doc.Sinks[0].Decode, Deps{BaseDir: dir})
	if err != nil {
		return nil, err
	}
	return s.(*File), nil
}

func fileReport() *pipeline.Report {
	at := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	return &pipeline.Report{SchemaVersion: 1, Job: "churn", RunID: "churn-20261127T000000Z", LogicalTime: &at,
		Columns: []pipeline.ColumnReport{{Name: "<b>x</b>", Kind: pipeline.KindNumeric, Status: "ok", Tests: []pipeline.TestResult{}}},
		Quality: []pipeline.Finding{}}
}

// TestFile_Formats: json (default), html, and [json, html] writing both files side by side.
func TestFile_Formats(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		files      []string
	}{
		{"default", "path: out/{job}/{logical_date}.json", []string{"out/churn/2026-11-27.json"}},
		{"json", "path: r.json\n    format: json", []string{"r.json"}},
		{"html", "path: out/{job}.html\n    format: html", []string{"out/churn.html"}},
		{"both", "path: out/{logical_date}.json\n    format: [json, html]", []string{"out/2026-11-27.json", "out/2026-11-27.html"}},
		{"html_first", "path: r.html\n    format: [html, json]", []string{"r.html", "r.json"}},
		{"no_extension", "path: out/report\n    format: [json, html]", []string{"out/report", "out/report.html"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			f, err := fileSink(t, dir, "sinks:\n  - type: file\n    "+tc.yaml+"\n")
			if err != nil {
				t.Fatal(err)
			}
			r := fileReport()
			if err := f.Write(context.Background(), r); err != nil {
				t.Fatal(err)
			}
			locs, err := f.Locations(r)
			if err != nil {
				t.Fatal(err)
			}
			first, _ := f.Location(r)
			if first != locs[0] || len(locs) != len(tc.files) {
				t.Fatalf("Location = %s, Locations = %v; want %v", first, locs, tc.files)
			}
			for i, want := range tc.files {
				if locs[i] != filepath.Join(dir, want) {
					t.Errorf("Locations[%d] = %s, want %s", i, locs[i], filepath.Join(dir, want))
				}
				b, err := os.ReadFile(locs[i])
				if err != nil {
					t.Fatal(err)
				}
				isHTML := strings.HasSuffix(want, ".html")
				switch {
				case isHTML && !strings.HasPrefix(string(b), "<!DOCTYPE html>"):
					t.Errorf("%s: not HTML: %.40q", want, b)
				case isHTML && !strings.Contains(string(b), "&lt;b&gt;x&lt;/b&gt;"):
					t.Errorf("%s: the column name is not escaped", want)
				case !isHTML:
					var back struct {
						RunID string `json:"run_id"`
					}
					if err := json.Unmarshal(b, &back); err != nil || back.RunID != r.RunID {
						t.Errorf("%s: not the JSON report: %v", want, err)
					}
				}
			}
		})
	}
}

// TestFile_FormatErrors: unknown, repeated and mistyped formats are config errors, and
// two formats that would write one file are a write error.
func TestFile_FormatErrors(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{"format: xml", `format: "xml" is not supported (valid: json, html)`},
		{"format: [json, json]", "format: json is listed twice"},
		{"format: []", "format: empty list"},
		{"format: [json, 3]", "format[1]: want json or html, got 3"},
		{"format: {a: b}", "format: want json, html or a list of them"},
	} {
		_, err := fileSink(t, t.TempDir(), "sinks:\n  - type: file\n    path: r.json\n    "+tc.yaml+"\n")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.yaml, err, tc.want)
		}
	}
	f, err := fileSink(t, t.TempDir(), "sinks:\n  - type: file\n    path: r.html\n    format: [json, html]\n")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Write(context.Background(), fileReport()); err == nil || !strings.Contains(err.Error(), "would both write") {
		t.Errorf("Write with colliding paths: %v, want an error", err)
	}
}

// TestFile_Example: the file sink's example config builds and asks for both formats.
func TestFile_Example(t *testing.T) {
	for _, f := range []Factory{fileFactory} {
		y := "sinks:\n  - " + strings.ReplaceAll(strings.TrimSpace(f.Example), "\n", "\n    ") + "\n"
		var doc struct {
			Sinks []yamlx.Block `yaml:"sinks"`
		}
		if err := yamlx.Unmarshal([]byte(y), &doc); err != nil {
			t.Fatalf("%s example: %v\n%s", f.Type, err, y)
		}
		s, err := f.New(doc.Sinks[0].Decode, Deps{BaseDir: t.TempDir()})
		if err != nil {
			t.Fatalf("%s example: %v", f.Type, err)
		}
		if got := s.(*File).formats; strings.Join(got, ",") != "json,html" {
			t.Errorf("example formats = %v, want [json html]", got)
		}
	}
}
