# shellcheck shell=bash
# Sourced by deploy.sh. The host lock: one deploy at a time per state folder.

acquire_lock() {
  CURRENT_STEP=acquire_lock
  if $DRY_RUN; then
    run mkdir "$LOCK_DIR"
    return
  fi
  mkdir -p "$STATE_DIR"
  local waited=0 announced=false
  # mkdir is atomic: exactly one deploy creates the directory, the others wait for it to disappear.
  until mkdir "$LOCK_DIR" 2>/dev/null; do
    if [ "$waited" -ge "$LOCK_TIMEOUT" ]; then
      fail "another deploy holds the lock $LOCK_DIR ($(lock_holder)); gave up after ${LOCK_TIMEOUT}s. If none is running, remove that directory"
    fi
    if ! $announced; then
      progress "acquire_lock: waiting for another deploy ($(lock_holder)), up to ${LOCK_TIMEOUT}s"
      announced=true
    fi
    sleep 1
    waited=$((waited + 1))
  done
  LOCK_HELD=true
  printf 'pid=%s action=%s image=%s started=%s host=%s\n' "$$" "$ACTION" "${IMAGE:-none}" \
    "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$(hostname)" >"$LOCK_DIR/details"
  progress "acquire_lock: holding $LOCK_DIR"
}

lock_holder() {
  cat "$LOCK_DIR/details" 2>/dev/null || printf 'details not written yet'
}

release_lock() {
  if $LOCK_HELD; then
    rm -rf "$LOCK_DIR"
    LOCK_HELD=false
  fi
}
