#!/usr/bin/python3
"""Reference values of stats.QuantileShift (effect_test.go, TestQuantileShift), NumPy 1.24.

The exact (1/(hi-lo)) ∫_lo^hi |Q_c(u) - Q_r(u)| du with Q = numpy.quantile(x, u,
method="inverted_cdf"), evaluated at the midpoint of every piece between the breakpoints
k/n and k/m (the integrand is constant on each piece). Over [0, 1] it is checked against
scipy.stats.wasserstein_distance (SciPy 1.10).
    /usr/bin/python3 stats/testdata/quantileshift.py
"""
from fractions import Fraction as F

import numpy as np
from scipy import stats


def shift(r, c, lo, hi):
    lo, hi = F(lo).limit_denominator(10000), F(hi).limit_denominator(10000)
    n, m = len(r), len(c)
    pts = {lo, hi} | {F(k, n) for k in range(n + 1) if lo < F(k, n) < hi} | {F(k, m) for k in range(m + 1) if lo < F(k, m) < hi}
    pts = sorted(pts)
    s = 0.0
    for a, b in zip(pts[:-1], pts[1:]):
        mid = float((a + b) / 2)
        s += abs(np.quantile(c, mid, method="inverted_cdf") - np.quantile(r, mid, method="inverted_cdf")) * float(b - a)
    return s / float(hi - lo)


rng = np.random.default_rng(7)
cases = [
    ("shift", np.sort(rng.normal(0, 1, 40)), np.sort(rng.normal(0.5, 1, 27)), [(0, 0.05), (0.95, 1), (0.9, 0.99), (0, 1)]),
    ("scale", np.sort(rng.normal(0, 1, 33)), np.sort(rng.normal(0, 2, 50)), [(0, 0.1), (0.9, 1), (0.005, 0.05), (0, 1)]),
    ("ties", np.sort(np.round(rng.normal(0, 1, 25))), np.sort(np.round(rng.normal(0, 1, 19))), [(0, 0.25), (0.75, 1), (0, 1)]),
    ("tiny", np.array([1.0, 2.0, 3.0]), np.array([2.0, 5.0]), [(0, 0.5), (0.5, 1), (0, 1)]),
]
for name, r, c, spans in cases:
    print(name)
    print("  r", ", ".join(repr(float(x)) for x in r))
    print("  c", ", ".join(repr(float(x)) for x in c))
    for lo, hi in spans:
        v = shift(r, c, lo, hi)
        if (lo, hi) == (0, 1):
            assert abs(v - stats.wasserstein_distance(r, c)) < 1e-12
        print("  ", lo, hi, repr(v))
