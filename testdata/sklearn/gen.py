#!/usr/bin/python3
"""Reference values for stats/corr.go, stats/metrics.go and stats/pca.go.

    /usr/bin/python3 testdata/sklearn/gen.py testdata/sklearn

Writes, into the folder given (default: this script's folder):

  correlation.json  pandas DataFrame.corr (pearson, spearman; pairwise-complete, the
                    default min_periods=1) on cases with ties, missing values on
                    different rows, +-inf (missing to pandas), constant columns and a
                    column constant over one pair's complete rows; Cramer's V from
                    scipy.stats.contingency.association(method="cramer",
                    correction=False) on pandas crosstabs.
  ref_drift.json    the "correlation" output of /work/shared/peers/ref_drift.py (pairwise
                    mode) on a small gen_data.py dataset with 2% missing cells, with the
                    input columns (NaN written as null).
  classification.json  sklearn.metrics: confusion_matrix, accuracy_score,
                    precision/recall/f1 (binary and macro, zero_division default),
                    roc_auc_score (binary; multiclass ovr macro), log_loss (eps="auto":
                    float64 machine epsilon clipping, then row renormalisation).
  regression.json   sklearn.metrics: mean_absolute_error, mean_squared_error ->
                    sqrt (RMSE), mean_absolute_percentage_error, r2_score; and the
                    mean error mean(prediction - target) (numpy).
  pca.json          NannyML's data reconstruction pipeline for continuous columns,
                    written out with sklearn: SimpleImputer(strategy="mean") ->
                    StandardScaler -> PCA(n_components=0.65) fitted on the reference;
                    per-row error = Euclidean norm of (scaled - inverse_transform(
                    transform(scaled))); the reference split in 10 chunks (size n//10,
                    the remainder added to the last chunk); thresholds mean +- 3 * np.std
                    (ddof 0) of the chunk means, a lower threshold below 0 dropped.

Versions (recorded in every file): Debian bookworm python3 with numpy 1.24.2, scipy
1.10.1, pandas 1.5.3, scikit-learn 1.2.1. Seeds are fixed; regenerating on another
machine may change the last digit or two (BLAS, libm).
"""
import json
import math
import os
import subprocess
import sys
import tempfile

import numpy as np
import pandas as pd
import scipy
import sklearn
from scipy.stats import contingency
from sklearn import metrics
from sklearn.decomposition import PCA
from sklearn.impute import SimpleImputer
from sklearn.preprocessing import StandardScaler

PEERS = "/work/shared/peers"


def fnum(x):
    x = float(x)
    return x if math.isfinite(x) else None


def col(v):
    """A float column for JSON: NaN -> null, inf -> "inf"/"-inf"."""
    out = []
    for x in v:
        x = float(x)
        if math.isnan(x):
            out.append(None)
        elif math.isinf(x):
            out.append("inf" if x > 0 else "-inf")
        else:
            out.append(x)
    return out


def mat(M):
    return [[fnum(v) for v in row] for row in np.asarray(M)]


def versions():
    return {"python": sys.version.split()[0], "numpy": np.__version__, "scipy": scipy.__version__,
            "pandas": pd.__version__, "sklearn": sklearn.__version__}


# ----------------------------------------------------------------------------- correlation
def corr_case(name, df, note):
    X = df.replace([np.inf, -np.inf], np.nan)  # pandas treats +-inf as missing too; be explicit
    return {"name": name, "note": note, "columns": list(df.columns),
            "data": [col(df[c].to_numpy(dtype=float)) for c in df.columns],
            "pearson": mat(X.corr(method="pearson")), "spearman": mat(X.corr(method="spearman")),
            "pairs": [[int((X[a].notna() & X[b].notna()).sum()) for b in df.columns] for a in df.columns]}


