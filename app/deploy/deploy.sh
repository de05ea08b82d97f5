#!/usr/bin/env bash
# Deploys the app's image onto this host's Compose stack with no downtime, behind a health gate.
#
# How a deploy goes (each step is a function below, in this order, all inside the host lock):
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
BUNDLE_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
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

# ---------------------------------------------------------------------------------------------------------------
# Output and command running

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

# ---------------------------------------------------------------------------------------------------------------
# Input: everything is checked before anything is touched.

parse_args() {
  [ $# -gt 0 ] || usage_error "no action given (allowed: deploy, prepare, switch, rollback, status, down)"
  ACTION="$1"
  shift
  case "$ACTION" in
    deploy|prepare|switch|rollback|status|down) ;;
    -h|--help) printf '%s\n' "$USAGE"; exit 0 ;;
    *) usage_error "unknown action '$ACTION' (allowed: deploy, prepare, switch, rollback, status, down)" ;;
  esac
  while [ $# -gt 0 ]; do
    case "$1" in
      --image|--env|--dir|--env-file|--project)
        [ $# -ge 2 ] && [ -n "$2" ] || usage_error "$1 needs a value"
        case "$1" in
          --image) IMAGE="$2" ;;
          --env) ENV_NAME="$2" ;;
          --dir) BUNDLE_DIR="$2" ;;
          --env-file) ENV_FILE="$2" ;;
          --project) PROJECT="$2" ;;
        esac
        shift 2
        ;;
      --volumes)
        [ "$ACTION" = down ] || usage_error "--volumes only applies to 'down'"
        REMOVE_VOLUMES=true
        shift
        ;;
      -h|--help) printf '%s\n' "$USAGE"; exit 0 ;;
      -*) usage_error "unknown option '$1'" ;;
      *)
        [ "$ACTION" = rollback ] && [ -z "$IMAGE" ] || usage_error "unexpected argument '$1'"
        IMAGE="$1"
        shift
        ;;
    esac
  done
}

validate_image_ref() {
  local ref="$1" last tag digest
  [[ "$ref" =~ ^[A-Za-z0-9][A-Za-z0-9._/:@-]*$ ]] \
    || fail "image '$ref' is not a valid image reference (expected registry/name:tag or registry/name@sha256:digest)"
  if [[ "$ref" == *@* ]]; then
    digest="${ref#*@}"
    [[ "$digest" =~ ^sha256:[0-9a-f]{64}$ ]] \
      || fail "image '$ref' has a malformed digest (expected @sha256: followed by 64 hex characters)"
    return 0
  fi
  last="${ref##*/}"
  [[ "$last" == *:* ]] \
    || fail "image '$ref' has no tag or digest; deploy an immutable reference (name@sha256:<digest> or name:<git-sha>)"
  tag="${last##*:}"
  [ "$tag" != latest ] \
    || fail "image '$ref' uses the tag 'latest', which moves; deploy a digest (name@sha256:...) or an immutable tag"
  [[ "$tag" =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]] || fail "image '$ref' has an invalid tag '$tag'"
}

