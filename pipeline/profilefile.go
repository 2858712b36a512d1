package pipeline

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/driftwatch/driftwatch/stats"
)

// Profile files (docs/profile-format.md has the byte layout):
//
//	magic "DWPROF\r\n" | uint16 version | uint16 flags (0) | uint32 header length H |
//	H bytes of JSON header | uint64 blob length B | B bytes of blob | uint32 CRC-32C
//
// All integers little-endian. The JSON header holds everything but the large arrays,
// which live in the blob and are referenced from the header by byte offset and length:
// the sorted values of exact mode (float64), the quantile sketches and distinct-count
// sketches (their binary forms, stats.QuantileSketch.AppendBinary, stats.HLL), and the
// co-moments (6 float64 per pair). The CRC covers every byte before it.

// ProfileMagic starts every profile file.
const ProfileMagic = "DWPROF\r\n"

// ProfileFormatVersion is the version this package writes; it reads versions 1..this.
const ProfileFormatVersion = 1

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// IsProfile reports whether b (the first bytes of a file, at least 8) starts like a
// profile file.
func IsProfile(b []byte) bool { return bytes.HasPrefix(b, []byte(ProfileMagic)) }

// ErrProfileFormat is wrapped by the errors of ReadProfile for input that is not a
// valid profile file.
var ErrProfileFormat = errors.New("not a valid profile file")

// fnum is a float64 whose JSON form keeps non-finite values ("NaN", "+Inf", "-Inf").
type fnum float64

func (f fnum) MarshalJSON() ([]byte, error) {
	v := float64(f)
	switch {
	case math.IsNaN(v):
		return []byte(`"NaN"`), nil
	case math.IsInf(v, 1):
		return []byte(`"+Inf"`), nil
	case math.IsInf(v, -1):
		return []byte(`"-Inf"`), nil
	}
	return strconv.AppendFloat(nil, v, 'g', -1, 64), nil
}

func (f *fnum) UnmarshalJSON(b []byte) error {
	switch string(b) {
	case `"NaN"`:
		*f = fnum(math.NaN())
		return nil
	case `"+Inf"`:
		*f = fnum(math.Inf(1))
		return nil
	case `"-Inf"`:
		*f = fnum(math.Inf(-1))
		return nil
	}
	v, err := strconv.ParseFloat(string(b), 64)
	*f = fnum(v)
	return err
}

// blobRef locates an array in the blob.
type blobRef struct {
	Offset int64 `json:"offset"`
	Length int64 `json:"length"`
}

type fileWindow struct {
	Start *time.Time `json:"start,omitempty"`
	End   *time.Time `json:"end,omitempty"`
}

type fileMoments struct {
	N    int64 `json:"n"`
	Mean fnum  `json:"mean"`
	M2   fnum  `json:"m2"`
	Min  fnum  `json:"min"`
	Max  fnum  `json:"max"`
}

type fileColumn struct {
	Name     string       `json:"name"`
	Kind     Kind         `json:"kind"`
	Rows     int64        `json:"rows"`
	Missing  int64        `json:"missing"`
	Moments  *fileMoments `json:"moments,omitempty"`
	Sorted   *blobRef     `json:"sorted,omitempty"`
	Sketch   *blobRef     `json:"sketch,omitempty"`
	Distinct *blobRef     `json:"distinct,omitempty"`
	FewKeys  []fnum       `json:"few_keys,omitempty"`
	FewCount []int64      `json:"few_counts,omitempty"`
	HasFew   bool         `json:"has_few,omitempty"`
	HistEdge []fnum       `json:"hist_edges,omitempty"`
	HistCnt  []int64      `json:"hist_counts,omitempty"`
	HasHist  bool         `json:"has_hist,omitempty"`
	Labels   []string     `json:"labels,omitempty"`
	Counts   []int64      `json:"counts,omitempty"`
	Other    int64        `json:"other,omitempty"`
	Trunc    bool         `json:"truncated,omitempty"`
}

type fileCorr struct {
	Columns []string `json:"columns"`
	N       []int64  `json:"n"`     // per pair
	Moments *blobRef `json:"pairs"` // 5 float64 per pair: mean_x, mean_y, m2_x, m2_y, c
}

