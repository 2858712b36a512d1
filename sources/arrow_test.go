package sources

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/driftwatch/driftwatch/pipeline"
)

// writeArrow writes one record batch per JSON document (an array of row objects) to
// path, in the IPC file format or, if stream, the stream format.
func writeArrow(t testing.TB, path string, schema *arrow.Schema, stream bool, batches ...string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var w interface {
		Write(arrow.RecordBatch) error
		Close() error
	}
	if stream {
		w = ipc.NewWriter(f, ipc.WithSchema(schema))
	} else {
		fw, err := ipc.NewFileWriter(f, ipc.WithSchema(schema))
		if err != nil {
			t.Fatal(err)
		}
		w = fw
	}
	for _, js := range batches {
		rec, _, err := array.RecordFromJSON(memory.DefaultAllocator, schema, strings.NewReader(js))
		if err != nil {
			t.Fatalf("RecordFromJSON: %v", err)
		}
		if err := w.Write(rec); err != nil {
			t.Fatal(err)
		}
		rec.Release()
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

var arrowTypesSchema = arrow.NewSchema([]arrow.Field{
	{Name: "i8", Type: arrow.PrimitiveTypes.Int8, Nullable: true},
	{Name: "i16", Type: arrow.PrimitiveTypes.Int16},
	{Name: "i32", Type: arrow.PrimitiveTypes.Int32},
	{Name: "i64", Type: arrow.PrimitiveTypes.Int64},
	{Name: "u8", Type: arrow.PrimitiveTypes.Uint8},
	{Name: "u16", Type: arrow.PrimitiveTypes.Uint16},
	{Name: "u32", Type: arrow.PrimitiveTypes.Uint32},
	{Name: "u64", Type: arrow.PrimitiveTypes.Uint64},
	{Name: "f16", Type: arrow.FixedWidthTypes.Float16, Nullable: true},
	{Name: "f32", Type: arrow.PrimitiveTypes.Float32},
	{Name: "f64", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "b", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
	{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "ls", Type: arrow.BinaryTypes.LargeString},
	{Name: "ds", Type: &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int8, ValueType: arrow.BinaryTypes.String}, Nullable: true},
	{Name: "d32", Type: arrow.FixedWidthTypes.Date32},
	{Name: "d64", Type: arrow.FixedWidthTypes.Date64},
	{Name: "ts_s", Type: &arrow.TimestampType{Unit: arrow.Second}},
	{Name: "ts_ms", Type: &arrow.TimestampType{Unit: arrow.Millisecond, TimeZone: "UTC"}},
	{Name: "ts_us", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "Europe/Paris"}, Nullable: true},
	{Name: "ts_ns", Type: &arrow.TimestampType{Unit: arrow.Nanosecond}},
	{Name: "t32", Type: arrow.FixedWidthTypes.Time32ms},
	{Name: "t64", Type: arrow.FixedWidthTypes.Time64us},
	{Name: "dur", Type: arrow.FixedWidthTypes.Duration_ms},
	{Name: "dec128", Type: &arrow.Decimal128Type{Precision: 10, Scale: 2}, Nullable: true},
	{Name: "dec256", Type: &arrow.Decimal256Type{Precision: 40, Scale: 3}},
	{Name: "list", Type: arrow.ListOf(arrow.PrimitiveTypes.Int32)},
	{Name: "st", Type: arrow.StructOf(arrow.Field{Name: "a", Type: arrow.PrimitiveTypes.Int32})},
	{Name: "bin", Type: arrow.BinaryTypes.Binary},
	{Name: "nul", Type: arrow.Null, Nullable: true},
}, nil)

// Two record batches; the expectations below are literal.
var arrowTypesBatches = []string{
	`[{"i8": -128, "i16": -32768, "i32": -2147483648, "i64": -4611686018427387904, "u8": 255, "u16": 65535,
	   "u32": 4294967295, "u64": 9223372036854775808, "f16": 1.5, "f32": 0.25, "f64": 3.141592653589793,
	   "b": true, "s": "red", "ls": "x", "ds": "blue", "d32": 11016, "d64": 951782400000,
	   "ts_s": 1795787110, "ts_ms": 1795787110123, "ts_us": 1795787110123456, "ts_ns": 1795787110123456789,
	   "t32": 45296789, "t64": 45296789012, "dur": 1500, "dec128": "-123.45", "dec256": "123456789012345678901234567.891",
	   "list": [1, 2], "st": {"a": 1}, "bin": "AAE=", "nul": null},
	  {"i8": null, "i16": 1, "i32": 2, "i64": 3, "u8": 4, "u16": 5, "u32": 6, "u64": 7, "f16": null, "f32": -1,
	   "f64": null, "b": null, "s": null, "ls": "y", "ds": null, "d32": -1, "d64": -86400000,
	   "ts_s": -1, "ts_ms": -500, "ts_us": null, "ts_ns": 1,
	   "t32": 0, "t64": 1, "dur": -2, "dec128": null, "dec256": "-0.001",
	   "list": [], "st": {"a": 2}, "bin": "", "nul": null}]`,
	`[{"i8": 7, "i16": 8, "i32": 9, "i64": 10, "u8": 11, "u16": 12, "u32": 13, "u64": 14, "f16": 65504,
	   "f32": 1e-3, "f64": -0.0, "b": false, "s": "green", "ls": "x", "ds": "blue", "d32": 0, "d64": 0,
	   "ts_s": 0, "ts_ms": 0, "ts_us": 0, "ts_ns": 0, "t32": 86399999, "t64": 0, "dur": 0,
	   "dec128": "99999999.99", "dec256": "0", "list": null, "st": {"a": 3}, "bin": "AA==", "nul": null}]`,
}

func TestArrow_Types(t *testing.T) {
	nan := math.NaN()
	wantF := map[string][]float64{
		"i8":     {-128, nan, 7},
		"i16":    {-32768, 1, 8},
		"i32":    {-2147483648, 2, 9},
		"i64":    {-4611686018427387904, 3, 10},
		"u8":     {255, 4, 11},
		"u16":    {65535, 5, 12},
		"u32":    {4294967295, 6, 13},
		"u64":    {9223372036854775808, 7, 14},
		"f16":    {1.5, nan, 65504},
		"f32":    {0.25, -1, float64(float32(1e-3))},
		"f64":    {3.141592653589793, nan, 0},
		"b":      {1, nan, 0},
		"d32":    {951782400, -86400, 0}, // 2000-02-29, 1969-12-31
		"d64":    {951782400, -86400, 0},
		"ts_s":   {1795787110, -1, 0},
		"ts_ms":  {1795787110.123, -0.5, 0},
		"ts_us":  {1795787110.123456, nan, 0},
		"ts_ns":  {1795787110.123456789, 1e-9, 0},
		"t32":    {45296.789, 0, 86399.999}, // seconds since midnight
		"t64":    {45296.789012, 1e-6, 0},
		"dur":    {1.5, -0.002, 0},
		"dec128": {-123.45, nan, 99999999.99},
		"dec256": {123456789012345678901234567.891, -0.001, 0},
	}
	wantS := map[string][]string{
		"s":  {"red", nullStr, "green"},
		"ls": {"x", "y", "x"},
		"ds": {"blue", nullStr, "blue"},
	}
	wantKind := map[string]pipeline.Kind{
		"b": pipeline.KindBoolean, "d32": pipeline.KindDatetime, "d64": pipeline.KindDatetime,
		"ts_s": pipeline.KindDatetime, "ts_ms": pipeline.KindDatetime, "ts_us": pipeline.KindDatetime,
		"ts_ns": pipeline.KindDatetime, "s": pipeline.KindCategorical, "ls": pipeline.KindCategorical,
		"ds": pipeline.KindCategorical,
	}
	for _, format := range []string{"file", "stream"} {
		t.Run(format, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "types.arrow")
			writeArrow(t, p, arrowTypesSchema, format == "stream", arrowTypesBatches...)
			for _, cfg := range []string{"format: auto", "format: " + format} {
				ds, err := newArrow(yamlDecoder("path: "+p+"\n"+cfg), Deps{})
				if err != nil {
					t.Fatal(err)
				}
				src := mustOpen(t, ds, pipeline.Window{})
				if src.Rows() != 3 {
					t.Errorf("Rows() = %d, want 3", src.Rows())
				}
				s := src.Schema()
				if len(s.Fields) != len(wantF)+len(wantS) {
					t.Errorf("%d fields, want %d: %+v", len(s.Fields), len(wantF)+len(wantS), s.Fields)
				}
				for _, f := range s.Fields {
					k, ok := wantKind[f.Name]
					if !ok {
						k = pipeline.KindNumeric
					}
					if f.Kind != k {
						t.Errorf("%s: kind %s, want %s", f.Name, f.Kind, k)
					}
					got := readAll(t, src, f.Name)
					if got.chunks != 2 {
						t.Errorf("%s: %d chunks, want 2 (one per record batch)", f.Name, got.chunks)
					}
					if w, ok := wantF[f.Name]; ok {
						if i, ok := sameFloats(got.f64, w); !ok {
							t.Errorf("%s = %v, want %v (first difference at %d)", f.Name, got.f64, w, i)
						}
						continue
					}
					if g, w := strings.Join(got.strs, ","), strings.Join(wantS[f.Name], ","); g != w {
						t.Errorf("%s = %q, want %q", f.Name, g, w)
					}
				}
				skipped := map[string]string{}
				for _, fd := range findings(s, "skipped_column") {
					skipped[fd.Column] = fd.Message
				}
				want := map[string]string{"list": "nested column skipped", "st": "nested column skipped",
					"bin": "binary column skipped", "nul": "null column skipped"}
				if len(skipped) != len(want) {
					t.Errorf("skipped = %v, want %v", skipped, want)
				}
				for c, m := range want {
					if skipped[c] != m {
						t.Errorf("skipped[%q] = %q, want %q", c, skipped[c], m)
					}
				}
			}
		})
	}
}

