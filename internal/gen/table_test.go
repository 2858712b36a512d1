package gen

import (
	"bytes"
	"math"
	"os"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// table is a Parquet file read back column by column.
type table struct {
	file  *parquet.File
	names []string
	cols  map[string][]parquet.Value
	rows  int
}

func readTableBytes(t *testing.T, data []byte) *table {
	t.Helper()
	f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("open parquet: %v", err)
	}
	tb := &table{file: f, cols: map[string][]parquet.Value{}}
	for _, c := range f.Schema().Columns() {
		tb.names = append(tb.names, c[0])
	}
	buf := make([]parquet.Row, 256)
	for _, rg := range f.RowGroups() {
		rr := rg.Rows()
		for {
			n, err := rr.ReadRows(buf)
			for _, r := range buf[:n] {
				for _, v := range r {
					name := tb.names[v.Column()]
					tb.cols[name] = append(tb.cols[name], v.Clone())
				}
			}
			tb.rows += n
			if err != nil {
				break
			}
		}
		rr.Close()
	}
	if int64(tb.rows) != f.NumRows() {
		t.Fatalf("read %d rows, footer says %d", tb.rows, f.NumRows())
	}
	return tb
}

func readTable(t *testing.T, path string) *table {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return readTableBytes(t, data)
}

// col returns the values of column name, failing the test if it is absent.
func (tb *table) col(t *testing.T, name string) []parquet.Value {
	t.Helper()
	v, ok := tb.cols[name]
	if !ok || len(v) != tb.rows {
		t.Fatalf("column %q: %d values for %d rows (columns %v)", name, len(v), tb.rows, tb.names)
	}
	return v
}

// physical returns the physical type and the encodings of column i in the first row group.
func (tb *table) physical(i int) (format.Type, []format.Encoding) {
	md := tb.file.Metadata().RowGroups[0].Columns[i].MetaData
	return md.Type, md.Encoding
}

func hasEncoding(encs []format.Encoding, e format.Encoding) bool {
	for _, x := range encs {
		if x == e {
			return true
		}
	}
	return false
}

func sameNames(got, want []string) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if got[i] != want[i] {
			return false
		}
	}
	return true
}

func TestTableWriter_orderAndNulls(t *testing.T) {
	cols := []colSpec{
		{"z_num", kindDouble, true},
		{"a_cat", kindString, true},
		{"m_int", kindInt32, false},
		{"b_flag", kindBool, true},
		{"id", kindText, false},
	}
	var buf bytes.Buffer
	tw, err := newTableWriter(&buf, "t", cols, 2, &parquet.Zstd)
	if err != nil {
		t.Fatal(err)
	}
	batch := []colData{
		{f64: []float64{1.5, math.NaN(), -2}},
		{codes: []int32{1, -1, 0}, labels: [][]byte{[]byte("x"), []byte("y")}},
		{i32: []int32{7, 8, 9}},
		{b: []bool{true, false, true}, valid: []bool{true, true, false}},
		{text: [][]byte{[]byte("a"), []byte("b"), []byte("c")}},
	}
	if err := tw.write(batch, 3); err != nil {
		t.Fatal(err)
	}
	if err := tw.close(); err != nil {
		t.Fatal(err)
	}
	tb := readTableBytes(t, buf.Bytes())
	if want := []string{"z_num", "a_cat", "m_int", "b_flag", "id"}; !sameNames(tb.names, want) {
		t.Fatalf("columns = %v, want %v (the given order, not sorted)", tb.names, want)
	}
	if tb.rows != 3 || len(tb.file.RowGroups()) != 2 {
		t.Fatalf("rows = %d in %d row groups, want 3 in 2", tb.rows, len(tb.file.RowGroups()))
	}
	if got := tb.col(t, "z_num")[0].Double(); got != 1.5 {
		t.Errorf("z_num[0] = %v, want 1.5", got)
	}
	if !tb.col(t, "z_num")[1].IsNull() || !tb.col(t, "a_cat")[1].IsNull() || !tb.col(t, "b_flag")[2].IsNull() {
		t.Errorf("NaN, code -1 and valid=false must be null")
	}
	if got := tb.col(t, "a_cat")[0].String(); got != "y" {
		t.Errorf("a_cat[0] = %q, want y", got)
	}
	if got := tb.col(t, "m_int")[2].Int32(); got != 9 {
		t.Errorf("m_int[2] = %d, want 9", got)
	}
	if typ, encs := tb.physical(1); typ != format.ByteArray || !hasEncoding(encs, format.RLEDictionary) {
		t.Errorf("a_cat: %v %v, want BYTE_ARRAY with RLE_DICTIONARY", typ, encs)
	}
}

func TestTableWriter_errors(t *testing.T) {
	cols := []colSpec{{"x", kindInt32, false}, {"c", kindString, true}}
	for _, tc := range []struct {
		name  string
		batch []colData
	}{
		{"null in required", []colData{{i32: []int32{1}, valid: []bool{false}}, {codes: []int32{0}, labels: [][]byte{{'a'}}}}},
		{"code outside labels", []colData{{i32: []int32{1}}, {codes: []int32{3}, labels: [][]byte{{'a'}}}}},
		{"missing column", []colData{{i32: []int32{1}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tw, err := newTableWriter(&bytes.Buffer{}, "t", cols, 10, &parquet.Snappy)
			if err != nil {
				t.Fatal(err)
			}
			if err := tw.write(tc.batch, 1); err == nil {
				t.Errorf("write(%s) = nil error, want an error", tc.name)
			}
		})
	}
	if _, err := newSchema("t", []colSpec{{"a", kindDouble, true}, {"a", kindDouble, true}}); err == nil {
		t.Error("duplicate column names: want an error")
	}
}

func TestTableWriter_shortColumn(t *testing.T) {
	tw, err := newTableWriter(&bytes.Buffer{}, "t", []colSpec{{"x", kindDouble, true}}, 10, &parquet.Snappy)
	if err != nil {
		t.Fatal(err)
	}
	if err := tw.write([]colData{{f64: []float64{1}}}, 2); err == nil {
		t.Error("write of 2 rows from a 1-value column: want an error")
	}
}
