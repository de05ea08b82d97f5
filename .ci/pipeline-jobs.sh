#!/usr/bin/env bash
# Runs jobs of .gitlab-ci.yml as a GitLab runner's Docker executor would, through gitlab-ci-local, with the
# offline stand-in images (scripts/stand-in-images.sh) passed as the jobs' image variables.
# Usage: bash .ci/pipeline-jobs.sh [JOB...]      (default: test; needs Docker, rsync, git and Node 22+)
set -euo pipefail

readonly REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly WAIT_IMAGE="cicd-pipeline/wait-for-it:trixie"
readonly HELPER_IMAGE="cicd-standin/node-runtime:trixie"
readonly CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt

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

run_jobs() {
  say "running $* through gitlab-ci-local (Docker executor, stand-in images) as in a push to the default branch"
  cd "$REPO_ROOT"
  "$NODE_BIN" node_modules/gitlab-ci-local/dist/index.js "$@" \
    --no-color --pull-policy if-not-present --cleanup \
    --helper-image "$HELPER_IMAGE" --wait-image "$WAIT_IMAGE" --ca-file "$CA_BUNDLE" \
    --home "$REPO_ROOT/.gitlab-ci-local/home" \
    --variable NODE_IMAGE=cicd-standin/node-build:trixie \
    --variable TEST_POSTGRES_IMAGE=cicd-standin/postgres:trixie \
    --variable NODE_EXTRA_CA_CERTS="$CA_BUNDLE" \
    --variable CI_PIPELINE_SOURCE=push --ignore-predefined-vars CI_PIPELINE_SOURCE
}

main() {
  [ "$#" -gt 0 ] || set -- test
  check_prerequisites
  locate_node
  build_wait_image
  run_jobs "$@"
}

main "$@"
