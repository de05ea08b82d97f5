#!/usr/bin/env bash
# Builds Trivy v0.74.0 from Go modules into ${CICD_CACHE:-~/.cache}/cicd-trivy, outside the repository, for the
# offline scan tests (tests/pipeline/trivy-offline.test.ts): its secret scanner, its Dockerfile checks and
# `trivy convert` with the GitLab template its module ships. Idempotent: kept once built.
# Measured here: cold 2.5 min of module downloads, then 683 s user + 87 s system CPU (3.2 GB peak memory,
# 5.2 GB of caches); warm 0.01 s.
# Usage: bash scripts/trivy-build.sh [--print-dir]   (--print-dir: print the folder holding bin/trivy)
set -euo pipefail

readonly TRIVY_VERSION=v0.74.0
readonly CACHE="${CICD_CACHE:-$HOME/.cache}/cicd-trivy"
readonly BIN="$CACHE/bin/trivy"
readonly GITLAB_TEMPLATE="$CACHE/gomod/github.com/aquasecurity/trivy@$TRIVY_VERSION/contrib/gitlab.tpl"
# shellcheck source=lib/go-tool.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib/go-tool.sh"

build_trivy() {
  local go
  go="$(find_go)"
  mkdir -p "$CACHE/bin" "$CACHE/gocache" "$CACHE/gomod"
  say "building Trivy $TRIVY_VERSION from Go modules into $CACHE"
  # Trivy 0.74 imports encoding/json/v2, which Go 1.25 and 1.26 ship behind this experiment.
  GOBIN="$CACHE/bin" GOCACHE="$CACHE/gocache" GOMODCACHE="$CACHE/gomod" GOFLAGS=-mod=mod CGO_ENABLED=0 GOEXPERIMENT=jsonv2 \
    progress_run "building Trivy $TRIVY_VERSION (about 15 minutes of CPU the first time)" go-packages \
      "$go" install -v "github.com/aquasecurity/trivy/cmd/trivy@$TRIVY_VERSION" \
    || fail "go install of Trivy $TRIVY_VERSION failed"
  [ -x "$BIN" ] || fail "go install finished but $BIN is missing"
}

main() {
  case "${1:-}" in ""|--print-dir) ;; *) fail "unknown argument '$1' (usage: bash scripts/trivy-build.sh [--print-dir])" ;; esac
  if [ -x "$BIN" ] && [ -f "$GITLAB_TEMPLATE" ]; then
    say "Trivy $TRIVY_VERSION already built: $BIN"
  else
    build_trivy
    [ -f "$GITLAB_TEMPLATE" ] || fail "Trivy's GitLab template is missing from the module cache ($GITLAB_TEMPLATE)"
    say "built Trivy $TRIVY_VERSION: $BIN"
  fi
  [ "${1:-}" = "--print-dir" ] && printf '%s\n' "$CACHE"
  return 0
}

main "$@"
