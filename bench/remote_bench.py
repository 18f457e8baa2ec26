#!/usr/bin/env python3
"""Remote against in-process detection on the same media, in one run.

Two `clipforge serve` backends on the same data (one detects in process, one sends detections to
a `clipforge ai serve` on another port, which reads the media by HTTP ranges from signed URLs),
the same highlight_detection job submitted alternately to each, best of N wall times per side
from submission to the job's success:
  cold: no feature cache anywhere (both decode the media: the remote side over HTTP ranges);
  warm: features already stored (the remote side gets them from its feature store by content
        hash; what is left is the request, the scoring and the way back).
Prints a table with the ratio remote / in-process of each.
Usage: remote_bench.py CLIPFORGE MEDIA [--runs 3]
"""
import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def call(base, method, path, body=None, raw=None, ctype="application/json"):
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request(base + path, data=data, method=method,
                                 headers={"Content-Type": ctype} if data is not None else {})
    with urllib.request.urlopen(req, timeout=600) as r:
        return json.load(r)


def start(binary, args, env, work, name):
    port = free_port()
    log = open(os.path.join(work, name + ".log"), "ab")
    listen = "127.0.0.1:%d" % port
    p = subprocess.Popen([binary] + args + ["--listen", listen], env=env, stdout=log, stderr=log)
    base = "http://" + listen
    for _ in range(400):
        try:
            urllib.request.urlopen(base + "/healthz", timeout=2)
            return p, base
        except OSError:
            time.sleep(0.05)
    raise SystemExit("%s did not start" % name)


def job_seconds(base, media):
    t0 = time.monotonic()
    job = call(base, "POST", "/v1/jobs", {"kind": "highlight_detection", "request": {
        "clip_id": "bench", "media_uri": "media://" + media, "detection_profile": "sports"}})["id"]
    while True:
        j = call(base, "GET", "/v1/jobs/" + job)
        if j["status"] in ("succeeded", "failed", "cancelled"):
            break
        time.sleep(0.01)
    dt = time.monotonic() - t0
    if j["status"] != "succeeded":
        raise SystemExit("job failed: %s" % j.get("error"))
    return dt, j["result"]


def measure(local, remote, media, runs):
    best = {"local": None, "remote": None}
    engines = set()
    for _ in range(runs):
        for side, (base, mid) in (("local", local), ("remote", remote)):
            dt, r = job_seconds(base, mid)
            engines.add((side, r["engine"], r.get("fallback_reason")))
            best[side] = dt if best[side] is None else min(best[side], dt)
    for side, engine, why in engines:
        if (side == "remote") != (engine == "remote") or why:
            raise SystemExit("the %s side answered with %s (%s)" % (side, engine, why))
    return best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("media")
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="cf-remote-bench-")
    procs = []
    try:
        rows = []
        for mode in ("cold", "warm"):
            cache = "off" if mode == "cold" else os.path.join(work, "cache")
            env = dict(os.environ, CLIPFORGE_LOG_LEVEL="error", CLIPFORGE_FEATURE_CACHE_DIR=cache,
                       CLIPFORGE_DATA_DIR=os.path.join(work, "data-" + mode))
            ai, ai_base = start(a.binary, ["ai", "serve", "--data-dir", os.path.join(work, "ai-" + mode)], env, work, "ai")
            loc, loc_base = start(a.binary, ["serve", "--data-dir", os.path.join(work, "loc-" + mode), "--workers", "1"],
                                  env, work, "local")
            rem, rem_base = start(a.binary, ["serve", "--data-dir", os.path.join(work, "rem-" + mode), "--workers", "1"],
                                  dict(env, CLIPFORGE_AI_URL=ai_base), work, "remote")
            procs += [ai, loc, rem]
            raw = open(a.media, "rb").read()
            lm = call(loc_base, "POST", "/v1/media", raw=raw, ctype="video/mp4")["id"]
            rm = call(rem_base, "POST", "/v1/media", raw=raw, ctype="video/mp4")["id"]
            if mode == "warm":  # fill both feature stores first
                job_seconds(loc_base, lm), job_seconds(rem_base, rm)
            best = measure((loc_base, lm), (rem_base, rm), a.media, a.runs)
            rows.append((mode, best["local"], best["remote"]))
            for p in (rem, loc, ai):
                p.send_signal(signal.SIGTERM)
                p.wait(60)
        size = os.path.getsize(a.media)
        print("%-44s %12s %12s %8s" % ("detection job, %s (%.1f MB)" % (os.path.basename(a.media), size / 1e6),
                                       "in-process s", "remote s", "ratio"))
        for mode, l, r in rows:
            what = "features decoded (remote: HTTP ranges)" if mode == "cold" else "features stored (feature store)"
            print("%-44s %12.3f %12.3f %8.2f" % (what, l, r, r / l))
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
