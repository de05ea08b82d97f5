# shellcheck shell=bash
# Sourced by deploy.sh. The blue/green rollout: new replicas beside the live ones, the health gate, the switch, the
# old replicas stopped.

# Uses what read_app_state saw.
clear_leftovers() {
  CURRENT_STEP=clear_leftovers
  $DRY_RUN && return 0
  local id live leftovers=()
  live=" ${LIVE_IDS[*]+"${LIVE_IDS[*]}"} "
  # Stopped replicas and candidates of an interrupted deploy would be counted (and restarted) by `--scale`.
  for id in ${APP_IDS[@]+"${APP_IDS[@]}"}; do
    [[ "$live" == *" $id "* ]] || leftovers+=("$id")
  done
  if [ ${#leftovers[@]} -gt 0 ]; then
    run "$DOCKER" rm -f "${leftovers[@]}"
    progress "clear_leftovers: removed ${#leftovers[@]} app container(s) that were not serving"
  fi
}

# True when the live slot runs exactly the wanted number of replicas, all of IMAGE (a new count is a new rollout).
# Uses what read_app_state saw.
already_live() {
  $DRY_RUN && return 1
  local image
  [ ${#LIVE_IDS[@]} -gt 0 ] && [ ${#LIVE_IDS[@]} -eq "$REPLICAS" ] || return 1
  for image in "${LIVE_IMAGES[@]}"; do
    [ "$image" = "$IMAGE" ] || return 1
  done
  return 0
}

boot_new() {
  CURRENT_STEP=boot_new
  local replicas="$REPLICAS" old_count id
  read_app_state
  OLD_CONTAINERS=(${LIVE_IDS[@]+"${LIVE_IDS[@]}"})
  old_count=${#OLD_CONTAINERS[@]}
  BOOT_BASELINE=" ${APP_IDS[*]+"${APP_IDS[*]}"} "
  # --no-recreate keeps the old replicas exactly as they are; --scale adds the new ones beside them, in the idle
  # slot so nginx does not send them traffic yet; --no-deps leaves db and proxy alone.
  compose "$IMAGE" "$NEW_SLOT" up -d --no-deps --no-recreate --scale "app=$((old_count + replicas))" app
  if $DRY_RUN; then
    NEW_CONTAINERS=()
    for ((id = 1; id <= replicas; id++)); do NEW_CONTAINERS+=("new-replica-$id"); done
  else
    NEW_CONTAINERS=()
    for id in $(app_containers); do
      [[ "$BOOT_BASELINE" == *" $id "* ]] || NEW_CONTAINERS+=("$id")
    done
    [ ${#NEW_CONTAINERS[@]} -eq "$replicas" ] \
      || fail "step boot_new: expected $replicas new app container(s) for $IMAGE, Compose created ${#NEW_CONTAINERS[@]}"
  fi
  progress "boot_new: started $replicas replica(s) of $IMAGE in slot $NEW_SLOT beside $old_count running in $LIVE_SLOT"
}

# Sets PROBE_STATUS to the HTTP status of GET /ready inside the container (000 when it does not answer), asking
# again for up to WAIT seconds (default 0: once) until it is 200. One Node.js process polls for the whole wait,
# from 100 ms growing to every second: a `docker exec` per attempt would cost the host a process start each time.
# It runs in the background so that a signal to this script interrupts the wait at once.
probe_ready() {
  local id="$1" wait="${2:-0}" status=0 line
  local script='const url="http://127.0.0.1:"+(process.env.PORT||3000)+"/ready",end=Date.now()+1000*Number(process.argv[1]);(async()=>{let status="000";for(let pause=100;;pause=Math.min(pause*1.5,1000)){try{const r=await fetch(url,{signal:AbortSignal.timeout(3000)});status=String(r.status);await r.body?.cancel()}catch{status="000"}if(status==="200"||Date.now()+pause>end)break;await new Promise(r=>setTimeout(r,pause))}console.log(status);process.exit(status==="200"?0:1)})()'
  PROBE_STATUS=""
  if $DRY_RUN; then
    run "$DOCKER" exec "$id" node -e "$script" "$wait"
    return 0
  fi
  PROBE_OUTPUT="$STATE_DIR/probe.$$"
  timeout $((wait + 10)) "$DOCKER" exec "$id" node -e "$script" "$wait" >"$PROBE_OUTPUT" 2>/dev/null &
  PROBE_PID=$!
  wait "$PROBE_PID" || status=$?
  PROBE_PID=""
  while IFS= read -r line; do PROBE_STATUS="$line"; done <"$PROBE_OUTPUT"
  rm -f "$PROBE_OUTPUT"
  PROBE_OUTPUT=""
  return 0
}

# Each new replica must answer GET /ready with 200 before the deadline, without having crashed on the way.
wait_ready() {
  CURRENT_STEP=wait_ready
  local id state state_status restarts exit_code remaining answer deadline=$((SECONDS + READY_TIMEOUT))
  if $DRY_RUN; then
    for id in "${NEW_CONTAINERS[@]}"; do probe_ready "$id" "$READY_TIMEOUT"; done
    return
  fi
  for id in "${NEW_CONTAINERS[@]}"; do
    remaining=$((deadline - SECONDS))
    [ "$remaining" -ge 0 ] || remaining=0
    probe_ready "$id" "$remaining"
    state="$("$DOCKER" inspect -f '{{.State.Status}} {{.RestartCount}} {{.State.ExitCode}}' "$id" 2>/dev/null || echo 'gone 0 0')"
    read -r state_status restarts exit_code <<<"$state"
    if [ "$state_status" != running ]; then
      gate_failed "$id" "container $(name_of "$id" 2>/dev/null || echo "$id") is $state_status (exit code $exit_code) instead of ready"
    elif [ "$restarts" -gt 0 ]; then
      gate_failed "$id" "container $(name_of "$id") crashed and was restarted $restarts time(s) before it was ready"
    elif [ "$PROBE_STATUS" != 200 ]; then
      answer="${PROBE_STATUS:-000}"
      [ "$answer" != 000 ] || answer="nothing"
      gate_failed "$id" "GET /ready on $(name_of "$id") answered $answer instead of 200 within ${READY_TIMEOUT}s"
    fi
  done
  progress "wait_ready: all ${#NEW_CONTAINERS[@]} new replica(s) answer GET /ready with 200"
}

gate_failed() {
  local id="$1" reason="$2"
  printf 'Logs of %s (last 40 lines):\n' "$(name_of "$id" 2>/dev/null || echo "$id")" >&2
  "$DOCKER" logs --tail 40 "$id" 2>&1 | sed 's/^/    | /' >&2 || true
  "$DOCKER" rm -f "${NEW_CONTAINERS[@]}" >/dev/null 2>&1 || true
  NEW_CONTAINERS=()
  local serving="nothing was serving before"
  [ ${#OLD_CONTAINERS[@]} -gt 0 ] && serving="the previous version keeps serving"
  fail "health gate failed for $IMAGE: $reason; the new containers were removed and $serving"
}

# nginx checks the marker on every request: from the next request on, the new slot serves. Creating a file and
# removing one are both atomic, so no request sees a half-made switch.
switch_traffic() {
  CURRENT_STEP=switch_traffic
  if [ "$NEW_SLOT" = green ]; then
    run touch "$ROUTE_DIR/$GREEN_MARKER"
  else
    run rm -f "$ROUTE_DIR/$GREEN_MARKER"
  fi
  SWITCHED=true
  run sleep "$SWITCH_SETTLE_SECONDS"
  progress "switch_traffic: nginx now routes to slot $NEW_SLOT: ${#NEW_CONTAINERS[@]} replica(s) of $IMAGE"
}

# SIGTERM: the old slot gets no new requests any more; each replica finishes the ones it has (SHUTDOWN_DELAY_MS,
# then a drain) and exits; Docker kills it only after STOP_TIMEOUT_SECONDS.
prune_old() {
  CURRENT_STEP=prune_old
  if $DRY_RUN; then
    run "$DOCKER" stop --time "$STOP_TIMEOUT_SECONDS" old-replicas
    run "$DOCKER" rm old-replicas
    return
  fi
  if [ ${#OLD_CONTAINERS[@]} -eq 0 ]; then
    progress "prune_old: no previous replicas to stop"
    return
  fi
  run "$DOCKER" stop --time "$STOP_TIMEOUT_SECONDS" "${OLD_CONTAINERS[@]}"
  run "$DOCKER" rm "${OLD_CONTAINERS[@]}"
  progress "prune_old: stopped and removed ${#OLD_CONTAINERS[@]} previous replica(s)"
}