type fileQuality struct {
	Target     string      `json:"target"`
	Prediction string      `json:"prediction"`
	Score      string      `json:"score,omitempty"`
	Task       string      `json:"task"`
	Labels     []string    `json:"labels,omitempty"`
	Confusion  []int64     `json:"confusion,omitempty"`
	ScoreHist  [][]int64   `json:"score_hist,omitempty"`
	LogPos     []fnum      `json:"log_pos,omitempty"`
	LogNeg     []fnum      `json:"log_neg,omitempty"`
	ScoreRows  int64       `json:"score_rows,omitempty"`
	BadScores  int64       `json:"bad_scores,omitempty"`
	N          int64       `json:"n,omitempty"`
	SumErr     fnum        `json:"sum_err"`
	SumAbs     fnum        `json:"sum_abs"`
	SumSq      fnum        `json:"sum_sq"`
	SumAPE     fnum        `json:"sum_ape"`
	Y          fileMoments `json:"y"`
}

type fileHeader struct {
	Mode     string       `json:"mode"`
	Source   string       `json:"source"`
	Window   *fileWindow  `json:"window,omitempty"`
	Rows     int64        `json:"rows"`
	Parts    int          `json:"parts"`
	Fields   []Field      `json:"fields"`
	Findings []Finding    `json:"findings,omitempty"`
	Columns  []fileColumn `json:"columns"`
	Corr     *fileCorr    `json:"corr,omitempty"`
	Quality  *fileQuality `json:"quality,omitempty"`
	Created  string       `json:"writer"`
}

func toFileMoments(m stats.Moments) fileMoments {
	return fileMoments{N: m.N, Mean: fnum(m.Mean), M2: fnum(m.M2), Min: fnum(m.Min), Max: fnum(m.Max)}
}

func (m fileMoments) moments() stats.Moments {
	return stats.Moments{N: m.N, Mean: float64(m.Mean), M2: float64(m.M2), Min: float64(m.Min), Max: float64(m.Max)}
}

func fnums(x []float64) []fnum {
	out := make([]fnum, len(x))
	for i, v := range x {
		out[i] = fnum(v)
	}
	return out
}

func floats(x []fnum) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = float64(v)
	}
	return out
}

// WriteTo writes p in the profile file format to w.
func (p *Profile) WriteTo(w io.Writer) (int64, error) {
	var blob []byte
	put := func(b []byte) *blobRef {
		r := &blobRef{Offset: int64(len(blob)), Length: int64(len(b))}
		blob = append(blob, b...)
		return r
	}
	putFloats := func(x []float64) *blobRef {
		r := &blobRef{Offset: int64(len(blob)), Length: int64(8 * len(x))}
		for _, v := range x {
			blob = binary.LittleEndian.AppendUint64(blob, math.Float64bits(v))
		}
		return r
	}
	h := fileHeader{Mode: p.Mode.String(), Source: p.Source, Rows: p.Rows, Parts: p.Parts, Fields: p.Fields,
		Findings: p.Findings, Columns: []fileColumn{}, Created: "driftwatch"}
	if h.Fields == nil {
		h.Fields = []Field{}
	}
	if !p.Window.IsZero() {
		h.Window = &fileWindow{}
		if !p.Window.Start.IsZero() {
			s := p.Window.Start.UTC()
			h.Window.Start = &s
		}
		if !p.Window.End.IsZero() {
			e := p.Window.End.UTC()
			h.Window.End = &e
		}
	}
	for _, c := range p.Columns {
		fc := fileColumn{Name: c.Name, Kind: c.Kind, Rows: c.Rows, Missing: c.Missing,
			Labels: c.Labels, Counts: c.Counts, Other: c.Other, Trunc: c.Truncated}
		if c.Kind.Valued() {
			m := toFileMoments(c.Moments)
			fc.Moments = &m
		}
		if c.Sorted != nil {
			fc.Sorted = putFloats(c.Sorted)
		}
		if c.Sketch != nil {
			b, err := c.Sketch.MarshalBinary()
			if err != nil {
				return 0, fmt.Errorf("write profile: column %q: %w", c.Name, err)
			}
			fc.Sketch = put(b)
		}
		if c.Distinct != nil {
			b, _ := c.Distinct.MarshalBinary()
			fc.Distinct = put(b)
		}
		if c.Few != nil {
			fc.HasFew, fc.FewKeys, fc.FewCount = true, fnums(c.Few.Keys), c.Few.Counts
		}
		if c.Hist != nil {
			fc.HasHist, fc.HistEdge, fc.HistCnt = true, fnums(c.Hist.Edges), c.Hist.Counts
		}
		h.Columns = append(h.Columns, fc)
	}
	if p.Corr != nil {
		fc := &fileCorr{Columns: p.Corr.Columns}
		var x []float64
		for _, pr := range p.Corr.M.Pairs {
			fc.N = append(fc.N, pr.N)
			x = append(x, pr.MeanX, pr.MeanY, pr.M2X, pr.M2Y, pr.C)
		}
		fc.Moments = putFloats(x)
		h.Corr = fc
	}
	if q := p.Quality; q != nil {
		h.Quality = &fileQuality{Target: q.Target, Prediction: q.Prediction, Score: q.Score, Task: q.Task,
			Labels: q.Labels, Confusion: q.Confusion, ScoreHist: q.ScoreHist, LogPos: fnums(q.LogPos), LogNeg: fnums(q.LogNeg),
			ScoreRows: q.ScoreRows, BadScores: q.BadScores, N: q.N, SumErr: fnum(q.SumErr), SumAbs: fnum(q.SumAbs),
			SumSq: fnum(q.SumSq), SumAPE: fnum(q.SumAPE), Y: toFileMoments(q.Y)}
	}
	hj, err := json.Marshal(h)
	if err != nil {
		return 0, fmt.Errorf("write profile: %w", err)
	}
	var head []byte
	head = append(head, ProfileMagic...)
	head = binary.LittleEndian.AppendUint16(head, ProfileFormatVersion)
	head = binary.LittleEndian.AppendUint16(head, 0)
	head = binary.LittleEndian.AppendUint32(head, uint32(len(hj)))
	head = append(head, hj...)
	head = binary.LittleEndian.AppendUint64(head, uint64(len(blob)))
	crc := crc32.Update(0, crcTable, head)
	crc = crc32.Update(crc, crcTable, blob)
	var n int64
	for _, part := range [][]byte{head, blob, binary.LittleEndian.AppendUint32(nil, crc)} {
		k, err := w.Write(part)
		n += int64(k)
		if err != nil {
			return n, fmt.Errorf("write profile: %w", err)
		}
	}
	return n, nil
}

