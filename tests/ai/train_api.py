#!/usr/bin/env python3
"""Training on labels posted through the API, end to end (small sizes): a real `clipforge serve`
detects generated media with the default version v1, a simulated reviewer posts verdicts through
POST /v1/labels (the rule: crowd and excited moments wanted, fast-cut action not), `clipforge
train --data-dir --out-dir --publish` fits v2 on them, and
  - v2 beats v1 in cross-validation and is published as the default of generic (the gate passed
    on the comparison train recorded against the current default);
  - v2 beats v1 on held-out media (`clipforge eval`), dropping the proposals on action spans;
  - the registry lists v2 with parent v1, its training data (every posted label) and metrics;
  - publishing v1 back is refused: without a comparison, and on the held-out set where it loses.
Usage: train_api.py CLIPFORGE SOURCE_DIR
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

BIN, SRC = sys.argv[1], sys.argv[2]
FAILS = []


def check(what, ok, detail=""):
    print(("ok - " if ok else "FAIL - ") + what + (": %s" % (detail,) if detail and not ok else ""))
    if not ok:
        FAILS.append(what)


def main():
    work = tempfile.mkdtemp(prefix="cf-train-api-")
    try:
        out = subprocess.run([sys.executable, os.path.join(SRC, "apps/ai/experiments/train_from_labels.py"),
                              "--bin", BIN, "--train", "3", "--heldout", "2", "--duration", "150", "--size", "160x90",
                              "--work", work], capture_output=True, text=True)
        if out.returncode:
            print(out.stdout[-3000:], out.stderr[-3000:])
            return 1
        r = json.loads(out.stdout)
        t, h = r["train"], r["heldout"]["versions"]
        v = t["model_version"]
        print("  %d labels posted; held-out F1 %s %.3f vs v1 %.3f; cv F1 %.3f vs %.3f" % (
            r["posted_labels"], v, h[v]["f1"], h["v1"]["f1"], t["metrics"]["cv"]["profiles"]["generic"]["candidate"]["f1"],
            t["metrics"]["cv"]["profiles"]["generic"]["base"]["f1"]))
        check("detections were proposed by the default v1", r["proposed_by"] == ["v1"], r["proposed_by"])
        check("the new version is v2", v == "v2", v)
        cv = t["metrics"]["cv"]
        check("cross-validated by media against v1", cv["base_version"] == "v1" and cv["media"] == 3 and cv["folds"] == 3, cv)
        check("v2 beats v1 in cross-validation", cv["profiles"]["generic"]["candidate"]["f1"] >
              cv["profiles"]["generic"]["base"]["f1"], cv["profiles"]["generic"])
        check("and was published", t["published"] and r["train_exit"] == 0, t.get("publish"))
        check("v2 beats v1 on held-out media", h[v]["f1"] > h["v1"]["f1"], (h[v], h["v1"]))
        check("by dropping what the reviewers reject", h[v]["on_rejected"] < h["v1"]["on_rejected"],
              (h[v]["on_rejected"], h["v1"]["on_rejected"]))
        models = r["models_dir"]
        env = dict(os.environ, CLIPFORGE_DATA_DIR=r["data_dir"])
        show = json.loads(subprocess.run([BIN, "models", "show", v, "--models-dir", models, "--json"], env=env,
                                         capture_output=True, text=True, check=True).stdout)
        check("v2's metadata: parent, trained_at, features", show["parent_version"] == "v1" and
              show["trained_at"].endswith("Z") and "crowd" in show["features"], show.get("parent_version"))
        check("its training data: every posted label, from the store", show["training_data"]["labels"] ==
              r["posted_labels"] and show["training_data"]["sources"] == ["store"], show["training_data"]["labels"])
        check("it is the default of generic", show["roles"]["default_for"] == ["generic"], show["roles"])
        check("a report beside it", os.path.exists(os.path.join(models, "highlight-%s.report.md" % v)))
        back = subprocess.run([BIN, "models", "publish", "v1", "--profile", "generic", "--models-dir", models],
                              capture_output=True, text=True, env=env)
        check("publishing v1 back without a comparison is refused", back.returncode == 1 and
              "no recorded comparison" in back.stderr, back.stderr)
        back = subprocess.run([BIN, "models", "publish", "v1", "--profile", "generic", "--models-dir", models,
                               "--set", os.path.join(work, "heldout")], capture_output=True, text=True, env=env)
        check("and on the held-out set, where it loses", back.returncode == 1 and ("does not beat %s" % v) in back.stderr,
              back.stderr)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("%d failed" % len(FAILS))
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())
