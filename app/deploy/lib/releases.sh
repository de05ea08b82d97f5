# shellcheck shell=bash
# Sourced by deploy.sh. The release history (newest last) that rollback reads.

# Newest last; the line format is "<UTC time> <image>".
record_release() {
  CURRENT_STEP=record_release
  if $DRY_RUN; then
    printf '+ append %q to %q (keeping the last %s)\n' "$IMAGE" "$RELEASES_FILE" "$RELEASES_KEPT"
    return
  fi
  local tmp="$RELEASES_FILE.tmp.$$"
  {
    [ -f "$RELEASES_FILE" ] && cat "$RELEASES_FILE"
    printf '%s %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$IMAGE"
  } | tail -n "$RELEASES_KEPT" >"$tmp"
  mv "$tmp" "$RELEASES_FILE"
  progress "record_release: $IMAGE recorded in $RELEASES_FILE"
}

current_release() {
  [ -f "$RELEASES_FILE" ] || return 0
  tail -n 1 "$RELEASES_FILE" | awk '{print $2}'
}

# The most recent recorded image that differs from the current one.
previous_release() {
  [ -f "$RELEASES_FILE" ] || return 0
  local current
  current="$(current_release)"
  awk -v current="$current" '$2 != current { previous = $2 } END { if (previous != "") print previous }' "$RELEASES_FILE"
}
