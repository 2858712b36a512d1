package sources

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"os"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/encoding"
	"github.com/parquet-go/parquet-go/format"

	"github.com/driftwatch/driftwatch/pipeline"
)

// pqConv is how a Parquet leaf's physical values become float64s or strings.
type pqConv uint8

const (
	convInt32     pqConv = iota
	convUint32           // INT32 annotated INT(8|16|32, false)
	convInt64            //
	convUint64           // INT64 annotated INT(64, false)
	convFloat            //
	convDouble           //
	convBool             //
	convDate             // INT32 days since 1970-01-01
	convTime32           // INT32 time of day in units
	convInt64Unit        // INT64 timestamp or time of day in units
	convInt96            // INT96 timestamp: nanoseconds of day, Julian day
	convDecInt32         // INT32 decimal
	convDecInt64         // INT64 decimal
	convDecBytes         // FIXED_LEN_BYTE_ARRAY or BYTE_ARRAY decimal, big-endian two's complement
	convFloat16          // FIXED_LEN_BYTE_ARRAY(2), little-endian IEEE half
	convString           // BYTE_ARRAY string or enum
)

// pqColumn is a flat Parquet column that maps to a kind.
type pqColumn struct {
	fileColumn
	leaf     int // index of the column chunk in a row group
	optional bool
	conv     pqConv
	unit     int64 // nanoseconds per unit (times and timestamps)
	scale    int32 // decimals
	stats    bool  // min/max statistics order like the values (used for window skipping)
}

// pqFile is an opened Parquet file. Its *os.File is read with ReadAt only, which is
// safe for concurrent use: each ReadColumn call reads its own pages.
type pqFile struct {
	path    string
	fh      *os.File
	f       *parquet.File
	cols    []pqColumn
	fcols   []fileColumn
	skip    []pipeline.Finding
	nleaves int
}

var _ fileReader = (*pqFile)(nil)

// openParquet reads the footer and schema of a Parquet file. It owns fh.
func openParquet(fh *os.File, path string, size int64) (_ fileReader, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("read parquet footer: %v (corrupt file?)", p)
		}
		if err != nil {
			fh.Close()
		}
	}()
	f, err := parquet.OpenFile(fh, size, parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
	if err != nil {
		return nil, fmt.Errorf("open parquet: %w", err)
	}
	r := &pqFile{path: path, fh: fh, f: f}
	if err := r.readSchema(); err != nil {
		return nil, fmt.Errorf("read parquet schema: %w", err)
	}
	for u, rg := range f.RowGroups() {
		if n := len(rg.ColumnChunks()); n != r.nleaves {
			return nil, fmt.Errorf("open parquet: row group %d has %d column chunks for %d columns", u, n, r.nleaves)
		}
		if rg.NumRows() < 0 {
			return nil, fmt.Errorf("open parquet: row group %d has %d rows", u, rg.NumRows())
		}
	}
	return r, nil
}

// readSchema walks the flattened schema (depth first, with child counts) and maps the
// top-level leaves to kinds; groups, repeated fields and unmapped types are skipped.
func (r *pqFile) readSchema() error {
	elems := r.f.Metadata().Schema
	if len(elems) == 0 {
		return errors.New("empty schema")
	}
	pos := 1
	// subtree consumes the element at pos and its descendants, returning its leaf count.
	var subtree func(depth int) (int, error)
	subtree = func(depth int) (int, error) {
		if pos >= len(elems) || depth > 100 {
			return 0, errors.New("malformed schema")
		}
		e := &elems[pos]
		pos++
		if e.Type.Valid {
			return 1, nil
		}
		n := 0
		for range e.NumChildren.V {
			k, err := subtree(depth + 1)
			if err != nil {
				return 0, err
			}
			n += k
		}
		return n, nil
	}
	for range elems[0].NumChildren.V {
		if pos >= len(elems) {
			return errors.New("malformed schema")
		}
		e := &elems[pos]
		if !e.Type.Valid { // a group
			n, err := subtree(0)
			if err != nil {
				return err
			}
			r.nleaves += n
			r.skip = append(r.skip, skippedFinding(r.path, e.Name, "nested column skipped"))
			continue
		}
		pos++
		leaf := r.nleaves
		r.nleaves++
		if e.RepetitionType.Valid && e.RepetitionType.V == format.Repeated {
			r.skip = append(r.skip, skippedFinding(r.path, e.Name, "nested column skipped (repeated field)"))
			continue
		}
		c, why := mapParquet(e)
		if why != "" {
			r.skip = append(r.skip, skippedFinding(r.path, e.Name, why))
			continue
		}
		c.name = e.Name
		c.leaf = leaf
		c.optional = e.RepetitionType.Valid && e.RepetitionType.V == format.Optional
		r.cols = append(r.cols, c)
		r.fcols = append(r.fcols, c.fileColumn)
	}
	if pos != len(elems) {
		return errors.New("malformed schema")
	}
	return nil
}

