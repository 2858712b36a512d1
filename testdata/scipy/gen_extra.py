#!/usr/bin/python3
"""Reference values for driftwatch's stats kernels beyond vectors.json: the special
functions behind the p-values and the edge cases of SciPy's algorithms.

Regenerate (Debian: apt-get install python3-scipy python3-mpmath):
    /usr/bin/python3 gen_extra.py > extra.json

Sections (SciPy 1.10.1 / NumPy 1.24.2 unless marked mpmath):
  kstwo_sf      [n, x, scipy.stats.kstwo.sf(x, n)] across every branch of _kolmogn
  smirnov       [n, x, scipy.special.smirnov(n, x)]
  ks_2samp      samples, method, statistic, pvalue (ties, n1 == n2, exact fallback)
  cvm_2samp     samples, statistic, pvalue of cramervonmises_2samp (exact and asymptotic)
  anderson      samples, statistic, significance_level of anderson_ksamp (midrank)
  chi2_sf       [x, k, scipy.stats.chi2.sf(x, k)]
  quantile      sample, q, np.quantile(sample, q)
  sturges       r, c, np.histogram_bin_edges(concat(r, c), 'sturges')
  besselk_mp    [x, K_{1/4}(x)] by mpmath at 40 digits (scipy.special.kv is off by
                up to ~6e-14 relative, so it is not the reference here)
  cvm_tail_mp   [x, 1 - F_inf(x)] of the limiting Cramer-von Mises CDF, the series of
                SciPy's _cdf_cvm_inf (same truncation) evaluated by mpmath at 40 digits
"""
import json
import math
import sys

import mpmath as mp
import numpy as np
from scipy import special, stats

mp.mp.dps = 40


def fnum(x):
    x = float(x)
    return x if math.isfinite(x) else None


