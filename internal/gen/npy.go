package gen

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/parquet-go/parquet-go/compress"

	"github.com/driftwatch/driftwatch/internal/atomicfile"
)

// npyArray is an open .npy file (format versions 1–3, little-endian, C order, 1 or 2
// dimensions) positioned at its first data byte.
type npyArray struct {
	f     *os.File
	r     *bufio.Reader
	descr string // "<f8" or "<i4"
	rows  int
	cols  int
}

var (
	npyMagic   = []byte("\x93NUMPY")
	npyDescr   = regexp.MustCompile(`'descr'\s*:\s*'([^']*)'`)
	npyFortran = regexp.MustCompile(`'fortran_order'\s*:\s*(True|False)`)
	npyShape   = regexp.MustCompile(`'shape'\s*:\s*\(([^)]*)\)`)
)

// openNPY opens path and parses its header. It accepts dtype <f8 and <i4 only.
func openNPY(path string) (*npyArray, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	a, err := parseNPYHeader(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return a, nil
}

func parseNPYHeader(f *os.File) (*npyArray, error) {
	r := bufio.NewReaderSize(f, 1<<20)
	pre := make([]byte, 8)
	if _, err := io.ReadFull(r, pre); err != nil {
		return nil, fmt.Errorf("npy preamble: %w", err)
	}
	if string(pre[:6]) != string(npyMagic) {
		return nil, errors.New("not a .npy file (bad magic)")
	}
	var hlen int
	switch major := pre[6]; major {
	case 1:
		b := make([]byte, 2)
		if _, err := io.ReadFull(r, b); err != nil {
			return nil, fmt.Errorf("npy header length: %w", err)
		}
		hlen = int(binary.LittleEndian.Uint16(b))
	case 2, 3:
		b := make([]byte, 4)
		if _, err := io.ReadFull(r, b); err != nil {
			return nil, fmt.Errorf("npy header length: %w", err)
		}
		hlen = int(binary.LittleEndian.Uint32(b))
		if hlen > 1<<20 {
			return nil, fmt.Errorf("npy header length %d: too large", hlen)
		}
	default:
		return nil, fmt.Errorf("npy format version %d.%d: unsupported", major, pre[7])
	}
	h := make([]byte, hlen)
	if _, err := io.ReadFull(r, h); err != nil {
		return nil, fmt.Errorf("npy header: %w", err)
	}
	header := string(h)
	a := &npyArray{f: f, r: r}
	m := npyDescr.FindStringSubmatch(header)
	if m == nil {
		return nil, fmt.Errorf("npy header %q: no descr", header)
	}
	a.descr = m[1]
	if a.descr != "<f8" && a.descr != "<i4" {
		return nil, fmt.Errorf("npy dtype %q: want <f8 or <i4", a.descr)
	}
	if m := npyFortran.FindStringSubmatch(header); m == nil || m[1] != "False" {
		return nil, fmt.Errorf("npy header %q: only C order (fortran_order False) is supported", header)
	}
	m = npyShape.FindStringSubmatch(header)
	if m == nil {
		return nil, fmt.Errorf("npy header %q: no shape", header)
	}
	var dims []int
	for _, s := range strings.Split(m[1], ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		d, err := strconv.Atoi(strings.TrimSuffix(s, "L"))
		if err != nil || d < 0 {
			return nil, fmt.Errorf("npy shape (%s): bad dimension %q", m[1], s)
		}
		dims = append(dims, d)
	}
	switch len(dims) {
	case 1:
		a.rows, a.cols = dims[0], 1
	case 2:
		a.rows, a.cols = dims[0], dims[1]
	default:
		return nil, fmt.Errorf("npy shape (%s): want 1 or 2 dimensions", m[1])
	}
	if a.cols > 0 && a.rows > (1<<60)/a.cols {
		return nil, fmt.Errorf("npy shape (%s): too large", m[1])
	}
	// the data must be exactly rows·cols items
	if st, err := f.Stat(); err == nil {
		lenBytes := int64(4) // the header length field: uint16 in v1, uint32 in v2 and v3
		if pre[6] == 1 {
			lenBytes = 2
		}
		want := 8 + lenBytes + int64(hlen) + int64(a.rows)*int64(a.cols)*int64(a.itemSize())
		if st.Size() != want {
			return nil, fmt.Errorf("npy size %d bytes: header says %d (shape (%s), %s)", st.Size(), want, m[1], a.descr)
		}
	}
	return a, nil
}

func (a *npyArray) itemSize() int {
	if a.descr == "<i4" {
		return 4
	}
	return 8
}

func (a *npyArray) Close() error { return a.f.Close() }

// readFloat64 reads the next n rows into the columns dst[c][:n] (dtype <f8).
func (a *npyArray) readFloat64(dst [][]float64, n int, buf []byte) error {
	row := buf[:8*a.cols]
	for i := range n {
		if _, err := io.ReadFull(a.r, row); err != nil {
			return err
		}
		for c := range a.cols {
			dst[c][i] = math.Float64frombits(binary.LittleEndian.Uint64(row[8*c:]))
		}
	}
	return nil
}

// readInt32 reads the next n rows into the columns dst[c][:n] (dtype <i4).
func (a *npyArray) readInt32(dst [][]int32, n int, buf []byte) error {
	row := buf[:4*a.cols]
	for i := range n {
		if _, err := io.ReadFull(a.r, row); err != nil {
			return err
		}
		for c := range a.cols {
			dst[c][i] = int32(binary.LittleEndian.Uint32(row[4*c:]))
		}
	}
	return nil
}

// npyMeta is the part of the peers' meta.json that the conversion needs.
type npyMeta struct {
	Numeric     []string            `json:"numeric"`
	Categorical []string            `json:"categorical"`
	Categories  map[string][]string `json:"categories"`
}

// NPYOptions controls the Parquet output of NPYToParquet.
type NPYOptions struct {
	RowGroup int    // rows per row group
	Codec    string // "snappy" or "zstd"
}

// NPYSummary reports what NPYToParquet wrote.
type NPYSummary struct {
	Reference, Current string // paths
	RefRows, CurRows   int
	Numeric, Categ     int // column counts
}

// NPYToParquet converts the peers' layout in src (meta.json, {reference,current}_num.npy,
// {reference,current}_cat.npy, as written by gen_data.py and gen_decision.py) into
// out/reference.parquet and out/current.parquet: the numeric columns as optional DOUBLE
// with NaN written as null, then the categorical columns as dictionary-encoded strings
// (code k → meta.json's categories[name][k], -1 → null), named as in meta.json. The
// categorical arrays may be absent when meta.json lists no categorical column.
// Cancelling ctx stops it between chunks and leaves no partial file.
func NPYToParquet(ctx context.Context, src, out string, opt NPYOptions) (NPYSummary, error) {
	var s NPYSummary
	codec, err := codecFor(opt.Codec)
	if err != nil {
		return s, err
	}
	if opt.RowGroup <= 0 {
		return s, fmt.Errorf("row group size %d: must be positive", opt.RowGroup)
	}
	metaPath := filepath.Join(src, "meta.json")
	raw, err := os.ReadFile(metaPath)
	if err != nil {
		return s, fmt.Errorf("read meta: %w", err)
	}
	var meta npyMeta
	if err := json.Unmarshal(raw, &meta); err != nil {
		return s, fmt.Errorf("parse %s: %w", metaPath, err)
	}
	if len(meta.Numeric)+len(meta.Categorical) == 0 {
		return s, fmt.Errorf("%s: no numeric and no categorical columns", metaPath)
	}
	var cols []colSpec
	for _, n := range meta.Numeric {
		cols = append(cols, colSpec{n, kindDouble, true})
	}
	var labels [][][]byte
	for _, n := range meta.Categorical {
		cols = append(cols, colSpec{n, kindString, true})
		ls, ok := meta.Categories[n]
		if !ok {
			return s, fmt.Errorf("%s: no categories for column %q", metaPath, n)
		}
		labels = append(labels, byteLabels(ls))
	}
	if _, err := newSchema("npy", cols); err != nil {
		return s, fmt.Errorf("%s: %w", metaPath, err)
	}
	s.Numeric, s.Categ = len(meta.Numeric), len(meta.Categorical)
	s.Reference = filepath.Join(out, "reference.parquet")
	s.Current = filepath.Join(out, "current.parquet")
	for _, side := range []string{"reference", "current"} {
		dst := s.Reference
		if side == "current" {
			dst = s.Current
		}
		n, err := convertNPY(ctx, src, side, dst, &meta, cols, labels, opt.RowGroup, codec)
		if err != nil {
			return s, fmt.Errorf("convert %s: %w", side, err)
		}
		if side == "reference" {
			s.RefRows = n
		} else {
			s.CurRows = n
		}
	}
	return s, nil
}

// convertNPY writes one side (reference or current) and returns its row count.
func convertNPY(ctx context.Context, src, side, dst string, meta *npyMeta, cols []colSpec, labels [][][]byte, rowGroup int, codec compress.Codec) (int, error) {
	var num, cat *npyArray
	open := func(kind string, want int, dtype string) (*npyArray, error) {
		path := filepath.Join(src, side+"_"+kind+".npy")
		a, err := openNPY(path)
		if errors.Is(err, fs.ErrNotExist) && want == 0 {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		if a.descr != dtype {
			a.Close()
			return nil, fmt.Errorf("%s: dtype %s, want %s", path, a.descr, dtype)
		}
		if a.cols != want {
			a.Close()
			return nil, fmt.Errorf("%s: %d columns, meta.json names %d", path, a.cols, want)
		}
		return a, nil
	}
	num, err := open("num", len(meta.Numeric), "<f8")
	if err != nil {
		return 0, err
	}
	if num != nil {
		defer num.Close()
	}
	cat, err = open("cat", len(meta.Categorical), "<i4")
	if err != nil {
		return 0, err
	}
	if cat != nil {
		defer cat.Close()
	}
	rows := -1
	if num != nil && len(meta.Numeric) > 0 {
		rows = num.rows
	}
	if cat != nil && len(meta.Categorical) > 0 {
		if rows >= 0 && cat.rows != rows {
			return 0, fmt.Errorf("%s_num.npy has %d rows, %s_cat.npy %d", side, rows, side, cat.rows)
		}
		rows = cat.rows
	}
	if rows < 0 {
		return 0, fmt.Errorf("no %s_num.npy or %s_cat.npy", side, side)
	}
	const chunk = 1 << 16
	k := len(meta.Numeric)
	err = atomicfile.Write(dst, 0o644, func(w io.Writer) error {
		tw, err := newTableWriter(w, side, cols, rowGroup, codec)
		if err != nil {
			return err
		}
		size := min(chunk, max(rows, 1))
		f64 := make([][]float64, k)
		for i := range f64 {
			f64[i] = make([]float64, size)
		}
		codes := make([][]int32, len(meta.Categorical))
		for j := range codes {
			codes[j] = make([]int32, size)
		}
		buf := make([]byte, 8*max(k, len(codes)))
		batch := make([]colData, len(cols))
		for off := 0; off < rows; off += chunk {
			if err := ctx.Err(); err != nil {
				return err
			}
			n := min(chunk, rows-off)
			if k > 0 {
				if err := num.readFloat64(f64, n, buf); err != nil {
					return fmt.Errorf("read %s_num.npy: %w", side, err)
				}
			}
			if len(codes) > 0 {
				if err := cat.readInt32(codes, n, buf); err != nil {
					return fmt.Errorf("read %s_cat.npy: %w", side, err)
				}
			}
			for i := range k {
				batch[i] = colData{f64: f64[i][:n]}
			}
			for j := range codes {
				for r, v := range codes[j][:n] {
					if v < -1 || int(v) >= len(labels[j]) {
						return fmt.Errorf("%s_cat.npy row %d column %s: code %d outside -1..%d",
							side, off+r, meta.Categorical[j], v, len(labels[j])-1)
					}
				}
				batch[k+j] = colData{codes: codes[j][:n], labels: labels[j]}
			}
			if err := tw.write(batch, n); err != nil {
				return err
			}
		}
		return tw.close()
	})
	return rows, err
}
