package stats

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"testing"
)

// refRank is the straightforward ranking that corrCol.rank must reproduce bit for bit:
// the finite rows stably sorted by value, runs of equal values (as float64: -0 == +0)
// given their average 1-based rank, centred by (n+1)/2; missing rows rank 0 and have
// position -1; an untied row's position is its sorted position, a tied row's -2-g for
// the g-th run of equal values.
func refRank(x []float64) (ranks []float64, pos []int32, groups []tieGroup) {
	var rows []int
	for r, v := range x {
		if isFinite(v) {
			rows = append(rows, r)
		}
	}
	sort.SliceStable(rows, func(i, j int) bool { return x[rows[i]] < x[rows[j]] })
	ranks, pos = make([]float64, len(x)), make([]int32, len(x))
	for r, v := range x {
		if !isFinite(v) {
			pos[r] = -1
		}
	}
	n := len(rows)
	mid := float64(n+1) / 2
	for a := 0; a < n; {
		b := a + 1
		for b < n && x[rows[b]] == x[rows[a]] {
			b++
		}
		code := int32(a)
		if b-a > 1 {
			code = -2 - int32(len(groups))
			groups = append(groups, tieGroup{int32(a), int32(b - a)})
		}
		for _, r := range rows[a:b] {
			ranks[r] = float64(a+b+1)/2 - mid
			pos[r] = code
		}
		a = b
	}
	return ranks, pos, groups
}

// rankColumn draws a test column of n rows of the given kind, with a share of missing
// (NaN, ±Inf) cells.
func rankColumn(rng *rand.Rand, kind string, n int, missing float64) []float64 {
	x := make([]float64, n)
	bases := make([]float64, 1+rng.IntN(200))
	for i := range bases {
		bases[i] = rng.NormFloat64() * math.Pow(10, float64(rng.IntN(7)-3))
	}
	for i := range x {
		var v float64
		switch kind {
		case "continuous":
			v = rng.NormFloat64()*3 + 7
		case "ties": // rounded to 0.1
			v = math.Round(rng.NormFloat64()*20) / 10
		case "few": // a handful of distinct values
			v = float64(rng.IntN(4)) - 1.5
		case "lowbits": // values equal as float32, distinct as float64, with ties
			v = bases[rng.IntN(len(bases))] * (1 + float64(rng.IntN(6))*0x1p-45)
		case "zeros": // -0 and +0 are one value
			v = []float64{0, math.Copysign(0, -1), 1, -1, 0x1p-1074, -0x1p-1074}[rng.IntN(6)]
		case "extreme": // huge and tiny magnitudes, subnormals
			v = []float64{math.MaxFloat64, -math.MaxFloat64, 1e300, -1e300, 1e-300, -1e-300,
				0x1p-1074, 3 * 0x1p-1074, 0, 1, 1e38, 3.5e38, -3.5e38, 1e-40,
				math.Nextafter(1, 2), math.Nextafter(1, 0)}[rng.IntN(16)]
		case "tails": // exp of N(0,3): many octaves
			v = math.Exp(3 * rng.NormFloat64())
			if rng.IntN(2) == 0 {
				v = -v
			}
		case "constantish": // one value with rare others
			v = 5
			if rng.IntN(100) == 0 {
				v = 5 + rng.NormFloat64()
			}
		case "band": // a narrow band and far outliers: the centred values share their top bits
			v = 1 + rng.Float64()*1e-3
			if rng.IntN(100) == 0 {
				v = 1000
			}
		case "distinctlow": // many distinct float32 keys, each holding a few float64 values
			v = float64(rng.IntN(n/2+1)) * (1 + float64(rng.IntN(3))*0x1p-40)
		default:
			panic("unknown kind " + kind)
		}
		if rng.Float64() < missing {
			v = []float64{math.NaN(), math.Inf(1), math.Inf(-1)}[rng.IntN(3)]
		}
		x[i] = v
	}
	return x
}

