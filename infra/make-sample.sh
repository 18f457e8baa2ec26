#!/usr/bin/env bash
# Makes a realistic talk-show-like sample video: calm spoken segments (espeak-ng) filmed from two
# camera angles (a scene cut halfway) with a moving subject, and highlight moments (loud excited
# speech, then applause or laughter from the audience, over fast cuts). Writes OUT (mp4) and OUT.spans.json with the planted highlights.
# Usage: infra/make-sample.sh OUT.mp4 [SECONDS_PER_SEGMENT] [WIDTHxHEIGHT]
set -euo pipefail
out=${1:?usage: make-sample.sh OUT.mp4 [SEG_SECONDS] [WxH]}
seg=${2:-20}
size=${3:-1280x720}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
W=${size%x*}
H=${size#*x}
sw=$((W / 8))

lines=(
  "Welcome back to the show. Today we talk about how small teams build reliable software."
  "The first thing to understand is that every system fails eventually, so plan for recovery."
  "Our guest has spent ten years running video infrastructure for a living."
  "Let us look at the numbers from last quarter before we take questions from the audience."
  "That is all for today. Thank you for listening and see you next week."
)
colors=(0x203040 0x302028 0x283020 0x202838 0x302830)

calm() { # index -> segment with speech, two camera angles (a cut halfway) and a moving subject
  local i=$1 c=${colors[$1]} c2=${colors[$(( (i + 2) % 5 ))]} half=$((seg / 2))
  espeak-ng -s 150 -a 80 -w "$work/s$i.wav" "${lines[$i]} ${lines[$(( (i + 1) % 5 ))]}"
  ffmpeg -nostdin -loglevel error -y \
    -f lavfi -i "color=c=$c:s=${size}:r=30:d=$half" \
    -f lavfi -i "color=c=$c2:s=${size}:r=30:d=$((seg - half))" \
    -f lavfi -i "color=c=0xd0a070:s=${sw}x$((sw * 2)):r=30:d=$seg" \
    -i "$work/s$i.wav" \
    -filter_complex "[0][1]concat=n=2:v=1:a=0[bg];[bg][2]overlay=x='if(lt(t,$half),(W-w)/3,2*(W-w)/3)+W/8*sin(t/3)':y='(H-h)/2+H/16*sin(t/2)'[v];[3]apad,atrim=0:$seg,aresample=48000,pan=stereo|c0=c0|c1=c0[a]" \
    -map "[v]" -map "[a]" -c:v libx264 -preset veryfast -pix_fmt yuv420p -c:a aac -b:a 128k \
    -t "$seg" "$work/seg$i.mp4"
}

# index -> segment: excited loud speech, then the audience reacts (applause: amplitude-modulated
# pink noise; laughter: high-pitched "ha ha" voices over a softer crowd) over fast cuts
highlight() {
  local i=$1 hl=$((seg / 2)) crowd extra=()
  espeak-ng -s 210 -p 80 -a 200 -w "$work/h$i.wav" "Oh wow, did you see that? That is incredible! Unbelievable!"
  if [ $((i % 2)) -eq 0 ]; then
    espeak-ng -v en+f3 -s 260 -p 95 -a 180 -w "$work/l$i.wav" "ha ha ha ha ha ha ha ha ha ha ha ha ha ha ha ha"
    extra=(-i "$work/l$i.wav")
    crowd="[3]aresample=48000,adelay=2000,apad,atrim=0:$hl[l];[2]tremolo=f=5:d=0.5,volume=0.5,adelay=2000[n0];[n0][l]amix=inputs=2:normalize=0[n]"
  else
    crowd="[2]tremolo=f=7:d=0.6,adelay=2000[n]"
  fi
  ffmpeg -nostdin -loglevel error -y \
    -f lavfi -i "testsrc2=s=${size}:r=30:d=$hl,hue=H=2*PI*floor(t*3)/7" \
    -i "$work/h$i.wav" -f lavfi -i "anoisesrc=c=pink:a=0.5:d=$hl:r=48000:seed=$((7 + i))" \
    "${extra[@]}" \
    -filter_complex "[1]aresample=48000,apad,atrim=0:$hl[s];$crowd;[s][n]amix=inputs=2:normalize=0,pan=stereo|c0=c0|c1=c0[a]" \
    -map 0:v -map "[a]" -c:v libx264 -preset veryfast -pix_fmt yuv420p -c:a aac -b:a 128k \
    -t "$hl" "$work/hl$i.mp4"
}

: >"$work/list.txt"
spans="["
t=0
for i in 0 1 2 3 4; do
  calm "$i"
  echo "file '$work/seg$i.mp4'" >>"$work/list.txt"
  t=$((t + seg))
  if [ "$i" -lt 4 ] && [ $((i % 2)) -eq 1 -o "$i" -eq 2 ]; then
    highlight "$i"
    echo "file '$work/hl$i.mp4'" >>"$work/list.txt"
    [ "$spans" = "[" ] || spans+=","
    kind=applause; [ $((i % 2)) -eq 0 ] && kind=laughter
    spans+="{\"start_ms\":$((t * 1000)),\"end_ms\":$(((t + seg / 2) * 1000)),\"kind\":\"excited_speech_and_$kind\"}"
    t=$((t + seg / 2))
  fi
done
spans+="]"
ffmpeg -nostdin -loglevel error -y -f concat -safe 0 -i "$work/list.txt" -c copy -movflags +faststart "$out"
echo "$spans" >"$out.spans.json"
echo "sample: $out ($t s, planted highlights in $out.spans.json)"
