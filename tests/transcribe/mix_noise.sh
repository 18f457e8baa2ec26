#!/usr/bin/env bash
# mix_noise.sh SPEECH.wav KIND SNR_DB OUT.wav — puts pink noise (KIND=noise) or a synthetic
# music bed (KIND=music: a chord with tremolo) under the speech at SNR_DB, where the signal
# level is the RMS of the speech parts only (quiet below 0.5% removed) so pauses do not lower it.
set -euo pipefail
speech=$1 kind=$2 snr=$3 out=$4
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dur=$(soxi -D "$speech")
sox -R -q "$speech" "$tmp/only.wav" silence 1 0.005 0.5% -1 0.05 0.5%
s_rms=$(sox "$tmp/only.wav" -n stat 2>&1 | awk '/RMS +amplitude/{print $3}')
case "$kind" in
  noise) sox -R -q -n -r 16000 -c 1 -b 16 "$tmp/bed.wav" synth "$dur" pinknoise vol 0.3 ;;
  music) sox -R -q -n -r 16000 -c 4 -b 16 "$tmp/chord.wav" synth "$dur" sine 220 sine 277 sine 330 sine 440
         sox -R -q "$tmp/chord.wav" -c 1 "$tmp/bed.wav" remix - tremolo 2 60 vol 0.3 ;;
  *) echo "mix_noise: KIND is noise or music" >&2; exit 2 ;;
esac
n_rms=$(sox "$tmp/bed.wav" -n stat 2>&1 | awk '/RMS +amplitude/{print $3}')
gain=$(awk -v s="$s_rms" -v n="$n_rms" -v snr="$snr" 'BEGIN{printf "%.6f", s / n / 10^(snr/20)}')
sox -R -q -m "$speech" -v "$gain" "$tmp/bed.wav" "$out" norm -1
