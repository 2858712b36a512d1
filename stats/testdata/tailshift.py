#!/usr/bin/python3
"""Reference values of stats.TailShifts (effect_test.go, TestTailShifts), NumPy 1.24.

The exact integral (1/s) ∫ |Q_c(u) - Q_r(u)| du over each outer tail of share s, with
Q = numpy.quantile(x, u, method="inverted_cdf"), evaluated at the midpoint of every piece
between the breakpoints k/n and k/m (the integrand is constant on each piece).
    /usr/bin/python3 stats/testdata/tailshift.py
"""
from fractions import Fraction as F

import numpy as np


def l1(r, c, lo, hi):
    n, m = len(r), len(c)
    pts = {lo, hi} | {F(k, n) for k in range(n + 1) if lo < F(k, n) < hi} | {F(k, m) for k in range(m + 1) if lo < F(k, m) < hi}
    pts = sorted(pts)
    s = 0.0
    for a, b in zip(pts[:-1], pts[1:]):
        mid = float((a + b) / 2)
        s += abs(np.quantile(c, mid, method="inverted_cdf") - np.quantile(r, mid, method="inverted_cdf")) * float(b - a)
    return s


def tails(r, c, share):
    s = F(share).limit_denominator(1000)
    return l1(r, c, F(0), s) / float(s), l1(r, c, 1 - s, F(1)) / float(s)


rng = np.random.default_rng(7)
cases = [
    ("shift", np.sort(rng.normal(0, 1, 40)), np.sort(rng.normal(0.5, 1, 27)), 0.05),
    ("scale", np.sort(rng.normal(0, 1, 33)), np.sort(rng.normal(0, 2, 50)), 0.1),
    ("ties", np.sort(np.round(rng.normal(0, 1, 25))), np.sort(np.round(rng.normal(0, 1, 19))), 0.25),
    ("tiny", np.array([1.0, 2.0, 3.0]), np.array([2.0, 5.0]), 0.5),
]
for name, r, c, share in cases:
    lo, up = tails(r, c, share)
    print(name, share, repr(lo), repr(up))
    print("  r", ", ".join(repr(float(x)) for x in r))
    print("  c", ", ".join(repr(float(x)) for x in c))
