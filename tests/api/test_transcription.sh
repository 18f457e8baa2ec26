#!/usr/bin/env bash
# The transcription job kind over HTTP: bad requests are refused with problem+json naming the
# field; espeak-ng speech uploaded as media is transcribed by a worker, the result carries the
# transcript and signed URLs of transcript.json, captions.srt and captions.vtt whose words are
# the spoken ones; a video's own subtitles are read instead when asked (subtitles: true), and a
# media without them fails as invalid; a transcript the client brings (POST /v1/transcripts) is
# kept as Transcript JSON for transcript_uri, a broken one refused; a running transcription can be cancelled (it ends within 5 s) and leaves no
# outputs.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
J=(-H 'Content-Type: application/json')

# submit_tx MEDIA_URI — submits a transcription job, prints its id.
submit_tx() {
  curl -sf -X POST "${J[@]}" "$BASE/v1/jobs" \
    -d "{\"kind\":\"transcription\",\"request\":{\"clip_id\":\"t\",\"media_uri\":\"$1\"}}" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])'
}

bash "$(dirname "$0")/../transcribe/make_speech.sh" "$WORK/speech" \
  "$(dirname "$0")/../transcribe/sentences.txt" 0.5 0.8 >/dev/null
mkdir -p "$WORK/tmp" && export TMPDIR="$WORK/tmp" # the server's temp files, looked at below
# One recognition pass: this test is of the job kind, not of adaptation (transcribe_mllr is)
export CLIPFORGE_POCKETSPHINX_MLLR=off
start_server "$WORK/data" --workers 1

echo "# bad requests"
req POST /v1/jobs "${J[@]}" -d '{"kind":"transcription","request":{"clip_id":"t"}}'
expect_problem 400 validation
check "missing media_uri is named" grep -q 'media_uri' <<<"$(jget 'j["detail"]')"
req POST /v1/jobs "${J[@]}" -d '{"kind":"transcription","request":{"clip_id":"t","media_uri":"/etc/passwd"}}'
expect_problem 400 validation
check "a server path is refused: media:// only" grep -q 'media://' <<<"$(jget 'j["detail"]')"
req POST /v1/jobs "${J[@]}" -d '{"kind":"transcription","request":{"clip_id":"t","media_uri":"media://m","speed":2}}'
expect_problem 400 validation
req POST /v1/jobs "${J[@]}" -d '{"kind":"transcription","request":{"clip_id":"t","media_uri":"media://m_nope"}}'
check "unknown media is accepted (checked by the worker): 202" test "$STATUS" = 202
nope=$(jget 'j["id"]')
check "job on unknown media fails" wait_status "$nope" failed 30
req GET "/v1/jobs/$nope"
check "with the invalid-media problem" test "$(jget 'j["error"]["type"]')" = "https://clipforge.dev/problems/invalid-media"

