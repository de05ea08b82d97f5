#!/usr/bin/env bash
# Runs the main job on the embedded default stack `local`: the app image is built and the Compose stack
# (app + PostgreSQL + nginx) runs on this machine's Docker engine, on 127.0.0.1 only. No cloud, no GitLab.
# Usage: scripts/local-stack.sh up|preview|destroy|outputs [extra pulumi flags] | status | logs [docker logs flags] | rollback [IMAGE]
set -euo pipefail

readonly REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly STACK=local
readonly STATE_ROOT="${XDG_STATE_HOME:-$HOME/.local/state}/gitlab-docker-delivery"
readonly DOCKERFILE="$REPO_ROOT/app/Dockerfile"
readonly COMPOSE_FILE="$REPO_ROOT/app/deploy/compose.yaml"
readonly COMPOSE_TLS_FILE="$REPO_ROOT/app/deploy/compose.tls.yaml"
readonly REQUIRED_NODE_MAJOR=24
readonly SYSTEM_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt
readonly DEPLOY_PROGRAM="$REPO_ROOT/app/deploy/deploy.sh"

say() { printf '==> %s\n' "$*" >&2; }
fail() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }
usage() { sed -n 's/^# Usage: //p' "${BASH_SOURCE[0]}" >&2; exit 2; }
docker_cli() { /usr/bin/docker "$@"; }

require_tools() {
  command -v node >/dev/null || fail "Node.js $REQUIRED_NODE_MAJOR is needed (node not found)"
  local node_major
  node_major="$(node -p 'process.versions.node.split(".")[0]')"
  [ "$node_major" -ge "$REQUIRED_NODE_MAJOR" ] \
    || fail "Node.js $REQUIRED_NODE_MAJOR is needed, found $(node --version) at $(command -v node) (see the README's prerequisites)"
  [ -d "$REPO_ROOT/node_modules/@pulumi/pulumi" ] || fail "dependencies are missing: run 'npm ci' first"
  docker_cli info >/dev/null 2>&1 || docker info >/dev/null 2>&1 \
    || fail "no Docker engine answers: start dockerd (or Docker Desktop) and try again"
}

# The user's own CLI when one is on PATH: used as it is, with the user's PULUMI_HOME and plugins; nothing is
# built or installed. Otherwise the engine .ci/engine/build.sh builds from Go modules, run with the engine's own
# PULUMI_HOME, because it ships a stand-in command provider that must never reach the user's Pulumi home.
find_pulumi() {
  local engine_bin existing
  engine_bin="$(bash "$REPO_ROOT/.ci/engine/build.sh" --print-path)"
  existing="$(command -v pulumi || true)"
  if [ -n "$existing" ] && [ "$(dirname "$existing")" != "$engine_bin" ]; then
    say "using $existing ($(pulumi version))"
    return
  fi
  [ -x "$engine_bin/pulumi" ] \
    || say "no pulumi CLI on PATH: building it from Go modules (.ci/engine/build.sh; several minutes the first time)"
  # Also installs its command provider into the engine's own Pulumi home; a second when the cache is current.
  bash "$REPO_ROOT/.ci/engine/build.sh" >&2 || fail "could not build the Pulumi engine (see the lines above)"
  PATH="$engine_bin:$PATH"
  PULUMI_HOME="$(bash "$REPO_ROOT/.ci/engine/build.sh" --print-home)"
  export PATH PULUMI_HOME
  # That engine ships our own command provider and cannot download plugins; the local stack needs no other.
  export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
  say "using the engine built from Go modules: $engine_bin/pulumi ($(pulumi version)), PULUMI_HOME=$PULUMI_HOME"
}

# A file backend and a per-machine passphrase, unless the user already chose a backend or a passphrase.
choose_backend_and_passphrase() {
  mkdir -p "$STATE_ROOT"
  if [ -z "${PULUMI_BACKEND_URL:-}" ] && ! pulumi whoami >/dev/null 2>&1; then
    mkdir -p "$STATE_ROOT/backend"
    export PULUMI_BACKEND_URL="file://$STATE_ROOT/backend"
    say "state: $PULUMI_BACKEND_URL"
  fi
  if [ -z "${PULUMI_CONFIG_PASSPHRASE:-}" ] && [ -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]; then
    local passphrase_file="$STATE_ROOT/passphrase"
    if [ ! -s "$passphrase_file" ]; then
      (umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$passphrase_file")
      say "generated the local stack's secrets passphrase in $passphrase_file (0600)"
    fi
    export PULUMI_CONFIG_PASSPHRASE_FILE="$passphrase_file"
  fi
}

# The bases the stack uses when none is chosen: the Dockerfile's ARG defaults and the Compose file's ${VAR:-default}s.
default_base_image() {
  local variable="$1" ref=""
  case "$variable" in
    BUILD_IMAGE | RUNTIME_IMAGE) ref="$(sed -n "s/^ARG $variable=//p" "$DOCKERFILE")" ;;
    POSTGRES_IMAGE | NGINX_IMAGE) ref="$(sed -n "s/.*\${$variable:-\([^}]*\)}.*/\1/p" "$COMPOSE_FILE")" ;;
    ACME_IMAGE) ref="$(sed -n "s/.*\${$variable:-\([^}]*\)}.*/\1/p" "$COMPOSE_TLS_FILE")" ;;
  esac
  [ -n "$ref" ] || fail "no default for $variable found in ${DOCKERFILE#"$REPO_ROOT/"} / ${COMPOSE_FILE#"$REPO_ROOT/"} / ${COMPOSE_TLS_FILE#"$REPO_ROOT/"}"
  printf '%s\n' "$ref"
}

image_available() {
  docker_cli image inspect "$1" >/dev/null 2>&1 || docker_cli pull -q "$1" >/dev/null 2>&1
}

