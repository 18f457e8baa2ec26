#!/usr/bin/env bash
# Request validation throughput: the generated C validators (parse + validate + serialize of
# ClipProcessingRequest and JobCreate documents, through domain_validate_lines) against
# python3-jsonschema validating the same documents with the same schemas, in one run.
# Prints documents/s and the time ratio. Usage: bench/domain_bench.sh BUILD_DIR [N]
set -euo pipefail
build="${1:-build/release}"
n="${2:-5000}"
here="$(cd "$(dirname "$0")/.." && pwd)"
tool="$build/packages/domain/domain_validate_lines"
[ -x "$tool" ] || { echo "missing $tool (build first)" >&2; exit 1; }

python3 - "$n" "$tool" "$here/packages/domain/tests" <<'PY'
import json, resource, subprocess, sys, time
n, tool = int(sys.argv[1]), sys.argv[2]
sys.path.insert(0, sys.argv[3])
import crosscheck

req = {"clip_id": "c1", "source_uri": "media://m_123", "target_format": "mp4",
       "operations": [{"op": "trim", "start_ms": 5000, "end_ms": 15000},
                      {"op": "scale", "width": 1280, "height": -1},
                      {"op": "normalize_audio", "target_lufs": -14},
                      {"op": "thumbnail", "at_ms": 1000, "output_uri": "file:///t.jpg"}]}
docs = []
for i in range(n):
    req["clip_id"] = "c%d" % i
    if i % 2:
        docs.append(("ClipProcessingRequest", json.dumps(req)))
    else:
        docs.append(("JobCreate", json.dumps({"kind": "clip_processing", "request": req})))
lines = "".join("%s\t%s\n" % d for d in docs).encode()

# CPU time (user + sys), so other load on the machine does not skew the ratio.
def child_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime

start = child_cpu()
out = subprocess.run([tool], input=lines, capture_output=True, check=True).stdout.decode()
c_s = child_cpu() - start
accepted = sum(1 for l in out.splitlines() if l.startswith("ok\t"))
if accepted != n:
    sys.exit("C accepted %d of %d documents" % (accepted, n))

refs = {name: crosscheck.reference_for(name) for name in ("ClipProcessingRequest", "JobCreate")}
start = time.process_time()
for name, text in docs:
    if next(refs[name].iter_errors(json.loads(text)), None) is not None:
        sys.exit("python3-jsonschema rejected a document")
py_s = time.process_time() - start

print("%-46s %10s %12s" % ("validator (%d documents)" % n, "CPU s", "documents/s"))
print("%-46s %10.3f %12.0f" % ("clipforge generated C (parse+validate+emit)", c_s, n / c_s))
print("%-46s %10.3f %12.0f" % ("python3-jsonschema (validate only)", py_s, n / py_s))
print("ratio python3-jsonschema / C CPU time: %.1fx" % (py_s / c_s))
PY
