package stats_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/driftwatch/driftwatch/stats"
)

// Benchmarks at 1e3, 1e5 and 1e7 values per sample (1e7 skipped with -short).
// Run: go test -run '^$' -bench . -benchmem ./stats/

var benchSizes = []int{1e3, 1e5, 1e7}

func sizes(b *testing.B) []int {
	if testing.Short() {
		return benchSizes[:2]
	}
	return benchSizes
}

// normals returns n draws of N(mu, 1) from a fixed seed.
func normals(n int, mu float64, seed uint64) []float64 {
	r := rand.New(rand.NewPCG(seed, 7))
	x := make([]float64, n)
	for i := range x {
		x[i] = r.NormFloat64() + mu
	}
	return x
}

// sortedPair returns sorted N(0,1) and N(0.05,1) samples of n values each.
func sortedPair(n int) ([]float64, []float64) {
	a, c := normals(n, 0, 1), normals(n, 0.05, 2)
	stats.Sort(a)
	stats.Sort(c)
	return a, c
}

func BenchmarkSort(b *testing.B) {
	for _, n := range sizes(b) {
		src := normals(n, 0, 1)
		x := make([]float64, n)
		b.Run(fmt.Sprintf("radix/n=%d", n), func(b *testing.B) {
			var s stats.Sorter
			b.ReportAllocs()
			for b.Loop() {
				copy(x, src)
				s.Sort(x)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/elem")
		})
		b.Run(fmt.Sprintf("slices/n=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				copy(x, src)
				slices.Sort(x)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/elem")
		})
	}
}

// benchPair runs fn on sorted samples of each size.
func benchPair(b *testing.B, fn func(ref, cur []float64)) {
	for _, n := range sizes(b) {
		ref, cur := sortedPair(n)
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				fn(ref, cur)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(2*n), "ns/elem")
		})
	}
}

var sink float64

func BenchmarkKS(b *testing.B) {
	benchPair(b, func(r, c []float64) { d, p := stats.KS(r, c, stats.KSAuto); sink += d + p })
}

// BenchmarkKSExact10000 measures the exact p-value at the 'auto' limit:
// n1 = n2 = 10000 (the alternating sum) and 10000 x 9999 (the inside method,
// O(D n1 n2)).
func BenchmarkKSExact10000(b *testing.B) {
	for _, m := range []int{10000, 9999} {
		ref, cur := normals(10000, 0, 1), normals(m, 0.05, 2)
		stats.Sort(ref)
		stats.Sort(cur)
		b.Run(fmt.Sprintf("10000x%d", m), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				d, p := stats.KS(ref, cur, stats.KSExact)
				sink += d + p
			}
		})
	}
}

// BenchmarkKSAsymp measures the asymptotic p-value for a small p (Smirnov's
// sum, O(n) terms at the effective size n1*n2/(n1+n2)).
func BenchmarkKSAsymp(b *testing.B) {
	for _, n := range []int{20000, 1000000} {
		ref, cur := normals(n, 0, 1), normals(n, 0.05, 2)
		stats.Sort(ref)
		stats.Sort(cur)
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				d, p := stats.KS(ref, cur, stats.KSAsymp)
				sink += d + p
			}
		})
	}
}

func BenchmarkWasserstein(b *testing.B) {
	benchPair(b, func(r, c []float64) { sink += stats.Wasserstein(r, c) })
}

func BenchmarkEnergy(b *testing.B) {
	benchPair(b, func(r, c []float64) { sink += stats.Energy(r, c) })
}

func BenchmarkAndersonDarling(b *testing.B) {
	benchPair(b, func(r, c []float64) { s, p := stats.AndersonDarling(r, c); sink += s + p })
}

func BenchmarkCramerVonMises(b *testing.B) {
	benchPair(b, func(r, c []float64) { s, p := stats.CramerVonMises(r, c); sink += s + p })
}

func BenchmarkNumericBins(b *testing.B) {
	for _, bn := range []struct {
		name string
		b    stats.Binning
	}{{"deciles", stats.BinningDefault}, {"sturges", stats.BinningSturges}} {
		b.Run(bn.name, func(b *testing.B) {
			benchPair(b, func(r, c []float64) { sink += stats.NumericBins(r, c, bn.b).Ref[0] })
		})
	}
}

func BenchmarkPSI(b *testing.B) {
	ref, cur := sortedPair(100000)
	bins := stats.NumericBins(ref, cur, stats.BinningDefault)
	b.ReportAllocs()
	for b.Loop() {
		sink += stats.PSI(bins.Ref, bins.Cur)
	}
}