var arrowWindowSchema = arrow.NewSchema([]arrow.Field{
	{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, Nullable: true},
	{Name: "x", Type: arrow.PrimitiveTypes.Float64},
	{Name: "c", Type: arrow.BinaryTypes.String},
}, nil)

// arrowWindowBatches returns record batches of rows i = 0..n-1 at windowBase + i
// minutes (row i%9 == 4 without a timestamp), x = i, c = "c{i%3}".
func arrowWindowBatches(n, per int) []string {
	var out []string
	for start := 0; start < n; start += per {
		var rows []string
		for i := start; i < min(n, start+per); i++ {
			ts := "null"
			if i%9 != 4 {
				ts = itoa(windowBase.Add(time.Duration(i) * time.Minute).UnixMicro())
			}
			rows = append(rows, `{"ts": `+ts+`, "x": `+itoa(int64(i))+`, "c": "c`+itoa(int64(i%3))+`"}`)
		}
		out = append(out, "["+strings.Join(rows, ",")+"]")
	}
	return out
}

func itoa(v int64) string {
	if v < 0 {
		return "-" + itoa(-v)
	}
	if v < 10 {
		return string(rune('0' + v))
	}
	return itoa(v/10) + string(rune('0'+v%10))
}

func TestArrow_Window(t *testing.T) {
	for _, stream := range []bool{false, true} {
		p := filepath.Join(t.TempDir(), "w.arrows")
		writeArrow(t, p, arrowWindowSchema, stream, arrowWindowBatches(100, 30)...)
		ds, err := newArrow(yamlDecoder("path: "+p+"\ntimestamp: ts"), Deps{})
		if err != nil {
			t.Fatal(err)
		}
		w := pipeline.Window{Start: windowBase.Add(20 * time.Minute), End: windowBase.Add(65 * time.Minute)}
		src := mustOpen(t, ds, w)
		var wantX []float64
		var wantC []string
		for i := 20; i < 65; i++ {
			if i%9 != 4 {
				wantX = append(wantX, float64(i))
				wantC = append(wantC, "c"+itoa(int64(i%3)))
			}
		}
		if src.Rows() != int64(len(wantX)) {
			t.Errorf("stream=%v: Rows() = %d, want %d", stream, src.Rows(), len(wantX))
		}
		if got := readAll(t, src, "x").f64; !equalF(got, wantX) {
			t.Errorf("stream=%v: x = %v, want %v", stream, got, wantX)
		}
		if got := readAll(t, src, "c").strs; strings.Join(got, ",") != strings.Join(wantC, ",") {
			t.Errorf("stream=%v: c = %v, want %v", stream, got, wantC)
		}
		// Batches 0..3 hold rows 0-29, 30-59, 60-89, 90-99: batch 3 has no row in the
		// window and is not decoded for x.
		before := src.(*source).unitsRead.Load()
		readAll(t, src, "x")
		if got := src.(*source).unitsRead.Load() - before; got != 3 {
			t.Errorf("stream=%v: record batches decoded for one column = %d, want 3", stream, got)
		}
	}
}

