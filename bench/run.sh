#!/usr/bin/env bash
# Throughput benchmark of `certtrace read --format ndjson` against the naive
# mawk baseline (bench/naive.awk: one open request per pid, a CSV row per
# request), side by side on the same generated capture.
#
#   bench/run.sh [requests] [runs]      (default: 760000 requests ≈ 250 MB, 3 runs)
#
# Prints wall time, MB/s and peak RSS of each run, and the speed-up of the
# best and of the median runs (the two commands alternate run by run).
set -euo pipefail
cd "$(dirname "$0")/.."
requests=${1:-760000}
runs=${2:-3}
work=${BENCH_DIR:-target/bench}
mkdir -p "$work"
log="$work/capture-$requests.log"

command -v mawk >/dev/null || { echo "mawk is needed: apt-get install -y mawk" >&2; exit 1; }
cargo build --release --quiet --bin certtrace --example gen_capture
if [ ! -s "$log" ]; then
  echo "generating $log ..."
  target/release/examples/gen_capture "$requests" "$log"
fi
bytes=$(stat -c %s "$log")
mb=$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1e6 }')
echo "capture: $log ($mb MB, $(wc -l < "$log") lines)"
cat "$log" > /dev/null  # warm the page cache

# One run of a command: prints its line, appends "secs" to $work/$name.times.
run_once() {  # name, command...
  local name=$1; shift
  /usr/bin/time -f "%e %M" -o "$work/time.txt" "$@" > /dev/null
  read -r secs kb < "$work/time.txt"
  printf '  %-10s %6.2f s  %7.1f MB/s  peak %6.1f MB\n' "$name" "$secs" \
    "$(awk -v b="$bytes" -v s="$secs" 'BEGIN { print b / 1e6 / s }')" "$(awk -v k="$kb" 'BEGIN { print k / 1024 }')"
  echo "$secs" >> "$work/$name.times"
}

# Best and median of the runs of one command.
stats() {  # name
  sort -n "$work/$1.times" | awk '{ v[NR] = $1 } END {
    m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    printf "%s %s\n", v[1], m }'
}

# Side by side: the two commands alternate, so a busier moment on a shared
# machine slows both rather than one.
rm -f "$work/mawk.times" "$work/certtrace.times"
for i in $(seq "$runs"); do
  echo "run $i:"
  run_once mawk mawk -F'\t' -f bench/naive.awk "$log"
  run_once certtrace target/release/certtrace read "$log" --format ndjson
done
read -r best_mawk med_mawk < <(stats mawk)
read -r best_ct med_ct < <(stats certtrace)
echo "best:   mawk ${best_mawk}s, certtrace ${best_ct}s, speed-up $(awk -v a="$best_mawk" -v b="$best_ct" 'BEGIN { printf "%.2fx", a / b }')"
echo "median: mawk ${med_mawk}s, certtrace ${med_ct}s, speed-up $(awk -v a="$med_mawk" -v b="$med_ct" 'BEGIN { printf "%.2fx", a / b }')"
