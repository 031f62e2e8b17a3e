#!/usr/bin/env bash
# The report as a user sees it: `certtrace read` of the demo capture with
# its catalog, in a real terminal (a private tmux server) of 80x24 and of
# 120x40, through the default pager (less). Checks: the verdict on the
# first screen, no line wider than the terminal, the expired certificate
# flagged, quitting the pager early, a missing pager, piped output.
#
# usage: tests/tmux/report.sh [CERTTRACE_BINARY]
#   (default: $CERTTRACE_BIN, else target/debug/certtrace; build it first)
# Needs tmux and less. Exits 0 when every check passed.
set -euo pipefail
export LC_ALL=C.UTF-8

BIN=${1:-${CERTTRACE_BIN:-target/debug/certtrace}}
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
[ -x "$BIN" ] || { echo "report.sh: no binary at $BIN (cargo build first)" >&2; exit 2; }
for tool in tmux less; do
  command -v "$tool" >/dev/null || { echo "report.sh: $tool is not installed" >&2; exit 2; }
done

SOCK="certtrace-report-$$"
DIR=$(mktemp -d)
PANE=rep
WAIT_SECONDS=15
# shellcheck source=tests/tmux/lib.sh
. "$(dirname "$0")/lib.sh"
# Everything the pane printed (history too), wrapped lines joined: a line
# wider than the pane shows as one long line.
history() { T capture-pane -p -J -S - -t rep; }
# fits WIDTH DESCRIPTION TEXT...: no line of the text is wider than WIDTH.
fits() {
  local width=$1 what=$2 widest
  shift 2
  widest=$(printf '%s\n' "$@" | wc -L)
  if [ "$widest" -le "$width" ]; then ok "$what ($widest)"; else bad "$what: a line of $widest columns"; fi
}
# run W H COMMAND: a fresh pane of W x H running COMMAND, then the exit code.
run() {
  T kill-session -t rep 2>/dev/null || true
  T new-session -d -s rep -x "$1" -y "$2" \
    "cd '$DIR' && env -u PAGER -u LESS $3; echo \"EXIT=\$?\"; sleep 600"
}

# A session that outlives the others: killing the last session ends the
# server, and a new session may then meet a server that is exiting.
T new-session -d -s keep "sleep 3600"

"$BIN" demo --write "$DIR/demo" >/dev/null
READ="'$BIN' read demo/capture.log --certs demo/certs"

for size in 80x24 120x40; do
  W=${size%x*}
  H=${size#*x}
  run "$W" "$H" "$READ"
  wait_for "requests in 5 worker-process instances" "$size: the verdict"
  first=$(screen | head -1)
  case "$first" in
    *"requests in 5 worker-process instances"*) ok "$size: the verdict is the first line" ;;
    *) bad "$size: the verdict is the first line (got: $first)" ;;
  esac
  wait_for "Failures by HRESULT" "$size: failures on the first screen"
  absent "EXIT=" "$size: the pager holds the long report"
  fits "$W" "$size: the first screen fits" "$(screen)"
  # Find the certificates as a user would: search in the pager.
  T send-keys -t rep "/frank@" Enter
  wait_for "frank@contoso.example" "$size: pager search finds the expired certificate"
  if screen | grep -F "frank@contoso.example" | grep -qF "expired"; then
    ok "$size: the expired certificate is flagged in its row"
  else
    bad "$size: the expired certificate is flagged in its row"
  fi
  # Ctrl-C is the pager's while it shows the report.
  T send-keys -t rep C-c
  sleep 0.3
  T send-keys -t rep C-c
  sleep 0.5
  absent "EXIT=" "$size: Ctrl-C in the pager does not end certtrace"
  T send-keys -t rep q
  wait_for "EXIT=0" "$size: q quits the pager, exit 0"

  # Without the pager the whole report is in the pane's history.
  run "$W" "$H" "$READ --paging never"
  wait_for "EXIT=0" "$size: --paging never prints and exits 0"
  all=$(history)
  fits "$W" "$size: every line of the report fits" "$all"
  if printf '%s\n' "$all" | grep -F "frank@contoso.example" | grep -qF "expired"; then
    ok "$size: expired certificate flagged (whole report)"
  else
    bad "$size: expired certificate flagged (whole report)"
  fi
  if printf '%s\n' "$all" | grep -qF -- "--requests lists them"; then
    ok "$size: says how to list the requests"
  else
    bad "$size: says how to list the requests"
  fi
done

# Quitting the pager long before the end of a long report (--requests: more
# than the pipe holds) ends quietly with exit 0.
run 80 24 "$READ --requests"
wait_for "requests in 5 worker-process instances" "long report in the pager"
T send-keys -t rep q
wait_for "EXIT=0" "quitting early: exit 0"
absent "certtrace:" "quitting early: no error message"

# A pager that does not exist: the report is printed, with a warning.
run 80 24 "PAGER=no-such-pager-here $READ"
wait_for "EXIT=0" "missing pager: exit 0"
if history | grep -qF "no-such-pager-here"; then
  ok "missing pager: said on stderr"
else
  bad "missing pager: said on stderr"
fi
if history | grep -qF "requests in 5 worker-process instances"; then
  ok "missing pager: the report is printed"
else
  bad "missing pager: the report is printed"
fi

# A report that fits the screen is printed as it is; --paging always pages
# it anyway.
printf '%s\t%s\t[%s] %s\t\r\n' \
  1 0.000000 5120 "Line: 28 rMsg1638: cnt = 1 URI: https://shop.example:443/login" \
  2 0.000041 5120 "Line: 45 rMsg1638: cert size: 1042 Previously negotiated 1" \
  3 0.000053 5120 "Line: 49 rMsg1638: cert crc: 2844112431" \
  4 0.018300 6044 "Line: 28 rMsg1638: cnt = 7 URI: https://api.example:443/v1" \
  5 0.018312 6044 "Line: 40 rMsg1638: HR = 80070490  Cert not found" >"$DIR/small.log"
run 120 40 "'$BIN' read small.log"
wait_for "EXIT=0" "short report: printed without a pager"
wait_for "https://api.example:443/v1" "short report: its requests listed"
run 120 40 "'$BIN' read small.log --paging always"
wait_for "2 requests in 2 worker-process instances" "--paging always: the short report"
absent "EXIT=" "--paging always: held by the pager"
T send-keys -t rep q
wait_for "EXIT=0" "--paging always: q quits, exit 0"

# Piped: no pager, the table only when asked for.
run 80 24 "$READ -o table | head -2"
wait_for "EXIT=0" "piped table: exit 0"
wait_for "requests in 5 worker-process instances" "piped table: the verdict first"
absent "(END)" "piped table: no pager"

echo "report: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
