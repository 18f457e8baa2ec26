#!/usr/bin/env python3
"""Highlight detection on compositions of real footage and real audio from Debian packages.

    real_footage.py --bin CLIPFORGE [--manifest real-footage.json] [--cache DIR] [--work DIR]
                    [--profiles generic,sports,...] [--report FILE.md] [--json FILE.json]
                    [--draws N] [--lean [--lean-composition ID] [--lean-profiles generic,...]]

The manifest (real-footage.json beside this script; real-footage-2.json is the second set, labelled
before any run on it: other speakers, music, noise and footage, and new kinds — highlight exclaim,
decoys musicbed and musiccuts; real-footage-3.json the third, labelled before any run too, its
recordings new but for laughter and one applause) lists the packages and, per composition,
its timeline: calm speech over footage, highlights (a real crowd cheering over the commentary,
applause after a line, laughter after a line) and decoys (loud music over a still shot, the
same calm speech 9 dB louder, loud engine noise), labelled before detection was tuned on it.
Each composition is generated here (packages fetched with tests/media/debmedia.py, audio mixed
with numpy at 32 kHz, video cut from the real clips with the ffmpeg CLI at 320x180), then
`clipforge detect --json` runs once per profile and each returned span is matched to the
labelled segment it overlaps most (at least half of the shorter of the two).

Reported per profile: top-2 (share of the two best spans of each composition that are labelled
highlights; goal >= 80 %), precision@3, decoys ranked below every highlight (goal: all), the
decoys' ranks, and the audio events heard in each kind of segment. A set is six compositions, so
one span is 8 points of top-2 and which recordings a composition draws moves its figures by
more than most changes do: --draws N composes each N times (redrawn) and pools them, listing
each draw's top-2. A composition is composed again when what it is made of changes (a digest
of its entry, the levels and the pools' files beside it).

--lean (the `detect_real_footage` tests): only one composition (the first over the transcriber's
speech, or --lean-composition), cut after its third labelled segment, and only the generic
profile (or --lean-profiles); fails (exit 1) when, in a profile, the best span is not a highlight
or a decoy outranks a highlight. Exit 77 when a package cannot be fetched.
"""
import argparse
import gzip
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "media"))
import debmedia  # noqa: E402

RATE = 32000
SIZE = (320, 180)
PROFILES = ["generic", "sports", "podcast", "gaming", "lecture", "music"]
SKIP = 77


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def ffmpeg(*args):
    r = subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", *args], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("ffmpeg failed: %s\n%s" % (" ".join(args), r.stderr[-1500:]))


# ---- sources ------------------------------------------------------------------------------------

def fetch_sources(manifest, cache):
    """role -> [(package, [files])], with each package's root; None when one cannot be fetched."""
    out = {}
    for s in manifest["sources"]:
        root = debmedia.fetch(cache, s["package"])
        if root is None:
            return None
        files = debmedia.matching(root, s["files"], s.get("exclude", ()))
        if not files:
            sys.exit("%s: nothing matches %s" % (s["package"], s["files"]))
        key = s["role"] if s["role"] != "speech" else "speech:" + s["name"]
        out.setdefault(key, []).extend(files)
    return out


def decode(path, work):
    """Mono float32 at RATE."""
    if path.endswith(".gz"):
        plain = os.path.join(work, os.path.basename(path)[:-3])
        if not os.path.exists(plain):
            with gzip.open(path, "rb") as a, open(plain, "wb") as b:
                shutil.copyfileobj(a, b)
        path = plain
    raw = subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-i", path, "-ac", "1", "-ar", str(RATE),
                          "-f", "f32le", "-"], capture_output=True, check=True).stdout
    return np.frombuffer(raw, dtype=np.float32).copy()


