#!/usr/bin/env bash
# Events/s of certtrace's portable .etl reader vs dissect.etl (PyPI) on the same
# files, in one run. Needs: cargo, python3 with `pip install dissect.etl`.
# Usage: bench/etl.sh [MIN_SECONDS_PER_MEASURE]   (run from the crate root)
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-3}"
shared="../shared/fixtures/etl"
files=(
  tests/data/etl/perfview_SelfDescribingSingleEvent.etl   # largest compressed fixture
  tests/data/etl/airbus_AMSITrace.etl                     # TraceLogging, 64 KiB buffers
)
[ -f "$shared/airbus_ShutdownPerfDiagLogger.etl" ] && files+=("$shared/airbus_ShutdownPerfDiagLogger.etl")

cargo build --release --quiet --example etl_bench
bin=target/release/examples/etl_bench
timev() { /usr/bin/time -f '%M' -o /tmp/etl_bench_rss "$@"; }

printf '%-40s %12s %14s %14s %8s %10s %10s\n' file records certtrace/s dissect/s ratio rss_rust rss_py
for f in "${files[@]}"; do
  r=$(timev "$bin" "$f" "$secs"); rr=$(cat /tmp/etl_bench_rss)
  p=$(timev python3 bench/etl_dissect.py "$f" "$secs"); pr=$(cat /tmp/etl_bench_rss)
  python3 - "$r" "$p" "$rr" "$pr" <<'PY'
import json, sys, os
r, p = json.loads(sys.argv[1]), json.loads(sys.argv[2])
assert r["records_per_pass"] == p["records_per_pass"], (r, p)
print(f'{os.path.basename(r["file"]):<40} {r["records_per_pass"]:>12} {r["records_per_s"]:>14,} '
      f'{p["records_per_s"]:>14,} {r["records_per_s"]/p["records_per_s"]:>7.0f}x '
      f'{sys.argv[3]:>8}KB {sys.argv[4]:>8}KB')
print(f'  certtrace messages/s (TraceLogging decode): {r["messages_per_s"]:,} ({r["messages_per_pass"]} per pass)')
PY
done
