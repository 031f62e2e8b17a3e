#!/usr/bin/env python3
"""Second, independent check of TraceLogging decoding: etl-parser
(https://pypi.org/project/etl-parser/, airbus-cert, `pip install etl-parser`)
decodes the TraceLogging events of the given files; this prints, per file, every
event's provider GUID, pid, tid, event name and its NUL-terminated UTF-16 string
fields (the field kind the module uses and etl-parser decodes correctly; its
counted-string and struct support is partial, as its own docs say), as JSON.

Usage: python3 tests/oracle/etl_tl_oracle.py FILE.etl... > tests/data/etl/expected/tracelogging_strings.json
"""
import json
import os
import sys

from etl.etl import IEtlFileObserver, build_from_stream
from etl.parsers.tracelogging import TlMetaData


def guid_text(g):
    g = g.inner
    d4 = bytes(g.data4).hex()
    return f"{g.data1:08x}-{g.data2:04x}-{g.data3:04x}-{d4[:4]}-{d4[4:]}"


class Observer(IEtlFileObserver):
    def __init__(self):
        self.events = []

    def on_event_record(self, event):
        src = event.source
        try:
            tl = event.parse_tracelogging()
        except Exception:
            return
        meta = TlMetaData.parse(next(e.data_item for e in src.extended_data if e.ext_type == 11))
        strings = {}
        for f in meta.fields:
            if f.tag_in & 0x7F == 1:  # UNICODESTRING, scalar
                strings[f.name] = tl[f.name]
        self.events.append({
            "provider": guid_text(src.event_header.provider_id),
            "pid": event.get_process_id(),
            "tid": event.get_thread_id(),
            "event": tl.get_name(),
            "strings": strings,
        })

    def on_system_trace(self, event):
        pass

    def on_perfinfo_trace(self, event):
        pass

    def on_trace_record(self, event):
        pass

    def on_win_trace(self, event):
        pass


out = {}
for path in sys.argv[1:]:
    obs = Observer()
    with open(path, "rb") as f:
        build_from_stream(f.read()).parse(obs)
    out[os.path.basename(path)] = obs.events
json.dump(out, sys.stdout, indent=1, ensure_ascii=False)
sys.stdout.write("\n")
