#!/usr/bin/env bash
# The live dashboard as a user sees it: `certtrace tail` runs in a real
# terminal (a private tmux server), a capture grows beside it, keys are
# typed with `send-keys`, the screen is read with `capture-pane`.
# Checks: screen contents, pause, pid/outcome filters, resize, quit with
# the summary on the normal screen, exit code.
#
# usage: tests/tmux/dashboard.sh [CERTTRACE_BINARY]
#   (default: $CERTTRACE_BIN, else target/debug/certtrace; build it first)
# Needs tmux (apt-get install -y tmux). Exits 0 when every check passed.
set -euo pipefail
export LC_ALL=C.UTF-8

BIN=${1:-${CERTTRACE_BIN:-target/debug/certtrace}}
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
[ -x "$BIN" ] || { echo "dashboard.sh: no binary at $BIN (cargo build first)" >&2; exit 2; }
command -v tmux >/dev/null || { echo "dashboard.sh: tmux is not installed" >&2; exit 2; }

SOCK="certtrace-test-$$"
DIR=$(mktemp -d)
PANE=dash
# shellcheck source=tests/tmux/lib.sh
. "$(dirname "$0")/lib.sh"

LOG="$DIR/capture.log"
: >"$LOG"
i=0
entry() { # pid message
  i=$((i + 1))
  printf '%08d\t%d.%06d\t[%s] %s\t\r\n' "$i" $((i / 100)) $((i % 100 * 10000)) "$1" "$2" >>"$LOG"
}
request_ok() { # pid cnt uri
  entry "$1" "Line: 28 rMsg1638: cnt = $2 URI: $3"
  entry "$1" "Line: 45 rMsg1638: cert size: 1042 Previously negotiated 1"
  entry "$1" "Line: 49 rMsg1638: cert crc: 2844112431"
}
request_plain() { # pid cnt uri
  entry "$1" "Line: 28 rMsg1638: cnt = $2 URI: $3"
  entry "$1" "Line: 32 rMsg1638: connection is not using SSL"
}
request_not_found() { # pid cnt uri
  entry "$1" "Line: 28 rMsg1638: cnt = $2 URI: $3"
  entry "$1" "Line: 40 rMsg1638: HR = 80070490  Cert not found"
}

# A session that outlives the others: killing the last session ends the
# server, and a new session may then meet a server that is exiting.
T new-session -d -s keep "sleep 3600"
T new-session -d -s dash -x 120 -y 40 \
  "cd '$DIR' && '$BIN' tail capture.log; echo \"EXIT=\$?\"; sleep 600"

wait_for "certtrace live · capture.log" "dashboard starts on the alternate screen"
wait_for "waiting for requests" "empty table while the file is empty"
wait_for "q quit · p pause" "key help in the footer"

# The capture grows in steps.
request_ok 5120 1 "https://shop.example:443/login"
request_plain 5120 2 "http://shop.example:80/"
wait_for "requests 2 ·" "first requests counted"
wait_for "https://shop.example:443/login" "latest requests list the URI"
request_not_found 6044 7 "https://api.example:443/v1"
request_ok 6044 9 "https://api.example:443/v2"
wait_for "requests 4 ·" "more requests counted"
wait_for "cert_not_found 80070490 ERROR_NOT_FOUND" "recent failure with HRESULT name"
wait_for "no client cert" "failure hint"
# A missing counter is reported once it had a second or two to arrive out
# of order.
wait_for "cnt 8 never printed" "counter gap shown as it happens" 5
for c in $(seq 10 79); do request_plain 6044 "$c" "http://api.example:80/p$c"; done
wait_for "unidentified, 1042 bytes · seen 2×" "certificates seen"
wait_for "6044#1" "per-instance rates"
entry 6044 "Line: 27 rMsg1638: DBGVIEWCLEAR DBG-VIEW-CLEAR RegisterModule one time call when loading DLL"
request_plain 6044 1 "http://api.example:80/after-recycle"
wait_for "6044#2 replaces 6044#1" "recycle shown as it happens"

# Outcome filter: failures only.
T send-keys -t dash o
wait_for "outcome=failures" "o filters by outcome"
absent "http://api.example:80/p79" "other rows hidden by the failure filter"
T send-keys -t dash c
wait_for "http://api.example:80/p79" "c clears filters"
# Pid filter.
T send-keys -t dash i
wait_for "pid=5120" "i filters by pid"
absent "https://api.example:443/v2" "other pid hidden"
T send-keys -t dash c
wait_for "p79" "pid filter cleared"

# Pause: the view freezes while the capture grows.
T send-keys -t dash p
wait_for "PAUSED" "p pauses"
request_plain 5120 3 "http://shop.example:80/while-paused"
wait_for "PAUSED (1 new)" "paused view counts new requests"
absent "while-paused" "paused view does not scroll"
T send-keys -t dash p
wait_for "while-paused" "resume shows what came meanwhile"
absent "PAUSED" "resumed"

# Resize: the frame fits the new size.
T resize-window -t dash -x 70 -y 18
sleep 0.5
wait_for "q quit" "footer after resize"
fits=1
while IFS= read -r l; do [ "${#l}" -le 70 ] || fits=0; done < <(screen)
if [ "$fits" = 1 ]; then ok "lines fit 70 columns"; else bad "lines fit 70 columns"; fi
rows=$(screen | wc -l)
if [ "$rows" -le 18 ]; then ok "frame fits 18 rows"; else bad "frame fits 18 rows ($rows)"; fi
T resize-window -t dash -x 140 -y 45
wait_for "certificates seen" "larger again: all sections back"

# Quit: the normal screen gets the summary; exit 0.
T send-keys -t dash q
wait_for "EXIT=0" "q quits with exit code 0"
wait_for "requests in" "final summary on the normal screen"
absent "q quit · p pause" "alternate screen left"

# Ctrl-C: also leaves the dashboard with the summary, exit 130 as documented.
T kill-session -t dash
T new-session -d -s dash -x 100 -y 30 \
  "cd '$DIR' && '$BIN' tail capture.log; echo \"EXIT=\$?\"; sleep 600"
wait_for "certtrace live · capture.log" "second dashboard starts"
T send-keys -t dash C-c
wait_for "EXIT=130" "Ctrl-C quits with exit code 130"
wait_for "requests in" "summary after Ctrl-C"

[ "$fail" -eq 0 ] || ps -eLo pid,tid,stat,wchan:24,comm | grep -E "certtrace|PID" || true
echo "dashboard: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
