package sources

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"sync"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/decimal256"
	"github.com/apache/arrow-go/v18/arrow/float16"
	"github.com/apache/arrow-go/v18/arrow/ipc"

	"github.com/driftwatch/driftwatch/pipeline"
)

// arrowColumn is a flat Arrow field that maps to a kind.
type arrowColumn struct {
	fileColumn
	field int // index in the schema
}

// arrowFile is an opened Arrow IPC file, memory-mapped. The file format reads record
// batches at random (zero-copy: the arrays alias the mapping); the stream format is
// read from the start by every scan.
type arrowFile struct {
	path   string
	data   []byte
	unmap  func() error
	stream bool
	fr     *ipc.FileReader // file format
	// frMu serialises fr.RecordBatchAt: documented as safe for concurrent use, it
	// races in arrow-go v18.8.0 on files with dictionaries (a shared maphash.Hash in
	// the dictionary mapper). With the file mapped, a call costs little.
	frMu  sync.Mutex
	cols  []arrowColumn
	fcols []fileColumn
	skip  []pipeline.Finding
	rows  []int64 // per record batch
}

var _ fileReader = (*arrowFile)(nil)

// openArrow maps the file and reads its schema and record batch sizes. It owns fh.
func openArrow(fh *os.File, path string, size int64, f fileFormat) (_ fileReader, err error) {
	data, unmap, err := mapFile(fh, size)
	fh.Close()
	if err != nil {
		return nil, err
	}
	r := &arrowFile{path: path, data: data, unmap: unmap, stream: f == formatArrowStream}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("read arrow ipc: %v (corrupt file?)", p)
		}
		if err != nil {
			r.close()
		}
	}()
	if len(data) == 0 {
		return nil, errors.New("open arrow ipc: empty file")
	}
	var schema *arrow.Schema
	if r.stream {
		rd, err := ipc.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("open arrow ipc stream: %w", err)
		}
		schema = rd.Schema()
		for rd.Next() {
			r.rows = append(r.rows, rd.RecordBatch().NumRows())
		}
		err = rd.Err()
		rd.Release()
		if err != nil {
			return nil, fmt.Errorf("read arrow ipc stream: %w", err)
		}
	} else {
		r.fr, err = newMappedFileReader(data)
		if err != nil {
			return nil, fmt.Errorf("open arrow ipc file: %w", err)
		}
		schema = r.fr.Schema()
		for i := range r.fr.NumRecords() {
			rec, err := r.fr.RecordBatchAt(i)
			if err != nil {
				return nil, fmt.Errorf("read arrow ipc record batch %d: %w", i, err)
			}
			r.rows = append(r.rows, rec.NumRows())
			rec.Release()
		}
	}
	seen := map[string]bool{}
	for i, fd := range schema.Fields() {
		if seen[fd.Name] {
			r.skip = append(r.skip, skippedFinding(path, fd.Name, "duplicate column name: later column skipped"))
			continue
		}
		seen[fd.Name] = true
		kind, why := mapArrow(fd.Type)
		if why != "" {
			r.skip = append(r.skip, skippedFinding(path, fd.Name, why))
			continue
		}
		c := arrowColumn{fileColumn: fileColumn{name: fd.Name, kind: kind, typ: arrowTypeName(fd.Type)}, field: i}
		r.cols = append(r.cols, c)
		r.fcols = append(r.fcols, c.fileColumn)
	}
	return r, nil
}

// newMappedFileReader opens the IPC file format over mapped memory, zero-copy. In
// arrow-go v18.8.0, ipc.NewMappedFileReader panics on files with dictionaries (its
// dictionary memo is never initialised); those files are read through
// ipc.NewFileReader instead, which copies each record batch's buffers.
func newMappedFileReader(data []byte) (fr *ipc.FileReader, err error) {
	panicked := false
	func() {
		defer func() {
			if p := recover(); p != nil {
				panicked = true
			}
		}()
		fr, err = ipc.NewMappedFileReader(data)
	}()
	if panicked {
		return ipc.NewFileReader(bytes.NewReader(data))
	}
	return fr, err
}

