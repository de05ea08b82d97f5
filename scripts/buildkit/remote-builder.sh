#!/usr/bin/env bash
# Registers a BuildKit daemon that is reachable over TCP (the deploy jobs' rootless BuildKit service) as a buildx
# builder with the `remote` driver, so that the docker-build provider, which embeds buildx and takes a builder by
# name, builds on it. The job image has no docker CLI or buildx, so this writes the builder into buildx's store
# itself: $DOCKER_CONFIG/buildx/instances/<name>, the JSON `docker buildx create --driver remote` writes (a node
# group with one node). tests/image/rootless-builder.test.ts builds through a builder registered by this script.
#
# Usage: scripts/buildkit/remote-builder.sh NAME ENDPOINT    e.g. remote-builder.sh cicd-rootless tcp://buildkitd:1234
# Environment: DOCKER_CONFIG (default $HOME/.docker), as buildx reads it.
set -euo pipefail

readonly USAGE="Usage: $0 NAME ENDPOINT   (ENDPOINT: tcp://HOST:PORT or unix:///PATH)"

say() { printf '==> remote-builder: %s\n' "$*" >&2; }
fail() { printf 'ERROR: remote-builder: %s\n' "$*" >&2; exit 1; }

check_arguments() {
  [ $# -eq 2 ] || { echo "$USAGE" >&2; fail "expected NAME and ENDPOINT, got $# argument(s)"; }
  # buildx's own rule for names; it stores them lower-cased.
  [[ "$1" =~ ^[a-zA-Z][a-zA-Z0-9._+-]*$ ]] || fail "'$1' is not a buildx builder name (a letter, then letters, digits, . _ + -)"
  [[ "$2" =~ ^(tcp://[A-Za-z0-9._-]+:[0-9]+|unix:///[^\"[:space:]]+)$ ]] || fail "'$2' is not a tcp://HOST:PORT or unix:///PATH endpoint"
}

write_builder() {
  local name="$1" endpoint="$2" dir
  dir="${DOCKER_CONFIG:-$HOME/.docker}/buildx/instances"
  mkdir -p "$dir"
  chmod 700 "${dir%/instances}" "$dir"
  (umask 077 && printf '{"Name":"%s","Driver":"remote","Nodes":[{"Name":"%s0","Endpoint":"%s","Platforms":null,"DriverOpts":{},"Flags":null,"Files":null}],"Dynamic":false}\n' \
    "$name" "$name" "$endpoint" > "$dir/${name,,}")
  say "buildx builder '$name' (driver remote) -> $endpoint"
}

main() {
  check_arguments "$@"
  write_builder "$@"
}

main "$@"
