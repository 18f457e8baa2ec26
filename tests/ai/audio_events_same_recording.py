#!/usr/bin/env python3
"""The audio-event trainer refuses one recording shipped by two packages (it would be on both
sides of a held-out split) also when the second copy is re-encoded: resampled, stereo, quieter,
band-limited and trimmed. Two different recordings of the same kind of sound pass.

    audio_events_same_recording.py SOURCE_DIR
"""
import os
import subprocess
import sys
import tempfile

src = sys.argv[1]
sys.path.insert(0, os.path.join(src, "apps", "ai", "training"))
import train_audio_events as T  # noqa: E402


def ffmpeg(*args):
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", *args], check=True)


def applause_like(path, seed):
    """Bursts of noise at random times: claps."""
    ffmpeg("-f", "lavfi", "-i", "anoisesrc=color=white:amplitude=0.3:seed=%d:sample_rate=16000:duration=3" % seed,
           "-af", "volume='0.2+0.8*gt(random(%d),0.7)':eval=frame" % seed, path)


with tempfile.TemporaryDirectory() as tmp:
    a, b, other = (os.path.join(tmp, n) for n in ("a.wav", "b.flac", "other.wav"))
    applause_like(a, 3)
    # the same recording as another package might ship it
    ffmpeg("-ss", "0.4", "-i", a, "-af", "volume=-6dB,lowpass=f=5000", "-ar", "44100", "-ac", "2", b)
    applause_like(other, 4)
    same = T.same_recording(T.decoded(a, tmp), T.decoded(b, tmp))
    diff = T.same_recording(T.decoded(a, tmp), T.decoded(other, tmp))
    print("re-encoded copy %.2f, another recording %.2f (same over %.2f)" % (same, diff, T.SAME_RECORDING))
    assert same > T.SAME_RECORDING, "a re-encoded copy is not recognised"
    assert diff < T.SAME_RECORDING, "two recordings are taken for one"
    T.check_distinct([("pkg-a", [a]), ("pkg-b", [other])], tmp)  # passes
    try:
        T.check_distinct([("pkg-a", [a]), ("pkg-b", [other])], tmp, reserved=[("pkg-eval", [b])])
    except SystemExit as e:
        print("refused: %s" % e)
        assert "pkg-a" in str(e) and "pkg-eval" in str(e)
    else:
        raise AssertionError("a training recording that the evaluation set holds was accepted")
print("ok")
