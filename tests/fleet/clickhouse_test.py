"""The shipped ClickHouse table and fleet queries against the real engine.

Simulates a fleet of hosts (certtrace demo captures with different seeds and
sizes, some as collector JSON with UTC times, some as DebugView logs), reads
each with `certtrace read --host H --output ... --rotate-size`, loads the
rotated NDJSON files into docs/fleet/clickhouse.sql's table with chdb (the
ClickHouse engine in-process) and checks every query in docs/fleet/queries/
against certtrace's own per-host records.

Usage: clickhouse_test.py CERTTRACE REPO_ROOT WORK_DIR
Exit 0 when every query agrees; otherwise a message and exit 1.
"""

import collections
import datetime
import glob
import json
import os
import subprocess
import sys

from chdb import session

# (host, demo seed, requests, input): "utc" is certtrace's event JSON with
# RFC 3339 times (as a collector writes), "debugview" a DebugView log with
# elapsed times (no date: rows fall back to their arrival time).
FLEET = [
    ("web01", 11, 900, "utc"),
    ("web02", 12, 400, "debugview"),
    ("web03", 13, 700, "utc"),
    ("web04", 14, 250, "debugview"),
    ("web05", 15, 600, "utc"),
    ("web06", 16, 12, "utc"),
]
# Hosts exporting with --redact: the queries must group them all the same.
REDACTED = ("web04",)
FAILURES = ("cert_not_found", "negotiate_failed", "get_cert_failed")
# Elapsed seconds stretched so a capture spans several 5-minute periods.
STRETCH = 900.0
PERIOD = 300


def fail(message):
    print(f"FAIL: {message}", file=sys.stderr)
    sys.exit(1)


def run(cmd):
    r = subprocess.run(cmd, capture_output=True)
    if r.returncode != 0:
        fail(f"{cmd} exited {r.returncode}: {r.stderr.decode(errors='replace')}")
    return r.stdout


def utc_capture(events_path, out_path, base):
    """The demo's event JSON with UTC times from `base` on."""
    with open(events_path) as src, open(out_path, "w") as dst:
        for line in src:
            e = json.loads(line)
            t = base + datetime.timedelta(seconds=float(e["time"]) * STRETCH)
            e["time"] = t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            e["time_kind"] = "utc"
            dst.write(json.dumps(e) + "\n")


def rotated_text(out_dir):
    """The rotated files oldest first, as one text."""
    files = glob.glob(os.path.join(out_dir, "certtrace.ndjson*"))
    def age(p):
        suffix = p.rsplit(".ndjson", 1)[1]
        return -int(suffix[1:]) if suffix else 0
    text = b""
    for p in sorted(files, key=age):
        data = open(p, "rb").read()
        if data and not data.endswith(b"\n"):
            fail(f"{p} ends mid-line")
        text += data
    return text, len(files)


def simulate(certtrace, work):
    """Runs certtrace per host; returns {host: [records]} (its own report)."""
    own = {}
    base = datetime.datetime(2026, 6, 23, 8, 0, tzinfo=datetime.timezone.utc)
    for i, (host, seed, requests, kind) in enumerate(FLEET):
        hdir = os.path.join(work, host)
        demo = os.path.join(hdir, "demo")
        run([certtrace, "demo", "--seed", str(seed), "--requests", str(requests),
             "--write", demo])
        if kind == "utc":
            capture = os.path.join(hdir, "capture.utc.ndjson")
            utc_capture(os.path.join(demo, "capture.ndjson"), capture,
                        base + datetime.timedelta(hours=i))
        else:
            capture = os.path.join(demo, "capture.log")
        common = [certtrace, "read", capture, "--host", host,
                  "--certs", os.path.join(demo, "certs")]
        if host in REDACTED:
            common += ["--redact", "query,subject"]
        report = run(common + ["--format", "ndjson"])
        out_dir = os.path.join(hdir, "out")
        os.makedirs(out_dir)
        run(common + ["--output", os.path.join(out_dir, "certtrace.ndjson"),
                      "--rotate-size", "64K", "--rotate-keep", "1000"])
        text, files = rotated_text(out_dir)
        if text != report:
            fail(f"{host}: the rotated files do not hold the report")
        if requests >= 400 and files < 2:
            fail(f"{host}: {len(report)} bytes were not rotated at 64K")
        own[host] = [json.loads(line) for line in report.splitlines()]
    return own


def statements(path):
    text = "\n".join(l for l in open(path).read().splitlines()
                     if not l.strip().startswith("--"))
    return [s for s in text.split(";") if s.strip()]


def load(work, repo):
    s = session.Session()
    for stmt in statements(os.path.join(repo, "docs/fleet/clickhouse.sql")):
        s.query(stmt)
    for host, *_ in FLEET:
        files = os.path.join(work, host, "out", "certtrace.ndjson*")
        # Records without a host of their own (summary, certificate) take the
        # shipper's, as Filebeat's host.name or Vector's host would give.
        s.query(
            "INSERT INTO certtrace.records SELECT * REPLACE "
            f"(if(host = '', '{host}', host) AS host) "
            f"FROM file('{files}', 'JSONEachRow') "
            "SETTINGS input_format_skip_unknown_fields = 1")
    return s


