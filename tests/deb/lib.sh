# lib.sh — runs an installed clipforge the way a user would: from an empty directory, with a
# fresh HOME, no CLIPFORGE_* settings, and (where mount namespaces are allowed) the source and
# build trees hidden behind empty directories, so a path into them cannot be followed.
# Usage: source lib.sh; hide_trees SRC BUILD; run_isolated CMD...

HIDDEN=()
hide_trees() { HIDDEN=("$@"); }

# run_isolated CMD... — in $RUN_DIR (must exist), HOME=$RUN_DIR/home.
run_isolated() {
  mkdir -p "$RUN_DIR/home"
  local envs=(env -i PATH=/usr/bin:/bin HOME="$RUN_DIR/home" TMPDIR="$RUN_DIR"
    ASAN_OPTIONS="${ASAN_OPTIONS:-}" UBSAN_OPTIONS="${UBSAN_OPTIONS:-}" LSAN_OPTIONS="${LSAN_OPTIONS:-}")
  local mounts="" d
  # Deepest first: a build tree inside the source tree must be hidden before its parent.
  while read -r d; do [ -n "$d" ] && mounts+="mount -t tmpfs -o ro none '$d' && "
  done < <(printf '%s\n' "${HIDDEN[@]}" | awk '{print length, $0}' | sort -rn | cut -d' ' -f2-)
  if [ ${#HIDDEN[@]} -gt 0 ] && unshare -m true 2>/dev/null; then
    (cd "$RUN_DIR" && unshare -m sh -c "${mounts}exec \"\$@\"" sh "${envs[@]}" "$@")
  else
    (cd "$RUN_DIR" && "${envs[@]}" "$@")
  fi
}

# no_source_paths BINARY SRC — the binary names none of the source tree's data directories.
no_source_paths() {
  local hits
  hits=$(strings "$1" | grep -F -e "$2/packages/pipelines/rendering/templates" \
    -e "$2/packages/pipelines/highlight_detection/profiles" -e "$2/apps/ai/models" \
    -e "$2/apps/frontend/dist" || true)
  [ -z "$hits" ] || { echo "binary names source paths: $hits" >&2; return 1; }
}
