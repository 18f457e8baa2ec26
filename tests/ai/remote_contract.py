#!/usr/bin/env python3
"""Contract of the backend's `remote` engine against real `clipforge ai serve` processes.

Separate processes on separate ports with separate data dirs (the service reads media only
through signed URLs, by HTTP ranges), a Redis bus between them. Checks:
  1. happy path: a detection job answered by the service (engine "remote", its model version),
     spans and score curve identical to an in-process detection of the same file; the service
     read the media by range requests and stored its features in its own feature store;
  2. online evaluation: a review label posted to the backend reaches the service over the bus,
     joined to the version that proposed the span (acceptance rate, boundary shift) in
     GET /v1/models and /metrics; the backend heard the service's announcements;
  3. the service killed mid-request: the job still succeeds on a local engine, fallback_reason
     says why;
  4. a slow service (stopped with SIGSTOP): the idle timeout ends each attempt, the job falls
     back; the breaker opens (a job now falls back at once without a request), turns half-open
     after the cooldown, and one good trial closes it;
  5. two services behind one URL list: requests are balanced over both, and with one killed,
     every job is still answered remotely (failover), none falls back;
  6. warming and announcements: /readyz lists what is loaded, POST /v1/warm loads a version
     (unknown or malformed versions are refused with a problem), a version published with
     `clipforge models publish` on the shared bus is loaded by the service before its first job,
     which it then answers; the backend heard ModelLoaded and ModelPublished;
  7. an A/B split: each job runs the arm the stable hash of its media id picks, recorded in its
     result, on the service and in the local fallback alike;
  8. a service that streams progress but takes too long: CLIPFORGE_AI_TIMEOUT_MS ends each
     attempt, the job falls back;
  9. media in S3 storage (CF_S3_URL: the local stack's S3-protocol server, started by the
     caller): the upload's record holds the SHA-256 of its bytes, taken as they were stored; the
     service gets it with the signed URL, keeps the features under it, and a second detection
     of the same media reads them instead of the media (before, media outside local storage had
     no hash: the service decoded it again for every job).
Usage: CF_S3_URL=... remote_contract.py CLIPFORGE SOURCE_DIR
"""
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

BIN, SRC = sys.argv[1], sys.argv[2]
WORK = tempfile.mkdtemp(prefix="cf-remote-")
PROCS = []
IDLE_MS, COOLDOWN_MS, TOTAL_MS = 1500, 8000, 1000


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def http(method, url, body=None, headers=None):
    data = json.dumps(body).encode() if body is not None else None
    h = {"Content-Type": "application/json"} if body is not None else {}
    h.update(headers or {})
    req = urllib.request.Request(url, data=data, method=method, headers=h)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            raw = r.read()
            return r.status, (json.loads(raw) if raw[:1] in (b"{", b"[") else raw.decode())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


class Proc:
    def __init__(self, name, args, env, port):
        self.name, self.port = name, port
        self.base = "http://127.0.0.1:%d" % port
        self.log = open(os.path.join(WORK, name + ".log"), "ab")
        self.p = subprocess.Popen([BIN] + args, env=dict(os.environ, **env), stdout=self.log, stderr=self.log)
        PROCS.append(self)
        for _ in range(400):
            try:
                if http("GET", self.base + "/healthz")[0] == 200:
                    return
            except OSError:
                pass
            if self.p.poll() is not None:
                break
            time.sleep(0.05)
        raise SystemExit("%s did not start: %s" % (name, open(self.log.name).read()[-2000:]))

    def signal(self, sig):
        self.p.send_signal(sig)

    def stop(self):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGCONT)
            self.p.send_signal(signal.SIGTERM)
            rc = self.p.wait(30)
            check("%s exits cleanly on SIGTERM (status %d)" % (self.name, rc), rc == 0)
            if rc:
                print(open(self.log.name).read()[-3000:])

    def kill(self):
        self.p.send_signal(signal.SIGKILL)
        self.p.wait()


FAILS = []


def check(what, ok, detail=""):
    print(("ok - " if ok else "FAIL - ") + what + (": %s" % (detail,) if detail and not ok else ""))
    if not ok:
        FAILS.append(what)


