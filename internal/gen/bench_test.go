package gen

import (
	"bytes"
	"context"
	"io"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/parquet-go/parquet-go/format"
)

func smallBenchConfig() BenchConfig {
	c := DefaultBenchConfig()
	c.Rows, c.CurRows, c.RowGroup = 70000, 20000, 30000
	return c
}

type colMoments struct {
	n, null        int
	mean, variance float64
}

func moments(t *testing.T, tb *table, name string) colMoments {
	t.Helper()
	var m colMoments
	var s, ss float64
	for _, v := range tb.col(t, name) {
		if v.IsNull() {
			m.null++
			continue
		}
		x := v.Double()
		m.n++
		s += x
		ss += x * x
	}
	m.mean = s / float64(m.n)
	m.variance = ss/float64(m.n) - m.mean*m.mean
	return m
}

func TestBench(t *testing.T) {
	dir := t.TempDir()
	cfg := smallBenchConfig()
	s, err := Bench(context.Background(), dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ref, cur := readTable(t, s.Reference), readTable(t, s.Current)
	if ref.rows != 70000 || cur.rows != 20000 {
		t.Fatalf("rows = %d, %d, want 70000, 20000", ref.rows, cur.rows)
	}
	if got := len(ref.file.RowGroups()); got != 3 {
		t.Errorf("reference row groups = %d, want 3 (30000 rows each)", got)
	}
	var want []string
	for _, n := range []string{"num_0", "num_1", "num_2", "num_3", "num_4", "num_5", "num_6", "num_7", "num_8",
		"num_9", "num_10", "num_11", "num_12", "num_13", "num_14", "num_15", "num_16", "num_17", "num_18", "num_19",
		"cat_0", "cat_1", "cat_2", "cat_3", "cat_4"} {
		want = append(want, n)
	}
	if !sameNames(ref.names, want) || !sameNames(cur.names, want) {
		t.Fatalf("columns %v / %v, want %v", ref.names, cur.names, want)
	}
	for i := range want {
		typ, encs := ref.physical(i)
		if i < 20 && typ != format.Double || i >= 20 && (typ != format.ByteArray || !hasEncoding(encs, format.RLEDictionary)) {
			t.Errorf("%s: %v %v, want DOUBLE for numeric, dictionary-encoded BYTE_ARRAY for categorical", want[i], typ, encs)
		}
	}
	if c := ref.file.Metadata().RowGroups[0].Columns[0].MetaData.Codec; c != format.Snappy {
		t.Errorf("codec = %v, want SNAPPY", c)
	}

	// 1% missing cells: 70000·25 cells, sd of the share 0.00004
	nulls, cells := 0, 0
	for _, name := range want {
		for _, v := range ref.col(t, name) {
			if v.IsNull() {
				nulls++
			}
			cells++
		}
	}
	if share := float64(nulls) / float64(cells); math.Abs(share-0.01) > 0.0005 {
		t.Errorf("reference missing share %.4f, want 0.01", share)
	}

	// base shapes (reference): mean of normal 0, lognormal(0, 0.5) e^{1/8}, uniform(0, 10) 5,
	// exponential(scale 2) 2, rounded normal 0; standard errors ≤ 0.008 at 70000 rows
	for i, wantMean := range []float64{0, math.Exp(0.125), 5, 2, 0} {
		m := moments(t, ref, want[i])
		_, sd := shapeMoments(i)
		if math.Abs(m.mean-wantMean) > 5*sd/math.Sqrt(float64(m.n)) || math.Abs(math.Sqrt(m.variance)/sd-1) > 0.02 {
			t.Errorf("reference %s: mean %.4f sd %.4f, want %.4f, %.4f", want[i], m.mean, math.Sqrt(m.variance), wantMean, sd)
		}
	}
	// num_19 is the low-cardinality column: 0..3 at the normal quartiles
	counts := map[float64]int{}
	for _, v := range ref.col(t, "num_19") {
		if !v.IsNull() {
			counts[v.Double()]++
		}
	}
	if len(counts) != 4 || counts[0] == 0 || counts[3] == 0 || math.Abs(float64(counts[1])/69300-0.3) > 0.02 {
		t.Errorf("num_19 values %v, want 0..3 each ≈ 25%%", counts)
	}

	// drift: num_0..num_9 shifted by 0.25 sd and spread ×1.5; num_10..num_18 unchanged
	for _, name := range []string{"num_0", "num_5", "num_15"} {
		r, c := moments(t, ref, name), moments(t, cur, name)
		wantShift, wantRatio := 0.25, 1.5
		if name == "num_15" {
			wantShift, wantRatio = 0, 1
		}
		if d := c.mean - r.mean; math.Abs(d-wantShift) > 0.04 {
			t.Errorf("%s: mean shift %.3f, want %.2f", name, d, wantShift)
		}
		if q := math.Sqrt(c.variance / r.variance); math.Abs(q-wantRatio) > 0.04 {
			t.Errorf("%s: sd ratio %.3f, want %.2f", name, q, wantRatio)
		}
	}
	// the latent factor model: corr(num_0, num_5) = L_0·L_5 / (s_0 s_5), both standard normal
	m := newBenchModel(cfg)
	wantCorr := 0.0
	for f := range benchFactors {
		wantCorr += m.loadings[0][f] * m.loadings[5][f]
	}
	wantCorr /= m.scale[0] * m.scale[5]
	if got := pearson(t, ref, "num_0", "num_5"); math.Abs(got-wantCorr) > 0.02 {
		t.Errorf("corr(num_0, num_5) = %.3f, want %.3f", got, wantCorr)
	}

	// categories: cat_0 binary; cat_j has 3+2j categories; "new" only in current cat_1, cat_2 (≈5%)
	for j, name := range want[20:] {
		rs, cs := catShares(t, ref, name), catShares(t, cur, name)
		wantK := 2
		if j > 0 {
			wantK = 3 + 2*j
		}
		if len(rs) != wantK || rs["new"] != 0 {
			t.Errorf("reference %s: %d categories %v, want %d without new", name, len(rs), rs, wantK)
		}
		newShare := 0.0
		if j == 1 || j == 2 {
			newShare = 0.05
		}
		if math.Abs(cs["new"]-newShare) > 0.006 {
			t.Errorf("current %s: new share %.3f, want %.2f", name, cs["new"], newShare)
		}
	}
	// the Zipf weights of cat_4: p_0 = 1 / Σ_k (k+1)^-0.8 over 11 categories
	p := catProbs(4)
	tot := 0.0
	for _, v := range p {
		tot += v
	}
	if got := catShares(t, ref, "cat_4")["c0"]; math.Abs(got-1/tot) > 0.01 {
		t.Errorf("cat_4 share of c0 = %.3f, want %.3f", got, 1/tot)
	}
}

func pearson(t *testing.T, tb *table, a, b string) float64 {
	t.Helper()
	x, y := tb.col(t, a), tb.col(t, b)
	var n, sx, sy, sxx, syy, sxy float64
	for i := range x {
		if x[i].IsNull() || y[i].IsNull() {
			continue
		}
		u, v := x[i].Double(), y[i].Double()
		n++
		sx += u
		sy += v
		sxx += u * u
		syy += v * v
		sxy += u * v
	}
	return (sxy/n - sx/n*sy/n) / math.Sqrt((sxx/n-sx*sx/n/n)*(syy/n-sy*sy/n/n))
}

func catShares(t *testing.T, tb *table, name string) map[string]float64 {
	t.Helper()
	s := map[string]float64{}
	n := 0.0
	for _, v := range tb.col(t, name) {
		if !v.IsNull() {
			s[v.String()]++
			n++
		}
	}
	for k := range s {
		s[k] /= n
	}
	return s
}

func TestBench_deterministic(t *testing.T) {
	cfg := DefaultBenchConfig()
	cfg.Rows, cfg.CurRows, cfg.RowGroup = 80000, 1000, 50000 // two chunks in the reference
	a, b := t.TempDir(), t.TempDir()
	for _, d := range []string{a, b} {
		if _, err := Bench(context.Background(), d, cfg); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"reference.parquet", "current.parquet"} {
		x, _ := os.ReadFile(filepath.Join(a, f))
		y, _ := os.ReadFile(filepath.Join(b, f))
		if len(x) == 0 || !bytes.Equal(x, y) {
			t.Errorf("%s differs between two runs with seed 42 (%d, %d bytes)", f, len(x), len(y))
		}
	}
}

func TestBench_invalid(t *testing.T) {
	for _, mod := range []func(*BenchConfig){
		func(c *BenchConfig) { c.Rows = 0 },
		func(c *BenchConfig) { c.RowGroup = -1 },
		func(c *BenchConfig) { c.Codec = "lz77" },
		func(c *BenchConfig) { c.NaNFrac = 1.5 },
	} {
		c := DefaultBenchConfig()
		mod(&c)
		if _, err := Bench(context.Background(), t.TempDir(), c); err == nil {
			t.Errorf("Bench(%+v) = nil error, want an error", c)
		}
	}
}

func TestForMissing(t *testing.T) {
	r := newRand(1, 1)
	const n, p = 1_000_000, 0.01
	hits, last := 0, -1
	forMissing(r, n, p, func(k int) {
		if k <= last || k >= n {
			t.Fatalf("index %d after %d, outside [0, %d)", k, last, n)
		}
		last = k
		hits++
	})
	// binomial(1e6, 0.01): sd 99.5
	if math.Abs(float64(hits)-n*p) > 500 {
		t.Errorf("forMissing chose %d of %d, want ≈ %v", hits, n, n*p)
	}
}

// BenchmarkBenchFill measures generating one chunk of 65,536 rows × 25 columns.
func BenchmarkBenchFill(b *testing.B) {
	m := newBenchModel(DefaultBenchConfig())
	c := m.newChunk(benchChunkRows)
	r := newRand(1, 1)
	b.ReportAllocs()
	b.SetBytes(benchChunkRows * 25 * 8)
	for b.Loop() {
		m.fill(c, r, benchChunkRows, true)
	}
}

// BenchmarkBenchEncode measures encoding one chunk of 65,536 rows × 25 columns to Parquet
// (Snappy), without the file system.
func BenchmarkBenchEncode(b *testing.B) {
	m := newBenchModel(DefaultBenchConfig())
	c := m.newChunk(benchChunkRows)
	m.fill(c, newRand(1, 1), benchChunkRows, true)
	codec, _ := codecFor("snappy")
	b.ReportAllocs()
	b.SetBytes(benchChunkRows * 25 * 8)
	for b.Loop() {
		tw, err := newTableWriter(io.Discard, "bench", m.specs(), 1<<20, codec)
		if err != nil {
			b.Fatal(err)
		}
		if err := tw.write(m.batch(c), c.n); err != nil {
			b.Fatal(err)
		}
		if err := tw.close(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBench measures Bench end to end: 1M reference and 1M current rows (Snappy),
// including fsync. Run with -benchtime 1x.
func BenchmarkBench(b *testing.B) {
	cfg := DefaultBenchConfig()
	cfg.Rows = 1_000_000
	dir := b.TempDir()
	for b.Loop() {
		if _, err := Bench(context.Background(), dir, cfg); err != nil {
			b.Fatal(err)
		}
	}
}
