package sources

import (
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"

	"github.com/driftwatch/driftwatch/pipeline"
)

type nested struct {
	A int32 `parquet:"a"`
}

// typesRow has a column of every Parquet type the reader maps, and some it skips.
type typesRow struct {
	I8      int8             `parquet:"i8"`
	I16     int16            `parquet:"i16"`
	I32     int32            `parquet:"i32"`
	I64     int64            `parquet:"i64"`
	U8      uint8            `parquet:"u8"`
	U32     uint32           `parquet:"u32"`
	U64     uint64           `parquet:"u64"`
	F32     float32          `parquet:"f32"`
	F64     float64          `parquet:"f64"`
	OptF64  *float64         `parquet:"opt_f64,optional"`
	DictF64 float64          `parquet:"dict_f64,dict"`
	B       bool             `parquet:"b"`
	OptB    *bool            `parquet:"opt_b,optional"`
	S       string           `parquet:"s"`
	DictS   string           `parquet:"dict_s,dict"`
	OptS    *string          `parquet:"opt_s,optional,dict"`
	Enum    string           `parquet:"e,enum"`
	Date    int32            `parquet:"date,date"`
	TsMs    int64            `parquet:"ts_ms,timestamp(millisecond)"`
	TsUs    int64            `parquet:"ts_us,timestamp(microsecond)"`
	TsNs    int64            `parquet:"ts_ns,timestamp(nanosecond)"`
	TsLocal int64            `parquet:"ts_local,timestamp(millisecond:local)"`
	OptTs   *time.Time       `parquet:"opt_ts,timestamp(microsecond),optional"`
	T96     deprecated.Int96 `parquet:"t96"`
	TimeMs  int32            `parquet:"time_ms,time(millisecond)"`
	TimeUs  int64            `parquet:"time_us,time(microsecond)"`
	Dec32   int32            `parquet:"dec32,decimal(2:9)"`
	Dec64   int64            `parquet:"dec64,decimal(3:18)"`
	DecFix  [16]byte         `parquet:"dec_fix,decimal(4:38)"`
	Bin     []byte           `parquet:"bin,bytes"`
	UUID    [16]byte         `parquet:"uuid,uuid"`
	JSON    string           `parquet:"json,json"`
	List    []int32          `parquet:"list,list"`
	Nested  nested           `parquet:"nested"`
}

// int96Of encodes t as a legacy INT96 timestamp: nanoseconds of the day in the first
// 8 bytes, the Julian day in the last 4 (Julian day 2440588 is 1970-01-01).
func int96Of(t time.Time) deprecated.Int96 {
	days := t.Unix() / 86400
	if t.Unix()%86400 < 0 {
		days--
	}
	nod := uint64(t.Sub(time.Unix(days*86400, 0)))
	return deprecated.Int96{uint32(nod), uint32(nod >> 32), uint32(days + 2440588)}
}

// bigEndian16 encodes v as 16-byte big-endian two's complement.
func bigEndian16(v int64) (b [16]byte) {
	for i := 15; i >= 0; i-- {
		b[i] = byte(v)
		v >>= 8 // arithmetic: sign-extends
	}
	return b
}

// secs is the documented datetime value: Unix seconds as float64(sec)+float64(nsec)/1e9.
func secs(t time.Time) float64 { return float64(t.Unix()) + float64(t.Nanosecond())/1e9 }

func ptr[T any](v T) *T { return &v }

var typeTimes = []time.Time{
	time.Date(2026, 11, 27, 13, 45, 10, 123456789, time.UTC),
	time.Date(1969, 12, 31, 23, 59, 59, 500000000, time.UTC), // before the epoch
	time.Date(2000, 2, 29, 0, 0, 0, 0, time.UTC),
	time.Date(2038, 1, 19, 3, 14, 8, 999999999, time.UTC),
	time.Date(1970, 1, 1, 0, 0, 0, 1, time.UTC),
}

