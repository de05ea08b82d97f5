# shellcheck shell=bash
# Sourced by deploy.sh. What is running: the app containers, the proxy, and which slot nginx routes to.

app_containers() {
  $DRY_RUN && return 0
  "$DOCKER" ps -a --no-trunc -q \
    --filter "label=com.docker.compose.project=$PROJECT" --filter "label=com.docker.compose.service=app"
}

edge_network() { printf '%s_edge\n' "$PROJECT"; }

proxy_container() {
  $DRY_RUN && return 0
  "$DOCKER" ps -a -q --filter "label=com.docker.compose.project=$PROJECT" --filter "label=com.docker.compose.service=proxy" | head -n 1
}

# The folder the running proxy reads the marker from (it was fixed when the proxy was created), else ours.
resolve_route_dir() {
  local proxy source=""
  proxy="$(proxy_container)"
  if [ -n "$proxy" ]; then
    source="$("$DOCKER" inspect -f "{{range .Mounts}}{{if eq .Destination \"$ROUTE_MOUNT\"}}{{.Source}}{{end}}{{end}}" "$proxy")"
    [ -n "$source" ] || fail "the running proxy of $PROJECT has no $ROUTE_MOUNT mount (made from an older bundle); recreate it once: deploy.sh down --env $ENV_NAME, then deploy"
  fi
  ROUTE_DIR="${source:-$STATE_DIR/route}"
  if [ -f "$ROUTE_DIR/$GREEN_MARKER" ]; then LIVE_SLOT=green; else LIVE_SLOT=blue; fi
  if [ "$LIVE_SLOT" = green ]; then NEW_SLOT=blue; else NEW_SLOT=green; fi
}

# What runs of the app, in one `docker ps` and one `docker inspect` (each Docker CLI call costs the host CPU):
# APP_IDS are all the app containers, LIVE_IDS the running ones in the live slot and LIVE_IMAGES their images.
read_app_state() {
  APP_IDS=()
  LIVE_IDS=()
  LIVE_IMAGES=()
  $DRY_RUN && return 0
  local id running image aliases
  mapfile -t APP_IDS < <(app_containers)
  [ ${#APP_IDS[@]} -gt 0 ] || return 0
  # A container removed between `ps` and `inspect` simply does not count.
  while read -r id running image aliases; do
    if [ "$running" = true ] && [[ " $aliases " == *" app-$LIVE_SLOT "* ]]; then
      LIVE_IDS+=("$id")
      LIVE_IMAGES+=("$image")
    fi
  done < <("$DOCKER" inspect -f "{{.Id}} {{.State.Running}} {{.Config.Image}}{{with index .NetworkSettings.Networks \"$(edge_network)\"}}{{range .Aliases}} {{.}}{{end}}{{end}}" "${APP_IDS[@]}" 2>/dev/null || true)
}

name_of() { "$DOCKER" inspect -f '{{.Name}}' "$1" | sed 's|^/||'; }
