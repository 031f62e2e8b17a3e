#!/usr/bin/env bash
# End-to-end latency (line appended -> record on stdout, p50/p99 over 10,000
# appended requests) and the sustained rate `certtrace tail` keeps up with,
# with OS notifications and with --poll. Figures: bench/README-follow.md.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet --bin certtrace --example follow_latency
for mode in "" --poll; do
  target/release/examples/follow_latency --bin target/release/certtrace \
    --requests "${REQUESTS:-10000}" --rate "${RATE:-1000}" --burst "${BURST:-200000}" $mode
done