validate_inputs() {
  [ -n "$ENV_NAME" ] || usage_error "--env is required (allowed: ${ENVIRONMENTS[*]})"
  local known=false name
  for name in "${ENVIRONMENTS[@]}"; do [ "$name" = "$ENV_NAME" ] && known=true; done
  $known || fail "unknown environment '$ENV_NAME' (allowed: ${ENVIRONMENTS[*]})"

  [ -d "$BUNDLE_DIR" ] || fail "bundle directory '$BUNDLE_DIR' does not exist"
  BUNDLE_DIR="$(cd "$BUNDLE_DIR" && pwd)"
  local file
  for file in compose.yaml "compose.$ENV_NAME.yaml" nginx/app.conf; do
    [ -f "$BUNDLE_DIR/$file" ] || fail "bundle directory '$BUNDLE_DIR' has no $file"
  done

  # A bundle run by hand keeps its .env beside it; on a host the components write DEPLOY_HOME/<env>.env.
  if [ -z "$ENV_FILE" ] && [ ! -f "$BUNDLE_DIR/.env" ] && [ -f "$DEPLOY_HOME/$ENV_NAME.env" ]; then ENV_FILE="$DEPLOY_HOME/$ENV_NAME.env"; fi
  ENV_FILE="${ENV_FILE:-$BUNDLE_DIR/.env}"
  [ -f "$ENV_FILE" ] && [ -r "$ENV_FILE" ] \
    || fail "env file '$ENV_FILE' is not a readable file; create it from $BUNDLE_DIR/.env.example (chmod 600) or pass --env-file"
  ENV_FILE="$(cd "$(dirname "$ENV_FILE")" && pwd)/$(basename "$ENV_FILE")"

  # The same name the Pulumi host components pass, so a deploy.sh run by hand on a host finds their stack.
  PROJECT="${PROJECT:-gitlab-docker-delivery-$ENV_NAME}"
  [[ "$PROJECT" =~ ^[a-z0-9][a-z0-9_-]*$ ]] \
    || fail "project name '$PROJECT' is invalid (lower-case letters, digits, '-' and '_', starting with a letter or digit)"

  case "$ACTION" in
    deploy|prepare|switch)
      [ -n "$IMAGE" ] || usage_error "--image is required for deploy (an image reference by digest or immutable tag)"
      validate_image_ref "$IMAGE"
      ;;
    rollback) [ -z "$IMAGE" ] || validate_image_ref "$IMAGE" ;;
    *) [ -z "$IMAGE" ] || usage_error "--image only applies to deploy and rollback" ;;
  esac

  [ -z "${REGISTRY_CREDENTIALS_FILE:-}" ] || load_registry_credentials "$REGISTRY_CREDENTIALS_FILE"
  if [ -n "${REGISTRY_USER:-}" ] || [ -n "${REGISTRY_PASSWORD:-}" ]; then
    [ -n "${REGISTRY_USER:-}" ] && [ -n "${REGISTRY_PASSWORD:-}" ] \
      || fail "set both REGISTRY_USER and REGISTRY_PASSWORD to log in to the registry, or neither"
  fi
  [[ "$READY_TIMEOUT" =~ ^[1-9][0-9]*$ ]] || fail "DEPLOY_READY_TIMEOUT must be a whole number of seconds (got '$READY_TIMEOUT')"
  [[ "$LOCK_TIMEOUT" =~ ^[0-9]+$ ]] || fail "DEPLOY_LOCK_TIMEOUT must be a whole number of seconds (got '$LOCK_TIMEOUT')"
  REPLICAS="$(desired_replicas)"
  [[ "$REPLICAS" =~ ^[1-9][0-9]?$ ]] || fail "APP_REPLICAS must be a number from 1 to 99 (got '$REPLICAS')"

  STATE_DIR="${DEPLOY_STATE_DIR:-$DEPLOY_HOME/state}"
  LOCK_DIR="$STATE_DIR/deploy.lock"
  RELEASES_FILE="$STATE_DIR/releases"
  PREPARED_FILE="$STATE_DIR/prepared"

  if [ "$ACTION" = rollback ] && [ -z "$IMAGE" ]; then
    IMAGE="$(previous_release)"
    [ -n "$IMAGE" ] || fail "no previous release recorded in $RELEASES_FILE; name one: deploy.sh rollback REF --env $ENV_NAME"
  fi

  if ! $DRY_RUN; then
    command -v "$DOCKER" >/dev/null || fail "'$DOCKER' is not installed"
    # `docker version` asks the engine for one thing; `docker info` would also make the CLI run every plugin.
    "$DOCKER" version --format '{{.Server.Version}}' >/dev/null 2>&1 || fail "the Docker engine does not answer (is dockerd running, may this user use it?)"
  fi
}

# The registry credentials file is written in Compose's env format (KEY=value, nothing quoted for a shell), so
# sourcing it would run a password such as abc$(id). Each line is read as data: the value is everything after the
# first "=", one pair of surrounding quotes removed, nothing expanded. Messages never repeat a line (secrets).
load_registry_credentials() {
  local file="$1" line key value number=0
  [ -f "$file" ] && [ -r "$file" ] || fail "registry credentials file '$file' is not a readable file"
  while IFS= read -r line || [ -n "$line" ]; do
    number=$((number + 1))
    line="${line%$'\r'}"
    [[ "$line" =~ ^[[:space:]]*(#.*)?$ ]] && continue
    [[ "$line" =~ ^[[:space:]]*([A-Za-z_][A-Za-z0-9_]*)=(.*)$ ]] \
      || fail "registry credentials file '$file', line $number: expected KEY=value"
    key="${BASH_REMATCH[1]}"
    value="${BASH_REMATCH[2]}"
    if [[ "$value" =~ ^\"(.*)\"$ ]] || [[ "$value" =~ ^\'(.*)\'$ ]]; then value="${BASH_REMATCH[1]}"; fi
    case "$key" in
      REGISTRY | REGISTRY_USER | REGISTRY_PASSWORD) printf -v "$key" '%s' "$value" ;;
      *) fail "registry credentials file '$file', line $number: unknown key $key (allowed: REGISTRY, REGISTRY_USER, REGISTRY_PASSWORD)" ;;
    esac
  done <"$file"
}

# A value from the env file, for the few settings deploy.sh itself needs (the shell's environment wins, as in Compose).
env_file_value() {
  local key="$1"
  if [ -n "${!key:-}" ]; then printf '%s\n' "${!key}"; return; fi
  sed -n "s/^[[:space:]]*$key[[:space:]]*=[[:space:]]*//p" "$ENV_FILE" | tail -n 1 | sed "s/^[\"']//; s/[\"'][[:space:]]*$//; s/[[:space:]]*$//"
}

# BACKUP_ENABLED=true in the env file keeps compose.backup.yaml (pgBackRest, WAL archiving) in every Compose call, so a deploy
# never drops the db's backup settings; backup.sh init applies them to a running stack (docs/backups.md).
select_backup_override() {
  local value
  value="$(env_file_value BACKUP_ENABLED)"
  case "$value" in
    true) BACKUP_OVERRIDE=(-f "$BUNDLE_DIR/compose.backup.yaml") ;;
    ""|false) BACKUP_OVERRIDE=() ;;
    *) fail "BACKUP_ENABLED must be true or false (got '$value'; see docs/backups.md)" ;;
  esac
}

