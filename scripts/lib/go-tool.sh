# shellcheck shell=bash
# What the scripts that build a test tool from Go modules (pebble-build.sh, trivy-build.sh) share: their messages,
# the progress lines, and which Go they use. Sourced, never run.
GO_TOOL_LIB_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly GO_TOOL_LIB_DIR
# shellcheck source=progress.sh
source "$GO_TOOL_LIB_DIR/progress.sh"

say() { printf '==> %s\n' "$*" >&2; }
fail() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

# Which Go is usable has one owner, the engine build's locate_go (yours, the system's, or the toolchain it fetched
# from the module proxy); the tools' go.mod files need no newer Go than the engine does.
find_go() {
  bash -c 'source "$1"; locate_go' _ "$GO_TOOL_LIB_DIR/../../.ci/engine/build.sh" \
    || fail "no usable Go here: run .ci/engine/build.sh first (it fetches one from the Go module proxy), or set GO"
}
