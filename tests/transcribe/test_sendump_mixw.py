#!/usr/bin/env python3
"""sendump_to_mixw.py on Debian's en-us model: the mixture_weights it writes hold the sendump's
weights (quantised again the way pocketsphinx reads a mixture_weights file, every byte comes
back within one step), its checksum is what the s3 reader computes, sphinxtrain's printp reads
it (when sphinxtrain is installed), and pocketsphinx_continuous with the converted weights in
place of the sendump gives the same words on espeak-ng speech.

Usage: test_sendump_mixw.py WORKDIR   (exit 77: the model or numpy is not installed)
"""
import math
import os
import shutil
import struct
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "../../apps/ai/experiments/speech"))
MODEL = "/usr/share/pocketsphinx/model/en-us/en-us"
PRINTP = "/usr/lib/sphinxtrain/printp"


def read_mixw(path):
    """(senones, streams, densities) float32 weights and whether the checksum matched."""
    import numpy as np
    data = open(path, "rb").read()
    end = data.index(b"endhdr\n") + len(b"endhdr\n")
    assert end % 4 == 0, "header not padded to four bytes"
    assert struct.unpack_from("<I", data, end)[0] == 0x11223344
    words = np.frombuffer(data, dtype="<u4", offset=end + 4)
    n_sen, n_feat, n_dens, count = (int(x) for x in words[:4])
    assert count == n_sen * n_feat * n_dens and len(words) == 4 + count + 1
    s = 0
    for w in words[:-1].tolist():
        s = (((s << 20) | (s >> 12)) + w) & 0xFFFFFFFF
    w = words[4:-1].view("<f4").reshape(n_sen, n_feat, n_dens)
    return w, s == int(words[-1])


def main():
    work = sys.argv[1]
    try:
        import numpy as np
        import sendump_to_mixw
    except ImportError as e:
        print("skip: %s" % e)
        return 77
    if not os.path.exists(os.path.join(MODEL, "sendump")):
        print("skip: no %s/sendump (pocketsphinx-en-us)" % MODEL)
        return 77
    if os.path.exists(work):
        shutil.rmtree(work)
    hmm = os.path.join(work, "hmm")
    os.makedirs(hmm)
    for f in os.listdir(MODEL):
        if f != "sendump":
            shutil.copy(os.path.join(MODEL, f), hmm)
    out = os.path.join(hmm, "mixture_weights")
    subprocess.run([sys.executable, os.path.join(HERE, "../../apps/ai/experiments/speech/sendump_to_mixw.py"),
                    os.path.join(MODEL, "sendump"), out], check=True)

    w, sum_ok = read_mixw(out)
    assert sum_ok, "checksum does not match the data"
    q = sendump_to_mixw.read_sendump(os.path.join(MODEL, "sendump"))  # (streams, densities, senones)
    assert w.shape == (q.shape[2], q.shape[0], q.shape[1]), (w.shape, q.shape)
    sums = w.sum(axis=2)
    assert np.all(np.abs(sums - 1) < 1e-3), "weights of a senone do not sum to 1"
    # the original bytes, and the written weights quantised as pocketsphinx quantises them
    raw = open(os.path.join(MODEL, "sendump"), "rb").read()
    orig = np.frombuffer(raw, dtype=np.uint8, offset=len(raw) - q.size).reshape(q.shape)
    step = 1024 * math.log(1.0001)
    back = np.clip(np.rint(-np.log(w.astype(np.float64)) / step), 0, 255).astype(int)
    back = back.transpose(1, 2, 0)
    diff = np.abs(back - orig.astype(int))
    # the sendump's own floor (255 is "nothing") comes back wherever the weight was floored
    live = orig < 200
    print("bytes compared: %d, within one step: %.5f, exact: %.5f" % (
        live.sum(), (diff[live] <= 1).mean(), (diff[live] == 0).mean()))
    assert (diff[live] <= 1).mean() > 0.999, "weights changed in conversion"

    if os.path.exists(PRINTP):
        r = subprocess.run([PRINTP, "-mixwfn", out], capture_output=True, text=True)
        assert r.returncode == 0 and "Read %s [%dx%dx%d array]" % (out, *w.shape) in r.stderr, r.stderr[-2000:]
        print("printp reads it")
    else:
        print("printp not installed (sphinxtrain): reader check skipped")

    if not shutil.which("espeak-ng") or not shutil.which("pocketsphinx_continuous"):
        print("espeak-ng or pocketsphinx_continuous missing: decode check skipped")
        return 0
    wav = os.path.join(work, "speech.wav")
    text = ("oil resources are key to your success. select one of your trucks and build a "
            "power generator near the base.")
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", "150", "-w", wav + ".22k.wav", text], check=True)
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", wav + ".22k.wav", "-ac", "1", "-ar", "16000", wav],
                   check=True)
    hyps = []
    for h in (MODEL, hmm):
        r = subprocess.run(["pocketsphinx_continuous", "-infile", wav, "-hmm", h, "-logfn", "/dev/null"],
                           capture_output=True, text=True, check=True)
        hyps.append(r.stdout.split())
    print("sendump:         %s\nmixture_weights: %s" % (" ".join(hyps[0]), " ".join(hyps[1])))
    assert len(hyps[0]) >= 8, "the decoder recognised almost nothing"
    assert hyps[0] == hyps[1], "the converted weights decode differently"
    return 0


if __name__ == "__main__":
    sys.exit(main())
