# clip_errors.sh — bad input never crashes: a one-line message, exit 2 (input/usage) or 1
# (processing), no output file and no temp file left, no sanitizer report.
source "$(dirname "$0")/lib.sh" "$@"

gen src.mp4 -f lavfi -i testsrc2=s=160x120:r=25:d=3 -f lavfi -i "sine=d=3" -c:v libx264 \
  -pix_fmt yuv420p -c:a aac -shortest
: >empty.mp4
printf 'this is a shopping list, not a video\nmilk\neggs\n' >notes.mp4
head -c 20000 src.mp4 >truncated.mp4 # the index (moov) is at the end: cut off
gen fast.mp4 -i src.mp4 -c copy -movflags +faststart
head -c $(( $(stat -c %s fast.mp4) / 2 )) fast.mp4 >halfdata.mp4 # index kept, media data cut

check "probe: missing, empty, text named .mp4, truncated (a recording never finished: said so)"
bad 2 "" probe missing.mp4
grep -q "No such file" err.txt || fail "missing file message"
bad 2 "" probe empty.mp4
grep -q "empty (0 bytes)" err.txt || fail "empty file message"
bad 2 "" probe notes.mp4
bad 2 "" probe truncated.mp4
grep -q "never finished: it holds its media but not the index (moov)" err.txt || fail "truncated: $(cat err.txt)"
bad 2 "" probe notes.mp4
grep -q "not a readable media file" err.txt || fail "text file: $(cat err.txt)"
bad 2 "" probe
bad 2 "" probe --bogus src.mp4

check "clip: bad input files"
bad 2 out.mp4 clip --input missing.mp4 --output out.mp4
bad 2 out.mp4 clip --input empty.mp4 --output out.mp4
bad 2 out.mp4 clip --input notes.mp4 --output out.mp4
bad 2 out.mp4 clip --input truncated.mp4 --output out.mp4
bad 2 out.mp4 clip --input . --output out.mp4

check "a still picture (a photo given by mistake) is refused naming it, by every pipeline that needs pictures"
gen photo.png -f lavfi -i color=red:s=64x64 -frames:v 1
bad 2 out.mp4 clip --input photo.png --output out.mp4
grep -q "photo.png is a still picture (png), not a video or a recording" err.txt || fail "clip: $(cat err.txt)"
bad 2 "" detect --input photo.png
bad 2 out.mp4 render --template shorts-blur --input photo.png --span 0:1 --format vertical --output out.mp4
rc=0; "$CF" autoclip --input photo.png --output-dir photo_out >out.txt 2>err.txt || rc=$? # (prints its stages)
no_sanitizer_report err.txt
[ $rc -eq 2 ] && grep -q "still picture (png)" err.txt || fail "autoclip: exit $rc: $(cat err.txt)"
ok probe photo.png
head -c 40 photo.png > cut_header.png
bad 2 "" probe cut_header.png
grep -q "cut_header.png: its picture cannot be read (a damaged header" err.txt || fail "probe of a PNG cut in its header: $(cat err.txt)"

check "a GIF cut short (FFmpeg counts the pictures it finds: it passed for a shorter animation) is said to be"
gen whole.gif -f lavfi -i "testsrc2=s=64x64:r=10:d=3" -loop 0
head -c "$(($(stat -c %s whole.gif) / 2))" whole.gif >cutgif.gif
ok clip --input cutgif.gif --output cutgif.mp4 --json
grep -q "left out of the result: the pictures after [0-9.]* s: the GIF is cut short" out.txt || fail "clip of a cut GIF: $(cat out.txt)"
ok probe cutgif.gif
grep -q "^Note *the GIF is cut short" out.txt || fail "probe of a cut GIF: $(cat out.txt)"
ok clip --input whole.gif --output whole.mp4 --json
grep -q "cut short" out.txt && fail "a whole GIF called cut short: $(cat out.txt)"

check "clip: an input whose media data is cut short fails instead of making a short clip"
rc=0
"$CF" clip --input halfdata.mp4 --output half.mp4 --trim 0:3 >out.txt 2>err.txt || rc=$?
no_sanitizer_report err.txt
if [ $rc -eq 0 ]; then
  approx "$(fval half.mp4 duration)" 3.0 0.1 || fail "short clip $(fval half.mp4 duration) s accepted from a truncated file"
else
  [ ! -e half.mp4 ] || fail "half.mp4 left behind"
  echo "  -> $(head -1 err.txt)"
fi

check "clip: re-encoding a cut-short input fails too"
bad 2 half2.mp4 clip --input halfdata.mp4 --output half2.mp4 --scale 80x-1

check "clip: bad ranges"
bad 2 out.mp4 clip --input src.mp4 --output out.mp4 --trim 5:8     # past the end
bad 2 out.mp4 clip --input src.mp4 --output out.mp4 --trim 1:9     # end past the end
bad 2 out.mp4 clip --input src.mp4 --output out.mp4 --trim 2:1     # reversed
bad 2 out.mp4 clip --input src.mp4 --output out.mp4 --trim 1:1     # empty
bad 2 out.mp4 clip --input src.mp4 --output out.mp4 --trim -1:2    # negative
bad 2 out.mp4 clip --input src.mp4 --output out.mp4 --trim abc
bad 2 out.mp4 clip --input src.mp4 --output out.mp4 --thumbnail t.jpg@10