# Builds the named stand-ins that are missing, then prints their KEY=value lines.
stand_in_image_env() { bash "$REPO_ROOT/scripts/stand-in-images.sh" --print-env "$@"; }

# HTTPS on the local stack (`httpsPort`) runs the acme service (the local CA), so its image is a base too.
local_tls_on() { [ -n "$(pulumi config get httpsPort --stack "$STACK" 2>/dev/null || true)" ]; }

# "A registry is reachable" only when every base the stack needs, and the user did not choose, is here or pullable;
# one present image (say the node base) says nothing about the PostgreSQL or nginx ones.
official_bases_available() {
  local variable ref
  for variable in "$@"; do
    ref="$(default_base_image "$variable")"
    if ! image_available "$ref"; then
      say "base image $ref ($variable) is neither here nor pullable"
      return 1
    fi
  done
}

# Offline machines (no image registry) use stand-in base images built from Debian packages for every base the
# user did not set.
choose_base_images() {
  local unset_bases=() variable line bases=(BUILD_IMAGE RUNTIME_IMAGE POSTGRES_IMAGE NGINX_IMAGE) stand_ins=(node-build node-runtime postgres nginx)
  if local_tls_on; then
    bases+=(ACME_IMAGE)
    stand_ins+=(acme)
  fi
  for variable in "${bases[@]}"; do
    [ -n "${!variable:-}" ] || unset_bases+=("$variable")
  done
  if [ ${#unset_bases[@]} -eq 0 ] || official_bases_available "${unset_bases[@]}"; then
    return
  fi
  say "no image registry reachable: using stand-in base images (scripts/stand-in-images.sh) for ${unset_bases[*]}"
  while IFS= read -r line; do
    variable="${line%%=*}"
    case " ${unset_bases[*]} " in *" $variable "*) export "${line?}" ;; esac
  done < <(stand_in_image_env "${stand_ins[@]}")
  # Such machines usually sit behind TLS inspection too; the bundle reaches the build as a secret only.
  if [ -z "${BUILD_CA_FILE:-}" ] && [ -r "$SYSTEM_CA_BUNDLE" ]; then export BUILD_CA_FILE="$SYSTEM_CA_BUNDLE"; fi
}

select_stack() {
  cd "$REPO_ROOT"
  pulumi stack select --create "$STACK" --non-interactive >/dev/null || fail "could not select or create stack '$STACK'"
}

select_existing_stack() {
  cd "$REPO_ROOT"
  pulumi stack select "$STACK" --non-interactive >/dev/null 2>&1 || fail "there is no local stack yet: npm run local:up"
}

stack_output() {
  pulumi stack output "$1" --stack "$STACK" 2>/dev/null || true
}

# The deploy program the stack's own deploys ran, with the same env file, project and state folder (its lock
# and release history), so that status and rollback see what `up` did.
deploy_program() {
  local verb="$1"; shift
  local env_file project
  env_file="$(stack_output envFile)"
  project="$(stack_output composeProject)"
  [ -n "$env_file" ] && [ -n "$project" ] || fail "the local stack runs nothing (no envFile/composeProject output): npm run local:up"
  DEPLOY_STATE_DIR="$(dirname "$env_file")/deploy" bash "$DEPLOY_PROGRAM" "$verb" "$@" --env local \
    --dir "$REPO_ROOT/app/deploy" --env-file "$env_file" --project "$project"
}

# Every container of the stack, each line prefixed with its name; `-f` follows them all until Ctrl-C.
show_logs() {
  local project names=() name
  project="$(stack_output composeProject)"
  [ -n "$project" ] || fail "the local stack runs nothing: npm run local:up"
  mapfile -t names < <(docker_cli ps -a --filter "label=com.docker.compose.project=$project" --format '{{.Names}}' | sort)
  [ ${#names[@]} -gt 0 ] || fail "no container of $project exists: npm run local:up"
  for name in "${names[@]}"; do
    docker_cli logs --tail "${LOG_LINES:-50}" "$@" "$name" 2>&1 | sed -u "s/^/$name | /" &
  done
  wait
}

print_next_steps() {
  local url="$1"
  printf '\nThe app answers on %s\n' "$url"
  printf '  %-10s %s\n' \
    "logs:" "npm run local:logs       (every container; npm run local:logs -- -f follows them)" \
    "status:" "npm run local:status     (the live release, the earlier ones, each container's health)" \
    "roll back:" "npm run local:rollback   (to the previous release; npm run local:rollback -- IMAGE for another)" \
    "tear down:" "npm run local:destroy    (containers, network and the database volume)"
}

run_action() {
  local action="$1"; shift
  case "$action" in
    up) pulumi up --yes --stack "$STACK" "$@"
        print_next_steps "$(pulumi stack output url --stack "$STACK")" ;;
    preview) pulumi preview --diff --stack "$STACK" "$@" ;;
    destroy) pulumi destroy --yes --stack "$STACK" "$@" ;;
    outputs) pulumi stack output --stack "$STACK" "$@" ;;
    status) deploy_program status
            printf 'url: %s\n' "$(stack_output url)" ;;
    logs) show_logs "$@" ;;
    rollback) deploy_program rollback "$@" ;;
  esac
}

main() {
  [ $# -ge 1 ] || usage
  local action="$1"; shift
  case "$action" in up | preview | destroy | outputs | status | logs | rollback) ;; *) usage ;; esac
  require_tools
  find_pulumi
  choose_backend_and_passphrase
  case "$action" in
    status | logs | rollback) select_existing_stack ;;
    *) select_stack
       choose_base_images ;;
  esac
  run_action "$action" "$@"
}

# Sourcing the script (tests drive its steps one by one) defines the functions and runs nothing.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then main "$@"; fi
