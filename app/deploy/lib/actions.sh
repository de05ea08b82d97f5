# shellcheck shell=bash
# Sourced by deploy.sh. The actions of deploy.sh's command line, each a sequence of the steps in the other files.

deploy_release() {
  local verb="$1"
  progress "$verb: $IMAGE to $ENV_NAME (project $PROJECT, ${COMPOSE[*]})"
  acquire_lock
  resolve_route_dir
  read_app_state
  if already_live; then
    progress "$verb: $IMAGE is already live on all $REPLICAS replica(s); nothing to do"
    report_tls
    return 0
  fi
  clear_leftovers
  pull_image
  ensure_infrastructure
  boot_new
  wait_ready
  switch_traffic
  prune_old
  record_release
  progress "$verb: done, $IMAGE is live (${SECONDS}s)"
  report_tls
}

# Two-phase rollout over several hosts: every host runs `prepare` (new replicas started beside the live ones and
# gated; traffic untouched), and only when all passed does each host run `switch`. A host whose gate failed leaves
# the others prepared but never switched; their candidates take no traffic and the next prepare or deploy removes them.
prepare_release() {
  progress "prepare: $IMAGE on $ENV_NAME (project $PROJECT, ${COMPOSE[*]})"
  acquire_lock
  resolve_route_dir
  read_app_state
  clear_leftovers
  run rm -f "$PREPARED_FILE"
  if already_live; then
    progress "prepare: $IMAGE is already live on all $REPLICAS replica(s); nothing to prepare"
    return 0
  fi
  pull_image
  ensure_infrastructure
  boot_new
  wait_ready
  CURRENT_STEP=record_prepared
  if $DRY_RUN; then
    printf '+ record %q slot %q in %q\n' "$IMAGE" "$NEW_SLOT" "$PREPARED_FILE"
  else
    printf '%s %s %s\n' "$IMAGE" "$NEW_SLOT" "${NEW_CONTAINERS[*]}" >"$PREPARED_FILE"
  fi
  PREPARED=true
  progress "prepare: done, ${#NEW_CONTAINERS[@]} replica(s) of $IMAGE ready in slot $NEW_SLOT; traffic still goes to $LIVE_SLOT until switch (${SECONDS}s)"
}

switch_release() {
  progress "switch: $IMAGE on $ENV_NAME (project $PROJECT)"
  acquire_lock
  resolve_route_dir
  read_app_state
  if $DRY_RUN; then
    switch_traffic
    prune_old
    record_release
    return 0
  fi
  if [ ! -f "$PREPARED_FILE" ]; then
    already_live || fail "step switch: nothing prepared for $IMAGE (no $PREPARED_FILE); run deploy.sh prepare first"
    progress "switch: $IMAGE is already live; nothing to switch"
    return 0
  fi
  local prepared_image prepared_slot id
  read -r prepared_image prepared_slot _ <"$PREPARED_FILE"
  [ "$prepared_image" = "$IMAGE" ] || fail "step switch: $PREPARED_FILE holds $prepared_image, not $IMAGE; run deploy.sh prepare --image $IMAGE first"
  [ "$prepared_slot" = "$NEW_SLOT" ] || fail "step switch: the prepared slot $prepared_slot is live already; run deploy.sh prepare again"
  OLD_CONTAINERS=(${LIVE_IDS[@]+"${LIVE_IDS[@]}"})
  read -r -a NEW_CONTAINERS <<<"$(cut -d' ' -f3- "$PREPARED_FILE")"
  CURRENT_STEP=check_prepared
  for id in "${NEW_CONTAINERS[@]}"; do
    probe_ready "$id"
    [ "$PROBE_STATUS" = 200 ] || fail "step switch: prepared replica $(name_of "$id" 2>/dev/null || echo "$id") no longer answers GET /ready with 200; nothing was switched"
  done
  switch_traffic
  prune_old
  record_release
  rm -f "$PREPARED_FILE"
  progress "switch: done, $IMAGE is live (${SECONDS}s)"
  report_tls
}

show_status() {
  local id live_image="none"
  printf 'project %s (environment %s), compose: %s\n' "$PROJECT" "$ENV_NAME" "${COMPOSE[*]}"
  resolve_route_dir
  printf 'live slot: app-%s (marker folder %s)\n' "$LIVE_SLOT" "$ROUTE_DIR"
  if ! $DRY_RUN; then
    read_app_state
    [ ${#LIVE_IMAGES[@]} -eq 0 ] || live_image="${LIVE_IMAGES[-1]}"
    printf 'live image: %s\n' "$live_image"
    "$DOCKER" ps -a --filter "label=com.docker.compose.project=$PROJECT" \
      --format 'table {{.Names}}\t{{.Image}}\t{{.Status}}'
  fi
  printf 'releases (newest last, in %s):\n' "$RELEASES_FILE"
  if [ -f "$RELEASES_FILE" ]; then sed 's/^/  /' "$RELEASES_FILE"; else printf '  none recorded\n'; fi
}

take_down() {
  acquire_lock
  CURRENT_STEP=down
  local image
  image="$(current_release)"
  # compose.yaml requires APP_IMAGE; the value does not matter for `down`.
  if $REMOVE_VOLUMES; then
    compose "${image:-none:none}" blue down --remove-orphans --volumes
    progress "down: removed the stack of $PROJECT and its volumes (the database is gone)"
  else
    compose "${image:-none:none}" blue down --remove-orphans
    progress "down: removed the containers and networks of $PROJECT; the database volume is kept"
  fi
}