check "clip: absurd sizes and values"
bad 2 out.mp4 clip --input src.mp4 --output out.mp4 --scale 100000x100
bad 2 out.mp4 clip --input src.mp4 --output out.mp4 --scale 0x0
bad 2 out.mp4 clip --input src.mp4 --output out.mp4 --scale -5x100
bad 2 out.mp4 clip --input src.mp4 --output out.mp4 --scale wide
bad 2 out.mp4 clip --input src.mp4 --output out.mp4 --crop 200:100:0:0   # larger than 160x120
bad 2 out.mp4 clip --input src.mp4 --output out.mp4 --crop 100:100:100:50
bad 2 out.mp4 clip --input src.mp4 --output out.mp4 --speed 10
bad 2 out.mp4 clip --input src.mp4 --output out.mp4 --speed 0.1
bad 2 out.mp4 clip --input src.mp4 --output out.mp4 --fps 0
bad 2 out.mp4 clip --input src.mp4 --output out.mp4 --normalize-audio=+30
bad 2 out.mp4 clip --input src.mp4 --output out.mp4 --trim 0:1 --trim-mode sideways
bad 2 out.mp4 clip --input src.mp4 --output out.mp4 --trim 0:1 --trim-mode copy --scale 80x-1
bad 2 out.mp4 clip --input src.mp4 --output out.mp4 --mute --normalize-audio

check "clip: CLIPFORGE_MAX_DIMENSION (a config-table key) reaches the clip pipeline"
CLIPFORGE_MAX_DIMENSION=64 bad 2 out.mp4 clip --input src.mp4 --output out.mp4 --scale 80x-1
grep -q "64" err.txt || fail "the configured limit is not the one applied: $(cat err.txt)"
check "clip: usage errors"
bad 2 "" clip --input src.mp4
bad 2 "" clip --output out.mp4
bad 2 out.avi clip --input src.mp4 --output out.avi
bad 2 out.mp4 clip --input src.mp4 --output out.mp4 --frobnicate
bad 2 "" clip --input src.mp4 --output nodir/out.mp4
bad 2 src.mp4.bak clip --input src.mp4 --output src.mp4   # would overwrite the input
[ -s src.mp4 ] || fail "the input was damaged"

check "clip --request: invalid JSON and invalid fields name the problem"
printf '{"clip_id": "c1", "source_uri": "src.mp4", ' >broken.json
bad 2 out.mp4 clip --request broken.json --output out.mp4
printf '{"clip_id":"c1","source_uri":"src.mp4","target_format":"mp4","operations":[{"op":"trim","start_ms":2000,"end_ms":1000}]}' >reversed.json
bad 2 out.mp4 clip --request reversed.json --output out.mp4
grep -q "operations\[0\]" err.txt || fail "field path missing: $(cat err.txt)"
printf '{"clip_id":"c1","source_uri":"media://m_1","operations":[]}' >remote.json
bad 2 out.mp4 clip --request remote.json --output out.mp4
printf '{"clip_id":"c1","source_uri":"src.mp4","operations":[{"op":"trim","start_ms":500,"end_ms":1500},{"op":"scale","width":80}]}' >good.json
ok clip --request good.json --output good.mp4 --json
[ "$(json_get out.txt '["clip_id"]')" = c1 ] || fail "clip_id not carried"
[ "$(sval good.mp4 v:0 width)" = 80 ] || fail "request scale not applied"
check "names with a colon are files, not FFmpeg protocols; playlists and stream descriptions are refused, not followed"
# Before: "Interview: Ann.mp4" was "Protocol not found", "pipe:3.mp4" read file descriptor 3 and an
# output so named wrote to it, and an HLS playlist naming a file elsewhere was read as that file.
cp src.mp4 "Interview: Ann.mp4"
cp src.mp4 "pipe:3.mp4"
for name in "Interview: Ann.mp4" "pipe:3.mp4"; do
  for mode in accurate copy; do
    ok clip --input "$name" --output "out $mode: $name" --trim 0.5:1.5 --trim-mode $mode 3>fd3.txt
    approx "$(fval "file:out $mode: $name" duration)" 1.0 0.2 && [ ! -s fd3.txt ] ||
      fail "$name ($mode): $(fval "file:out $mode: $name" duration) s; $(wc -c <fd3.txt) bytes on descriptor 3"
  done
  ok detect --input "$name" --json
done
ffmpeg -nostdin -loglevel error -y -i src.mp4 -c copy -f mpegts "$WORK/elsewhere.ts"
printf '#EXTM3U\n#EXT-X-TARGETDURATION:3\n#EXTINF:3.0,\n%s\n#EXT-X-ENDLIST\n' "$WORK/elsewhere.ts" >list.txt
printf 'v=0\no=- 0 0 IN IP4 127.0.0.1\ns=x\nc=IN IP4 127.0.0.1\nt=0 0\nm=audio 5004 RTP/AVP 0\n' >stream.sdp
for f in list.txt:"an HLS playlist" stream.sdp:"a stream description (SDP)"; do
  bad 2 "" probe "${f%%:*}"
  grep -q "is not media but ${f#*:}: it names other files or addresses to read" err.txt || fail "${f%%:*}: $(cat err.txt)"
  bad 2 played.mp4 clip --input "${f%%:*}" --output played.mp4
done
no_temp_left
echo "PASS clip_errors"
