package gen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"path/filepath"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"

	"github.com/driftwatch/driftwatch/internal/atomicfile"
)

// BenchConfig shapes the benchmark data of Bench, after /work/shared/peers/gen_data.py.
type BenchConfig struct {
	Rows      int     // reference rows
	CurRows   int     // current rows; 0 means Rows
	Seed      uint64  //
	RowGroup  int     // rows per row group
	Codec     string  // "snappy" or "zstd"
	Num       int     // numeric columns num_0 … num_{Num-1}
	Cat       int     // categorical columns cat_0 … cat_{Cat-1}
	DriftFrac float64 // the first ceil(DriftFrac·Num) numeric and ceil(DriftFrac·Cat) categorical columns drift
	MeanShift float64 // drifting numeric columns: + MeanShift · reference sd
	VarScale  float64 // drifting numeric columns: deviation from the reference mean × VarScale
	CatShift  float64 // drifting categorical columns: p → normalise(p · exp(CatShift · g)), g ~ N(0, 1)
	NewCat    float64 // drifting categorical columns j ≥ 1: share of current rows with category "new"
	NaNFrac   float64 // both files: share of missing cells (numeric null, categorical null)
}

// DefaultBenchConfig returns the benchmark shapes: 20 numeric and 5 categorical columns,
// drift in the first half of each (0.25 sd shift, variance ×1.5, category shift 0.3, 5% new
// category), 1% missing cells, Snappy, 1,048,576-row row groups.
func DefaultBenchConfig() BenchConfig {
	return BenchConfig{
		Rows: 1_000_000, Seed: 42, RowGroup: 1 << 20, Codec: "snappy",
		Num: 20, Cat: 5, DriftFrac: 0.5, MeanShift: 0.25, VarScale: 1.5, CatShift: 0.3, NewCat: 0.05,
		NaNFrac: 0.01,
	}
}

// Validate reports every invalid field.
func (c BenchConfig) Validate() error {
	var errs []error
	if c.Rows <= 0 {
		errs = append(errs, fmt.Errorf("rows %d: must be positive", c.Rows))
	}
	if c.CurRows < 0 {
		errs = append(errs, fmt.Errorf("cur-rows %d: must not be negative", c.CurRows))
	}
	if c.RowGroup <= 0 {
		errs = append(errs, fmt.Errorf("row-group %d: must be positive", c.RowGroup))
	}
	if _, err := codecFor(c.Codec); err != nil {
		errs = append(errs, err)
	}
	if c.Num < 0 || c.Cat < 0 || c.Num+c.Cat == 0 {
		errs = append(errs, fmt.Errorf("columns %d numeric, %d categorical: need at least one", c.Num, c.Cat))
	}
	if !(c.DriftFrac >= 0 && c.DriftFrac <= 1) {
		errs = append(errs, fmt.Errorf("drift fraction %v: must be in [0, 1]", c.DriftFrac))
	}
	if !(c.NaNFrac >= 0 && c.NaNFrac < 1) {
		errs = append(errs, fmt.Errorf("missing fraction %v: must be in [0, 1)", c.NaNFrac))
	}
	if !(c.NewCat >= 0 && c.NewCat < 1) {
		errs = append(errs, fmt.Errorf("new category share %v: must be in [0, 1)", c.NewCat))
	}
	if !(c.VarScale > 0) || math.IsInf(c.VarScale, 0) || math.IsNaN(c.MeanShift) || math.IsInf(c.MeanShift, 0) ||
		math.IsNaN(c.CatShift) || math.IsInf(c.CatShift, 0) {
		errs = append(errs, errors.New("drift parameters must be finite and the variance scale positive"))
	}
	return errors.Join(errs...)
}

func codecFor(name string) (compress.Codec, error) {
	switch name {
	case "snappy":
		return &parquet.Snappy, nil
	case "zstd":
		return &parquet.Zstd, nil
	}
	return nil, fmt.Errorf("compression %q: want snappy or zstd", name)
}