def service(name, env):
    port = free_port()
    return Proc(name, ["ai", "serve", "--listen", "127.0.0.1:%d" % port, "--data-dir", os.path.join(WORK, name)],
                env, port)


def backend(name, env):
    port = free_port()
    return Proc(name, ["serve", "--listen", "127.0.0.1:%d" % port, "--data-dir", os.path.join(WORK, name),
                       "--workers", "2"], env, port)


def upload(b, path):
    req = urllib.request.Request(b.base + "/v1/media", data=open(path, "rb").read(), method="POST",
                                 headers={"Content-Type": "application/octet-stream"})
    return json.load(urllib.request.urlopen(req))["id"]


def submit(b, media):
    st, j = http("POST", b.base + "/v1/jobs", {"kind": "highlight_detection",
                                                "request": {"clip_id": "c", "media_uri": "media://" + media,
                                                            "detection_profile": "sports", "top_n": 3}})
    assert st == 202, j
    return j["id"]


def wait_job(b, job, secs=240):
    end = time.time() + secs
    while time.time() < end:
        j = http("GET", "%s/v1/jobs/%s" % (b.base, job))[1]
        if j["status"] in ("succeeded", "failed", "cancelled"):
            return j
        time.sleep(0.1)
    raise SystemExit("job %s did not finish" % job)


def metrics(p):
    out = {}
    for line in http("GET", p.base + "/metrics")[1].splitlines():
        if line and not line.startswith("#"):
            k, v = line.rsplit(" ", 1)
            out[k] = float(v)
    return out


def breaker(b, url):
    v = metrics(b).get('clipforge_remote_breaker_state{service="%s"}' % url)
    return {0: "closed", 1: "half_open", 2: "open"}.get(v)


def sent(b, url):
    return metrics(b).get('clipforge_remote_attempts_total{service="%s",result="sent"}' % url, 0)


def start_redis():
    port = free_port()
    p = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                          "--appendonly", "no", "--dir", WORK, "--logfile", os.path.join(WORK, "redis.log")])
    for _ in range(100):
        if subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True).returncode == 0:
            return p, "redis://127.0.0.1:%d/0?prefix=cfremote&ack_timeout_ms=2000" % port
        time.sleep(0.1)
    raise SystemExit("redis did not start")


def media():
    planted = os.path.join(WORK, "planted.mp4")
    subprocess.run([sys.executable, os.path.join(SRC, "apps/ai/experiments/make_planted.py"), "--out", planted,
                    "--duration", "60", "--seed", "5", "--size", "160x90", "--spans", "1", "--kinds", "crowd"],
                   check=True, stdout=subprocess.DEVNULL)
    long = os.path.join(WORK, "long.wav")
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "anoisesrc=c=pink:r=16000:d=1800",
                    "-ac", "1", "-c:a", "pcm_s16le", long], check=True)
    return planted, long


def happy_path(b, s, planted):
    print("# 1. happy path")
    mid = upload(b, planted)
    job = wait_job(b, submit(b, mid))
    r = job.get("result", {})
    check("the job succeeds", job["status"] == "succeeded", job.get("error"))
    check("answered by the service (engine remote)", r.get("engine") == "remote", r.get("engine"))
    check("with the service's model version", r.get("model_version", "").startswith("heuristic-"), r.get("model_version"))
    check("no fallback", "fallback_reason" not in r, r.get("fallback_reason"))
    local = json.loads(subprocess.run([BIN, "detect", "--input", planted, "--profile", "sports", "--top", "3",
                                       "--json", "--no-cache"], capture_output=True, check=True,
                                      env=dict(os.environ, CLIPFORGE_DATA_DIR=os.path.join(WORK, "cli"))).stdout)
    check("the version an in-process detection reports", r.get("model_version") == local["model_version"],
          (r.get("model_version"), local["model_version"]))
    check("spans identical to an in-process detection", r.get("highlights") == local["highlights"] and
          len(local["highlights"]) >= 1, (r.get("highlights"), local["highlights"]))
    check("score curve identical", r.get("score_curve") == local["score_curve"])
    m = metrics(s)
    check("the service read the media by HTTP ranges", m.get("clipforge_ai_media_requests_total", 0) >= 1 and
          m.get("clipforge_ai_media_bytes_total", 0) >= os.path.getsize(planted) * 0.5, m)
    check("and kept its features in its own store", m.get("clipforge_feature_store_puts_total") == 1, m)
    ready = http("GET", s.base + "/readyz")[1]
    heur = [x for x in http("GET", s.base + "/v1/models")[1]["models"] if x["version"] == "heuristic"]
    check("the version loaded on demand is listed as loaded (/readyz, /v1/models)",
          ready.get("loaded") == {r.get("model_version"): "heuristic"} and heur and heur[0]["loaded"], (ready, heur))
    return mid, job


