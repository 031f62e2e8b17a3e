#!/usr/bin/env bash
# Tests OutputDebugString capture (DBWIN) for real, under wine.
#
#   tests/wine/run.sh            # install what is missing, build, run, assert
#
# Builds the Windows binaries (x86_64-pc-windows-gnu), starts the capture
# under wine, runs examples/odsproducer.exe (OutputDebugStringA/W with the
# IIS module's messages) and checks the captured texts, pids, process
# names, the --process filter, --save FILE.log, the "another listener"
# detection, --global (Global\ names) and the ETW error message under wine.
#
# Which capture program runs is one variable:
#   CAPTURE=example (default)  examples/livecapture.exe, JSON lines + summary
#   CAPTURE=cli                certtrace.exe $CLI_LIVE ... (once `certtrace live`
#                              is wired into the CLI); CLI_LIVE defaults to
#                              "live --format ndjson". The CLI runs until it is
#                              interrupted: SIGINT (wine turns it into Ctrl-C)
#                              1.6 s after the producer is done.
#
# DBWIN object names are machine-wide (per wineserver): the script holds a
# lock so that two runs never overlap, and uses its own wine prefix.
#
# Needs: rustup target x86_64-pc-windows-gnu (std installed), and Debian's
# wine + gcc-mingw-w64-x86-64 (installed here with apt-get when missing and
# running as root). Wine 8 lacks bcryptprimitives.dll (ProcessPrng), which
# every Rust >= 1.78 Windows binary imports: a stand-in DLL is built with
# mingw and put in the prefix's system32.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
CAPTURE=${CAPTURE:-example}
PROFILE_DIR=debug
TARGET=x86_64-pc-windows-gnu
export WINEPREFIX=${CERTTRACE_WINEPREFIX:-${XDG_CACHE_HOME:-$HOME/.cache}/certtrace-wine}
export WINEDEBUG=-all
export WINEDLLOVERRIDES="mscoree,mshtml="
work=$(mktemp -d)
started=$(date +%s)

say() { printf 'wine-test: %s\n' "$*" >&2; }
fail() { say "FAIL: $*"; exit 1; }

# ---- one run at a time --------------------------------------------------
exec 9>"${TMPDIR:-/tmp}/certtrace-wine-test.lock"
if ! flock -w 900 9; then
    fail "another tests/wine/run.sh is still running after 15 min"
fi

cleanup() {
    local rc=$?
    [ -n "${cap_pid:-}" ] && kill "$cap_pid" 2>/dev/null || true
    wineserver -k 2>/dev/null || true
    rm -rf "$work"
    exit $rc
}
trap cleanup EXIT

# ---- tools ----------------------------------------------------------------
need_apt=()
command -v wine >/dev/null || need_apt+=(wine wine64)
command -v x86_64-w64-mingw32-gcc >/dev/null || need_apt+=(gcc-mingw-w64-x86-64)
if [ ${#need_apt[@]} -gt 0 ]; then
    [ "$(id -u)" = 0 ] || fail "missing ${need_apt[*]}: install them (apt-get install ${need_apt[*]})"
    say "installing ${need_apt[*]}"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi
if ! rustup target list --installed 2>/dev/null | grep -qx "$TARGET"; then
    rustup target add "$TARGET" >/dev/null 2>&1 || fail "the Rust target $TARGET is not installed"
fi
command -v python3 >/dev/null || fail "python3 is needed for the assertions"

# ---- build ----------------------------------------------------------------
# No debug info for these Windows binaries: about a quarter less CPU and a
# much faster link on a cold build (CI budget), nothing lost for the checks.
export CARGO_PROFILE_DEV_DEBUG=${CARGO_PROFILE_DEV_DEBUG:-0}
say "building for $TARGET"
t0=$(date +%s)
cd "$root"
if [ "$CAPTURE" = cli ]; then
    cargo build -q --target "$TARGET" --bin certtrace --example odsproducer
else
    cargo build -q --target "$TARGET" --example livecapture --example odsproducer
fi
say "build took $(( $(date +%s) - t0 )) s"
# Where cargo puts the binaries: CARGO_TARGET_DIR, a config's build.target-dir
# or ./target, as cargo itself says.
target_dir=$(cd "$root" && cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])') ||
    fail "cargo metadata did not name the target directory"
bin="$target_dir/$TARGET/$PROFILE_DIR"
producer="$bin/examples/odsproducer.exe"

# ---- wine prefix with the ProcessPrng stand-in ------------------------------
t0=$(date +%s)
if [ ! -f "$WINEPREFIX/system.reg" ]; then
    say "creating wine prefix $WINEPREFIX"
    mkdir -p "$WINEPREFIX"
    wineboot -i >/dev/null 2>&1 || true
    wineserver -w
fi
sys32="$WINEPREFIX/drive_c/windows/system32"
if [ ! -f "$sys32/bcryptprimitives.dll" ]; then
    cat > "$work/bcryptprimitives.c" <<'C'
/* Stand-in for Windows' bcryptprimitives.dll, missing in wine 8:
   Rust's std (>= 1.78) imports ProcessPrng for its random numbers. */
#include <windows.h>
typedef BOOLEAN (WINAPI *RtlGenRandomFn)(PVOID, ULONG);
BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
    static RtlGenRandomFn gen;
    if (!gen) gen = (RtlGenRandomFn)GetProcAddress(LoadLibraryA("advapi32.dll"), "SystemFunction036");
    if (!gen) return FALSE;
    while (len > 0) {
        ULONG chunk = len > 0x10000000 ? 0x10000000 : (ULONG)len;
        if (!gen(data, chunk)) return FALSE;
        data += chunk; len -= chunk;
    }
    return TRUE;
}
BOOL WINAPI DllMain(HINSTANCE h, DWORD reason, LPVOID reserved) { return TRUE; }
C
    x86_64-w64-mingw32-gcc -shared -O2 -o "$sys32/bcryptprimitives.dll" \
        "$work/bcryptprimitives.c" -Wl,--kill-at