desired_replicas() {
  local value
  value="$(env_file_value APP_REPLICAS)"
  if [ -z "$value" ]; then
    if [ "$ENV_NAME" = production ]; then value=2; else value=1; fi
  fi
  printf '%s\n' "$value"
}

# Also records the version (COMPOSE_VERSION), asking Compose once: each call costs a Compose start.
detect_compose() {
  if [ -n "${DEPLOY_COMPOSE:-}" ]; then
    read -r -a COMPOSE <<<"$DEPLOY_COMPOSE"
  elif COMPOSE_VERSION="$("$DOCKER" compose version --short 2>/dev/null)"; then
    COMPOSE=("$DOCKER" compose)
    return 0
  elif command -v docker-compose >/dev/null 2>&1; then
    COMPOSE=(docker-compose)
  else
    fail "neither 'docker compose' (the v2 plugin) nor 'docker-compose' is installed"
  fi
  $DRY_RUN || COMPOSE_VERSION="$("${COMPOSE[@]}" version --short 2>/dev/null || true)"
}

# Compose v2 (2.26 measured, on the simulated hosts) refuses a service with pids_limit beside deploy.resources.limits
# unless deploy.resources.limits.pids says the same ("can't set distinct values"); Compose 1.29 refuses that key.
# compose.yaml's pids_limit stays the one owner: on v2 an override with the same values is derived from it.
derive_pids_override() {
  $DRY_RUN && return 0
  local override="$STATE_DIR/compose.pids.yaml" files=("$BUNDLE_DIR/compose.yaml")
  case "$COMPOSE_VERSION" in ""|1.*|v1.*) return 0 ;; esac
  tls_enabled && files+=("$BUNDLE_DIR/compose.tls.yaml")
  mkdir -p "$STATE_DIR"
  awk '/^services:/ { inside = 1; if (!header++) print; next }
       inside && /^[^ #]/ { inside = 0 }
       inside && /^  [A-Za-z0-9_-]+:[[:space:]]*$/ { service = $1 }
       inside && /^    pids_limit:/ { printf "  %s\n    deploy:\n      resources:\n        limits:\n          pids: %s\n", service, $2 }' \
    "${files[@]}" >"$override"
  PIDS_OVERRIDE=(-f "$override")
}

# ---------------------------------------------------------------------------------------------------------------
# Lock and release records

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

# Newest last; the line format is "<UTC time> <image>".
record_release() {
  CURRENT_STEP=record_release
  if $DRY_RUN; then
    printf '+ append %q to %q (keeping the last %s)\n' "$IMAGE" "$RELEASES_FILE" "$RELEASES_KEPT"
    return
  fi
  local tmp="$RELEASES_FILE.tmp.$$"
  {
    [ -f "$RELEASES_FILE" ] && cat "$RELEASES_FILE"
    printf '%s %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$IMAGE"
  } | tail -n "$RELEASES_KEPT" >"$tmp"
  mv "$tmp" "$RELEASES_FILE"
  progress "record_release: $IMAGE recorded in $RELEASES_FILE"
}

current_release() {
  [ -f "$RELEASES_FILE" ] || return 0
  tail -n 1 "$RELEASES_FILE" | awk '{print $2}'
}

# The most recent recorded image that differs from the current one.
previous_release() {
  [ -f "$RELEASES_FILE" ] || return 0
  local current
  current="$(current_release)"
  awk -v current="$current" '$2 != current { previous = $2 } END { if (previous != "") print previous }' "$RELEASES_FILE"
}

# ---------------------------------------------------------------------------------------------------------------
# What is running

