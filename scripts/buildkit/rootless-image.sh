#!/usr/bin/env bash
# Builds the stand-in for the official rootless BuildKit image (moby/buildkit:<version>-rootless), which the
# deploy jobs run as their build service: no image registry is reachable here and Debian ships no buildkitd.
# buildkitd and buildctl are built from BuildKit's Go module; rootlesskit, newuidmap/newgidmap (uidmap) and runc
# come from Debian trixie, like the official image's (newuidmap/newgidmap with a file capability instead of setuid,
# see the Dockerfile below). It runs as uid 1000 under `rootlesskit buildkitd`, exactly
# the official image's entrypoint. The image also carries Debian's docker-buildx, the client the tests drive it
# with (the docker-build provider embeds the same buildx code).
# The Go build (several minutes cold on 2 cores) and its module cache live outside the repository, so a second
# run costs seconds; the image is rebuilt only when it is missing or of another BuildKit version.
#
# Usage: scripts/buildkit/rootless-image.sh [--rebuild] [--print-image] [--check]
#   --rebuild      build the image again even if it exists (the Go build stays cached)
#   --print-image  print the image's tag on stdout when done
#   --check        build nothing: fail with a message naming this script when the image is missing (the tests)
# Environment: CICD_CACHE (default $HOME/.cache; the cache is $CICD_CACHE/cicd-buildkit), GO (default: go on PATH,
# else the one .ci/engine/build.sh finds or fetches).
set -euo pipefail

readonly USAGE="Usage: $0 [--rebuild] [--print-image] [--check]"
readonly BUILDKIT_MODULE="github.com/moby/buildkit"
readonly BUILDKIT_VERSION="v0.34.2"
readonly CACHE_DIR="${CICD_CACHE:-$HOME/.cache}/cicd-buildkit"
readonly BIN_DIR="$CACHE_DIR/bin/$BUILDKIT_VERSION"
readonly IMAGE="cicd-standin/buildkit:$BUILDKIT_VERSION-rootless"
readonly DOCKER=/usr/bin/docker
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly SCRIPT_DIR
readonly STAND_IN_SCRIPT="$SCRIPT_DIR/../stand-in-images.sh"
readonly ENGINE_SCRIPT="$SCRIPT_DIR/../../.ci/engine/build.sh"
# The smallest trixie stand-in, which every run builds anyway.
readonly BASE_IMAGE="cicd-standin/node-runtime:trixie"

rebuild=false
context_dir=""
print_image=false
check_only=false
go_cmd=""

say() { printf '==> buildkit: %s\n' "$*" >&2; }
fail() { printf 'ERROR: buildkit: %s\n' "$*" >&2; exit 1; }

parse_arguments() {
  while [ $# -gt 0 ]; do
    case "$1" in
      --rebuild) rebuild=true ;;
      --print-image) print_image=true ;;
      --check) check_only=true ;;
      -h|--help) echo "$USAGE"; exit 0 ;;
      *) echo "$USAGE" >&2; fail "unknown argument '$1' (allowed: --rebuild, --print-image, --check, --help)" ;;
    esac
    shift
  done
}

# Runs "$@" and prints a progress line every 10 s while it runs (a cold Go build is silent for minutes).
with_progress() {
  local what="$1"; shift
  local started pid
  started=$(date +%s)
  "$@" &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    sleep 10 & wait $! || true
    kill -0 "$pid" 2>/dev/null && say "$what: still running ($(( $(date +%s) - started )) s)"
  done
  wait "$pid" || return $?
  say "$what: done in $(( $(date +%s) - started )) s"
}

# Go on PATH, or the engine build's own (.ci/engine/build.sh fetches golang.org/toolchain when there is none); an
# older go switches itself to the release BuildKit's go.mod names (GOTOOLCHAIN=auto), also from the module proxy.
find_go() {
  go_cmd="${GO:-$(command -v go || true)}"
  [ -n "$go_cmd" ] || [ ! -x /usr/local/go/bin/go ] || go_cmd=/usr/local/go/bin/go
  [ -n "$go_cmd" ] || go_cmd="$(bash -c 'source "$1"; go_cmd=""; find_go >&2; printf %s "$go_cmd"' _ "$ENGINE_SCRIPT")"
  [ -n "$go_cmd" ] || fail "no Go found or fetched (set GO=/path/to/go): buildkitd is built from Go modules"
}

check_prerequisites() {
  [ -x "$DOCKER" ] || fail "$DOCKER not found: apt-get install -y docker.io"
  "$DOCKER" info >/dev/null 2>&1 || fail "the Docker engine does not answer on /var/run/docker.sock (is dockerd running?)"
}

binaries_current() {
  [ -x "$BIN_DIR/buildkitd" ] && [ -x "$BIN_DIR/buildctl" ] && "$BIN_DIR/buildkitd" --version 2>/dev/null | grep -qF " $BUILDKIT_VERSION "
}

