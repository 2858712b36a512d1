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

# --- profiles (issue 8): sketch-mode profile of 100M rows × 25 columns from Parquet ---
# Peak RSS must stay under 1 GiB and not grow with the rows; throughput is values
# (rows × 25) per CPU-second (user + sys). The 100M rows are the 10M-row current.parquet
# of the compare benchmark read ten times: a folder of ten symlinks to that one file is
# one dataset of 100M rows to driftwatch (folders are read recursively, symlinks
# followed), while the disk and the page cache hold 1.4 GB, not 14. The reference's
# profile (the bin edges) is built first, in two passes (a sketch, then counts on its
# deciles). PROFILE_ROWS / PROFILE_COPIES change the sizes; BENCH_PROFILE=0 skips this.
#   BENCH_ROWS=" " scripts/bench.sh     # only this section (no compare sizes)
if [ "${BENCH_PROFILE:-1}" = 1 ]; then
  prows=${PROFILE_ROWS:-10000000}
  copies=${PROFILE_COPIES:-10}
  d="$dir/n$prows"
  if [ ! -f "$d/current.parquet" ]; then
    bin/dwgen bench --rows "$prows" --out "$d" >&2
  fi
  pd="$dir/profile-x$copies"
  rm -rf "$pd" && mkdir -p "$pd/data"
  for i in $(seq -w 1 "$copies"); do ln -s "$(cd "$d" && pwd)/current.parquet" "$pd/data/part-$i.parquet"; done
  echo
  printf '%-12s %-26s %8s %10s %8s %14s\n' rows case wall_s rss_mib cpu_s values_per_cpu_s
  run_profile() { # rows case args...
    local n=$1 name=$2; shift 2
    m=$(bin/dwgen measure -- bin/driftwatch profile "$@" 2>/dev/null | tail -1)
    echo "{\"rows\": $n, \"case\": \"$name\", \"result\": $m}" >> bench/results.jsonl
    echo "$m" | sed -E "s/.*\"wall_s\":([0-9.]+),\"max_rss_mib\":([0-9.]+),\"user_s\":([0-9.]+),\"sys_s\":([0-9.]+).*/$n $name \1 \2 \3 \4/" |
      awk '{cpu=$5+$6; printf "%-12s %-26s %8.2f %10.1f %8.2f %14.3g\n", $1, $2, $3, $4, cpu, $1*25/cpu}'
  }
  run_profile "$prows" profile-reference-2pass --input "$d/reference.parquet" --out "$pd/reference.dwprof" --mode sketch
  run_profile "$prows" profile-sketch --input "$d/current.parquet" --out "$pd/current-1.dwprof" --mode sketch --reference-profile "$pd/reference.dwprof"
  run_profile "$((prows * copies))" profile-sketch --input "$pd/data" --out "$pd/current-$copies.dwprof" --mode sketch --reference-profile "$pd/reference.dwprof"
  ls -l "$pd"/*.dwprof | awk '{print "# " $5 " bytes " $9}'
fi