var unitSuffix = map[int64]string{1e6: "ms", 1e3: "us", 1: "ns"}

func timeUnitNanos(u format.TimeUnit) int64 {
	switch u.Value.(type) {
	case *format.MilliSeconds:
		return 1e6
	case *format.MicroSeconds:
		return 1e3
	case *format.NanoSeconds:
		return 1
	}
	return 0
}

// mapParquet maps a leaf schema element to a column, or says why it is skipped.
func mapParquet(e *format.SchemaElement) (c pqColumn, why string) {
	phys := e.Type.V
	num := func(conv pqConv, typ string) (pqColumn, string) {
		return pqColumn{fileColumn: fileColumn{kind: pipeline.KindNumeric, typ: typ}, conv: conv, stats: true}, ""
	}
	stamp := func(conv pqConv, unit int64, typ string) (pqColumn, string) {
		return pqColumn{fileColumn: fileColumn{kind: pipeline.KindDatetime, typ: typ}, conv: conv, unit: unit, stats: true}, ""
	}
	decimal := func(precision, scale int32) (pqColumn, string) {
		typ := fmt.Sprintf("decimal(%d,%d)", precision, scale)
		c := pqColumn{fileColumn: fileColumn{kind: pipeline.KindNumeric, typ: typ}, scale: scale}
		switch phys {
		case format.Int32:
			c.conv, c.stats = convDecInt32, true
		case format.Int64:
			c.conv, c.stats = convDecInt64, true
		case format.FixedLenByteArray, format.ByteArray:
			c.conv = convDecBytes
		default:
			return c, fmt.Sprintf("decimal stored as %s skipped", phys)
		}
		return c, ""
	}
	str := func(typ string) (pqColumn, string) {
		if phys != format.ByteArray {
			return pqColumn{}, fmt.Sprintf("%s stored as %s skipped", typ, phys)
		}
		return pqColumn{fileColumn: fileColumn{kind: pipeline.KindCategorical, typ: typ}, conv: convString}, ""
	}
	timeOfDay := func(unit int64) (pqColumn, string) {
		typ := "time[" + unitSuffix[unit] + "]"
		if unit == 1e6 && phys == format.Int32 {
			return num(convTime32, typ)
		}
		if phys == format.Int64 && unit != 0 {
			c, _ := num(convInt64Unit, typ)
			c.unit = unit
			return c, ""
		}
		return pqColumn{}, fmt.Sprintf("time stored as %s skipped", phys)
	}
	timestamp := func(unit int64, utc bool) (pqColumn, string) {
		if phys != format.Int64 || unit == 0 {
			return pqColumn{}, fmt.Sprintf("timestamp stored as %s skipped", phys)
		}
		typ := "timestamp[" + unitSuffix[unit] + "]"
		if utc {
			typ = "timestamp[" + unitSuffix[unit] + ", utc]"
		}
		return stamp(convInt64Unit, unit, typ)
	}
	integer := func(bits int, signed bool) (pqColumn, string) {
		typ := fmt.Sprintf("int%d", bits)
		if !signed {
			typ = "u" + typ
		}
		switch {
		case phys == format.Int32 && signed:
			return num(convInt32, typ)
		case phys == format.Int32:
			return num(convUint32, typ)
		case phys == format.Int64 && signed:
			return num(convInt64, typ)
		case phys == format.Int64:
			c, _ := num(convUint64, typ)
			c.stats = false // signed statistics order of older writers
			return c, ""
		}
		return pqColumn{}, fmt.Sprintf("%s stored as %s skipped", typ, phys)
	}

	switch lt := e.LogicalType.Value.(type) {
	case nil:
	case *format.StringType:
		return str("string")
	case *format.EnumType:
		return str("enum")
	case *format.DecimalType:
		return decimal(lt.Precision, lt.Scale)
	case *format.DateType:
		if phys != format.Int32 {
			return c, fmt.Sprintf("date stored as %s skipped", phys)
		}
		return stamp(convDate, 0, "date")
	case *format.TimeType:
		return timeOfDay(timeUnitNanos(lt.Unit))
	case *format.TimestampType:
		return timestamp(timeUnitNanos(lt.Unit), lt.IsAdjustedToUTC)
	case *format.IntType:
		return integer(int(lt.BitWidth), lt.IsSigned)
	case *format.Float16Type:
		if phys != format.FixedLenByteArray || e.TypeLength.V != 2 {
			return c, fmt.Sprintf("float16 stored as %s skipped", phys)
		}
		return num(convFloat16, "float16")
	case *format.JsonType:
		return c, "json column skipped"
	case *format.BsonType:
		return c, "bson column skipped"
	case *format.UUIDType:
		return c, "uuid column skipped"
	case *format.NullType:
		return c, "null column skipped"
	default:
		return c, fmt.Sprintf("%s column skipped", lt)
	}

	if e.ConvertedType.Valid {
		switch ct := e.ConvertedType.V; ct {
		case deprecated.UTF8:
			return str("string")
		case deprecated.Enum:
			return str("enum")
		case deprecated.Decimal:
			return decimal(e.Precision.V, e.Scale.V)
		case deprecated.Date:
			if phys != format.Int32 {
				return c, fmt.Sprintf("date stored as %s skipped", phys)
			}
			return stamp(convDate, 0, "date")
		case deprecated.TimeMillis:
			return timeOfDay(1e6)
		case deprecated.TimeMicros:
			return timeOfDay(1e3)
		case deprecated.TimestampMillis:
			return timestamp(1e6, true)
		case deprecated.TimestampMicros:
			return timestamp(1e3, true)
		case deprecated.Int8, deprecated.Int16, deprecated.Int32, deprecated.Int64:
			return integer(8<<(ct-deprecated.Int8), true)
		case deprecated.Uint8, deprecated.Uint16, deprecated.Uint32, deprecated.Uint64:
			return integer(8<<(ct-deprecated.Uint8), false)
		case deprecated.Json:
			return c, "json column skipped"
		case deprecated.Bson:
			return c, "bson column skipped"
		case deprecated.Interval:
			return c, "interval column skipped"
		}
	}

	switch phys {
	case format.Boolean:
		return pqColumn{fileColumn: fileColumn{kind: pipeline.KindBoolean, typ: "bool"}, conv: convBool}, ""
	case format.Int32:
		return num(convInt32, "int32")
	case format.Int64:
		return num(convInt64, "int64")
	case format.Int96:
		return pqColumn{fileColumn: fileColumn{kind: pipeline.KindDatetime, typ: "int96"}, conv: convInt96}, ""
	case format.Float:
		return num(convFloat, "float")
	case format.Double:
		return num(convDouble, "double")
	case format.ByteArray:
		return c, "binary column skipped (no string annotation)"
	case format.FixedLenByteArray:
		return c, fmt.Sprintf("fixed_len_byte_array(%d) column skipped", e.TypeLength.V)
	}
	return c, fmt.Sprintf("physical type %d skipped", phys)
}

