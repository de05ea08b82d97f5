# shellcheck shell=bash
# Sourced by deploy.sh. Messages, and how commands run: printed in a dry run, otherwise run with their output kept for
# the error report.

progress() { printf -- '--> %s\n' "$*"; }

note() { printf '    %s\n' "$*"; }

fail() {
  printf 'ERROR: %s%s\n' "${DEPLOY_HOST:+on $DEPLOY_HOST: }" "$*" >&2
  exit 1
}

usage_error() {
  printf '%s\n' "$USAGE" >&2
  fail "$@"
}

# Mutating commands go through here: printed in a dry run, otherwise run with their output kept for the error report.
run() {
  if $DRY_RUN; then
    printf '+'
    printf ' %q' "$@"
    printf '\n'
    return 0
  fi
  local output
  if ! output="$("$@" 2>&1)"; then
    [ -n "$output" ] && printf '%s\n' "$output" | sed 's/^/    | /' >&2
    fail "step ${CURRENT_STEP}: command failed: $*"
  fi
}

# Usage: compose APP_IMAGE SLOT compose-args... (compose.yaml reads the image, the slot alias new app replicas
# join, and the route folder the proxy mounts from these variables)
compose() {
  local image="$1" slot="$2"
  shift 2
  run env APP_IMAGE="$image" APP_ROUTE_ALIAS="app-$slot" APP_ROUTE_DIR="$STATE_DIR/route" "${COMPOSE[@]}" --project-name "$PROJECT" --env-file "$ENV_FILE" \
    -f "$BUNDLE_DIR/compose.yaml" -f "$BUNDLE_DIR/compose.$ENV_NAME.yaml" ${TLS_FILES[@]+"${TLS_FILES[@]}"} \
    ${BACKUP_OVERRIDE[@]+"${BACKUP_OVERRIDE[@]}"} \
    ${PIDS_OVERRIDE[@]+"${PIDS_OVERRIDE[@]}"} "$@"
}