def query(s, sql):
    out = s.query(sql, "JSONEachRow").bytes().decode()
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def period_of(time):
    t = datetime.datetime.strptime(time, "%Y-%m-%dT%H:%M:%S.%fZ")
    t = t.replace(tzinfo=datetime.timezone.utc)
    start = int(t.timestamp()) // PERIOD * PERIOD
    return datetime.datetime.fromtimestamp(start, datetime.timezone.utc)


def summary(records):
    [s] = [r for r in records if r["type"] == "summary" and not r.get("snapshot")]
    return s


def check_failures(rows, own):
    got_total = collections.Counter()
    got_period = collections.Counter()
    for r in rows:
        got_total[(r["host"], r["hresult"])] += int(r["failures"])
        got_period[(r["period"][:19], r["host"], r["hresult"])] += int(r["failures"])
    want_total = collections.Counter()
    want_period = collections.Counter()
    for host, records in own.items():
        reqs = [r for r in records if r["type"] == "request"]
        failed = [r for r in reqs if r["outcome"] in FAILURES]
        for r in failed:
            want_total[(host, r["hresult"])] += 1
            if r["time_kind"] == "utc":
                p = period_of(r["time"]).strftime("%Y-%m-%d %H:%M:%S")
                want_period[(p, host, r["hresult"])] += 1
        # certtrace's summary counts the same failures.
        outcomes = summary(records)["outcomes"]
        if len(failed) != sum(outcomes.get(o, 0) for o in FAILURES):
            fail(f"{host}: failure requests disagree with the summary")
    if got_total != want_total:
        fail(f"failures per host and HRESULT: {got_total} != {want_total}")
    utc = {k: v for k, v in got_period.items() if k in want_period}
    if utc != want_period:
        fail(f"failures per period: {utc} != {want_period}")
    periods = {k[0] for k in want_period}
    if len(periods) < 3:
        fail(f"the UTC hosts span only {periods}")
    return f"{sum(got_total.values())} failures, {len(periods)} UTC periods"


def check_certificates(rows, own):
    got = {(r["host"], r["thumbprint_sha1"] or f"size {r['der_size']}"): int(r["requests"])
           for r in rows}
    want = collections.Counter()
    for host, records in own.items():
        for c in records:
            if c["type"] != "certificate":
                continue
            if c["cert"]:
                want[(host, c["cert"]["thumbprint_sha1"])] += c["requests"]
            else:
                size = c["unknown_size"] or (c["unknown"] or {}).get("size")
                want[(host, f"size {size}")] += c["requests"]
    if got != dict(want):
        fail(f"certificates per host: {got} != {dict(want)}")
    named = sum(1 for k in got if not k[1].startswith("size"))
    hidden = [r for r in rows if r["host"] in REDACTED and r["thumbprint_sha1"]]
    if not hidden or any(not r["certificate"].startswith("redacted:") for r in hidden):
        fail(f"redacted hosts' subjects: {hidden}")
    return f"{len(got)} certificate rows ({named} identified)"


def check_health(rows, own):
    got = {r["host"]: (int(r["recycle_count"]), int(r["gap_count"]), int(r["requests_lost"]),
                       int(r["read_race_count"]), int(r["events_lost_reports"])) for r in rows}
    want = {}
    for host, records in own.items():
        s = summary(records)
        lost = s["input_problems"].get("events_lost", 0)
        if s["recycles"] or s["gaps"] or lost:
            want[host] = (s["recycles"], s["gaps"], s["missing_requests"],
                          s["read_races"], lost)
    if got != want:
        fail(f"hosts with recycles or gaps: {got} != {want}")
    if len(want) == len(own):
        fail("every simulated host has recycles or gaps: the filter is untested")
    return f"{len(got)} of {len(own)} hosts"


CHECKS = {
    "failures_by_host_hresult.sql": check_failures,
    "certificates_by_host.sql": check_certificates,
    "hosts_with_recycles_or_gaps.sql": check_health,
}


def main():
    certtrace, repo, work = sys.argv[1:4]
    own = simulate(certtrace, work)
    s = load(work, repo)
    loaded = query(s, "SELECT host, count() AS n FROM certtrace.records GROUP BY host")
    want = {h: len(r) for h, r in own.items()}
    if {r["host"]: int(r["n"]) for r in loaded} != want:
        fail(f"rows per host {loaded} != records {want}")
    shipped = sorted(glob.glob(os.path.join(repo, "docs/fleet/queries/*.sql")))
    if not shipped:
        fail("no queries in docs/fleet/queries")
    for path in shipped:
        name = os.path.basename(path)
        if name not in CHECKS:
            fail(f"{name}: a shipped query without a check")
        [sql] = statements(path)
        print(f"{name}: {CHECKS[name](query(s, sql), own)}")


if __name__ == "__main__":
    main()