const benchFactors = 3

// benchModel is what the reference and current generators share: the latent factor
// loadings, the category probabilities and the drift of each column.
type benchModel struct {
	cfg        BenchConfig
	lowCard    int            // index of the 0..3 column, or -1
	loadings   [][]float64    // [Num][benchFactors]
	scale      []float64      // sqrt(1 + |L_i|²): makes z_i standard normal
	refMean    []float64      // mean of column i's base shape (analytic)
	refSD      []float64      // standard deviation of column i's base shape (analytic)
	driftNum   int            // numeric columns 0..driftNum-1 drift
	driftCat   int            // categorical columns 0..driftCat-1 drift
	catCum     [2][][]float64 // [reference, current][j] cumulative category probabilities
	catLabels  [][][]byte     // [j] labels c0..c{m-1} (+ "new" when NewCat > 0 and j ≥ 1)
	catNewCode []int32        // [j] code of "new", or -1
}

func newBenchModel(cfg BenchConfig) *benchModel {
	r := newRand(cfg.Seed, 0)
	m := &benchModel{cfg: cfg, lowCard: -1}
	if cfg.Num >= 6 {
		m.lowCard = cfg.Num - 1
	}
	m.driftNum = int(math.Ceil(cfg.DriftFrac * float64(cfg.Num)))
	m.driftCat = int(math.Ceil(cfg.DriftFrac * float64(cfg.Cat)))
	for i := range cfg.Num {
		l := make([]float64, benchFactors)
		ss := 1.0
		for f := range l {
			l[f] = 0.8 * r.NormFloat64()
			ss += l[f] * l[f]
		}
		m.loadings = append(m.loadings, l)
		m.scale = append(m.scale, math.Sqrt(ss))
		mu, sd := shapeMoments(i)
		m.refMean = append(m.refMean, mu)
		m.refSD = append(m.refSD, sd)
	}
	for j := range cfg.Cat {
		p := catProbs(j)
		g := make([]float64, len(p))
		for k := range g {
			g[k] = r.NormFloat64()
		}
		cur := make([]float64, len(p))
		for k := range p {
			cur[k] = p[k]
			if j < m.driftCat {
				cur[k] *= math.Exp(cfg.CatShift * g[k])
			}
		}
		m.catCum[0] = append(m.catCum[0], cumulative(p))
		m.catCum[1] = append(m.catCum[1], cumulative(cur))
		var labels [][]byte
		for k := range p {
			labels = append(labels, fmt.Appendf(nil, "c%d", k))
		}
		code := int32(-1)
		if j >= 1 && cfg.NewCat > 0 {
			code = int32(len(labels))
			labels = append(labels, []byte("new"))
		}
		m.catLabels = append(m.catLabels, labels)
		m.catNewCode = append(m.catNewCode, code)
	}
	return m
}

// catProbs returns the Zipf-like probabilities of cat_j: 2 categories for j = 0, else 3 + 2j,
// p_k ∝ 1 / (k+1)^0.8.
func catProbs(j int) []float64 {
	m := 2
	if j > 0 {
		m = 3 + 2*j
	}
	p := make([]float64, m)
	for k := range p {
		p[k] = 1 / math.Pow(float64(k+1), 0.8)
	}
	return p
}

// shapeMoments returns the mean and standard deviation of column i's base shape for a
// standard normal z (gen_data.py estimates them from a 200k sample; these are exact):
// normal (0, 1); lognormal(0, 0.5) (e^{1/8}, sqrt((e^{1/4}−1)·e^{1/4})); uniform(0, 10)
// (5, 10/√12); exponential(scale 2) (2, 2); z rounded to 0.1 (0, √(1 + 0.01/12)).
func shapeMoments(i int) (mean, sd float64) {
	switch i % 5 {
	case 0:
		return 0, 1
	case 1:
		return math.Exp(0.125), math.Sqrt((math.Exp(0.25) - 1) * math.Exp(0.25))
	case 2:
		return 5, 10 / math.Sqrt(12)
	case 3:
		return 2, 2
	}
	return 0, math.Sqrt(1 + 0.01/12)
}