fi
wineserver -p 30 # keep one wineserver for the whole run (faster starts)
say "wine prefix ready in $(( $(date +%s) - t0 )) s"

# ---- helpers ------------------------------------------------------------------
# capture OUT ARGS...: starts the capture in the background (cap_pid).
capture() {
    local out=$1; shift
    if [ "$CAPTURE" = cli ]; then
        # shellcheck disable=SC2086
        wine "$bin/certtrace.exe" ${CLI_LIVE:-live --format ndjson} "$@" \
            >"$out" 2>"$out.err" &
    else
        wine "$bin/examples/livecapture.exe" --seconds 25 "$@" >"$out" 2>"$out.err" &
    fi
    cap_pid=$!
}

# finish: waits for the capture to end by itself (example: --count), else
# interrupts it like Ctrl-C, then kills it.
finish() {
    local waited=0 limit=50
    # The CLI runs until interrupted: give the last messages a moment only.
    [ "$CAPTURE" = cli ] && limit=8
    while kill -0 "$cap_pid" 2>/dev/null && [ $waited -lt $limit ]; do
        sleep 0.2; waited=$((waited + 1))
    done
    if kill -0 "$cap_pid" 2>/dev/null; then
        kill -INT "$cap_pid" 2>/dev/null || true
        sleep 2
        kill "$cap_pid" 2>/dev/null || true
    fi
    wait "$cap_pid" 2>/dev/null || true
    cap_pid=
}

produce() { # produce LOG ARGS... → prints the producer's pid
    local log=$1; shift
    wine "$producer" --wait-listener 20 "$@" >"$log.prod" 2>&1 || {
        cat "$log.prod" >&2; fail "producer failed"; }
    sed -n 's/^pid \([0-9]*\).*/\1/p' "$log.prod" | head -1
}

check() { python3 "$here/check.py" "$@" || fail "check $1 failed"; }

count_arg() { [ "$CAPTURE" = cli ] && return 0; echo "--count $1"; }

# ---- 0. the live module's unit tests as Windows binaries ---------------------------
t0=$(date +%s)
say "cargo test --target $TARGET --lib live:: (wine as the runner)"
CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER=wine \
    cargo test -q --target "$TARGET" --lib live:: -- --test-threads=1 >"$work/unit.out" 2>&1 || {
    cat "$work/unit.out" >&2; fail "unit tests under wine"; }
grep "test result" "$work/unit.out" >&2
say "unit tests under wine took $(( $(date +%s) - t0 )) s"

# ---- 1. the module's messages through OutputDebugStringA/W -----------------------
# shellcheck disable=SC2046
capture "$work/basic.jsonl" --debug-output --save 'Z:'"$work/basic.log" $(count_arg 11)
pid=$(produce "$work/basic" --extras)
finish
check basic "$work/basic.jsonl" "$pid" "$work/basic.log"
say "ok: OutputDebugStringA/W captured with pid $pid, split lines, ANSI decoding, --save FILE.log"

# ---- 2. two writer processes, --process filter -------------------------------
cp "$producer" "$work/otherproducer.exe"
# shellcheck disable=SC2046
capture "$work/filter.jsonl" --debug-output --process odsproducer $(count_arg 16)
wine "$work/otherproducer.exe" --wait-listener 20 --repeat 2 --delay-ms 5 >"$work/other.prod" 2>&1 &
other_bg=$!
pid=$(produce "$work/filter" --repeat 2 --delay-ms 5)
wait $other_bg || fail "second producer failed"
other=$(sed -n 's/^pid \([0-9]*\).*/\1/p' "$work/other.prod" | head -1)
finish
check filter "$work/filter.jsonl" "$pid" "$other"
say "ok: two processes interleaved, --process kept pid $pid only, filtered pid $other"

