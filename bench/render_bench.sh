#!/usr/bin/env bash
# Render throughput: a 30 s 1080p source rendered with the shorts-blur template (1080x1920,
# blurred fill, title, progress bar, loudness normalisation, H.264 veryfast crf 23 + AAC) by
# `clipforge render`, against the ffmpeg CLI running the very filter graph clipforge built
# (taken from its debug log) with the same encoder settings, in one run.
# Runs alternate (clipforge, ffmpeg, clipforge, ...) RENDER_BENCH_RUNS times (3) so both see the
# same load; prints the best wall and CPU seconds of each, frames/s and the ratios of the bests.
# Then it runs the two side by side (started together, RENDER_BENCH_RUNS pairs): on a machine
# other work loads, both see the same contention, so the median of the pair ratios is the steadier
# wall figure.
# Last, callgrind counts the instructions of both on 2 s of the source: the figure load does not move.
# RENDER_BENCH_SECONDS (30) sets the source length; RENDER_BENCH_TEMPLATE (shorts-blur) the template:
# with podcast-split the ffmpeg CLI runs the graph only, so the ratio is what the face pass that
# places the two panels costs on top. Usage: bench/render_bench.sh BUILD_DIR
set -euo pipefail
secs=${RENDER_BENCH_SECONDS:-30}
runs=${RENDER_BENCH_RUNS:-3}
build=$(cd "${1:-build/release}" && pwd)
bin=$build/clipforge
[ -x "$bin" ] || { echo "missing $bin (build first)" >&2; exit 1; }
media=$build/bench-media
mkdir -p "$media"
src=$media/src_1080p_${secs}s.mp4
if [ ! -s "$src" ]; then
  ffmpeg -v error -y -f lavfi -i "testsrc2=s=1920x1080:r=30:d=$secs" -f lavfi -i "sine=f=300:d=$secs" \
    -c:v libx264 -preset veryfast -crf 20 -pix_fmt yuv420p -c:a aac -shortest "$src"
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python3 - "$bin" "$src" "$work" "$secs" "$runs" "${RENDER_BENCH_TEMPLATE:-shorts-blur}" <<'PY'
import json, os, re, resource, shutil, subprocess, sys, time
bin_, src, work = sys.argv[1:4]
secs, runs, template = int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]

def run(cmd, env=None):
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    p = subprocess.run(cmd, capture_output=True, text=True, env=env)
    wall = time.monotonic() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode:
        sys.exit("failed: %s\n%s" % (" ".join(cmd[:3]), p.stderr[-2000:]))
    return wall, (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime), p.stderr

env = dict(os.environ, CLIPFORGE_LOG_LEVEL="debug")

def commands(src, secs, tag):
    """clipforge's render command, the graph it built (from its debug log) and the ffmpeg CLI
    command running that graph with the same encoder settings; also the first run's times."""
    out_cf = os.path.join(work, "clipforge%s.mp4" % tag)
    cf_cmd = [bin_, "render", "--template", template, "--input", src, "--span", "0:%d" % secs,
              "--format", "vertical", "--title", "Benchmark", "--output", out_cf]
    cf_wall, cf_cpu, log = run(cf_cmd, env)
    graph = None
    for line in log.splitlines():
        try:
            msg = json.loads(line).get("msg", "")
        except ValueError:
            continue
        if msg.startswith("filter graph: "):
            graph = msg[len("filter graph: "):]
    if not graph:
        sys.exit("no filter graph in the clipforge debug log")
    # the graph read links in a temp dir that is gone now: point it at the same files
    title = os.path.join(work, "title.txt")
    open(title, "w").write("Benchmark")
    graph = re.sub(r"movie=filename=[^:,;\[]*src0\.mp4", "movie=filename=" + src, graph)
    graph = re.sub(r"textfile=[^:,;\[]*", "textfile=" + title, graph)
    # the CLI does not size the frames of a filter_complex audio output for AAC: cut them to 1024
    graph = graph.replace("[outa0]", ",asetnsamples=n=1024:p=0[outa0]")
    out_ff = os.path.join(work, "ffmpeg%s.mp4" % tag)
    ff_cmd = ["ffmpeg", "-v", "error", "-y", "-filter_complex", graph, "-map", "[outv0]", "-map", "[outa0]",
              "-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-g", "60", "-c:a", "aac",
              "-b:a", "128k", "-movflags", "+faststart", out_ff]
    return cf_cmd, ff_cmd, out_cf, out_ff, cf_wall, cf_cpu

