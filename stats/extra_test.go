package stats

import (
	"encoding/json"
	"math"
	"os"
	"testing"
)

// Reference values: ../testdata/scipy/extra.json, made by gen_extra.py beside
// it (SciPy 1.10.1 / NumPy 1.24.2; the *_mp sections by mpmath at 40 digits).
const extraPath = "../testdata/scipy/extra.json"

type sampleCase struct {
	Name      string    `json:"name"`
	Ref       []float64 `json:"ref"`
	Cur       []float64 `json:"cur"`
	Method    string    `json:"method"`
	Statistic *float64  `json:"statistic"`
	PValue    *float64  `json:"pvalue"`
}

type extraFile struct {
	Scipy    string       `json:"scipy"`
	KstwoSF  [][3]float64 `json:"kstwo_sf"`
	Smirnov  [][3]float64 `json:"smirnov"`
	KS2Samp  []sampleCase `json:"ks_2samp"`
	CvM2Samp []sampleCase `json:"cvm_2samp"`
	Anderson []sampleCase `json:"anderson"`
	Chi2SF   [][3]float64 `json:"chi2_sf"`
	Quantile []struct {
		Sample []float64 `json:"sample"`
		Q      float64   `json:"q"`
		Value  float64   `json:"value"`
	} `json:"quantile"`
	Sturges []struct {
		Ref, Cur  []float64
		Edges     []float64 `json:"edges"`
		RefCounts []float64 `json:"ref_counts"`
	} `json:"sturges"`
	BesselKMP [][2]float64 `json:"besselk_mp"`
	CvMTailMP [][2]float64 `json:"cvm_tail_mp"`
}

func loadExtra(t *testing.T) extraFile {
	t.Helper()
	b, err := os.ReadFile(extraPath)
	if err != nil {
		t.Fatalf("read reference values: %v", err)
	}
	var f extraFile
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatalf("decode %s: %v", extraPath, err)
	}
	if f.Scipy != "1.10.1" || len(f.KstwoSF) == 0 || len(f.KS2Samp) == 0 {
		t.Fatalf("%s: unexpected content (scipy %q)", extraPath, f.Scipy)
	}
	return f
}

// within reports whether got matches want to relative tolerance rel (and
// absolute 1e-300 for underflowing tails).
func within(got, want, rel float64) bool {
	if got == want {
		return true
	}
	if math.Abs(want) < 1e-300 {
		return math.Abs(got) < 1e-300
	}
	return math.Abs(got-want) <= rel*math.Abs(want)
}

func TestKstwoSF(t *testing.T) {
	// scipy 1.10: stats.kstwo.sf(x, n) over every branch of _kolmogn. Where SciPy
	// computes 1 - cdf (DMTW, Pomeranz, Pelz–Good) the tail loses digits to
	// cancellation in both implementations: 1e-9 relative or 1e-15 absolute.
	for _, r := range loadExtra(t).KstwoSF {
		n, x, want := r[0], r[1], r[2]
		got := kstwoSF(x, n)
		if !within(got, want, 1e-9) && math.Abs(got-want) > 1e-15 {
			t.Errorf("kstwoSF(%v, %v) = %v, want %v", x, n, got, want)
		}
	}
}

func TestSmirnovSF(t *testing.T) {
	// scipy 1.10: special.smirnov(n, x), including n > 10^6 (approximation),
	// x <= 1/n and x >= 1 - 1/n closed forms and the upper sum.
	for _, r := range loadExtra(t).Smirnov {
		n, x, want := int(r[0]), r[1], r[2]
		if got := smirnovSF(n, x); !within(got, want, 1e-12) && math.Abs(got-want) > 1e-15 {
			t.Errorf("smirnovSF(%d, %v) = %v, want %v", n, x, got, want)
		}
	}
}

func TestKSEdgeCases(t *testing.T) {
	// scipy 1.10: ks_2samp(ref, cur, method=...): ties, n1 == n2, one-element
	// samples, disjoint samples, the exact-to-asymptotic fallback (n1 = n2 = 5,
	// D = 1/5: the exact sum gives 1.0000000000000002) and exact at 10000.
	for _, c := range loadExtra(t).KS2Samp {
		t.Run(c.Name, func(t *testing.T) {
			m := map[string]KSMethod{"auto": KSAuto, "exact": KSExact, "asymp": KSAsymp}[c.Method]
			ref, cur := append([]float64(nil), c.Ref...), append([]float64(nil), c.Cur...)
			Sort(ref)
			Sort(cur)
			d, p := KS(ref, cur, m)
			if !within(d, *c.Statistic, 1e-12) {
				t.Errorf("KS statistic = %v, want %v", d, *c.Statistic)
			}
			if !within(p, *c.PValue, 1e-9) {
				t.Errorf("KS p = %v, want %v", p, *c.PValue)
			}
		})
	}
}

