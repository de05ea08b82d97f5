#!/usr/bin/env bash
# Installs moto 5.2.5 (PyPI) with its server extra into a virtualenv outside the repository, so tests have an
# S3-compatible server on loopback (`moto_server -H 127.0.0.1 -p PORT`). The backup drill (tests/deploy/backup)
# points pgBackRest at it. A second run with a complete venv is a no-op.
#
# Usage: scripts/moto-server.sh [--print-bin]
#   --print-bin  print the path of moto_server on stdout after installing
# Environment: CICD_CACHE (default $HOME/.cache): the venv lives in $CICD_CACHE/cicd-moto/venv-<version>.
set -euo pipefail

readonly MOTO_VERSION=5.2.5
readonly USAGE="Usage: $0 [--print-bin]"
readonly CACHE_ROOT="${CICD_CACHE:-${HOME:-/root}/.cache}/cicd-moto"
readonly VENV="$CACHE_ROOT/venv-$MOTO_VERSION"
readonly PROGRESS_SECONDS=10

say() { printf '==> moto: %s\n' "$*" >&2; }
fail() { printf 'ERROR: moto: %s\n' "$*" >&2; exit 1; }

print_bin=false

parse_arguments() {
  while [ $# -gt 0 ]; do
    case "$1" in
      --print-bin) print_bin=true ;;
      -h|--help) echo "$USAGE"; exit 0 ;;
      *) echo "$USAGE" >&2; fail "unknown argument '$1' (allowed: --print-bin, --help)" ;;
    esac
    shift
  done
}

venv_is_complete() { [ -f "$VENV/.complete" ] && [ -x "$VENV/bin/moto_server" ]; }

ensure_python_venv() {
  command -v python3 >/dev/null || fail "python3 is not installed: apt-get install -y python3 python3-venv"
  python3 -c 'import ensurepip, venv' 2>/dev/null && return
  say "installing python3-venv from Debian (the venv module needs it)"
  [ "$(id -u)" -eq 0 ] || fail "python3-venv is missing and installing it needs root: apt-get install -y python3-venv"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-venv >/dev/null \
    || fail "apt-get install python3-venv failed"
}

# pip is quiet for long stretches while it resolves and builds wheels; say it is still working.
run_with_progress() {
  local what="$1"; shift
  "$@" &
  local pid=$! waited=0
  while kill -0 "$pid" 2>/dev/null; do
    sleep 1
    waited=$((waited + 1))
    if [ $((waited % PROGRESS_SECONDS)) -eq 0 ]; then say "still $what (${waited} s)"; fi
  done
  wait "$pid" || fail "$what failed (see pip's output above)"
}

install_moto() {
  say "installing moto[server]==$MOTO_VERSION from PyPI into $VENV"
  rm -rf "$VENV"
  mkdir -p "$CACHE_ROOT"
  python3 -m venv "$VENV" || fail "could not create the virtualenv $VENV"
  run_with_progress "installing moto[server]==$MOTO_VERSION" \
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION"
  "$VENV/bin/moto_server" --help >/dev/null || fail "moto_server does not run from $VENV"
  touch "$VENV/.complete"
  say "installed moto $MOTO_VERSION"
}

main() {
  parse_arguments "$@"
  if venv_is_complete; then
    say "moto $MOTO_VERSION present in $VENV"
  else
    ensure_python_venv
    install_moto
  fi
  if $print_bin; then printf '%s\n' "$VENV/bin/moto_server"; fi
}

main "$@"
