#!/usr/bin/env bash
# make bench (after the micro-benchmarks): wall time and peak RSS of `driftwatch compare`
# on generated Parquet data, 20 numeric + 5 categorical columns (the shapes of the peers'
# gen_data.py), reference and current of the same size. Data is generated on the fly into
# bench/data (git-ignored) and reused. Figures go to stdout and bench/results.jsonl.
#   BENCH_ROWS="1000000 10000000" scripts/bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${BENCH_ROWS:-"1000000 10000000"}
dir=${BENCH_DIR:-bench/data}
mkdir -p "$dir" bin
CGO_ENABLED=0 go build -trimpath -o bin/driftwatch ./cmd/driftwatch
CGO_ENABLED=0 go build -trimpath -o bin/dwgen ./cmd/dwgen
all=ks,wasserstein,psi,jensen_shannon,kl,hellinger,chi2,chi2_gof,z,anderson,cramer_von_mises,energy
echo "# $(date -u +%FT%TZ) $(nproc) cores, $(go version | cut -d' ' -f3)"
printf '%-10s %-22s %8s %10s %8s\n' rows case wall_s rss_mib cpu_s
for n in $rows; do
  d="$dir/n$n"
  if [ ! -f "$d/current.parquet" ]; then
    bin/dwgen bench --rows "$n" --out "$d" >&2
  fi
  cases=("evidently:--preset evidently")
  [ "$n" -le 1000000 ] && cases+=("all-methods:--method $all")
  for c in "${cases[@]}"; do
    name=${c%%:*}; args=${c#*:}
    # best of 3 (the first run also warms the page cache)
    best=""
    for i in 1 2 3; do
      # dwgen measure passes the command's output to stderr and prints its JSON line on stdout
      m=$(bin/dwgen measure -- bin/driftwatch compare --reference "$d/reference.parquet" \
            --current "$d/current.parquet" $args --format json 2>/dev/null | tail -1)
      w=$(echo "$m" | sed -E 's/.*"wall_s":([0-9.]+).*/\1/')
      if [ -z "$best" ] || awk "BEGIN{exit !($w < $(echo "$best" | sed -E 's/.*"wall_s":([0-9.]+).*/\1/'))}"; then best=$m; fi
    done
    echo "{\"rows\": $n, \"case\": \"$name\", \"result\": $best}" >> bench/results.jsonl
    echo "$best" | sed -E "s/.*\"wall_s\":([0-9.]+),\"max_rss_mib\":([0-9.]+),\"user_s\":([0-9.]+),\"sys_s\":([0-9.]+).*/$n $name \1 \2 \3 \4/" |
      awk '{printf "%-10s %-22s %8.3f %10.1f %8.2f\n", $1, $2, $3, $4, $5+$6}'
  done
done