def correlation(rng):
    cases = []
    n = 400
    f = rng.normal(size=n)
    df = pd.DataFrame({
        "a": f + 0.5 * rng.normal(size=n),
        "b_ties": np.round(f + rng.normal(size=n), 0) / 2,          # many ties
        "c_int": rng.integers(0, 4, size=n).astype(float),          # 4 values
        "d_exp": np.exp(f + 0.3 * rng.normal(size=n)),               # monotone, skewed
        "e": -f + rng.normal(size=n),
    })
    for c, share in (("a", 0.05), ("b_ties", 0.1), ("d_exp", 0.02), ("e", 0.2)):
        idx = rng.choice(n, int(share * n), replace=False)
        df.loc[idx, c] = np.nan
    df.loc[3, "e"] = np.inf
    df.loc[7, "a"] = -np.inf
    cases.append(corr_case("ties_missing", df, "missing values on different rows, ties, +-inf"))

    n = 60
    x = rng.normal(size=n)
    y = x.copy()
    y[:30] = np.nan
    z = np.where(np.arange(n) < 30, rng.normal(size=n), 2.5)  # constant where y is present
    df = pd.DataFrame({"x": x, "const": np.full(n, 3.25), "y": y, "z": z,
                       "w": np.where(np.arange(n) % 7 == 0, np.nan, rng.normal(size=n))})
    cases.append(corr_case("constant", df, "a constant column; z is constant over the rows where y is present"))

    n = 300
    base = rng.normal(size=(n, 3))
    df = pd.DataFrame({"p": base[:, 0], "q": base[:, 0] + base[:, 1], "r": base[:, 2] * 1e6 + 1e9})
    rows = rng.choice(n, 30, replace=False)
    df.loc[rows, ["p", "q"]] = np.nan  # missing on the same rows
    cases.append(corr_case("same_missing", df, "p and q missing on the same rows; r with a large offset"))

    n = 3000
    f = rng.normal(size=(n, 2))
    L = rng.normal(size=(6, 2))
    Z = f @ L.T + 0.7 * rng.normal(size=(n, 6))
    df = pd.DataFrame({f"v{i}": Z[:, i] for i in range(6)})
    df["v2"] = np.round(df["v2"], 1)
    df["v3"] = np.exp(df["v3"])
    for c in df.columns:
        df.loc[rng.random(n) < 0.01, c] = np.nan
    cases.append(corr_case("missing_1pct", df, "3000 rows, 1% missing per column, one rounded column"))

    n = 5
    df = pd.DataFrame({"s": [1.0, 2, 3, np.nan, 5], "t": [np.nan, 1.0, np.nan, 2, 2]})
    cases.append(corr_case("tiny", df, "pairs with 2 complete rows"))

    # Cramer's V
    cv = []
    n = 500
    a = rng.choice(["x", "y", "z"], size=n, p=[0.5, 0.3, 0.2])
    b = np.where(rng.random(n) < 0.6, np.where(a == "x", "u", "v"), rng.choice(["u", "v", "w", "t"], size=n))
    a = a.astype(object)
    a[rng.random(n) < 0.05] = None
    for name, t in (("associated_3x4", pd.crosstab(pd.Series(a), pd.Series(b))),
                    ("independent_2x2", pd.crosstab(pd.Series(rng.integers(0, 2, 200)), pd.Series(rng.integers(0, 2, 200)))),
                    ("perfect_3x3", pd.crosstab(pd.Series(np.arange(30) % 3), pd.Series((np.arange(30) + 1) % 3)))):
        T = t.to_numpy()
        cv.append({"name": name, "table": T.tolist(),
                   "cramers_v": fnum(contingency.association(T, method="cramer", correction=False))})
    return {"versions": versions(), "generator": "testdata/sklearn/gen.py", "cases": cases, "cramers_v": cv}


def ref_drift():
    with tempfile.TemporaryDirectory() as d:
        subprocess.run([sys.executable, os.path.join(PEERS, "gen_data.py"), d, "--n-ref", "1500", "--n-cur", "1200",
                        "--num", "6", "--cat", "0", "--nan-frac", "0.02", "--corr-shift", "0.5", "--seed", "7",
                        "--format", "npy"], check=True, stdout=subprocess.DEVNULL)
        out = subprocess.run([sys.executable, os.path.join(PEERS, "ref_drift.py"), d, "--corr-nan", "pairwise",
                              "--skip", "ks,ks_asymp,wasserstein,psi_q10,binned,hellinger,anderson,cvm,energy"],
                             check=True, capture_output=True, text=True).stdout
        res = json.loads(out)
        meta = json.load(open(os.path.join(d, "meta.json")))
        R = np.load(os.path.join(d, "reference_num.npy"))
        C = np.load(os.path.join(d, "current_num.npy"))
    return {"versions": versions(), "generator": "testdata/sklearn/gen.py: gen_data.py --n-ref 1500 --n-cur 1200 "
            "--num 6 --cat 0 --nan-frac 0.02 --corr-shift 0.5 --seed 7; ref_drift.py --corr-nan pairwise",
            "columns": meta["numeric"], "reference": [col(R[:, i]) for i in range(R.shape[1])],
            "current": [col(C[:, i]) for i in range(C.shape[1])], "correlation": res["correlation"]}