def main():
    rng = np.random.default_rng(20261128)
    out = {"generator": "gen_extra.py", "scipy": __import__("scipy").__version__,
           "numpy": np.__version__, "mpmath": mp.__version__}

    rows = []
    for n in [1, 2, 3, 5, 10, 50, 100, 140, 141, 500, 1000, 5000, 20000, 100000, 150000]:
        for z in [0.01, 0.1, 0.3, 0.6, 0.87, 1.0, 1.3, 1.6, 2.0, 3.0, 6.0, 20.0]:
            x = z / math.sqrt(n)
            if 0 < x < 1:
                rows.append([n, x, fnum(stats.kstwo.sf(x, n))])
        for x in [0.4 / n, 0.7 / n, 1.5 / n, 0.5, 0.75, (n - 0.5) / n]:
            if 0 < x < 1:
                rows.append([n, x, fnum(stats.kstwo.sf(x, n))])
    out["kstwo_sf"] = rows

    rows = []
    for n in [1, 2, 7, 10, 100, 999, 1000, 1013, 5000, 100000, 1000000, 2000000]:
        for x in [0.3 / n, 1.0 / n, 1.7 / n, 0.5 / math.sqrt(n), 1 / math.sqrt(n),
                  2 / math.sqrt(n), 5 / math.sqrt(n), 0.3, 0.5, 0.9, 1 - 0.5 / n]:
            if 0 <= x <= 1:
                rows.append([n, x, fnum(special.smirnov(n, x))])
    out["smirnov"] = rows

    cases = []

    def ks(name, a, b, method):
        a = np.asarray(a, float)
        b = np.asarray(b, float)
        with np.errstate(all="ignore"):
            import warnings
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                r = stats.ks_2samp(a, b, method=method)
        cases.append({"name": name, "ref": a.tolist(), "cur": b.tolist(), "method": method,
                      "statistic": fnum(r.statistic), "pvalue": fnum(r.pvalue)})

    ks("equal_n_exact", rng.normal(0, 1, 40), rng.normal(0.5, 1, 40), "exact")
    ks("equal_n_ties", np.round(rng.normal(0, 1, 60)), np.round(rng.normal(0.3, 1, 60)), "auto")
    ks("unequal_ties", np.round(rng.normal(0, 1, 70), 1), np.round(rng.normal(0, 1.3, 45), 1), "auto")
    ks("one_each", [1.0], [2.0], "auto")
    ks("one_vs_many", [0.5], rng.normal(0, 1, 30), "auto")
    ks("disjoint", rng.uniform(0, 1, 25), rng.uniform(2, 3, 35), "auto")
    ks("identical", [1.0, 2.0, 3.0], [1.0, 2.0, 3.0], "auto")
    ks("exact_fallback_n5", [1, 2, 3, 4, 5], [1.5, 2.5, 3.5, 4.5, 5.5], "auto")
    ks("asymp_small", rng.normal(0, 1, 30), rng.normal(1, 1, 20), "asymp")
    ks("asymp_large_effect", rng.normal(0, 1, 300), rng.normal(3, 1, 200), "asymp")
    ks("exact_10000_9999", np.round(rng.normal(0, 1, 10000), 4), np.round(rng.normal(0.02, 1, 9999), 4), "exact")
    ks("exact_10000_equal", np.round(rng.normal(0, 1, 10000), 4), np.round(rng.normal(0.03, 1, 10000), 4), "auto")
    out["ks_2samp"] = cases

    cases = []

    def cvm(name, a, b):
        a = np.asarray(a, float)
        b = np.asarray(b, float)
        r = stats.cramervonmises_2samp(a, b)
        cases.append({"name": name, "ref": a.tolist(), "cur": b.tolist(),
                      "statistic": fnum(r.statistic), "pvalue": fnum(r.pvalue)})

    cvm("exact_2_2", [1.0, 2.0], [3.0, 4.0])
    cvm("exact_3_17", rng.normal(0, 1, 3), rng.normal(0, 1, 17))
    cvm("exact_20_20", rng.normal(0, 1, 20), rng.normal(0.8, 1, 20))
    cvm("exact_ties", np.round(rng.normal(0, 1, 15)), np.round(rng.normal(0.5, 1, 12)))
    cvm("exact_19_20_ties", np.round(rng.normal(0, 2, 19)), np.round(rng.normal(0, 2, 20)))
    cvm("asymp_21_5", rng.normal(0, 1, 21), rng.normal(0, 1, 5))
    cvm("asymp_identical", [1.0, 2.0, 3.0] * 10, [1.0, 2.0, 3.0] * 10)
    out["cvm_2samp"] = cases

    cases = []

    def ad(name, a, b):
        a = np.asarray(a, float)
        b = np.asarray(b, float)
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = stats.anderson_ksamp([a, b])
        cases.append({"name": name, "ref": a.tolist(), "cur": b.tolist(),
                      "statistic": fnum(r.statistic), "pvalue": fnum(r.significance_level)})

    ad("small", rng.normal(0, 1, 10), rng.normal(0.5, 1, 12))
    ad("ties", np.round(rng.normal(0, 1, 50)), np.round(rng.normal(0.2, 1, 40)))
    ad("two_values", [0.0, 1.0, 1.0, 0.0, 1.0], [1.0, 1.0, 1.0, 0.0])
    ad("interpolated", rng.normal(0, 1, 200), rng.normal(0.3, 1, 200))
    ad("capped_high", rng.normal(0, 1, 100), rng.normal(2, 1, 100))
    out["anderson"] = cases

    rows = []
    for k in [1, 2, 3, 5, 10, 99, 299, 1000]:
        for x in [0.0, 0.01, 0.5, 1.0, k / 2, k, k + 3 * math.sqrt(2 * k), 3 * k + 30, 10 * k + 300]:
            rows.append([x, k, fnum(stats.chi2.sf(x, k))])
    out["chi2_sf"] = rows

    rows = []
    for n in [1, 2, 3, 10, 11, 101, 1000]:
        s = np.sort(np.round(rng.normal(0, 1, n), 2))
        for q in [0.0, 0.1, 0.25, 0.5, 0.7, 0.9, 1.0] + [k / 10.0 for k in range(1, 10)]:
            rows.append({"sample": s.tolist(), "q": q, "value": fnum(np.quantile(s, q))})
    out["quantile"] = rows

    rows = []
    for n1, n2 in [(30, 20), (100, 1), (1000, 900), (2048, 1500)]:
        r = np.sort(rng.normal(0, 1, n1))
        c = np.sort(rng.normal(0.1, 1.2, n2))
        rows.append({"ref": r.tolist(), "cur": c.tolist(),
                     "edges": np.histogram_bin_edges(np.concatenate([r, c]), bins="sturges").tolist(),
                     "ref_counts": np.histogram(r, np.histogram_bin_edges(np.concatenate([r, c]), bins="sturges"))[0].tolist()})
    out["sturges"] = rows

    out["besselk_mp"] = [[x, float(mp.besselk(0.25, x))]
                         for x in [1e-4, 1e-3, 0.0104, 0.02, 0.1, 0.5, 1.0, 1.5, 1.9938142632203233,
                                   3.0, 7.0, 12.5, 24.9, 25.0, 40.0, 100.0, 400.0]]

    def cdf_inf(x):
        x = mp.mpf(x)
        tot = mp.mpf(0)
        k = 0
        while True:
            u = mp.exp(mp.loggamma(k + mp.mpf(0.5)) - mp.loggamma(k + 1)) / (mp.pi ** 1.5 * mp.sqrt(x))
            y = 4 * k + 1
            q = mp.mpf(y) ** 2 / (16 * x)
            z = u * mp.sqrt(y) * mp.exp(-q) * mp.besselk(0.25, q)
            tot += z
            if abs(z) < 1e-7:
                return tot
            k += 1

    out["cvm_tail_mp"] = [[x, float(1 - cdf_inf(x))]
                          for x in [0.05, 0.2, 0.5, 1.0, 2.0, 3.564325814516391, 5.0, 8.876922839621635]]

    json.dump(out, sys.stdout, indent=1, allow_nan=False)


if __name__ == "__main__":
    main()
