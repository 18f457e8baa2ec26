#!/usr/bin/env python3
"""Follows GET /v1/events like a client that resumes: on every disconnect (an API node
restarting) it reconnects with Last-Event-ID set to the last id it saw. Writes one line per
event ("ID TYPE JOB_ID") to OUT and stops when the file STOP exists and the stream has been
idle for a second. Usage: sse_follow.py BASE_URL OUT STOP"""
import http.client
import os
import sys
import time
import urllib.parse


def follow(base, out, stop):
    url = urllib.parse.urlparse(base)
    last = "0"
    last_seen = time.monotonic()
    reconnects = 0
    while True:
        try:
            conn = http.client.HTTPConnection(url.hostname, url.port, timeout=3.0)
            conn.request("GET", "/v1/events", headers={"Last-Event-ID": last})
            resp = conn.getresponse()
            if resp.status != 200:
                raise OSError(f"status {resp.status}")
            event = {}
            while True:
                line = resp.fp.readline()
                if os.path.exists(stop) and time.monotonic() - last_seen > 1.0:
                    print(f"sse_follow: {reconnects} reconnects", file=sys.stderr)
                    return
                if not line:
                    raise OSError("stream closed")
                line = line.decode().rstrip("\n")
                if line.startswith("id: "):
                    event["id"] = line[4:]
                elif line.startswith("event: "):
                    event["type"] = line[7:]
                elif line.startswith("data: "):
                    event["data"] = line[6:]
                elif line == "" and "id" in event:
                    job = ""
                    if '"job_id":"' in event.get("data", ""):
                        job = event["data"].split('"job_id":"', 1)[1].split('"', 1)[0]
                    out.write(f'{event["id"]} {event.get("type", "")} {job}\n')
                    out.flush()
                    last = event["id"]
                    last_seen = time.monotonic()
                    event = {}
        except (OSError, http.client.HTTPException):
            reconnects += 1
            if os.path.exists(stop) and time.monotonic() - last_seen > 10.0:
                print("sse_follow: gave up reconnecting", file=sys.stderr)
                return
            time.sleep(0.2)


if __name__ == "__main__":
    with open(sys.argv[2], "w") as f:
        follow(sys.argv[1], f, sys.argv[3])
