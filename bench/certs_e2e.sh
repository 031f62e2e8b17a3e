#!/usr/bin/env bash
# End-to-end cost of naming certificates: `certtrace read --format ndjson`
# over a capture of REQUESTS requests whose clients present certificates of
# a catalog of CERTS real certificates, with and without `--certs`.
#
#   bench/certs_e2e.sh [requests] [certs]     (default 1000000 requests, 10000 certificates)
#
# The certificates are made once with openssl (one key, CERTS signed
# certificates with distinct subjects and serials) under target/bench/.
set -euo pipefail
cd "$(dirname "$0")/.."
requests=${1:-1000000}
ncerts=${2:-10000}
work=${BENCH_DIR:-target/bench}
dir="$work/catalog-$ncerts"
log="$work/capture-certs-$requests-$ncerts.log"
mkdir -p "$dir"
if [ "$(find "$dir" -name '*.der' | wc -l)" -lt "$ncerts" ]; then
  echo "making $ncerts certificates in $dir ..."
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$dir/ca.key" \
    -subj "/CN=Bench CA" -days 3650 -out "$dir/ca.pem" 2>/dev/null
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$dir/client.key" \
    -subj "/CN=client" -out "$dir/client.csr" 2>/dev/null
  for i in $(seq 1 "$ncerts"); do
    [ -f "$dir/c$i.der" ] && continue
    openssl x509 -req -in "$dir/client.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" \
      -set_serial "$((100000 + i))" -days $((365 + i % 700)) -subj "/CN=user$i@bench.example/O=Bench" \
      -outform DER -out "$dir/c$i.der" 2>/dev/null
  done
fi
cargo build --release --quiet --bin certtrace --example gen_capture
if [ ! -s "$log" ]; then
  echo "generating $log ..."
  target/release/examples/gen_capture "$requests" "$log" 7 "$dir"
fi
echo "capture: $log ($(( $(stat -c %s "$log") / 1000000 )) MB), catalog: $ncerts certificates"
run() {
  /usr/bin/time -f "%e %M" -o "$work/time.txt" "$@" > "$work/out.ndjson"
  read -r secs kb < "$work/time.txt"
  echo "$secs $kb"
}
for i in 1 2; do
  read -r plain pkb < <(run target/release/certtrace read "$log" --format ndjson)
  read -r named nkb < <(run target/release/certtrace read "$log" --format ndjson --certs "$dir")
  identified=$(grep -c '"cert_status":"identified"' "$work/out.ndjson" || true)
  printf 'run %d: without --certs %6.2f s (%5.1f MB)   with --certs %6.2f s (%5.1f MB)   ratio %.2fx   identified %s\n' \
    "$i" "$plain" "$(awk -v k="$pkb" 'BEGIN{print k/1024}')" "$named" "$(awk -v k="$nkb" 'BEGIN{print k/1024}')" \
    "$(awk -v a="$named" -v b="$plain" 'BEGIN{print a/b}')" "$identified"
done
