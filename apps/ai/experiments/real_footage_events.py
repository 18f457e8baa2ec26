#!/usr/bin/env python3
"""What audio-event models hear in the real-footage set, without the detection runs: seconds of
each class per kind of labelled segment, for each model file given, on the same composed files.

    real_footage_events.py --bin CLIPFORGE --work DIR MODEL.json [MODEL.json ...]

DIR is a work directory of real_footage.py (its composed rf*.mp4). The C extractor writes the
classifier's inputs of each composition once (`clipforge detect --features-out --event-inputs`,
kept in DIR/events-inputs, extracted again when the build is newer); each model then classifies
them in Python (train_audio_events.predict, which tests/ai/audio_events_agree.py holds equal to
the C classifier) and decides per 500 ms as cf_audio_events_from_track does. The seconds are
those real_footage.py reports under "audio events heard", for any model file, trained or not.
"""
import argparse
import json
import os
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "training"))
import train_audio_events as T  # noqa: E402


def kinds(manifest):
    """The manifest's segment kinds in the order they first appear (set 1's seven, the later
    sets' exclaim, musicbed and musiccuts too)."""
    out = []
    for comp in manifest["compositions"]:
        for s in comp["segments"]:
            if s["kind"] not in out:
                out.append(s["kind"])
    return out


def inputs(binary, media, out_dir):
    """The event inputs of media (names, rows), extracted into out_dir unless current there."""
    out = os.path.join(out_dir, os.path.basename(media) + ".json")
    if not T.extracted_is_current(binary, out):
        env = dict(os.environ, CLIPFORGE_LOG_LEVEL="error", CLIPFORGE_FEATURE_CACHE_DIR=os.path.join(out_dir, "features"),
                   CLIPFORGE_DATA_DIR=os.path.join(out_dir, "data"))
        subprocess.run([binary, "detect", "--input", media, "--no-cache", "--json", "--features-out", out,
                        "--event-inputs"], check=True, stdout=subprocess.DEVNULL, env=env)
    with open(out) as f:
        t = json.load(f)
    return t["event_inputs"]["names"], np.array(t["event_inputs"]["rows"], dtype=np.float32)


def heard(model, used, comps):
    """Seconds per (segment kind, class) over compositions [(comp, names, rows)]."""
    out = {}
    for comp, names, x in comps:
        p = T.predict(model, x[:, [names.index(n) for n in used]])
        for b in range(0, len(p), T.DECISION_HOPS):
            c = T.CLASSES[int(np.argmax(p[b:b + T.DECISION_HOPS].mean(0)))]
            a, e = b / 10, min(b + T.DECISION_HOPS, len(p)) / 10
            for s in comp["segments"]:
                ov = min(e, s["end_s"]) - max(a, s["start_s"])
                if ov > 0:
                    out[(s["kind"], c)] = out.get((s["kind"], c), 0.0) + ov
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", required=True)
    ap.add_argument("--work", required=True, help="a work directory of real_footage.py")
    ap.add_argument("--manifest", default=os.path.join(HERE, "real-footage.json"))
    ap.add_argument("models", nargs="+")
    args = ap.parse_args()
    with open(args.manifest) as f:
        manifest = json.load(f)
    out_dir = os.path.join(args.work, "events-inputs")
    os.makedirs(out_dir, exist_ok=True)
    comps = []
    for comp in manifest["compositions"]:
        media = os.path.join(args.work, comp["id"] + ".mp4")
        if not os.path.exists(media):
            sys.exit("%s: not composed (run real_footage.py --work %s first)" % (media, args.work))
        comps.append((comp, *inputs(os.path.abspath(args.bin), media, out_dir)))
    print("| model | segment | " + " | ".join(T.CLASSES) + " |")
    print("|---" * (len(T.CLASSES) + 2) + "|")
    for path in args.models:
        with open(path) as f:
            used, model = T.model_from_json(json.load(f))
        h = heard(model, used, comps)
        for kind in kinds(manifest):
            print("| %s | %s | %s |" % (os.path.basename(path), kind,
                                        " | ".join("%.0f" % h.get((kind, c), 0.0) for c in T.CLASSES)))


if __name__ == "__main__":
    main()