func typesRows() []typesRow {
	var rows []typesRow
	cats := []string{"red", "green", "blue"}
	for i, t := range typeTimes {
		r := typesRow{
			I8: int8(-100 + 50*i), I16: int16(-30000 + 15000*i), I32: int32(-2e9 + 1e9*i), I64: -1<<62 + int64(i),
			U8: uint8(200 + i), U32: uint32(4e9) + uint32(i), U64: 1<<63 + uint64(i)<<11,
			F32: float32(i) + 0.25, F64: math.Pi * float64(i),
			DictF64: float64(i % 2),
			B:       i%2 == 0,
			S:       cats[i%3], DictS: cats[(i+1)%3], Enum: cats[i%2],
			Date: int32(t.Unix() / 86400),
			TsMs: t.UnixMilli(), TsUs: t.UnixMicro(), TsNs: t.UnixNano(), TsLocal: t.UnixMilli(),
			T96:    int96Of(t),
			TimeMs: int32(45296789 + i), // 12:34:56.789
			TimeUs: 45296789012 + int64(i),
			Dec32:  int32(-12345 + 10000*i),
			Dec64:  int64(987654321 * (i - 2)),
			DecFix: bigEndian16(int64(-1234567890123 * (i - 1))),
			Bin:    []byte{byte(i)},
			JSON:   `{"a":1}`,
			List:   []int32{int32(i)},
			Nested: nested{A: int32(i)},
		}
		if i%2 == 1 {
			r.OptF64 = ptr(float64(i) / 4)
			r.OptB = ptr(i%4 == 1)
			r.OptTs = ptr(t.Truncate(time.Microsecond))
		}
		if i != 2 {
			r.OptS = &cats[i%3]
		}
		rows = append(rows, r)
	}
	return rows
}

