#!/usr/bin/env bash
# The root test suites (`npm test` runs this after the typecheck and the app's tests), in two lanes at once. The
# engine lane holds the suites that spend most of their time waiting on SSH, containers and the Pulumi engine (the
# engine suites and the backup drill, which waits on PostgreSQL and restores); on two cores the other lane's work fits
# into those waits. The other lane is every root suite the engine lane does not hold, so each suite runs exactly once.
# Each suite names its containers, networks and ports uniquely, which is what lets the lanes share the Docker engine.
# Every line says its lane, and each lane ends with its wall time.
# Usage: scripts/test.sh [--list]   (--list prints each lane's mocha arguments and runs nothing)
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly REPO_ROOT
readonly ALL_SUITES='tests/**/*.test.ts'
readonly ENGINE_LANE_SUITES=('tests/engine/**/*.test.ts' 'tests/deploy/backup-drill.test.ts')

fail() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

usage() { echo "Usage: scripts/test.sh [--list]" >&2; exit 1; }

engine_lane_args() { printf '%s\n' "${ENGINE_LANE_SUITES[@]}"; }

other_lane_args() {
  local suite
  printf '%s\n' "$ALL_SUITES"
  for suite in "${ENGINE_LANE_SUITES[@]}"; do printf -- '--ignore\n%s\n' "$suite"; done
}

list_lanes() {
  echo "engine: $(engine_lane_args | paste -sd' ')"
  echo "other: $(other_lane_args | paste -sd' ')"
}

# mocha expands the globs itself; sed marks every line with its lane as it comes.
run_lane() {
  local lane="$1" started=$SECONDS status=0 args
  mapfile -t args < <("${lane}_lane_args")
  npx mocha --color "${args[@]}" 2>&1 | sed -u "s/^/[$lane] /" || status=$?
  echo "[$lane] lane finished in $((SECONDS - started)) s"
  return "$status"
}

run_lanes() {
  local engine_pid other_pid failed=()
  run_lane engine &
  engine_pid=$!
  run_lane other &
  other_pid=$!
  wait "$engine_pid" || failed+=(engine)
  wait "$other_pid" || failed+=(other)
  [ ${#failed[@]} -eq 0 ] || fail "tests failed in lane(s): ${failed[*]} (lines marked [${failed[0]}] say which)"
}

main() {
  cd "$REPO_ROOT"
  case "$#:${1:-}" in
    0:) run_lanes ;;
    1:--list) list_lanes ;;
    *) usage ;;
  esac
}

main "$@"
