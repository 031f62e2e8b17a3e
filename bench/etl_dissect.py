#!/usr/bin/env python3
"""dissect.etl side of bench/etl.sh: walks every record of FILE repeatedly for at
least MIN_SECONDS, reading the same facts as certtrace's bench (time, pid, tid,
provider), and prints one JSON line."""
import io
import json
import sys
import time

from dissect.etl.etl import ETL


def one_pass(data):
    etl = ETL(io.BytesIO(data))
    n = 0
    for rec in etl:
        h = rec.header
        n += 1
        try:
            d = h.time_delta
            if d is not None:
                etl.get_filetime_for_event(d)
        except Exception:
            pass
        getattr(h, "process_id", None)
        getattr(h, "thread_id", None)
        try:
            h.provider_id
        except Exception:
            pass
    return n


def main():
    path = sys.argv[1]
    min_secs = float(sys.argv[2]) if len(sys.argv) > 2 else 2.0
    data = open(path, "rb").read()
    start = time.perf_counter()
    passes = records = 0
    while passes == 0 or time.perf_counter() - start < min_secs:
        records += one_pass(data)
        passes += 1
    secs = time.perf_counter() - start
    print(json.dumps({
        "reader": "dissect.etl",
        "file": path,
        "bytes": len(data),
        "records_per_pass": records // passes,
        "passes": passes,
        "records_per_s": round(records / secs),
        "mb_per_s": round(len(data) * passes / secs / 1e6, 2),
    }))


if __name__ == "__main__":
    main()
