"""The input matrix: one short file per container/codec/layout case, made at test time with the
ffmpeg CLI, and the measurements every pipeline's output is checked with.

Every file carries the same marks on its media timeline (seconds from the first sample, whatever
the container's own start time):
  video  testsrc2 with a white flash at k+0.6 s (k = 0..9, two frames at 25 fps) and a hard cut
         at 5.0 s (to SMPTE colour bars)
  audio  a quiet hum, a 60 ms 1 kHz beep at 0.6, 1.6, 6.6, 7.6, 8.6, 9.6 s, and espeak-ng speech
         ("the quick brown fox ...") from 3.0 s; a second audio stream, when there is one, beeps
         at k+0.3 instead, so a checker can tell which stream was taken
So a clip of 2..7 s must show its first flash at 0.6 s and its beep at 4.6 s, together.
"""
import json
import os
import re
import subprocess

DURATION = 10.0
FLASHES = [k + 0.6 for k in range(10)]
BEEPS = [0.6, 1.6, 6.6, 7.6, 8.6, 9.6]
SPEECH_AT = 3.0
CUT_AT = 5.0
SENTENCE = "the quick brown fox jumps over the lazy dog"

# Each case: name, extension, video encoder args (None = no video), audio encoder args (None =
# no audio), and optional knobs:
#   size/rate         picture size and frame rate (default 320x180, 25)
#   ar/layout         audio sample rate and channel layout (default 44100, stereo)
#   fmt               muxer name when the extension does not imply it
#   ts_offset         -output_ts_offset (MPEG-TS PTS wrap: close to 2^33 / 90 kHz)
#   audio_late        the audio starts this many seconds after the picture
#   trim              the span the pipelines cut (default 2..7 s)
#   video_until       the picture stops at this time (audio goes on)
#   audio_first       the audio stream comes before the video stream
#   two_audio         a second audio stream (beeps at k+0.3); "default2": the second is default
#   vfr               variable frame rate (frames dropped at irregular times)
H264 = ["-c:v", "libx264", "-preset", "veryfast", "-g", "50", "-pix_fmt", "yuv420p"]
AAC = ["-c:a", "aac", "-b:a", "96k"]
CASES = [
    dict(name="mp4_h264_aac", ext="mp4", v=H264, a=AAC),
    dict(name="mov_mpeg4_pcm", ext="mov", v=["-c:v", "mpeg4", "-q:v", "4"], a=["-c:a", "pcm_s16le"]),
    dict(name="mp4_hevc_aac51", ext="mp4", v=["-c:v", "libx265", "-preset", "ultrafast", "-x265-params", "log-level=error", "-tag:v", "hvc1"], a=AAC, layout="5.1"),
    dict(name="mkv_h264_aac", ext="mkv", v=H264, a=AAC),
    dict(name="mkv_hevc_ac3", ext="mkv", v=["-c:v", "libx265", "-preset", "ultrafast", "-x265-params", "log-level=error"], a=["-c:a", "ac3"], ar=48000, layout="5.1"),
    dict(name="mkv_av1_flac71", ext="mkv", v=["-c:v", "libsvtav1", "-preset", "12"], a=["-c:a", "flac"], ar=48000, layout="7.1"),
    dict(name="webm_vp9_opus", ext="webm", v=["-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "300k"], a=["-c:a", "libopus"], ar=48000),
    dict(name="webm_vp8_vorbis", ext="webm", v=["-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "300k"], a=["-c:a", "libvorbis"]),
    dict(name="ts_h264_aac", ext="ts", v=H264, a=AAC),
    dict(name="ts_mpeg2_mp2_wrap", ext="ts", v=["-c:v", "mpeg2video", "-q:v", "4"], a=["-c:a", "mp2"], ar=48000, ts_offset=95440.0),
    dict(name="ts_h264_eac3", ext="ts", v=H264, a=["-c:a", "eac3"], ar=48000),
    dict(name="avi_mpeg4_mp3", ext="avi", v=["-c:v", "mpeg4", "-q:v", "4"], a=["-c:a", "libmp3lame", "-b:a", "96k"]),
    dict(name="flv_h264_mp3", ext="flv", v=H264, a=["-c:a", "libmp3lame", "-b:a", "96k"]),
    dict(name="flv_flv1_mp3", ext="flv", v=["-c:v", "flv", "-q:v", "4"], a=["-c:a", "libmp3lame"], ar=22050, layout="mono"),
    dict(name="ogg_theora_vorbis", ext="ogv", v=["-c:v", "libtheora", "-q:v", "6"], a=["-c:a", "libvorbis"], fmt="ogg"),
    dict(name="asf_wmv2_wmav2", ext="wmv", v=["-c:v", "wmv2", "-q:v", "4"], a=["-c:a", "wmav2", "-b:a", "96k"], fmt="asf"),
    dict(name="mxf_mpeg2_pcm", ext="mxf", v=["-c:v", "mpeg2video", "-q:v", "4", "-g", "12"], a=["-c:a", "pcm_s16le"], ar=48000, layout="mono", size="720x576"),
    dict(name="3gp_h263_aac", ext="3gp", v=["-c:v", "h263", "-q:v", "4"], a=["-c:a", "aac", "-b:a", "32k"], size="352x288", ar=16000, layout="mono"),
    dict(name="mkv_vfr_h264_opus", ext="mkv", v=H264 + ["-fps_mode", "vfr"], a=["-c:a", "libopus"], ar=48000, vfr=True),
    dict(name="mkv_audio_late", ext="mkv", v=H264, a=AAC, audio_late=1.5, trim=(1.0, 6.0)),
    dict(name="mp4_video_ends_early", ext="mp4", v=H264, a=AAC, video_until=6.0),
    dict(name="mkv_audio_first", ext="mkv", v=H264, a=["-c:a", "libvorbis"], audio_first=True),
    dict(name="mkv_two_audio_default2", ext="mkv", v=H264, a=AAC, two_audio="default2"),
    dict(name="wav_pcm_mono11k", ext="wav", v=None, a=["-c:a", "pcm_s16le"], ar=11025, layout="mono"),
    dict(name="mp3_audio", ext="mp3", v=None, a=["-c:a", "libmp3lame", "-b:a", "128k"]),
    dict(name="m4a_aac", ext="m4a", v=None, a=AAC, fmt="ipod"),
    dict(name="flac_audio", ext="flac", v=None, a=["-c:a", "flac"], ar=96000),
    dict(name="opus_audio", ext="opus", v=None, a=["-c:a", "libopus"], ar=48000, layout="mono"),
    dict(name="wma_audio", ext="wma", v=None, a=["-c:a", "wmav2"], fmt="asf"),
    dict(name="mp4_video_only", ext="mp4", v=H264, a=None),
]
BY_NAME = {c["name"]: c for c in CASES}


def run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        raise RuntimeError("command failed (%d): %s\n%s" % (r.returncode, " ".join(cmd), r.stderr[-1500:]))
    return r.stdout


def ffmpeg(*args):
    return run(["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *args])


def speech(workdir):
    """espeak-ng's reading of SENTENCE, made once per work dir."""
    path = os.path.join(workdir, "speech.wav")
    if not os.path.exists(path):
        run(["espeak-ng", "-w", path + ".tmp", SENTENCE])
        os.replace(path + ".tmp", path)
    return path


def _video_graph(case):
    size, rate = case.get("size", "320x180"), case.get("rate", 25)
    until = case.get("video_until", DURATION)
    flash = "between(mod(t+0.4\\,1)\\,0\\,0.07)"
    g = ("testsrc2=s=%s:r=%s:d=%g[a];smptebars=s=%s:r=%s:d=%g[n];"
         "[a][n]overlay=enable='gte(t\\,%g)',drawbox=c=white:t=fill:enable='%s'"
         % (size, rate, until, size, rate, until, CUT_AT, flash))
    if case.get("vfr"):
        # drop frames at irregular times (never the flashes): a variable frame rate
        g += ",select='not(between(mod(t+0.4\\,1)\\,0.2\\,0.8)*lt(random(1)\\,0.3))'"
    return g + ",format=yuv420p[v]"


def _audio_graph(case, beep_at, idx):
    ar, layout = case.get("ar", 44100), case.get("layout", "stereo")
    beeps = "+".join("between(t\\,%g\\,%g)" % (b, b + 0.06) for b in beep_at)
    late = case.get("audio_late", 0.0)
    start = ",atrim=start=%g,asetpts=PTS-STARTPTS" % late if late else ""
    return ("aevalsrc='0.02*sin(2*PI*120*t)+0.5*sin(2*PI*1000*t)*(%s)':s=%d:d=%g[tone%d];"
            "[%d:a]adelay=%d:all=1,apad,atrim=duration=%g[sp%d];"
            "[tone%d][sp%d]amix=inputs=2:normalize=0%s,aformat=sample_rates=%d:channel_layouts=%s[a%d]"
            % (beeps, ar, DURATION, idx, idx, int(SPEECH_AT * 1000), DURATION, idx, idx, idx, start, ar,
               layout, idx))


def default_beeps(case):
    """Beep times of the audio stream every pipeline should take by default."""
    return [k + 0.3 for k in range(10)] if case.get("two_audio") == "default2" else BEEPS


def default_audio(case):
    """ffmpeg map of that stream ("0:a:1" when the second audio stream is the default)."""
    return "0:a:1" if case.get("two_audio") == "default2" else "0:a:0"


def make(case, workdir):
    """Writes the case's file into workdir (once) and returns its path."""
    path = os.path.join(workdir, "%s.%s" % (case["name"], case["ext"]))
    if os.path.exists(path):
        return path
    sp = speech(workdir)
    inputs, graph, maps = [], [], []
    audio = case.get("a") is not None
    if audio:
        inputs += ["-i", sp]
        graph.append(_audio_graph(case, BEEPS, 0))
        if case.get("two_audio"):
            inputs += ["-i", sp]
            graph.append(_audio_graph(case, [k + 0.3 for k in range(10)], 1))
    if case.get("v") is not None:
        graph.append(_video_graph(case))
    vmap = ["-map", "[v]"] if case.get("v") is not None else []
    amap = ["-map", "[a0]"] + (["-map", "[a1]"] if case.get("two_audio") else []) if audio else []
    maps = amap + vmap if case.get("audio_first") else vmap + amap
    args = inputs + ["-filter_complex", ";".join(graph)] + maps
    args += case.get("v") or []
    args += case.get("a") or []
    if case.get("two_audio") == "default2":
        args += ["-disposition:a:0", "0", "-disposition:a:1", "default"]
    if case.get("ts_offset"):
        args += ["-output_ts_offset", str(case["ts_offset"])]
    if case.get("fmt"):
        args += ["-f", case["fmt"]]
    tmp = os.path.join(workdir, ".part-" + os.path.basename(path))
    ffmpeg(*args, tmp)
    if case.get("audio_late"):
        # the audio stream starts late in the container itself, not only in its content
        late = os.path.join(workdir, ".late-" + os.path.basename(path))
        ffmpeg("-i", tmp, "-itsoffset", str(case["audio_late"]), "-i", tmp, "-map", "0:v", "-map", "1:a",
               "-c", "copy", late)
        os.replace(late, tmp)
    os.replace(tmp, path)
    return path


# ---- measurements (ffprobe and ffmpeg filters: independent of clipforge) ----

def streams(path):
    """[{type, codec, start, duration, channels, sample_rate, frames}] of a file, by ffprobe."""
    out = run(["ffprobe", "-v", "error", "-show_entries",
               "stream=codec_type,codec_name,start_time,duration,channels,sample_rate,width,height:"
               "stream_tags=DURATION:stream_disposition=default:format=start_time,duration", "-of", "json", path])
    d = json.loads(out)
    fmt_dur = float(d.get("format", {}).get("duration", "nan"))
    res = []
    for s in d["streams"]:
        dur = float(s["duration"]) if "duration" in s else fmt_dur
        tag = s.get("tags", {}).get("DURATION")  # Matroska/WebM keep it per track here
        if "duration" not in s and tag:
            h, m, sec = tag.split(":")
            dur = int(h) * 3600 + int(m) * 60 + float(sec)
        res.append(dict(type=s["codec_type"], codec=s.get("codec_name"),
                        start=float(s.get("start_time", "nan")),
                        duration=dur,
                        channels=s.get("channels"), width=s.get("width"), height=s.get("height")))
    return res


def flashes(path, start=None):
    """Times (s, from the file's first picture or from start) where a flash begins."""
    out = subprocess.run(["ffmpeg", "-nostdin", "-hide_banner", "-i", path, "-map", "0:v:0",
                          "-vf", "scale=32:18,signalstats,metadata=print:key=lavfi.signalstats.YAVG:file=-",
                          "-f", "null", "-"], capture_output=True, text=True).stdout
    times, lum = [], []
    for t, y in re.findall(r"pts_time:(-?[\d.]+)\s*\n\s*lavfi\.signalstats\.YAVG=([\d.]+)", out):
        times.append(float(t))
        lum.append(float(y))
    if not times:
        return []
    t0 = times[0] if start is None else start
    res, was = [], False
    for t, y in zip(times, lum):
        on = y > 200
        if on and not was:
            res.append(round(t - t0, 3))
        was = on
    return res


def beeps(path, stream="0:a:0", start=None):
    """Times (s) where a 1 kHz beep begins, from the stream's first sample (or from start)."""
    out = subprocess.run(["ffmpeg", "-nostdin", "-hide_banner", "-i", path, "-map", stream,
                          "-af", "aformat=channel_layouts=mono,aresample=8000,bandpass=f=1000:width_type=h:w=30,bandpass=f=1000:width_type=h:w=30,"
                          "asetnsamples=n=40:p=0,astats=metadata=1:reset=1,"
                          "ametadata=print:key=lavfi.astats.Overall.RMS_level:file=-",
                          "-f", "null", "-"], capture_output=True, text=True).stdout
    pairs = re.findall(r"pts_time:(-?[\d.]+)\s*\n\s*lavfi\.astats\.Overall\.RMS_level=(-?[\d.]+|-inf)", out)
    if not pairs:
        return []
    t0 = float(pairs[0][0]) if start is None else start
    levels = [(float(t), -200.0 if lvl == "-inf" else float(lvl)) for t, lvl in pairs]
    # relative to the loudest beep: a downmix of 5.1 or 7.1 lowers every level alike
    threshold = max(lvl for _, lvl in levels) - 12
    res, was = [], False
    for t, lvl in levels:
        on = lvl > threshold
        if on and not was:
            res.append(round(t - t0, 3))
        was = on
    return res


def near(got, want, tol):
    """True when got has one value within tol of each wanted time, and nothing else."""
    if len(got) != len(want):
        return False
    return all(abs(g - w) <= tol for g, w in zip(sorted(got), sorted(want)))


def expected_in(marks, a, b):
    """The marks inside [a, b), shifted to a clip that starts at a."""
    return [round(m - a, 3) for m in marks if a - 1e-6 <= m < b - 0.05]
