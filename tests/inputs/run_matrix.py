#!/usr/bin/env python3
"""Runs every pipeline on one case of the input matrix (media_matrix.py) and checks what comes out
with ffprobe and ffmpeg's own filters. Usage: run_matrix.py CLIPFORGE WORKDIR [--lite] CASE...

For each case: clip to mp4 and to webm, render a vertical short, detect and transcribe (--lite:
the mp4 clip and detection only, the reading of the input being the same layer), and check
  streams    every stream class of the input is in the output (and listed in the result)
  duration   each output is as long as asked, within one frame
  marks      the flashes and beeps of the source are where the trim puts them (so the
             container's start time was honoured) and together (A/V in sync)
  features   detection's feature track has the flashes, beeps and the cut at their media times
  words      the transcript's speech starts where it was put (3.0 s of media time)
"""
import json
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import media_matrix as mm  # noqa: E402

FRAME = 0.041  # one frame at 25 fps, plus rounding of the measurements
SYNC = 0.030   # one audio frame (1024 samples at 44.1 kHz is 23 ms) and the meters' rounding
METER_DELAY = 0.012  # the beep meter's band-pass answers this late; the flash meter at once
FAILS = []


def check(ok, what):
    print("  %s - %s" % ("ok" if ok else "FAIL", what), flush=True)
    if not ok:
        FAILS.append(what)
    return ok


# Transcription in one pass: the adapted second pass decodes the same samples again (its own tests
# are in tests/transcribe), and the reading of the input is what is tested here.
ONE_PASS = dict(os.environ, CLIPFORGE_POCKETSPHINX_MLLR="off")


def clipforge(cf, *args, env=None):
    r = subprocess.run([cf, *args], capture_output=True, text=True, env=env)
    for bad in ("AddressSanitizer", "LeakSanitizer", "runtime error:"):
        if bad in r.stderr:
            print(r.stderr[-4000:], file=sys.stderr)
            FAILS.append("sanitizer report in clipforge %s" % " ".join(args))
    return r


def classes(streams):
    return sorted({s["type"] for s in streams if s["type"] in ("audio", "video")})


def source_facts(case, path):
    """Marks of the source measured like the outputs' (so codec delays cancel out); the beeps of
    the audio stream the pipelines should take by default."""
    return dict(flashes=mm.flashes(path, start=0), beeps=mm.beeps(path, mm.default_audio(case), start=0),
                streams=mm.streams(path), designed_offset=offset(mm.FLASHES, mm.default_beeps(case)) or 0.0)


def offset(flashes, beeps):
    """How far the first beep near a flash is from it (None when none is)."""
    offs = [bb - f for bb in beeps for f in flashes if abs(f - bb) < 0.45]
    return offs[0] if offs else None


def check_marks(name, out, src, a, b, has_v, has_a):
    """The output's flashes and beeps are the source's in [a, b) moved to 0, and in sync."""
    ok = True
    if has_v:
        want = mm.expected_in(src["flashes"], a, b)
        got = mm.flashes(out, start=0)
        ok &= check(mm.near(got, want, FRAME), "%s: flashes %s, want %s" % (name, got, want))
    if has_a:
        want = mm.expected_in(src["beeps"], a, b)
        got = mm.beeps(out, start=0)
        ok &= check(mm.near(got, want, FRAME), "%s: beeps %s, want %s" % (name, got, want))
    if has_v and has_a and ok:
        # each beep keeps the distance to its flash the generator gave it, plus the beep
        # meter's delay (the source's own measure is no reference: an MPEG-TS file starts
        # with the AAC encoder's priming samples, which shift what the meters see)
        want = METER_DELAY + src["designed_offset"]
        got = offset(mm.flashes(out, start=0), mm.beeps(out, start=0))
        if got is not None:
            check(abs(got - want) <= SYNC, "%s: A/V offset %+.3f s" % (name, got - want))


def check_streams(name, out, src, start, want_secs, has_v, has_a, result):
    st = mm.streams(out)
    want = [c for c, h in (("audio", has_a), ("video", has_v)) if h]
    ok = check(classes(st) == want, "%s: stream classes %s, want %s" % (name, classes(st), want))
    for s in st:
        if s["type"] not in ("audio", "video"):
            continue
        limit = want_secs
        if s["type"] == "video" and src.get("video_end") is not None:
            limit = min(want_secs, src["video_end"] - start)
        check(abs(s["duration"] - limit) <= FRAME + 0.03,
              "%s: %s stream lasts %.3f s, want %.3f s" % (name, s["type"], s["duration"], limit))
    if result is not None:
        listed = sorted({s.get("kind") for a in result.get("artifacts", result.get("outputs", []))
                         for s in a.get("streams", [])} - {None})
        check(listed == want, "%s: the result lists streams %s, want %s" % (name, listed, want))
    return ok


def carried_audio(case, src):
    """Index of the audio stream every pipeline takes by default (None when there is none)."""
    audio = [i for i, s in enumerate(src["streams"]) if s["type"] == "audio"]
    return audio[1 if mm.default_audio(case) == "0:a:1" else 0] if audio else None


