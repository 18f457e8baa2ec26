#!/usr/bin/env bash
# Real recorded speech (LibriVox and spoken cards of pocketsphinx-testdata, BSD; the speaker
# test's voice prompts of alsa-utils, GPL-2), decoded by clipforge and by pocketsphinx_continuous
# (same model, same audio) through apps/ai/experiments/speech/speech_eval.py, then checks:
#   - our word error rate stays within 1.25x the peer's on the same audio (a guard: on the
#     development and held-out sets the two are within about 10% of each other; see
#     apps/ai/experiments/reports/speech-real.md), and on the cards passed through 8 kHz first,
#     which takes the high-band fill for narrowband speech (bandwidth.c);
#   - word confidences mean something: wrong words score lower than right ones on average (by
#     0.2 on the development set; asserted > 0.05), and the expected calibration error (10 bins)
#     is at most 0.25 (0.03 on the development set; these few words make it noisy).
# Skips (77) when the packages cannot be fetched.
# Usage: test_transcribe_real.sh CLIPFORGE WORKDIR
set -euo pipefail
cf=$1 work=$2
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$work"
cache=${CF_REAL_MEDIA:-$work/real-media}
python3 "$here/../media/debmedia.py" --cache "$cache" pocketsphinx-testdata alsa-utils >/dev/null || exit $?
command -v pocketsphinx_continuous >/dev/null || { echo "SKIP: pocketsphinx_continuous missing"; exit 77; }
CF_REAL_MEDIA=$cache python3 "$here/../../apps/ai/experiments/speech/speech_eval.py" --bin "$cf" \
  --sources librivox,cards,alsa --work "$work" --json "$work/result.json"
CF_REAL_MEDIA=$cache python3 "$here/../../apps/ai/experiments/speech/speech_eval.py" --bin "$cf" \
  --sources cards --narrowband --work "$work" --json "$work/result-8k.json"
python3 - "$work/result.json" "$work/result-8k.json" <<'PY'
import json, sys
sys.path.insert(0, sys.argv[0].rsplit("/", 1)[0])
d = json.load(open(sys.argv[1]))
nb = json.load(open(sys.argv[2]))["totals"][1]
t = d["totals"][1]
words = d["words"]["eval"]
right = [c for c, _, _, k in words if k]
wrong = [c for c, _, _, k in words if not k]
bins, ece = 10, 0.0
for b in range(bins):
    sel = [(c, k) for c, _, _, k in words if b / bins <= c < (b + 1) / bins or (b == bins - 1 and c == 1)]
    if sel:
        ece += len(sel) / len(words) * abs(sum(c for c, _ in sel) / len(sel) - sum(k for _, k in sel) / len(sel))
mr, mw = sum(right) / max(len(right), 1), sum(wrong) / max(len(wrong), 1)
print("WER ours %.3f, pocketsphinx_continuous %.3f; confidence right %.2f wrong %.2f, ECE %.3f" % (
    t["ours_wer"], t["peer_wer"], mr, mw, ece))
fail = 0
def check(ok, what):
    global fail
    print(("ok:   " if ok else "FAIL: ") + what)
    fail |= not ok
check(t["ours_wer"] <= 1.25 * t["peer_wer"] + 1e-9, "WER within 1.25x pocketsphinx_continuous's")
print("cards through 8 kHz: WER ours %.3f, pocketsphinx_continuous %.3f" % (nb["ours_wer"], nb["peer_wer"]))
check(nb["ours_wer"] <= 1.25 * nb["peer_wer"] + 1e-9, "8 kHz speech: WER within 1.25x the peer's")
check(mw < mr - 0.05, "wrong words have lower confidence than right ones")
check(ece <= 0.25, "expected calibration error <= 0.25")
sys.exit(fail)
PY
