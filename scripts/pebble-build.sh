#!/usr/bin/env bash
# Builds Pebble (Let's Encrypt's ACME test server) from Go modules into ${CICD_CACHE:-~/.cache}/cicd-pebble, outside
# the repository, for the TLS tests (tests/deploy/tls.test.ts), with the test certificate Pebble's module ships for
# its own HTTPS listener (names localhost and pebble) and the root that signed it. Idempotent: kept once built.
# Measured here: cold 71 s to 3m16s wall as the machine was busier (36 s of CPU, 150 MB of caches); warm 0.01 s.
# Usage: bash scripts/pebble-build.sh [--print-dir]   (--print-dir: print the folder holding pebble and certs/)
set -euo pipefail

readonly PEBBLE_VERSION=v2.10.3
readonly CACHE="${CICD_CACHE:-$HOME/.cache}/cicd-pebble"
readonly DIR="$CACHE/$PEBBLE_VERSION"
readonly BIN="$DIR/pebble"
readonly CERTS="$DIR/certs"
# shellcheck source=lib/go-tool.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib/go-tool.sh"

build_pebble() {
  local go
  go="$(find_go)"
  mkdir -p "$CACHE/$PEBBLE_VERSION" "$CACHE/gocache" "$CACHE/gomod"
  say "building Pebble $PEBBLE_VERSION from Go modules into $CACHE"
  GOBIN="$CACHE/$PEBBLE_VERSION" GOCACHE="$CACHE/gocache" GOMODCACHE="$CACHE/gomod" GOFLAGS=-mod=mod CGO_ENABLED=0 \
    progress_run "building Pebble $PEBBLE_VERSION (1 to 3 minutes the first time)" go-packages \
      "$go" install -v "github.com/letsencrypt/pebble/v2/cmd/pebble@$PEBBLE_VERSION" \
    || fail "go install of Pebble $PEBBLE_VERSION failed"
  [ -x "$BIN" ] || fail "go install finished but $BIN is missing"
}

# Pebble only serves HTTPS; its module's test certificate is what its own docs tell clients to trust (minica root).
copy_test_certificates() {
  local module="$CACHE/gomod/github.com/letsencrypt/pebble/v2@$PEBBLE_VERSION/test/certs"
  [ -f "$module/pebble.minica.pem" ] || fail "Pebble's test certificates are missing from the module cache ($module)"
  mkdir -p "$CERTS"
  cp "$module/pebble.minica.pem" "$module/localhost/cert.pem" "$module/localhost/key.pem" "$CERTS/"
  chmod 0644 "$CERTS"/*.pem
}

main() {
  case "${1:-}" in ""|--print-dir) ;; *) fail "unknown argument '$1' (usage: bash scripts/pebble-build.sh [--print-dir])" ;; esac
  if [ -x "$BIN" ] && [ -f "$CERTS/pebble.minica.pem" ]; then
    say "Pebble $PEBBLE_VERSION already built: $BIN"
  else
    [ -x "$BIN" ] || build_pebble
    copy_test_certificates
    say "built Pebble $PEBBLE_VERSION: $BIN"
  fi
  [ "${1:-}" = "--print-dir" ] && printf '%s\n' "$DIR"
  return 0
}

main "$@"
