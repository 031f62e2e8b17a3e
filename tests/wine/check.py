#!/usr/bin/env python3
"""Assertions for tests/wine/run.sh: reads the capture's JSON lines.

check.py basic  CAPTURE.jsonl PID LOGFILE
check.py filter CAPTURE.jsonl PID OTHER_PID
check.py global CAPTURE.jsonl PID
check.py burst  CAPTURE.jsonl PID ROUNDS

Two kinds of capture output are understood:
- the example driver (examples/livecapture.rs): raw events, JSON objects
  without "type" holding "text" and "pid", and a last line {"summary": ...};
- the CLI's ndjson (`certtrace live --format ndjson`): records with a
  "type"; the "request" records are checked (pid, cnt, uri, cert size/crc,
  assignment "exact" or "inferred": debug output has no thread ids), so the wine
  run also checks the correlation. Other record types are ignored.
"""
import json
import re
import sys

BUILD = " FILE = c:\\src\\mymodule.cpp Build Tue Jun 23 16:23:14 2026"


def module_messages(first):
    """examples/odsproducer.rs MESSAGES, as DebugView shows them."""
    return [
        f"Line: 28 rMsg1638: cnt = {first} URI: https://shop.example:443/login" + BUILD,
        "Line: 45 rMsg1638: cert size: 1042 Previously negotiated 1",
        "Line: 49 rMsg1638: cert crc: 2844112431",
        f"Line: 28 rMsg1638: cnt = {first + 1} URI: http://shop.example:80/" + BUILD,
        "Line: 32 rMsg1638: connection is not using SSL",
        f"Line: 28 rMsg1638: cnt = {first + 2} URI: https://api.example:443/v1" + BUILD,
        "Line: 40 rMsg1638: HR = 80070490  Cert not found",
        "rMsg1638 FAILURE at : 77 HR = 80070032      NegotiateClientCertificate",
    ]


def extras(first):
    return [
        # Reaches the listener in the ANSI code page: characters it lacks become '?'.
        re.compile(
            re.escape(f"Line: 28 rMsg1638: cnt = {first + 3} URI: https://b")
            + "(ü|\\?)cher\\.example:443/stra(ß|\\?)e"
            + re.escape(BUILD)
        ),
        "Line: 99 rMsg1638: first line",
        "Line: 99 rMsg1638: second line",
    ]


def load(path):
    events, requests, summary = [], [], None
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            obj = json.loads(line)
            if "summary" in obj and len(obj) == 1:
                summary = obj["summary"]
            elif obj.get("type") == "request":
                requests.append(obj)
            elif "type" not in obj and any(isinstance(obj.get(k), str) for k in ("text", "message")):
                # raw events (the example driver); the CLI's records all have a "type"
                events.append(obj)
    return events, requests, summary


URIS = ["https://shop.example:443/login", "http://shop.example:80/", "https://api.example:443/v1"]


def expect_requests(requests, pid, rounds, extras=False):
    """The CLI's correlated request records (certtrace ndjson, type "request")."""
    per = 4 if extras else 3
    got = sorted((r.get("cnt"), r) for r in requests)
    cnts = [c for c, _ in got]
    assert cnts == list(range(1, rounds * per + 1)), f"request counters {cnts}"
    for cnt, r in got:
        assert r.get("pid") == pid, f"request {cnt}: pid {r.get('pid')}"
        k = (cnt - 1) % per
        if k < 3:
            assert r.get("uri") == URIS[k], f"request {cnt}: uri {r.get('uri')!r}"
        if k == 0:
            assert r.get("cert_size") == 1042 and r.get("cert_crc") == 2844112431, r
        # DebugView-style capture has no thread ids: a request is "exact"
        # only when no other open request could have taken its messages.
        assert r.get("assignment") in ("exact", "inferred"), r
        assert r.get("tid") is None, r


def text_of(ev):
    for k in ("text", "message"):
        if isinstance(ev.get(k), str):
            return ev[k]
    raise AssertionError(f"event without text: {ev}")


def same(expected, got):
    if isinstance(expected, str):
        return expected == got
    return expected.fullmatch(got) is not None


def expect_texts(events, expected):
    got = [text_of(e) for e in events]
    assert len(got) == len(expected), f"{len(got)} events, expected {len(expected)}:\n" + "\n".join(got)
    for i, (e, g) in enumerate(zip(expected, got)):
        assert same(e, g), f"event {i + 1}: got {g!r}, expected {e!r}"


def check_log(path, expected, pid):
    """--save FILE.log: DebugView format, one line per message line."""
    with open(path, "rb") as f:
        log = f.read().decode("utf-8", "replace")
    lines = log.split("\r\n")
    assert lines[-1] == "", "log must end in CRLF"
    lines = lines[:-1]
    assert len(lines) == len(expected), f"{len(lines)} log lines"
    for n, (line, exp) in enumerate(zip(lines, expected), start=1):
        m = re.fullmatch(r"(\d{8})\t(\d+\.\d{8})\t\[(\d+)\] (.*)\t", line)
        assert m, f"log line {n} not in DebugView format: {line!r}"
        assert int(m.group(1)) == n and int(m.group(3)) == pid, line
        assert same(exp, m.group(4)), f"log line {n}: {m.group(4)!r}"


def main():
    kind, path = sys.argv[1], sys.argv[2]
    events, requests, summary = load(path)
    pid = int(sys.argv[3])
    if requests or not events:
        # The real CLI: correlated requests instead of (or besides) raw events.
        rounds = {"basic": 1, "filter": 2, "global": 1}.get(kind) or int(sys.argv[4])
        expect_requests(requests, pid, rounds, extras=(kind == "basic"))
        if not events:
            if kind == "basic":
                check_log(sys.argv[4], module_messages(1) + extras(1), pid)
            return
    if kind == "basic":
        expected = module_messages(1) + extras(1)
        expect_texts(events, expected)
        assert all(e.get("pid") == pid for e in events), f"pids: {[e.get('pid') for e in events]}"
        if summary is not None:
            origins = [e["origin"] for e in events]
            assert origins == [f"dbwin#{i}" for i in range(1, 12)], origins
            assert all(e["time"] and e["time"].endswith("Z") for e in events)
            assert summary["events"] == 11, summary
            assert summary["processes"].get(str(pid)) == "odsproducer.exe", summary
            assert summary["end"]["kind"] == "stopped", summary
        check_log(sys.argv[4], expected, pid)
    elif kind == "filter":
        other = int(sys.argv[4])
        assert pid != other
        pids = {e.get("pid") for e in events}
        assert pids == {pid}, f"pids seen: {pids}"
        expect_texts(events, module_messages(1) + module_messages(4))
        if summary is not None:
            assert summary["filtered_out"] >= 1, summary
            assert summary["processes"].get(str(other)) == "otherproducer.exe", summary
    elif kind == "burst":
        rounds = int(sys.argv[4])
        expected = [m for r in range(rounds) for m in module_messages(3 * r + 1)]
        expect_texts(events, expected)
        assert all(e.get("pid") == pid for e in events)
    elif kind == "global":
        expect_texts(events, module_messages(1))
        assert all(e.get("pid") == pid for e in events)
        if summary is not None:
            assert all(e["origin"].startswith("dbwin:global#") for e in events)
    else:
        raise SystemExit(f"unknown check {kind}")


if __name__ == "__main__":
    try:
        main()
    except AssertionError as e:
        print(f"check.py {sys.argv[1]}: {e}", file=sys.stderr)
        sys.exit(1)
