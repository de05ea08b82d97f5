#!/usr/bin/env bash
# Runs the main job on the embedded default stack `local`: the app image is built and the Compose stack
# (app + PostgreSQL + nginx) runs on this machine's Docker engine, on 127.0.0.1 only. No cloud, no GitLab.
# Usage: scripts/local-stack.sh up|preview|destroy|outputs [extra pulumi flags]
set -euo pipefail

readonly REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly STACK=local
readonly STATE_ROOT="${XDG_STATE_HOME:-$HOME/.local/state}/gitlab-docker-delivery"
readonly OFFICIAL_PROBE_IMAGE="node:22.12.0-alpine3.20"
readonly SYSTEM_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt

say() { printf '==> %s\n' "$*" >&2; }
fail() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }
usage() { sed -n 's/^# Usage: //p' "${BASH_SOURCE[0]}" >&2; exit 2; }

require_tools() {
  command -v node >/dev/null || fail "Node.js 20+ is needed (node not found)"
  [ -d "$REPO_ROOT/node_modules/@pulumi/pulumi" ] || fail "dependencies are missing: run 'npm ci' first"
  /usr/bin/docker info >/dev/null 2>&1 || docker info >/dev/null 2>&1 \
    || fail "no Docker engine answers: start dockerd (or Docker Desktop) and try again"
}

# The official CLI when it is installed; otherwise the one .ci/engine/build.sh builds from Go modules.
find_pulumi() {
  if command -v pulumi >/dev/null; then
    say "using $(command -v pulumi) ($(pulumi version))"
    return
  fi
  local engine_bin
  engine_bin="$(bash "$REPO_ROOT/.ci/engine/build.sh" --print-path)"
  [ -x "$engine_bin/pulumi" ] \
    || say "no pulumi CLI on PATH: building it from Go modules (.ci/engine/build.sh; several minutes the first time)"
  # Also installs its command provider into PULUMI_HOME; a no-op of a second when the cache is current.
  bash "$REPO_ROOT/.ci/engine/build.sh" >&2 || fail "could not build the Pulumi engine (see the lines above)"
  PATH="$engine_bin:$PATH"
  # That engine ships our own command provider and cannot download plugins; the local stack needs no other.
  export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
  say "using the engine built from Go modules: $engine_bin/pulumi ($(pulumi version))"
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

# Offline machines (no image registry) use stand-in base images built from Debian packages.
choose_base_images() {
  if [ -n "${BUILD_IMAGE:-}" ] || /usr/bin/docker image inspect "$OFFICIAL_PROBE_IMAGE" >/dev/null 2>&1 \
    || /usr/bin/docker pull -q "$OFFICIAL_PROBE_IMAGE" >/dev/null 2>&1; then
    return
  fi
  say "no image registry reachable: using stand-in base images (scripts/stand-in-images.sh)"
  local line
  while IFS= read -r line; do
    case "$line" in
      BUILD_IMAGE=* | RUNTIME_IMAGE=* | POSTGRES_IMAGE=* | NGINX_IMAGE=*) export "${line?}" ;;
    esac
  done < <(bash "$REPO_ROOT/scripts/stand-in-images.sh" --print-env)
  # Such machines usually sit behind TLS inspection too; the bundle reaches the build as a secret only.
  if [ -z "${BUILD_CA_FILE:-}" ] && [ -r "$SYSTEM_CA_BUNDLE" ]; then export BUILD_CA_FILE="$SYSTEM_CA_BUNDLE"; fi
}

select_stack() {
  cd "$REPO_ROOT"
  pulumi stack select --create "$STACK" --non-interactive >/dev/null || fail "could not select or create stack '$STACK'"
}

run_action() {
  local action="$1"; shift
  case "$action" in
    up) pulumi up --yes --stack "$STACK" "$@"
        say "the app answers on $(pulumi stack output url --stack "$STACK")" ;;
    preview) pulumi preview --diff --stack "$STACK" "$@" ;;
    destroy) pulumi destroy --yes --stack "$STACK" "$@" ;;
    outputs) pulumi stack output --stack "$STACK" "$@" ;;
  esac
}

main() {
  [ $# -ge 1 ] || usage
  local action="$1"; shift
  case "$action" in up | preview | destroy | outputs) ;; *) usage ;; esac
  require_tools
  find_pulumi
  choose_backend_and_passphrase
  choose_base_images
  select_stack
  run_action "$action" "$@"
}

main "$@"
