#!/usr/bin/env python3
"""Unsupervised per-file MLLR on the speech reels of manifest.json: errors of `clipforge
transcribe` without and with a mean transform estimated from its own first pass, side by side
with pocketsphinx_continuous (same model, same audio).

Per reel: (1) first pass, `clipforge transcribe`; (2) the first pass's words become the
transcript of their stretch of audio (optionally only runs of words at or above a confidence),
each stretch 16 kHz cepstra by sphinx_fe with the model's feat.params; (3) sphinxtrain's `bw`
accumulates statistics on the model (its mixture weights converted from the sendump by
sendump_to_mixw.py), `mllr_solve` estimates one global mean transform; (4) second pass,
`clipforge transcribe` with CLIPFORGE_POCKETSPHINX_ARGS="-mllr FILE" (the decoder applies it in
process, ps_mllr_read + ps_update_mllr).

Needs sphinxtrain (`apt-get install sphinxtrain`: /usr/lib/sphinxtrain/bw, mllr_solve) and
sphinxbase-utils (sphinx_fe), pocketsphinx (pocketsphinx_mdef_convert).

Usage: mllr_eval.py --bin build/release/clipforge [--role dev] [--sources a,b] [--first N]
                    [--thresholds 0,0.5] [--work DIR] [--json OUT]
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import time
import wave

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import speech_eval as se  # noqa: E402
import sendump_to_mixw  # noqa: E402

MODEL = "/usr/share/pocketsphinx/model/en-us"
ST = "/usr/lib/sphinxtrain"
PAD_MS = 150
FOLD_GAIN = 10 ** (-20 / 20.0)  # the backend's high-band fill for narrowband chunks (bandwidth.c)


def high_band_db(x):
    """Energy above 4.6 kHz against the whole, as bandwidth.c measures it."""
    import numpy as np
    taps = 63
    m = np.arange(taps) - (taps - 1) / 2.0
    fc = 4600.0 / 16000.0
    lp = np.where(m == 0, 2 * fc, np.sin(2 * np.pi * fc * m) / (np.pi * np.where(m == 0, 1, m)))
    h = ((m == 0) - lp) * (0.54 - 0.46 * np.cos(2 * np.pi * np.arange(taps) / (taps - 1)))
    hi = np.convolve(x, h, mode="valid")
    alls = float(np.sum(x[taps // 2:taps // 2 + len(hi)] ** 2))
    return 10 * np.log10(float(np.sum(hi ** 2)) / alls) if alls > 0 and len(hi) else -100.0


def as_decoded(pcm):
    """The stretch as the backend decodes it: narrowband audio gets the high-band fill."""
    import numpy as np
    x = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    if high_band_db(x) >= -40.0:
        return pcm
    sign = np.where(np.arange(len(x)) % 2 == 1, -FOLD_GAIN, FOLD_GAIN)
    return np.clip(np.rint(x * (1.0 + sign)), -32768, 32767).astype("<i2").tobytes()


def prepare_model(work):
    """A copy of the acoustic model with mixture_weights and a text mdef (bw's needs)."""
    hmm = os.path.join(work, "hmm")
    if os.path.exists(os.path.join(hmm, "mdef.txt")):
        return hmm
    os.makedirs(hmm, exist_ok=True)
    src = os.path.join(MODEL, "en-us")
    for f in ("feat.params", "mdef", "means", "variances", "transition_matrices", "noisedict"):
        shutil.copy(os.path.join(src, f), hmm)
    sendump_to_mixw.write_mixw(os.path.join(hmm, "mixture_weights"),
                               sendump_to_mixw.read_sendump(os.path.join(src, "sendump")), 1e-7)
    subprocess.run(["pocketsphinx_mdef_convert", "-text", os.path.join(hmm, "mdef"),
                    os.path.join(hmm, "mdef.txt.part")], check=True, capture_output=True)
    os.replace(os.path.join(hmm, "mdef.txt.part"), os.path.join(hmm, "mdef.txt"))
    return hmm


def runs(transcript, threshold):
    """(start_ms, end_ms, words) stretches: consecutive words at or above threshold in a segment."""
    out = []
    for seg in transcript["segments"]:
        cur = []
        for w in seg["words"] + [None]:
            if w is not None and w["confidence"] >= threshold:
                cur.append(w)
                continue
            if cur:
                out.append((cur[0]["start_ms"], cur[-1]["end_ms"], [x["word"] for x in cur]))
            cur = []
    return [r for r in out if r[1] - r[0] >= 300]


def estimate(hmm, wav, stretches, adir, fold=True, bias_only=False):
    """Writes adir/mllr_matrix from the stretches; returns its path, or None (no data, a tool
    failed)."""
    if os.path.exists(adir):
        shutil.rmtree(adir)
    os.makedirs(adir)
    with wave.open(wav) as w:
        rate = w.getframerate()
        pcm = w.readframes(w.getnframes())
    ids, lines = [], []
    for i, (a, b, words) in enumerate(stretches):
        s = max(0, (a - PAD_MS) * rate // 1000) * 2
        e = min(len(pcm), (b + PAD_MS) * rate // 1000 * 2)
        uid = "u%04d" % i
        with wave.open(os.path.join(adir, uid + ".wav"), "wb") as o:
            o.setnchannels(1), o.setsampwidth(2), o.setframerate(rate), o.writeframes(as_decoded(pcm[s:e]) if fold else pcm[s:e])
        ids.append(uid)
        lines.append("<s> %s </s> (%s)" % (" ".join(words).lower(), uid))
    if not ids:
        return None
    ctl, lsn = os.path.join(adir, "ids"), os.path.join(adir, "lsn")
    open(ctl, "w").write("\n".join(ids) + "\n")
    open(lsn, "w").write("\n".join(lines) + "\n")
    log = open(os.path.join(adir, "log"), "w")
    subprocess.run(["sphinx_fe", "-argfile", os.path.join(hmm, "feat.params"), "-samprate",
                    str(rate), "-c", ctl, "-di", adir, "-do", adir, "-ei", "wav", "-eo", "mfc",
                    "-mswav", "yes"], check=True, stdout=log, stderr=log)
    acc = os.path.join(adir, "acc")
    os.makedirs(acc)
    r = subprocess.run([os.path.join(ST, "bw"), "-hmmdir", hmm, "-moddeffn",
                        os.path.join(hmm, "mdef.txt"), "-ts2cbfn", ".ptm.", "-feat", "1s_c_d_dd",
                        "-svspec", "0-12/13-25/26-38", "-cmn", "current", "-agc", "none",
                        "-dictfn", os.path.join(MODEL, "cmudict-en-us.dict"),
                        "-fdictfn", os.path.join(hmm, "noisedict"), "-ctlfn", ctl, "-lsnfn", lsn,
                        "-cepdir", adir, "-cepext", "mfc", "-accumdir", acc],
                       stdout=log, stderr=log)
    if r.returncode:
        return None
    out = os.path.join(adir, "mllr_matrix")
    r = subprocess.run([os.path.join(ST, "mllr_solve"), "-meanfn", os.path.join(hmm, "means"),
                        "-varfn", os.path.join(hmm, "variances"), "-outmllrfn", out,
                        "-accumdir", acc] + (["-mllrmult", "no"] if bias_only else []),
                       stdout=log, stderr=log)
    return out if r.returncode == 0 and os.path.exists(out) else None


def transcribe(binary, wav, out, env_extra):
    env = dict(os.environ, **env_extra)
    t0 = time.monotonic()
    subprocess.run([binary, "transcribe", "--input", wav, "--output", out, "--threads", "1"],
                   check=True, stdout=subprocess.DEVNULL, env=env)
    return json.load(open(out)), time.monotonic() - t0


def errors(ref, transcript):
    hyp = [t for s in transcript["segments"] for w in s["words"] for t in se.normalise(w["word"])]
    return se.align(ref, hyp)[0]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    se.reel_args(ap)
    ap.add_argument("--thresholds", default="0,0.5",
                    help="first-pass word confidences the transcript keeps (0: all words)")
    ap.add_argument("--work", default="/tmp/cf-mllr-eval")
    ap.add_argument("--cache", default=se.debmedia.default_cache())
    ap.add_argument("--no-peer", action="store_true")
    ap.add_argument("--passes", type=int, default=1,
                    help="adapted passes; each re-estimates from the previous pass's words")
    ap.add_argument("--pipeline", action="store_true",
                    help="also `clipforge transcribe` with CLIPFORGE_POCKETSPHINX_MLLR=on (both passes in "
                         "the pipeline; its time is the whole run)")
    ap.add_argument("--bias-only", action="store_true",
                    help="estimate only the shift of the means (no matrix): for little speech")
    ap.add_argument("--no-fold", action="store_true",
                    help="estimate on the audio as it is (no high-band fill of narrowband stretches)")
    ap.add_argument("--json")
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    hmm = prepare_model(a.work)
    manifest = json.load(open(os.path.join(HERE, "manifest.json")))
    rows = []
    for src in se.selected(a, manifest):
        root = se.debmedia.fetch(a.cache, src["package"])
        wav, ref_path = se.build_reel(src, root, a.work)
        ref = se.normalise(" ".join(line.split(" ", 2)[2] for line in open(ref_path)))
        peer = None if a.no_peer else se.start_peer(wav)
        first, first_s = transcribe(a.bin, wav, os.path.join(a.work, src["id"] + ".json"),
                                    {"CLIPFORGE_POCKETSPHINX_MLLR": "off"})
        row = {"source": src["id"], "ref_words": len(ref), "first_errors": errors(ref, first),
               "first_s": first_s, "mllr": []}
        if a.pipeline:
            second, dt = transcribe(a.bin, wav, os.path.join(a.work, "%s-pipeline.json" % src["id"]),
                                    {"CLIPFORGE_POCKETSPHINX_MLLR": "on"})
            e = errors(ref, second)
            row["mllr"].append({"threshold": "pipeline", "words": sum(len(g["words"]) for g in first["segments"]), "estimate_s": 0.0,
                                "second_s": dt, "errors": e, "errors_pass1": e})
        for th in [float(x) for x in a.thresholds.split(",") if x]:
            hyp, item = first, {"threshold": th, "estimate_s": 0.0, "second_s": 0.0}
            for p in range(1, a.passes + 1):
                st = runs(hyp, th)
                t0 = time.monotonic()
                mat = estimate(hmm, wav, st, os.path.join(a.work, "%s-adapt-%g-%d" % (src["id"], th, p)),
                               fold=not a.no_fold, bias_only=a.bias_only)
                item["estimate_s"] += time.monotonic() - t0
                item.update(stretches=len(st), words=sum(len(x[2]) for x in st))
                if not mat:
                    break
                hyp, dt = transcribe(a.bin, wav, os.path.join(a.work, "%s-mllr-%g-%d.json" % (src["id"], th, p)),
                                     {"CLIPFORGE_POCKETSPHINX_ARGS": "-mllr " + mat,
                                      "CLIPFORGE_POCKETSPHINX_MLLR": "off"})
                item["second_s"] += dt
                item["errors_pass%d" % p] = errors(ref, hyp)
                item["errors"] = item["errors_pass%d" % p]
            row["mllr"].append(item)
        if peer:
            pw, row["peer_s"] = se.finish_peer(peer)
            row["peer_errors"] = se.align(ref, [t for w in pw for t in se.normalise(w)])[0]
        rows.append(row)
        print(json.dumps(row), file=sys.stderr)
    print("| reel | ref words | peer errors | first pass errors | transcript kept | words | "
          "MLLR errors | change | s first / estimate / second |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        for m in r["mllr"]:
            e = m.get("errors")
            kept = ("all (in the pipeline)" if m["threshold"] == "pipeline"
                    else "conf >= %g" % m["threshold"])
            print("| %s | %d | %s | %d | %s | %d | %s | %s | %.0f / %.0f / %s |" % (
                r["source"], r["ref_words"], r.get("peer_errors", ""), r["first_errors"],
                kept, m["words"], "" if e is None else e,
                "" if e is None else "%+.1f %%" % (100.0 * (e - r["first_errors"]) /
                                                   max(1, r["first_errors"])),
                r["first_s"], m["estimate_s"], "%.0f" % m["second_s"]))
    if a.json:
        json.dump(rows, open(a.json, "w"), indent=1)


if __name__ == "__main__":
    main()