func TestCramerVonMisesEdgeCases(t *testing.T) {
	// scipy 1.10: cramervonmises_2samp(ref, cur): exact (max n <= 20) with and
	// without ties, asymptotic just above, identical samples.
	for _, c := range loadExtra(t).CvM2Samp {
		t.Run(c.Name, func(t *testing.T) {
			ref, cur := append([]float64(nil), c.Ref...), append([]float64(nil), c.Cur...)
			Sort(ref)
			Sort(cur)
			s, p := CramerVonMises(ref, cur)
			if !within(s, *c.Statistic, 1e-12) && math.Abs(s-*c.Statistic) > 1e-15 {
				t.Errorf("CramerVonMises statistic = %v, want %v", s, *c.Statistic)
			}
			if !within(p, *c.PValue, 1e-12) {
				t.Errorf("CramerVonMises p = %v, want %v", p, *c.PValue)
			}
		})
	}
}

func TestAndersonDarlingEdgeCases(t *testing.T) {
	// scipy 1.10: anderson_ksamp([ref, cur]) statistic and significance_level:
	// small samples, ties, two values only, interpolated and capped p.
	for _, c := range loadExtra(t).Anderson {
		t.Run(c.Name, func(t *testing.T) {
			ref, cur := append([]float64(nil), c.Ref...), append([]float64(nil), c.Cur...)
			Sort(ref)
			Sort(cur)
			s, p := AndersonDarling(ref, cur)
			if !within(s, *c.Statistic, 1e-12) {
				t.Errorf("AndersonDarling statistic = %v, want %v", s, *c.Statistic)
			}
			if !within(p, *c.PValue, 1e-12) {
				t.Errorf("AndersonDarling p = %v, want %v", p, *c.PValue)
			}
		})
	}
}

func TestChiSquareSF(t *testing.T) {
	// scipy 1.10: stats.chi2.sf(x, k), k up to 1000, p down to ~1e-300.
	for _, r := range loadExtra(t).Chi2SF {
		x, k, want := r[0], r[1], r[2]
		if got := ChiSquareSF(x, k); !within(got, want, 1e-11) {
			t.Errorf("ChiSquareSF(%v, %v) = %v, want %v", x, k, got, want)
		}
	}
}

func TestQuantileSorted(t *testing.T) {
	// numpy 1.24: np.quantile(sample, q) (method 'linear'), bit for bit.
	for _, c := range loadExtra(t).Quantile {
		if got := QuantileSorted(c.Sample, c.Q); got != c.Value {
			t.Errorf("QuantileSorted(n=%d, %v) = %v, want %v", len(c.Sample), c.Q, got, c.Value)
		}
	}
}

func TestSturgesEdges(t *testing.T) {
	// numpy 1.24: np.histogram_bin_edges(concat(r, c), 'sturges') and
	// np.histogram(r, edges) counts, bit for bit.
	for _, c := range loadExtra(t).Sturges {
		edges := sturgesEdges(c.Ref, c.Cur)
		if len(edges) != len(c.Edges) {
			t.Fatalf("sturgesEdges(%d, %d): %d edges, want %d", len(c.Ref), len(c.Cur), len(edges), len(c.Edges))
		}
		for i := range edges {
			if edges[i] != c.Edges[i] {
				t.Errorf("sturgesEdges(%d, %d)[%d] = %v, want %v", len(c.Ref), len(c.Cur), i, edges[i], c.Edges[i])
			}
		}
		counts := make([]float64, len(edges)-1)
		countHistogram(counts, c.Ref, edges)
		for i := range counts {
			if counts[i] != c.RefCounts[i] {
				t.Errorf("histogram counts(%d)[%d] = %v, want %v", len(c.Ref), i, counts[i], c.RefCounts[i])
			}
		}
	}
}

func TestBesselK(t *testing.T) {
	// mpmath 40 digits: besselk(0.25, x). scipy.special.kv is off by up to
	// 6e-14 here; ours is held to 2e-15.
	for _, r := range loadExtra(t).BesselKMP {
		if got := besselK(0.25, r[0]); !within(got, r[1], 2e-15) {
			t.Errorf("besselK(0.25, %v) = %v, want %v (rel %.2g)", r[0], got, r[1], math.Abs(got-r[1])/r[1])
		}
	}
}

func TestCramerVonMisesTail(t *testing.T) {
	// mpmath 40 digits: 1 - F_inf(x) with SciPy's series truncation. The
	// float64 result is 1 - F with F near 1, so it is good to a few ulps of 1
	// (SciPy's own values are off by up to ~2e-15, see vectors_test.go).
	for _, r := range loadExtra(t).CvMTailMP {
		if got := 1 - cvmCDFInf(r[0]); math.Abs(got-r[1]) > 1e-15 && !within(got, r[1], 1e-12) {
			t.Errorf("1 - cvmCDFInf(%v) = %v, want %v (abs err %.2g)", r[0], got, r[1], got-r[1])
		}
	}
}
