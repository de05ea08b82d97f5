#!/usr/bin/env bash
# Builds Trivy v0.74.0 from Go modules into ~/.cache/cicd-trivy (outside the repository), for the offline scan
# tests (tests/pipeline/trivy-offline.test.ts). Not part of .ci/run: a cold build took 2.5 min of downloads and
# 683 s user + 87 s system CPU (3.2 GB peak memory, 5.2 GB of caches) on this shared 2-core machine.
# Usage: bash .ci/trivy-build.sh
set -euo pipefail

readonly TRIVY_VERSION=v0.74.0
readonly CACHE="${HOME}/.cache/cicd-trivy"

fail() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

build_trivy() {
  command -v go >/dev/null || fail "go is not on PATH (Trivy builds from Go modules)"
  mkdir -p "$CACHE/bin" "$CACHE/gocache" "$CACHE/gomod"
  # Trivy 0.74 imports encoding/json/v2, which Go 1.25/1.26 ship behind this experiment.
  GOBIN="$CACHE/bin" GOCACHE="$CACHE/gocache" GOMODCACHE="$CACHE/gomod" GOFLAGS=-mod=mod CGO_ENABLED=0 \
    GOEXPERIMENT=jsonv2 go install "github.com/aquasecurity/trivy/cmd/trivy@$TRIVY_VERSION" \
    || fail "go install of Trivy $TRIVY_VERSION failed"
  printf '==> %s\n' "$CACHE/bin/trivy"
}

build_trivy "$@"
