#!/usr/bin/env bash
# Runs jobs of .gitlab-ci.yml as a GitLab runner's Docker executor would, through gitlab-ci-local, with the
# offline stand-in images (scripts/stand-in-images.sh) passed as the jobs' image variables. The executor is
# configured like the merge-request runner the components register: privileged (for Docker-in-Docker) and
# /certs/client shared between a job and its services.
# Usage: bash .ci/pipeline-jobs.sh [JOB...]      (default: test; needs Docker, rsync, git and Node 22+)
set -euo pipefail

readonly REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly WAIT_IMAGE="cicd-pipeline/wait-for-it:trixie"
readonly HELPER_IMAGE="cicd-standin/node-runtime:trixie"
readonly CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt
# The official NODE_IMAGE is Debian 12 (bookworm), and the e2e job installs Debian's Docker client and Compose in
# it: its stand-in must be bookworm too (Compose 1.29, the client with BuildKit built in), not trixie.
readonly NODE_IMAGE="cicd-standin/node-build:bookworm"
readonly DIND_IMAGE="cicd-pipeline/dind:trixie"
readonly DOCKER_CLI_IMAGE="cicd-pipeline/docker-cli:trixie"
# What the e2e job's daemon would pull: its NODE_IMAGE and the stack's bases (BUILD_IMAGE, RUNTIME_IMAGE, ...).
readonly DIND_SEED_IMAGES=("$NODE_IMAGE" cicd-standin/node-build:trixie cicd-standin/node-runtime:trixie
  cicd-standin/postgres:trixie cicd-standin/nginx:trixie)
# `--privileged` fails on this machine; this wrapper of /usr/bin/docker grants what privileged mode gives dind.
readonly CONTAINER_EXECUTABLE="$REPO_ROOT/.ci/privileged-as-capabilities"

say() { printf '==> %s\n' "$*"; }
fail() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

locate_node() {
  local candidate
  # npm ci's devDependency `node` (Node.js 24) is the project's own; a machine's older node comes after it.
  for candidate in "${INTERPRETER_NODE:-}" "$REPO_ROOT/node_modules/.bin/node" node; do
    [ -n "$candidate" ] || continue
    if "$candidate" -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 22 ? 0 : 1)' 2>/dev/null; then
      NODE_BIN="$(command -v "$candidate")"; return
    fi
  done
  NODE_BIN="$(npx --yes node@24 -p process.execPath 2>/dev/null | tail -n 1)" \
    || fail "gitlab-ci-local needs Node 22+: none on PATH and 'npx --yes node@24' failed (set INTERPRETER_NODE)"
  [ -x "$NODE_BIN" ] || fail "gitlab-ci-local needs Node 22+: 'npx --yes node@24' gave no binary (set INTERPRETER_NODE)"
}

check_prerequisites() {
  command -v rsync >/dev/null || fail "gitlab-ci-local needs rsync (apt-get install rsync)"
  /usr/bin/docker image inspect cicd-standin/node-build:trixie cicd-standin/postgres:trixie "$HELPER_IMAGE" >/dev/null \
    || fail "stand-in images missing: run scripts/stand-in-images.sh first"
  [ -f "$REPO_ROOT/node_modules/gitlab-ci-local/dist/index.js" ] || fail "gitlab-ci-local is not installed: run npm ci"
}

build_node_image() {
  STANDIN_SUITE=bookworm bash "$REPO_ROOT/scripts/stand-in-images.sh" node-build
}

# gitlab-ci-local checks a service's ports with this image before the job starts; no registry serves it here.
build_wait_image() {
  local context
  context="$(mktemp -d)"
  cat > "$context/wait-for-it" <<'WAIT'
#!/usr/bin/env bash
# usage: wait-for-it HOST:PORT -t SECONDS
set -euo pipefail
target="$1" timeout="${3:-30}"
for _ in $(seq 1 "$timeout"); do
  if (exec 3<>"/dev/tcp/${target%:*}/${target##*:}") 2>/dev/null; then exit 0; fi
  sleep 1
done
echo "wait-for-it: ${target} did not answer within ${timeout}s" >&2
exit 1
WAIT
  chmod +x "$context/wait-for-it"
  printf 'FROM %s\nCOPY wait-for-it /usr/local/bin/wait-for-it\nENTRYPOINT ["/usr/local/bin/wait-for-it"]\n' "$HELPER_IMAGE" > "$context/Dockerfile"
  DOCKER_BUILDKIT=1 /usr/bin/docker build --quiet --tag "$WAIT_IMAGE" "$context" >/dev/null
  rm -rf "$context"
}