cf_cmd, ff_cmd, out_cf, out_ff, cf_wall, cf_cpu = commands(src, secs, "")
cf_runs, ff_runs = [(cf_wall, cf_cpu)], []
for i in range(runs):
    ff_runs.append(run(ff_cmd)[:2])
    if i + 1 < runs:
        cf_runs.append(run(cf_cmd)[:2])
print("runs (wall s / cpu s): clipforge %s; ffmpeg %s" % (
    ", ".join("%.2f/%.2f" % r for r in cf_runs), ", ".join("%.2f/%.2f" % r for r in ff_runs)))
cf_wall, cf_cpu = min(r[0] for r in cf_runs), min(r[1] for r in cf_runs)
ff_wall, ff_cpu = min(r[0] for r in ff_runs), min(r[1] for r in ff_runs)
frames = 30 * secs
for name, path in (("clipforge", out_cf), ("ffmpeg", out_ff)):
    n = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-count_packets", "-show_entries",
                        "stream=nb_read_packets", "-of", "csv=p=0", path], capture_output=True, text=True).stdout.strip()
    if n != str(frames):
        sys.exit("%s wrote %s frames, expected %d" % (name, n, frames))
print("%-22s %8s %8s %10s" % ("%s, %d s 1080p -> 1080x1920" % (template, secs), "wall s", "cpu s", "frames/s"))
print("%-22s %8.2f %8.2f %10.1f" % ("clipforge render", cf_wall, cf_cpu, frames / cf_wall))
print("%-22s %8.2f %8.2f %10.1f" % ("ffmpeg CLI, same graph", ff_wall, ff_cpu, frames / ff_wall))
print("ratio clipforge/ffmpeg (best of %d each): wall %.3f, cpu %.3f (goal <= 1.05)" % (
    runs, cf_wall / ff_wall, cf_cpu / ff_cpu))

def timed(cmd, env=None):
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    return p, t0

pairs = []
for _ in range(runs):
    (pc, tc), (pf, tf) = timed(cf_cmd), timed(ff_cmd)
    procs = {pc: tc, pf: tf}
    ends = {}
    while len(ends) < 2:
        for p in procs:
            if p not in ends and p.poll() is not None:
                ends[p] = time.monotonic() - procs[p]
        time.sleep(0.01)
    if pc.returncode or pf.returncode:
        sys.exit("a side-by-side run failed")
    pairs.append(ends[pc] / ends[pf])
pairs.sort()
print("side by side (same load), wall ratios: %s; median %.3f" % (", ".join("%.3f" % r for r in pairs),
                                                                 pairs[len(pairs) // 2]))

# Instructions do not depend on the load: callgrind counts both sides of a short render (2 s of
# the same source, the same graph) exactly; RENDER_BENCH_INSTRUCTIONS=0 skips it (~2 min).
if shutil.which("valgrind") and os.environ.get("RENDER_BENCH_INSTRUCTIONS", "1") != "0":
    short = os.path.join(work, "src2.mp4")
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", src, "-t", "2", "-c", "copy", short], check=True)
    cf2, ff2 = commands(short, 2, "-short")[:2]
    counts = []
    for name, cmd in (("clipforge", cf2), ("ffmpeg", ff2)):
        out = os.path.join(work, "callgrind.%s" % name)
        p = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out] + cmd,
                           capture_output=True, text=True)
        m = re.search(r"Collected : (\d+)", p.stderr)
        if p.returncode or not m:
            sys.exit("callgrind run of %s failed:\n%s" % (name, p.stderr[-2000:]))
        counts.append(int(m.group(1)))
    print("instructions (callgrind, 2 s of the source): clipforge %.3g, ffmpeg %.3g; ratio %.3f (goal <= 1.05)"
          % (counts[0], counts[1], counts[0] / counts[1]))
PY
