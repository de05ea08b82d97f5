#!/usr/bin/env bash
# The root test suites (`npm test` runs this after the typecheck and the app's tests), in two lanes at once: the
# engine suites beside all the others. The engine lane spends most of its time waiting on SSH, containers and the
# Pulumi engine, so on two cores the other lane's work fits into those waits. Each suite names its containers,
# networks and ports uniquely, which is what lets the lanes share the Docker engine. Every line says its lane.
# Usage: scripts/test.sh
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly REPO_ROOT
readonly ENGINE_SUITES='tests/engine/**/*.test.ts'
readonly OTHER_SUITES='tests/!(engine)/**/*.test.ts'

fail() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

usage() { echo "Usage: scripts/test.sh" >&2; exit 1; }

# mocha expands the glob itself; sed marks every line with its lane as it comes.
run_lane() {
  local lane="$1" suites="$2"
  npx mocha --color "$suites" 2>&1 | sed -u "s/^/[$lane] /"
}

run_lanes() {
  local engine_pid other_pid failed=()
  run_lane engine "$ENGINE_SUITES" &
  engine_pid=$!
  run_lane other "$OTHER_SUITES" &
  other_pid=$!
  wait "$engine_pid" || failed+=(engine)
  wait "$other_pid" || failed+=(other)
  [ ${#failed[@]} -eq 0 ] || fail "tests failed in lane(s): ${failed[*]} (lines marked [${failed[0]}] say which)"
}

main() {
  [ $# -eq 0 ] || usage
  cd "$REPO_ROOT"
  run_lanes
}

main "$@"