func (r *pqFile) name() string                { return r.path }
func (r *pqFile) columns() []fileColumn       { return r.fcols }
func (r *pqFile) skipped() []pipeline.Finding { return r.skip }
func (r *pqFile) units() int                  { return len(r.f.RowGroups()) }
func (r *pqFile) unitRows(u int) int64        { return r.f.RowGroups()[u].NumRows() }
func (r *pqFile) close() error                { return r.fh.Close() }

func (r *pqFile) bounds(col, u int) (lo, hi float64, mayHaveNulls, ok bool) {
	c := &r.cols[col]
	if !c.stats {
		return 0, 0, true, false
	}
	cc, isFile := r.f.RowGroups()[u].ColumnChunks()[c.leaf].(*parquet.FileColumnChunk)
	if !isFile {
		return 0, 0, true, false
	}
	min, max, ok := cc.Bounds()
	if !ok || min.IsNull() || max.IsNull() {
		return 0, 0, true, false
	}
	lo, hi = c.scalar(min), c.scalar(max)
	if math.IsNaN(lo) || math.IsNaN(hi) {
		return 0, 0, true, false
	}
	// A required column has no nulls; otherwise trust a zero null count only from
	// writers that also wrote min_value/max_value (Bounds read those fields).
	mayHaveNulls = c.optional && cc.NullCount() != 0
	return lo, hi, mayHaveNulls, true
}

