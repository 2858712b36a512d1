#!/usr/bin/env bash
# Large cross-check of driftwatch against SciPy/NumPy (issue 3):
#   gen_data.py (N rows, drift in half the columns, 1% missing) -> .npy -> Parquet (dwgen)
#   ref_drift.py (SciPy oracle) and `driftwatch compare --method <all>`; crosscheck.py compares
#   every column and method at 1e-9 relative.
# Usage: scripts/crosscheck.sh [ROWS=100000] [DIR=testdata/crosscheck/data]   (data stays out of git)
# Needs Debian's /usr/bin/python3 with python3-scipy and python3-pandas.
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-100000}
dir=${2:-testdata/crosscheck/data}
py=/usr/bin/python3
mkdir -p "$dir" bin
go build -o bin/driftwatch ./cmd/driftwatch
go build -o bin/dwgen ./cmd/dwgen
if [ ! -f "$dir/meta.json" ]; then
  $py testdata/peers/gen_data.py "$dir" --n-ref "$rows" --mean-shift 0.25 --var-scale 1.5 \
    --cat-shift 0.3 --new-cat 0.05 --nan-frac 0.01 --seed 42
fi
[ -f "$dir/reference.parquet" ] || bin/dwgen npy2parquet "$dir"
echo "oracle: ref_drift.py ($rows rows)" >&2
time $py testdata/peers/ref_drift.py "$dir" -o "$dir/oracle.json" --no-corr
methods=ks,wasserstein,psi,jensen_shannon,kl,chi2,chi2_gof,z,anderson,cramer_von_mises,energy
echo "driftwatch compare --method $methods" >&2
time bin/driftwatch compare --reference "$dir/reference.parquet" --current "$dir/current.parquet" \
  --method "$methods" > "$dir/driftwatch.json"
bin/driftwatch compare --reference "$dir/reference.parquet" --current "$dir/current.parquet" \
  --method psi,kl,jensen_shannon --binning sturges > "$dir/driftwatch_sturges.json"
$py scripts/crosscheck.py "$dir/oracle.json" "$dir/driftwatch.json" "$dir/driftwatch_sturges.json"