# ---- 3. a burst: 800 messages as fast as the writer can send them ---------------
# shellcheck disable=SC2046
capture "$work/burst.jsonl" --debug-output $(count_arg 800)
t1=$(date +%s%N)
pid=$(produce "$work/burst" --repeat 100)
ms=$(( ($(date +%s%N) - t1) / 1000000 ))
finish
check burst "$work/burst.jsonl" "$pid" 100
say "ok: a burst of 800 messages (${ms} ms to send) captured complete and in order"

# ---- 4. another listener already owns DBWIN ------------------------------------
capture "$work/first.jsonl" --debug-output
first=$cap_pid
sleep 0.2
wine "$producer" --wait-listener 20 >/dev/null 2>&1 || fail "listener did not start"
t1=$(date +%s)
if [ "$CAPTURE" = cli ]; then
    # shellcheck disable=SC2086
    second_rc=0; timeout 20 wine "$bin/certtrace.exe" ${CLI_LIVE:-live --format ndjson} --debug-output >"$work/second.out" 2>&1 || second_rc=$?
else
    second_rc=0; timeout 20 wine "$bin/examples/livecapture.exe" --debug-output --seconds 5 >"$work/second.out" 2>&1 || second_rc=$?
fi
[ $(( $(date +%s) - t1 )) -lt 5 ] || fail "second listener took too long (hang?)"
[ "$second_rc" -ne 0 ] && [ "$second_rc" -ne 124 ] || fail "second listener did not fail (rc $second_rc)"
grep -q "already owns DBWIN_BUFFER_READY" "$work/second.out" || { cat "$work/second.out" >&2; fail "no clear message"; }
cap_pid=$first; finish
say "ok: a second listener fails at once: $(grep -o 'another debug-output listener[^;]*' "$work/second.out")"

# ---- 5. --global (Global\ objects, as IIS workers in session 0 reach them) ---------
# shellcheck disable=SC2046
capture "$work/global.jsonl" --debug-output --global $(count_arg 8)
pid=$(produce "$work/global" --raw-protocol --global)
finish
check global "$work/global.jsonl" "$pid"
say "ok: --global captured the DBWIN protocol on Global\\ names (pid $pid)"

# ---- 6. ETW under wine: a clear error, no hang, no half-made session -------------
# Wine's ETW functions are stubs: ControlTraceW says every session exists,
# StartTraceW and EnableTraceEx2 succeed, OpenTraceW fails (access denied).
# That walks certtrace through "leftover session replaced" and "start failed
# half-way: stop the session", which the eventlog fixme trace shows in order.
etw_rc=0
if [ "$CAPTURE" = cli ]; then
    # shellcheck disable=SC2086
    WINEDEBUG=-all,fixme+eventlog timeout 20 wine "$bin/certtrace.exe" ${CLI_LIVE:-live --format ndjson} --etw MyCompany.MyComponent >"$work/etw.out" 2>&1 || etw_rc=$?
else
    WINEDEBUG=-all,fixme+eventlog timeout 20 wine "$bin/examples/livecapture.exe" --etw MyCompany.MyComponent --seconds 3 >"$work/etw.out" 2>&1 || etw_rc=$?
fi
[ "$etw_rc" -ne 0 ] && [ "$etw_rc" -ne 124 ] || { cat "$work/etw.out" >&2; fail "ETW under wine: rc $etw_rc"; }
grep -q 'Performance Log Users' "$work/etw.out" || { cat "$work/etw.out" >&2; fail "ETW error message"; }
grep -q 'was left over by an earlier run' "$work/etw.out" || { cat "$work/etw.out" >&2; fail "leftover session notice"; }
grep -q 'ce5fa4ea-ab00-5402-8b76-9f76ac858fb5' "$work/etw.out" || fail "provider name not hashed to its GUID"
# the Win32 calls in order: query, stop leftover, start, enable, open (fails), stop
calls=$(sed -n 's/.*fixme:eventlog:\([A-Za-z0-9]*\) *(\{0,1\}\(.*\)/\1 \2/p' "$work/etw.out" |
    awk '{ if ($1 == "ControlTraceW") { n = split($0, a, ", "); sub(/\).*/, "", a[n]); print $1 "(" a[n] ")" } else print $1 }' |
    tr '\n' ' ')
expected="ControlTraceW(0) ControlTraceW(1) StartTraceW EnableTraceEx2 OpenTraceW ControlTraceW(1) "
[ "$calls" = "$expected" ] || { cat "$work/etw.out" >&2; fail "ETW call sequence: '$calls', expected '$expected'"; }
say "ok: ETW under wine: leftover replaced, half-made session stopped, rights message ($calls)"

say "all wine checks passed in $(( $(date +%s) - started )) s (unit tests + checks: $(( $(date +%s) - t0 )) s)"
echo "7 passed, 0 failed"