// scalar converts a statistics value of an integer- or float-backed column.
func (c *pqColumn) scalar(v parquet.Value) float64 {
	switch c.conv {
	case convInt32:
		return float64(v.Int32())
	case convUint32:
		return float64(uint32(v.Int32()))
	case convInt64:
		return float64(v.Int64())
	case convFloat:
		return float64(v.Float())
	case convDouble:
		return v.Double()
	case convDate:
		return float64(v.Int32()) * 86400
	case convTime32:
		return float64(v.Int32()) / 1e3
	case convInt64Unit:
		return unitSeconds(v.Int64(), c.unit)
	case convDecInt32:
		return decimalFloat(int64(v.Int32()), c.scale)
	case convDecInt64:
		return decimalFloat(v.Int64(), c.scale)
	}
	return math.NaN()
}

func (r *pqFile) scan(ctx context.Context, col int, skip func(int) bool, cs *colState, emit func(u, off int) error) error {
	c := &r.cols[col]
	for u := range r.f.RowGroups() {
		if skip != nil && skip(u) {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := r.readChunk(c, u, cs, emit); err != nil {
			return err
		}
	}
	return nil
}

// readChunk decodes the column chunk of column c in row group u, page by page, into
// cs, calling emit whenever cs holds at least cs.batch rows and at the end.
func (r *pqFile) readChunk(c *pqColumn, u int, cs *colState, emit func(u, off int) error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("decode row group %d: %v (corrupt file?)", u, p)
		}
	}()
	cs.units.Add(1)
	rg := r.f.RowGroups()[u]
	fcc, ok := rg.ColumnChunks()[c.leaf].(*parquet.FileColumnChunk)
	if !ok {
		return fmt.Errorf("row group %d: unexpected column chunk type %T", u, rg.ColumnChunks()[c.leaf])
	}
	pages := fcc.PagesFrom(r.fh)
	defer pages.Close()
	cs.reset()
	cs.cacheKey = nil // a dictionary belongs to one column chunk
	off := 0
	flush := func() error {
		n := cs.len()
		if err := emit(u, off); err != nil {
			return err
		}
		off += n
		cs.reset()
		return nil
	}
	for {
		p, err := pages.ReadPage()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("read row group %d: %w", u, err)
		}
		err = cs.appendParquetPage(c, p)
		parquet.Release(p)
		if err != nil {
			return fmt.Errorf("decode row group %d: %w", u, err)
		}
		if int64(off+cs.len()) > rg.NumRows() {
			return fmt.Errorf("decode row group %d: column chunk has more than the row group's %d rows", u, rg.NumRows())
		}
		if cs.len() >= cs.batch {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if int64(off+cs.len()) != rg.NumRows() {
		return fmt.Errorf("decode row group %d: column chunk has %d rows, row group %d", u, off+cs.len(), rg.NumRows())
	}
	if cs.len() > 0 {
		return flush()
	}
	return nil
}

// appendParquetPage appends the rows of page p of column c to the chunk: NaN or -1
// where the definition level says null.
func (cs *colState) appendParquetPage(c *pqColumn, p parquet.Page) error {
	defs := p.DefinitionLevels()
	nrows := int(p.NumRows())
	if c.optional && len(defs) != nrows {
		return fmt.Errorf("page has %d definition levels for %d rows", len(defs), nrows)
	}
	nvals := nrows
	if c.optional {
		nvals = 0
		for _, d := range defs {
			if d == 1 {
				nvals++
			}
		}
	}
	data := p.Data()
	dict := p.Dictionary()

	if c.conv == convString {
		start := len(cs.codes)
		if dict != nil {
			idx := data.Int32()
			if len(idx) != nvals {
				return fmt.Errorf("page has %d dictionary indexes for %d values", len(idx), nvals)
			}
			strs, err := cs.dictStrings(dict)
			if err != nil {
				return err
			}
			remap := cs.useDict(dict, strs)
			for _, i := range idx {
				if i < 0 || int(i) >= len(strs) {
					return fmt.Errorf("dictionary index %d out of range [0, %d)", i, len(strs))
				}
				if remap != nil {
					i = remap[i]
				}
				cs.codes = append(cs.codes, i)
			}
		} else {
			b, offs := data.ByteArray()
			if len(offs) != nvals+1 && !(nvals == 0 && len(offs) == 0) {
				return fmt.Errorf("page has %d offsets for %d values", len(offs), nvals)
			}
			for i := range nvals {
				j, k := offs[i], offs[i+1]
				if j > k || int(k) > len(b) {
					return errors.New("byte array offsets out of range")
				}
				cs.codes = append(cs.codes, cs.codeBytes(b[j:k]))
			}
		}
		if c.optional && nvals != nrows {
			cs.codes = scatter(cs.codes, start, defs, nvals, int32(-1))
		}
		return nil
	}

	start := len(cs.f64)
	var err error
	if dict != nil {
		idx := data.Int32()
		if len(idx) != nvals {
			return fmt.Errorf("page has %d dictionary indexes for %d values", len(idx), nvals)
		}
		vals, err := cs.dictFloats(c, dict)
		if err != nil {
			return err
		}
		for _, i := range idx {
			if i < 0 || int(i) >= len(vals) {
				return fmt.Errorf("dictionary index %d out of range [0, %d)", i, len(vals))
			}
			cs.f64 = append(cs.f64, vals[i])
		}
	} else {
		cs.f64, err = c.appendValues(cs.f64, data, nvals)
		if err != nil {
			return err
		}
	}
	if len(cs.f64)-start != nvals {
		return fmt.Errorf("page has %d values, want %d", len(cs.f64)-start, nvals)
	}
	if c.optional && nvals != nrows {
		cs.f64 = scatter(cs.f64, start, defs, nvals, math.NaN())
	}
	return nil
}

