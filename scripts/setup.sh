#!/usr/bin/env bash
# Prepares a Debian or Ubuntu machine for this project: it finds what is here, says what it will install, installs
# only what is missing (the one part that needs root: sudo when you are not root), then builds what the project
# builds for itself. A second run finds everything in place and changes nothing.
#
#   scripts/setup.sh          what `npm run local:up` needs: a Docker engine with Compose, npm (npm ci brings
#                             Node.js 24 itself: the devDependency `node`), the Pulumi engine built from Go modules
#                             unless a `pulumi` is on PATH, and stand-in base images only where no image registry answers
#   scripts/setup.sh --tests  also what `npm test` needs: PostgreSQL on 127.0.0.1:5432, rsync, openssh-client, git,
#                             check-jsonschema, and the simulated-host and registry images
#
# Usage: scripts/setup.sh [--tests] [--plan]
#   --plan  print what would be installed and built, and change nothing
# Environment: SETUP_OS_RELEASE (default /etc/os-release), TEST_DATABASE_URL (a database of yours: no PostgreSQL is
#              installed), PROGRESS_INTERVAL (seconds between progress lines of the long builds, default 10).
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly REPO_ROOT
readonly OS_RELEASE="${SETUP_OS_RELEASE:-/etc/os-release}"
readonly PG_ADDRESS=127.0.0.1
readonly PG_PORT=5432
readonly SCHEMA_VALIDATOR_VERSION=0.39.0
readonly SCHEMA_VALIDATOR_PREFIX=/opt/check-jsonschema
readonly CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt
readonly STAND_IN_SCRIPT="$REPO_ROOT/scripts/stand-in-images.sh"
readonly ENGINE_SCRIPT="$REPO_ROOT/.ci/engine/build.sh"

WITH_TESTS=false
PLAN_ONLY=false
# What this run will do, filled in by the plan_* steps and announced before anything happens.
APT_PACKAGES=()
ROOT_STEPS=()
BUILDS=()
FOUND=()
DOCKER_CMD=""
SETUP_ARGS=""

say() { printf '==> setup: %s\n' "$*" >&2; }
fail() { printf 'ERROR: setup: %s\n' "$*" >&2; exit 1; }
usage() { sed -n 's/^# Usage: //p' "${BASH_SOURCE[0]}" >&2; }
has() { command -v "$1" >/dev/null 2>&1; }
is_root() { [ "$(id -u)" -eq 0 ]; }

parse_args() {
  SETUP_ARGS="$*"
  while [ $# -gt 0 ]; do
    case "$1" in
      --tests) WITH_TESTS=true ;;
      --plan) PLAN_ONLY=true ;;
      -h | --help) usage; exit 0 ;;
      *) usage; fail "unknown argument '$1' (allowed: --tests, --plan, --help)" ;;
    esac
    shift
  done
}

# What a machine of another kind needs, by hand, in one line.
manual_list() {
  local list="a Docker engine with Compose, Node.js 24 with npm, Go $(engine_go_version)+ (or a Pulumi CLI on PATH)"
  if $WITH_TESTS; then
    list+=", PostgreSQL with postgres:postgres on $PG_ADDRESS:$PG_PORT (or set TEST_DATABASE_URL), rsync, openssh-client, git, check-jsonschema $SCHEMA_VALIDATOR_VERSION"
  fi
  printf '%s' "$list"
}

engine_go_version() { sed -n 's/^go //p' "$REPO_ROOT/.ci/engine/wrapper/go.mod"; }

os_release_value() {
  sed -n "s/^$1=//p" "$OS_RELEASE" | head -n 1 | tr -d '"'"'"
}

check_supported_os() {
  [ -r "$OS_RELEASE" ] || fail "cannot read $OS_RELEASE to tell which system this is; this script knows Debian and Ubuntu only: install by hand $(manual_list)"
  local id like name
  id="$(os_release_value ID)"
  like="$(os_release_value ID_LIKE)"
  name="$(os_release_value PRETTY_NAME)"
  case " $id $like " in
    *" debian "* | *" ubuntu "*) FOUND+=("${name:-$id}") ;;
    *) fail "${name:-${id:-this system}} is not Debian or Ubuntu: install by hand $(manual_list), then run the README's two lines" ;;
  esac
}

# --- what is here, what is missing ---------------------------------------------------------------------------

need_package() {
  local package
  for package in "$@"; do
    case " ${APT_PACKAGES[*]} " in *" $package "*) ;; *) APT_PACKAGES+=("$package") ;; esac
  done
}

