#!/usr/bin/env bash
# Deploys the app's image onto this host's Compose stack with no downtime, behind a health gate.
#
# How a deploy goes (each step is a function in lib/, run in this order by lib/actions.sh, all inside the host lock):
#   app replicas live in one of two slots, app-blue and app-green (their network alias); nginx routes every request
#   to the slot named by a marker file. New replicas start BESIDE the old ones in the idle slot, where nginx sends
#   nothing; each must answer GET /ready with 200 before the timeout; then the marker flips (the next request goes
#   to the new slot), and only after that the old replicas get SIGTERM, finish what they have and are removed.
#   A new replica that is not ready in time fails the deploy: the new containers are removed, the old ones never
#   stopped serving. The database and its volume are never recreated (db is only ever `up --no-recreate`).
#
# Environment: REGISTRY, REGISTRY_USER, REGISTRY_PASSWORD  log in before pulling (password via stdin only)
#              REGISTRY_CREDENTIALS_FILE  those three from a file in Compose's env format, read as data (never sourced)
#              DEPLOY_DRY_RUN=1         print the commands instead of running them (no engine needed)
#              DEPLOY_READY_TIMEOUT     seconds the new replicas have to become ready (default 120)
#              DEPLOY_LOCK_TIMEOUT      seconds to wait for another deploy's lock (default 300)
#              DEPLOY_SWITCH_SETTLE     seconds to wait after the switch before stopping the old replicas (default 0:
#                                       they keep serving for the app's SHUTDOWN_DELAY_MS after SIGTERM)
#              DEPLOY_HOME              the host's deploy folder (default $HOME/gitlab-docker-delivery): the Pulumi
#                                       host components put bundles, env files and state there
#              DEPLOY_STATE_DIR         lock, releases file and route folder (default DEPLOY_HOME/state)
#              DEPLOY_HOST              a name for this host in every ERROR line (several hosts deploy at once)
#              DEPLOY_COMPOSE           Compose command to use, e.g. "docker-compose" (default: detected)
#              APP_REPLICAS             app replicas (default: the env file's value, else 2 in production, 1 elsewhere)
#              DEPLOY_TLS_WAIT          seconds to wait for a first certificate before reporting it pending (default 60)
# HTTPS: when the env file sets TLS_DOMAINS, compose.tls.yaml joins the stack (nginx on 443, the acme service), and
# every deploy ends with the certificate's status line (a failed issuance is a WARNING; the old certificate serves).
set -Eeuo pipefail

readonly USAGE="Usage: deploy.sh deploy --image REF --env local|staging|production [--dir BUNDLE_DIR] [--env-file FILE] [--project NAME]
       deploy.sh prepare --image REF --env ENV [...]   (start and gate the new version beside the live one, no switch)
       deploy.sh switch --image REF --env ENV [...]    (switch to what prepare started, stop the old version)
       deploy.sh rollback [REF] --env ENV [--dir ...] [--env-file ...] [--project ...]
       deploy.sh status --env ENV [--dir ...] [--env-file ...] [--project ...]
       deploy.sh down --env ENV [--volumes] [--dir ...] [--env-file ...] [--project ...]"
readonly ENVIRONMENTS=(local staging production)
# nginx routes to app-green when this file exists in the proxy's route folder, else to app-blue.
readonly GREEN_MARKER=green
readonly ROUTE_MOUNT=/etc/nginx/route
readonly RELEASES_KEPT=5
# Requests that nginx routed just before the switch still reach the old slot: the old replicas keep serving for the
# app's SHUTDOWN_DELAY_MS after SIGTERM (compose.yaml: 2 s), which covers them, so by default nothing waits here.
readonly SWITCH_SETTLE_SECONDS="${DEPLOY_SWITCH_SETTLE:-0}"
readonly STOP_TIMEOUT_SECONDS=15
readonly DEPLOY_HOME="${DEPLOY_HOME:-${HOME:-/root}/gitlab-docker-delivery}"

