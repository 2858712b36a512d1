#!/usr/bin/env bash
# The drift-decision benchmark (issue 9): generates the columns with a known answer
# (testdata/decision/gen_decision.py, default sizes 300 … 1,000,000), converts each size
# to Parquet with dwgen npy2parquet, and scores the verdicts of both presets with
# testdata/decision/score_decision.py: driftwatch, the evidently preset of the same
# binary, and Evidently's rules computed with SciPy. Data goes to testdata/decision/data
# (git-ignored) and is reused when present; needs Debian's /usr/bin/python3 (NumPy, SciPy).
#   scripts/decision.sh [DIR] [--sizes 300,2000,20000] [--seed 1]
set -euo pipefail
cd "$(dirname "$0")/.."
dir=testdata/decision/data
if [ $# -gt 0 ] && [ "${1#--}" = "$1" ]; then
  dir=$1
  shift
fi
py=/usr/bin/python3
mkdir -p "$dir" bin
CGO_ENABLED=0 go build -trimpath -o bin/driftwatch ./cmd/driftwatch
CGO_ENABLED=0 go build -trimpath -o bin/dwgen ./cmd/dwgen
if ! ls "$dir"/n*/labels.json >/dev/null 2>&1; then
  "$py" testdata/decision/gen_decision.py "$dir" "$@"
fi
for d in "$dir"/n*/; do
  if [ ! -f "$d/current.parquet" ]; then
    bin/dwgen npy2parquet "$d" >&2
  fi
done
echo "== driftwatch"
"$py" testdata/decision/score_decision.py "$dir" driftwatch bin/driftwatch driftwatch
echo "== evidently (driftwatch compare --preset evidently)"
"$py" testdata/decision/score_decision.py "$dir" driftwatch bin/driftwatch evidently
echo "== evidently (Evidently's rules with SciPy)"
"$py" testdata/decision/score_decision.py "$dir" evidently