def online_evaluation(b, s, mid, job):
    print("# 2. online evaluation over the bus")
    version = job["result"]["model_version"]
    h = job["result"]["highlights"][0]
    label = {"media_id": mid, "job_id": job["id"], "verdict": "accept", "start_ms": h["start_ms"] + 500,
             "end_ms": h["end_ms"], "detected_start_ms": h["start_ms"], "detected_end_ms": h["end_ms"]}
    st, stored = http("POST", b.base + "/v1/labels", label)
    check("the label is stored, joined to the version that proposed it",
          st == 201 and stored.get("model_version") == version, stored)
    http("POST", b.base + "/v1/labels", dict(label, verdict="reject", start_ms=h["start_ms"]))
    online = {}
    for _ in range(100):
        online = http("GET", s.base + "/v1/models")[1]["online"].get(version, {})
        if online.get("labels") == 2:
            break
        time.sleep(0.1)
    check("GET /v1/models: acceptance rate and boundary corrections of the version",
          online.get("labels") == 2 and online.get("acceptance_rate") == 0.5 and online.get("corrected") == 1
          and online.get("mean_start_shift_ms") == 250, online)
    m = metrics(s)
    check("/metrics: acceptance rate", m.get('clipforge_model_acceptance_rate{version="%s"}' % version) == 0.5, m)
    heur = [x for x in http("GET", s.base + "/v1/models")[1]["models"] if x["version"] == "heuristic"]
    check("the built-in version lists its reviews", heur and heur[0]["online"].get(version, {}).get("labels") == 2)
    mb = metrics(b)
    check("the backend heard the service start", mb.get('clipforge_ai_model_events_total{type="ServiceStarted"}', 0) >= 1, mb)


def killed_mid_request(b, s, long_id):
    print("# 3. the service killed mid-request")
    job = submit(b, long_id)
    progress = 0
    for _ in range(600):
        j = http("GET", "%s/v1/jobs/%s" % (b.base, job))[1]
        progress = j.get("progress", 0)
        if progress > 0.05 and (j.get("stage") or "").startswith("remote"):
            break
        time.sleep(0.05)
    check("the job was running remotely (%.2f)" % progress, progress > 0.05)
    s.kill()
    j = wait_job(b, job)
    r = j.get("result", {})
    check("the job still succeeds", j["status"] == "succeeded", j.get("error"))
    check("on a local engine, saying why", r.get("engine") == "heuristic" and "fallback_reason" in r, r.get("fallback_reason"))
    print("  fallback_reason: %s" % r.get("fallback_reason"))


