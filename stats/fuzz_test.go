package stats_test

import (
	"encoding/binary"
	"math"
	"testing"

	"github.com/driftwatch/driftwatch/stats"
)

// fuzzSamples splits data into two finite samples: the first byte sets the
// split, then 2-byte little-endian values scaled to [-8, 8) (coarse, so ties
// are common), each sample capped at 300 values.
func fuzzSamples(data []byte) (a, b []float64) {
	if len(data) < 1 {
		return nil, nil
	}
	split := int(data[0])
	vals := data[1:]
	for i := 0; i+1 < len(vals) && len(a)+len(b) < 600; i += 2 {
		v := float64(int16(binary.LittleEndian.Uint16(vals[i:]))) / 4096
		if i/2 < split && len(a) < 300 {
			a = append(a, v)
		} else if len(b) < 300 {
			b = append(b, v)
		}
	}
	return a, b
}

func FuzzKS(f *testing.F) {
	f.Add([]byte{3, 1, 0, 2, 0, 3, 0, 1, 0, 9, 0})
	f.Add([]byte{1, 0, 0, 0, 0})
	f.Add([]byte{40, 7, 1, 3, 9, 200, 4, 5, 5, 5, 5, 5, 5, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})
	f.Fuzz(func(t *testing.T, data []byte) {
		a, b := fuzzSamples(data)
		if len(a) == 0 || len(b) == 0 {
			return
		}
		stats.Sort(a)
		stats.Sort(b)
		for _, m := range []stats.KSMethod{stats.KSAuto, stats.KSExact, stats.KSAsymp} {
			d, p := stats.KS(a, b, m)
			if m == stats.KSAsymp && len(a) == 1 && len(b) == 1 && math.IsNaN(p) {
				continue // effective size round(1/2) = 0: NaN, as SciPy
			}
			if !(d >= 0 && d <= 1) || !(p >= 0 && p <= 1) {
				t.Fatalf("KS(%v, %v, %d) = %v, %v: out of [0, 1]", a, b, m, d, p)
			}
		}
		if w := stats.Wasserstein(a, b); !(w >= 0 && w <= 16) {
			t.Fatalf("Wasserstein = %v, out of [0, 16]", w)
		}
		if e := stats.Energy(a, b); !(e >= 0) || math.IsInf(e, 0) {
			t.Fatalf("Energy = %v", e)
		}
		if s, p := stats.CramerVonMises(a, b); len(a) > 1 && len(b) > 1 && (math.IsNaN(s) || !(p >= 0 && p <= 1)) {
			t.Fatalf("CramerVonMises = %v, %v", s, p)
		}
		if _, p := stats.AndersonDarling(a, b); !math.IsNaN(p) && !(p >= 0.001 && p <= 0.25) {
			t.Fatalf("AndersonDarling p = %v, out of [0.001, 0.25]", p)
		}
	})
}

func FuzzPSI(f *testing.F) {
	f.Add([]byte{5, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10})
	f.Add([]byte{2, 0, 0, 0, 1})
	f.Add([]byte{20, 0, 1, 0, 0, 7, 7, 7, 200, 1, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		a, b := fuzzSamples(data)
		if len(a) == 0 || len(b) == 0 {
			return
		}
		stats.Sort(a)
		stats.Sort(b)
		for _, bn := range []stats.Binning{stats.BinningDefault, stats.BinningSturges} {
			bins := stats.NumericBins(a, b, bn)
			if sum(bins.Ref) != float64(len(a)) || sum(bins.Cur) != float64(len(b)) {
				t.Fatalf("NumericBins(%d) lost values: %v / %v", bn, bins.Ref, bins.Cur)
			}
			r, c := bins.Ref, bins.Cur
			if v := stats.PSI(r, c); !(v >= 0) || math.IsInf(v, 0) {
				t.Fatalf("PSI(%v, %v) = %v", r, c, v)
			}
			if v := stats.KL(r, c); !(v >= -1e-12) || math.IsInf(v, 0) {
				t.Fatalf("KL(%v, %v) = %v", r, c, v)
			}
			if v := stats.JensenShannon(r, c); !(v >= 0 && v <= math.Sqrt(math.Ln2)+1e-12) {
				t.Fatalf("JensenShannon(%v, %v) = %v", r, c, v)
			}
			if v := stats.Hellinger(r, c); !(v >= 0 && v <= 1) {
				t.Fatalf("Hellinger(%v, %v) = %v", r, c, v)
			}
			if s, p, _ := stats.Chi2Contingency(r, c); !(s >= 0) || !(p >= 0 && p <= 1) {
				t.Fatalf("Chi2Contingency(%v, %v) = %v, %v", r, c, s, p)
			}
		}
	})
}
