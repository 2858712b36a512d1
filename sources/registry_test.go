package sources

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/driftwatch/driftwatch/pipeline"
	"github.com/driftwatch/driftwatch/sources/sourcestest"
)

func TestRegistry_Register(t *testing.T) {
	r := NewRegistry()
	f := Factory{Type: "x", New: newParquet}
	r.Register(f)
	if got, ok := r.Lookup("x"); !ok || got.Type != "x" {
		t.Errorf("Lookup(x) = %+v, %v", got, ok)
	}
	if _, ok := r.Lookup("y"); ok {
		t.Errorf("Lookup(y) found a factory")
	}
	for name, bad := range map[string]Factory{
		"empty type": {New: newParquet},
		"nil New":    {Type: "z"},
		"duplicate":  f,
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("Register(%+v) did not panic", bad)
				}
			}()
			r.Register(bad)
		})
	}
}

func TestRegistry_All(t *testing.T) {
	var types []string
	for _, f := range Builtin().All() {
		types = append(types, f.Type)
		if f.Summary == "" || f.Example == "" {
			t.Errorf("factory %q lacks a summary or an example", f.Type)
		}
	}
	if got, want := strings.Join(types, ","), "arrow,auto,parquet"; got != want {
		t.Errorf("Builtin().All() types = %s, want %s (sorted)", got, want)
	}
}

// TestRegistry_Examples decodes and constructs every example, and opens it against a
// folder laid out like the example's paths.
func TestRegistry_Examples(t *testing.T) {
	dir := t.TempDir()
	writeParquet(t, filepath.Join(dir, "data/live/dt=2026-11-27/part-0.parquet"), []windowRow{{TS: windowBase.UnixMilli(), X: 1, Cat: "a"}}, 10)
	writeParquet(t, filepath.Join(dir, "data/reference/part-0.parquet"), []windowRow{{TS: windowBase.UnixMilli(), X: 1, Cat: "a"}}, 10)
	writeArrow(t, filepath.Join(dir, "snapshots/train-1.arrow"), arrowWindowSchema, false, arrowWindowBatches(10, 5)...)
	for _, f := range Builtin().All() {
		t.Run(f.Type, func(t *testing.T) {
			ds, err := f.New(yamlDecoder(f.Example), Deps{BaseDir: dir})
			if err != nil {
				t.Fatalf("example does not construct: %v\n%s", err, f.Example)
			}
			src := mustOpen(t, ds, pipeline.Window{})
			if src.Rows() == 0 {
				t.Errorf("example opened no rows")
			}
		})
	}
}

func TestConfig_Errors(t *testing.T) {
	cases := []struct {
		typ, yaml string
		want      []string
	}{
		{"parquet", "path: a.parquet\nbogus: 1", []string{"bogus"}},
		{"parquet", "timestamp: ts", []string{"path: required"}},
		{"parquet", "path: [a", []string{"yaml"}},
		{"arrow", "format: csv", []string{"path: required", `format: "csv" is not one of file, stream, auto`}},
		{"arrow", "path: 'data/[x.arrow'", []string{"bad glob"}},
		{"auto", "path: 3\nformat: file", []string{"format"}},
	}
	for _, tc := range cases {
		f, _ := Builtin().Lookup(tc.typ)
		_, err := f.New(yamlDecoder(tc.yaml), Deps{})
		if err == nil {
			t.Errorf("%s %q: nil error", tc.typ, tc.yaml)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s %q: error %q lacks %q", tc.typ, tc.yaml, err, w)
			}
		}
	}
}

