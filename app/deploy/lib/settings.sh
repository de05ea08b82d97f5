# shellcheck shell=bash
# Sourced by deploy.sh. Settings read from the env file and the host: replicas, backups, which Compose, the pids
# override Compose v2 needs.

# A value from the env file, for the few settings deploy.sh itself needs (the shell's environment wins, as in Compose).
env_file_value() {
  local key="$1"
  if [ -n "${!key:-}" ]; then printf '%s\n' "${!key}"; return; fi
  sed -n "s/^[[:space:]]*$key[[:space:]]*=[[:space:]]*//p" "$ENV_FILE" | tail -n 1 | sed "s/^[\"']//; s/[\"'][[:space:]]*$//; s/[[:space:]]*$//"
}

# BACKUP_ENABLED=true in the env file keeps compose.backup.yaml (pgBackRest, WAL archiving) in every Compose call, so a deploy
# never drops the db's backup settings; backup.sh init applies them to a running stack (docs/backups.md).
select_backup_override() {
  local value
  value="$(env_file_value BACKUP_ENABLED)"
  case "$value" in
    true) BACKUP_OVERRIDE=(-f "$BUNDLE_DIR/compose.backup.yaml") ;;
    ""|false) BACKUP_OVERRIDE=() ;;
    *) fail "BACKUP_ENABLED must be true or false (got '$value'; see docs/backups.md)" ;;
  esac
}

desired_replicas() {
  local value
  value="$(env_file_value APP_REPLICAS)"
  if [ -z "$value" ]; then
    if [ "$ENV_NAME" = production ]; then value=2; else value=1; fi
  fi
  printf '%s\n' "$value"
}

# Also records the version (COMPOSE_VERSION), asking Compose once: each call costs a Compose start.
detect_compose() {
  if [ -n "${DEPLOY_COMPOSE:-}" ]; then
    read -r -a COMPOSE <<<"$DEPLOY_COMPOSE"
  elif COMPOSE_VERSION="$("$DOCKER" compose version --short 2>/dev/null)"; then
    COMPOSE=("$DOCKER" compose)
    return 0
  elif command -v docker-compose >/dev/null 2>&1; then
    COMPOSE=(docker-compose)
  else
    fail "neither 'docker compose' (the v2 plugin) nor 'docker-compose' is installed"
  fi
  $DRY_RUN || COMPOSE_VERSION="$("${COMPOSE[@]}" version --short 2>/dev/null || true)"
}

# Compose v2 (2.26 measured, on the simulated hosts) refuses a service with pids_limit beside deploy.resources.limits
# unless deploy.resources.limits.pids says the same ("can't set distinct values"); Compose 1.29 refuses that key.
# compose.yaml's pids_limit stays the one owner: on v2 an override with the same values is derived from it.
derive_pids_override() {
  $DRY_RUN && return 0
  local override="$STATE_DIR/compose.pids.yaml" files=("$BUNDLE_DIR/compose.yaml")
  case "$COMPOSE_VERSION" in ""|1.*|v1.*) return 0 ;; esac
  tls_enabled && files+=("$BUNDLE_DIR/compose.tls.yaml")
  mkdir -p "$STATE_DIR"
  awk '/^services:/ { inside = 1; if (!header++) print; next }
       inside && /^[^ #]/ { inside = 0 }
       inside && /^  [A-Za-z0-9_-]+:[[:space:]]*$/ { service = $1 }
       inside && /^    pids_limit:/ { printf "  %s\n    deploy:\n      resources:\n        limits:\n          pids: %s\n", service, $2 }' \
    "${files[@]}" >"$override"
  PIDS_OVERRIDE=(-f "$override")
}
