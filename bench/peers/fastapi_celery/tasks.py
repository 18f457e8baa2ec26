"""Celery side of the peer: a worker that marks the job started (the moment measured as
enqueue -> start latency) and done."""
import json
import os
import time

import redis
from celery import Celery

REDIS_URL = os.environ.get("PEER_REDIS_URL", "redis://127.0.0.1:6399/0")
celery = Celery("peer", broker=REDIS_URL)
celery.conf.task_acks_late = True
celery.conf.worker_prefetch_multiplier = 1
store = redis.Redis.from_url(REDIS_URL)


@celery.task
def run_job(job_id):
    t = int(time.time() * 1000)
    store.hset("job:" + job_id, "started_at", t)
    doc = json.loads(store.hget("job:" + job_id, "doc"))
    doc.update(status="succeeded", progress=1, attempts=1, updated_at=t)
    store.hset("job:" + job_id, "doc", json.dumps(doc))