// mapArrow maps an Arrow type to a kind, or says why the column is skipped.
func mapArrow(dt arrow.DataType) (pipeline.Kind, string) {
	switch dt.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64,
		arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64,
		arrow.FLOAT16, arrow.FLOAT32, arrow.FLOAT64,
		arrow.DECIMAL32, arrow.DECIMAL64, arrow.DECIMAL128, arrow.DECIMAL256,
		arrow.TIME32, arrow.TIME64, arrow.DURATION:
		return pipeline.KindNumeric, ""
	case arrow.BOOL:
		return pipeline.KindBoolean, ""
	case arrow.STRING, arrow.LARGE_STRING, arrow.STRING_VIEW:
		return pipeline.KindCategorical, ""
	case arrow.DATE32, arrow.DATE64, arrow.TIMESTAMP:
		return pipeline.KindDatetime, ""
	case arrow.DICTIONARY:
		vt := dt.(*arrow.DictionaryType).ValueType
		switch k, why := mapArrow(vt); {
		case why != "":
			return 0, why
		case vt.ID() == arrow.DICTIONARY:
			return 0, "nested dictionary column skipped"
		default:
			return k, ""
		}
	case arrow.LIST, arrow.LARGE_LIST, arrow.FIXED_SIZE_LIST, arrow.LIST_VIEW, arrow.LARGE_LIST_VIEW,
		arrow.STRUCT, arrow.MAP, arrow.SPARSE_UNION, arrow.DENSE_UNION, arrow.RUN_END_ENCODED:
		return 0, "nested column skipped"
	case arrow.BINARY, arrow.LARGE_BINARY, arrow.BINARY_VIEW, arrow.FIXED_SIZE_BINARY:
		return 0, "binary column skipped"
	case arrow.NULL:
		return 0, "null column skipped"
	case arrow.EXTENSION:
		return 0, fmt.Sprintf("extension type %s skipped", dt)
	}
	return 0, fmt.Sprintf("%s column skipped", dt)
}

// arrowTypeName names an Arrow type as the Parquet reader names the same logical type
// ("double", "string", "timestamp[us, utc]", "decimal(9,2)"), so that merging Parquet
// and Arrow files of one schema reports no type change; an encoding (dictionary, large
// or view strings) is not a type change either.
func arrowTypeName(dt arrow.DataType) string {
	unit := func(u arrow.TimeUnit) string { return u.String() }
	switch t := dt.(type) {
	case *arrow.Float16Type:
		return "float16"
	case *arrow.Float32Type:
		return "float"
	case *arrow.Float64Type:
		return "double"
	case *arrow.BooleanType:
		return "bool"
	case *arrow.StringType, *arrow.LargeStringType, *arrow.StringViewType:
		return "string"
	case *arrow.DictionaryType:
		return arrowTypeName(t.ValueType)
	case *arrow.Date32Type, *arrow.Date64Type:
		return "date"
	case *arrow.TimestampType:
		switch t.TimeZone {
		case "":
			return "timestamp[" + unit(t.Unit) + "]"
		case "UTC", "utc", "Etc/UTC", "+00:00", "Z":
			return "timestamp[" + unit(t.Unit) + ", utc]"
		}
		return "timestamp[" + unit(t.Unit) + ", tz=" + t.TimeZone + "]"
	case *arrow.Time32Type:
		return "time[" + unit(t.Unit) + "]"
	case *arrow.Time64Type:
		return "time[" + unit(t.Unit) + "]"
	case *arrow.DurationType:
		return "duration[" + unit(t.Unit) + "]"
	case arrow.DecimalType:
		return fmt.Sprintf("decimal(%d,%d)", t.GetPrecision(), t.GetScale())
	}
	return dt.String() // int8 … uint64
}

