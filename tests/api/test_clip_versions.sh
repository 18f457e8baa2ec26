#!/usr/bin/env bash
# What the clip editor uses: POST /v1/timelines compiles a template over a span into the
# timeline the renderer would render; a render with an inline transcript burns those words in
# (the edit of a caption); POST /v1/jobs/{id}/versions renders a new version of a clip, kept
# beside the first (versions of a version belong to the first), listed by GET .../versions;
# an edit is stored as a label of source clip_edit with its caption fixes.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

start_server "$WORK/data" --workers 1
make_media "$WORK/src.mp4" 4
media=$(upload "$WORK/src.mp4")
J=(-H 'Content-Type: application/json')
words='[{"word":"hello","start_ms":600,"end_ms":1000,"confidence":0.9},{"word":"wrold","start_ms":1100,"end_ms":1500,"confidence":0.4}]'
transcript="{\"language\":\"en-us\",\"model\":\"edit\",\"duration_ms\":4000,\"segments\":[{\"start_ms\":600,\"end_ms\":1500,\"text\":\"hello wrold\",\"words\":$words}]}"
base="\"template_id\":\"shorts-blur\",\"source_uri\":\"media://$media\",\"start_ms\":500,\"width\":180,\"height\":320"

echo "# the timeline of a template over a span"
req POST /v1/timelines "${J[@]}" -d "{\"clip_id\":\"t\",$base,\"end_ms\":2500,\"title\":\"Hi\",\"transcript\":$transcript}"
check "timelines: 200 ($STATUS)" test "$STATUS" = 200
check "timelines: canvas, the span as a blur_fill scene" \
  test "$(jget 'j["canvas"]["width"], j["canvas"]["height"], j["scenes"][0]["layout"], j["scenes"][0]["in_ms"], j["scenes"][0]["out_ms"], j["scenes"][0]["source_uri"]')" = "(180, 320, 'blur_fill', 500, 2500, 'media://$media')"
check "timelines: the title overlay with the template's style scaled to the canvas" \
  test "$(jget '[[o["text"], o["style"]["font_size"]] for o in j["overlays"] if o["kind"] == "text"]')" = '[["Hi", 12]]'
check "timelines: captions styled by the template, shifted by the span" \
  test "$(jget 'j["captions"]["position"], j["captions"]["words_per_line"], j["captions"]["offset_ms"]')" = "('lower_third', 3, 500)"
req POST /v1/timelines "${J[@]}" -d "{\"clip_id\":\"t\",\"template_id\":\"shorts-blur\",\"source_uri\":\"media://$media\"}"
expect_problem 400 validation
req POST /v1/timelines "${J[@]}" -d "{\"clip_id\":\"t\",\"template_id\":\"nope\",\"source_uri\":\"media://$media\",\"end_ms\":1000}"
expect_problem 400 validation

echo "# a clip and its versions"
req POST /v1/jobs "${J[@]}" -d "{\"kind\":\"render\",\"request\":{\"clip_id\":\"c1\",$base,\"end_ms\":2500,\"title\":\"First\"}}"
first=$(jget 'j["id"]')
wait_status "$first" succeeded 180
req POST "/v1/jobs/$first/versions" "${J[@]}" -H 'Idempotency-Key: edit-1' \
  -d "{\"clip_id\":\"c1\",$base,\"end_ms\":3000,\"title\":\"Second\",\"transcript\":$transcript}"
check "versions: 202 ($STATUS)" test "$STATUS" = 202
v2=$(jget 'j["id"]')
check "the version is a render job under the first" test "$(jget 'j["kind"], j["parent_id"]')" = "('render', '$first')"
req POST "/v1/jobs/$first/versions" "${J[@]}" -H 'Idempotency-Key: edit-1' \
  -d "{\"clip_id\":\"c1\",$base,\"end_ms\":3000,\"title\":\"Second\",\"transcript\":$transcript}"
check "the same edit sent again is the same version (200, $STATUS)" test "$STATUS $(jget 'j["id"]')" = "200 $v2"
wait_status "$v2" succeeded 180
req GET "/v1/jobs/$v2"
srt=$(jget '[a for a in j["result"]["outputs"] if a["uri"].endswith(".srt")][0]["url"]')
curl -sf -o "$WORK/v2.srt" "$BASE$srt"
check "the version's captions are the inline words ($(tr '\n' ' ' <"$WORK/v2.srt"))" grep -q "wrold" "$WORK/v2.srt"
check "the version lasts its new span (2.5 s)" test "$(jget 'j["result"]["duration_ms"]')" = 2500
req POST "/v1/jobs/$v2/versions" "${J[@]}" -d "{\"clip_id\":\"c1\",$base,\"end_ms\":2500,\"title\":\"Third\"}"
v3=$(jget 'j["id"]')
check "a version of a version belongs to the first" test "$(jget 'j["parent_id"]')" = "$first"
req GET "/v1/jobs/$v3/versions"
check "versions: every render of the clip, the first first" test "$(jget '" ".join(x["id"] for x in j["items"])')" = "$first $v2 $v3"
check "versions: the titles as rendered" test "$(jget '" ".join(x["request"]["title"] for x in j["items"])')" = "First Second Third"
check "the first version is kept (its output still there)" test -s "$WORK/data/storage/objects/jobs/$first/1/render.mp4"
req POST "/v1/jobs/$v3/versions" "${J[@]}" -d "{\"clip_id\":\"c1\",\"template_id\":\"shorts-blur\"}"
expect_problem 400 validation
req POST "/v1/jobs/j_nosuch/versions" "${J[@]}" -d "{\"clip_id\":\"c1\",$base,\"end_ms\":2500}"
expect_problem 404 not-found
hl=$(curl -s -X POST "${J[@]}" "$BASE/v1/jobs" -d "{\"kind\":\"clip_processing\",\"request\":{\"clip_id\":\"x\",\"source_uri\":\"media://$media\",\"operations\":[{\"op\":\"trim\",\"start_ms\":0,\"end_ms\":500}]}}" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
req POST "/v1/jobs/$hl/versions" "${J[@]}" -d "{\"clip_id\":\"c1\",$base,\"end_ms\":2500}"
expect_problem 400 validation
check "versions of a job that is not a render: the problem says so" test "$(jget '"versions are of renders" in j["detail"]')" = True

echo "# the edit as a label"
req POST /v1/labels "${J[@]}" -d "{\"media_id\":\"$media\",\"source\":\"clip_edit\",\"clip_job_id\":\"$first\",\"start_ms\":500,\"end_ms\":3000,
  \"detected_start_ms\":500,\"detected_end_ms\":2500,\"verdict\":\"accept\",\"title\":\"Second\",\"detected_title\":\"First\",
  \"caption_fixes\":[{\"start_ms\":1100,\"end_ms\":1500,\"heard\":\"wrold\",\"said\":\"world\"}]}"
check "label: 201 ($STATUS)" test "$STATUS" = 201
req GET "/v1/labels?media_id=$media"
check "label: stored with its source, titles and caption fixes" \
  test "$(jget '(j["items"][0]["source"], j["items"][0]["clip_job_id"], j["items"][0]["title"], j["items"][0]["detected_title"], j["items"][0]["caption_fixes"][0]["said"])')" = "('clip_edit', '$first', 'Second', 'First', 'world')"
req POST /v1/labels "${J[@]}" -d "{\"media_id\":\"$media\",\"start_ms\":0,\"end_ms\":1000,\"verdict\":\"accept\"}"
check "a label without a source is a review label" test "$(jget 'j["source"]')" = review
stop_server
finish
