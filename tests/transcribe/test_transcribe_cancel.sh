#!/usr/bin/env bash
# SIGTERM during the first decoding pass of `clipforge transcribe` ends the run within 5 s: exit 1
# (as every pipeline's cancel), "cancelled" on stderr, no output file and no temp file left. The
# input is about 100 s of speech without a pause, transcribed with --chunk 120, so the first pass
# (the adapting backend's pass over the recording's first two minutes) is one decoder call over
# the whole recording: a cancel seen only between chunks would wait for all of it (over a minute
# under ASan).
# Usage: test_transcribe_cancel.sh CLIPFORGE WORKDIR
set -euo pipefail
source "$(dirname "$0")/../signal_lib.sh"
source "$(dirname "$0")/../check_lib.sh"
cf=$1 work=$2
rm -rf "$work" && mkdir -p "$work/tmp"

# the test sentences twelve times over, without punctuation or word gaps: no pause to cut at
tr -d '.,' <"$(dirname "$0")/sentences.txt" | tr '\n' ' ' >"$work/once.txt"
for _ in $(seq 1 12); do cat "$work/once.txt"; done >"$work/text.txt"
espeak-ng -v en-us+m3 -s 160 -g 0 -w "$work/raw.wav" -f "$work/text.txt"
sox -R -q "$work/raw.wav" -r 16000 -c 1 "$work/speech.wav"
secs=$(soxi -D "$work/speech.wav")
echo "# $secs s of speech without a pause"

TMPDIR="$work/tmp" CLIPFORGE_LOG_LEVEL=debug "$cf" transcribe --input "$work/speech.wav" --chunk 120 --threads 1 \
  --output "$work/out.json" 2>"$work/err" &
pid=$!
check "the cancel handler is installed" wait_cancel_armed "$pid" "$work/err"
# recognition starts once the audio is loaded and cut (well under a second for a WAV file)
for _ in $(seq 1 100); do grep -q 'MLLR on' "$work/err" && break; sleep 0.05; done
sleep 2
check "still in the first pass when signalled (no adaptation yet)" \
  bash -c '! grep -q "adapted from" "$1" && kill -0 "$2"' _ "$work/err" "$pid"
sent=$(date +%s%N)
kill -TERM "$pid"
code=0
wait "$pid" || code=$?
ms=$((($(date +%s%N) - sent) / 1000000))
echo "# SIGTERM to exit: $ms ms"
check "exit 1 on SIGTERM (got $code)" test "$code" = 1
check "ended within 5 s of SIGTERM ($ms ms)" test "$ms" -lt 5000
check "the error says cancelled" grep -q "error: transcription cancelled" "$work/err"
check "no output file left" test ! -e "$work/out.json"
check "no temp file left ($(ls -A "$work/tmp"))" test -z "$(ls -A "$work/tmp")"
[ "$FAILS" -eq 0 ] || cat "$work/err"
finish