# ----------------------------------------------------------------------------- classification
def clf_metrics(y, pred, labels, pos=None, score=None, proba=None):
    out = {"labels": [str(v) for v in labels],
           "confusion_matrix": metrics.confusion_matrix(y, pred, labels=labels).tolist(),
           "accuracy": fnum(metrics.accuracy_score(y, pred))}
    p, r, f, s = metrics.precision_recall_fscore_support(y, pred, labels=labels, zero_division=0)
    out["per_class"] = {"precision": p.tolist(), "recall": r.tolist(), "f1": f.tolist(), "support": s.tolist()}
    out["macro"] = {"precision": fnum(metrics.precision_score(y, pred, average="macro", zero_division=0)),
                    "recall": fnum(metrics.recall_score(y, pred, average="macro", zero_division=0)),
                    "f1": fnum(metrics.f1_score(y, pred, average="macro", zero_division=0))}
    if pos is not None:
        out["positive"] = str(pos)
        out["binary"] = {"precision": fnum(metrics.precision_score(y, pred, pos_label=pos, zero_division=0)),
                         "recall": fnum(metrics.recall_score(y, pred, pos_label=pos, zero_division=0)),
                         "f1": fnum(metrics.f1_score(y, pred, pos_label=pos, zero_division=0))}
    if score is not None:
        yb = (np.asarray(y) == pos).astype(int)
        out["roc_auc"] = fnum(metrics.roc_auc_score(yb, score))
        out["log_loss"] = fnum(metrics.log_loss(yb, score))
    if proba is not None:
        out["roc_auc_ovr_macro"] = fnum(metrics.roc_auc_score(y, proba, multi_class="ovr", average="macro", labels=labels))
        out["log_loss"] = fnum(metrics.log_loss(y, proba, labels=labels))
    return out


def classification(rng):
    cases = []
    n = 400
    y = (rng.random(n) < 0.35).astype(int)
    s = np.clip(0.35 + 0.3 * (y - 0.35) + 0.25 * rng.normal(size=n), 0, 1)
    s = np.round(s, 1)  # ties in the scores; exact 0 and 1 (log loss clipping)
    pred = (s >= 0.5).astype(int)
    cases.append({"name": "binary_ties", "y_true": y.tolist(), "y_pred": pred.tolist(), "score": s.tolist(),
                  "expected": clf_metrics(y, pred, [0, 1], pos=1, score=s)})

    n = 300
    y = (rng.random(n) < 0.5).astype(int)
    s = 1 / (1 + np.exp(-(2 * y - 1 + rng.normal(size=n))))
    pred = np.zeros(n, dtype=int)  # never predicts the positive class: precision 0/0
    cases.append({"name": "binary_never_positive", "y_true": y.tolist(), "y_pred": pred.tolist(), "score": s.tolist(),
                  "expected": clf_metrics(y, pred, [0, 1], pos=1, score=s)})

    n = 500
    y = rng.choice(3, size=n, p=[0.5, 0.3, 0.2])
    logits = rng.normal(size=(n, 3))
    logits[np.arange(n), y] += 1.2
    P = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    pred = P.argmax(axis=1)
    cases.append({"name": "multiclass_3", "y_true": y.tolist(), "y_pred": pred.tolist(),
                  "proba": [col(P[:, j]) for j in range(3)],
                  "expected": clf_metrics(y, pred, [0, 1, 2], proba=P)})

    y = np.array([0, 1, 2, 2, 1, 0, 3])
    pred = np.array([0, 2, 2, 2, 1, 1, 1])  # class 3 never predicted, appears once
    cases.append({"name": "multiclass_unpredicted", "y_true": y.tolist(), "y_pred": pred.tolist(),
                  "expected": clf_metrics(y, pred, [0, 1, 2, 3])})
    return {"versions": versions(), "generator": "testdata/sklearn/gen.py", "cases": cases}