// MaxProfileHeader bounds the JSON header a reader accepts (256 MiB).
const MaxProfileHeader = 256 << 20

// ReadProfile reads a profile file. It checks the magic, the version, the CRC and the
// structure, and returns an error wrapping ErrProfileFormat (never panics) on bad input.
func ReadProfile(r io.Reader) (*Profile, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	var fixed [16]byte
	if _, err := io.ReadFull(br, fixed[:]); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrProfileFormat, err)
	}
	if !IsProfile(fixed[:]) {
		return nil, fmt.Errorf("%w: bad magic", ErrProfileFormat)
	}
	ver := binary.LittleEndian.Uint16(fixed[8:])
	if ver == 0 || ver > ProfileFormatVersion {
		return nil, fmt.Errorf("%w: format version %d (this driftwatch reads 1..%d)", ErrProfileFormat, ver, ProfileFormatVersion)
	}
	hl := binary.LittleEndian.Uint32(fixed[12:])
	if hl > MaxProfileHeader {
		return nil, fmt.Errorf("%w: header of %d bytes", ErrProfileFormat, hl)
	}
	crc := crc32.Update(0, crcTable, fixed[:])
	hj := make([]byte, hl)
	if _, err := io.ReadFull(br, hj); err != nil {
		return nil, fmt.Errorf("%w: header: %v", ErrProfileFormat, err)
	}
	crc = crc32.Update(crc, crcTable, hj)
	var bl [8]byte
	if _, err := io.ReadFull(br, bl[:]); err != nil {
		return nil, fmt.Errorf("%w: blob length: %v", ErrProfileFormat, err)
	}
	crc = crc32.Update(crc, crcTable, bl[:])
	blen := binary.LittleEndian.Uint64(bl[:])
	if blen > 1<<40 {
		return nil, fmt.Errorf("%w: blob of %d bytes", ErrProfileFormat, blen)
	}
	var blobBuf bytes.Buffer
	if _, err := io.CopyN(&blobBuf, br, int64(blen)); err != nil {
		return nil, fmt.Errorf("%w: blob: %v", ErrProfileFormat, err)
	}
	blob := blobBuf.Bytes()
	crc = crc32.Update(crc, crcTable, blob)
	var tail [4]byte
	if _, err := io.ReadFull(br, tail[:]); err != nil {
		return nil, fmt.Errorf("%w: checksum: %v", ErrProfileFormat, err)
	}
	if binary.LittleEndian.Uint32(tail[:]) != crc {
		return nil, fmt.Errorf("%w: checksum mismatch (the file is damaged or truncated)", ErrProfileFormat)
	}
	if _, err := br.ReadByte(); err != io.EOF {
		return nil, fmt.Errorf("%w: bytes after the checksum", ErrProfileFormat)
	}
	var h fileHeader
	if err := json.Unmarshal(hj, &h); err != nil {
		return nil, fmt.Errorf("%w: header: %v", ErrProfileFormat, err)
	}
	p, err := h.profile(blob)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrProfileFormat, err)
	}
	return p, nil
}

