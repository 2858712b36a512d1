package pipeline

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// profileBenchTable is the benchmark data's shape (internal/gen.DefaultBenchConfig): 20
// numeric columns and 5 categorical ones, 1% missing cells, in 64K-row chunks.
func profileBenchTable(rows int) *Table {
	r := rand.New(rand.NewPCG(42, 1))
	t := &Table{Name: "bench", ChunkRows: 64 << 10}
	for j := range 20 {
		x := make([]float64, rows)
		for i := range x {
			x[i] = r.NormFloat64()*float64(j+1) + float64(j)
			if r.IntN(100) == 0 {
				x[i] = math.NaN()
			}
		}
		t.Columns = append(t.Columns, Column{Name: fmt.Sprintf("num_%d", j), Kind: KindNumeric, Float64: x})
	}
	for j := range 5 {
		v := make([]string, rows)
		miss := make([]bool, rows)
		for i := range v {
			v[i] = fmt.Sprintf("c%d", int(math.Abs(r.NormFloat64())*4))
			miss[i] = r.IntN(100) == 0
		}
		t.Columns = append(t.Columns, StringColumn(fmt.Sprintf("cat_%d", j), v, miss))
	}
	return t
}

// BenchmarkBuildProfile profiles 1M rows × 25 columns held in memory (no decoding),
// one pass on a reference's edges; values/s counts the 25M cells per iteration.
func BenchmarkBuildProfile(b *testing.B) {
	tab := profileBenchTable(1 << 20)
	src, _ := tab.Open(b.Context(), Window{})
	ref, err := BuildProfile(b.Context(), src, ProfileOptions{Mode: ProfileSketch})
	if err != nil {
		b.Fatal(err)
	}
	for _, mode := range []ProfileMode{ProfileSketch, ProfileExact} {
		b.Run(mode.String(), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := BuildProfile(b.Context(), src, ProfileOptions{Mode: mode, Reference: ref}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)*25*(1<<20)/b.Elapsed().Seconds(), "values/s")
		})
	}
}