def check_left_out(name, result, src, carried):
    """The result's notes name each audio stream of the source it does not carry, and no other:
    a second language or a commentary track dropped without a word is lost."""
    want = [i for i, s in enumerate(src["streams"]) if s["type"] == "audio" and i != carried]
    named = sorted(int(x) for n in result.get("notes", []) if n.startswith("left out") or ": left out" in n
                   for x in re.findall(r"audio stream (\d+) \(", n.split(";")[0]))
    check(named == want, "%s: the notes name audio streams %s as left out, want %s" % (name, named, want))


def clip(cf, case, path, src, work, fmt, has_v, has_a):
    a, b = case.get("trim", (2.0, 7.0))
    out = os.path.join(work, "%s-clip.%s" % (case["name"], fmt))
    r = clipforge(cf, "clip", "--input", path, "--output", out, "--trim", "%g:%g" % (a, b), "--json")
    if not check(r.returncode == 0, "clip %s exits 0 (%s)" % (fmt, r.stderr.strip()[-300:])):
        return
    res = json.loads(r.stdout)
    check_left_out("clip " + fmt, res, src, carried_audio(case, src))
    if check_streams("clip " + fmt, out, src, a, b - a, has_v, has_a, res):
        check_marks("clip " + fmt, out, src, a, b, has_v, has_a)


def asked(cf, case, path, work):
    """--audio-stream takes the stream asked for (the first audio stream, index 1) instead."""
    out = os.path.join(work, "%s-asked.mp4" % case["name"])
    r = clipforge(cf, "clip", "--input", path, "--output", out, "--trim", "2:7", "--audio-stream", "1", "--json")
    if check(r.returncode == 0, "clip --audio-stream 1 exits 0 (%s)" % r.stderr.strip()[-300:]):
        want = mm.expected_in(mm.beeps(path, "0:a:0", start=0), 2, 7)
        got = mm.beeps(out, start=0)
        check(mm.near(got, want, FRAME), "clip --audio-stream 1: beeps %s, want %s" % (got, want))
        src = [s.get("source_index") for a in json.loads(r.stdout)["artifacts"] for s in a.get("streams", [])
               if s["kind"] == "audio"]
        check(src == [1], "clip --audio-stream 1: the result says the audio comes from %s" % src)
        check_left_out("clip --audio-stream 1", json.loads(r.stdout), source_facts(case, path), 1)
    r = clipforge(cf, "clip", "--input", path, "--output", out, "--audio-stream", "0")
    check(r.returncode == 2 and "no audio stream 0" in r.stderr, "--audio-stream 0 (the video) is refused naming it")
    detect_asked(cf, case, path, work)