func blobBytes(blob []byte, r *blobRef) ([]byte, error) {
	if r.Offset < 0 || r.Length < 0 || r.Offset > int64(len(blob)) || r.Length > int64(len(blob))-r.Offset {
		return nil, fmt.Errorf("blob reference [%d, +%d) outside the blob of %d bytes", r.Offset, r.Length, len(blob))
	}
	return blob[r.Offset : r.Offset+r.Length], nil
}

func blobFloats(blob []byte, r *blobRef) ([]float64, error) {
	b, err := blobBytes(blob, r)
	if err != nil {
		return nil, err
	}
	if len(b)%8 != 0 {
		return nil, fmt.Errorf("float array of %d bytes", len(b))
	}
	x := make([]float64, len(b)/8)
	for i := range x {
		x[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
	}
	return x, nil
}

// profile rebuilds a Profile from the header and blob, checking what the code relies on.
func (h *fileHeader) profile(blob []byte) (*Profile, error) {
	mode, err := ParseProfileMode(h.Mode)
	if err != nil {
		return nil, err
	}
	p := &Profile{Mode: mode, Source: h.Source, Rows: h.Rows, Parts: h.Parts, Fields: h.Fields, Findings: h.Findings}
	if p.Rows < 0 || p.Parts < 0 {
		return nil, fmt.Errorf("negative rows or parts")
	}
	if h.Window != nil {
		if h.Window.Start != nil {
			p.Window.Start = *h.Window.Start
		}
		if h.Window.End != nil {
			p.Window.End = *h.Window.End
		}
	}
	seen := map[string]bool{}
	for _, fc := range h.Columns {
		if seen[fc.Name] {
			return nil, fmt.Errorf("column %q twice", fc.Name)
		}
		seen[fc.Name] = true
		c, err := fc.column(blob, mode)
		if err != nil {
			return nil, fmt.Errorf("column %q: %v", fc.Name, err)
		}
		p.Columns = append(p.Columns, c)
	}
	if fc := h.Corr; fc != nil {
		k := len(fc.Columns)
		pairs := k * (k - 1) / 2
		x, err := blobFloats(blob, fc.Moments)
		if err != nil || len(fc.N) != pairs || len(x) != 5*pairs || k < 2 {
			return nil, fmt.Errorf("co-moments: %d columns, %d counts, bad pairs", k, len(fc.N))
		}
		m := stats.NewCoMomentMatrix(k)
		for i := range m.Pairs {
			m.Pairs[i] = stats.CoMoments{N: fc.N[i], MeanX: x[5*i], MeanY: x[5*i+1], M2X: x[5*i+2], M2Y: x[5*i+3], C: x[5*i+4]}
		}
		p.Corr = &CorrProfile{Columns: fc.Columns, M: m}
	}
	if fq := h.Quality; fq != nil {
		q := &QualityProfile{Target: fq.Target, Prediction: fq.Prediction, Score: fq.Score, Task: fq.Task,
			Labels: fq.Labels, Confusion: fq.Confusion, ScoreHist: fq.ScoreHist, LogPos: floats(fq.LogPos), LogNeg: floats(fq.LogNeg),
			ScoreRows: fq.ScoreRows, BadScores: fq.BadScores, N: fq.N, SumErr: float64(fq.SumErr), SumAbs: float64(fq.SumAbs),
			SumSq: float64(fq.SumSq), SumAPE: float64(fq.SumAPE), Y: fq.Y.moments()}
		k := len(q.Labels)
		switch {
		case q.Task != TaskClassification && q.Task != TaskRegression:
			return nil, fmt.Errorf("quality: task %q", q.Task)
		case q.Task == TaskClassification && len(q.Confusion) != k*k:
			return nil, fmt.Errorf("quality: %d confusion counts for %d labels", len(q.Confusion), k)
		case q.Score != "" && q.Task == TaskClassification && (len(q.ScoreHist) != k || len(q.LogPos) != k || len(q.LogNeg) != k):
			return nil, fmt.Errorf("quality: score accumulators for %d labels", k)
		}
		for _, hst := range q.ScoreHist {
			if hst != nil && len(hst) != ScoreBins {
				return nil, fmt.Errorf("quality: a score histogram of %d bins", len(hst))
			}
		}
		p.Quality = q
	}
	return p, nil
}

func (fc *fileColumn) column(blob []byte, mode ProfileMode) (*ColumnProfile, error) {
	if fc.Kind == KindUnknown || int(fc.Kind) >= len(kindNames) {
		return nil, fmt.Errorf("bad kind")
	}
	c := &ColumnProfile{Name: fc.Name, Kind: fc.Kind, Rows: fc.Rows, Missing: fc.Missing,
		Other: fc.Other, Truncated: fc.Trunc, Moments: stats.Moments{Min: math.Inf(1), Max: math.Inf(-1)}}
	if c.Rows < 0 || c.Missing < 0 || c.Missing > c.Rows {
		return nil, fmt.Errorf("rows %d, missing %d", c.Rows, c.Missing)
	}
	if fc.Moments != nil {
		c.Moments = fc.Moments.moments()
	}
	if fc.Distinct != nil {
		b, err := blobBytes(blob, fc.Distinct)
		if err != nil {
			return nil, err
		}
		c.Distinct = &stats.HLL{}
		if err := c.Distinct.UnmarshalBinary(b); err != nil {
			return nil, err
		}
	}
	if !c.Kind.Valued() {
		if len(fc.Labels) != len(fc.Counts) || !slices.IsSorted(fc.Labels) {
			return nil, fmt.Errorf("labels and counts do not match")
		}
		var sum int64
		for _, n := range fc.Counts {
			if n < 0 {
				return nil, fmt.Errorf("negative count")
			}
			sum += n
		}
		if sum+c.Other != c.Count() {
			return nil, fmt.Errorf("category counts %d + other %d != %d values", sum, c.Other, c.Count())
		}
		c.Labels, c.Counts = fc.Labels, fc.Counts
		return c, nil
	}
	switch mode {
	case ProfileExact:
		if fc.Sorted == nil {
			return nil, fmt.Errorf("exact mode without sorted values")
		}
		x, err := blobFloats(blob, fc.Sorted)
		if err != nil {
			return nil, err
		}
		if int64(len(x)) != c.Count() || !slices.IsSortedFunc(x, func(a, b float64) int {
			if floatKey(a) < floatKey(b) {
				return -1
			}
			return 0
		}) {
			return nil, fmt.Errorf("sorted values: %d values for %d non-missing, or out of order", len(x), c.Count())
		}
		for _, v := range x {
			if v-v != 0 {
				return nil, fmt.Errorf("a non-finite value")
			}
		}
		c.Sorted = x
	case ProfileSketch:
		if fc.Sketch == nil {
			return nil, fmt.Errorf("sketch mode without a sketch")
		}
		b, err := blobBytes(blob, fc.Sketch)
		if err != nil {
			return nil, err
		}
		c.Sketch = &stats.QuantileSketch{}
		if err := c.Sketch.UnmarshalBinary(b); err != nil {
			return nil, err
		}
		if c.Sketch.Count() != c.Count() {
			return nil, fmt.Errorf("sketch of %d values for %d non-missing", c.Sketch.Count(), c.Count())
		}
		if fc.HasFew {
			keys := floats(fc.FewKeys)
			if len(keys) != len(fc.FewCount) || len(keys) > FewValuesCap || !slices.IsSorted(keys) {
				return nil, fmt.Errorf("value counts")
			}
			if sumCounts(fc.FewCount) != c.Count() {
				return nil, fmt.Errorf("value counts do not add up to %d", c.Count())
			}
			c.Few = &ValueCounts{Keys: keys, Counts: fc.FewCount}
			if c.Few.Counts == nil {
				c.Few.Counts = []int64{}
			}
		}
		if fc.HasHist {
			edges := floats(fc.HistEdge)
			if len(fc.HistCnt) != len(edges)+1 || !slices.IsSorted(edges) || sumCounts(fc.HistCnt) != c.Count() {
				return nil, fmt.Errorf("histogram")
			}
			c.Hist = &EdgeHist{Edges: edges, Counts: fc.HistCnt}
		}
	}
	return c, nil
}

// sumCounts returns the sum of non-negative counts, -1 if one is negative.
func sumCounts(x []int64) int64 {
	var s int64
	for _, n := range x {
		if n < 0 {
			return -1
		}
		s += n
	}
	return s
}