# $DIND_IMAGE: trixie's dockerd 26.1 (from the sim-host stand-in) behind an entrypoint that keeps docker:dind's
# TLS contract, its image store seeded with DIND_SEED_IMAGES. $DOCKER_CLI_IMAGE: the same Docker client, no daemon.
# Rebuilt only when a seed image or the entrypoint changed.
build_dind_images() {
  local fingerprint context previous
  bash "$REPO_ROOT/scripts/stand-in-images.sh" sim-host
  fingerprint="$({ /usr/bin/docker image inspect --format '{{.Id}}' cicd-standin/sim-host:trixie "${DIND_SEED_IMAGES[@]}"
    cat "$REPO_ROOT/.ci/pipeline-images/dind-entrypoint"; } | sha256sum | cut -c1-64)"
  if [ "$(/usr/bin/docker image inspect --format '{{index .Config.Labels "cicd.seed"}}' "$DIND_IMAGE" 2>/dev/null)" = "$fingerprint" ]; then
    say "$DIND_IMAGE is up to date"
  else
    say "building $DIND_IMAGE: saving ${DIND_SEED_IMAGES[*]} into its seed archive"
    previous="$(/usr/bin/docker image inspect --format '{{.Id}}' "$DIND_IMAGE" 2>/dev/null || true)"
    context="$(mktemp -d "${TMPDIR:-/tmp}/cicd-dind.XXXXXX")"
    /usr/bin/docker save --output "$context/seed-images.tar" "${DIND_SEED_IMAGES[@]}"
    cp "$REPO_ROOT/.ci/pipeline-images/dind-entrypoint" "$context/"
    cat > "$context/Dockerfile" <<DOCKERFILE
FROM cicd-standin/sim-host:trixie
COPY dind-entrypoint /usr/local/bin/dind-entrypoint
COPY seed-images.tar /usr/local/share/cicd-dind/seed-images.tar
LABEL cicd.seed=$fingerprint
EXPOSE 2375 2376
VOLUME /var/lib/docker
ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/dind-entrypoint"]
CMD []
DOCKERFILE
    DOCKER_BUILDKIT=1 /usr/bin/docker build --quiet --tag "$DIND_IMAGE" "$context" >/dev/null \
      || { rm -rf "$context"; fail "building $DIND_IMAGE failed"; }
    rm -rf "$context"
    # The previous build holds a seed archive of its own (over a gigabyte): drop it once nothing uses it.
    if [ -n "$previous" ]; then /usr/bin/docker image rm "$previous" >/dev/null 2>&1 || true; fi
  fi
  printf 'FROM cicd-standin/sim-host:trixie\nENTRYPOINT []\nCMD ["bash"]\n' \
    | DOCKER_BUILDKIT=1 /usr/bin/docker build --quiet --tag "$DOCKER_CLI_IMAGE" - >/dev/null \
    || fail "building $DOCKER_CLI_IMAGE failed"
}

run_jobs() {
  say "running $* through gitlab-ci-local (Docker executor, stand-in images) as in a push to the default branch"
  cd "$REPO_ROOT"
  "$NODE_BIN" node_modules/gitlab-ci-local/dist/index.js "$@" \
    --no-color --pull-policy if-not-present --cleanup \
    --helper-image "$HELPER_IMAGE" --wait-image "$WAIT_IMAGE" --ca-file "$CA_BUNDLE" \
    --home "$REPO_ROOT/.gitlab-ci-local/home" \
    --container-executable "$CONTAINER_EXECUTABLE" --privileged --volume %gcl-cert%:/certs/client \
    --wait-for-services-timeout 300 \
    --variable NODE_IMAGE="$NODE_IMAGE" \
    --variable TEST_POSTGRES_IMAGE=cicd-standin/postgres:trixie \
    --variable DIND_IMAGE="$DIND_IMAGE" --variable DOCKER_CLI_IMAGE="$DOCKER_CLI_IMAGE" \
    --variable BUILD_IMAGE=cicd-standin/node-build:trixie --variable RUNTIME_IMAGE=cicd-standin/node-runtime:trixie \
    --variable POSTGRES_IMAGE=cicd-standin/postgres:trixie --variable NGINX_IMAGE=cicd-standin/nginx:trixie \
    --variable NODE_EXTRA_CA_CERTS="$CA_BUNDLE" \
    --variable CI_PIPELINE_SOURCE=push --ignore-predefined-vars CI_PIPELINE_SOURCE
}

main() {
  [ "$#" -gt 0 ] || set -- test
  check_prerequisites
  locate_node
  build_node_image
  build_wait_image
  if printf '%s\n' "$@" | grep -qx e2e; then build_dind_images; fi
  run_jobs "$@"
}

main "$@"
