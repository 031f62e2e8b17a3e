#!/usr/bin/env python3
"""Assertions for tests/wine/run.sh: reads the capture's JSON lines.

check.py basic  CAPTURE.jsonl PID LOGFILE
check.py filter CAPTURE.jsonl PID OTHER_PID
check.py global CAPTURE.jsonl PID
check.py burst  CAPTURE.jsonl PID ROUNDS

Event lines are the JSON objects with the message under "text" (or
"message") and a "pid"; other objects (e.g. request records a CLI may add)
are ignored. The example driver's last line is {"summary": {...}} (absent
with the CLI, so the summary checks are skipped there).
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
    events, summary = [], None
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            obj = json.loads(line)
            if "summary" in obj and len(obj) == 1:
                summary = obj["summary"]
            elif any(isinstance(obj.get(k), str) for k in ("text", "message")):
                events.append(obj)
    return events, summary


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


def main():
    kind, path = sys.argv[1], sys.argv[2]
    events, summary = load(path)
    pid = int(sys.argv[3])
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
        with open(sys.argv[4], "rb") as f:
            log = f.read().decode("utf-8", "replace")
        lines = log.split("\r\n")
        assert lines[-1] == "", "log must end in CRLF"
        lines = lines[:-1]
        assert len(lines) == 11, f"{len(lines)} log lines"
        for n, (line, exp) in enumerate(zip(lines, expected), start=1):
            m = re.fullmatch(r"(\d{8})\t(\d+\.\d{8})\t\[(\d+)\] (.*)\t", line)
            assert m, f"log line {n} not in DebugView format: {line!r}"
            assert int(m.group(1)) == n and int(m.group(3)) == pid, line
            assert same(exp, m.group(4)), f"log line {n}: {m.group(4)!r}"
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