# ----------------------------------------------------------------------------- regression
def reg_metrics(y, p):
    return {"mae": fnum(metrics.mean_absolute_error(y, p)),
            "rmse": fnum(math.sqrt(metrics.mean_squared_error(y, p))),
            "mape": fnum(metrics.mean_absolute_percentage_error(y, p)),
            "r2": fnum(metrics.r2_score(y, p)),
            "mean_error": fnum(np.mean(np.asarray(p) - np.asarray(y)))}


def regression(rng):
    cases = []
    n = 500
    y = rng.normal(10, 3, size=n)
    p = y + rng.normal(0.3, 1.5, size=n)
    cases.append({"name": "normal", "y_true": y.tolist(), "y_pred": p.tolist(), "expected": reg_metrics(y, p)})
    y = np.round(rng.normal(0, 2, size=200), 0)  # zeros: MAPE divides by eps
    p = y + rng.normal(0, 1, size=200)
    cases.append({"name": "zeros_in_target", "y_true": y.tolist(), "y_pred": p.tolist(), "expected": reg_metrics(y, p)})
    y = np.full(50, 4.0)
    p = y + rng.normal(0, 1, size=50)
    cases.append({"name": "constant_target", "y_true": y.tolist(), "y_pred": p.tolist(), "expected": reg_metrics(y, p)})
    cases.append({"name": "perfect_constant", "y_true": y.tolist(), "y_pred": y.tolist(), "expected": reg_metrics(y, y)})
    return {"versions": versions(), "generator": "testdata/sklearn/gen.py", "cases": cases}


# ----------------------------------------------------------------------------- pca
def pca_case(rng):
    n_ref, n_cur, k = 2003, 800, 6
    L = rng.normal(size=(k, 2))

    def draw(n, Lm):
        f = rng.normal(size=(n, 2))
        return f @ Lm.T + 0.6 * rng.normal(size=(n, k)) + np.arange(k) * 10

    R = draw(n_ref, L)
    C = draw(n_cur, L + 0.8 * rng.normal(size=L.shape))
    for X in (R, C):
        X[rng.random(X.shape) < 0.02] = np.nan
    imp = SimpleImputer(strategy="mean").fit(R)
    sc = StandardScaler().fit(imp.transform(R))
    Zr = sc.transform(imp.transform(R))
    pca = PCA(n_components=0.65, random_state=16).fit(Zr)

    def errors(X):
        Z = sc.transform(imp.transform(X))
        return np.linalg.norm(Z - pca.inverse_transform(pca.transform(Z)), axis=1)

    er = errors(R)
    size = n_ref // 10
    bounds = [(i * size, (i + 1) * size if i < 9 else n_ref) for i in range(10)]
    chunk = np.array([er[a:b].mean() for a, b in bounds])
    mean, std = chunk.mean(), np.std(chunk)
    lower, upper = mean - 3 * std, mean + 3 * std
    cur = errors(C).mean()
    return {"versions": versions(), "generator": "testdata/sklearn/gen.py",
            "reference": [col(R[:, i]) for i in range(k)], "current": [col(C[:, i]) for i in range(k)],
            "expected": {"components": int(pca.n_components_),
                         "explained_variance_ratio": pca.explained_variance_ratio_.tolist(),
                         "scaler_mean": sc.mean_.tolist(), "scaler_scale": sc.scale_.tolist(),
                         "reference_row_errors_head": er[:20].tolist(),
                         "chunk_bounds": bounds, "chunk_errors": chunk.tolist(),
                         "reference_mean": fnum(mean), "reference_std": fnum(std),
                         "lower": fnum(lower) if lower >= 0 else None, "upper": fnum(upper),
                         "current": fnum(cur), "drifted": bool(not ((lower if lower >= 0 else -np.inf) < cur < upper))}}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    rng = np.random.default_rng(20261204)
    files = {"correlation.json": correlation(rng), "ref_drift.json": ref_drift(),
             "classification.json": classification(rng), "regression.json": regression(rng), "pca.json": pca_case(rng)}
    for name, obj in files.items():
        with open(os.path.join(out, name), "w") as fh:
            json.dump(obj, fh, allow_nan=False)
            fh.write("\n")


if __name__ == "__main__":
    main()