// shape maps a standard normal z to column i's base shape (a monotone transform).
func (m *benchModel) shape(i int, z float64) float64 {
	if i == m.lowCard {
		// 4 levels at the normal quartiles
		switch {
		case z < -0.8416:
			return 0
		case z < 0:
			return 1
		case z < 0.8416:
			return 2
		}
		return 3
	}
	switch i % 5 {
	case 0:
		return z
	case 1:
		return math.Exp(0.5 * z)
	case 2:
		return 5 * math.Erfc(-z/math.Sqrt2) // 10·Φ(z)
	case 3:
		u := 0.5 * math.Erfc(-z/math.Sqrt2)
		return -2 * math.Log1p(-min(u, 1-1e-16))
	}
	return math.RoundToEven(z*10) / 10
}

// benchChunk is one block of rows in columnar form.
type benchChunk struct {
	n     int
	num   [][]float64
	codes [][]int32
	f     []float64 // scratch: latent factors of one row
}

func (m *benchModel) newChunk(rows int) *benchChunk {
	c := &benchChunk{f: make([]float64, benchFactors)}
	for range m.cfg.Num {
		c.num = append(c.num, make([]float64, rows))
	}
	for range m.cfg.Cat {
		c.codes = append(c.codes, make([]int32, rows))
	}
	return c
}

// fill draws rows rows of the reference (cur = false) or current dataset into c.
func (m *benchModel) fill(c *benchChunk, r *rand.Rand, rows int, cur bool) {
	c.n = rows
	cfg := m.cfg
	for row := range rows {
		for f := range c.f {
			c.f[f] = r.NormFloat64()
		}
		for i, l := range m.loadings {
			z := (l[0]*c.f[0] + l[1]*c.f[1] + l[2]*c.f[2] + r.NormFloat64()) / m.scale[i]
			c.num[i][row] = m.shape(i, z)
		}
	}
	side := 0
	if cur {
		side = 1
	}
	for i := range cfg.Num {
		x := c.num[i][:rows]
		if cur && i < m.driftNum {
			if i == m.lowCard {
				if cfg.MeanShift != 0 {
					p := min(math.Abs(cfg.MeanShift), 1) * 0.5
					for k := range x {
						if r.Float64() < p {
							x[k] = min(x[k]+1, 3)
						}
					}
				}
			} else {
				mu, shift := m.refMean[i], cfg.MeanShift*m.refSD[i]
				for k := range x {
					x[k] = mu + (x[k]-mu)*cfg.VarScale + shift
				}
			}
		}
		forMissing(r, rows, cfg.NaNFrac, func(k int) { x[k] = math.NaN() })
	}
	for j := range cfg.Cat {
		codes := c.codes[j][:rows]
		cum := m.catCum[side][j]
		for k := range codes {
			codes[k] = int32(pick(r, cum))
		}
		if cur && j < m.driftCat && m.catNewCode[j] >= 0 {
			forMissing(r, rows, cfg.NewCat, func(k int) { codes[k] = m.catNewCode[j] })
		}
		forMissing(r, rows, cfg.NaNFrac, func(k int) { codes[k] = -1 })
	}
}

// forMissing calls f for each index in [0, n) chosen independently with probability p,
// by drawing geometric gaps between the chosen indices (one draw per chosen index
// instead of one per cell).
func forMissing(r *rand.Rand, n int, p float64, f func(int)) {
	if p <= 0 {
		return
	}
	l := math.Log1p(-p)
	for k := -1; ; {
		gap := math.Floor(math.Log(1-r.Float64()) / l) // failures before the next success
		if gap >= float64(n-k-1) {
			return
		}
		k += int(gap) + 1
		f(k)
	}
}

