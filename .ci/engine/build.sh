#!/usr/bin/env bash
# Builds the Pulumi engine from Go modules, because no registry reached here ships its binaries:
# the CLI (github.com/pulumi/pulumi/pkg/v3/cmd/pulumi), a Node.js language host and a command provider
# (both in .ci/engine/wrapper/cmd: their official modules are not served by the Go module proxy; see docs/engine.md).
# Binaries and the Go caches live outside the repository so that a second run is fast.
#
# The engine has a Pulumi home of its own under the cache: our stand-in command provider is installed there under
# the official provider's name and version, so it must never land in the user's ~/.pulumi or $PULUMI_HOME, where
# an official CLI installed later would pick it up for every project.
#
# Usage: .ci/engine/build.sh [--force] [--print-path] [--print-home] [--try-docker-build] [--help]
#   --force             build even when a pulumi binary is already on PATH or the cache is up to date
#   --print-path        print the folder holding pulumi and pulumi-language-nodejs (for PATH) and exit
#   --print-home        print the engine's private Pulumi home (set PULUMI_HOME to it with this engine) and exit
#   --try-docker-build  also try to fetch the docker-build provider's module (not served here; records the error)
# Environment: CICD_ENGINE_CACHE (default $HOME/.cache/cicd-engine; the private Pulumi home is its pulumi-home/),
# GO (the go command; default: go on PATH, else /usr/local/go/bin/go, else the toolchain this script fetched from
# the Go module proxy into $CICD_ENGINE_CACHE/go), PROGRESS_INTERVAL (seconds between progress lines, default 10).
# The user's PULUMI_HOME is never used.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly SCRIPT_DIR
# shellcheck source=../../scripts/lib/progress.sh
source "$SCRIPT_DIR/../../scripts/lib/progress.sh"
readonly WRAPPER_DIR="$SCRIPT_DIR/wrapper"
readonly PULUMI_VERSION="v3.274.1"        # must equal the pkg/v3 and sdk/v3 versions in wrapper/go.mod
readonly COMMAND_PLUGIN_VERSION="1.2.1"   # the @pulumi/command release the stand-in provider answers for
readonly DOCKER_BUILD_MODULE="github.com/pulumi/pulumi-docker-build/provider"
readonly DOCKER_BUILD_VERSION="v0.0.22"   # matches @pulumi/docker-build 0.0.22
readonly CACHE_ROOT="${CICD_ENGINE_CACHE:-$HOME/.cache/cicd-engine}"
readonly BIN_DIR="$CACHE_ROOT/bin"
readonly PLUGIN_DIR="$CACHE_ROOT/plugins"
readonly STAMP_FILE="$CACHE_ROOT/build.stamp"
readonly ENGINE_PULUMI_HOME="$CACHE_ROOT/pulumi-home"
readonly TOOLCHAIN_ROOT="$CACHE_ROOT/go"
# Cold on 2 cores: about 7 min on an unloaded machine; 1392 s (docs/engine.md) and 1599 s (docs/setup.md) with five other jobs running.
readonly COLD_BUILD_ESTIMATE="usually 7 min on 2 idle cores, 13-27 min on a busy machine; seconds once cached"

force=false
print_path=false
print_home=false
try_docker_build=false
go_cmd=""

say() { printf '==> engine: %s\n' "$*" >&2; }
fail() { printf 'ERROR: engine: %s\n' "$*" >&2; exit 1; }
usage() { sed -n 's/^# \{0,1\}//; /^Usage:/,/^Environment/p' "${BASH_SOURCE[0]}" | sed '$d'; }

parse_arguments() {
  while [ $# -gt 0 ]; do
    case "$1" in
      --force) force=true ;;
      --print-path) print_path=true ;;
      --print-home) print_home=true ;;
      --try-docker-build) try_docker_build=true ;;
      -h|--help) usage; exit 0 ;;
      *) usage >&2; fail "unknown argument '$1' (allowed: --force, --print-path, --print-home, --try-docker-build, --help)" ;;
    esac
    shift
  done
}

required_go_version() { sed -n 's/^go //p' "$WRAPPER_DIR/go.mod"; }

go_is_recent_enough() {
  local candidate="$1" required version
  required="$(required_go_version)"
  [ -x "$candidate" ] || return 1
  version="$("$candidate" env GOVERSION 2>/dev/null)" || return 1
  version="${version%% *}"
  [ "$(printf '%s\n%s\n' "$required" "${version#go}" | sort -V | head -n 1)" = "$required" ]
}

# The Go release go.mod asks for is itself a module on the Go module proxy (golang.org/toolchain, the one `go`
# downloads when GOTOOLCHAIN asks for a newer release), so a machine with no Go, or an older one, needs nothing else.
toolchain_version() {
  local arch
  case "$(uname -m)" in x86_64) arch=amd64 ;; aarch64 | arm64) arch=arm64 ;; *) arch="$(uname -m)" ;; esac
  printf 'v0.0.1-go%s.linux-%s\n' "$(required_go_version)" "$arch"
}

