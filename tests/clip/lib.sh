# lib.sh — helpers of the clip integration tests. Usage from a test: source lib.sh CLIPFORGE WORKDIR
CF=${1:?clipforge binary}
WORK=${2:?work dir}
rm -rf "$WORK"
mkdir -p "$WORK/tmp"
export TMPDIR="$WORK/tmp" # every temp file of the pipeline lands here, so leftovers are visible
cd "$WORK"

fail() { echo "FAIL: $*" >&2; exit 1; }
check() { echo "check: $*"; }

# gen NAME ARGS...: ffmpeg writes NAME from lavfi sources.
gen() { local out=$1; shift; ffmpeg -nostdin -hide_banner -loglevel error -y "$@" "$out"; }

# sval FILE STREAM ENTRY: one stream entry from ffprobe ("v:0", "width").
sval() { ffprobe -v error -select_streams "$2" -show_entries "stream=$3" -of default=nw=1:nk=1 "$1" | head -1; }
fval() { ffprobe -v error -show_entries "format=$2" -of default=nw=1:nk=1 "$1" | head -1; }
# approx A B TOL: |A - B| <= TOL
approx() { awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(a ~ /^-?[0-9.]+$/ && d <= t) }'; }
# integrated loudness (LUFS) by ffmpeg's ebur128 filter
lufs() { ffmpeg -nostdin -nostats -hide_banner -i "$1" -map 0:a:0 -af ebur128 -f null - 2>&1 |
  awk '/Summary:/{s=1} s && $1=="I:"{print $2; exit}'; }
frames() { ffprobe -v error -count_frames -select_streams "$2" -show_entries stream=nb_read_frames -of default=nw=1:nk=1 "$1"; }
# timeline FILE: FILE's sound as 48 kHz mono s16 on the file's own timeline: each decoded sample
# placed by its timestamp (-copyts), whatever the stream's start, pre-skip or codec delay, sample
# i at i / 48000 s. pips FILE: the times (s) where a loud 1 kHz pip begins in it.
timeline() {
  ffmpeg -nostdin -v error -copyts -i "$1" -map 0:a:0 -af aresample=async=1:first_pts=0 -ac 1 -ar 48000 \
    -f s16le -
}
pips() {
  timeline "$1" | python3 -c "
import array, sys
x = array.array('h', sys.stdin.buffer.read())
at, last = [], -48000
for i, v in enumerate(x):
    if abs(v) > 6000 and i - last > 24000: at.append(i)
    if abs(v) > 6000: last = i
print(' '.join('%.4f' % (i / 48000) for i in at))"
}
# same_pips SRC FROM TO CLIP TOL: the pip times CLIP (of a clip of FROM-TO s) are SRC's in that
# span, moved to the clip's start, each within TOL s
same_pips() {
  python3 - "$@" <<'PY'
import sys
src, a, b, got, tol = sys.argv[1].split(), float(sys.argv[2]), float(sys.argv[3]), sys.argv[4].split(), float(sys.argv[5])
want = [float(t) - a for t in src if a <= float(t) < b - 0.05]
got = [float(t) for t in got]
if len(got) != len(want) or any(abs(x - y) > tol for x, y in zip(got, want)):
    sys.exit("  pips at %s, wanted %s (within %g s)" % (got, [round(w, 4) for w in want], tol))
PY
}
# first_pts FILE STREAM: the earliest timestamp (s) of the first packets of STREAM ("v:0")
first_pts() {
  # awk reads to the end: ffprobe is not cut off mid-write (a SIGPIPE under pipefail)
  ffprobe -v error -select_streams "$2" -show_entries packet=pts_time -of csv=p=0 "$1" |
    awk 'NR <= 8 && (m == "" || $1 + 0 < m + 0) { m = $1 } END { print m }'
}
# colour FILE X Y: the RGB of the first picture's pixel at X,Y
colour() { ffmpeg -nostdin -v error -i "$1" -vf "format=rgb24,crop=1:1:$2:$3" -frames:v 1 -f rawvideo -pix_fmt rgb24 - | od -An -tu1 | tr -s ' '; }
# is_colour "R G B" red|green: whether the colour is clearly that one
is_colour() {
  case $2 in red) python3 -c "import sys; r,g,b=map(int,'$1'.split()); sys.exit(0 if r>200 and g<60 else 1)";;
    green) python3 -c "import sys; r,g,b=map(int,'$1'.split()); sys.exit(0 if g>100 and r<60 else 1)";; esac
}
# pitch FILE AT: the frequency (Hz, to 10) of the tone in the second of FILE's sound from AT s,
# by its zero crossings
pitch() { ffmpeg -nostdin -v error -ss "$2" -t 1 -i "$1" -ac 1 -ar 48000 -f s16le - | python3 -c "
import sys, array
x = array.array('h', sys.stdin.buffer.read())
n = sum(1 for a, b in zip(x, x[1:]) if (a < 0) != (b < 0))
print(round(n / 2 * 48000 / len(x), -1))"; }
json_get() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); exec("print(d"+sys.argv[2]+")")' "$1" "$2"; }

no_sanitizer_report() {
  if grep -qE "AddressSanitizer|LeakSanitizer|runtime error:" "$1"; then cat "$1" >&2; fail "sanitizer report"; fi
}

# ok ARGS...: clipforge must succeed; stdout in out.txt, stderr in err.txt.
ok() {
  local rc=0
  "$CF" "$@" >out.txt 2>err.txt || rc=$?
  no_sanitizer_report err.txt
  [ $rc -eq 0 ] || { cat err.txt >&2; fail "clipforge $* exited $rc"; }
}

# bad CODE OUTPUT ARGS...: clipforge must exit CODE with one clear line and leave no OUTPUT.
bad() {
  local want=$1 output=$2 rc=0
  shift 2
  "$CF" "$@" >out.txt 2>err.txt || rc=$?
  no_sanitizer_report err.txt
  [ $rc -eq "$want" ] || { cat err.txt >&2; fail "clipforge $* exited $rc, expected $want"; }
  grep -q "error" err.txt || grep -q "clipforge" err.txt || fail "no error message for: $*"
  [ "$(grep -vc '^Try ' err.txt)" -eq 1 ] || { cat err.txt >&2; fail "error is not one line: $*"; }
  [ -z "$output" ] || [ ! -e "$output" ] || fail "$output left behind after: $*"
  echo "  -> $(head -1 err.txt)"
}

no_temp_left() { [ -z "$(ls -A "$TMPDIR")" ] || { ls -la "$TMPDIR"; fail "temp files left in $TMPDIR"; }; }