func TestArrow_Errors(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.arrow")
	writeArrow(t, good, arrowWindowSchema, false, arrowWindowBatches(100, 30)...)
	data, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	goodStream := filepath.Join(dir, "good.arrows")
	writeArrow(t, goodStream, arrowWindowSchema, true, arrowWindowBatches(100, 30)...)
	sdata, err := os.ReadFile(goodStream)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{
		"half.arrow":       data[:len(data)/2],
		"garbage.arrow":    []byte("this is not arrow at all, just some text"),
		"empty.arrow":      nil,
		"half-stream.ipc":  sdata[:len(sdata)/2],
		"feather-v1.arrow": []byte("FEA1\x00\x00\x00\x00rest"),
	}
	for name, b := range files {
		p := filepath.Join(dir, "bad", name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		ds, err := newArrow(yamlDecoder("path: "+p), Deps{})
		if err != nil {
			t.Fatal(err)
		}
		src, err := ds.Open(t.Context(), pipeline.Window{})
		if err == nil {
			src.Close()
			t.Errorf("Open(%s) = nil error", name)
			continue
		}
		var de *pipeline.DataError
		if !errors.As(err, &de) || de.Source != p {
			t.Errorf("Open(%s) = %v, want a DataError naming the file", name, err)
		}
	}
}

// TestArrow_StreamDictionaryReplacement: a stream may replace a field's dictionary
// between record batches; codes are per chunk.
func TestArrow_StreamDictionaryReplacement(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "ds", Type: &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int16, ValueType: arrow.BinaryTypes.String}, Nullable: true},
		{Name: "dn", Type: &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.PrimitiveTypes.Float64}},
	}, nil)
	p := filepath.Join(t.TempDir(), "d.arrows")
	writeArrow(t, p, schema, true,
		`[{"ds": "a", "dn": 1.5}, {"ds": "b", "dn": 2.5}, {"ds": null, "dn": 1.5}]`,
		`[{"ds": "c", "dn": -1}, {"ds": "a", "dn": 7}]`)
	src := mustOpen(t, mustFromPath(t, p), pipeline.Window{})
	if got, want := strings.Join(readAll(t, src, "ds").strs, ","), "a,b,"+nullStr+",c,a"; got != want {
		t.Errorf("ds = %q, want %q", got, want)
	}
	if got, want := readAll(t, src, "dn").f64, []float64{1.5, 2.5, 1.5, -1, 7}; !equalF(got, want) {
		t.Errorf("dn = %v, want %v", got, want)
	}
}