ACTION=""
IMAGE=""
ENV_NAME=""
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly SCRIPT_DIR
BUNDLE_DIR="$SCRIPT_DIR"
ENV_FILE=""
PROJECT=""
PREPARED_FILE=""
PREPARED=false
REMOVE_VOLUMES=false
DRY_RUN=false
[ "${DEPLOY_DRY_RUN:-0}" = 1 ] && DRY_RUN=true
DOCKER="${DEPLOY_DOCKER:-docker}"
COMPOSE=()
COMPOSE_VERSION=""
PIDS_OVERRIDE=()
BACKUP_OVERRIDE=()
LOGGED_IN=false
TLS_FILES=()
TLS_ENABLED=false
REPLICAS=""
STATE_DIR=""
LOCK_DIR=""
RELEASES_FILE=""
ROUTE_DIR=""
LIVE_SLOT=""
NEW_SLOT=""
LOCK_HELD=false
CURRENT_STEP="start"
OLD_CONTAINERS=()
NEW_CONTAINERS=()
# What read_app_state saw: every app container, and the running ones in the live slot with their images.
APP_IDS=()
LIVE_IDS=()
LIVE_IMAGES=()
DB_CONTAINER=""
# The GET /ready probe running in the background (so that a signal interrupts the wait), its answer, its output file.
PROBE_PID=""
PROBE_STATUS=""
PROBE_OUTPUT=""
# App containers that existed before boot_new ran (set once it starts), to find what it created even if it failed.
BOOT_BASELINE=""
SWITCHED=false
READY_TIMEOUT="${DEPLOY_READY_TIMEOUT:-120}"
LOCK_TIMEOUT="${DEPLOY_LOCK_TIMEOUT:-300}"

# The steps live in lib/ beside this script, one file per job; the bundle ships them together, and --dir (another
# bundle's Compose files) does not change where they are read from.
readonly DEPLOY_LIB_DIR="$SCRIPT_DIR/lib"
for deploy_lib in output input settings lock releases state infrastructure tls rollout actions; do
  if [ ! -f "$DEPLOY_LIB_DIR/$deploy_lib.sh" ]; then
    printf 'ERROR: %s is missing: deploy.sh needs the lib folder beside it\n' "$DEPLOY_LIB_DIR/$deploy_lib.sh" >&2
    exit 1
  fi
  # shellcheck source=/dev/null
  source "$DEPLOY_LIB_DIR/$deploy_lib.sh"
done
unset deploy_lib

# ---------------------------------------------------------------------------------------------------------------
# Exit handling

on_unexpected_error() {
  local status=$? command="$BASH_COMMAND"
  fail "step ${CURRENT_STEP}: '${command}' exited with status ${status}"
}

on_exit() {
  local status=$? id
  [ -z "$PROBE_PID" ] || kill "$PROBE_PID" 2>/dev/null || true
  [ -z "$PROBE_OUTPUT" ] || rm -f "$PROBE_OUTPUT"
  # Interrupted (or failed) between boot and switch: the new replicas never took traffic, so they go.
  if ! $SWITCHED && ! $PREPARED && [ -n "$BOOT_BASELINE" ] && ! $DRY_RUN; then
    for id in $(app_containers 2>/dev/null || true); do
      [[ "$BOOT_BASELINE" == *" $id "* ]] || "$DOCKER" rm -f "$id" >/dev/null 2>&1 || true
    done
  fi
  release_lock
  exit "$status"
}

main() {
  parse_args "$@"
  validate_inputs
  select_backup_override
  select_tls_files
  # `switch` moves the marker and stops containers, with no Compose call: it need not ask which Compose there is.
  if [ "$ACTION" != switch ]; then
    detect_compose
    derive_pids_override
  fi
  trap on_unexpected_error ERR
  trap on_exit EXIT
  trap 'exit 130' INT TERM
  $DRY_RUN && progress "dry run: printing the commands instead of running them"
  case "$ACTION" in
    deploy) deploy_release deploy ;;
    prepare) prepare_release ;;
    switch) switch_release ;;
    rollback) deploy_release rollback ;;
    status) show_status ;;
    down) take_down ;;
  esac
}

main "$@"
