"""What the FastAPI peers of bench/serve_bench.sh share: the body of a submission, validated by
pydantic as such a service usually does, and the clock of their timestamps."""
import time

from pydantic import BaseModel


class JobCreate(BaseModel):
    kind: str
    request: dict


def now_ms():
    return int(time.time() * 1000)
