# shellcheck shell=bash
# Sourced by deploy.sh. HTTPS (compose.tls.yaml): on when the env file names TLS_DOMAINS.

tls_enabled() { $TLS_ENABLED; }

select_tls_files() {
  if [ -n "$(env_file_value TLS_DOMAINS)" ]; then TLS_ENABLED=true; fi
  tls_enabled || return 0
  [ -f "$BUNDLE_DIR/compose.tls.yaml" ] || fail "TLS_DOMAINS is set but $BUNDLE_DIR/compose.tls.yaml is missing"
  TLS_FILES=(-f "$BUNDLE_DIR/compose.tls.yaml")
}

service_container() {
  "$DOCKER" ps -q --filter "label=com.docker.compose.project=$PROJECT" --filter "label=com.docker.compose.service=$1" | head -n 1
}

# nginx needs a certificate to start: the acme service makes a placeholder at once, then asks the CA.
start_acme() {
  compose "$IMAGE" "$NEW_SLOT" up -d --no-deps --no-recreate acme
  $DRY_RUN && return 0
  local id health deadline=$((SECONDS + 60))
  id="$(service_container acme)"
  [ -n "$id" ] || fail "step ensure_infrastructure: the acme container of project $PROJECT is not running"
  while health="$("$DOCKER" inspect -f '{{.State.Health.Status}}' "$id")" && [ "$health" != healthy ]; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      "$DOCKER" logs --tail 30 "$id" 2>&1 | sed 's/^/    acme | /' >&2 || true
      fail "step ensure_infrastructure: the acme service made no certificate for nginx to start with within 60s (health: $health)"
    fi
    sleep 1
  done
}

# The certificate's status line, after every rollout: waits a while for a first issuance, then says what serves.
report_tls() {
  tls_enabled || return 0
  CURRENT_STEP=report_tls
  $DRY_RUN && { printf '+ report the certificate status of %q\n' "$PROJECT"; return 0; }
  local id status="" deadline=$((SECONDS + ${DEPLOY_TLS_WAIT:-60}))
  id="$(service_container acme)"
  [ -n "$id" ] || { printf 'WARNING: tls: the acme service of %s is not running; nothing renews the certificate\n' "$PROJECT" >&2; return 0; }
  while status="$("$DOCKER" exec "$id" cat /tls/status 2>/dev/null || true)"; [[ "$status" == pending* || -z "$status" ]] && [ "$SECONDS" -lt "$deadline" ]; do
    sleep 1
  done
  case "$status" in
    ok*) progress "tls: $status" ;;
    *) printf 'WARNING: tls%s: %s (docker logs %s)\n' "${DEPLOY_HOST:+ on $DEPLOY_HOST}" "${status:-no status yet}" "$(name_of "$id")" >&2 ;;
  esac
}