func (m *benchModel) specs() []colSpec {
	var cols []colSpec
	for i := range m.cfg.Num {
		cols = append(cols, colSpec{fmt.Sprintf("num_%d", i), kindDouble, true})
	}
	for j := range m.cfg.Cat {
		cols = append(cols, colSpec{fmt.Sprintf("cat_%d", j), kindString, true})
	}
	return cols
}

func (m *benchModel) batch(c *benchChunk) []colData {
	var b []colData
	for i := range c.num {
		b = append(b, colData{f64: c.num[i][:c.n]})
	}
	for j := range c.codes {
		b = append(b, colData{codes: c.codes[j][:c.n], labels: m.catLabels[j]})
	}
	return b
}

// benchChunkRows is the number of rows generated at a time; chunk k of a file draws from
// its own random stream, so the output does not depend on scheduling.
const benchChunkRows = 1 << 16

// writeFile streams rows rows of one dataset into w: a goroutine generates chunks while
// the caller's goroutine encodes the previous one.
func (m *benchModel) writeFile(ctx context.Context, w io.Writer, name string, rows int, cur bool) error {
	codec, err := codecFor(m.cfg.Codec)
	if err != nil {
		return err
	}
	tw, err := newTableWriter(w, name, m.specs(), m.cfg.RowGroup, codec)
	if err != nil {
		return err
	}
	const buffers = 3
	free := make(chan *benchChunk, buffers)
	for range buffers {
		free <- m.newChunk(min(benchChunkRows, rows))
	}
	ready := make(chan *benchChunk, buffers)
	done := make(chan struct{})
	defer close(done)
	file := uint64(1)
	if cur {
		file = 2
	}
	go func() {
		defer close(ready)
		for k, off := uint64(0), 0; off < rows; k, off = k+1, off+benchChunkRows {
			var c *benchChunk
			select {
			case c = <-free:
			case <-done:
				return
			}
			m.fill(c, newRand(m.cfg.Seed, file<<40|k), min(benchChunkRows, rows-off), cur)
			ready <- c
		}
	}()
	for c := range ready {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := tw.write(m.batch(c), c.n); err != nil {
			return err
		}
		free <- c
	}
	return tw.close()
}

// BenchSummary reports what Bench wrote.
type BenchSummary struct {
	Reference, Current string // paths
	RefRows, CurRows   int
}

// Bench writes dir/reference.parquet and dir/current.parquet with cfg's shapes (the
// columns of gen_data.py: numeric DOUBLE, categorical dictionary-encoded strings, nulls
// for missing cells). Rows are generated and written in chunks, so memory stays bounded by
// one row group's encoded pages whatever the number of rows. The same config gives
// byte-identical files.
// Cancelling ctx stops it between chunks and leaves no partial file.
func Bench(ctx context.Context, dir string, cfg BenchConfig) (BenchSummary, error) {
	if cfg.CurRows == 0 {
		cfg.CurRows = cfg.Rows
	}
	if err := cfg.Validate(); err != nil {
		return BenchSummary{}, fmt.Errorf("bench config: %w", err)
	}
	m := newBenchModel(cfg)
	s := BenchSummary{
		Reference: filepath.Join(dir, "reference.parquet"),
		Current:   filepath.Join(dir, "current.parquet"),
		RefRows:   cfg.Rows,
		CurRows:   cfg.CurRows,
	}
	for _, f := range []struct {
		path string
		rows int
		cur  bool
	}{{s.Reference, cfg.Rows, false}, {s.Current, cfg.CurRows, true}} {
		err := atomicfile.Write(f.path, 0o644, func(w io.Writer) error {
			return m.writeFile(ctx, w, "bench", f.rows, f.cur)
		})
		if err != nil {
			return s, fmt.Errorf("bench: %w", err)
		}
	}
	return s, nil
}
