#!/usr/bin/env python3
"""Every pipeline on real files in the containers and codecs people have (ASF/WMV, RealMedia with
AC-3, FLV, 3GP with AMR, WebM, Ogg with a skeleton track, Matroska 5.1, MOV, AVI with H.264 or
MJPEG + 8-bit PCM, MPEG-PS video alone, Matroska Opus audio alone), taken from Debian packages.

    real_inputs.py CLIPFORGE WORKDIR NAME [NAME...]     (NAME from FILES below, or "all")

Exit 77 (skip) only when a package cannot be fetched. For each file:
  clip       to MP4 from 1 s: every stream class of the file is kept, each as long as asked, and
             placed right: the clip's sound envelope and picture motion are found in the source at
             the trim point (so the audio is where the video is)
  render     a vertical short: picture, the file's sound at the trim point, the asked length
  detect     the feature track covers the file and says which of audio and video it has
  autoclip   (on two files) its short has a picture and the file's sound where its span is
  transcribe the transcript covers the file's sound (a file without sound is refused naming it);
             on the files whose sound formats the others do not have
A recording joined with itself (JOINED) is read as one twice as long, and a clip across the join
has the end of the first part and the start of the second, each placed where it was recorded.
The checks decode with the ffmpeg CLI, independently of clipforge's own reading.
"""
import json
import math
import os
import shutil
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "media"))
import debmedia  # noqa: E402
import run_matrix as rm  # noqa: E402  (check, clipforge, classes)

MIME = "usr/share/gocode/src/github.com/gabriel-vasile/mimetype/testdata/"
# name: (package, file, licence as the package's copyright file states it)
FILES = {
    "asf_wmv2_wmav2": ("golang-github-gabriel-vasile-mimetype-dev", MIME + "asf.asf", "TechSlides: free to use"),
    "rm_rv10_ac3": ("golang-github-gabriel-vasile-mimetype-dev", MIME + "rmvb.rmvb", "TechSlides: free to use"),
    "flv_flv1_mp3": ("golang-github-gabriel-vasile-mimetype-dev", MIME + "flv.flv", "TechSlides: free to use"),
    "3gp_h263_amrnb": ("golang-github-gabriel-vasile-mimetype-dev", MIME + "3gp.3gp", "TechSlides: free to use"),
    "webm_vp8_vorbis": ("golang-github-gabriel-vasile-mimetype-dev", MIME + "webm.webm", "TechSlides: free to use"),
    "ogv_theora_vorbis_skeleton": ("golang-github-gabriel-vasile-mimetype-dev", MIME + "ogg.ogv",
                                   "TechSlides: free to use"),
    "mov_h264_aac": ("golang-github-gabriel-vasile-mimetype-dev", MIME + "mov.mov", "TechSlides: free to use"),
    # its timestamps start again from 0 after 2.24 s (and there are no cues to seek with)
    "mkv_mpeg4_aac51": ("golang-github-gabriel-vasile-mimetype-dev", MIME + "mkv.mkv",
                        "CC-BY-3.0, Big Buck Bunny, Blender Foundation"),
    "avi_h264_aac": ("forensics-samples-files",
                     "usr/share/forensics-samples/original-files/movie2/movie-hello.avi", "CC-BY-SA-4.0"),
    "avi_mjpeg_pcm_u8": ("kphotoalbum", "usr/share/kphotoalbum/demo/movie.avi", "GPL-2+ (KPhotoAlbum)"),
    "mpg_mpeg2_video_only": ("k3b-data", "usr/share/k3b/extra/k3bphotosvcd.mpg", "GPL-2+ (K3b)"),
    "mkv_opus_audio_only": ("linphone-common", "usr/share/sounds/linphone/rings/leaving_dreams.mkv",
                            "GPL-3+ (Linphone)"),
}
# name: a real recording joined end to end with itself (`cat f f`, as camcorders' and DVD
# recorders' files are joined): its timestamps start again in the middle of the file (MPEG-PS),
# or a second file with its own index follows the first (MP4)
JOINED = {
    "mpg_mpeg2_mp2_joined": ("forensics-samples-files",
                             "usr/share/forensics-samples/original-files/movie2/movie-hello.mpeg", "CC-BY-SA-4.0"),
    "mp4_h264_aac_joined": ("forensics-samples-files",
                            "usr/share/forensics-samples/original-files/movie2/movie-hello.mp4", "CC-BY-SA-4.0"),
}
JOIN_SIDE = 3.0     # the clip across the join takes this much of each part (s)

