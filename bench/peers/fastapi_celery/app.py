"""Peer for bench/serve_bench.sh: the two measured endpoints of clipforge serve (submit a job,
read a job) as a minimal FastAPI + Celery + Redis service, the way such a service is usually
written: pydantic validation, job state in a Redis hash, a Celery task per job."""
import json
import os
import sys
import uuid

import redis
from fastapi import FastAPI, HTTPException

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from peer_common import JobCreate, now_ms  # noqa: E402

from tasks import REDIS_URL, run_job

app = FastAPI()
store = redis.Redis.from_url(REDIS_URL)


@app.post("/v1/jobs", status_code=202)
def create_job(body: JobCreate):
    if body.kind != "clip_processing":
        raise HTTPException(status_code=422, detail="unsupported kind")
    job_id = "j_" + uuid.uuid4().hex[:16]
    t = now_ms()
    job = {"id": job_id, "kind": body.kind, "status": "queued", "progress": 0, "attempts": 0,
           "created_at": t, "updated_at": t, "request": body.request}
    store.hset("job:" + job_id, mapping={"doc": json.dumps(job), "created_at": t})
    run_job.delay(job_id)
    return job


@app.get("/v1/jobs/{job_id}")
def get_job(job_id: str):
    doc = store.hget("job:" + job_id, "doc")
    if doc is None:
        raise HTTPException(status_code=404, detail="job not found")
    job = json.loads(doc)
    started = store.hget("job:" + job_id, "started_at")
    if started is not None:
        job["started_at"] = int(started)
    return job
