#!/usr/bin/env bash
# Builds Pebble (Let's Encrypt's ACME test server) from Go modules into ${CICD_CACHE:-~/.cache}/cicd-pebble, outside
# the repository, for the TLS tests (tests/tls). Idempotent: a built binary of the pinned version is kept.
# Usage: bash scripts/pebble-build.sh [--print-bin]
set -euo pipefail

readonly PEBBLE_VERSION=v2.10.3
readonly CACHE="${CICD_CACHE:-$HOME/.cache}/cicd-pebble"
readonly BIN="$CACHE/$PEBBLE_VERSION/pebble"

say() { printf '==> %s\n' "$*" >&2; }
fail() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

# go prints nothing for minutes while it downloads and compiles; CI wants a sign of life every few seconds.
with_progress() {
  local started=$SECONDS pid
  "$@" &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    sleep 5
    kill -0 "$pid" 2>/dev/null && say "still building Pebble $PEBBLE_VERSION ($((SECONDS - started)) s)"
  done
  wait "$pid"
}

build_pebble() {
  command -v go >/dev/null || fail "go is not on PATH (Pebble builds from Go modules)"
  mkdir -p "$CACHE/$PEBBLE_VERSION" "$CACHE/gocache" "$CACHE/gomod"
  say "building Pebble $PEBBLE_VERSION from Go modules into $CACHE"
  GOBIN="$CACHE/$PEBBLE_VERSION" GOCACHE="$CACHE/gocache" GOMODCACHE="$CACHE/gomod" GOFLAGS=-mod=mod CGO_ENABLED=0 \
    with_progress go install "github.com/letsencrypt/pebble/v2/cmd/pebble@$PEBBLE_VERSION" \
    || fail "go install of Pebble $PEBBLE_VERSION failed"
  [ -x "$BIN" ] || fail "go install finished but $BIN is missing"
}

main() {
  if [ -x "$BIN" ]; then
    say "Pebble $PEBBLE_VERSION already built: $BIN"
  else
    build_pebble
  fi
  [ "${1:-}" = "--print-bin" ] && printf '%s\n' "$BIN"
  return 0
}

main "$@"
