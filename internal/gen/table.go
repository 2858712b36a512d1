package gen

import (
	"fmt"
	"io"
	"reflect"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
)

// colKind is the physical/logical type of a generated column.
type colKind uint8

const (
	kindDouble    colKind = iota // DOUBLE; NaN is written as null when the column is optional
	kindInt32                    // INT32
	kindInt64                    // INT64
	kindBool                     // BOOLEAN
	kindString                   // BYTE_ARRAY (STRING), dictionary-encoded; values are codes into labels
	kindText                     // BYTE_ARRAY (STRING), plain-encoded (unique values such as ids)
	kindTimestamp                // INT64 TIMESTAMP(MICROS, UTC)
)

// colSpec declares one column of a table.
type colSpec struct {
	name     string
	kind     colKind
	optional bool
}

// colData is one column of a batch. Exactly the slice matching the column's kind is set.
// valid (nil = all valid) marks nulls for int32, int64, bool and timestamp columns; a double
// column is null where its value is NaN, a string column where its code is -1.
type colData struct {
	f64    []float64
	i32    []int32
	i64    []int64
	b      []bool
	codes  []int32
	labels [][]byte // labels[code] for kindString
	text   [][]byte // kindText; nil is null
	valid  []bool
}

// len returns the length of the slice that holds values of kind k.
func (d *colData) len(k colKind) int {
	switch k {
	case kindDouble:
		return len(d.f64)
	case kindInt32:
		return len(d.i32)
	case kindInt64, kindTimestamp:
		return len(d.i64)
	case kindBool:
		return len(d.b)
	case kindString:
		return len(d.codes)
	case kindText:
		return len(d.text)
	}
	return 0
}

// orderedGroup is a Parquet group whose fields keep the order they are given in
// (parquet.Group, a map, sorts them by name).
type orderedGroup struct {
	parquet.Group // provides the group Type and the remaining Node methods
	fields        []parquet.Field
}

func (g *orderedGroup) Fields() []parquet.Field { return g.fields }

func (g *orderedGroup) GoType() reflect.Type {
	fs := make([]reflect.StructField, len(g.fields))
	for i, f := range g.fields {
		fs[i] = reflect.StructField{Name: fmt.Sprintf("F%d", i), Type: f.GoType()}
	}
	return reflect.StructOf(fs)
}

type orderedField struct {
	parquet.Node
	name  string
	index int
}

func (f *orderedField) Name() string { return f.name }

func (f *orderedField) Value(base reflect.Value) reflect.Value {
	if base.Kind() == reflect.Pointer {
		base = base.Elem()
	}
	if base.Kind() == reflect.Struct {
		return base.Field(f.index)
	}
	return reflect.Value{}
}

// newSchema returns a Parquet schema with the columns in the given order.
func newSchema(name string, cols []colSpec) (*parquet.Schema, error) {
	g := &orderedGroup{Group: parquet.Group{}}
	seen := make(map[string]bool, len(cols))
	for i, c := range cols {
		if c.name == "" {
			return nil, fmt.Errorf("column %d: empty name", i)
		}
		if seen[c.name] {
			return nil, fmt.Errorf("column %q: duplicate name", c.name)
		}
		seen[c.name] = true
		var n parquet.Node
		switch c.kind {
		case kindDouble:
			n = parquet.Leaf(parquet.DoubleType)
		case kindInt32:
			n = parquet.Int(32)
		case kindInt64:
			n = parquet.Int(64)
		case kindBool:
			n = parquet.Leaf(parquet.BooleanType)
		case kindString:
			n = parquet.Encoded(parquet.String(), &parquet.RLEDictionary)
		case kindText:
			n = parquet.Encoded(parquet.String(), &parquet.Plain)
		case kindTimestamp:
			n = parquet.Timestamp(parquet.Microsecond)
		default:
			return nil, fmt.Errorf("column %q: unknown kind %d", c.name, c.kind)
		}
		if c.optional {
			n = parquet.Optional(n)
		} else {
			n = parquet.Required(n)
		}
		g.Group[c.name] = n
		g.fields = append(g.fields, &orderedField{Node: n, name: c.name, index: i})
	}
	return parquet.NewSchema(name, g), nil
}

// tableWriter writes a Parquet file column by column: each batch's columns go straight to
// the column writers as parquet.Value slices (no per-row interface values), and a row
// group is cut every rowGroup rows, so memory is bounded by one row group's encoded pages.
type tableWriter struct {
	w        *parquet.GenericWriter[any]
	cols     []colSpec
	rowGroup int
	inGroup  int // rows in the open row group
	rows     int64
	vals     []parquet.Value
}

// valueChunk is the number of values handed to a column writer per call; it keeps
// pages near the writer's page size.
const valueChunk = 4096