CLIP_AT = 1.0       # every clip and render starts here (media time)
CLIP_LEN = 3.0      # and lasts this long, or up to half a second before the file ends
ENV_STEP = 0.010    # the sound envelope's step (s)
FPS = 25            # the picture signature's rate
LAG_LIMIT = 0.5     # how far from the trim point the content is looked for (s)
# files whose timestamps go back (damaged): where, so spans stay before it and one that crosses
# it is refused as invalid media instead of cut wrong
GOES_BACK_AT = {"mkv_mpeg4_aac51": 2.24}
# autoclip (transcribe, detect, render in one job) on these
AUTOCLIPPED = {"asf_wmv2_wmav2", "3gp_h263_amrnb"}
# transcription (the slowest step under the sanitizers) on the sound formats found nowhere else
TRANSCRIBED = {"asf_wmv2_wmav2", "rm_rv10_ac3", "3gp_h263_amrnb", "avi_mjpeg_pcm_u8", "mkv_opus_audio_only",
               "mpg_mpeg2_video_only"}


def ffmpeg_raw(path, args):
    r = subprocess.run(["ffmpeg", "-v", "error", "-nostdin", "-i", path, *args, "-"], capture_output=True)
    if r.returncode != 0:
        raise RuntimeError("ffmpeg cannot read %s: %s" % (path, r.stderr.decode()[-300:]))
    return r.stdout


def envelope(path):
    """RMS of the first audio stream per ENV_STEP, from media time 0 (8 kHz mono)."""
    # placed by its timestamps: a hole in the sound is silence here too
    pcm = ffmpeg_raw(path, ["-map", "0:a:0", "-af", "aresample=8000:async=1:first_pts=0", "-ac", "1",
                            "-f", "s16le"])
    n = int(8000 * ENV_STEP)
    vals = memoryview(pcm).cast("h")
    return [math.sqrt(sum(v * v for v in vals[i:i + n]) / n) for i in range(0, len(vals) - n + 1, n)]


def pictures(path):
    """Each frame at FPS (from media time 0) as 16x9 grey values."""
    raw = ffmpeg_raw(path, ["-map", "0:v:0", "-vf", "fps=%d,scale=16:9,format=gray" % FPS,
                            "-f", "rawvideo"])
    return [raw[i:i + 144] for i in range(0, len(raw) - 143, 144)]


def pearson(a, b):
    n = len(a)
    ma, mb = sum(a) / n, sum(b) / n
    va = sum((x - ma) ** 2 for x in a)
    vb = sum((y - mb) ** 2 for y in b)
    if va <= 0 or vb <= 0:
        return 0.0
    return sum((x - ma) * (y - mb) for x, y in zip(a, b)) / math.sqrt(va * vb)


def sound_lag(out, src, at):
    """Where the output's sound envelope is found in the source, relative to at (s), and how well."""
    o, s = envelope(out), envelope(src)
    o = o[:int(len(o) * 0.9)]  # an encoder's last frame may fade
    base = int(round(at / ENV_STEP))
    best = (-2.0, 0)
    for lag in range(-int(LAG_LIMIT / ENV_STEP), int(LAG_LIMIT / ENV_STEP) + 1):
        lo = base + lag
        if lo < 0 or lo + len(o) > len(s):
            continue
        best = max(best, (pearson(o, s[lo:lo + len(o)]), lag))
    return best[1] * ENV_STEP, best[0]