def slow_service_and_breaker(b, s, url, mid):
    print("# 4. a slow service: timeouts, breaker open, half-open, closed")
    s.signal(signal.SIGSTOP)
    t0 = time.time()
    first = submit(b, mid)
    # The breaker opens when the job's attempts have failed, before its local fallback runs; the
    # second job is sent then, while the first one's fallback may still be running (on a loaded
    # machine the fallback alone can outlast the cooldown).
    deadline = time.time() + 60
    while breaker(b, url) != "open" and time.time() < deadline:
        time.sleep(0.05)
    check("the breaker opens after the failed attempts", breaker(b, url) == "open", breaker(b, url))
    before = sent(b, url)
    second = submit(b, mid)
    j = wait_job(b, first)
    took = time.time() - t0
    r = j.get("result", {})
    check("a stopped service: the job falls back (%.1f s)" % took, j["status"] == "succeeded" and
          r.get("engine") == "heuristic" and "no answer for %d ms" % IDLE_MS in r.get("fallback_reason", ""), r)
    j = wait_job(b, second)
    r = j.get("result", {})
    check("while open, a job falls back at once", "circuit open" in r.get("fallback_reason", ""), r.get("fallback_reason"))
    check("without a request to the service", sent(b, url) == before, (before, sent(b, url)))
    s.signal(signal.SIGCONT)
    time.sleep(COOLDOWN_MS / 1000 + 0.3)
    check("after the cooldown it is half-open", breaker(b, url) == "half_open", breaker(b, url))
    j = wait_job(b, submit(b, mid))
    check("the trial is answered remotely", j.get("result", {}).get("engine") == "remote", j.get("result"))
    check("and closes the breaker", breaker(b, url) == "closed", breaker(b, url))


def balanced_and_failover(env, planted):
    print("# 5. two services: balanced, then failover")
    s2, s3 = service("s2", env), service("s3", env)
    b2 = backend("b2", dict(env, CLIPFORGE_AI_URL="%s,%s" % (s2.base, s3.base)))
    mid = upload(b2, planted)
    jobs = [submit(b2, mid) for _ in range(4)]
    results = [wait_job(b2, j).get("result", {}) for j in jobs]
    check("every job answered remotely", all(r.get("engine") == "remote" for r in results))
    n2 = metrics(s2).get('clipforge_ai_detections_total{outcome="ok"}', 0)
    n3 = metrics(s3).get('clipforge_ai_detections_total{outcome="ok"}', 0)
    check("both services took some (%d / %d)" % (n2, n3), n2 >= 1 and n3 >= 1 and n2 + n3 == 4)
    s2.kill()
    results = [wait_job(b2, submit(b2, mid)).get("result", {}) for _ in range(3)]
    check("with one killed, every job is still answered remotely",
          all(r.get("engine") == "remote" and "fallback_reason" not in r for r in results),
          [r.get("fallback_reason") for r in results])
    b2.stop()
    s3.stop()


def warm_and_announcements(env, planted):
    print("# 6. warming, readiness, models announced over the bus")
    models = os.path.join(WORK, "models")
    shutil.copytree(os.path.join(SRC, "apps/ai/models"), models)
    shutil.copy(os.path.join(models, "highlight-v1.json"), os.path.join(models, "highlight-v7.json"))
    env = dict(env, CLIPFORGE_HIGHLIGHT_MODELS_DIR=models)
    port = free_port()
    b = backend("b3", dict(env, CLIPFORGE_AI_URL="http://127.0.0.1:%d" % port))
    s = Proc("s4", ["ai", "serve", "--listen", "127.0.0.1:%d" % port, "--data-dir", os.path.join(WORK, "s4")],
             env, port)
    st, ready = http("GET", s.base + "/readyz")
    check("/readyz: ready, nothing assigned so nothing loaded", st == 200 and ready.get("status") == "ready" and
          ready.get("loaded") == {}, (st, ready))
    st, w = http("POST", s.base + "/v1/warm", {"model_version": "v1"})
    check("POST /v1/warm loads v1 in the learned engine", st == 200 and w.get("engine") == "learned", (st, w))
    st, ready = http("GET", s.base + "/readyz")
    check("/readyz lists it", ready.get("loaded") == {"v1": "learned"}, ready)
    st, p = http("POST", s.base + "/v1/warm", {"model_version": "v9"})
    check("an unknown version is refused (404 problem)", st == 404 and p.get("type", "").endswith("not-found"), (st, p))
    st, p = http("POST", s.base + "/v1/warm", {"model_version": 3})
    check("a malformed one too (400 problem)", st == 400 and p.get("type", "").endswith("validation"), (st, p))
    pub = subprocess.run([BIN, "models", "publish", "v7", "--force", "--profile", "sports", "--models-dir", models],
                         env=dict(os.environ, **env), capture_output=True, text=True)
    check("models publish v7 --force", pub.returncode == 0, pub.stderr)
    loaded = {}
    for _ in range(100):
        loaded = {m["version"]: m["loaded"] for m in http("GET", s.base + "/v1/models")[1]["models"]}
        if loaded.get("v7"):
            break
        time.sleep(0.1)
    check("the service heard ModelPublished and loaded v7 before any traffic", loaded.get("v7") is True, loaded)
    mid = upload(b, planted)
    r = wait_job(b, submit(b, mid)).get("result", {})
    check("the next sports job is answered remotely by v7", r.get("engine") == "remote" and
          r.get("model_version") == "v7", (r.get("engine"), r.get("model_version"), r.get("fallback_reason")))
    mb = {}
    for _ in range(50):
        mb = metrics(b)
        if mb.get('clipforge_ai_model_events_total{type="ModelPublished"}', 0) >= 1 and \
                mb.get('clipforge_ai_model_events_total{type="ModelLoaded"}', 0) >= 2:
            break
        time.sleep(0.1)
    check("the backend heard ModelLoaded (v1, v7) and ModelPublished",
          mb.get('clipforge_ai_model_events_total{type="ModelPublished"}', 0) >= 1 and
          mb.get('clipforge_ai_model_events_total{type="ModelLoaded"}', 0) >= 2,
          {k: v for k, v in mb.items() if "model_events" in k})
    ab_split(b, s, models, env, planted)
    b.stop()