toolchain_go() { printf '%s/golang.org/toolchain@%s/bin/go\n' "$TOOLCHAIN_ROOT" "$(toolchain_version)"; }

fetch_toolchain() {
  local version proxy url zip
  version="$(toolchain_version)"
  proxy="${GOPROXY:-https://proxy.golang.org}"
  proxy="${proxy%%[,|]*}"
  case "$proxy" in http://* | https://*) ;; *) proxy=https://proxy.golang.org ;; esac
  url="$proxy/golang.org/toolchain/@v/$version.zip"
  zip="$TOOLCHAIN_ROOT/$version.zip"
  say "no Go $(required_go_version)+ here: fetching golang.org/toolchain@$version from $proxy (about 70 MB, once)"
  mkdir -p "$TOOLCHAIN_ROOT"
  command -v curl >/dev/null || fail "curl is needed to fetch the Go toolchain (apt-get install curl), or install Go $(required_go_version)+"
  progress_run "downloading $url" last-line curl -fsSL -o "$zip.part" "$url" || fail "could not fetch $url; install Go $(required_go_version)+ or set GO"
  mv "$zip.part" "$zip"
  if command -v unzip >/dev/null; then
    unzip -q -o "$zip" -d "$TOOLCHAIN_ROOT" || fail "unzip of $zip failed"
  elif command -v python3 >/dev/null; then
    python3 -m zipfile -e "$zip" "$TOOLCHAIN_ROOT" || fail "extracting $zip failed"
  else
    fail "unzip is needed to unpack the Go toolchain (apt-get install unzip)"
  fi
  rm -f "$zip"
  # Module zips keep no file modes; the go command does the same when it switches toolchains.
  local root
  root="$(dirname "$(dirname "$(toolchain_go)")")"
  find "$root/bin" "$root/pkg/tool" -type f -exec chmod 0755 {} +
}

# A Go recent enough that is here already (prints it), without fetching anything; scripts/setup.sh asks this too.
locate_go() {
  local candidate
  for candidate in "${GO:-}" "$(command -v go || true)" "${SYSTEM_GO:-/usr/local/go/bin/go}" "$(toolchain_go)"; do
    [ -n "$candidate" ] || continue
    if go_is_recent_enough "$candidate"; then printf '%s\n' "$candidate"; return 0; fi
  done
  return 1
}

find_go() {
  if [ -n "${GO:-}" ] && ! go_is_recent_enough "$GO"; then
    fail "GO=$GO is not Go $(required_go_version) or newer (wrapper/go.mod says so, after the CLI's go.mod)"
  fi
  go_cmd="$(locate_go)" || go_cmd=""
  if [ -z "$go_cmd" ]; then
    fetch_toolchain
    go_cmd="$(toolchain_go)"
    go_is_recent_enough "$go_cmd" || fail "the fetched toolchain $go_cmd does not run"
  fi
  say "using $("$go_cmd" env GOVERSION) at $go_cmd"
}

engine_already_on_path() {
  local existing
  existing="$(command -v pulumi || true)"
  [ -n "$existing" ] && [ "$(dirname "$existing")" != "$BIN_DIR" ]
}

# The stamp records what the cached binaries were built from; equal stamp + present binaries = nothing to do.
expected_stamp() {
  {
    echo "pulumi=$PULUMI_VERSION command=$COMMAND_PLUGIN_VERSION"
    cat "$WRAPPER_DIR/go.mod" "$WRAPPER_DIR/go.sum"
    find "$WRAPPER_DIR/cmd" -type f -name '*.go' | LC_ALL=C sort | xargs cat
  } | sha256sum | cut -d' ' -f1
}

cache_is_current() {
  [ -x "$BIN_DIR/pulumi" ] && [ -x "$BIN_DIR/pulumi-language-nodejs" ] \
    && [ -x "$PLUGIN_DIR/pulumi-resource-command" ] && [ -f "$STAMP_FILE" ] \
    && [ "$(cat "$STAMP_FILE")" = "$(expected_stamp)" ]
}

