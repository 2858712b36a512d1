package pipeline

import (
	"math"
	"testing"

	"github.com/driftwatch/driftwatch/stats"
)

func TestMultivariate_pca(t *testing.T) {
	c := newChurn(21, 3000, 2000)
	rep := runChurn(t, c, churnOptions(), false)
	mv := rep.Multivariate
	if mv == nil || mv.Method != "pca_reconstruction" || len(mv.Columns) != 3 {
		t.Fatalf("multivariate = %+v", mv)
	}
	// standardised x1, x2 (rho 0.8), x3: eigenvalues about 1.8, 1, 0.2, so two components
	// explain more than 65%
	if mv.Components != 2 || float64(mv.ExplainedVariance) < 0.65 || len(mv.ReferenceChunks) != 10 {
		t.Errorf("components %d explained %v chunks %d", mv.Components, mv.ExplainedVariance, len(mv.ReferenceChunks))
	}
	// the same numbers as the kernel (checked against sklearn in package stats)
	cols := [][]float64{tableCol(c.ref, "x1"), tableCol(c.ref, "x2"), tableCol(c.ref, "x3")}
	p := stats.FitPCA(cols, 0.65, 1)
	errs := p.Errors(nil, cols, 1)
	first, _ := stats.MeanStd(errs[:300])
	if math.Abs(float64(mv.ReferenceChunks[0])-first) > 1e-12 {
		t.Errorf("chunk 0 = %v, want %v", mv.ReferenceChunks[0], first)
	}
	mean, std := stats.MeanStd([]float64{float64(mv.ReferenceChunks[0]), float64(mv.ReferenceChunks[1]), float64(mv.ReferenceChunks[2]),
		float64(mv.ReferenceChunks[3]), float64(mv.ReferenceChunks[4]), float64(mv.ReferenceChunks[5]), float64(mv.ReferenceChunks[6]),
		float64(mv.ReferenceChunks[7]), float64(mv.ReferenceChunks[8]), float64(mv.ReferenceChunks[9])})
	if float64(mv.ReferenceMean) != mean || float64(mv.ReferenceStd) != std || float64(mv.Upper) != mean+3*std || float64(mv.Lower) != mean-3*std {
		t.Errorf("thresholds: mean %v std %v lower %v upper %v", mv.ReferenceMean, mv.ReferenceStd, mv.Lower, mv.Upper)
	}
	// the current x1-x2 correlation flipped to -0.6: the residual direction carries variance
	if !mv.Drifted || float64(mv.Current) <= float64(mv.Upper) {
		t.Errorf("drifted %v current %v upper %v", mv.Drifted, mv.Current, mv.Upper)
	}

	// a current window from the reference's distribution does not drift
	same := newChurn(21, 3000, 2000)
	same.cur = &Table{Name: "current", Columns: newChurn(22, 2000, 2000).ref.Columns[:8]}
	rep = runChurn(t, same, churnOptions(), false)
	if mv := rep.Multivariate; mv.Drifted {
		t.Errorf("same distribution: drifted, current %v in (%v, %v)?", mv.Current, mv.Lower, mv.Upper)
	}
}

func TestMultivariate_notEnough(t *testing.T) {
	ref := &Table{Name: "r", Columns: []Column{{Name: "a", Kind: KindNumeric, Float64: []float64{1, 2, 3, 4, 5}}}}
	_, mv := multivariateFit(&side{rows: 5, num: [][]float64{ref.Columns[0].Float64}}, []string{"a"}, &Options{})
	if mv.Reason == "" || mv.Drifted || !math.IsNaN(float64(mv.Current)) {
		t.Errorf("one column: %+v", mv)
	}
}
