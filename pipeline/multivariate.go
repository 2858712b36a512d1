package pipeline

import (
	"math"

	"github.com/driftwatch/driftwatch/stats"
)

// Multivariate drift: NannyML's data reconstruction with PCA. Fit on the standardised
// reference (missing values imputed with the reference mean), keep the components that
// explain more than 65% of the variance, and compare the mean reconstruction error of
// the current rows with the reference's: its mean ± 3 standard deviations over 10
// reference chunks.

// MultivariateOptions configure the multivariate check. The zero value means defaults.
type MultivariateOptions struct {
	Disabled bool
	// VarianceShare: components are kept until they explain more than this share of the
	// variance (default 0.65, NannyML's n_components).
	VarianceShare float64
	// Chunks: the reference is split into this many consecutive chunks (default 10).
	Chunks int
	// Sigmas: the thresholds are the chunk mean ± Sigmas standard deviations (default 3).
	Sigmas float64
}

// Multivariate is the report's "multivariate" section.
type Multivariate struct {
	Method  string   `json:"method"` // "pca_reconstruction"
	Columns []string `json:"columns"`
	Rows    SideRows `json:"rows"`
	// Components kept, and the share of the reference's variance they explain.
	Components        int   `json:"components"`
	ExplainedVariance Num   `json:"explained_variance"`
	ExplainedRatios   []Num `json:"explained_variance_ratio"`
	// ReferenceChunks are the mean reconstruction errors of the reference chunks;
	// ReferenceMean and ReferenceStd (ddof 0) their mean and standard deviation.
	ReferenceChunks []Num `json:"reference_chunks"`
	ReferenceMean   Num   `json:"reference_mean"`
	ReferenceStd    Num   `json:"reference_std"`
	// Lower and Upper are mean ∓ Sigmas·std; Lower is null when it would be negative
	// (NannyML drops it).
	Lower   Num `json:"lower"`
	Upper   Num `json:"upper"`
	Current Num `json:"current"` // mean reconstruction error of the current rows
	// Drifted when Current is not strictly between Lower and Upper.
	Drifted bool   `json:"drifted"`
	Reason  string `json:"reason,omitempty"` // why it could not be computed
}

// multivariateFit fits the model on the reference side's numeric features and scores
// the reference chunks. It returns the model (nil when it cannot be fitted) and the
// section with the reference half filled.
func multivariateFit(s *side, names []string, o *Options) (*stats.PCA, *Multivariate) {
	mo := o.Multivariate
	share, chunks, sigmas := mo.VarianceShare, mo.Chunks, mo.Sigmas
	if share <= 0 || share >= 1 {
		share = 0.65
	}
	if chunks <= 0 {
		chunks = 10
	}
	if sigmas <= 0 {
		sigmas = 3
	}
	mv := &Multivariate{Method: "pca_reconstruction", Columns: names, Rows: SideRows{Reference: s.rows},
		ExplainedVariance: Num(nan), ReferenceMean: Num(nan), ReferenceStd: Num(nan), Lower: Num(nan), Upper: Num(nan), Current: Num(nan)}
	cols := s.num[:len(names)]
	switch {
	case len(names) < 2:
		mv.Reason = "needs at least 2 numeric feature columns"
		return nil, mv
	case s.rows < int64(2*chunks):
		mv.Reason = "too few reference rows for the reference chunks"
		return nil, mv
	}
	p := stats.FitPCA(cols, share, parallelism(o))
	if p == nil {
		mv.Reason = "the reference has no variance to decompose"
		return nil, mv
	}
	mv.Components = p.M
	var kept float64
	for t, r := range p.Explained {
		mv.ExplainedRatios = append(mv.ExplainedRatios, Num(r))
		if t < p.M {
			kept += r
		}
	}
	mv.ExplainedVariance = Num(kept)
	errs := p.Errors(nil, cols, parallelism(o))
	n := len(errs)
	size := n / chunks
	vals := make([]float64, chunks)
	for c := range chunks {
		lo, hi := c*size, (c+1)*size
		if c == chunks-1 {
			hi = n // the remainder joins the last chunk
		}
		vals[c] = meanFinite(errs[lo:hi])
		mv.ReferenceChunks = append(mv.ReferenceChunks, Num(vals[c]))
	}
	mean, std := stats.MeanStd(vals)
	mv.ReferenceMean, mv.ReferenceStd = Num(mean), Num(std)
	lo, hi := mean-sigmas*std, mean+sigmas*std
	mv.Upper = Num(hi)
	if lo >= 0 {
		mv.Lower = Num(lo)
	}
	return p, mv
}

// multivariateScore scores the current side and sets the verdict.
func multivariateScore(p *stats.PCA, mv *Multivariate, s *side, o *Options) {
	mv.Rows.Current = s.rows
	if p == nil {
		return
	}
	if s.rows == 0 {
		mv.Reason = "no current rows"
		return
	}
	errs := p.Errors(nil, s.num[:len(mv.Columns)], parallelism(o))
	cur := meanFinite(errs)
	mv.Current = Num(cur)
	lower := float64(mv.Lower)
	if math.IsNaN(lower) {
		lower = math.Inf(-1)
	}
	mv.Drifted = !(lower < cur && cur < float64(mv.Upper))
}

func meanFinite(x []float64) float64 {
	m, _ := stats.MeanStd(stats.Finite(nil, x))
	return m
}
