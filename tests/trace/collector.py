#!/usr/bin/env python3
"""A small OTLP/HTTP trace receiver for the tests: POST /v1/traces with
application/x-protobuf (decoded by python3-protobuf from otlp_trace.proto, compiled with protoc
when the collector starts) or application/json (OTLP/JSON). Every span is appended to OUT as one
JSON line: service, trace_id, span_id, parent_span_id (hex), name, kind, start/end (ns),
attributes, status code and message, trace_state, flags, and the request's content type.

Usage: collector.py PORT_FILE OUT [--delay SECONDS] [--status CODE] [--discard]
  PORT_FILE  receives the port it listens on (127.0.0.1, a free port)
  --delay    wait this long before answering each export (a slow collector)
  --status   answer with this HTTP status instead of 200 (a failing collector)
  --discard  accept without decoding (a collector that costs the benchmark no CPU)
"""
import argparse
import base64
import importlib
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HERE = os.path.dirname(os.path.abspath(__file__))


def load_proto():
    out = tempfile.mkdtemp(prefix="otlp-proto-")
    subprocess.run(["protoc", f"--proto_path={HERE}", f"--python_out={out}", "otlp_trace.proto"],
                   check=True)
    sys.path.insert(0, out)
    return importlib.import_module("otlp_trace_pb2")


def any_value(v):
    """An AnyValue (protobuf message or JSON object) as a Python value."""
    if isinstance(v, dict):
        for k in ("stringValue", "boolValue", "doubleValue"):
            if k in v:
                return v[k]
        if "intValue" in v:
            return int(v["intValue"])
        return None
    which = v.WhichOneof("value")
    return getattr(v, which) if which else None


def attrs(kvs):
    out = {}
    for kv in kvs:
        if isinstance(kv, dict):
            out[kv["key"]] = any_value(kv.get("value", {}))
        else:
            out[kv.key] = any_value(kv.value)
    return out


def from_protobuf(pb, body):
    req = pb.ExportTraceServiceRequest()
    req.ParseFromString(body)
    for rs in req.resource_spans:
        res = attrs(rs.resource.attributes)
        for ss in rs.scope_spans:
            for s in ss.spans:
                yield {
                    "service": res.get("service.name"), "resource": res,
                    "trace_id": s.trace_id.hex(), "span_id": s.span_id.hex(),
                    "parent_span_id": s.parent_span_id.hex(), "name": s.name, "kind": s.kind,
                    "start": s.start_time_unix_nano, "end": s.end_time_unix_nano,
                    "attributes": attrs(s.attributes), "status": s.status.code,
                    "status_message": s.status.message, "trace_state": s.trace_state,
                    "flags": s.flags,
                }


def from_json(doc):
    for rs in doc.get("resourceSpans", []):
        res = attrs(rs.get("resource", {}).get("attributes", []))
        for ss in rs.get("scopeSpans", []):
            for s in ss.get("spans", []):
                yield {
                    "service": res.get("service.name"), "resource": res,
                    "trace_id": s["traceId"], "span_id": s["spanId"],
                    "parent_span_id": s.get("parentSpanId", ""), "name": s["name"],
                    "kind": s.get("kind", 0), "start": int(s["startTimeUnixNano"]),
                    "end": int(s["endTimeUnixNano"]), "attributes": attrs(s.get("attributes", [])),
                    "status": s.get("status", {}).get("code", 0),
                    "status_message": s.get("status", {}).get("message", ""),
                    "trace_state": s.get("traceState", ""), "flags": s.get("flags", 0),
                }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("port_file")
    ap.add_argument("out")
    ap.add_argument("--delay", type=float, default=0)
    ap.add_argument("--status", type=int, default=200)
    ap.add_argument("--discard", action="store_true")
    args = ap.parse_args()
    pb = load_proto()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_POST(self):
            n = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(n)
            ctype = self.headers.get("Content-Type", "")
            if args.delay:
                time.sleep(args.delay)
            if self.path != "/v1/traces":
                self.send_response(404)
                self.end_headers()
                return
            if args.discard:
                self.send_response(200)
                self.end_headers()
                return
            if args.status != 200:
                self.send_response(args.status)
                self.end_headers()
                return
            try:
                spans = list(from_json(json.loads(body)) if "json" in ctype
                             else from_protobuf(pb, body))
            except Exception as e:  # a body we cannot read is the exporter's bug: record it
                spans = [{"decode_error": str(e), "body": base64.b64encode(body).decode()}]
            with lock, open(args.out, "a") as f:
                for s in spans:
                    s["content_type"] = ctype
                    f.write(json.dumps(s) + "\n")
            self.send_response(200)
            self.send_header("Content-Type", ctype or "application/json")
            self.end_headers()

    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(args.port_file + ".tmp", args.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