def picture_lag(out, src, at):
    """Where the output's pictures are found in the source, relative to at (s); None when the
    picture is too still for the place to be told (the best and a far-off lag fit alike)."""
    o, s = pictures(out), pictures(src)
    base = int(round(at * FPS))
    costs = {}
    for lag in range(-int(LAG_LIMIT * FPS), int(LAG_LIMIT * FPS) + 1):
        lo = base + lag
        if lo < 0 or lo + len(o) > len(s):
            continue
        costs[lag] = sum(abs(p - q) for f, g in zip(o, s[lo:lo + len(o)]) for p, q in zip(f, g)) / (144 * len(o))
    best = min(costs, key=costs.get)
    far = [c for lag, c in costs.items() if abs(lag - best) >= 3]
    if not far or min(far) < costs[best] * 2 + 0.1:
        return None
    return best / FPS


def media_end(path, kind=None):
    """Where the last packet (of stream kind "a"/"v", else of any) ends, in media time: headers
    may say less (an ASF file with a hole) or nothing (FLV)."""
    sel = ["-select_streams", kind] if kind else []
    out = subprocess.run(["ffprobe", "-v", "error", *sel, "-show_entries",
                          "packet=pts_time,duration_time:format=start_time", "-of", "json", path],
                         capture_output=True, text=True, check=True).stdout
    d = json.loads(out)
    start = float(d.get("format", {}).get("start_time", 0) or 0)
    ends = [float(p["pts_time"]) + float(p.get("duration_time", 0) or 0)
            for p in d.get("packets", []) if p.get("pts_time") not in (None, "N/A")]
    return max(ends) - start


def check_output(name, out, want_classes, want_len, src_path, at, video_placed, place_sound=True):
    st = rm.mm.streams(out)
    if not rm.check(rm.classes(st) == want_classes,
                    "%s: stream classes %s, want %s" % (name, rm.classes(st), want_classes)):
        return
    for s in st:
        rm.check(abs(s["duration"] - want_len) <= 0.1,
                 "%s: %s lasts %.3f s, want %.3f s" % (name, s["type"], s["duration"], want_len))
    placed = {}
    if place_sound and "audio" in want_classes:
        lag, fit = sound_lag(out, src_path, at)
        rm.check(fit > 0.8 and abs(lag) <= 0.02,
                 "%s: its sound is the source's at %.2f s %+.3f s (fit %.2f)" % (name, at, lag, fit))
        placed["audio"] = lag
    if video_placed and "video" in want_classes:
        lag = picture_lag(out, src_path, at)
        if lag is None:
            print("  note - %s: the picture is too still to place" % name)
        else:
            rm.check(abs(lag) <= 1.0 / FPS + 1e-6,
                     "%s: its picture is the source's at %.2f s %+.3f s" % (name, at, lag))
            placed["video"] = lag
    if len(placed) == 2:
        rm.check(abs(placed["audio"] - placed["video"]) <= 1.0 / FPS + 0.02,
                 "%s: sound and picture together (%+.3f s apart)" % (name, placed["audio"] - placed["video"]))


def autoclip(cf, name, path, work, have):
    """The main job: its short has the file's sound and a picture, as long as its span."""
    out = os.path.join(work, name + "-autoclip")
    r = rm.clipforge(cf, "autoclip", "--input", path, "--output-dir", out, "--count", "1",
                     "--size", "180x320", "--json")
    if not rm.check(r.returncode == 0, "autoclip exits 0 (%s)" % r.stderr.strip()[-300:]):
        return
    clips = json.loads(r.stdout).get("clips", [])
    done = [c for c in clips if c.get("status") == "succeeded"]
    if not rm.check(len(done) == 1, "autoclip: one short made (%s)" % [c.get("status") for c in clips]):
        return
    c = done[0]
    video = os.path.join(out, c["video_uri"])
    check_output("autoclip", video, ["audio", "video"], (c["end_ms"] - c["start_ms"]) / 1000.0, path,
                 c["start_ms"] / 1000.0, False, place_sound="audio" in have)


