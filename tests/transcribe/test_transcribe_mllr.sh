#!/usr/bin/env bash
# CLIPFORGE_POCKETSPHINX_MLLR=on: the adapted second pass runs and says so in the log; on
# espeak-ng speech passed through 8 kHz like a telephone it makes fewer errors than one pass, on
# the speech as made about as many, with the same sentences found. Without sphinxtrain
# installed it warns and gives the one-pass transcript.
# Usage: test_transcribe_mllr.sh CLIPFORGE STT_SCORE WORKDIR
set -euo pipefail
cf=$1 score=$2 work=$3
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$work" && mkdir -p "$work"
"$here/make_speech.sh" "$work" "$here/sentences.txt" 1.0 1.5
sox -R -q "$work/speech.wav" -r 8000 "$work/tel8k.wav"
sox -R -q "$work/tel8k.wav" -r 16000 "$work/telephone.wav"

fail=0
ok() { echo "ok:   $*"; }
bad() { echo "FAIL: $*"; fail=1; }
tools=yes
for t in /usr/lib/sphinxtrain/bw /usr/lib/sphinxtrain/mllr_solve /usr/bin/sphinx_fe; do
  [ -x "$t" ] || tools=no
done
echo "sphinxtrain tools installed: $tools"

for input in speech telephone; do
  CLIPFORGE_LOG_LEVEL=info CLIPFORGE_POCKETSPHINX_MLLR=off "$cf" transcribe --input "$work/$input.wav" \
    --output "$work/$input-off.json" >/dev/null 2>"$work/$input-off.log"
  CLIPFORGE_LOG_LEVEL=info CLIPFORGE_POCKETSPHINX_MLLR=on "$cf" transcribe --input "$work/$input.wav" \
    --output "$work/$input-on.json" >/dev/null 2>"$work/$input-on.log"
  off=$("$score" "$work/reference.txt" "$work/$input-off.json")
  on=$("$score" "$work/reference.txt" "$work/$input-on.json")
  echo "$input: one pass $off"
  echo "$input: adapted  $on"
  grep -q "MLLR" "$work/$input-off.log" && bad "$input: MLLR mentioned with it off" || ok "$input: off is one pass"
  if [ $tools = yes ]; then
    grep -q "per-recording MLLR on" "$work/$input-on.log" && ok "$input: log says the second pass runs" \
      || bad "$input: no 'MLLR on' line: $(cat "$work/$input-on.log")"
    grep -q "no adapted pass" "$work/$input-on.log" && bad "$input: adaptation failed: $(cat "$work/$input-on.log")" \
      || ok "$input: adaptation estimated"
    # clean synthetic speech: about as good (33 words: a few either way); speech through 8 kHz,
    # which the model fits worst: fewer errors, as on the real 8 kHz development reel
    if [ $input = speech ]; then rule="b['wer'] <= a['wer'] + 0.10"; else rule="b['errors'] < a['errors']"; fi
    if python3 -c "import json,sys; a=json.loads(sys.argv[1]); b=json.loads(sys.argv[2]);
sys.exit(0 if $rule and b['sentences_found'] == a['sentences_found'] else 1)" "$off" "$on"; then
      ok "$input: adapted against one pass: $rule, same sentences found"
    else
      bad "$input: adapted pass: not $rule: $on against $off"
    fi
  else
    grep -q "is not installed" "$work/$input-on.log" && ok "$input: warns that the tools are missing" \
      || bad "$input: no warning: $(cat "$work/$input-on.log")"
    python3 -c "import json,sys; a=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2]));
sys.exit(0 if a['segments'] == b['segments'] else 1)" "$work/$input-off.json" "$work/$input-on.json" \
      && ok "$input: one-pass transcript" || bad "$input: transcript differs without the tools"
  fi
done
exit $fail
