#!/usr/bin/env python3
"""load_bench.py BASE KEY SECONDS ROLE — one side of the hostile load on a running `clipforge
serve` (with workers and CLIPFORGE_NOOP_JOBS=1); load_bench.sh runs each role as its own process
so that one client's work does not slow another's measurement:
  subs   2,000 Server-Sent Events subscribers (two of them parse every event, the rest drain bytes)
  slow   200 clients sending a request a byte a second
  flood  16 submitters of noop jobs; then checks every accepted job succeeded, waiting as long as
         jobs keep finishing (lost: not succeeded after 60 s without any finishing), and
         writes the accepted ids to the file DONE (the environment's LOAD_DONE) when the check
         is over
  probe  one client timing GET /v1/jobs/{id}, one request every 10 ms
Each prints one JSON object when SECONDS are over; subs once the two parsing subscribers have
seen the completion of every accepted job (DONE's ids), or LOAD_CATCHUP_S (120) after DONE
appeared, saying how long after DONE they caught up (null: not within the bound)."""
import asyncio, json, os, sys, time

BASE, KEY, SECONDS, ROLE = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
SUBSCRIBERS, SLOW, SUBMITTERS = 2000, 200, 16
HOST, PORT = BASE.split("//")[1].split(":")[0], int(BASE.rsplit(":", 1)[1])
AUTH = f"Authorization: Bearer {KEY}\r\n" if KEY else ""


async def request(method, path, body=b""):
    """One HTTP/1.1 request on its own connection; (status, body)."""
    r, w = await asyncio.open_connection(HOST, PORT)
    head = (f"{method} {path} HTTP/1.1\r\nHost: {HOST}\r\n{AUTH}Connection: close\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n")
    w.write(head.encode() + body)
    data = await r.read()
    w.close()
    status = int(data.split(b" ", 2)[1])
    return status, data.split(b"\r\n\r\n", 1)[1]


class Subscriber:
    def __init__(self, parse):
        self.completed, self.connected, self.error, self.bytes, self.parse = set(), False, None, 0, parse

    async def run(self, stop):
        try:
            r, w = await asyncio.open_connection(HOST, PORT, limit=1 << 20)
            w.write(f"GET /v1/events HTTP/1.1\r\nHost: {HOST}\r\n{AUTH}Accept: text/event-stream\r\n\r\n".encode())
            status = (await r.readline()).split(b" ")[1]
            self.connected = status == b"200"
            while not stop.is_set():
                if not self.parse:
                    chunk = await r.read(1 << 16)
                    if not chunk:
                        break
                    self.bytes += len(chunk)
                    continue
                line = await r.readline()
                if not line:
                    break
                if line.startswith(b"data: ") and b'"JobCompleted"' in line:
                    self.completed.add(json.loads(line[6:])["job_id"])
            w.close()
        except Exception as e:  # noqa: BLE001 - reported
            self.error = repr(e)


async def slow_client(stop, held):
    """Sends a request a byte a second: it must cost the server a socket, not a thread."""
    try:
        r, w = await asyncio.open_connection(HOST, PORT)
        held.append(1)
        text = f"GET /v1/jobs HTTP/1.1\r\nHost: {HOST}\r\n{AUTH}".encode()
        for i in range(len(text)):
            if stop.is_set():
                break
            w.write(text[i:i + 1])
            await w.drain()
            await asyncio.sleep(1)
        w.close()
    except Exception:  # noqa: BLE001 - a dropped slow client is the server's right
        pass


async def submitter(stop, accepted, refused):
    body = json.dumps({"kind": "noop", "request": {}}).encode()
    while not stop.is_set():
        status, text = await request("POST", "/v1/jobs", body)
        if status == 202:
            accepted.append(json.loads(text)["id"])
        else:
            refused.append(status)