# `go install module@version` refuses BuildKit (its go.mod has exclude directives), so the module's source is
# the main module of the build: its own go.mod, replaces and excludes apply, as in BuildKit's release builds.
go_build_binaries() {
  local src
  export GOMODCACHE="$CACHE_DIR/gomod" GOCACHE="$CACHE_DIR/gocache" GOFLAGS=-mod=mod CGO_ENABLED=0
  src="$("$go_cmd" mod download -json "$BUILDKIT_MODULE@$BUILDKIT_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  [ -n "$src" ] && [ -d "$src" ] || fail "go mod download $BUILDKIT_MODULE@$BUILDKIT_VERSION gave no source folder"
  rm -rf "$CACHE_DIR/src" && cp -r "$src" "$CACHE_DIR/src" && chmod -R u+w "$CACHE_DIR/src"
  mkdir -p "$BIN_DIR"
  (cd "$CACHE_DIR/src" && nice -n 10 "$go_cmd" build \
    -ldflags "-X $BUILDKIT_MODULE/version.Version=$BUILDKIT_VERSION -X $BUILDKIT_MODULE/version.Package=$BUILDKIT_MODULE" \
    -o "$BIN_DIR/" ./cmd/buildkitd ./cmd/buildctl)
}

build_binaries() {
  if binaries_current; then
    say "buildkitd and buildctl $BUILDKIT_VERSION already built in $BIN_DIR"
    return
  fi
  find_go
  say "building buildkitd and buildctl $BUILDKIT_VERSION from Go modules with $go_cmd (cache: $CACHE_DIR; about 15 min cold on 2 busy cores)"
  mkdir -p "$CACHE_DIR"
  with_progress "go build of buildkitd and buildctl" go_build_binaries || fail "the Go build of BuildKit $BUILDKIT_VERSION failed (see above)"
  binaries_current || fail "$BIN_DIR/buildkitd --version does not report $BUILDKIT_VERSION"
}

image_current() {
  [ "$("$DOCKER" image inspect -f '{{index .Config.Labels "cicd.buildkit.version"}}' "$IMAGE" 2>/dev/null)" = "$BUILDKIT_VERSION" ]
}

build_image() {
  if ! $rebuild && image_current; then
    say "$IMAGE already built"
    return
  fi
  "$DOCKER" image inspect "$BASE_IMAGE" >/dev/null 2>&1 || bash "$STAND_IN_SCRIPT" node-runtime
  context_dir="$(mktemp -d)"
  trap 'rm -rf "$context_dir"' EXIT
  cp "$BIN_DIR/buildkitd" "$BIN_DIR/buildctl" "$context_dir/"
  cat > "$context_dir/Dockerfile" <<DOCKERFILE
FROM $BASE_IMAGE
RUN apt-get update -qq \\
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends rootlesskit uidmap runc docker-buildx libcap2-bin ca-certificates >/dev/null \\
 && rm -rf /var/lib/apt/lists/*
# Debian's newuidmap/newgidmap are setuid root and built without libcap, so in a container without CAP_SYS_ADMIN
# the kernel refuses their write to uid_map (the namespace's owner is uid 1000, they run as uid 0). BuildKit's
# official image builds them with libcap for this reason; here a file capability does the same: they run as the
# caller, the namespace's owner, with CAP_SETUID (CAP_SETGID) alone.
RUN chmod u-s /usr/bin/newuidmap /usr/bin/newgidmap \\
 && setcap cap_setuid=ep /usr/bin/newuidmap && setcap cap_setgid=ep /usr/bin/newgidmap
# The official rootless image's layout: user 1000 with a subordinate id range for the user namespace.
RUN useradd --create-home --uid 1000 --user-group user \\
 && echo user:100000:65536 > /etc/subuid && echo user:100000:65536 > /etc/subgid \\
 && mkdir -p /run/user/1000 /home/user/.local/share/buildkit \\
 && chown -R user:user /run/user/1000 /home/user
COPY buildkitd buildctl /usr/local/bin/
USER 1000:1000
WORKDIR /home/user
# buildkitd takes its rootless defaults (state under ~/.local/share/buildkit) only when USER is not root.
ENV HOME=/home/user USER=user XDG_RUNTIME_DIR=/run/user/1000 BUILDKIT_HOST=unix:///run/user/1000/buildkit/buildkitd.sock
VOLUME /home/user/.local/share/buildkit
LABEL cicd.buildkit.version=$BUILDKIT_VERSION
ENTRYPOINT ["rootlesskit", "buildkitd"]
DOCKERFILE
  say "building $IMAGE from $BASE_IMAGE (Debian: rootlesskit uidmap runc docker-buildx)"
  # The classic builder resolves FROM against local images only (no registry is reachable).
  with_progress "docker build of $IMAGE" env DOCKER_BUILDKIT=0 "$DOCKER" build --quiet --tag "$IMAGE" "$context_dir" >/dev/null \
    || fail "docker build of $IMAGE failed (see above)"
}

main() {
  parse_arguments "$@"
  if $check_only; then
    image_current || fail "$IMAGE is not built: run scripts/buildkit/rootless-image.sh (.ci/run does; the first run builds BuildKit from Go modules)"
    if $print_image; then printf '%s\n' "$IMAGE"; fi
    return
  fi
  check_prerequisites
  build_binaries
  build_image
  if $print_image; then printf '%s\n' "$IMAGE"; fi
}

main "$@"
