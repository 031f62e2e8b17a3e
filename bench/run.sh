#!/usr/bin/env bash
# Throughput benchmark of `certtrace read --format ndjson` against the naive
# mawk baseline (bench/naive.awk: one open request per pid, a CSV row per
# request), side by side on the same generated capture.
#
#   bench/run.sh [requests] [runs]      (default: 760000 requests ≈ 250 MB, 3 runs)
#
# Prints wall time, MB/s and peak RSS of each run and the speed-up.
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

measure() {  # name, command...
  local name=$1; shift
  local best=""
  for i in $(seq "$runs"); do
    /usr/bin/time -f "%e %M" -o "$work/time.txt" "$@" > /dev/null
    read -r secs kb < "$work/time.txt"
    printf '  %-10s run %d: %6.2f s  %7.1f MB/s  peak %6.1f MB\n' "$name" "$i" "$secs" \
      "$(awk -v b="$bytes" -v s="$secs" 'BEGIN { print b / 1e6 / s }')" "$(awk -v k="$kb" 'BEGIN { print k / 1024 }')"
    if [ -z "$best" ] || awk -v a="$secs" -v b="$best" 'BEGIN { exit !(a < b) }'; then best=$secs; fi
  done
  eval "best_$name=$best"
}

measure mawk mawk -F'\t' -f bench/naive.awk "$log"
measure certtrace target/release/certtrace read "$log" --format ndjson
echo "best: mawk ${best_mawk}s, certtrace ${best_certtrace}s, speed-up $(awk -v a="$best_mawk" -v b="$best_certtrace" 'BEGIN { printf "%.2fx", a / b }')"