func (r *arrowFile) name() string                { return r.path }
func (r *arrowFile) columns() []fileColumn       { return r.fcols }
func (r *arrowFile) skipped() []pipeline.Finding { return r.skip }
func (r *arrowFile) units() int                  { return len(r.rows) }
func (r *arrowFile) unitRows(u int) int64        { return r.rows[u] }

// bounds: Arrow IPC has no statistics.
func (r *arrowFile) bounds(col, u int) (lo, hi float64, mayHaveNulls, ok bool) {
	return 0, 0, true, false
}

func (r *arrowFile) close() error {
	if r.fr != nil {
		r.fr.Close()
		r.fr = nil
	}
	if r.unmap == nil {
		return nil
	}
	err := r.unmap()
	r.unmap, r.data = nil, nil
	return err
}

func (r *arrowFile) scan(ctx context.Context, col int, skip func(int) bool, cs *colState, emit func(u, off int) error) (err error) {
	c := &r.cols[col]
	u := -1
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("decode record batch %d: %v (corrupt file?)", u, p)
		}
	}()
	if !r.stream {
		for u = range r.rows {
			if skip != nil && skip(u) {
				continue
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			r.frMu.Lock()
			rec, err := r.fr.RecordBatchAt(u)
			r.frMu.Unlock()
			if err != nil {
				return fmt.Errorf("read record batch %d: %w", u, err)
			}
			err = r.emitBatch(c, rec, u, cs, emit)
			rec.Release()
			if err != nil {
				return err
			}
		}
		return nil
	}
	rd, err := ipc.NewReader(bytes.NewReader(r.data))
	if err != nil {
		return fmt.Errorf("open stream: %w", err)
	}
	defer rd.Release()
	for u = 0; rd.Next(); u++ {
		if u >= len(r.rows) {
			return fmt.Errorf("stream has more than %d record batches", len(r.rows))
		}
		if skip != nil && skip(u) {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := r.emitBatch(c, rd.RecordBatch(), u, cs, emit); err != nil {
			return err
		}
	}
	if err := rd.Err(); err != nil {
		return fmt.Errorf("read record batch %d: %w", u, err)
	}
	return nil
}

func (r *arrowFile) emitBatch(c *arrowColumn, rec arrow.RecordBatch, u int, cs *colState, emit func(u, off int) error) error {
	if rec.NumRows() != r.rows[u] {
		return fmt.Errorf("record batch %d has %d rows, %d when opened", u, rec.NumRows(), r.rows[u])
	}
	cs.units.Add(1)
	cs.reset()
	if err := cs.appendArrow(rec.Column(c.field)); err != nil {
		return fmt.Errorf("decode record batch %d: %w", u, err)
	}
	if cs.len() == 0 {
		return nil
	}
	return emit(u, 0)
}

// appendArrow appends an array's values to the chunk.
func (cs *colState) appendArrow(arr arrow.Array) error {
	if cs.kind.Valued() {
		var err error
		cs.f64, err = arrowFloats(cs.f64, arr, cs)
		return err
	}
	switch a := arr.(type) {
	case *array.String:
		appendStrings(cs, a, a.Value)
	case *array.LargeString:
		appendStrings(cs, a, a.Value)
	case *array.StringView:
		appendStrings(cs, a, a.Value)
	case *array.Dictionary:
		strs, err := cs.arrowDictStrings(a.Dictionary())
		if err != nil {
			return err
		}
		dict := a.Dictionary()
		remap := cs.useDict(dict.Data(), strs)
		for i := range a.Len() {
			if a.IsNull(i) {
				cs.codes = append(cs.codes, -1)
				continue
			}
			k := a.GetValueIndex(i)
			if k < 0 || k >= len(strs) {
				return fmt.Errorf("dictionary index %d out of range [0, %d)", k, len(strs))
			}
			if dict.IsNull(k) {
				cs.codes = append(cs.codes, -1)
				continue
			}
			if remap != nil {
				cs.codes = append(cs.codes, remap[k])
			} else {
				cs.codes = append(cs.codes, int32(k))
			}
		}
	default:
		return fmt.Errorf("no categorical conversion for %s", arr.DataType())
	}
	return nil
}

func appendStrings(cs *colState, a arrow.Array, value func(int) string) {
	for i := range a.Len() {
		if a.IsNull(i) {
			cs.codes = append(cs.codes, -1)
			continue
		}
		cs.codes = append(cs.codes, cs.codeString(value(i)))
	}
}

// arrowDictStrings returns a dictionary's string values, interned, cached by identity.
// A null dictionary entry becomes "" here; rows pointing at it read as missing.
func (cs *colState) arrowDictStrings(d arrow.Array) ([]string, error) {
	key := d.Data()
	if cs.cacheKey == key {
		return cs.cacheS, nil
	}
	cs.cacheS = cs.cacheS[:0]
	var value func(int) string
	switch a := d.(type) {
	case *array.String:
		value = a.Value
	case *array.LargeString:
		value = a.Value
	case *array.StringView:
		value = a.Value
	default:
		return nil, fmt.Errorf("dictionary of %s", d.DataType())
	}
	for i := range d.Len() {
		cs.cacheS = append(cs.cacheS, cs.internString(value(i)))
	}
	cs.cacheKey = key
	return cs.cacheS, nil
}

type arrowNumber interface {
	~int8 | ~int16 | ~int32 | ~int64 | ~uint8 | ~uint16 | ~uint32 | ~uint64 | ~float32 | ~float64
}

// appendNums appends f(v) for each value, NaN for nulls.
func appendNums[T any](dst []float64, arr arrow.Array, vals []T, f func(T) float64) []float64 {
	if arr.NullN() == 0 {
		for _, v := range vals[:arr.Len()] {
			dst = append(dst, f(v))
		}
		return dst
	}
	nan := math.NaN()
	for i, v := range vals[:arr.Len()] {
		if arr.IsNull(i) {
			dst = append(dst, nan)
		} else {
			dst = append(dst, f(v))
		}
	}
	return dst
}

func toFloat[T arrowNumber](v T) float64 { return float64(v) }

func unitOf(u arrow.TimeUnit) int64 { return int64(u.Multiplier()) }

// arrowFloats appends an array of a valued kind converted to float64: numbers as
// they are, booleans as 0/1, dates and timestamps as Unix seconds, times of day and
// durations as seconds, decimals scaled. Nulls are NaN.
func arrowFloats(dst []float64, arr arrow.Array, cs *colState) ([]float64, error) {
	switch a := arr.(type) {
	case *array.Int8:
		return appendNums(dst, a, a.Int8Values(), toFloat), nil
	case *array.Int16:
		return appendNums(dst, a, a.Int16Values(), toFloat), nil
	case *array.Int32:
		return appendNums(dst, a, a.Int32Values(), toFloat), nil
	case *array.Int64:
		return appendNums(dst, a, a.Int64Values(), toFloat), nil
	case *array.Uint8:
		return appendNums(dst, a, a.Uint8Values(), toFloat), nil
	case *array.Uint16:
		return appendNums(dst, a, a.Uint16Values(), toFloat), nil
	case *array.Uint32:
		return appendNums(dst, a, a.Uint32Values(), toFloat), nil
	case *array.Uint64:
		return appendNums(dst, a, a.Uint64Values(), toFloat), nil
	case *array.Float32:
		return appendNums(dst, a, a.Float32Values(), toFloat), nil
	case *array.Float64:
		return appendNums(dst, a, a.Float64Values(), toFloat), nil
	case *array.Float16:
		return appendNums(dst, a, a.Values(), func(v float16.Num) float64 {
			return halfFloat(*(*uint16)(unsafe.Pointer(&v)))
		}), nil
	case *array.Boolean:
		nan := math.NaN()
		for i := range a.Len() {
			switch {
			case a.IsNull(i):
				dst = append(dst, nan)
			case a.Value(i):
				dst = append(dst, 1)
			default:
				dst = append(dst, 0)
			}
		}
		return dst, nil
	case *array.Decimal32:
		s := a.DataType().(arrow.DecimalType).GetScale()
		return appendNums(dst, a, a.Values(), func(v decimal.Decimal32) float64 { return decimalFloat(int64(v), s) }), nil
	case *array.Decimal64:
		s := a.DataType().(arrow.DecimalType).GetScale()
		return appendNums(dst, a, a.Values(), func(v decimal.Decimal64) float64 { return decimalFloat(int64(v), s) }), nil
	case *array.Decimal128:
		s := a.DataType().(arrow.DecimalType).GetScale()
		return appendNums(dst, a, a.Values(), func(v decimal128.Num) float64 {
			lo, hi := v.LowBits(), v.HighBits()
			if (hi == 0 && lo>>63 == 0) || (hi == -1 && lo>>63 == 1) {
				return decimalFloat(int64(lo), s)
			}
			return bigDecimalFloat(v.BigInt(), s)
		}), nil
	case *array.Decimal256:
		s := a.DataType().(arrow.DecimalType).GetScale()
		return appendNums(dst, a, a.Values(), func(v decimal256.Num) float64 {
			w := v.Array() // little-endian 64-bit words
			if (w[3] == 0 && w[2] == 0 && w[1] == 0 && w[0]>>63 == 0) ||
				(w[3] == math.MaxUint64 && w[2] == math.MaxUint64 && w[1] == math.MaxUint64 && w[0]>>63 == 1) {
				return decimalFloat(int64(w[0]), s)
			}
			return bigDecimalFloat(v.BigInt(), s)
		}), nil
	case *array.Date32:
		return appendNums(dst, a, a.Date32Values(), func(v arrow.Date32) float64 { return float64(v) * 86400 }), nil
	case *array.Date64:
		return appendNums(dst, a, a.Date64Values(), func(v arrow.Date64) float64 { return unitSeconds(int64(v), 1e6) }), nil
	case *array.Timestamp:
		u := unitOf(a.DataType().(*arrow.TimestampType).Unit)
		return appendNums(dst, a, a.TimestampValues(), func(v arrow.Timestamp) float64 { return unitSeconds(int64(v), u) }), nil
	case *array.Time32:
		u := unitOf(a.DataType().(*arrow.Time32Type).Unit)
		return appendNums(dst, a, a.Time32Values(), func(v arrow.Time32) float64 { return unitSeconds(int64(v), u) }), nil
	case *array.Time64:
		u := unitOf(a.DataType().(*arrow.Time64Type).Unit)
		return appendNums(dst, a, a.Time64Values(), func(v arrow.Time64) float64 { return unitSeconds(int64(v), u) }), nil
	case *array.Duration:
		u := unitOf(a.DataType().(*arrow.DurationType).Unit)
		return appendNums(dst, a, a.DurationValues(), func(v arrow.Duration) float64 { return unitSeconds(int64(v), u) }), nil
	case *array.Dictionary:
		vals, err := cs.arrowDictFloats(a.Dictionary())
		if err != nil {
			return dst, err
		}
		nan := math.NaN()
		for i := range a.Len() {
			if a.IsNull(i) {
				dst = append(dst, nan)
				continue
			}
			k := a.GetValueIndex(i)
			if k < 0 || k >= len(vals) {
				return dst, fmt.Errorf("dictionary index %d out of range [0, %d)", k, len(vals))
			}
			dst = append(dst, vals[k])
		}
		return dst, nil
	}
	return dst, fmt.Errorf("no numeric conversion for %s", arr.DataType())
}

func (cs *colState) arrowDictFloats(d arrow.Array) ([]float64, error) {
	key := d.Data()
	if cs.cacheKey == key {
		return cs.cacheF, nil
	}
	if _, ok := d.(*array.Dictionary); ok {
		return nil, errors.New("nested dictionary")
	}
	var err error
	cs.cacheF, err = arrowFloats(cs.cacheF[:0], d, cs)
	if err != nil {
		return nil, fmt.Errorf("dictionary: %w", err)
	}
	cs.cacheKey = key
	return cs.cacheF, nil
}
