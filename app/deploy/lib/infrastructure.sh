# shellcheck shell=bash
# Sourced by deploy.sh. The image on the host, and db and proxy: pulled or created only when missing, never recreated.

# Called by the steps that may pull (the app image; db and proxy when they are created), once per run at most: a
# rollout of an image already on the host with db and proxy running talks to no registry.
registry_login() {
  CURRENT_STEP=registry_login
  [ -n "${REGISTRY_USER:-}" ] && ! $LOGGED_IN || return 0
  LOGGED_IN=true
  # The password travels on stdin only: never in argv (visible in ps), never printed.
  if $DRY_RUN; then
    run "$DOCKER" login --username "$REGISTRY_USER" --password-stdin ${REGISTRY:+"$REGISTRY"}
  else
    printf '%s' "$REGISTRY_PASSWORD" | run "$DOCKER" login --username "$REGISTRY_USER" --password-stdin ${REGISTRY:+"$REGISTRY"}
  fi
  progress "registry_login: logged in to ${REGISTRY:-the default registry} as $REGISTRY_USER"
}

pull_image() {
  CURRENT_STEP=pull_image
  if ! $DRY_RUN && "$DOCKER" image inspect "$IMAGE" >/dev/null 2>&1; then
    progress "pull_image: $IMAGE is already on this host, not pulling"
    return
  fi
  registry_login
  CURRENT_STEP=pull_image
  run "$DOCKER" pull "$IMAGE"
  progress "pull_image: pulled $IMAGE"
}

# db and proxy are created if missing and otherwise left alone: a deploy never recreates the database.
ensure_infrastructure() {
  CURRENT_STEP=ensure_infrastructure
  # With all of them running, `up --no-recreate` would change nothing: skip its Compose start. The running proxy
  # is then the one whose route folder was read before this step.
  if infrastructure_running; then
    wait_db_healthy
  else
    registry_login
    CURRENT_STEP=ensure_infrastructure
    run mkdir -p "$STATE_DIR/route"
    tls_enabled && start_acme
    compose "$IMAGE" "$NEW_SLOT" up -d --no-deps --no-recreate db proxy
    wait_db_healthy
    resolve_route_dir
  fi
  progress "ensure_infrastructure: db and proxy are up (left as they were if already running); live slot: $LIVE_SLOT"
}

# One `docker ps` for all of them; notes the db container for wait_db_healthy.
infrastructure_running() {
  $DRY_RUN && return 1
  local service running id name
  running=" "
  while read -r id name; do
    running+="$name "
    [ "$name" != db ] || DB_CONTAINER="$id"
  done < <("$DOCKER" ps --filter "label=com.docker.compose.project=$PROJECT" --filter status=running \
    --format '{{.ID}} {{.Label "com.docker.compose.service"}}' 2>/dev/null || true)
  for service in db proxy $(tls_enabled && echo acme); do
    [[ "$running" == *" $service "* ]] || return 1
  done
}

wait_db_healthy() {
  $DRY_RUN && return 0
  local id="$DB_CONTAINER" health deadline=$((SECONDS + READY_TIMEOUT)) pause=0.5
  [ -n "$id" ] || id="$("$DOCKER" ps -q --filter "label=com.docker.compose.project=$PROJECT" --filter "label=com.docker.compose.service=db" | head -n 1)"
  [ -n "$id" ] || fail "step ensure_infrastructure: the db container of project $PROJECT is not running"
  while :; do
    health="$("$DOCKER" inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}' "$id")"
    case "$health" in healthy|none) return 0 ;; esac
    if [ "$SECONDS" -ge "$deadline" ]; then
      "$DOCKER" logs --tail 30 "$id" 2>&1 | sed 's/^/    db | /' >&2 || true
      fail "step ensure_infrastructure: the database did not become healthy within ${READY_TIMEOUT}s (health: $health)"
    fi
    sleep "$pause"
    pause="$(grow_pause "$pause")"
  done
}

# Polling starts fast (a replica is often ready within a second or two) and backs off to every 2 s.
grow_pause() {
  awk -v p="$1" 'BEGIN { p = p * 1.5; if (p > 2) p = 2; printf "%.2f\n", p }'
}
