# Shared by the tmux scripts: a private tmux server, checks that count
# passes and failures, waiting for text on the screen of pane $PANE.
# The sourcing script sets SOCK, DIR and PANE first.

T() { tmux -L "$SOCK" -f /dev/null "$@"; }
cleanup() { T kill-server 2>/dev/null || true; rm -rf "$DIR"; }
trap cleanup EXIT

pass=0
fail=0
screen() { T capture-pane -p -t "$PANE"; }
ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() {
  fail=$((fail + 1))
  echo "FAIL $1"
  echo "---- screen ----"
  screen || true
  echo "----------------"
}
# wait_for TEXT DESCRIPTION [SECONDS]: the screen shows TEXT within the time
# (default $WAIT_SECONDS, else 10).
wait_for() {
  local deadline=$((SECONDS + ${3:-${WAIT_SECONDS:-10}}))
  while [ $SECONDS -lt "$deadline" ]; do
    if screen | grep -qF -- "$1"; then ok "$2"; return 0; fi
    sleep 0.1
  done
  bad "$2 (expected to see: $1)"
}
# absent TEXT DESCRIPTION: the screen does not show TEXT (now).
absent() {
  if screen | grep -qF -- "$1"; then bad "$2 (did not expect: $1)"; else ok "$2"; fi
}