func newTableWriter(out io.Writer, name string, cols []colSpec, rowGroup int, codec compress.Codec) (*tableWriter, error) {
	if rowGroup <= 0 {
		return nil, fmt.Errorf("row group size %d: must be positive", rowGroup)
	}
	schema, err := newSchema(name, cols)
	if err != nil {
		return nil, err
	}
	cfg, err := parquet.NewWriterConfig(
		schema,
		parquet.Compression(codec),
		parquet.CreatedBy("dwgen", "1", ""),
	)
	if err != nil {
		return nil, fmt.Errorf("parquet writer config: %w", err)
	}
	return &tableWriter{
		w:        parquet.NewGenericWriter[any](out, cfg),
		cols:     cols,
		rowGroup: rowGroup,
		vals:     make([]parquet.Value, valueChunk),
	}, nil
}

// write appends the rows of batch (one colData per column, all of length n).
func (tw *tableWriter) write(batch []colData, n int) error {
	if len(batch) != len(tw.cols) {
		return fmt.Errorf("write batch: %d columns, schema has %d", len(batch), len(tw.cols))
	}
	for i, c := range tw.cols {
		if l := batch[i].len(c.kind); l < n || batch[i].valid != nil && len(batch[i].valid) < n {
			return fmt.Errorf("write column %s: %d values for %d rows", c.name, l, n)
		}
	}
	for off := 0; off < n; {
		m := min(n-off, tw.rowGroup-tw.inGroup)
		writers := tw.w.ColumnWriters()
		for i := range tw.cols {
			if err := tw.writeColumn(writers[i], i, &batch[i], off, off+m); err != nil {
				return fmt.Errorf("write column %s: %w", tw.cols[i].name, err)
			}
		}
		off += m
		tw.inGroup += m
		tw.rows += int64(m)
		if tw.inGroup == tw.rowGroup {
			if err := tw.w.Flush(); err != nil {
				return fmt.Errorf("flush row group: %w", err)
			}
			tw.inGroup = 0
		}
	}
	return nil
}

func (tw *tableWriter) writeColumn(cw *parquet.ColumnWriter, ci int, d *colData, lo, hi int) error {
	c := tw.cols[ci]
	def := 0
	if c.optional {
		def = 1
	}
	null := parquet.NullValue()
	null.SetColumnIndex(ci)
	for s := lo; s < hi; s += valueChunk {
		e := min(s+valueChunk, hi)
		v := tw.vals[:e-s]
		// one loop per kind: this is the hot path of dwgen bench
		switch c.kind {
		case kindDouble:
			for r, f := range d.f64[s:e] {
				if f != f { // NaN
					v[r] = null
					continue
				}
				v[r] = parquet.DoubleValue(f)
				v[r].SetDefinitionLevel(def)
				v[r].SetColumnIndex(ci)
			}
		case kindInt32:
			for r, x := range d.i32[s:e] {
				v[r] = parquet.Int32Value(x)
				v[r].SetDefinitionLevel(def)
				v[r].SetColumnIndex(ci)
			}
		case kindInt64, kindTimestamp:
			for r, x := range d.i64[s:e] {
				v[r] = parquet.Int64Value(x)
				v[r].SetDefinitionLevel(def)
				v[r].SetColumnIndex(ci)
			}
		case kindBool:
			for r, x := range d.b[s:e] {
				v[r] = parquet.BooleanValue(x)
				v[r].SetDefinitionLevel(def)
				v[r].SetColumnIndex(ci)
			}
		case kindString:
			for r, code := range d.codes[s:e] {
				if code < 0 {
					v[r] = null
					continue
				}
				if int(code) >= len(d.labels) {
					return fmt.Errorf("row %d: code %d outside %d labels", s+r, code, len(d.labels))
				}
				v[r] = parquet.ByteArrayValue(d.labels[code])
				v[r].SetDefinitionLevel(def)
				v[r].SetColumnIndex(ci)
			}
		case kindText:
			for r, x := range d.text[s:e] {
				if x == nil {
					v[r] = null
					continue
				}
				v[r] = parquet.ByteArrayValue(x)
				v[r].SetDefinitionLevel(def)
				v[r].SetColumnIndex(ci)
			}
		}
		if d.valid != nil {
			for r, ok := range d.valid[s:e] {
				if !ok {
					v[r] = null
				}
			}
		}
		if !c.optional {
			for r := range v {
				if v[r].IsNull() {
					return fmt.Errorf("row %d: null in required column", s+r)
				}
			}
		}
		if _, err := cw.WriteRowValues(v); err != nil {
			return err
		}
	}
	return nil
}

// close flushes the last row group and writes the footer.
func (tw *tableWriter) close() error {
	if err := tw.w.Close(); err != nil {
		return fmt.Errorf("close parquet writer: %w", err)
	}
	return nil
}
