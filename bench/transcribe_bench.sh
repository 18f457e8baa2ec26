#!/usr/bin/env bash
# Transcription benchmark (make bench only).
#  1. Realtime factor (processing time / audio time; lower is faster) of `clipforge transcribe`
#     on about 10 minutes of espeak-ng speech: 2 threads (both cores), then 1 thread side by
#     side with the peer pocketsphinx_continuous (Debian's CLI: same library and model, one
#     thread, whole file).
#  2. Word error rate by signal-to-noise ratio on the first minute of that speech, with pink
#     noise or a music bed underneath (tests/transcribe/mix_noise.sh).
#  3. Word error rate and time on real recorded speech, ours and pocketsphinx_continuous's on
#     the same audio: the sources of apps/ai/experiments/speech/manifest.json (Debian packages:
#     game narration, telephone prompts and conversation, LibriVox, read descriptions...);
#     then the 8 kHz ones without the high-band fill for narrowband speech.
# Usage: bench/transcribe_bench.sh BUILD_DIR
set -euo pipefail
build=$(cd "${1:-build/release}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
tools=$here/../tests/transcribe
cf=$build/clipforge score=$build/tests/transcribe/stt_score
work=$build/bench-transcribe
mkdir -p "$work"

dur_s() { soxi -D "$1"; }
wer_of() { python3 -c "import json,sys; print(json.loads(sys.argv[1])['wer'])" "$1"; }

# --- speech: the sentence bank cycled to about 10 minutes (cached) ---
if [ ! -s "$work/long/speech.wav" ]; then
  mapfile -t bank < "$here/transcribe_sentences.txt"
  : > "$work/long.txt"
  for i in $(seq 0 179); do echo "${bank[$((i % ${#bank[@]}))]}" >> "$work/long.txt"; done
  "$tools/make_speech.sh" "$work/long" "$work/long.txt" 1.0 0.8
fi
audio=$(dur_s "$work/long/speech.wav")
printf '\nspeech: %.1f s of espeak-ng (en-us+f2, 140 wpm), %d sentences, 0.8 s pauses\n' \
  "$audio" "$(wc -l < "$work/long/reference.txt")"

# timed NAME CMD...: runs CMD and writes "wall_rtf cpu_rtf" to $work/NAME.rtf (CPU = user +
# system time over audio time, which a busy machine disturbs less than the wall clock)
timed() {
  local name=$1
  shift
  /usr/bin/time -f "%e %U %S" -o "$work/$name.time" "$@"
  awk -v a="$audio" '{printf "%.3f %.3f\n", $1/a, ($2+$3)/a}' "$work/$name.time" > "$work/$name.rtf"
}
rm -f "$work"/*.rtf
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
timed cf2 "$cf" transcribe --input "$work/long/speech.wav" --threads 2 --output "$work/cf2.json"
# The two one-thread runs, ours and the peer's, go side by side, one per core: the same
# conditions for both, in half the wall time of running them one after the other.
timed cf1 "$cf" transcribe --input "$work/long/speech.wav" --threads 1 --output "$work/cf1.json" &
cf1_pid=$!
peer_rtf=n/a peer_cpu=n/a peer_wer=n/a
if command -v pocketsphinx_continuous >/dev/null; then
  timed peer sh -c 'pocketsphinx_continuous -infile "$1" -logfn /dev/null > "$2"' \
    peer "$work/long/speech.wav" "$work/peer.txt"
fi
wait "$cf1_pid"
read -r rtf2 cpu2 < "$work/cf2.rtf"
read -r rtf1 cpu1 < "$work/cf1.rtf"
wer2=$(wer_of "$("$score" "$work/long/reference.txt" "$work/cf2.json")")
wer1=$(wer_of "$("$score" "$work/long/reference.txt" "$work/cf1.json")")
if [ -s "$work/peer.rtf" ]; then
  read -r peer_rtf peer_cpu < "$work/peer.rtf"
  python3 - "$work/peer.txt" "$work/peer.json" <<'PY'
import json, sys
words = [w for line in open(sys.argv[1]) for w in line.split()]
seg = {"start_ms": 0, "end_ms": 0, "text": " ".join(words),
       "words": [{"word": w, "start_ms": 0, "end_ms": 0, "confidence": 1} for w in words]}
json.dump({"language": "en-us", "model": "pocketsphinx_continuous", "duration_ms": 0,
           "segments": [seg]}, open(sys.argv[2], "w"))
PY
  peer_wer=$(wer_of "$("$score" "$work/long/reference.txt" "$work/peer.json")")
fi
echo
echo "load average before: $load_before on $(nproc) cores"
echo "| run                             | realtime factor (wall) | CPU s per audio s | wall speed vs peer | WER   |"
echo "|---------------------------------|------------------------|-------------------|--------------------|-------|"
ratio() { [ "$peer_rtf" = n/a ] && echo n/a || awk -v p="$peer_rtf" -v r="$1" 'BEGIN{printf "%.2fx", p/r}'; }
printf '| clipforge transcribe, 2 threads | %-22s | %-17s | %-18s | %-5s |\n' "$rtf2" "$cpu2" "$(ratio "$rtf2")" "$wer2"
printf '| clipforge transcribe, 1 thread  | %-22s | %-17s | %-18s | %-5s |\n' "$rtf1" "$cpu1" "$(ratio "$rtf1")" "$wer1"
printf '| pocketsphinx_continuous (peer)  | %-22s | %-17s | %-18s | %-5s |\n' "$peer_rtf" "$peer_cpu" "1.00x" "$peer_wer"
awk -v a="$rtf1" -v b="$rtf2" 'BEGIN{printf "2 threads vs 1: %.2fx faster\n", a/b}'

# --- WER by SNR on the first minute ---
if [ ! -s "$work/minute/speech.wav" ]; then
  head -n 18 "$here/transcribe_sentences.txt" > "$work/minute.txt"
  "$tools/make_speech.sh" "$work/minute" "$work/minute.txt" 1.0 0.8
fi
echo
printf 'WER by SNR (%.0f s, %d words)\n\n' "$(dur_s "$work/minute/speech.wav")" \
  "$(python3 -c "import json,sys; print(json.loads(sys.argv[1])['ref_words'])" \
     "$("$score" "$work/minute/reference.txt" "$work/cf2.json")")"
echo "| bed        | SNR dB | WER   | timing err mean ms | words in pauses |"
echo "|------------|--------|-------|--------------------|-----------------|"
row() { # BED SNR WAV
  "$cf" transcribe --input "$3" --output "$work/snr.json" >/dev/null
  python3 -c "import json,sys; s=json.loads(sys.argv[3]); print(f\"| {sys.argv[1]:<10} | {sys.argv[2]:>6} | {s['wer']:.3f} | {s['boundary_err_ms_mean']:>18.0f} | {s['words_in_gaps']:>15} |\")" \
    "$1" "$2" "$("$score" "$work/minute/reference.txt" "$work/snr.json")"
}
row none clean "$work/minute/speech.wav"
for bed in noise music; do
  for snr in 20 10 5 0; do
    "$tools/mix_noise.sh" "$work/minute/speech.wav" "$bed" "$snr" "$work/mix.wav" 2>/dev/null
    row "$bed" "$snr" "$work/mix.wav"
  done
done

# --- real recorded speech: WER and time of ours and of pocketsphinx_continuous on each source ---
# (apps/ai/experiments/speech: Debian packages' recordings with the words spoken, fetched with
# tests/media/debmedia.py into the build dir's real-media/; one thread each, one after the other)
echo
echo "real recorded speech (apps/ai/experiments/speech/manifest.json), ours vs pocketsphinx_continuous:"
if ! CF_REAL_MEDIA=${CF_REAL_MEDIA:-$build/real-media} python3 "$here/../apps/ai/experiments/speech/speech_eval.py" \
     --bin "$cf" --role all --work "$work/real" --json "$work/real.json" --speed; then
  echo "real recorded speech: not available (a package could not be fetched)"
fi
# the 8 kHz sources again without the high-band fill for narrowband speech (bandwidth.c), to
# show what it is worth next to the table above
echo
echo "the 8 kHz sources (asterisk, know) with CLIPFORGE_POCKETSPHINX_FOLD_DB=off:"
if ! CLIPFORGE_POCKETSPHINX_FOLD_DB=off CF_REAL_MEDIA=${CF_REAL_MEDIA:-$build/real-media} \
     python3 "$here/../apps/ai/experiments/speech/speech_eval.py" --bin "$cf" --role all \
     --sources asterisk,know --no-peer --work "$work/real" --json "$work/real-nofold.json"; then
  echo "the 8 kHz sources: not available"
fi