func TestParquet_Types(t *testing.T) {
	p := filepath.Join(t.TempDir(), "types.parquet")
	rows := typesRows()
	writeParquet(t, p, rows, 2) // row groups of 2, 2, 1
	ds, err := FromPath(p, Deps{})
	if err != nil {
		t.Fatal(err)
	}
	src := mustOpen(t, ds, pipeline.Window{})
	if src.Rows() != int64(len(rows)) {
		t.Errorf("Rows() = %d, want %d", src.Rows(), len(rows))
	}

	nan := math.NaN()
	type want struct {
		kind pipeline.Kind
		typ  string
		f64  func(r typesRow, i int) float64
		str  func(r typesRow, i int) string
	}
	wants := map[string]want{
		"i8":       {pipeline.KindNumeric, "int8", func(r typesRow, _ int) float64 { return float64(r.I8) }, nil},
		"i16":      {pipeline.KindNumeric, "int16", func(r typesRow, _ int) float64 { return float64(r.I16) }, nil},
		"i32":      {pipeline.KindNumeric, "int32", func(r typesRow, _ int) float64 { return float64(r.I32) }, nil},
		"i64":      {pipeline.KindNumeric, "int64", func(r typesRow, _ int) float64 { return float64(r.I64) }, nil},
		"u8":       {pipeline.KindNumeric, "uint8", func(r typesRow, _ int) float64 { return float64(r.U8) }, nil},
		"u32":      {pipeline.KindNumeric, "uint32", func(r typesRow, _ int) float64 { return float64(r.U32) }, nil},
		"u64":      {pipeline.KindNumeric, "uint64", func(r typesRow, _ int) float64 { return float64(r.U64) }, nil},
		"f32":      {pipeline.KindNumeric, "float", func(r typesRow, _ int) float64 { return float64(r.F32) }, nil},
		"f64":      {pipeline.KindNumeric, "double", func(r typesRow, _ int) float64 { return r.F64 }, nil},
		"dict_f64": {pipeline.KindNumeric, "double", func(r typesRow, _ int) float64 { return r.DictF64 }, nil},
		"opt_f64": {pipeline.KindNumeric, "double", func(r typesRow, _ int) float64 {
			if r.OptF64 == nil {
				return nan
			}
			return *r.OptF64
		}, nil},
		"b": {pipeline.KindBoolean, "bool", func(r typesRow, _ int) float64 {
			if r.B {
				return 1
			}
			return 0
		}, nil},
		"opt_b": {pipeline.KindBoolean, "bool", func(r typesRow, _ int) float64 {
			switch {
			case r.OptB == nil:
				return nan
			case *r.OptB:
				return 1
			}
			return 0
		}, nil},
		"s":      {pipeline.KindCategorical, "string", nil, func(r typesRow, _ int) string { return r.S }},
		"dict_s": {pipeline.KindCategorical, "string", nil, func(r typesRow, _ int) string { return r.DictS }},
		"opt_s": {pipeline.KindCategorical, "string", nil, func(r typesRow, _ int) string {
			if r.OptS == nil {
				return nullStr
			}
			return *r.OptS
		}},
		"e":    {pipeline.KindCategorical, "enum", nil, func(r typesRow, _ int) string { return r.Enum }},
		"date": {pipeline.KindDatetime, "date", func(r typesRow, _ int) float64 { return float64(r.Date) * 86400 }, nil},
		"ts_ms": {pipeline.KindDatetime, "timestamp[ms, utc]", func(_ typesRow, i int) float64 {
			return secs(typeTimes[i].Truncate(time.Millisecond))
		}, nil},
		"ts_us": {pipeline.KindDatetime, "timestamp[us, utc]", func(_ typesRow, i int) float64 {
			return secs(typeTimes[i].Truncate(time.Microsecond))
		}, nil},
		"ts_ns":    {pipeline.KindDatetime, "timestamp[ns, utc]", func(_ typesRow, i int) float64 { return secs(typeTimes[i]) }, nil},
		"ts_local": {pipeline.KindDatetime, "timestamp[ms]", func(_ typesRow, i int) float64 { return secs(typeTimes[i].Truncate(time.Millisecond)) }, nil},
		"opt_ts": {pipeline.KindDatetime, "timestamp[us, utc]", func(r typesRow, _ int) float64 {
			if r.OptTs == nil {
				return nan
			}
			return secs(*r.OptTs)
		}, nil},
		"t96":     {pipeline.KindDatetime, "int96", func(_ typesRow, i int) float64 { return secs(typeTimes[i]) }, nil},
		"time_ms": {pipeline.KindNumeric, "time[ms]", func(r typesRow, _ int) float64 { return float64(r.TimeMs) / 1e3 }, nil},
		"time_us": {pipeline.KindNumeric, "time[us]", func(r typesRow, _ int) float64 { return float64(r.TimeUs) / 1e6 }, nil},
		"dec32":   {pipeline.KindNumeric, "decimal(9,2)", func(r typesRow, _ int) float64 { return float64(r.Dec32) / 100 }, nil},
		"dec64":   {pipeline.KindNumeric, "decimal(18,3)", func(r typesRow, _ int) float64 { return float64(r.Dec64) / 1000 }, nil},
		"dec_fix": {pipeline.KindNumeric, "decimal(38,4)", func(_ typesRow, i int) float64 {
			return float64(-1234567890123*(i-1)) / 1e4
		}, nil},
	}
	schema := src.Schema()
	if len(schema.Fields) != len(wants) {
		t.Errorf("schema has %d fields, want %d: %+v", len(schema.Fields), len(wants), schema.Fields)
	}
	for _, f := range schema.Fields {
		w, ok := wants[f.Name]
		if !ok {
			t.Errorf("unexpected field %+v", f)
			continue
		}
		if f.Kind != w.kind || f.Type != w.typ {
			t.Errorf("field %q: kind %s type %q, want %s %q", f.Name, f.Kind, f.Type, w.kind, w.typ)
		}
		got := readAll(t, src, f.Name)
		if got.chunks != 3 {
			t.Errorf("%s: %d chunks, want 3 (one per row group)", f.Name, got.chunks)
		}
		for i, r := range rows {
			if w.f64 != nil {
				if i >= len(got.f64) {
					t.Errorf("%s: %d values, want %d", f.Name, len(got.f64), len(rows))
					break
				}
				if e := w.f64(r, i); got.f64[i] != e && !(math.IsNaN(e) && math.IsNaN(got.f64[i])) {
					t.Errorf("%s[%d] = %v, want %v", f.Name, i, got.f64[i], e)
				}
				continue
			}
			if i >= len(got.strs) {
				t.Errorf("%s: %d values, want %d", f.Name, len(got.strs), len(rows))
				break
			}
			if e := w.str(r, i); got.strs[i] != e {
				t.Errorf("%s[%d] = %q, want %q", f.Name, i, got.strs[i], e)
			}
		}
	}

	// Literal spot checks, independent of the formulas above.
	spot := []struct {
		col  string
		row  int
		want float64
	}{
		{"dec32", 0, -123.45},              // -12345 at scale 2
		{"dec64", 0, -1975308.642},         // -1975308642 at scale 3
		{"dec_fix", 0, 123456789.0123},     // 1234567890123 at scale 4
		{"time_ms", 0, 45296.789},          // 12:34:56.789
		{"t96", 1, -0.5},                   // 1969-12-31T23:59:59.5Z
		{"ts_ms", 1, -0.5},                 // same instant in milliseconds
		{"date", 2, 951782400},             // 2000-02-29
		{"ts_ns", 4, 1e-9},                 // one nanosecond after the epoch
		{"u64", 0, 9223372036854775808},    // 2^63
		{"i64", 0, -4611686018427387904},   // -2^62
		{"ts_us", 0, 1795787110.123456},    // 2026-11-27T13:45:10.123456Z
		{"ts_ns", 0, 1795787110.123456789}, // 2026-11-27T13:45:10.123456789Z (rounded to float64)
	}
	for _, s := range spot {
		if got := readAll(t, src, s.col).f64[s.row]; got != s.want {
			t.Errorf("%s[%d] = %v, want %v", s.col, s.row, got, s.want)
		}
	}

	// Skipped columns, one finding each.
	skipped := map[string]string{}
	for _, f := range findings(schema, "skipped_column") {
		skipped[f.Column] = f.Message
		if f.Severity != pipeline.SeverityWarning || f.Source != p {
			t.Errorf("finding %+v: want severity warning, source %s", f, p)
		}
	}
	for col, msg := range map[string]string{
		"bin": "binary column skipped", "uuid": "uuid column skipped", "json": "json column skipped",
		"list": "nested column skipped", "nested": "nested column skipped",
	} {
		if !strings.HasPrefix(skipped[col], msg) {
			t.Errorf("skipped[%q] = %q, want prefix %q", col, skipped[col], msg)
		}
	}
	if len(skipped) != 5 {
		t.Errorf("skipped = %v, want 5 columns", skipped)
	}
}