async def prober(stop, job, lat):
    while not stop.is_set():
        t0 = time.perf_counter()
        status, _ = await request("GET", f"/v1/jobs/{job}")
        lat.append((time.perf_counter() - t0) * 1000)
        assert status == 200, status
        await asyncio.sleep(0.01)


async def run_subs():
    stop = asyncio.Event()
    subs = [Subscriber(i < 2) for i in range(SUBSCRIBERS)]
    tasks = [asyncio.create_task(s.run(stop)) for s in subs]
    done, give_up = os.environ.get("LOAD_DONE"), time.time() + SECONDS + 600
    await asyncio.sleep(SECONDS)
    while done and not os.path.exists(done) and time.time() < give_up:  # the backlog's completions
        await asyncio.sleep(0.5)
    # The subscribers may lag behind the flood: wait (a bounded time) until both parsing ones
    # have seen every accepted job complete, and say how long that took after the check.
    accepted = set(json.load(open(done))) if done and os.path.exists(done) else set()
    checked, caught_up = time.time(), None
    bound = float(os.environ.get("LOAD_CATCHUP_S", "120"))
    while time.time() - checked < bound:
        if accepted <= (subs[0].completed & subs[1].completed):
            caught_up = round(time.time() - checked, 1)
            break
        await asyncio.sleep(0.2)
    if not accepted:
        await asyncio.sleep(5)
    stop.set()
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return {"subscribers_connected": sum(s.connected for s in subs),
            "subscriber_errors": sum(1 for s in subs if s.error),
            "completed_seen": sorted(subs[0].completed & subs[1].completed),
            "subscribers_caught_up_s": caught_up,
            "drained_mib": round(sum(s.bytes for s in subs) / 2**20)}


async def run_slow():
    stop, held = asyncio.Event(), []
    tasks = [asyncio.create_task(slow_client(stop, held)) for _ in range(SLOW)]
    await asyncio.sleep(SECONDS)
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    return {"slow_clients": len(held)}


async def run_flood():
    stop, accepted, refused = asyncio.Event(), [], []
    tasks = [asyncio.create_task(submitter(stop, accepted, refused)) for _ in range(SUBMITTERS)]
    await asyncio.sleep(SECONDS)
    stop.set()
    stop_at = time.time()
    await asyncio.gather(*tasks, return_exceptions=True)
    pending, last_progress = set(accepted), time.time()
    while pending and time.time() - last_progress < 60:
        for j in sorted(pending)[:200]:
            st, t = await request("GET", f"/v1/jobs/{j}")
            if st == 200 and json.loads(t)["status"] == "succeeded":
                pending.discard(j)
                last_progress = time.time()
        await asyncio.sleep(0.2)
    if os.environ.get("LOAD_DONE"):  # written whole, then renamed: the subscribers read it at once
        with open(os.environ["LOAD_DONE"] + ".part", "w") as f:
            json.dump(accepted, f)
        os.rename(os.environ["LOAD_DONE"] + ".part", os.environ["LOAD_DONE"])
    return {"accepted": sorted(accepted), "refused": len(refused), "refused_429": refused.count(429),
            "lost": len(pending), "drained_s": round(time.time() - stop_at, 1)}


async def run_probe():
    status, text = await request("POST", "/v1/jobs", json.dumps({"kind": "noop", "request": {}}).encode())
    assert status == 202, (status, text)
    stop, lat = asyncio.Event(), []
    task = asyncio.create_task(prober(stop, json.loads(text)["id"], lat))
    await asyncio.sleep(SECONDS)
    stop.set()
    await asyncio.gather(task, return_exceptions=True)
    lat.sort()
    return {"get_p50_ms": round(lat[len(lat) // 2], 2), "get_p99_ms": round(lat[int(len(lat) * 0.99)], 2),
            "gets": len(lat)}


ROLES = {"subs": run_subs, "slow": run_slow, "flood": run_flood, "probe": run_probe}
print(json.dumps(asyncio.run(ROLES[ROLE]())))
