#!/usr/bin/env python3
"""Independent expected values for certtrace's `.etl` reader tests.

Uses dissect.etl (https://pypi.org/project/dissect.etl/, `pip install dissect.etl`)
to walk every record of an ETL file and prints, as JSON, the facts the Rust
tests compare against: header fields, record counts per header kind, and one
canonical line per record (`<type hex> <filetime|-> <pid|-> <tid|-> <guid|->`)
given in clear for the first records and as a SHA-256 over all of them.

Usage: python3 tests/oracle/etl_oracle.py FILE.etl > tests/data/etl/expected/FILE.json

Notes on dissect.etl (3.14) quirks worked around here:
- EventHeader.provider_id reads the GUID big-endian (`UUID(bytes=...)`); the
  raw 16 bytes are re-read little-endian (Windows GUID layout) instead.
- A record's time is taken as FILETIME ticks via get_filetime_for_event, not
  the microsecond datetime, so the comparison is exact to 100 ns.
"""
import hashlib
import json
import sys
import uuid

from dissect.etl.etl import ETL


def rec_facts(etl, h):
    t = h._marker.header_type
    name = type(h).__name__
    ft = pid = tid = guid = None
    try:
        d = h.time_delta
        if d is not None:
            ft = etl.get_filetime_for_event(d)
    except Exception:
        pass
    if name in ("SystemHeader", "CompactSystemHeader"):
        pid, tid = h.process_id, h.thread_id
    elif name in ("EventHeader", "EventTraceHeader", "EventInstanceGUIDHeader"):
        pid, tid = h.process_id, h.thread_id
        guid = str(uuid.UUID(bytes_le=bytes(h.header.ProviderId)))
    elif name == "MessageTraceHeader":
        pid, tid = h.process_id, h.thread_id
        guid = str(h.provider_id) if h.provider_id is not None else None
    return t, ft, pid, tid, guid


def main(path):
    etl = ETL(open(path, "rb"))
    lh = etl.logfile_header
    hdr = lh.header
    counts = {}
    lines = []
    providers = {}
    for rec in etl:
        h = rec.header
        t, ft, pid, tid, guid = rec_facts(etl, h)
        counts[f"{t:#04x}"] = counts.get(f"{t:#04x}", 0) + 1
        if guid is not None:
            providers[guid] = providers.get(guid, 0) + 1
        f = lambda v: "-" if v is None else str(v)
        lines.append(f"{t:02x} {f(ft)} {f(pid)} {f(tid)} {f(guid)}")
    digest = hashlib.sha256("".join(l + "\n" for l in lines).encode()).hexdigest()
    out = {
        "file": path.rsplit("/", 1)[-1],
        "pointer_size": etl.pointer_size,
        "buffer_size": hdr.BufferSize,
        "buffers_written": hdr.BuffersWritten,
        "clock_type": hdr.ReservedFlags,
        "perf_freq": hdr.PerfFreq,
        "start_filetime": hdr.StartTime,
        "end_filetime": hdr.EndTime,
        "events_lost": hdr.EventsLost,
        "buffers_lost": hdr.BufferLost,
        "logger_name": lh.logger_name,
        "records": len(lines),
        "header_kinds": dict(sorted(counts.items())),
        "providers": dict(sorted(providers.items())),
        "first_records": lines[:40],
        "records_sha256": digest,
    }
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1])