// manyRow is a wide-ish row for paging and batching tests.
type manyRow struct {
	ID  int64    `parquet:"id"`
	X   *float64 `parquet:"x,optional"`
	Cat *string  `parquet:"cat,optional,dict"`
	Txt string   `parquet:"txt"` // plain-encoded strings
}

func manyRows(n int) []manyRow {
	rows := make([]manyRow, n)
	cats := []string{"alpha", "beta", "gamma", "delta", "epsilon"}
	for i := range rows {
		rows[i].ID = int64(i)
		if i%7 != 3 {
			rows[i].X = ptr(float64(i) * 0.5)
		}
		if i%11 != 5 {
			rows[i].Cat = &cats[i%len(cats)]
		}
		rows[i].Txt = "t" + string(rune('a'+i%26)) + string(rune('a'+(i/26)%26))
	}
	return rows
}

// TestParquet_PagesAndBatches reads row groups of many pages (small page buffer) in
// small batches, and checks values, nulls and chunk sizes.
func TestParquet_PagesAndBatches(t *testing.T) {
	p := filepath.Join(t.TempDir(), "many.parquet")
	rows := manyRows(5000)
	writeParquet(t, p, rows, 2000, parquet.PageBufferSize(512))
	ds, _ := FromPath(p, Deps{})
	ds.(*dataset).batchRows = 300
	src := mustOpen(t, ds, pipeline.Window{})

	for _, name := range []string{"id", "x", "cat", "txt"} {
		var sizes []int
		err := src.ReadColumn(t.Context(), name, func(c pipeline.Column) error {
			sizes = append(sizes, c.Len())
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		total := 0
		for i, n := range sizes {
			total += n
			if n > 300+600 && i < len(sizes)-1 { // a batch ends at the first page boundary past 300 rows
				t.Errorf("%s: chunk %d has %d rows, want about 300", name, i, n)
			}
		}
		if total != len(rows) || len(sizes) < 5000/900 {
			t.Errorf("%s: %d rows in %d chunks, want %d rows in batches", name, total, len(sizes), len(rows))
		}
	}
	x := readAll(t, src, "x").f64
	cat := readAll(t, src, "cat").strs
	txt := readAll(t, src, "txt").strs
	id := readAll(t, src, "id").f64
	for i, r := range rows {
		wantX := math.NaN()
		if r.X != nil {
			wantX = *r.X
		}
		if x[i] != wantX && !(math.IsNaN(x[i]) && r.X == nil) {
			t.Fatalf("x[%d] = %v, want %v", i, x[i], wantX)
		}
		wantCat := nullStr
		if r.Cat != nil {
			wantCat = *r.Cat
		}
		if cat[i] != wantCat || txt[i] != r.Txt || id[i] != float64(i) {
			t.Fatalf("row %d = (%v, %q, %q), want (%d, %q, %q)", i, id[i], cat[i], txt[i], i, wantCat, r.Txt)
		}
	}
}

type mergeA struct {
	ID    int32   `parquet:"id"`
	X     float64 `parquet:"x"`
	S     string  `parquet:"s"`
	OnlyA int64   `parquet:"only_a"`
}

type mergeB struct {
	S  string `parquet:"s,dict"`
	ID int64  `parquet:"id"`
	X  string `parquet:"x"`
}

func TestParquet_SchemaMerge(t *testing.T) {
	dir := t.TempDir()
	pa, pb := filepath.Join(dir, "a.parquet"), filepath.Join(dir, "b.parquet")
	writeParquet(t, pa, []mergeA{{1, 1.5, "u", 10}, {2, 2.5, "v", 20}}, 10)
	writeParquet(t, pb, []mergeB{{"v", 3, "oops"}, {"w", 4, "no"}, {"u", 5, "x"}}, 10)
	ds, _ := FromPath(dir, Deps{})
	src := mustOpen(t, ds, pipeline.Window{})
	s := src.Schema()

	var names []string
	for _, f := range s.Fields {
		names = append(names, f.Name+":"+f.Kind.String()+":"+f.Type)
	}
	if got, want := strings.Join(names, " "), "id:numeric:int32|int64 s:categorical:string only_a:numeric:int64"; got != want {
		t.Errorf("fields = %s, want %s", got, want)
	}
	if fs := findings(s, "type_merged"); len(fs) != 1 || fs[0].Column != "id" || fs[0].Severity != pipeline.SeverityInfo ||
		!strings.Contains(fs[0].Message, "int32 in "+pa) || !strings.Contains(fs[0].Message, "int64 in "+pb) {
		t.Errorf("type_merged findings = %+v", fs)
	}
	if fs := findings(s, "type_conflict"); len(fs) != 1 || fs[0].Column != "x" || fs[0].Severity != pipeline.SeverityError ||
		!strings.Contains(fs[0].Message, "double (numeric) in "+pa) || !strings.Contains(fs[0].Message, "string (categorical) in "+pb) {
		t.Errorf("type_conflict findings = %+v", fs)
	}
	if fs := findings(s, "column_absent_in_files"); len(fs) != 1 || fs[0].Column != "only_a" || fs[0].Source != pb {
		t.Errorf("column_absent_in_files findings = %+v", fs)
	}
	if _, ok := s.Field("x"); ok {
		t.Errorf("conflicting column x is in the schema")
	}
	if err := src.ReadColumn(t.Context(), "x", func(pipeline.Column) error { return nil }); !errors.Is(err, pipeline.ErrNoColumn) {
		t.Errorf("ReadColumn(x) = %v, want ErrNoColumn", err)
	}
	if got, want := readAll(t, src, "id").f64, []float64{1, 2, 3, 4, 5}; !equalF(got, want) {
		t.Errorf("id = %v, want %v", got, want)
	}
	if got, want := readAll(t, src, "only_a").f64, []float64{10, 20, math.NaN(), math.NaN(), math.NaN()}; !equalF(got, want) {
		t.Errorf("only_a = %v, want %v", got, want)
	}
	if got, want := strings.Join(readAll(t, src, "s").strs, ","), "u,v,v,w,u"; got != want {
		t.Errorf("s = %v, want %v", got, want)
	}
}

func equalF(a, b []float64) bool { _, ok := sameFloats(a, b); return ok }

type windowRow struct {
	TS  int64   `parquet:"ts,timestamp(millisecond)"`
	X   float64 `parquet:"x"`
	Cat string  `parquet:"cat,dict"`
}

type windowOptRow struct {
	TS *time.Time `parquet:"ts,timestamp(microsecond),optional"`
	X  float64    `parquet:"x"`
}

var windowBase = time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)

// TestParquet_Window: 10 row groups of 100 rows, row i at base+i s. The window
// [base+250s, base+520s) overlaps row groups 2 (partly), 3, 4 (wholly) and 5 (partly):
// only 2 and 5 need their timestamps read, the other 6 are skipped by statistics.
func TestParquet_Window(t *testing.T) {
	p := filepath.Join(t.TempDir(), "w.parquet")
	rows := make([]windowRow, 1000)
	for i := range rows {
		rows[i] = windowRow{TS: windowBase.Add(time.Duration(i) * time.Second).UnixMilli(), X: float64(i), Cat: []string{"a", "b"}[i%2]}
	}
	writeParquet(t, p, rows, 100)
	ds := WithTimestamp(mustFromPath(t, p), "ts")
	w := pipeline.Window{Start: windowBase.Add(250 * time.Second), End: windowBase.Add(520 * time.Second)}
	src := mustOpen(t, ds, w)
	s := src.(*source)
	if src.Rows() != 270 {
		t.Errorf("Rows() = %d, want 270", src.Rows())
	}
	if got := s.unitsRead.Load(); got != 2 {
		t.Errorf("row groups read to build masks = %d, want 2", got)
	}
	x := readAll(t, src, "x").f64
	if len(x) != 270 || x[0] != 250 || x[269] != 519 {
		t.Fatalf("x = %d values [%v … %v], want 270 values [250 … 519]", len(x), first(x), last(x))
	}
	for i, v := range x {
		if v != float64(250+i) {
			t.Fatalf("x[%d] = %v, want %d", i, v, 250+i)
		}
	}
	if got := s.unitsRead.Load(); got != 2+4 {
		t.Errorf("row groups read after one column = %d, want 6", got)
	}
	cat := readAll(t, src, "cat").strs
	if len(cat) != 270 || cat[0] != "a" || cat[1] != "b" {
		t.Errorf("cat = %d values starting %v, want 270 starting a, b", len(cat), cat[:min(2, len(cat))])
	}

	// A window without rows, and an open-ended one.
	empty := mustOpen(t, ds, pipeline.Window{Start: windowBase.Add(-time.Hour), End: windowBase})
	if empty.Rows() != 0 || empty.(*source).unitsRead.Load() != 0 {
		t.Errorf("empty window: Rows() = %d, row groups read %d, want 0, 0", empty.Rows(), empty.(*source).unitsRead.Load())
	}
	if got := readAll(t, empty, "x"); got.chunks != 0 {
		t.Errorf("empty window delivered %d chunks", got.chunks)
	}
	tail := mustOpen(t, ds, pipeline.Window{Start: windowBase.Add(999 * time.Second)})
	if got := readAll(t, tail, "x").f64; len(got) != 1 || got[0] != 999 {
		t.Errorf("open-ended window x = %v, want [999]", got)
	}
}

// TestParquet_WindowNulls: rows without a timestamp are in no window; the row group
// holding nulls is read even though its statistics lie inside the window.
func TestParquet_WindowNulls(t *testing.T) {
	p := filepath.Join(t.TempDir(), "n.parquet")
	var rows []windowOptRow
	for i := range 40 {
		r := windowOptRow{X: float64(i)}
		if i%4 != 0 {
			r.TS = ptr(windowBase.Add(time.Duration(i) * time.Minute))
		}
		rows = append(rows, r)
	}
	writeParquet(t, p, rows, 10)
	ds := WithTimestamp(mustFromPath(t, p), "ts")
	src := mustOpen(t, ds, pipeline.Window{Start: windowBase, End: windowBase.Add(25 * time.Minute)})
	var want []float64
	for i := range 25 {
		if i%4 != 0 {
			want = append(want, float64(i))
		}
	}
	if got := readAll(t, src, "x").f64; !equalF(got, want) {
		t.Errorf("x = %v, want %v", got, want)
	}
	if src.Rows() != int64(len(want)) {
		t.Errorf("Rows() = %d, want %d", src.Rows(), len(want))
	}
	// Row groups 0, 1 (nulls, inside) and 2 (straddles the end) are read; 3 is skipped.
	if got := src.(*source).unitsRead.Load(); got != 3+3 {
		t.Errorf("row groups read = %d, want 6", got)
	}
}

func TestParquet_WindowErrors(t *testing.T) {
	p := filepath.Join(t.TempDir(), "w.parquet")
	writeParquet(t, p, []windowRow{{TS: windowBase.UnixMilli(), X: 1, Cat: "a"}}, 10)
	w := pipeline.Window{Start: windowBase, End: windowBase.Add(time.Hour)}

	_, err := WithTimestamp(mustFromPath(t, p), "nope").Open(t.Context(), w)
	if !errors.Is(err, pipeline.ErrNoColumn) || !strings.Contains(err.Error(), "nope") {
		t.Errorf("Open(timestamp missing) = %v, want ErrNoColumn naming the column", err)
	}
	_, err = WithTimestamp(mustFromPath(t, p), "x").Open(t.Context(), w)
	if err == nil || !strings.Contains(err.Error(), "want a date or timestamp") {
		t.Errorf("Open(timestamp numeric) = %v, want a kind error", err)
	}
	// No timestamp configured: every row, with a warning finding.
	src := mustOpen(t, mustFromPath(t, p), w)
	if src.Rows() != 1 || len(findings(src.Schema(), "window_not_applied")) != 1 {
		t.Errorf("no timestamp: Rows() = %d, findings %+v", src.Rows(), src.Schema().Findings)
	}
}

func mustFromPath(t testing.TB, p string) pipeline.Dataset {
	t.Helper()
	ds, err := FromPath(p, Deps{})
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

func first(x []float64) float64 {
	if len(x) == 0 {
		return math.NaN()
	}
	return x[0]
}

func last(x []float64) float64 {
	if len(x) == 0 {
		return math.NaN()
	}
	return x[len(x)-1]
}

func TestParquet_Errors(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.parquet")
	writeParquet(t, good, manyRows(3000), 1000)
	data, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	half := filepath.Join(dir, "half", "half.parquet")
	notPQ := filepath.Join(dir, "text", "notes.parquet")
	for p, b := range map[string][]byte{half: data[:len(data)/2], notPQ: []byte("id,x\n1,2\n")} {
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.MkdirAll(filepath.Join(dir, "empty"), 0o755)

	cases := []struct {
		name, path string
		is         error
		contains   []string
	}{
		{"missing file", filepath.Join(dir, "nope.parquet"), fs.ErrNotExist, []string{"nope.parquet"}},
		{"not parquet", notPQ, nil, []string{notPQ, "magic"}},
		{"truncated", half, nil, []string{half}},
		{"empty glob", filepath.Join(dir, "*.csv"), nil, []string{"no files match", "*.csv"}},
		{"empty folder", filepath.Join(dir, "empty"), nil, []string{"no files match"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ds, err := newParquet(yamlDecoder("path: "+tc.path), Deps{})
			if err != nil {
				t.Fatal(err)
			}
			src, err := ds.Open(t.Context(), pipeline.Window{})
			if err == nil {
				src.Close()
				t.Fatalf("Open(%s) = nil error", tc.path)
			}
			var de *pipeline.DataError
			if !errors.As(err, &de) {
				t.Errorf("Open(%s) = %T %v, want a *pipeline.DataError", tc.path, err, err)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("Open(%s) = %v, want %v", tc.path, err, tc.is)
			}
			for _, s := range tc.contains {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("Open(%s) = %v, want it to mention %q", tc.path, err, s)
				}
			}
		})
	}
}

// TestParquet_CorruptPages garbles the pages of a file whose footer is intact: reads
// must fail with an error naming the file and column, or succeed, never panic.
func TestParquet_CorruptPages(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.parquet")
	writeParquet(t, good, manyRows(3000), 1000)
	data, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	failures := 0
	for seed := range 40 {
		bad := append([]byte(nil), data...)
		// Overwrite a stretch of the page area (after the 4-byte magic, before the footer).
		span := len(data) / 2
		start := 4 + (seed*7919)%(span-64)
		for i := range 16 + seed%48 {
			bad[start+i] ^= byte(0x5a + 31*i + seed)
		}
		p := filepath.Join(dir, "bad.parquet")
		if err := os.WriteFile(p, bad, 0o644); err != nil {
			t.Fatal(err)
		}
		ds := mustFromPath(t, p)
		src, err := ds.Open(t.Context(), pipeline.Window{})
		if err != nil {
			failures++
			continue
		}
		for _, f := range src.Schema().Fields {
			err := src.ReadColumn(t.Context(), f.Name, func(pipeline.Column) error { return nil })
			if err != nil {
				failures++
				var de *pipeline.DataError
				if !errors.As(err, &de) || de.Source != p || de.Column != f.Name {
					t.Errorf("seed %d: ReadColumn(%q) = %v, want a DataError naming %s and the column", seed, f.Name, err, p)
				}
			}
		}
		src.Close()
	}
	if failures == 0 {
		t.Errorf("no corruption was detected in 40 garbled files")
	}
}

// TestParquet_DictionaryFallback: a writer whose dictionary outgrows its limit writes
// the rest of the column chunk plain; the chunk's codes then mix both kinds of page.
func TestParquet_DictionaryFallback(t *testing.T) {
	type row struct {
		S string `parquet:"s,dict"`
	}
	var rows []row
	for i := range 3000 {
		rows = append(rows, row{S: "value-" + itoa(int64(i%1200))})
	}
	p := filepath.Join(t.TempDir(), "fallback.parquet")
	writeParquet(t, p, rows, 3000, parquet.DictionaryMaxBytes(2048), parquet.PageBufferSize(1024))
	ds := mustFromPath(t, p)
	ds.(*dataset).batchRows = 1 << 20 // one chunk: dictionary and plain pages together
	src := mustOpen(t, ds, pipeline.Window{})
	var dictLen int
	var got []string
	err := src.ReadColumn(t.Context(), "s", func(c pipeline.Column) error {
		dictLen = len(c.Dict)
		for _, code := range c.Codes {
			got = append(got, c.Dict[code])
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rows {
		if got[i] != r.S {
			t.Fatalf("s[%d] = %q, want %q", i, got[i], r.S)
		}
	}
	if dictLen != 1200 {
		t.Errorf("chunk dictionary has %d entries, want the 1200 distinct values", dictLen)
	}
}