def detect_asked(cf, case, path, work):
    """Detection with --audio-stream 1 analyses that stream, even when the default stream's
    features of the same file are already stored, and its notes name the default as left out."""
    env = dict(os.environ, CLIPFORGE_DATA_DIR=os.path.join(work, "data-" + case["name"]))
    first = clipforge(cf, "detect", "--input", path, "--json", env=env)
    check(first.returncode == 0, "detect (features stored) exits 0 (%s)" % first.stderr.strip()[-300:])
    feats = os.path.join(work, "%s-asked-features.json" % case["name"])
    r = clipforge(cf, "detect", "--input", path, "--audio-stream", "1", "--features-out", feats, "--json", env=env)
    if not check(r.returncode == 0, "detect --audio-stream 1 exits 0 (%s)" % r.stderr.strip()[-300:]):
        return
    t = json.load(open(feats))
    flux, hop = rows_of(t, "spectral_flux"), t["hop_ms"] / 1000.0
    med = sorted(flux)[len(flux) // 2]
    onsets = [b for b in mm.BEEPS if max(flux[max(0, int(b / hop) - 1):int(b / hop) + 2]) >= 3 * med + 1e-6]
    check(onsets == mm.BEEPS, "detect --audio-stream 1: spectral flux onsets at the first stream's beeps %s, got %s"
          % (mm.BEEPS, onsets))
    check_left_out("detect --audio-stream 1", json.loads(r.stdout), source_facts(case, path), 1)


def render(cf, case, path, src, work, has_v, has_a):
    a, b = case.get("trim", (2.0, 7.0))
    out = os.path.join(work, "%s-render.mp4" % case["name"])
    r = clipforge(cf, "render", "--template", "shorts-blur", "--input", path, "--span", "%g:%g" % (a, b),
                  "--format", "vertical", "--size", "180x320", "--output", out, "--json")
    if not check(r.returncode == 0, "render exits 0 (%s)" % r.stderr.strip()[-300:]):
        return
    res = json.loads(r.stdout)
    if not has_v:  # sound alone is drawn as its waveform, and the result says so
        check(any("no pictures" in n and "waveform" in n for n in res.get("notes", [])),
              "render of sound alone: the notes say it is drawn as a waveform (%s)" % res.get("notes"))
    check_left_out("render", res, src, carried_audio(case, src))
    # a short always has a picture and sound: the source's, or silence where it has none
    if check_streams("render", out, dict(src, video_end=None), a, b - a, True, True, res):
        check_marks("render", out, src, a, b, has_v, has_a)


def rows_of(track, name):
    i = track["features"].index(name)
    return [row[i] for row in track["rows"]]


def detect(cf, case, path, src, work, has_v, has_a):
    feats = os.path.join(work, "%s-features.json" % case["name"])
    r = clipforge(cf, "detect", "--input", path, "--no-cache", "--features-out", feats, "--json")
    if not check(r.returncode == 0, "detect exits 0 (%s)" % r.stderr.strip()[-300:]):
        return
    check_left_out("detect", json.loads(r.stdout), src, carried_audio(case, src))
    t = json.load(open(feats))
    hop = t["hop_ms"] / 1000.0
    check(abs(t["duration_ms"] / 1000.0 - mm.DURATION) <= 0.1, "detect: duration %d ms" % t["duration_ms"])
    check(t["has_video"] == has_v and t["has_audio"] == has_a,
          "detect: has_video %s has_audio %s" % (t["has_video"], t["has_audio"]))
    if has_v:
        cuts = [i * hop for i, v in enumerate(rows_of(t, "scene_cut")) if v > 0.5]
        check(any(abs(c - mm.CUT_AT) <= 0.15 for c in cuts), "detect: scene cuts at %s, want %.1f s" % (cuts, mm.CUT_AT))
        bright = rows_of(t, "brightness")
        peaks = [i * hop for i in range(1, len(bright) - 1)
                 if bright[i] > bright[i - 1] + 20 and bright[i] >= bright[i + 1]]
        want = [f for f in mm.FLASHES if f < src.get("video_end", mm.DURATION)]
        check(mm.near(peaks, want, 0.15), "detect: flashes at %s, want %s" % (peaks, want))
    if has_a:
        # each beep is an onset: the spectral flux at its hop stands far over the file's median
        flux = rows_of(t, "spectral_flux")
        med = sorted(flux)[len(flux) // 2]
        beeps = [b for b in mm.default_beeps(case) if b >= case.get("audio_late", 0)]
        missed = [b for b in beeps if max(flux[max(0, int(b / hop) - 1):int(b / hop) + 2]) < 3 * med + 1e-6]
        check(not missed, "detect: no spectral flux onset at the beeps %s (median flux %.3f)" % (missed, med))


def transcribe(cf, case, path, work, has_a):
    out = os.path.join(work, "%s-transcript.json" % case["name"])
    r = clipforge(cf, "transcribe", "--input", path, "--format", "json", "--output", out, env=ONE_PASS)
    if not has_a:
        check(r.returncode == 2 and "audio" in r.stderr, "transcribe of a file without audio: exit 2 naming it")
        return
    if not check(r.returncode == 0, "transcribe exits 0 (%s)" % r.stderr.strip()[-300:]):
        return
    src = source_facts(case, path)
    notes = [ln.split("note: ", 1)[1] for ln in r.stderr.splitlines() if "note: " in ln]
    check_left_out("transcribe", {"notes": notes}, src, carried_audio(case, src))
    doc = json.load(open(out))
    words = [w for seg in doc.get("segments", []) for w in seg.get("words", [])]
    starts = [w["start_ms"] / 1000.0 for w in words]
    first = min(starts) if starts else -1
    check(len(words) >= 3 and mm.SPEECH_AT - 0.15 <= first <= mm.SPEECH_AT + 0.6,
          "transcribe: %d words, first at %.2f s, want from %.1f s" % (len(words), first, mm.SPEECH_AT))


def run_case(cf, name, work, lite=False):
    case = mm.BY_NAME[name]
    print("# %s" % name, flush=True)
    media = os.path.join(work, "media")
    os.makedirs(media, exist_ok=True)
    path = mm.make(case, media)
    src = source_facts(case, path)
    if case.get("video_until"):
        src["video_end"] = case["video_until"]
    has_v, has_a = case.get("v") is not None, case.get("a") is not None
    check(classes(src["streams"]) == [c for c, h in (("audio", has_a), ("video", has_v)) if h], "source streams")
    for fmt in ("mp4",) if lite else ("mp4", "webm"):
        clip(cf, case, path, src, work, fmt, has_v, has_a)
    if case.get("two_audio"):
        asked(cf, case, path, work)
    if not lite or case.get("two_audio"):
        render(cf, case, path, src, work, has_v, has_a)
    detect(cf, case, path, src, work, has_v, has_a)
    if not lite or case.get("two_audio"):  # which audio stream was heard is said by each pipeline
        transcribe(cf, case, path, work, has_a)


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    cf, work = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    names = sys.argv[3:]
    lite = "--lite" in names
    names = [n for n in names if n != "--lite"]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    os.environ["TMPDIR"] = work
    for name in names:
        run_case(cf, name, work, lite)
    leftovers = [f for f in os.listdir(work) if f.startswith("cf-") or f.endswith(".tmp")]
    check(not leftovers, "no temp files left (%s)" % leftovers)
    print("%d failed" % len(FAILS))
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())