docker_answers() { [ -n "$DOCKER_CMD" ] && "$DOCKER_CMD" info >/dev/null 2>&1; }

compose_here() {
  { [ -n "$DOCKER_CMD" ] && "$DOCKER_CMD" compose version >/dev/null 2>&1; } || has docker-compose
}

# A Docker that is here (Docker Desktop, docker-ce, the distribution's docker.io) is used as it is.
plan_docker() {
  DOCKER_CMD="$(command -v docker || true)"
  if [ -z "$DOCKER_CMD" ]; then
    need_package docker.io
  elif docker_answers; then
    FOUND+=("Docker at $DOCKER_CMD (the engine answers)")
  else
    FOUND+=("Docker at $DOCKER_CMD (the engine does not answer yet)")
  fi
  if compose_here; then
    FOUND+=("Compose")
  else
    # Debian's and Ubuntu's Compose: v1.29 on bookworm, the v2 plugin on trixie; the stack runs with either.
    need_package docker-compose
  fi
  if [ -z "$DOCKER_CMD" ] || ! docker_answers; then ROOT_STEPS+=("start the Docker engine"); fi
}

plan_node() {
  if has npm; then
    FOUND+=("npm $(npm --version 2>/dev/null || echo '?') (npm ci brings Node.js 24 for the npm scripts)")
  else
    # Any npm will do: the devDependency `node` gives every npm script Node.js 24, from the npm registry.
    need_package npm
  fi
  [ -r "$CA_BUNDLE" ] || need_package ca-certificates
}

engine_state() {
  bash -c 'source "$1"; if engine_already_on_path; then echo user-cli; elif cache_is_current; then echo cached; fi' \
    _ "$ENGINE_SCRIPT"
}

go_here() { bash -c 'source "$1"; locate_go' _ "$ENGINE_SCRIPT" >/dev/null 2>&1; }

plan_engine() {
  case "$(engine_state)" in
    user-cli) FOUND+=("your pulumi at $(command -v pulumi) (used as it is: nothing is built)") ;;
    cached) FOUND+=("the Pulumi engine built earlier ($(bash "$ENGINE_SCRIPT" --print-path))") ;;
    *)
      BUILDS+=("the Pulumi engine from Go modules (.ci/engine/build.sh)")
      if go_here; then
        FOUND+=("Go $(engine_go_version)+")
      else
        # build.sh fetches Go from the Go module proxy: curl, and unzip (or python3) to unpack it.
        has curl || need_package curl
        has unzip || has python3 || need_package unzip
      fi ;;
  esac
}

# Only a machine that reaches no image registry needs the stand-in bases; it asks the same question local:up asks.
official_bases_reachable() {
  bash -c 'source "$1"; docker_cli() { "$2" "${@:3}"; }; official_bases_available BUILD_IMAGE RUNTIME_IMAGE POSTGRES_IMAGE NGINX_IMAGE' \
    _ "$REPO_ROOT/scripts/local-stack.sh" "$DOCKER_CMD" 2>/dev/null
}

stand_ins_missing() { ! bash "$STAND_IN_SCRIPT" --check "$@" >/dev/null 2>&1; }