go_build() {
  local output="$1" package="$2"; shift 2
  (
    cd "$WRAPPER_DIR"
    # -mod=readonly: go.mod/go.sum are committed; a build never rewrites them. -trimpath, -buildvcs=false: the
    # binaries do not depend on where or in which git state the checkout is.
    GOMODCACHE="$CACHE_ROOT/gomod" GOCACHE="$CACHE_ROOT/gocache" GOFLAGS="-mod=readonly -buildvcs=false" GOTOOLCHAIN=local \
      progress_run "go build $(basename "$output")" go-packages "$go_cmd" build -v -trimpath -o "$output" "$@" "$package"
  ) || fail "go build of $package failed (command: cd $WRAPPER_DIR && go build -o $output $package)"
}

build_cli() {
  say "building the Pulumi CLI $PULUMI_VERSION: about 1,730 packages with the standard library (go list -deps), a progress line every ${PROGRESS_INTERVAL:-10} s"
  go_build "$BIN_DIR/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi \
    -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION"
  local reported
  reported="$("$BIN_DIR/pulumi" version)"
  [ "$reported" = "$PULUMI_VERSION" ] || fail "built CLI reports '$reported', expected $PULUMI_VERSION"
}

build_language_host() {
  say "building the Node.js language host (beside the CLI, where the CLI looks for it)"
  go_build "$BIN_DIR/pulumi-language-nodejs" ./cmd/pulumi-language-nodejs -ldflags "-s -w -X main.hostVersion=${PULUMI_VERSION#v}"
}

build_command_provider() {
  say "building the command provider (stand-in for command $COMMAND_PLUGIN_VERSION; kept off PATH)"
  go_build "$PLUGIN_DIR/pulumi-resource-command" ./cmd/pulumi-resource-command -ldflags "-s -w"
}

install_command_plugin() {
  say "installing resource plugin command $COMMAND_PLUGIN_VERSION into the engine's own $ENGINE_PULUMI_HOME/plugins"
  PULUMI_HOME="$ENGINE_PULUMI_HOME" PULUMI_SKIP_UPDATE_CHECK=true "$BIN_DIR/pulumi" plugin install resource command "$COMMAND_PLUGIN_VERSION" \
    --file "$PLUGIN_DIR/pulumi-resource-command" --reinstall >/dev/null \
    || fail "pulumi plugin install resource command $COMMAND_PLUGIN_VERSION --file $PLUGIN_DIR/pulumi-resource-command failed"
}

download_docker_build_module() {
  # Outside any module, so that the attempt cannot touch the wrapper's go.mod/go.sum.
  cd /
  GOMODCACHE="$CACHE_ROOT/gomod" GOCACHE="$CACHE_ROOT/gocache" GOFLAGS="" \
    "$go_cmd" mod download -json "$DOCKER_BUILD_MODULE@$DOCKER_BUILD_VERSION"
}

try_docker_build_provider() {
  say "trying the docker-build provider module $DOCKER_BUILD_MODULE@$DOCKER_BUILD_VERSION"
  [ -n "$go_cmd" ] || find_go
  local result
  result="$(download_docker_build_module 2>&1)" || true
  if printf '%s' "$result" | grep -q '"Error"'; then
    say "docker-build provider not available from the Go module proxy; the local stack builds with docker build:"
    printf '%s\n' "$result" | grep '"Error"' >&2
  else
    say "docker-build provider module is served now: see docs/engine.md to add it to the wrapper"
  fi
}

write_stamp() {
  expected_stamp >"$STAMP_FILE"
}

main() {
  parse_arguments "$@"
  if $print_path; then
    printf '%s\n' "$BIN_DIR"
    return
  fi
  if $print_home; then
    printf '%s\n' "$ENGINE_PULUMI_HOME"
    return
  fi
  if engine_already_on_path && ! $force; then
    say "pulumi already on PATH at $(command -v pulumi) ($(pulumi version 2>/dev/null || echo 'version unknown')):" \
      "skipping the build (--force builds anyway)"
    return
  fi
  mkdir -p "$BIN_DIR" "$PLUGIN_DIR" "$ENGINE_PULUMI_HOME"
  if ! $force && cache_is_current; then
    say "engine up to date in $BIN_DIR"
  else
    local started=$SECONDS
    say "building the engine from Go modules ($COLD_BUILD_ESTIMATE)"
    find_go
    build_cli
    build_language_host
    build_command_provider
    write_stamp
    say "built in $((SECONDS - started)) s into $BIN_DIR"
  fi
  install_command_plugin
  if $try_docker_build; then
    try_docker_build_provider
  fi
  say "to use it: PATH=$BIN_DIR:\$PATH PULUMI_HOME=$ENGINE_PULUMI_HOME"
}

# Sourcing the script (tests drive its steps one by one) defines the functions and runs nothing.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then main "$@"; fi