def run_file(cf, name, path, work):
    print("# %s (%s)" % (name, os.path.basename(path)), flush=True)
    src = rm.mm.streams(path)
    have = rm.classes(src)
    length = media_end(path)
    span = min(CLIP_LEN, length - CLIP_AT - 0.5)
    back = GOES_BACK_AT.get(name)
    if back is not None:
        out = os.path.join(work, name + "-across.mp4")
        r = rm.clipforge(cf, "clip", "--input", path, "--output", out, "--trim", "%g:%g" % (CLIP_AT, back + 0.5))
        rm.check(r.returncode == 2 and "go back" in r.stderr and not os.path.exists(out),
                 "a clip across the place its timestamps go back: exit 2 naming it, no file (%s)"
                 % r.stderr.strip()[-200:])
        span = back - 0.2 - CLIP_AT
    r = rm.clipforge(cf, "probe", path, "--json")
    if rm.check(r.returncode == 0, "probe exits 0 (%s)" % r.stderr.strip()[-300:]):
        doc = json.loads(r.stdout)
        chosen = sorted(k for k, key in (("audio", "audio_stream"), ("video", "video_stream")) if key in doc)
        rm.check(chosen == have, "probe: chooses %s streams, the file has %s" % (chosen, have))

    out = os.path.join(work, name + "-clip.mp4")
    r = rm.clipforge(cf, "clip", "--input", path, "--output", out, "--trim",
                     "%g:%g" % (CLIP_AT, CLIP_AT + span), "--json")
    if rm.check(r.returncode == 0, "clip exits 0 (%s)" % r.stderr.strip()[-300:]):
        check_output("clip", out, have, span, path, CLIP_AT, True)

    out = os.path.join(work, name + "-render.mp4")
    r = rm.clipforge(cf, "render", "--template", "shorts-blur", "--input", path, "--span",
                     "%g:%g" % (CLIP_AT, CLIP_AT + span), "--format", "vertical", "--size", "180x320",
                     "--output", out, "--json")
    if rm.check(r.returncode == 0, "render exits 0 (%s)" % r.stderr.strip()[-300:]):
        # a short always has sound (silence where the file has none) and a picture (sound alone
        # is drawn as its waveform, and the result says so)
        check_output("render", out, ["audio", "video"], span, path, CLIP_AT, False,
                     place_sound="audio" in have)
        if "video" not in have:
            notes = json.loads(r.stdout).get("notes", [])
            rm.check(any("waveform" in n for n in notes), "render of sound alone: drawn as its waveform (%s)" % notes)

    feats = os.path.join(work, name + "-features.json")
    r = rm.clipforge(cf, "detect", "--input", path, "--no-cache", "--features-out", feats, "--json")
    if rm.check(r.returncode == 0, "detect exits 0 (%s)" % r.stderr.strip()[-300:]):
        t = json.load(open(feats))
        rm.check(abs(t["duration_ms"] / 1000.0 - length) <= 0.25,
                 "detect: the track covers %.2f s of %.2f s" % (t["duration_ms"] / 1000.0, length))
        rm.check([c for c, h in (("audio", t["has_audio"]), ("video", t["has_video"])) if h] == have,
                 "detect: has_audio %s has_video %s" % (t["has_audio"], t["has_video"]))

    if name in AUTOCLIPPED:
        autoclip(cf, name, path, work, have)
    if name not in TRANSCRIBED:
        return
    out = os.path.join(work, name + "-transcript.json")
    r = rm.clipforge(cf, "transcribe", "--input", path, "--format", "json", "--output", out, env=rm.ONE_PASS)
    if "audio" not in have:
        rm.check(r.returncode == 2 and "audio" in r.stderr, "transcribe of a picture alone: exit 2 naming the missing audio")
    elif rm.check(r.returncode == 0, "transcribe exits 0 (%s)" % r.stderr.strip()[-300:]):
        doc = json.load(open(out))
        audio_len = media_end(path, "a")
        got = doc.get("duration_ms", 0) / 1000.0
        rm.check(abs(got - audio_len) <= 0.25, "transcribe: covers %.2f s of %.2f s of sound" % (got, audio_len))