// checkRank ranks x with corrCol.rank and compares every output with refRank.
func checkRank(t *testing.T, name string, x []float64, sc *rankScratch) {
	t.Helper()
	ranks, pos, groups := refRank(x)
	for mode := range 3 { // ranks; ranks and positions; positions only (posOnly)
		keepPos := mode > 0
		var c corrCol
		c.prepare(x)
		c.posOnly = mode == 2
		c.rank(x, keepPos, sc)
		big := c.n >= int64(rank32Max)
		switch {
		case c.posOnly:
			if c.rank32 != nil || c.rank64 != nil {
				t.Fatalf("%s posOnly: ranks written", name)
			}
		case big && (c.rank32 != nil || len(c.rank64) != len(x)) || !big && (c.rank64 != nil || len(c.rank32) != len(x)):
			t.Fatalf("%s keepPos=%v: n=%d: rank32 %d values, rank64 %d", name, keepPos, c.n, len(c.rank32), len(c.rank64))
		}
		for r, want := range ranks {
			if c.posOnly {
				break
			}
			var got float64
			if big {
				got = c.rank64[r]
			} else {
				got = float64(c.rank32[r])
			}
			if math.Float64bits(got) != math.Float64bits(want) {
				t.Fatalf("%s keepPos=%v: row %d (x=%v): rank %v, want %v", name, keepPos, r, x[r], got, want)
			}
		}
		if !keepPos {
			if c.pos != nil {
				t.Fatalf("%s: pos set without keepPos", name)
			}
			continue
		}
		if len(c.pos) != len(x) {
			t.Fatalf("%s: %d positions for %d rows", name, len(c.pos), len(x))
		}
		for r, want := range pos {
			if c.pos[r] != want {
				t.Fatalf("%s: row %d (x=%v): pos %d, want %d", name, r, x[r], c.pos[r], want)
			}
		}
		if len(c.groups) != len(groups) {
			t.Fatalf("%s: %d tie groups, want %d", name, len(c.groups), len(groups))
		}
		for g, want := range groups {
			if c.groups[g] != want {
				t.Fatalf("%s: group %d = %v, want %v", name, g, c.groups[g], want)
			}
		}
	}
}

var rankKinds = []string{"continuous", "ties", "few", "lowbits", "zeros", "extreme", "tails",
	"constantish", "band", "distinctlow"}

// corrCol.rank against refRank on random columns of every kind and many sizes, with and
// without missing cells, one scratch reused across all of them.
func TestCorrColRank_reference(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	var sc rankScratch
	sizes := []int{0, 1, 2, 3, 4, 5, 7, 16, 17, 33, 100, 257, 1000, 4099, 30_000}
	if !testing.Short() {
		sizes = append(sizes, 300_000) // buckets beyond the L2-sized ones
	}
	for _, n := range sizes {
		for _, kind := range rankKinds {
			for _, missing := range []float64{0, 0.05, 0.6} {
				if n > 100_000 && missing != 0.05 {
					continue
				}
				reps := 1
				if n < 100 {
					reps = 8
				}
				for rep := range reps {
					x := rankColumn(rng, kind, n, missing)
					checkRank(t, fmt.Sprintf("%s/n=%d/missing=%g/%d", kind, n, missing, rep), x, &sc)
				}
			}
		}
	}
}

// Columns of 2^24 finite values and more rank into rank64: the same values through that
// path (the threshold lowered for the test).
func TestCorrColRank_float64Path(t *testing.T) {
	defer func(m int) { rank32Max = m }(rank32Max)
	rank32Max = 64
	rng := rand.New(rand.NewPCG(13, 14))
	var sc rankScratch
	for _, n := range []int{63, 64, 65, 1000, 20_000} {
		for _, kind := range rankKinds {
			x := rankColumn(rng, kind, n, 0.02)
			checkRank(t, fmt.Sprintf("%s/n=%d", kind, n), x, &sc)
		}
	}
}

// Hand-made cases: the expected ranks written out (midranks of the finite values, centred).
func TestCorrColRank_examples(t *testing.T) {
	negZero := math.Copysign(0, -1)
	nan, inf := math.NaN(), math.Inf(1)
	for _, tc := range []struct {
		x     []float64
		ranks []float32
		pos   []int32
	}{
		// 1 < 1+2^-40 (one float32) < 3; -0 == +0 tied at sorted positions 0 and 1
		{[]float64{3, 1 + 0x1p-40, 1, 0, negZero}, []float32{2, 1, 0, -1.5, -1.5}, []int32{4, 3, 2, -2, -2}},
		// missing rows rank 0 with position -1; n=3 finite, centre 2
		{[]float64{nan, 2, inf, 2, -inf, 1}, []float32{0, 0.5, 0, 0.5, 0, -1}, []int32{-1, -2, -1, -2, -1, 0}},
	} {
		var c corrCol
		c.prepare(tc.x)
		var sc rankScratch
		c.rank(tc.x, true, &sc)
		for r := range tc.x {
			if c.rank32[r] != tc.ranks[r] || c.pos[r] != tc.pos[r] {
				t.Errorf("x=%v row %d: rank %v pos %d, want %v %d", tc.x, r, c.rank32[r], c.pos[r], tc.ranks[r], tc.pos[r])
			}
		}
	}
}

// Rows of ties that rank leaves to its pass in order of rows, next to rows whose rank
// is 0 (the middle value: untied, or tied at the centre), with and without positions.
func TestCorrColRank_middleZero(t *testing.T) {
	var sc rankScratch
	for _, mid := range []int{1, 2, 3} {
		x := make([]float64, 0, 6003)
		for range 3000 {
			x = append(x, 1, 3)
		}
		for range mid {
			x = append(x, 2) // sorted positions from 3000: centred rank 0
		}
		x = append(x, math.NaN())
		checkRank(t, fmt.Sprintf("middle=%d", mid), x, &sc)
	}
}
