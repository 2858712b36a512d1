package stats

import (
	"math"
	"math/rand/v2"
	"testing"
)

// tileColumns returns k columns of n rows of mixed kinds, each missing on its own rows:
// continuous, heavy-tailed, rounded (many ties), few distinct values (huge tied runs),
// values equal as float32 but not as float64, and one column missing on the same rows
// as column 0 (a pair that is not re-ranked).
func tileColumns(n, k int, seed uint64) [][]float64 {
	rng := rand.New(rand.NewPCG(seed, 99))
	cols := make([][]float64, k)
	for j := range cols {
		cols[j] = make([]float64, n)
	}
	for r := range n {
		f := rng.NormFloat64()
		for j := range k {
			v := 0.6*f + rng.NormFloat64()
			switch j % 6 {
			case 1:
				v = math.Exp(2 * v)
			case 2:
				v = math.Round(v*4) / 4
			case 3:
				v = float64(rng.IntN(3))
				if f > 0 {
					v += 0.1
				}
			case 4:
				v = 1 + 1e-12*math.Round(v*50)
			}
			if rng.Float64() < 0.03*float64(1+j%3) {
				v = math.NaN()
			}
			cols[j][r] = v
		}
	}
	if k > 5 {
		for r := range n { // column 5 missing exactly where column 0 is
			if math.IsNaN(cols[0][r]) {
				cols[5][r] = math.Inf(-1)
			} else if math.IsNaN(cols[5][r]) {
				cols[5][r] = 0.5
			}
		}
	}
	return cols
}

// Pairs computed four at a time (tiles) equal the two-slice Spearman, which matches
// pandas (TestCorrelations_pandas), and equal the one-pair walk bit for bit.
func TestCorrelations_tiles(t *testing.T) {
	for _, tc := range []struct {
		n, k int
		seed uint64
	}{{2000, 9, 1}, {777, 12, 2}, {64, 6, 3}, {5000, 5, 4}} {
		cols := tileColumns(tc.n, tc.k, tc.seed)
		m := Correlations(cols, CorrOptions{Spearman: true, Workers: 3})
		for i := range tc.k {
			for j := range tc.k {
				if i == j {
					continue
				}
				want := Spearman(cols[i], cols[j])
				if got := m.Spearman[i*tc.k+j]; !near(got, want, 1e-12, 1e-15) {
					t.Errorf("n=%d k=%d: spearman[%d,%d] = %v, want %v", tc.n, tc.k, i, j, got, want)
				}
			}
		}

		// the same pairs one at a time
		cc := rankedCols(cols)
		var walk []pair
		for i := range tc.k {
			for j := range i {
				if !cc[i].constant && !cc[j].constant && cc[i].differs(&cc[j]) && m.Pairs[i*tc.k+j] >= 2 {
					walk = append(walk, pair{i, j})
				}
			}
		}
		tiles, single := tileWalk(tc.k, walk, m.Pairs)
		if tc.k >= 6 && len(tiles) == 0 {
			t.Fatalf("n=%d k=%d: no tiles among %d re-ranked pairs", tc.n, tc.k, len(walk))
		}
		if got := 4*len(tiles) + len(single); got != len(walk) {
			t.Errorf("tiles cover %d pairs, want %d", got, len(walk))
		}
		var ts tileScratch
		var ti, tj countTable
		for _, tl := range tiles {
			var jm [4]int64
			for q, p := range tl.pairs() {
				jm[q] = m.Pairs[p.i*tc.k+p.j]
			}
			got := spearmanTile(&cc[tl.a0], &cc[tl.a1], &cc[tl.b0], &cc[tl.b1], jm, &ts)
			for q, p := range tl.pairs() {
				want := spearmanPair(&cc[p.i], &cc[p.j], jm[q], &ti, &tj)
				if got[q] != want && !(math.IsNaN(got[q]) && math.IsNaN(want)) {
					t.Errorf("tile pair (%d,%d) = %v, one-pair walk %v", p.i, p.j, got[q], want)
				}
			}
		}
	}
}

// A tile whose columns leave a single value (or none) in a pair gives NaN, as pandas.
func TestSpearmanTile_degenerate(t *testing.T) {
	nan := math.NaN()
	cols := [][]float64{
		{1, 2, 3, 4, nan, 6},
		{5, 5, 5, 5, 1, nan}, // constant where the others are present
		{nan, 1, 2, 3, 4, 5},
		{3, 1, nan, 2, 2, 9},
	}
	m := Correlations(cols, CorrOptions{Spearman: true})
	for i := range 4 {
		for j := range 4 {
			if i == j {
				continue
			}
			want := Spearman(cols[i], cols[j])
			got := m.Spearman[i*4+j]
			if !(math.IsNaN(want) && math.IsNaN(got)) && !near(got, want, 1e-12, 1e-15) {
				t.Errorf("spearman[%d,%d] = %v, want %v", i, j, got, want)
			}
		}
	}
}

// Four re-ranked pairs in one pass (1M rows, 1% missing in each column, one goroutine);
// compare BenchmarkSpearmanPair (one pair).
func BenchmarkSpearmanTile(b *testing.B) {
	cols := benchColumns(1_000_000, 4, 0.01)
	cc := rankedCols(cols)
	t := tile{0, 1, 2, 3}
	var m [4]int64
	for q, p := range t.pairs() {
		m[q] = jointRows(cols[p.i], cols[p.j])
	}
	var ts tileScratch
	for b.Loop() {
		spearmanTile(&cc[0], &cc[1], &cc[2], &cc[3], m, &ts)
	}
}