// scatter spreads the nvals values at s[start:] over the rows whose definition level
// is 1, filling the other rows with missing, and returns the grown slice.
func scatter[T any](s []T, start int, defs []byte, nvals int, missing T) []T {
	n := len(defs)
	s = grow(s, start+n)
	// Back to front, so that values move only towards the end.
	j := start + nvals - 1
	for i := n - 1; i >= 0; i-- {
		if defs[i] == 1 {
			s[start+i] = s[j]
			j--
		} else {
			s[start+i] = missing
		}
	}
	return s
}

func grow[T any](s []T, n int) []T {
	if n <= cap(s) {
		return s[:n]
	}
	t := make([]T, n, max(n, 2*cap(s)))
	copy(t, s)
	return t
}

// dictStrings returns the entries of a string dictionary page as interned strings.
func (cs *colState) dictStrings(d parquet.Dictionary) ([]string, error) {
	if cs.cacheKey == d {
		return cs.cacheS, nil
	}
	vals := d.Page().Data()
	b, offs := vals.ByteArray()
	n := d.Len()
	if len(offs) < n+1 && n > 0 {
		return nil, fmt.Errorf("dictionary has %d offsets for %d values", len(offs), n)
	}
	cs.cacheS = cs.cacheS[:0]
	for i := range n {
		j, k := offs[i], offs[i+1]
		if j > k || int(k) > len(b) {
			return nil, errors.New("dictionary offsets out of range")
		}
		cs.cacheS = append(cs.cacheS, cs.internBytes(b[j:k]))
	}
	cs.cacheKey = d
	return cs.cacheS, nil
}

// dictFloats returns the entries of a dictionary page converted to float64s.
func (cs *colState) dictFloats(c *pqColumn, d parquet.Dictionary) ([]float64, error) {
	if cs.cacheKey == d {
		return cs.cacheF, nil
	}
	var err error
	cs.cacheF, err = c.appendValues(cs.cacheF[:0], d.Page().Data(), d.Len())
	if err != nil {
		return nil, fmt.Errorf("dictionary: %w", err)
	}
	if len(cs.cacheF) != d.Len() {
		return nil, fmt.Errorf("dictionary has %d values, want %d", len(cs.cacheF), d.Len())
	}
	cs.cacheKey = d
	return cs.cacheF, nil
}