echo "# speech to transcript and captions"
media=$(curl -sf -X POST -H 'Content-Type: audio/wav' --data-binary @"$WORK/speech/speech.wav" "$BASE/v1/media" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
req GET /openapi.json
check "openapi: transcription is a job kind this build runs" test "$(jget '"transcription" in j["paths"]["/v1/jobs"]["post"]["x-cf-job-kinds"]')" = True
job=$(submit_tx "media://$media")
check "transcription succeeds" wait_status "$job" succeeded 240
req GET "/v1/jobs/$job"
check "progress 1" test "$(jget 'j["progress"] == 1')" = True
check "result names the media as submitted" test "$(jget 'j["result"]["media_uri"]')" = "media://$media"
check "transcript from pocketsphinx" test "$(jget 'j["result"]["transcript"]["model"].split("/")[0]')" = pocketsphinx
check "word count matches the segments" test "$(jget 'j["result"]["words"] == sum(len(s["words"]) for s in j["result"]["transcript"]["segments"]) > 10')" = True
check "three artifacts" test "$(jget '" ".join(a["kind"] + ":" + a["mime"] for a in j["result"]["artifacts"])')" = \
  "transcript:application/json captions:application/x-subrip captions:text/vtt"
srt=$(jget '[a["url"] for a in j["result"]["artifacts"] if a["mime"] == "application/x-subrip"][0]')
vtt=$(jget '[a["url"] for a in j["result"]["artifacts"] if a["mime"] == "text/vtt"][0]')
tjs=$(jget '[a["url"] for a in j["result"]["artifacts"] if a["kind"] == "transcript"][0]')
cp "$WORK/body" "$WORK/job.json"
check "SRT is served through its signed URL" curl -sf -o "$WORK/c.srt" "$BASE$srt"
check "SRT has a timing line" grep -q '^00:00:0[0-9],[0-9]\{3\} --> 00:00:[0-9]\{2\},[0-9]\{3\}' "$WORK/c.srt"
known=$(tr 'A-Z' 'a-z' <"$WORK/c.srt" | grep -o -w -E 'meet|station|tomorrow|morning|weather|cold|windy|bring|warm|coat|ticket|think|train|nine' | sort -u | tr '\n' ' ')
check "SRT has spoken words (${known})" test "$(wc -w <<<"$known")" -ge 5
check "VTT is served" test "$(curl -sf "$BASE$vtt" | head -1 | tr -d '\r')" = WEBVTT
check "transcript.json equals the result's transcript" python3 -c '
import json, sys, urllib.request
job = json.load(open(sys.argv[1]))
t = json.load(urllib.request.urlopen(sys.argv[2]))
sys.exit(0 if t == job["result"]["transcript"] else 1)' "$WORK/job.json" "$BASE$tjs"
check "bytes are measured" test "$(jget 'all(a["bytes"] > 0 for a in j["result"]["artifacts"])')" = True
check "outputs stored under the attempt" test -s "$WORK/data/storage/objects/jobs/$job/1/captions.srt"

echo "# another audio stream is transcribed when asked for, and the one left out is named"
ffmpeg -loglevel error -y -f lavfi -i "sine=f=300:d=6,volume=0.01" -t 6 -i "$WORK/speech/speech.wav" \
  -map 0 -map 1 -c:a libopus -metadata:s:a:1 language=eng "$WORK/tracks.mka"
tracks=$(curl -sf -X POST -H 'Content-Type: audio/x-matroska' --data-binary @"$WORK/tracks.mka" "$BASE/v1/media" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
job=$(submit_tx "media://$tracks")
check "transcription of the default stream (a tone) succeeds" wait_status "$job" succeeded 120
req GET "/v1/jobs/$job"
check "it has no words ($(jget 'j["result"]["words"]'))" test "$(jget 'j["result"]["words"]')" = 0
check "its notes name audio stream 1, the speech, as left out ($(jget 'j["result"].get("notes")'))" \
  test "$(jget 'any("audio stream 1 (opus, eng)" in n and "carries audio stream 0" in n for n in j["result"]["notes"])')" = True
job=$(curl -sf -X POST "${J[@]}" "$BASE/v1/jobs" \
  -d "{\"kind\":\"transcription\",\"request\":{\"clip_id\":\"t\",\"media_uri\":\"media://$tracks\",\"audio_stream\":1}}" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
check "transcription of audio stream 1 succeeds" wait_status "$job" succeeded 240
req GET "/v1/jobs/$job"
check "it has words ($(jget 'j["result"]["words"]'))" test "$(jget 'j["result"]["words"] >= 3')" = True
check "its notes name audio stream 0 as left out ($(jget 'j["result"].get("notes")'))" \
  test "$(jget 'any("audio stream 0 (opus)" in n and "carries audio stream 1" in n for n in j["result"]["notes"])')" = True

echo "# the media's own subtitles, read instead of recognised (subtitles: true)"
printf '1\n00:00:01,000 --> 00:00:02,500\nMeet me at the <i>station</i>\n\n2\n00:00:03,000 --> 00:00:04,000\ntomorrow morning.\n' >"$WORK/subs.srt"
ffmpeg -loglevel error -y -i "$WORK/tracks.mka" -i "$WORK/subs.srt" -map 0 -map 1 -c:a copy -c:s srt \
  -metadata:s:s:0 language=eng "$WORK/subs.mkv"
subs=$(curl -sf -X POST -H 'Content-Type: video/x-matroska' --data-binary @"$WORK/subs.mkv" "$BASE/v1/media" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
job=$(curl -sf -X POST "${J[@]}" "$BASE/v1/jobs" \
  -d "{\"kind\":\"transcription\",\"request\":{\"clip_id\":\"t\",\"media_uri\":\"media://$subs\",\"subtitles\":true}}" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
check "the subtitles' transcription succeeds" wait_status "$job" succeeded 60
req GET "/v1/jobs/$job"
check "its words are the subtitles' ($(jget '" ".join(w["word"] for s in j["result"]["transcript"]["segments"] for w in s["words"])'))" \
  test "$(jget '" ".join(w["word"].lower().strip(".") for s in j["result"]["transcript"]["segments"] for w in s["words"])')" = \
  "meet me at the station tomorrow morning"
check "model subtitles, the words in their cues' times" \
  test "$(jget 'j["result"]["transcript"]["model"] == "subtitles" and 950 <= j["result"]["transcript"]["segments"][0]["start_ms"] <= 1050')" = True
check "its notes name the stream ($(jget 'j["result"].get("notes")'))" \
  test "$(jget 'any("subtitle stream 2 (subrip, eng)" in n for n in j["result"]["notes"])')" = True
job=$(curl -sf -X POST "${J[@]}" "$BASE/v1/jobs" \
  -d "{\"kind\":\"transcription\",\"request\":{\"clip_id\":\"t\",\"media_uri\":\"media://$tracks\",\"subtitles\":true}}" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
check "subtitles asked of a media without them: the job fails" wait_status "$job" failed 60
req GET "/v1/jobs/$job"
check "as a validation problem that says so ($(jget 'j["error"]["detail"]'))" \
  test "$(jget 'j["error"]["type"].endswith("/validation") and "no text subtitles" in j["error"]["detail"] and "media://" in j["error"]["detail"]')" = True
check "after one attempt ($(jget 'j.get("attempts")'))" test "$(jget 'j.get("attempts")')" = 1

echo "# a transcript the client brings: POST /v1/transcripts"
req POST /v1/transcripts -H 'Content-Type: application/x-subrip' --data-binary @"$WORK/subs.srt"
check "an SRT is kept as Transcript JSON: 201 ($STATUS $(cat "$WORK/body"))" \
  test "$STATUS $(jget 'j["model"], j["segments"], j["words"], j["duration_ms"]')" = "201 ('captions/imported', 2, 7, 4000)"
tr_url=$(jget 'j["url"]') tr_uri=$(jget 'j["uri"]')
check "its signed URL gives the Transcript JSON" bash -c 'curl -sf "$1" | python3 -c "import json, sys; t = json.load(sys.stdin); sys.exit(0 if t[\"segments\"][0][\"words\"][0][\"word\"] == \"Meet\" else 1)"' _ "$BASE$tr_url"
check "it is stored under the tenant's transcripts" test -s "$WORK/data/storage/objects/${tr_uri#storage://}"
printf '{"language":"en-us","model":"mine","duration_ms":2000,"segments":[{"start_ms":0,"end_ms":900,"text":"hi there","words":[{"word":"hi","start_ms":0,"end_ms":400,"confidence":0.9},{"word":"there","start_ms":400,"end_ms":900,"confidence":0.8}]}]}' >"$WORK/mine.json"
req POST /v1/transcripts -H 'Content-Type: application/json' --data-binary @"$WORK/mine.json"
check "Transcript JSON is taken as it is ($STATUS)" test "$STATUS $(jget 'j["model"], j["words"]')" = "201 ('mine', 2)"
mine_id=$(jget 'j["id"]')
printf '1\n00:00:01,000 --> 00:00:0\xff,500\nbad \xfe line\n' >"$WORK/bad.srt"
req POST /v1/transcripts -H 'Content-Type: application/x-subrip' --data-binary @"$WORK/bad.srt"
expect_problem 400 validation
check "a malformed SRT is refused naming its line, not the server's temp file ($(jget 'j["detail"]'))" \
  test "$(jget 'j["detail"].startswith("the upload: line 2") and "/tmp" not in j["detail"]')" = True
head -c 4096 /dev/urandom >"$WORK/noise.bin"
req POST /v1/transcripts -H 'Content-Type: application/octet-stream' --data-binary @"$WORK/noise.bin"
expect_problem 400 validation
req POST /v1/transcripts -H 'Content-Type: text/plain' --data-binary ''
expect_problem 400 validation
head -c $((16 * 1024 * 1024 + 1)) /dev/zero >"$WORK/huge.srt"
req POST /v1/transcripts -H 'Content-Type: application/x-subrip' --data-binary @"$WORK/huge.srt"
expect_problem 413 payload-too-large
req POST /v1/transcripts -F "f=@$WORK/subs.srt"
expect_problem 415 unsupported-media-type
check "no temp dir of an upload is left ($(ls "$TMPDIR" | tr '\n' ' '))" test -z "$(ls "$TMPDIR" | grep cf-transcript-)"
job=$(curl -sf -X POST "${J[@]}" "$BASE/v1/jobs" \
  -d "{\"kind\":\"highlight_detection\",\"request\":{\"clip_id\":\"t\",\"media_uri\":\"media://$subs\",\"transcript_uri\":\"$tr_uri\"}}" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
check "highlight detection takes the uploaded transcript" wait_status "$job" succeeded 60
req POST /v1/transcripts -H 'Content-Type: application/x-subrip' --data-binary @"$WORK/subs.srt"
gone=$(jget 'j["id"]') gone_key=$(jget 'j["uri"][len("storage://"):]')
req GET "/v1/transcripts/$gone"
check "GET gives the uploaded transcript back as Transcript JSON ($STATUS)" \
  test "$STATUS $(jget 'j["model"], len(j["segments"]), j["segments"][0]["words"][0]["word"]')" = "200 ('captions/imported', 2, 'Meet')"
req DELETE "/v1/transcripts/$gone"
check "DELETE removes it: 204 ($STATUS), its file gone" \
  test "$STATUS $(test -e "$WORK/data/storage/objects/$gone_key" && echo kept || echo gone)" = "204 gone"
req GET "/v1/transcripts/$gone"
expect_problem 404 not-found
req DELETE "/v1/transcripts/$gone"
expect_problem 404 not-found
for bad in tr_ZZ "tr_..%2F..%2Fmedia" "m_${gone#tr_}" "tr_$(printf '%070d' 0)"; do
  req GET "/v1/transcripts/$bad"
  check "GET /v1/transcripts/$bad: 404 ($STATUS)" test "$STATUS" = 404
done
check "another upload stays (${tr_uri#storage://})" test -s "$WORK/data/storage/objects/${tr_uri#storage://}"
mkdir -p "$WORK/data/storage/objects/transcripts/tr_abc"
echo '{}' >"$WORK/data/storage/objects/transcripts/tr_abc/x.json"
echo '{}' >"$WORK/data/storage/objects/transcripts/notes.json"
req GET /v1/transcripts
check "GET /v1/transcripts lists the two uploads kept, newest first, not the deleted one nor other files ($STATUS)" \
  test "$STATUS $(jget '[sorted(i["id"] for i in j["items"]) == sorted(["'"${tr_uri#storage://transcripts/}"'"[:-5], "'"$mine_id"'"]), j["truncated"], [i["created_at"] for i in j["items"]] == sorted((i["created_at"] for i in j["items"]), reverse=True), all(i["uri"] == "storage://transcripts/%s.json" % i["id"] and i["bytes"] > 0 and i["created_at"][:2] == "20" for i in j["items"])]')" = "200 [true, false, true, true]"
req GET /openapi.json
check "openapi: POST /v1/transcripts answers a TranscriptUpload" \
  test "$(jget 'j["paths"]["/v1/transcripts"]["post"]["responses"]["201"]["content"]["application/json"]["schema"]["$ref"]')" = "#/components/schemas/TranscriptUpload"
check "openapi: GET /v1/transcripts/{transcript_id} answers a Transcript, DELETE 204" \
  test "$(jget '[(p["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"], "204" in p["delete"]["responses"]) for p in [j["paths"]["/v1/transcripts/{transcript_id}"]]][0]')" = "('#/components/schemas/Transcript', True)"

echo "# cancel a running transcription"
ffmpeg -loglevel error -stream_loop 15 -i "$WORK/speech/speech.wav" -c copy -y "$WORK/long.wav"
long=$(curl -sf -X POST -H 'Content-Type: audio/wav' --data-binary @"$WORK/long.wav" "$BASE/v1/media" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
job=$(submit_tx "media://$long")
check "long job runs" wait_status "$job" running 30
for _ in $(seq 1 300); do
  [ "$(curl -s "$BASE/v1/jobs/$job" | python3 -c 'import json,sys; print(json.load(sys.stdin)["progress"] > 0)')" = True ] && break
  sleep 0.1
done
ms=$(cancel_ms "$job" 120)
# Recognition looks at the cancel flag every quarter second of audio searched, inside a chunk
# too, so the job ends cancelled within a few seconds even under ASan on a loaded machine, with
# most of the audio never recognised (a cancel the pipeline ignored would end near progress 1).
echo "# cancelled after $ms ms"
req GET "/v1/jobs/$job"
check "cancelled ($ms ms)" test "$(jget 'j["status"]')" = cancelled
check "cancelled within 5 s ($ms ms)" test "$ms" -lt 5000
check "error is the cancelled problem" test "$(jget 'j.get("error", {}).get("type")')" = "https://clipforge.dev/problems/cancelled"
check "stopped early (progress $(jget 'j["progress"]'))" test "$(jget 'j["progress"] < 0.9')" = True
check "no outputs stored for it" test ! -e "$WORK/data/storage/objects/jobs/$job"

stop_server
finish
