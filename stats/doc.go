// Package stats holds driftwatch's numeric kernels: slices in, numbers out.
// It measures how far a current sample has moved from a reference sample, with
// the definitions of DESIGN.md, and reproduces SciPy 1.10 / NumPy 1.24 to
// about 1e-12 relative (tested against ../testdata/scipy at 1e-9).
//
// Conventions:
//
//   - Rank methods (KS, Wasserstein, AndersonDarling, CramerVonMises, Energy)
//     and NumericBins take samples sorted ascending (Sort, Sorter), finite
//     (Finite drops NaN and ±Inf) and non-empty. Each is one O(n1+n2) merge
//     walk after sorting; only the exact KS and CvM p-value algorithms cost
//     more (O(D n1 n2) for KS with n1 != n2, at most 20x20 for CvM), and the
//     asymptotic KS p-value sums O(n1 n2/(n1+n2)) terms when p < ~0.02, as
//     SciPy's.
//   - Distances (PSI, KL, JensenShannon, Hellinger) and count tests
//     (Chi2Contingency, Chi2GOF) take count vectors over the same bins.
//   - Correlation matrices, PCA reconstruction and model-quality metrics live
//     in corr.go and metrics.go, with their own reference values.
//   - Programmer errors (empty samples, bin vectors of different lengths, an
//     unknown method) panic; undefined results (a constant pooled sample for
//     AndersonDarling, a one-value sample for CramerVonMises, an empty count
//     vector) are NaN. There is no logging and no context.
//
// Methods and the SciPy/NumPy functions they match:
//
//	stats                    SciPy 1.10 / NumPy 1.24 / definition
//	-----------------------  ------------------------------------------------------------
//	KS                       scipy.stats.ks_2samp(ref, cur, method=auto|exact|asymp), two-sided
//	Wasserstein              scipy.stats.wasserstein_distance(ref, cur)
//	Energy                   scipy.stats.energy_distance(ref, cur)
//	AndersonDarling          scipy.stats.anderson_ksamp([ref, cur], midrank=True):
//	                           statistic, significance_level (capped to [0.001, 0.25])
//	CramerVonMises           scipy.stats.cramervonmises_2samp(ref, cur, method='auto')
//	NumericBins, Default     DESIGN.md psi bins: per value (<= 20 distinct reference values)
//	                           or np.quantile(ref, k/10) deciles + np.searchsorted(side='left')
//	NumericBins, Sturges     np.histogram_bin_edges(ref ∪ cur, 'sturges') + np.histogram
//	PerValueBins             np.union1d of the values + np.bincount
//	FillEmpty                DESIGN.md: empty share -> 1e-4, or min share / 1e6 if that is <= 1e-4
//	PSI                      np.sum((r - c) * np.log(r / c)) on filled shares
//	KL                       scipy.stats.entropy(r, c) on filled shares (natural log)
//	JensenShannon            scipy.spatial.distance.jensenshannon(r, c) (natural log)
//	Hellinger                sqrt(1 - sum sqrt(r c)), computed without cancellation
//	Chi2Contingency          scipy.stats.chi2_contingency([ref, cur], correction=False)
//	Chi2GOF                  scipy.stats.chisquare(cur, ref * sum(cur) / sum(ref))
//	ZTest                    pooled two-proportion z-test, p = 2 * scipy.stats.norm.sf(|z|)
//	ChiSquareSF, NormalSF    scipy.stats.chi2.sf, scipy.stats.norm.sf
//	MeanStd                  np.mean, np.std (ddof 0), same summation order
//	QuantileSorted           np.quantile(x, q) (method 'linear'), bit for bit
//	Sort, Sorter             np.sort (an MSD radix sort on order-preserving keys)
//
// Behind KS's p-values are SciPy's algorithms, rewritten: Hodges' lattice-path
// counts for the exact two-sample distribution (with Viehmann's recursion for
// 1-p), and for the asymptotic one kstwo.sf at the effective sample size, i.e.
// the exact one-sample Kolmogorov distribution of Simard & L'Ecuyer (Durbin
// matrix, Pomeranz, Pelz–Good, and Smirnov's one-sided sum in double-double
// arithmetic as in SciPy's cephes). Where SciPy is itself inexact this package
// is closer to the true value, and the tests say so: CramerVonMises' tail
// p-values, which SciPy computes as 1 - F from AMOS Bessel functions (off by
// up to 6e-14), and Hellinger for nearly identical inputs.
package stats
