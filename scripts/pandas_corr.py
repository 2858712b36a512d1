#!/usr/bin/python3
"""Time pandas DataFrame.corr on the data of stats' BenchmarkCorrelations (same shape and
kinds: a 3-factor model, every fifth column log-normal, every fifth rounded to 0.1; 1M rows x
20 columns), complete and with 1% of the cells missing, for docs/performance.md.

Run with Debian's python3 (apt-get install -y python3-pandas): /usr/bin/python3 scripts/pandas_corr.py
"""
import time

import numpy as np
import pandas as pd

n, k = 1_000_000, 20
rng = np.random.default_rng(5)
F = rng.standard_normal((n, 3))
L = rng.standard_normal((3, k))
X = F @ L + rng.standard_normal((n, k))
X[:, 1::5] = np.exp(0.5 * X[:, 1::5])
X[:, 4::5] = np.round(X[:, 4::5] * 10) / 10
for frac in (0.0, 0.01):
    Y = X.copy()
    if frac:
        Y[rng.random((n, k)) < frac] = np.nan
    df = pd.DataFrame(Y)
    for m in ("pearson", "spearman"):
        t, w = time.process_time(), time.perf_counter()
        df.corr(method=m)
        print(f"pandas {pd.__version__} missing={frac} {m}: {time.perf_counter() - w:.2f} s wall, "
              f"{time.process_time() - t:.2f} s CPU", flush=True)