def split_point(key):
    """The registry's stable split point of a media key (FNV-1a 64, folded), in [0, 1)."""
    h = 0xcbf29ce484222325
    for c in key.encode():
        h = ((h ^ c) * 0x100000001b3) & (2**64 - 1)
    h ^= h >> 33
    h = (h * 0xff51afd7ed558ccd) & (2**64 - 1)
    h ^= h >> 33
    return (h >> 11) / 2**53


def ab_split(b, s, models, env, planted):
    print("# 7. an A/B split: the arm by a stable hash of the media id, remote and local alike")
    split = subprocess.run([BIN, "models", "split", "--profile", "sports", "heuristic=0.5", "v7=0.5", "--models-dir",
                            models], env=dict(os.environ, **env), capture_output=True, text=True)
    check("models split --profile sports heuristic=0.5 v7=0.5", split.returncode == 0, split.stderr)

    def arm(mid):
        return "heuristic" if split_point(mid) < 0.5 else "v7"

    def got(r):
        v = r.get("model_version", "")
        return "heuristic" if v.startswith("heuristic-") else v

    media = [upload(b, planted) for _ in range(3)]
    results = [wait_job(b, submit(b, m)).get("result", {}) for m in media]
    check("every job answered remotely on the arm of its media id (%s)" % [arm(m) for m in media],
          all(r.get("engine") == "remote" and got(r) == arm(m) for m, r in zip(media, results)),
          [(arm(m), r.get("engine"), r.get("model_version")) for m, r in zip(media, results)])
    s.kill()
    r = wait_job(b, submit(b, media[0])).get("result", {})
    check("with the service gone, the local fallback runs the same arm", "fallback_reason" in r and
          r.get("engine") != "remote" and got(r) == arm(media[0]), (arm(media[0]), r.get("engine"), r.get("model_version")))


def detection_bound(env, long):
    print("# 8. a service that answers, but too slowly: the whole detection is bounded")
    # half an hour of audio and a fresh feature store: the service decodes for seconds, sending
    # progress all the while (so the idle timeout never ends an attempt), on any machine; the
    # one-minute planted file took under the bound on a fast one
    s = service("s5", env)
    b = backend("b4", dict(env, CLIPFORGE_AI_URL=s.base, CLIPFORGE_AI_TIMEOUT_MS=str(TOTAL_MS)))
    t0 = time.time()
    j = wait_job(b, submit(b, upload(b, long)))
    r = j.get("result", {})
    why = r.get("fallback_reason", "")
    check("the job succeeds on a local engine", j["status"] == "succeeded" and r.get("engine") != "remote", r.get("engine"))
    check("each attempt ended by the %d ms bound, saying so" % TOTAL_MS,
          why.count("no result within %d ms" % TOTAL_MS) + why.count("Timeout was reached") == 2, why)
    print("  fallback_reason: %s (%.1f s)" % (why, time.time() - t0))
    b.stop()
    s.stop()


