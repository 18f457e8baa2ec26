#!/usr/bin/env bash
# make_speech.sh OUT_DIR SENTENCES_FILE LEAD_S GAP_S — speaks each line of SENTENCES_FILE with
# espeak-ng, trims each utterance to its speech, and joins them with LEAD_S of silence before
# the first and GAP_S between them into OUT_DIR/speech.wav (16 kHz mono). Writes
# OUT_DIR/reference.txt with "start_ms end_ms text" per sentence: where the speech really is.
# Used by the transcription tests and the benchmark.
set -euo pipefail
out=$1 sentences=$2 lead=$3 gap=$4
voice=${CF_ESPEAK_VOICE:-en-us+f2} speed=${CF_ESPEAK_SPEED:-140}
mkdir -p "$out/parts"
: > "$out/reference.txt"
parts=()
at_ms=$(awk -v s="$lead" 'BEGIN{printf "%d", s*1000}')
sox -R -q -n -r 16000 -c 1 -b 16 "$out/parts/lead.wav" trim 0 "$lead"
parts+=("$out/parts/lead.wav")
i=0
while IFS= read -r text || [ -n "$text" ]; do
  [ -n "$text" ] || continue
  i=$((i + 1))
  espeak-ng -v "$voice" -s "$speed" -w "$out/parts/raw$i.wav" "$text"
  # trim leading/trailing quiet (below 0.5% of full scale) so the reference times are the speech
  sox -R -q "$out/parts/raw$i.wav" -r 16000 -c 1 -b 16 "$out/parts/s$i.wav" \
    silence 1 0.005 0.5% reverse silence 1 0.005 0.5% reverse
  dur_ms=$(soxi -D "$out/parts/s$i.wav" | awk '{printf "%d", $1*1000}')
  echo "$at_ms $((at_ms + dur_ms)) $text" >> "$out/reference.txt"
  sox -R -q -n -r 16000 -c 1 -b 16 "$out/parts/gap$i.wav" trim 0 "$gap"
  parts+=("$out/parts/s$i.wav" "$out/parts/gap$i.wav")
  # the gap's exact length in samples keeps the offsets exact
  gap_ms=$(soxi -D "$out/parts/gap$i.wav" | awk '{printf "%d", $1*1000}')
  at_ms=$((at_ms + dur_ms + gap_ms))
done < "$sentences"
sox -R -q "${parts[@]}" "$out/speech.wav"