def part(path, start, length, work, tag):
    """length s of path's sound and picture from start (s after its first timestamp), losslessly."""
    out = os.path.join(work, tag + ".mkv")
    subprocess.run(["ffmpeg", "-v", "error", "-nostdin", "-y", "-ss", "%.3f" % start, "-i", path, "-t",
                    "%.3f" % length, "-c:v", "ffv1", "-c:a", "pcm_s16le", out], check=True)
    return out


def run_joined(cf, name, path, work):
    """The file joined with itself: read as one recording twice as long, and a clip across the
    join holds the end of the first part, then the start of the second."""
    print("# %s (%s twice)" % (name, os.path.basename(path)), flush=True)
    joined = os.path.join(work, name + os.path.splitext(path)[1])
    with open(joined, "wb") as out:
        for _ in range(2):
            with open(path, "rb") as f:
                shutil.copyfileobj(f, out)
    length = json.loads(rm.clipforge(cf, "probe", path, "--json").stdout)["duration_ms"] / 1000.0
    r = rm.clipforge(cf, "probe", joined, "--json")
    if not rm.check(r.returncode == 0, "probe of the joined file exits 0 (%s)" % r.stderr.strip()[-300:]):
        return
    got = json.loads(r.stdout)["duration_ms"] / 1000.0
    rm.check(abs(got - 2 * length) <= 0.1, "probe: the joined file lasts %.3f s, twice %.3f s" % (got, length))
    out = os.path.join(work, name + "-across.mp4")
    r = rm.clipforge(cf, "clip", "--input", joined, "--output", out, "--trim",
                     "%g:%g" % (length - JOIN_SIDE, length + JOIN_SIDE), "--json")
    if not rm.check(r.returncode == 0, "clip across the join exits 0 (%s)" % r.stderr.strip()[-300:]):
        return
    st = rm.mm.streams(out)
    rm.check(rm.classes(st) == ["audio", "video"], "clip across the join: audio and video (%s)" % rm.classes(st))
    for s in st:
        rm.check(abs(s["duration"] - 2 * JOIN_SIDE) <= 0.1,
                 "clip across the join: %s lasts %.3f s, want %.1f s" % (s["type"], s["duration"], 2 * JOIN_SIDE))
    # each side, a little inside the join, is found in the source where it was recorded, its sound
    # and picture together
    sides = ((0.1, length - JOIN_SIDE + 0.1, "the end of the first part"),
             (JOIN_SIDE + 0.1, 0.1, "the start of the second part"))
    for at_clip, at_src, what in sides:
        side = part(out, at_clip, JOIN_SIDE - 0.2, work, "%s-%g" % (name, at_clip))
        lag, fit = sound_lag(side, path, at_src)
        rm.check(fit > 0.8 and abs(lag) <= 0.02,
                 "clip across the join: %s is the source's sound at %.2f s %+.3f s (fit %.2f)"
                 % (what, at_src, lag, fit))
        lag = picture_lag(side, path, at_src)
        if lag is None:
            print("  note - %s: the picture is too still to place" % what)
        else:
            rm.check(abs(lag) <= 1.0 / FPS + 1e-6, "clip across the join: %s is the source's picture at %.2f s "
                     "%+.3f s" % (what, at_src, lag))


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    cf, work = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    names = list(FILES) + list(JOINED) if sys.argv[3:] == ["all"] else sys.argv[3:]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    os.environ["TMPDIR"] = work
    cache = os.environ.get("CF_REAL_MEDIA") or os.path.join(work, "real-media")
    for name in names:
        pkg, rel, licence = FILES[name] if name in FILES else JOINED[name]
        root = debmedia.fetch(cache, pkg)
        if root is None:
            print("# skipped: %s cannot be fetched" % pkg)
            return debmedia.SKIP
        print("# %s from %s, licence: %s" % (name, pkg, licence))
        (run_file if name in FILES else run_joined)(cf, name, os.path.join(root, rel), work)
    leftovers = [f for f in os.listdir(work) if f.startswith("cf-") or f.endswith(".tmp")]
    rm.check(not leftovers, "no temp files left (%s)" % leftovers)
    print("%d failed" % len(rm.FAILS))
    return 1 if rm.FAILS else 0


if __name__ == "__main__":
    sys.exit(main())