def s3_media(env, planted):
    print("# 9. media in S3: the upload's content hash reaches the service")
    s3 = os.environ.get("CF_S3_URL")
    check("CF_S3_URL names the S3-protocol server", bool(s3))
    if not s3:
        return
    s = service("s6", env)
    b = backend("b5", dict(env, CLIPFORGE_AI_URL=s.base,
                           CLIPFORGE_STORAGE_URL="%s&prefix=remote&cache=%s" % (s3, os.path.join(WORK, "s3cache"))))
    body = open(planted, "rb").read()
    req = urllib.request.Request(b.base + "/v1/media", data=body, method="POST",
                                 headers={"Content-Type": "application/octet-stream"})
    m = json.load(urllib.request.urlopen(req))
    want = hashlib.sha256(body).hexdigest()
    check("the upload's record holds the SHA-256 of its bytes", m.get("sha256") == want, (m.get("sha256"), want))
    check("and GET /v1/media/{id} says it", http("GET", b.base + "/v1/media/" + m["id"])[1].get("sha256") == want)
    first = wait_job(b, submit(b, m["id"])).get("result", {})
    before = metrics(s)
    second = wait_job(b, submit(b, m["id"])).get("result", {})
    after = metrics(s)
    check("both detections answered remotely", first.get("engine") == "remote" and second.get("engine") == "remote",
          (first.get("fallback_reason"), second.get("fallback_reason")))
    check("the first kept its features under the hash", before.get("clipforge_feature_store_puts_total") == 1, before)
    check("the second read them, not the media",
          after.get("clipforge_feature_store_hits_total") == 1 and
          after.get("clipforge_ai_media_requests_total") == before.get("clipforge_ai_media_requests_total"),
          {k: v for k, v in after.items() if "feature_store" in k or "media_requests" in k})
    check("with the same spans", first.get("highlights") == second.get("highlights") and first.get("highlights"))
    b.stop()
    s.stop()


def main():
    redis, bus = start_redis()
    try:
        planted, long = media()
        env = {"CLIPFORGE_BUS_URL": bus, "CLIPFORGE_LOG_LEVEL": "error", "CLIPFORGE_AI_IDLE_TIMEOUT_MS": str(IDLE_MS),
               "CLIPFORGE_AI_RETRIES": "1", "CLIPFORGE_AI_RETRY_BASE_MS": "50",
               "CLIPFORGE_AI_BREAKER_FAILURES": "2", "CLIPFORGE_AI_BREAKER_COOLDOWN_MS": str(COOLDOWN_MS),
               "CLIPFORGE_AI_CONNECT_TIMEOUT_MS": "1000"}
        # the backend first, so that its consumer group hears the service's start
        port = free_port()
        url = "http://127.0.0.1:%d" % port
        b = backend("b1", dict(env, CLIPFORGE_AI_URL=url))
        s = Proc("s1", ["ai", "serve", "--listen", "127.0.0.1:%d" % port, "--data-dir", os.path.join(WORK, "s1")],
                 env, port)
        mid, job = happy_path(b, s, planted)
        online_evaluation(b, s, mid, job)
        long_id = upload(b, long)
        killed_mid_request(b, s, long_id)
        s = Proc("s1b", ["ai", "serve", "--listen", "127.0.0.1:%d" % port, "--data-dir", os.path.join(WORK, "s1")],
                 env, port)
        time.sleep(COOLDOWN_MS / 1000) # the kill opened the breaker: let it go half-open
        slow_service_and_breaker(b, s, url, mid)
        s.stop()
        b.stop()
        balanced_and_failover(env, planted)
        warm_and_announcements(env, planted)
        detection_bound(env, long)
        s3_media(env, planted)
    finally:
        for p in PROCS:
            if p.p.poll() is None:
                p.p.send_signal(signal.SIGCONT)
                p.kill()
        redis.terminate()
        redis.wait()
        shutil.rmtree(WORK, ignore_errors=True)
    print("%d failed" % len(FAILS))
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())
