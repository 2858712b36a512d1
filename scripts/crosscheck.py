#!/usr/bin/python3
"""Compares ref_drift.py's oracle JSON with driftwatch reports, column by column.

    crosscheck.py oracle.json driftwatch.json driftwatch_sturges.json

Exit 0 when every compared number agrees to 1e-9 relative (p-values below 1e-300 and
CvM tail p-values, good to ~1e-15 absolute in SciPy, compared absolutely); prints a table.
"""
import json
import math
import sys


def close(got, want, rel=1e-9, abs_=0.0):
    if want is None or got is None:
        return want is None and got is None
    if want == 0 or abs(want) < 1e-300:
        return abs(got) <= max(abs_, 1e-12)
    return abs(got - want) <= max(rel * abs(want), abs_)


def main():
    oracle = json.load(open(sys.argv[1]))
    dw = {c["name"]: c for c in json.load(open(sys.argv[2]))["columns"]}
    dws = {c["name"]: c for c in json.load(open(sys.argv[3]))["columns"]}
    bad = checked = 0

    def check(col, what, got, want, **kw):
        nonlocal bad, checked
        checked += 1
        if not close(got, want, **kw):
            bad += 1
            print(f"MISMATCH {col:10s} {what:28s} driftwatch={got!r} scipy={want!r}")

    def test(c, m):
        for t in c["tests"]:
            if t["method"] == m:
                return t
        return None

    for name, o in oracle["numeric"].items():
        c, cs = dw[name], dws[name]
        check(name, "n_ref", c["reference"]["count"], o["n_ref"])
        check(name, "n_cur", c["current"]["count"], o["n_cur"])
        check(name, "ks statistic", test(c, "ks")["statistic"], o["ks"]["statistic"])
        check(name, "ks p", test(c, "ks")["p_value"], o["ks"]["pvalue_auto"], abs_=1e-300)
        check(name, "wasserstein normed", test(c, "wasserstein")["statistic"], o["wasserstein"]["normed"])
        check(name, "psi (deciles)", test(c, "psi")["statistic"], o["psi_q10"]["value"])
        check(name, "psi (sturges)", test(cs, "psi")["statistic"], o["psi_evidently"])
        check(name, "kl (sturges)", test(cs, "kl")["statistic"], o["kl_evidently"])
        check(name, "jensen_shannon (sturges)", test(cs, "jensen_shannon")["statistic"], o["js_evidently"])
        check(name, "anderson statistic", test(c, "anderson")["statistic"], o["anderson"]["statistic"])
        check(name, "anderson p", test(c, "anderson")["p_value"], o["anderson"]["pvalue"])
        check(name, "cvm statistic", test(c, "cramer_von_mises")["statistic"], o["cvm"]["statistic"])
        check(name, "cvm p", test(c, "cramer_von_mises")["p_value"], o["cvm"]["pvalue"], abs_=1e-13)
        check(name, "energy", test(c, "energy")["statistic"], o["energy"])
    for name, o in oracle["categorical"].items():
        c, cs = dw[name], dws[name]
        check(name, "n_ref", c["reference"]["count"], o["n_ref"])
        check(name, "chi2 statistic", test(c, "chi2")["statistic"], o["chi2_contingency"]["statistic"])
        check(name, "chi2 p", test(c, "chi2")["p_value"], o["chi2_contingency"]["pvalue"], abs_=1e-300)
        check(name, "chi2_gof statistic", test(c, "chi2_gof")["statistic"], o["chisquare_evidently"]["statistic"])
        check(name, "chi2_gof p", test(c, "chi2_gof")["p_value"], o["chisquare_evidently"]["pvalue"], abs_=1e-300)
        check(name, "jensen_shannon", test(c, "jensen_shannon")["statistic"], o["js_evidently"])
        check(name, "psi", test(c, "psi")["statistic"], o["psi_evidently"])
        check(name, "kl", test(c, "kl")["statistic"], o["kl_evidently"])
        if "z_test" in o:
            check(name, "z statistic", test(c, "z")["statistic"], o["z_test"]["statistic"])
            check(name, "z p", test(c, "z")["p_value"], o["z_test"]["pvalue"], abs_=1e-300)
    print(f"crosscheck: {checked} values compared, {bad} mismatches "
          f"({len(oracle['numeric'])} numeric, {len(oracle['categorical'])} categorical columns)")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