// appendValues appends the n non-null values of a page (or dictionary) converted to
// float64.
func (c *pqColumn) appendValues(dst []float64, v encoding.Values, n int) ([]float64, error) {
	switch c.conv {
	case convInt32:
		for _, x := range v.Int32() {
			dst = append(dst, float64(x))
		}
	case convUint32:
		for _, x := range v.Uint32() {
			dst = append(dst, float64(x))
		}
	case convInt64:
		for _, x := range v.Int64() {
			dst = append(dst, float64(x))
		}
	case convUint64:
		for _, x := range v.Uint64() {
			dst = append(dst, float64(x))
		}
	case convFloat:
		for _, x := range v.Float() {
			dst = append(dst, float64(x))
		}
	case convDouble:
		dst = append(dst, v.Double()...)
	case convBool:
		bits := v.Boolean()
		if len(bits)*8 < n {
			return dst, fmt.Errorf("boolean page has %d bits for %d values", len(bits)*8, n)
		}
		for i := range n {
			dst = append(dst, float64(bits[i>>3]>>(i&7)&1))
		}
	case convDate:
		for _, x := range v.Int32() {
			dst = append(dst, float64(x)*86400)
		}
	case convTime32:
		for _, x := range v.Int32() {
			dst = append(dst, float64(x)/1e3)
		}
	case convInt64Unit:
		for _, x := range v.Int64() {
			dst = append(dst, unitSeconds(x, c.unit))
		}
	case convInt96:
		for _, x := range v.Int96() {
			dst = append(dst, int96Seconds(x))
		}
	case convDecInt32:
		for _, x := range v.Int32() {
			dst = append(dst, decimalFloat(int64(x), c.scale))
		}
	case convDecInt64:
		for _, x := range v.Int64() {
			dst = append(dst, decimalFloat(x, c.scale))
		}
	case convDecBytes:
		if v.Kind() == encoding.FixedLenByteArray {
			b, size := v.FixedLenByteArray()
			if size <= 0 {
				return dst, fmt.Errorf("fixed_len_byte_array size %d", size)
			}
			for i := 0; i+size <= len(b); i += size {
				dst = append(dst, decimalBytes(b[i:i+size], c.scale))
			}
		} else {
			b, offs := v.ByteArray()
			for i := 0; i+1 < len(offs); i++ {
				j, k := offs[i], offs[i+1]
				if j > k || int(k) > len(b) {
					return dst, errors.New("byte array offsets out of range")
				}
				dst = append(dst, decimalBytes(b[j:k], c.scale))
			}
		}
	case convFloat16:
		b, size := v.FixedLenByteArray()
		if size != 2 {
			return dst, fmt.Errorf("float16 of %d bytes", size)
		}
		for i := 0; i+2 <= len(b); i += 2 {
			dst = append(dst, halfFloat(binary.LittleEndian.Uint16(b[i:])))
		}
	default:
		return dst, fmt.Errorf("no float conversion for %s", c.typ)
	}
	return dst, nil
}

// julianUnixEpoch is the Julian day number of 1970-01-01.
const julianUnixEpoch = 2440588

// int96Seconds converts a legacy INT96 timestamp (8 bytes nanoseconds of the day, then
// 4 bytes Julian day, little endian) to Unix seconds.
func int96Seconds(x deprecated.Int96) float64 {
	nanos := int64(uint64(x[1])<<32 | uint64(x[0]))
	day := int64(int32(x[2]))
	sec := (day-julianUnixEpoch)*86400 + nanos/1e9
	return unixSeconds(sec, nanos%1e9)
}

var pow10 = [...]float64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// decimalFloat returns unscaled·10^-scale rounded once to the nearest float64.
func decimalFloat(unscaled int64, scale int32) float64 {
	const exact = 1 << 53
	if unscaled > -exact && unscaled < exact && scale >= 0 && int(scale) < len(pow10) {
		return float64(unscaled) / pow10[scale]
	}
	return bigDecimalFloat(big.NewInt(unscaled), scale)
}

func bigDecimalFloat(unscaled *big.Int, scale int32) float64 {
	den := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(abs32(scale))), nil)
	r := new(big.Rat)
	if scale >= 0 {
		r.SetFrac(unscaled, den)
	} else {
		r.SetInt(new(big.Int).Mul(unscaled, den))
	}
	f, _ := r.Float64()
	return f
}

func abs32(x int32) int32 {
	if x < 0 {
		return -x
	}
	return x
}

// decimalBytes converts a big-endian two's complement unscaled value.
func decimalBytes(b []byte, scale int32) float64 {
	if len(b) == 0 {
		return math.NaN()
	}
	if len(b) <= 8 {
		v := int64(int8(b[0])) // sign-extend
		for _, x := range b[1:] {
			v = v<<8 | int64(x)
		}
		return decimalFloat(v, scale)
	}
	v := new(big.Int).SetBytes(b)
	if b[0]&0x80 != 0 {
		v.Sub(v, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
	}
	return bigDecimalFloat(v, scale)
}

// halfFloat converts IEEE 754 half-precision bits to float64 (subnormals included).
func halfFloat(h uint16) float64 {
	sign := 1.0
	if h&0x8000 != 0 {
		sign = -1
	}
	exp := int(h>>10) & 0x1f
	frac := float64(h & 0x3ff)
	switch exp {
	case 0:
		return sign * math.Ldexp(frac, -24)
	case 0x1f:
		if frac != 0 {
			return math.NaN()
		}
		return math.Inf(int(sign))
	}
	return sign * math.Ldexp(1024+frac, exp-25)
}