app_containers() {
  $DRY_RUN && return 0
  "$DOCKER" ps -a --no-trunc -q \
    --filter "label=com.docker.compose.project=$PROJECT" --filter "label=com.docker.compose.service=app"
}

edge_network() { printf '%s_edge\n' "$PROJECT"; }

proxy_container() {
  $DRY_RUN && return 0
  "$DOCKER" ps -a -q --filter "label=com.docker.compose.project=$PROJECT" --filter "label=com.docker.compose.service=proxy" | head -n 1
}

# The folder the running proxy reads the marker from (it was fixed when the proxy was created), else ours.
resolve_route_dir() {
  local proxy source=""
  proxy="$(proxy_container)"
  if [ -n "$proxy" ]; then
    source="$("$DOCKER" inspect -f "{{range .Mounts}}{{if eq .Destination \"$ROUTE_MOUNT\"}}{{.Source}}{{end}}{{end}}" "$proxy")"
    [ -n "$source" ] || fail "the running proxy of $PROJECT has no $ROUTE_MOUNT mount (made from an older bundle); recreate it once: deploy.sh down --env $ENV_NAME, then deploy"
  fi
  ROUTE_DIR="${source:-$STATE_DIR/route}"
  if [ -f "$ROUTE_DIR/$GREEN_MARKER" ]; then LIVE_SLOT=green; else LIVE_SLOT=blue; fi
  if [ "$LIVE_SLOT" = green ]; then NEW_SLOT=blue; else NEW_SLOT=green; fi
}

# What runs of the app, in one `docker ps` and one `docker inspect` (each Docker CLI call costs the host CPU):
# APP_IDS are all the app containers, LIVE_IDS the running ones in the live slot and LIVE_IMAGES their images.
read_app_state() {
  APP_IDS=()
  LIVE_IDS=()
  LIVE_IMAGES=()
  $DRY_RUN && return 0
  local id running image aliases
  mapfile -t APP_IDS < <(app_containers)
  [ ${#APP_IDS[@]} -gt 0 ] || return 0
  # A container removed between `ps` and `inspect` simply does not count.
  while read -r id running image aliases; do
    if [ "$running" = true ] && [[ " $aliases " == *" app-$LIVE_SLOT "* ]]; then
      LIVE_IDS+=("$id")
      LIVE_IMAGES+=("$image")
    fi
  done < <("$DOCKER" inspect -f "{{.Id}} {{.State.Running}} {{.Config.Image}}{{with index .NetworkSettings.Networks \"$(edge_network)\"}}{{range .Aliases}} {{.}}{{end}}{{end}}" "${APP_IDS[@]}" 2>/dev/null || true)
}

name_of() { "$DOCKER" inspect -f '{{.Name}}' "$1" | sed 's|^/||'; }

# ---------------------------------------------------------------------------------------------------------------
# Deploy steps, in the order deploy_release runs them

# Uses what read_app_state saw.
clear_leftovers() {
  CURRENT_STEP=clear_leftovers
  $DRY_RUN && return 0
  local id live leftovers=()
  live=" ${LIVE_IDS[*]+"${LIVE_IDS[*]}"} "
  # Stopped replicas and candidates of an interrupted deploy would be counted (and restarted) by `--scale`.
  for id in ${APP_IDS[@]+"${APP_IDS[@]}"}; do
    [[ "$live" == *" $id "* ]] || leftovers+=("$id")
  done
  if [ ${#leftovers[@]} -gt 0 ]; then
    run "$DOCKER" rm -f "${leftovers[@]}"
    progress "clear_leftovers: removed ${#leftovers[@]} app container(s) that were not serving"
  fi
}

# True when the live slot runs exactly the wanted number of replicas, all of IMAGE (a new count is a new rollout).
# Uses what read_app_state saw.
already_live() {
  $DRY_RUN && return 1
  local image
  [ ${#LIVE_IDS[@]} -gt 0 ] && [ ${#LIVE_IDS[@]} -eq "$REPLICAS" ] || return 1
  for image in "${LIVE_IMAGES[@]}"; do
    [ "$image" = "$IMAGE" ] || return 1
  done
  return 0
}

# Called by the steps that may pull (the app image; db and proxy when they are created), once per run at most: a
# rollout of an image already on the host with db and proxy running talks to no registry.
registry_login() {
  CURRENT_STEP=registry_login
  [ -n "${REGISTRY_USER:-}" ] && ! $LOGGED_IN || return 0
  LOGGED_IN=true
  # The password travels on stdin only: never in argv (visible in ps), never printed.
  if $DRY_RUN; then
    run "$DOCKER" login --username "$REGISTRY_USER" --password-stdin ${REGISTRY:+"$REGISTRY"}
  else
    printf '%s' "$REGISTRY_PASSWORD" | run "$DOCKER" login --username "$REGISTRY_USER" --password-stdin ${REGISTRY:+"$REGISTRY"}
  fi
  progress "registry_login: logged in to ${REGISTRY:-the default registry} as $REGISTRY_USER"
}

pull_image() {
  CURRENT_STEP=pull_image
  if ! $DRY_RUN && "$DOCKER" image inspect "$IMAGE" >/dev/null 2>&1; then
    progress "pull_image: $IMAGE is already on this host, not pulling"
    return
  fi
  registry_login
  CURRENT_STEP=pull_image
  run "$DOCKER" pull "$IMAGE"
  progress "pull_image: pulled $IMAGE"
}

# ---------------------------------------------------------------------------------------------------------------
# HTTPS (compose.tls.yaml): on when the env file names TLS_DOMAINS.

tls_enabled() { $TLS_ENABLED; }

select_tls_files() {
  if [ -n "$(env_file_value TLS_DOMAINS)" ]; then TLS_ENABLED=true; fi
  tls_enabled || return 0
  [ -f "$BUNDLE_DIR/compose.tls.yaml" ] || fail "TLS_DOMAINS is set but $BUNDLE_DIR/compose.tls.yaml is missing"
  TLS_FILES=(-f "$BUNDLE_DIR/compose.tls.yaml")
}

service_container() {
  "$DOCKER" ps -q --filter "label=com.docker.compose.project=$PROJECT" --filter "label=com.docker.compose.service=$1" | head -n 1
}

# nginx needs a certificate to start: the acme service makes a placeholder at once, then asks the CA.
start_acme() {
  compose "$IMAGE" "$NEW_SLOT" up -d --no-deps --no-recreate acme
  $DRY_RUN && return 0
  local id health deadline=$((SECONDS + 60))
  id="$(service_container acme)"
  [ -n "$id" ] || fail "step ensure_infrastructure: the acme container of project $PROJECT is not running"
  while health="$("$DOCKER" inspect -f '{{.State.Health.Status}}' "$id")" && [ "$health" != healthy ]; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      "$DOCKER" logs --tail 30 "$id" 2>&1 | sed 's/^/    acme | /' >&2 || true
      fail "step ensure_infrastructure: the acme service made no certificate for nginx to start with within 60s (health: $health)"
    fi
    sleep 1
  done
}

# The certificate's status line, after every rollout: waits a while for a first issuance, then says what serves.
report_tls() {
  tls_enabled || return 0
  CURRENT_STEP=report_tls
  $DRY_RUN && { printf '+ report the certificate status of %q\n' "$PROJECT"; return 0; }
  local id status="" deadline=$((SECONDS + ${DEPLOY_TLS_WAIT:-60}))
  id="$(service_container acme)"
  [ -n "$id" ] || { printf 'WARNING: tls: the acme service of %s is not running; nothing renews the certificate\n' "$PROJECT" >&2; return 0; }
  while status="$("$DOCKER" exec "$id" cat /tls/status 2>/dev/null || true)"; [[ "$status" == pending* || -z "$status" ]] && [ "$SECONDS" -lt "$deadline" ]; do
    sleep 1
  done
  case "$status" in
    ok*) progress "tls: $status" ;;
    *) printf 'WARNING: tls%s: %s (docker logs %s)\n' "${DEPLOY_HOST:+ on $DEPLOY_HOST}" "${status:-no status yet}" "$(name_of "$id")" >&2 ;;
  esac
}

# db and proxy are created if missing and otherwise left alone: a deploy never recreates the database.
ensure_infrastructure() {
  CURRENT_STEP=ensure_infrastructure
  # With all of them running, `up --no-recreate` would change nothing: skip its Compose start. The running proxy
  # is then the one whose route folder was read before this step.
  if infrastructure_running; then
    wait_db_healthy
  else
    registry_login
    CURRENT_STEP=ensure_infrastructure
    run mkdir -p "$STATE_DIR/route"
    tls_enabled && start_acme
    compose "$IMAGE" "$NEW_SLOT" up -d --no-deps --no-recreate db proxy
    wait_db_healthy
    resolve_route_dir
  fi
  progress "ensure_infrastructure: db and proxy are up (left as they were if already running); live slot: $LIVE_SLOT"
}

# One `docker ps` for all of them; notes the db container for wait_db_healthy.
infrastructure_running() {
  $DRY_RUN && return 1
  local service running id name
  running=" "
  while read -r id name; do
    running+="$name "
    [ "$name" != db ] || DB_CONTAINER="$id"
  done < <("$DOCKER" ps --filter "label=com.docker.compose.project=$PROJECT" --filter status=running \
    --format '{{.ID}} {{.Label "com.docker.compose.service"}}' 2>/dev/null || true)
  for service in db proxy $(tls_enabled && echo acme); do
    [[ "$running" == *" $service "* ]] || return 1
  done
}

wait_db_healthy() {
  $DRY_RUN && return 0
  local id="$DB_CONTAINER" health deadline=$((SECONDS + READY_TIMEOUT)) pause=0.5
  [ -n "$id" ] || id="$("$DOCKER" ps -q --filter "label=com.docker.compose.project=$PROJECT" --filter "label=com.docker.compose.service=db" | head -n 1)"
  [ -n "$id" ] || fail "step ensure_infrastructure: the db container of project $PROJECT is not running"
  while :; do
    health="$("$DOCKER" inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}' "$id")"
    case "$health" in healthy|none) return 0 ;; esac
    if [ "$SECONDS" -ge "$deadline" ]; then
      "$DOCKER" logs --tail 30 "$id" 2>&1 | sed 's/^/    db | /' >&2 || true
      fail "step ensure_infrastructure: the database did not become healthy within ${READY_TIMEOUT}s (health: $health)"
    fi
    sleep "$pause"
    pause="$(grow_pause "$pause")"
  done
}

boot_new() {
  CURRENT_STEP=boot_new
  local replicas="$REPLICAS" old_count id
  read_app_state
  OLD_CONTAINERS=(${LIVE_IDS[@]+"${LIVE_IDS[@]}"})
  old_count=${#OLD_CONTAINERS[@]}
  BOOT_BASELINE=" ${APP_IDS[*]+"${APP_IDS[*]}"} "
  # --no-recreate keeps the old replicas exactly as they are; --scale adds the new ones beside them, in the idle
  # slot so nginx does not send them traffic yet; --no-deps leaves db and proxy alone.
  compose "$IMAGE" "$NEW_SLOT" up -d --no-deps --no-recreate --scale "app=$((old_count + replicas))" app
  if $DRY_RUN; then
    NEW_CONTAINERS=()
    for ((id = 1; id <= replicas; id++)); do NEW_CONTAINERS+=("new-replica-$id"); done
  else
    NEW_CONTAINERS=()
    for id in $(app_containers); do
      [[ "$BOOT_BASELINE" == *" $id "* ]] || NEW_CONTAINERS+=("$id")
    done
    [ ${#NEW_CONTAINERS[@]} -eq "$replicas" ] \
      || fail "step boot_new: expected $replicas new app container(s) for $IMAGE, Compose created ${#NEW_CONTAINERS[@]}"
  fi
  progress "boot_new: started $replicas replica(s) of $IMAGE in slot $NEW_SLOT beside $old_count running in $LIVE_SLOT"
}

# Polling starts fast (a replica is often ready within a second or two) and backs off to every 2 s.
grow_pause() {
  awk -v p="$1" 'BEGIN { p = p * 1.5; if (p > 2) p = 2; printf "%.2f\n", p }'
}

# Sets PROBE_STATUS to the HTTP status of GET /ready inside the container (000 when it does not answer), asking
# again for up to WAIT seconds (default 0: once) until it is 200. One Node.js process polls for the whole wait,
# from 100 ms growing to every second: a `docker exec` per attempt would cost the host a process start each time.
# It runs in the background so that a signal to this script interrupts the wait at once.
probe_ready() {
  local id="$1" wait="${2:-0}" status=0 line
  local script='const url="http://127.0.0.1:"+(process.env.PORT||3000)+"/ready",end=Date.now()+1000*Number(process.argv[1]);(async()=>{let status="000";for(let pause=100;;pause=Math.min(pause*1.5,1000)){try{const r=await fetch(url,{signal:AbortSignal.timeout(3000)});status=String(r.status);await r.body?.cancel()}catch{status="000"}if(status==="200"||Date.now()+pause>end)break;await new Promise(r=>setTimeout(r,pause))}console.log(status);process.exit(status==="200"?0:1)})()'
  PROBE_STATUS=""
  if $DRY_RUN; then
    run "$DOCKER" exec "$id" node -e "$script" "$wait"
    return 0
  fi
  PROBE_OUTPUT="$STATE_DIR/probe.$$"
  timeout $((wait + 10)) "$DOCKER" exec "$id" node -e "$script" "$wait" >"$PROBE_OUTPUT" 2>/dev/null &
  PROBE_PID=$!
  wait "$PROBE_PID" || status=$?
  PROBE_PID=""
  while IFS= read -r line; do PROBE_STATUS="$line"; done <"$PROBE_OUTPUT"
  rm -f "$PROBE_OUTPUT"
  PROBE_OUTPUT=""
  return 0
}

# Each new replica must answer GET /ready with 200 before the deadline, without having crashed on the way.
wait_ready() {
  CURRENT_STEP=wait_ready
  local id state state_status restarts exit_code remaining answer deadline=$((SECONDS + READY_TIMEOUT))
  if $DRY_RUN; then
    for id in "${NEW_CONTAINERS[@]}"; do probe_ready "$id" "$READY_TIMEOUT"; done
    return
  fi
  for id in "${NEW_CONTAINERS[@]}"; do
    remaining=$((deadline - SECONDS))
    [ "$remaining" -ge 0 ] || remaining=0
    probe_ready "$id" "$remaining"
    state="$("$DOCKER" inspect -f '{{.State.Status}} {{.RestartCount}} {{.State.ExitCode}}' "$id" 2>/dev/null || echo 'gone 0 0')"
    read -r state_status restarts exit_code <<<"$state"
    if [ "$state_status" != running ]; then
      gate_failed "$id" "container $(name_of "$id" 2>/dev/null || echo "$id") is $state_status (exit code $exit_code) instead of ready"
    elif [ "$restarts" -gt 0 ]; then
      gate_failed "$id" "container $(name_of "$id") crashed and was restarted $restarts time(s) before it was ready"
    elif [ "$PROBE_STATUS" != 200 ]; then
      answer="${PROBE_STATUS:-000}"
      [ "$answer" != 000 ] || answer="nothing"
      gate_failed "$id" "GET /ready on $(name_of "$id") answered $answer instead of 200 within ${READY_TIMEOUT}s"
    fi
  done
  progress "wait_ready: all ${#NEW_CONTAINERS[@]} new replica(s) answer GET /ready with 200"
}

gate_failed() {
  local id="$1" reason="$2"
  printf 'Logs of %s (last 40 lines):\n' "$(name_of "$id" 2>/dev/null || echo "$id")" >&2
  "$DOCKER" logs --tail 40 "$id" 2>&1 | sed 's/^/    | /' >&2 || true
  "$DOCKER" rm -f "${NEW_CONTAINERS[@]}" >/dev/null 2>&1 || true
  NEW_CONTAINERS=()
  local serving="nothing was serving before"
  [ ${#OLD_CONTAINERS[@]} -gt 0 ] && serving="the previous version keeps serving"
  fail "health gate failed for $IMAGE: $reason; the new containers were removed and $serving"
}

# nginx checks the marker on every request: from the next request on, the new slot serves. Creating a file and
# removing one are both atomic, so no request sees a half-made switch.
switch_traffic() {
  CURRENT_STEP=switch_traffic
  if [ "$NEW_SLOT" = green ]; then
    run touch "$ROUTE_DIR/$GREEN_MARKER"
  else
    run rm -f "$ROUTE_DIR/$GREEN_MARKER"
  fi
  SWITCHED=true
  run sleep "$SWITCH_SETTLE_SECONDS"
  progress "switch_traffic: nginx now routes to slot $NEW_SLOT: ${#NEW_CONTAINERS[@]} replica(s) of $IMAGE"
}

# SIGTERM: the old slot gets no new requests any more; each replica finishes the ones it has (SHUTDOWN_DELAY_MS,
# then a drain) and exits; Docker kills it only after STOP_TIMEOUT_SECONDS.
prune_old() {
  CURRENT_STEP=prune_old
  if $DRY_RUN; then
    run "$DOCKER" stop --time "$STOP_TIMEOUT_SECONDS" old-replicas
    run "$DOCKER" rm old-replicas
    return
  fi
  if [ ${#OLD_CONTAINERS[@]} -eq 0 ]; then
    progress "prune_old: no previous replicas to stop"
    return
  fi
  run "$DOCKER" stop --time "$STOP_TIMEOUT_SECONDS" "${OLD_CONTAINERS[@]}"
  run "$DOCKER" rm "${OLD_CONTAINERS[@]}"
  progress "prune_old: stopped and removed ${#OLD_CONTAINERS[@]} previous replica(s)"
}

# ---------------------------------------------------------------------------------------------------------------
# Actions

deploy_release() {
  local verb="$1"
  progress "$verb: $IMAGE to $ENV_NAME (project $PROJECT, ${COMPOSE[*]})"
  acquire_lock
  resolve_route_dir
  read_app_state
  if already_live; then
    progress "$verb: $IMAGE is already live on all $REPLICAS replica(s); nothing to do"
    report_tls
    return 0
  fi
  clear_leftovers
  pull_image
  ensure_infrastructure
  boot_new
  wait_ready
  switch_traffic
  prune_old
  record_release
  progress "$verb: done, $IMAGE is live (${SECONDS}s)"
  report_tls
}

# Two-phase rollout over several hosts: every host runs `prepare` (new replicas started beside the live ones and
# gated; traffic untouched), and only when all passed does each host run `switch`. A host whose gate failed leaves
# the others prepared but never switched; their candidates take no traffic and the next prepare or deploy removes them.
prepare_release() {
  progress "prepare: $IMAGE on $ENV_NAME (project $PROJECT, ${COMPOSE[*]})"
  acquire_lock
  resolve_route_dir
  read_app_state
  clear_leftovers
  run rm -f "$PREPARED_FILE"
  if already_live; then
    progress "prepare: $IMAGE is already live on all $REPLICAS replica(s); nothing to prepare"
    return 0
  fi
  pull_image
  ensure_infrastructure
  boot_new
  wait_ready
  CURRENT_STEP=record_prepared
  if $DRY_RUN; then
    printf '+ record %q slot %q in %q\n' "$IMAGE" "$NEW_SLOT" "$PREPARED_FILE"
  else
    printf '%s %s %s\n' "$IMAGE" "$NEW_SLOT" "${NEW_CONTAINERS[*]}" >"$PREPARED_FILE"
  fi
  PREPARED=true
  progress "prepare: done, ${#NEW_CONTAINERS[@]} replica(s) of $IMAGE ready in slot $NEW_SLOT; traffic still goes to $LIVE_SLOT until switch (${SECONDS}s)"
}

switch_release() {
  progress "switch: $IMAGE on $ENV_NAME (project $PROJECT)"
  acquire_lock
  resolve_route_dir
  read_app_state
  if $DRY_RUN; then
    switch_traffic
    prune_old
    record_release
    return 0
  fi
  if [ ! -f "$PREPARED_FILE" ]; then
    already_live || fail "step switch: nothing prepared for $IMAGE (no $PREPARED_FILE); run deploy.sh prepare first"
    progress "switch: $IMAGE is already live; nothing to switch"
    return 0
  fi
  local prepared_image prepared_slot id
  read -r prepared_image prepared_slot _ <"$PREPARED_FILE"
  [ "$prepared_image" = "$IMAGE" ] || fail "step switch: $PREPARED_FILE holds $prepared_image, not $IMAGE; run deploy.sh prepare --image $IMAGE first"
  [ "$prepared_slot" = "$NEW_SLOT" ] || fail "step switch: the prepared slot $prepared_slot is live already; run deploy.sh prepare again"
  OLD_CONTAINERS=(${LIVE_IDS[@]+"${LIVE_IDS[@]}"})
  read -r -a NEW_CONTAINERS <<<"$(cut -d' ' -f3- "$PREPARED_FILE")"
  CURRENT_STEP=check_prepared
  for id in "${NEW_CONTAINERS[@]}"; do
    probe_ready "$id"
    [ "$PROBE_STATUS" = 200 ] || fail "step switch: prepared replica $(name_of "$id" 2>/dev/null || echo "$id") no longer answers GET /ready with 200; nothing was switched"
  done
  switch_traffic
  prune_old
  record_release
  rm -f "$PREPARED_FILE"
  progress "switch: done, $IMAGE is live (${SECONDS}s)"
  report_tls
}

show_status() {
  local id live_image="none"
  printf 'project %s (environment %s), compose: %s\n' "$PROJECT" "$ENV_NAME" "${COMPOSE[*]}"
  resolve_route_dir
  printf 'live slot: app-%s (marker folder %s)\n' "$LIVE_SLOT" "$ROUTE_DIR"
  if ! $DRY_RUN; then
    read_app_state
    [ ${#LIVE_IMAGES[@]} -eq 0 ] || live_image="${LIVE_IMAGES[-1]}"
    printf 'live image: %s\n' "$live_image"
    "$DOCKER" ps -a --filter "label=com.docker.compose.project=$PROJECT" \
      --format 'table {{.Names}}\t{{.Image}}\t{{.Status}}'
  fi
  printf 'releases (newest last, in %s):\n' "$RELEASES_FILE"
  if [ -f "$RELEASES_FILE" ]; then sed 's/^/  /' "$RELEASES_FILE"; else printf '  none recorded\n'; fi
}

take_down() {
  acquire_lock
  CURRENT_STEP=down
  local image
  image="$(current_release)"
  # compose.yaml requires APP_IMAGE; the value does not matter for `down`.
  if $REMOVE_VOLUMES; then
    compose "${image:-none:none}" blue down --remove-orphans --volumes
    progress "down: removed the stack of $PROJECT and its volumes (the database is gone)"
  else
    compose "${image:-none:none}" blue down --remove-orphans
    progress "down: removed the containers and networks of $PROJECT; the database volume is kept"
  fi
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