def level_db(x):
    """RMS level in dBFS over the 50 ms frames louder than -50 dBFS (the active part)."""
    n = RATE // 20
    if not len(x):
        return -120.0
    frames = x[: len(x) // n * n].reshape(-1, n) if len(x) >= n else x.reshape(1, -1)
    rms = 10 * np.log10((frames ** 2).mean(1) + 1e-12)
    active = rms[rms > -50]
    return 10 * np.log10(np.mean(10 ** (active / 10))) if len(active) else -120.0


def at_level(x, target_db):
    return x * (10 ** ((target_db - level_db(x)) / 20))


def fade(x, inn, out):
    x = x.copy()
    a, b = min(len(x), int(inn * RATE)), min(len(x), int(out * RATE))
    if a:
        x[:a] *= np.linspace(0, 1, a)
    if b:
        x[-b:] *= np.linspace(1, 0, b)
    return x


class Pools:
    def __init__(self, files, work):
        self.files, self.work, self.cache = files, work, {}

    def clip(self, path):
        if path not in self.cache:
            self.cache[path] = decode(path, self.work)
        return self.cache[path]

    def bed(self, role, seconds, level, rng):
        """Recordings of role joined (0.2-0.6 s apart) to fill seconds, each at level, faded."""
        out, files = [], self.files[role]
        while sum(len(x) for x in out) < seconds * RATE:
            x = self.clip(files[rng.randrange(len(files))])
            if len(x) < RATE // 4:
                continue
            out += [fade(at_level(x, level), 0.05, 0.3), np.zeros(int(rng.uniform(0.2, 0.6) * RATE), np.float32)]
        return np.concatenate(out)[: int(seconds * RATE)]

    def music(self, seconds, level, rng):
        files = self.files["music"]
        x = self.clip(files[rng.randrange(len(files))])
        n = int(seconds * RATE)
        start = rng.randrange(0, max(1, len(x) - n))
        if len(x) < n:  # a piece shorter than the segment plays again from its start
            x = np.tile(x, n // len(x) + 1)
        return fade(at_level(x[start:start + n], level), 0.5, 1.0)


class Speech:
    """An endless stream of calm speech lines, each at the calm level, 0.3-0.9 s apart. name is one
    speech source, or a list of them whose lines alternate (a dialogue of two speakers)."""

    def __init__(self, pools, name, level, rng):
        self.pools, self.level, self.rng = pools, level, rng
        self.voices = []
        for n in [name] if isinstance(name, str) else name:
            files = list(pools.files["speech:" + n])
            self.rng.shuffle(files)
            self.voices.append(files)
        self.i, self.buf = 0, np.zeros(0, np.float32)

    def line(self):
        """The next line's source file: the voices in turn, each through its own shuffled files."""
        files = self.voices[self.i % len(self.voices)]
        path = files[self.i // len(self.voices) % len(files)]
        self.i += 1
        return path

    def take(self, seconds, level=None):
        n = int(seconds * RATE)
        while len(self.buf) < n:
            x = self.pools.clip(self.line())
            if len(x) > 60 * RATE:  # a long recording: lines of 4-12 s from it
                a = self.rng.randrange(0, len(x) - 12 * RATE)
                x = x[a:a + int(self.rng.uniform(4, 12) * RATE)]
            pause = np.zeros(int(self.rng.uniform(0.3, 0.9) * RATE), np.float32)
            self.buf = np.concatenate([self.buf, fade(at_level(x, self.level), 0.02, 0.05), pause])
        out, self.buf = self.buf[:n], self.buf[n:]
        return out if level is None else out * (10 ** ((level - self.level) / 20))


# ---- composition --------------------------------------------------------------------------------

def compose_audio(comp, pools, levels):
    rng = random.Random(comp["seed"])
    speech = Speech(pools, comp["speech"], levels["calm"], rng)
    parts = []
    for seg in comp["segments"]:
        secs, k = seg["end_s"] - seg["start_s"], seg["kind"]
        if k == "calm":
            a = speech.take(secs)
        elif k == "loudcalm":
            a = speech.take(secs, levels["loudcalm"])
        elif k == "crowd":  # the commentary goes on under the crowd
            a = speech.take(secs) + fade(pools.bed("crowd", secs, levels["crowd"], rng), 1.0, 2.0)
        elif k in ("applause", "laughter", "noise", "exclaim"):
            a = fade(pools.bed(k, secs, levels[k], rng), 0.3, 1.0)
        elif k in ("music", "musiccuts"):  # musiccuts: the same loud music over cuts between clips
            a = pools.music(secs, levels["music"], rng)
        elif k == "musicbed":  # calm speech over a music bed
            a = speech.take(secs) + pools.music(secs, levels["musicbed"], rng)
        else:
            sys.exit("unknown segment kind %s" % k)
        parts.append(a[: int(secs * RATE)])
    return np.concatenate(parts)


def video_chunk(clips, seg, rng, out):
    """One segment's video: a clip looped (calm, loud, noise, music bed), cuts every 2-4 s between
    clips (highlights, music over cuts), or one still frame (music)."""
    secs, k = seg["end_s"] - seg["start_s"], seg["kind"]
    vf = "scale=%d:%d:force_original_aspect_ratio=decrease,pad=%d:%d:(ow-iw)/2:(oh-ih)/2,fps=25,format=yuv420p,setsar=1" % (
        SIZE + SIZE)
    # two B-frames between references (ultrafast alone makes none): analysis skips the pictures no
    # other refers to, and this set should see it do so, as it does on most real uploads
    enc = ["-an", "-c:v", "libx264", "-preset", "ultrafast", "-bf", "2", "-crf", "30", "-g", "50"]
    if k == "music":
        ffmpeg("-i", clips[rng.randrange(len(clips))], "-frames:v", "1", "-vf", vf, out + ".png")
        ffmpeg("-loop", "1", "-i", out + ".png", "-t", "%.3f" % secs, "-vf", "fps=25,format=yuv420p", *enc, out)
        return
    if k in ("crowd", "applause", "laughter", "exclaim", "musiccuts"):
        inputs, chains, t, i = [], [], 0.0, 0
        while t < secs - 0.01:
            d = min(secs - t, rng.uniform(2, 4))
            if secs - t - d < 0.04:  # no piece shorter than a frame after it: ffmpeg loops one forever
                d = secs - t
            inputs += ["-stream_loop", "-1", "-t", "%.3f" % d, "-i", clips[rng.randrange(len(clips))]]
            chains.append("[%d:v]%s,trim=duration=%.3f,setpts=PTS-STARTPTS[v%d]" % (i, vf, d, i))
            t, i = t + d, i + 1
        graph = ";".join(chains) + ";" + "".join("[v%d]" % j for j in range(i)) + "concat=n=%d:v=1:a=0[out]" % i
        ffmpeg(*inputs, "-filter_complex", graph, "-map", "[out]", *enc, out)
        return
    clip = clips[rng.randrange(len(clips))]
    # A short clip looped by the demuxer is opened again on every pass, which for a clip of one
    # second costs ffmpeg far more than the encode (13 s for 34 s of output); the loop filter
    # repeats its scaled frames from memory instead (at most 10 s of them: 22 MB), as often.
    frames = round(debmedia.seconds(clip) * 25)
    if 0 < frames <= 250:
        ffmpeg("-i", clip, "-t", "%.3f" % secs, "-vf", "%s,loop=loop=-1:size=%d" % (vf, frames + 25), *enc, out)
        return
    ffmpeg("-stream_loop", "-1", "-i", clip, "-t", "%.3f" % secs, "-vf", vf, *enc, out)


def recipe_digest(comp, pools, levels):
    """What a composition is made of: its entry, the levels and every pool's files (as paths in
    their packages), so that a work directory's composition is made again when any changes."""
    files = {role: [f.split("/root/", 1)[-1] for f in fs] for role, fs in pools.files.items()}
    entry = {k: v for k, v in comp.items() if k != "draw"}
    text = json.dumps([entry, levels, files], sort_keys=True)
    return hashlib.sha1(text.encode()).hexdigest()


def compose(comp, pools, levels, work):
    out = os.path.join(work, comp["id"] + ".mp4")
    recipe, digest = out + ".recipe", recipe_digest(comp, pools, levels)
    if os.path.exists(out) and os.path.exists(recipe) and open(recipe).read() == digest:
        return out
    log("composing %s (%.0f s)" % (comp["id"], comp["duration_s"]))
    rng = random.Random(1000 + comp["seed"])
    audio = compose_audio(comp, pools, levels)
    peak = float(np.abs(audio).max())
    if peak > 0.99:
        audio *= 0.99 / peak
    wav = os.path.join(work, comp["id"] + ".f32")
    audio.astype(np.float32).tofile(wav)
    chunks = []
    for i, seg in enumerate(comp["segments"]):
        path = os.path.join(work, "%s-%02d.mp4" % (comp["id"], i))
        video_chunk(pools.files["footage"], seg, rng, path)
        chunks.append(path)
    lst = os.path.join(work, comp["id"] + ".txt")
    with open(lst, "w") as f:
        f.writelines("file '%s'\n" % c for c in chunks)
    ffmpeg("-f", "concat", "-safe", "0", "-i", lst, "-f", "f32le", "-ar", str(RATE), "-ac", "1", "-i", wav,
           "-map", "0:v", "-map", "1:a", "-c:v", "copy", "-c:a", "aac", "-b:a", "96k", "-shortest", out + ".tmp.mp4")
    os.replace(out + ".tmp.mp4", out)
    with open(recipe + ".tmp", "w") as f:
        f.write(digest)
    os.replace(recipe + ".tmp", recipe)
    for c in chunks:
        os.remove(c)
    os.remove(wav)
    return out


# ---- evaluation ---------------------------------------------------------------------------------

def assign(span, segs):
    """The labelled segment a span overlaps most, when that is at least half of the shorter."""
    a, b = span["start_ms"] / 1000, span["end_ms"] / 1000
    best, best_ov = None, 0.0
    for s in segs:
        if s["kind"] == "calm":
            continue
        ov = min(b, s["end_s"]) - max(a, s["start_s"])
        if ov > best_ov and ov >= 0.5 * min(b - a, s["end_s"] - s["start_s"]):
            best, best_ov = s, ov
    return best


def heard(result, seg):
    """Seconds of each audio-event class within a segment."""
    out = {}
    for e in result.get("audio_events", []):
        ov = min(e["end_ms"] / 1000, seg["end_s"]) - max(e["start_ms"] / 1000, seg["start_s"])
        if ov > 0:
            out[e["class"]] = out.get(e["class"], 0) + ov
    return out


def evaluate(binary, comps, media, profiles, work):
    # the work dir holds the feature store too: tracks of a build under test never come from the
    # user's data dir, where another build may have stored them under the same extractor version
    env = dict(os.environ, CLIPFORGE_FEATURE_CACHE_DIR=os.path.join(work, "features"),
               CLIPFORGE_DATA_DIR=os.path.join(work, "data"), CLIPFORGE_LOG_LEVEL="error")
    rows, events = {}, {}
    for p in profiles:
        rows[p] = []
        for comp in comps:
            r = subprocess.run([binary, "detect", "--input", media[comp["id"]], "--profile", p, "--top", "6", "--json"],
                               capture_output=True, text=True, env=env)
            if r.returncode != 0:
                sys.exit("detect failed on %s: %s" % (comp["id"], r.stderr[-800:]))
            res = json.loads(r.stdout)
            segs = comp["segments"]
            ranked = [(i + 1, h, assign(h, segs)) for i, h in enumerate(res["highlights"])]
            rows[p].append({"comp": comp, "ranked": ranked})
            if p == profiles[0]:
                for s in segs:
                    e = events.setdefault(s["kind"], {})
                    for c, secs in heard(res, s).items():
                        e[c] = e.get(c, 0) + secs
    return rows, events


def redrawn(comps, draws):
    """Each composition, then draws - 1 more of it from other recordings of its pools: the same
    segments, seed + 1000 k (the lines, the crowds, the clips the random streams pick), id ID-dK.
    One draw decides a figure of six compositions by a recording or two; several average it."""
    out = [dict(c, draw=0) for c in comps]
    for k in range(1, draws):
        out += [dict(c, id="%s-d%d" % (c["id"], k), seed=c["seed"] + 1000 * k, draw=k) for c in comps]
    return out


def summarise(rows):
    out = {}
    for p, comps in rows.items():
        top2 = p3 = slots2 = slots3 = 0
        decoys_below = decoys = 0
        ranks = []
        for row in comps:
            labels = [s["label"] if s else "other" for _, _, s in row["ranked"]]
            top2 += sum(1 for l in labels[:2] if l == "highlight")
            p3 += sum(1 for l in labels[:3] if l == "highlight")
            slots2 += 2
            slots3 += 3
            hl = [s for s in row["comp"]["segments"] if s.get("label") == "highlight"]
            best_rank = {}
            for rank, _, s in row["ranked"]:
                if s is not None and id(s) not in best_rank:
                    best_rank[id(s)] = rank
            worst_hl = max((best_rank.get(id(s), 99) for s in hl), default=0)
            for s in row["comp"]["segments"]:
                if s.get("label") != "decoy":
                    continue
                decoys += 1
                r = best_rank.get(id(s))
                ranks.append(r)
                if r is None or r > worst_hl:
                    decoys_below += 1
        out[p] = {"top2": top2 / slots2, "p_at_3": p3 / slots3, "decoys_below": decoys_below, "decoys": decoys,
                  "decoy_ranks": ranks}
    return out


def write_report(path, manifest_path, manifest, comps, summary, rows, events, lean):
    what = ("Per composition: calm speech over real footage, three highlights (a crowd cheering over the commentary, "
            "applause after a line, laughter after a line; 12-16 s each) and three decoys (loud music over a still "
            "shot, the calm speech 9 dB louder, loud engine noise; 18-28 s each)."
            if os.path.basename(manifest_path) == "real-footage.json" else manifest["description"])
    lines = ["# Highlight detection on real footage", "",
             "%d compositions, %.1f minutes in all, generated by `apps/ai/experiments/real_footage.py` from "
             "`apps/ai/experiments/%s` (labels written before tuning). %s A span counts for the labelled segment it "
             "overlaps most (at least half of the shorter). `--top 6` per profile." % (
                 len(comps), sum(c["duration_s"] for c in comps) / 60, os.path.basename(manifest_path), what), "",
             "| profile | top-2 are highlights (goal >= 80 %) | precision@3 | decoys below every highlight | decoy ranks (- = not returned) |",
             "|---|---|---|---|---|"]
    for p, s in summary.items():
        lines.append("| %s | %.0f %% | %.2f | %d of %d | %s |" % (
            p, 100 * s["top2"], s["p_at_3"], s["decoys_below"], s["decoys"],
            " ".join("-" if r is None else str(r) for r in s["decoy_ranks"])))
    lines += ["", "Spans per composition and profile (rank: what the span is):", ""]
    for p, comps_rows in rows.items():
        lines.append("- **%s**: " % p + "; ".join(
            "%s: %s" % (r["comp"]["id"], ", ".join("%d %s" % (k, s["kind"] if s else "calm") for k, _, s in r["ranked"]) or "none")
            for r in comps_rows))
    lines += ["", "Audio events heard in each kind of segment (seconds, all compositions, from the first profile's run):", "",
              "| segment | " + " | ".join(["speech", "music", "crowd", "applause", "laughter", "silence", "noise"]) + " |",
              "|---" * 8 + "|"]
    for kind, e in sorted(events.items()):
        lines.append("| %s | %s |" % (kind, " | ".join("%.0f" % e.get(c, 0) for c in
                                                       ["speech", "music", "crowd", "applause", "laughter", "silence", "noise"])))
    lines += ["", "Sources (each package's copyright file):", "", "| role | package | licence |", "|---|---|---|"]
    seen = set()
    for s in manifest["sources"]:
        if s["package"] in seen:
            continue
        seen.add(s["package"])
        lines.append("| %s | %s | %s |" % (s["role"], s["package"], s.get("licence", "")))
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", required=True)
    ap.add_argument("--manifest", default=os.path.join(HERE, "real-footage.json"))
    ap.add_argument("--cache", default=debmedia.default_cache())
    ap.add_argument("--work", default="/tmp/cf-real-footage")
    ap.add_argument("--profiles", default=",".join(PROFILES))
    ap.add_argument("--report")
    ap.add_argument("--json")
    ap.add_argument("--compositions", help="only these (comma-separated ids)")
    ap.add_argument("--draws", type=int, default=1,
                    help="compose each composition this many times from other recordings of its pools "
                         "(seeds seed + 1000 k, ids ID-dK); the figures pool every draw and list each one's top-2")
    ap.add_argument("--lean", action="store_true")
    ap.add_argument("--lean-composition", help="--lean: this composition (default: the first over the transcriber)")
    ap.add_argument("--lean-profiles", default="generic", help="--lean: these profiles (comma-separated)")
    args = ap.parse_args()
    with open(args.manifest) as f:
        manifest = json.load(f)
    files = fetch_sources(manifest, args.cache)
    if files is None:
        print("SKIP: a Debian package of the real-footage set cannot be fetched here")
        return SKIP
    os.makedirs(args.work, exist_ok=True)
    comps, profiles = manifest["compositions"], args.profiles.split(",")
    if args.compositions:
        comps = [c for c in comps if c["id"] in args.compositions.split(",")]
    if args.lean:  # one composition (by default the first over the transcriber's speech: two
        # recordings, quick to decode) up to the end of its third labelled segment
        c = dict(next(c for c in comps if (c["id"] == args.lean_composition if args.lean_composition
                                            else c["speech"] == "transcriber")))
        labelled = [i for i, s in enumerate(c["segments"]) if s["kind"] != "calm"]
        c["segments"] = c["segments"][: labelled[2] + 2]
        c["duration_s"] = c["segments"][-1]["end_s"]
        c["id"] += "-lean"
        comps, profiles = [c], args.lean_profiles.split(",")
    comps = redrawn(comps, args.draws)
    pools = Pools(files, args.work)
    media = {c["id"]: compose(c, pools, manifest["levels_lufs"], args.work) for c in comps}
    rows, events = evaluate(os.path.abspath(args.bin), comps, media, profiles, args.work)
    summary = summarise(rows)
    for p, s in summary.items():
        print("%-8s top-2 %.0f%%  p@3 %.2f  decoys below every highlight %d/%d  ranks %s" % (
            p, 100 * s["top2"], s["p_at_3"], s["decoys_below"], s["decoys"], s["decoy_ranks"]))
        if args.draws > 1:
            s["top2_per_draw"] = [summarise({p: [r for r in rows[p] if r["comp"]["draw"] == k]})[p]["top2"]
                                  for k in range(args.draws)]
            print("         top-2 per draw: %s" % " ".join("%.0f%%" % (100 * t) for t in s["top2_per_draw"]))
    for kind, e in sorted(events.items()):
        print("  %-9s heard: %s" % (kind, ", ".join("%s %.0f s" % kv for kv in sorted(e.items(), key=lambda kv: -kv[1]))))
    if args.report:
        write_report(args.report, args.manifest, manifest, comps, summary, rows, events, args.lean)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(summary, f, indent=1)
    if args.lean:
        ok = True
        for p in profiles:
            row, s = rows[p][0], summary[p]
            first = row["ranked"][0][2] if row["ranked"] else None
            best = first is not None and first.get("label") == "highlight"
            below = s["decoys_below"] == s["decoys"]
            print("%s - %s: the best span is a labelled highlight (%s)" % ("ok" if best else "FAIL", p,
                                                                          first and first["kind"]))
            print("%s - %s: every decoy ranks below every highlight (%d of %d)" % (
                "ok" if below else "FAIL", p, s["decoys_below"], s["decoys"]))
            ok = ok and best and below
        return 0 if ok else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