STAND_IN_IMAGES=()
plan_stand_in_images() {
  STAND_IN_IMAGES=()
  if docker_answers; then
    if ! official_bases_reachable && stand_ins_missing; then STAND_IN_IMAGES+=(node-build node-runtime postgres nginx); fi
    if $WITH_TESTS && stand_ins_missing sim-host registry; then STAND_IN_IMAGES+=(sim-host registry); fi
  else
    # Unknown until the engine runs: planned as if nothing were reachable, the build skips what is there.
    STAND_IN_IMAGES+=(node-build node-runtime postgres nginx)
    if $WITH_TESTS; then STAND_IN_IMAGES+=(sim-host registry); fi
  fi
  if [ ${#STAND_IN_IMAGES[@]} -gt 0 ]; then
    BUILDS+=("stand-in images from Debian packages, as root: ${STAND_IN_IMAGES[*]} (scripts/stand-in-images.sh)")
    has debootstrap || need_package debootstrap
  fi
}

postgres_answers() { (exec 3<>"/dev/tcp/$PG_ADDRESS/$PG_PORT") 2>/dev/null; }

plan_test_tools() {
  $WITH_TESTS || return 0
  if [ -n "${TEST_DATABASE_URL:-}" ]; then
    FOUND+=("your test database (TEST_DATABASE_URL)")
  elif postgres_answers; then
    FOUND+=("PostgreSQL on $PG_ADDRESS:$PG_PORT")
  else
    has pg_ctlcluster || need_package postgresql
    ROOT_STEPS+=("start PostgreSQL and set the postgres role's password to 'postgres' (the tests' throwaway databases)")
  fi
  local tool package
  for tool in rsync:rsync ssh:openssh-client ssh-keygen:openssh-client git:git openssl:openssl ip:iproute2; do
    package="${tool#*:}"
    has "${tool%%:*}" || need_package "$package"
  done
  if has check-jsonschema; then
    FOUND+=("check-jsonschema")
  else
    has python3 && python3 -c 'import ensurepip, venv' 2>/dev/null || need_package python3-venv
    ROOT_STEPS+=("install check-jsonschema $SCHEMA_VALIDATOR_VERSION from PyPI into $SCHEMA_VALIDATOR_PREFIX")
  fi
}

announce_plan() {
  say "this machine: ${FOUND[0]}"
  if [ ${#FOUND[@]} -gt 1 ]; then
    local here
    here="$(printf '%s; ' "${FOUND[@]:1}")"
    say "using what is here: ${here%; }"
  fi
  if [ ${#APT_PACKAGES[@]} -eq 0 ] && [ ${#ROOT_STEPS[@]} -eq 0 ]; then
    say "nothing to install"
  else
    local how="as root"
    is_root || how="with sudo"
    [ ${#APT_PACKAGES[@]} -eq 0 ] || say "will install $how: apt-get install ${APT_PACKAGES[*]}"
    local step
    for step in "${ROOT_STEPS[@]}"; do say "will $step ($how)"; done
  fi
  if [ ${#BUILDS[@]} -eq 0 ]; then
    say "nothing to build"
  else
    local build
    for build in "${BUILDS[@]}"; do say "will build: $build"; done
  fi
  if $WITH_TESTS; then say "then the tools the tests need, each building only what is missing (provide_test_tools)"; fi
}

# --- the root part ------------------------------------------------------------------------------------------

as_root() {
  if is_root; then
    "$@"
  elif has sudo; then
    sudo -- "$@"
  else
    fail "root is needed for: $* (sudo is not installed); run this once as root: su -c 'bash $REPO_ROOT/scripts/setup.sh${SETUP_ARGS:+ $SETUP_ARGS}'"
  fi
}

install_packages() {
  [ ${#APT_PACKAGES[@]} -gt 0 ] || return 0
  say "installing ${APT_PACKAGES[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq || fail "apt-get update failed"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${APT_PACKAGES[@]}" >/dev/null \
    || fail "apt-get install ${APT_PACKAGES[*]} failed"
  DOCKER_CMD="$(command -v docker || true)"
}

start_docker_engine() {
  docker_answers && return 0
  [ -n "$DOCKER_CMD" ] || fail "no docker command after the install"
  if as_root "$DOCKER_CMD" info >/dev/null 2>&1; then
    fail "the Docker engine runs, but your user may not use it: sudo usermod -aG docker $(id -un), log in again, run this again"
  fi
  say "starting the Docker engine"
  if [ -d /run/systemd/system ]; then
    as_root systemctl start docker || fail "systemctl start docker failed (journalctl -u docker says why)"
  else
    # No systemd (containers, CI machines): the daemon in the background, its log beside the others.
    as_root sh -c 'nohup dockerd >/var/log/dockerd.log 2>&1 &'
  fi
  local _
  for _ in $(seq 1 60); do
    as_root "$DOCKER_CMD" info >/dev/null 2>&1 && break
    sleep 1
  done
  as_root "$DOCKER_CMD" info >/dev/null 2>&1 || fail "the Docker engine did not answer within 60 s (see /var/log/dockerd.log or journalctl -u docker)"
  docker_answers || fail "the Docker engine runs, but your user may not use it: sudo usermod -aG docker $(id -un), log in again, run this again"
}

start_postgresql() {
  [ -z "${TEST_DATABASE_URL:-}" ] && ! postgres_answers || return 0
  local version
  version="$(pg_lsclusters --no-header 2>/dev/null | awk 'NR == 1 { print $1 }')"
  [ -n "$version" ] || fail "PostgreSQL is installed but has no cluster (pg_lsclusters lists none); pg_createcluster --start <version> main"
  say "starting PostgreSQL $version on $PG_ADDRESS:$PG_PORT"
  as_root pg_ctlcluster "$version" main start 2>/dev/null || postgres_answers || fail "PostgreSQL cluster $version/main did not start"
  # The tests log in over TCP with a throwaway password; this cluster holds only test databases.
  as_root runuser -u postgres -- psql -qc "ALTER USER postgres PASSWORD 'postgres'" \
    || fail "could not set the test password for the postgres role"
}

install_schema_validator() {
  has check-jsonschema && return 0
  say "installing check-jsonschema $SCHEMA_VALIDATOR_VERSION (validates .gitlab-ci.yml against GitLab's CI schema, offline)"
  as_root python3 -m venv "$SCHEMA_VALIDATOR_PREFIX" || fail "python3 -m venv $SCHEMA_VALIDATOR_PREFIX failed"
  as_root "$SCHEMA_VALIDATOR_PREFIX/bin/pip" install --quiet "check-jsonschema==$SCHEMA_VALIDATOR_VERSION" \
    || fail "pip install check-jsonschema==$SCHEMA_VALIDATOR_VERSION failed"
  as_root ln -sf "$SCHEMA_VALIDATOR_PREFIX/bin/check-jsonschema" /usr/local/bin/check-jsonschema
}

# --- the builds: the engine (Go, CPU) and the stand-in images (apt and debootstrap, network) side by side -------

prefixed() {
  local label="$1"; shift
  "$@" 2>&1 | sed -u "s/^/[$label] /"
}

build_engine() { bash "$ENGINE_SCRIPT"; }
build_stand_in_images() { as_root bash "$STAND_IN_SCRIPT" "$@"; }

# The CPU lane: the engine, then the tools the tests need (Go builds too; they may use the Go the engine build fetched).
cpu_lane() {
  if [ -z "$(engine_state)" ]; then prefixed engine build_engine || return 1; fi
  if $WITH_TESTS; then prefixed tools provide_test_tools || return 2; fi
}

run_builds() {
  # The plan guessed the stand-ins while no engine ran; now it can ask.
  if [ ${#STAND_IN_IMAGES[@]} -gt 0 ]; then plan_stand_in_images; fi
  local cpu_pid images_pid="" status=0 failed=()
  cpu_lane &
  cpu_pid=$!
  if [ ${#STAND_IN_IMAGES[@]} -gt 0 ]; then
    prefixed images build_stand_in_images "${STAND_IN_IMAGES[@]}" &
    images_pid=$!
  fi
  wait "$cpu_pid" || status=$?
  case "$status" in
    0) ;;
    1) failed+=("the Pulumi engine (.ci/engine/build.sh)") ;;
    *) failed+=("the tools the tests need (provide_test_tools in scripts/setup.sh)") ;;
  esac
  if [ -n "$images_pid" ]; then wait "$images_pid" || failed+=("the stand-in images (scripts/stand-in-images.sh)"); fi
  [ ${#failed[@]} -eq 0 ] || fail "building ${failed[*]} failed: see the lines above"
}

# Tools the tests need that no Debian package gives (Pebble, BuildKit, ...): each a script of its own under scripts/,
# idempotent, cached under ${CICD_CACHE:-$HOME/.cache}/cicd-<tool>, printing progress at least every 10 s.
# Add ONE line per tool here. They run after the engine build and beside the stand-in images (run_builds).
provide_test_tools() {
  bash "$REPO_ROOT/scripts/moto-server.sh"
  bash "$REPO_ROOT/scripts/pebble-build.sh"   # Pebble, the ACME test CA of tests/deploy/tls.test.ts (1 to 3 min cold)
  bash "$REPO_ROOT/scripts/trivy-build.sh"   # Trivy, the offline scans of tests/scan/trivy-offline.test.ts (about 15 CPU-minutes cold)
  bash "$REPO_ROOT/scripts/buildkit/rootless-image.sh"   # rootless BuildKit, the deploy jobs' builder in tests/image/rootless-builder.test.ts (about 15 min cold)
}

main() {
  parse_args "$@"
  check_supported_os
  plan_docker
  plan_node
  plan_engine
  plan_stand_in_images
  plan_test_tools
  announce_plan
  $PLAN_ONLY && return 0
  # One password prompt, now, rather than one in the middle of the builds' output.
  if ! is_root && has sudo && { [ ${#APT_PACKAGES[@]} -gt 0 ] || [ ${#ROOT_STEPS[@]} -gt 0 ] || [ ${#STAND_IN_IMAGES[@]} -gt 0 ]; }; then
    sudo -v || fail "sudo refused: the steps above need root"
  fi
  install_packages
  start_docker_engine
  if $WITH_TESTS; then
    start_postgresql
    install_schema_validator
  fi
  run_builds
  if $WITH_TESTS; then say "ready for the tests: npm ci && npm test"; else say "ready: npm ci && npm run local:up"; fi
}

# Sourcing the script (tests drive its steps one by one) defines the functions and runs nothing.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then main "$@"; fi