func TestListFiles(t *testing.T) {
	dir := t.TempDir()
	for _, p := range []string{
		"b/part-1.parquet", "a/part-0.PARQUET", "a/x.arrow", "a/_SUCCESS", "a/.part-0.parquet.crc",
		"_temporary/part-9.parquet", ".hidden/part-8.parquet", "c/notes.txt", "c/d/e.feather", "c/d/f.ipc",
	} {
		full := filepath.Join(dir, p)
		os.MkdirAll(filepath.Dir(full), 0o755)
		if err := os.WriteFile(full, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rel := func(ps []string) string {
		for i, p := range ps {
			ps[i], _ = filepath.Rel(dir, p)
		}
		return strings.Join(ps, " ")
	}
	cases := []struct {
		path string
		f    fileFormat
		want string
	}{
		{dir, formatParquet, "a/part-0.PARQUET b/part-1.parquet"},
		{dir, formatArrowAuto, "a/x.arrow c/d/e.feather c/d/f.ipc"},
		{dir, formatAuto, "a/part-0.PARQUET a/x.arrow b/part-1.parquet c/d/e.feather c/d/f.ipc"},
		{filepath.Join(dir, "*/part-*"), formatParquet, "a/part-0.PARQUET b/part-1.parquet"},
		{filepath.Join(dir, "[bc]"), formatAuto, "b/part-1.parquet c/d/e.feather c/d/f.ipc"},
		{filepath.Join(dir, "c/notes.txt"), formatParquet, "c/notes.txt"}, // a named file is taken as is
	}
	for _, tc := range cases {
		got, err := listFiles(tc.path, tc.f.exts())
		if err != nil {
			t.Errorf("listFiles(%s) = %v", tc.path, err)
			continue
		}
		if g := rel(got); g != tc.want {
			t.Errorf("listFiles(%s) = %s, want %s", tc.path, g, tc.want)
		}
	}
}

// TestFromPath_Detect: the format comes from the magic bytes, whatever the extension.
func TestFromPath_Detect(t *testing.T) {
	dir := t.TempDir()
	writeParquet(t, filepath.Join(dir, "mixed/a.arrow"), []windowRow{{TS: windowBase.UnixMilli(), X: 1, Cat: "p"}}, 10)
	writeArrow(t, filepath.Join(dir, "mixed/b.parquet"), arrowWindowSchema, false, `[{"ts": 0, "x": 2, "c": "f"}]`)
	writeArrow(t, filepath.Join(dir, "mixed/c.ipc"), arrowWindowSchema, true, `[{"ts": 0, "x": 3, "c": "s"}]`)
	src := mustOpen(t, mustFromPath(t, filepath.Join(dir, "mixed")), pipeline.Window{})
	if got, want := readAll(t, src, "x").f64, []float64{1, 2, 3}; !equalF(got, want) {
		t.Errorf("x = %v, want %v", got, want)
	}
	if got := strings.Join(readAll(t, src, "cat").strs, ","); got != "p,"+nullStr+","+nullStr {
		t.Errorf("cat = %q", got)
	}
	if fs := findings(src.Schema(), "type_merged"); len(fs) != 1 || fs[0].Column != "ts" {
		t.Errorf("type_merged findings = %+v, want one for ts (Parquet and Arrow timestamps)", fs)
	}

	unknown := filepath.Join(dir, "data.bin")
	os.WriteFile(unknown, []byte("hello"), 0o644)
	_, err := mustFromPath(t, unknown).Open(t.Context(), pipeline.Window{})
	if err == nil || !strings.Contains(err.Error(), unknown) || !strings.Contains(err.Error(), "not a Parquet or Arrow IPC file") {
		t.Errorf("Open(unknown format) = %v", err)
	}
	if _, err := FromPath("", Deps{}); err == nil {
		t.Errorf("FromPath(\"\") = nil error")
	}
}

// TestConformance runs the pipeline.Source contract checks on every built-in type.
func TestConformance(t *testing.T) {
	dir := t.TempDir()
	rows := manyRows(2500)
	writeParquet(t, filepath.Join(dir, "pq/part-0.parquet"), rows[:1500], 400)
	writeParquet(t, filepath.Join(dir, "pq/part-1.parquet"), rows[1500:], 400)
	var wrows []windowRow
	for i := range 500 {
		wrows = append(wrows, windowRow{TS: windowBase.Add(time.Duration(i) * time.Minute).UnixMilli(), X: float64(i), Cat: "c" + itoa(int64(i%4))})
	}
	writeParquet(t, filepath.Join(dir, "pqw/part-0.parquet"), wrows, 64)
	writeArrow(t, filepath.Join(dir, "ar/types.arrow"), arrowTypesSchema, false, arrowTypesBatches...)
	writeArrow(t, filepath.Join(dir, "ars/w.arrows"), arrowWindowSchema, true, arrowWindowBatches(200, 33)...)
	w := pipeline.Window{Start: windowBase.Add(100 * time.Minute), End: windowBase.Add(300 * time.Minute)}

	cases := []struct {
		name, typ, yaml string
		w               pipeline.Window
	}{
		{"parquet", "parquet", "path: pq", pipeline.Window{}},
		{"parquet_window", "parquet", "path: pqw/*.parquet\ntimestamp: ts", w},
		{"arrow_file", "arrow", "path: ar\nformat: file", pipeline.Window{}},
		{"arrow_stream_window", "arrow", "path: ars\nformat: stream\ntimestamp: ts", w},
		{"auto", "auto", "path: .", pipeline.Window{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, _ := Builtin().Lookup(tc.typ)
			ds, err := f.New(yamlDecoder(tc.yaml), Deps{BaseDir: dir})
			if err != nil {
				t.Fatal(err)
			}
			sourcestest.Run(t, ds, tc.w)
		})
	}
}
