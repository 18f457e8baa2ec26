"""Helpers shared by the benchmark scripts: one timed run of a command."""
import resource
import subprocess
import sys
import time


def run(cmd):
    """Runs cmd; returns (wall seconds, CPU seconds of the children, CompletedProcess). Exits
    with the command's error output when it fails: a benchmark of a failing run means nothing."""
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    p = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.monotonic() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode != 0:
        sys.exit("failed: %s\n%s" % (" ".join(cmd), p.stderr[-2000:]))
    return wall, (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime), p