// jointRows counts the rows where both x and y are finite.
func jointRows(x, y []float64) int64 {
	var n int64
	for i := range x {
		if isFinite(x[i]) && isFinite(y[i]) {
			n++
		}
	}
	return n
}

// Over several gram blocks with cells missing on different rows: Pearson and the pair
// counts agree with the two-slice Pearson and a direct count, and every output is the
// same bit for bit for any number of workers.
func TestCorrelations_blocksAndWorkers(t *testing.T) {
	t.Run("per block", testBlocksAndWorkers)
	defer func(v int64) { missSumsBudget = v }(missSumsBudget)
	missSumsBudget = 0
	t.Run("per column", testBlocksAndWorkers)
}

func testBlocksAndWorkers(t *testing.T) {
	cols := tileColumns(3*gramBlock+1234, 8, 7)
	k := len(cols)
	one := Correlations(cols, CorrOptions{Spearman: true, Workers: 1})
	for i := range k {
		for j := range k {
			if got, want := one.Pairs[i*k+j], jointRows(cols[i], cols[j]); got != want {
				t.Errorf("pairs[%d,%d] = %d, want %d", i, j, got, want)
			}
			if i == j {
				continue
			}
			// kind 4 (1e-12 steps on 1) leaves any Pearson algorithm ~4 digits
			tol := 1e-12
			if i%6 == 4 || j%6 == 4 {
				tol = 1e-4
			}
			if got, want := one.Pearson[i*k+j], Pearson(cols[i], cols[j]); !near(got, want, tol, tol) {
				t.Errorf("pearson[%d,%d] = %v, want %v", i, j, got, want)
			}
		}
	}
	for _, w := range []int{2, 3, 8} {
		m := Correlations(cols, CorrOptions{Spearman: true, Workers: w})
		for t2 := range one.Pearson {
			same := func(a, b float64) bool { return math.Float64bits(a) == math.Float64bits(b) }
			if !same(m.Pearson[t2], one.Pearson[t2]) || !same(m.Spearman[t2], one.Spearman[t2]) || m.Pairs[t2] != one.Pairs[t2] {
				t.Errorf("workers=%d: entry %d = %v/%v/%d, with one worker %v/%v/%d", w, t2,
					m.Pearson[t2], m.Spearman[t2], m.Pairs[t2], one.Pearson[t2], one.Spearman[t2], one.Pairs[t2])
			}
		}
	}
}

// Many small random tables (2–9 columns, 0–300 rows, missing patterns from none to most
// cells, shared missing rows, ties, constants, infinities): every entry equals the
// two-slice functions and the pair counts a direct count, for 1 and 3 workers.
func TestCorrelations_randomShapes(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	for trial := range 300 {
		k, n := 2+rng.IntN(8), rng.IntN(301)
		miss := []float64{0, 0.02, 0.2, 0.7}[rng.IntN(4)]
		cols := make([][]float64, k)
		for j := range cols {
			cols[j] = make([]float64, n)
			kind := rng.IntN(5)
			for r := range n {
				var v float64
				switch kind {
				case 0:
					v = rng.NormFloat64()
				case 1:
					v = float64(rng.IntN(4))
				case 2:
					v = 7 // constant
				case 3:
					v = math.Round(rng.NormFloat64()*3) / 3
				default:
					v = math.Exp(3 * rng.NormFloat64())
				}
				if rng.Float64() < miss {
					v = []float64{math.NaN(), math.Inf(1), math.Inf(-1)}[rng.IntN(3)]
				}
				cols[j][r] = v
			}
		}
		if k > 2 && rng.IntN(2) == 0 { // a column missing on the same rows as column 0
			for r := range n {
				if !isFinite(cols[0][r]) {
					cols[1][r] = math.NaN()
				} else if !isFinite(cols[1][r]) {
					cols[1][r] = float64(r)
				}
			}
		}
		for _, w := range []int{1, 3} {
			m := Correlations(cols, CorrOptions{Spearman: true, Workers: w})
			for i := range k {
				for j := range k {
					if got, want := m.Pairs[i*k+j], jointRows(cols[i], cols[j]); got != want {
						t.Fatalf("trial %d: pairs[%d,%d] = %d, want %d", trial, i, j, got, want)
					}
					if i == j {
						continue
					}
					if got, want := m.Spearman[i*k+j], Spearman(cols[i], cols[j]); !near(got, want, 1e-12, 1e-12) {
						t.Fatalf("trial %d (k=%d n=%d missing=%g): spearman[%d,%d] = %v, want %v", trial, k, n, miss, i, j, got, want)
					}
					if got, want := m.Pearson[i*k+j], Pearson(cols[i], cols[j]); !near(got, want, 1e-9, 1e-9) {
						t.Fatalf("trial %d: pearson[%d,%d] = %v, want %v", trial, i, j, got, want)
					}
				}
			}
		}
	}
}

// rankedCols prepares and ranks columns with positions and their rows where some
// column is missing, as Correlations does for columns whose pairs are re-ranked.
func rankedCols(cols [][]float64) []corrCol {
	cc := make([]corrCol, len(cols))
	var sc rankScratch
	for i := range cc {
		cc[i].prepare(cols[i])
		cc[i].rank(cols[i], true, &sc)
	}
	if mr := newMissRows(cc, len(cols[0])); mr != nil {
		walkRows(cc, mr, 1)
	}
	return cc
}
