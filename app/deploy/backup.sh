#!/usr/bin/env bash
# Backs up and restores this host's database with pgBackRest (docs/backups.md). Runs against the Compose stack that
# deploy.sh manages, with compose.backup.yaml on top: pgBackRest lives in the db container and archives every WAL
# segment to the repository that /etc/pgbackrest/pgbackrest.conf names (S3 on hosts, a volume on `local`).
#
#   init      apply compose.backup.yaml to the db container, create the repository's stanza (safe to repeat), check
#   backup    take a backup (--type full|diff|incr, default incr; the first one is always full)
#   check     force a WAL switch and wait until it is archived; fails if archiving is failing or stalled
#   info      show the backups and the archived WAL range
#   restore   --latest | --time 'YYYY-MM-DD HH:MM:SS[.fff]+00': replace the database with a backup plus the WAL
#             up to the target, then start it. Refuses while the database runs unless --force (which stops it).
#
# Environment: DEPLOY_HOME, DEPLOY_STATE_DIR, DEPLOY_COMPOSE, DEPLOY_DOCKER as for deploy.sh.
set -Eeuo pipefail

readonly USAGE="Usage: backup.sh init|backup|check|info --env ENV [--type full|diff|incr] [--dir DIR] [--env-file FILE] [--project NAME]
       backup.sh restore --latest|--time 'YYYY-MM-DD HH:MM:SS[.fff]+00' [--force] --env ENV [--dir ...] [--env-file ...] [--project ...]"
readonly ENVIRONMENTS=(local staging production)
readonly DEPLOY_HOME="${DEPLOY_HOME:-${HOME:-/root}/gitlab-docker-delivery}"
readonly TIME_PATTERN='^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?(\+00|Z)$'
readonly DB_READY_TIMEOUT="${BACKUP_DB_READY_TIMEOUT:-300}"

ACTION=""
ENV_NAME=""
BUNDLE_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ENV_FILE=""
PROJECT=""
BACKUP_TYPE=incr
TARGET=""
TARGET_TIME=""
FORCE=false
DOCKER="${DEPLOY_DOCKER:-docker}"
COMPOSE=()

log() { printf '%s backup: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*"; }
fail() {
  printf '%s backup: ERROR: %s%s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "${DEPLOY_HOST:+on $DEPLOY_HOST: }" "$*" >&2
  exit 1
}
usage_error() { printf '%s\n' "$USAGE" >&2; fail "$*"; }

parse_args() {
  [ $# -gt 0 ] || usage_error "an action is required (init, backup, check, info, restore)"
  case "$1" in
    init|backup|check|info|restore) ACTION="$1" ;;
    -h|--help) printf '%s\n' "$USAGE"; exit 0 ;;
    *) usage_error "unknown action '$1' (allowed: init, backup, check, info, restore)" ;;
  esac
  shift
  while [ $# -gt 0 ]; do
    case "$1" in
      --env) ENV_NAME="${2:?--env needs a value}"; shift ;;
      --dir) BUNDLE_DIR="${2:?--dir needs a value}"; shift ;;
      --env-file) ENV_FILE="${2:?--env-file needs a value}"; shift ;;
      --project) PROJECT="${2:?--project needs a value}"; shift ;;
      --type) BACKUP_TYPE="${2:?--type needs a value}"; shift ;;
      --latest) TARGET=latest ;;
      --time) TARGET=time; TARGET_TIME="${2:?--time needs a value}"; shift ;;
      --force) FORCE=true ;;
      *) usage_error "unknown argument '$1'" ;;
    esac
    shift
  done
}

validate_inputs() {
  local known=false name
  for name in "${ENVIRONMENTS[@]}"; do [ "$name" = "$ENV_NAME" ] && known=true; done
  $known || usage_error "--env must be one of: ${ENVIRONMENTS[*]} (got '$ENV_NAME')"
  case "$BACKUP_TYPE" in full|diff|incr) ;; *) usage_error "--type must be full, diff or incr (got '$BACKUP_TYPE')" ;; esac
  if [ "$ACTION" = restore ]; then
    [ -n "$TARGET" ] || usage_error "restore needs --latest or --time"
    [ "$TARGET" != time ] || [[ "$TARGET_TIME" =~ $TIME_PATTERN ]] \
      || usage_error "--time must be UTC like '2026-12-01 16:30:00.250+00' (got '$TARGET_TIME')"
  else
    [ -z "$TARGET" ] && ! $FORCE || usage_error "--latest, --time and --force only apply to restore"
  fi
  BUNDLE_DIR="$(cd "$BUNDLE_DIR" 2>/dev/null && pwd)" || fail "bundle directory does not exist"
  local file
  for file in compose.yaml "compose.$ENV_NAME.yaml" compose.backup.yaml; do
    [ -f "$BUNDLE_DIR/$file" ] || fail "bundle directory '$BUNDLE_DIR' has no $file"
  done
  if [ -z "$ENV_FILE" ] && [ ! -f "$BUNDLE_DIR/.env" ] && [ -f "$DEPLOY_HOME/$ENV_NAME.env" ]; then ENV_FILE="$DEPLOY_HOME/$ENV_NAME.env"; fi
  ENV_FILE="${ENV_FILE:-$BUNDLE_DIR/.env}"
  [ -f "$ENV_FILE" ] && [ -r "$ENV_FILE" ] || fail "env file '$ENV_FILE' is not a readable file; pass --env-file"
  PROJECT="${PROJECT:-gitlab-docker-delivery-$ENV_NAME}"
  [[ "$PROJECT" =~ ^[a-z0-9][a-z0-9_-]*$ ]] || fail "project name '$PROJECT' is invalid"
}

detect_compose() {
  if [ -n "${DEPLOY_COMPOSE:-}" ]; then read -r -a COMPOSE <<<"$DEPLOY_COMPOSE"
  elif "$DOCKER" compose version >/dev/null 2>&1; then COMPOSE=("$DOCKER" compose)
  elif command -v docker-compose >/dev/null; then COMPOSE=(docker-compose)
  else fail "neither 'docker compose' nor 'docker-compose' is installed"; fi
}

compose() {
  # deploy.sh owns the Compose v2 pids override; reuse the one it derived for this host, if any.
  local pids_override="${DEPLOY_STATE_DIR:-$DEPLOY_HOME/state}/compose.pids.yaml" extra=()
  [ -f "$pids_override" ] && extra=(-f "$pids_override")
  APP_IMAGE="${APP_IMAGE:-unused:by-backup}" "${COMPOSE[@]}" --project-name "$PROJECT" --env-file "$ENV_FILE" \
    -f "$BUNDLE_DIR/compose.yaml" -f "$BUNDLE_DIR/compose.$ENV_NAME.yaml" -f "$BUNDLE_DIR/compose.backup.yaml" \
    ${extra[@]+"${extra[@]}"} "$@"
}

db_container() { compose ps -q db 2>/dev/null | head -n 1; }

db_is_running() {
  local id
  id="$(db_container)"
  [ -n "$id" ] && [ "$("$DOCKER" inspect -f '{{.State.Running}}' "$id" 2>/dev/null)" = true ]
}

# In the running server's container: backup and check need its socket and its data folder.
in_db() { compose exec -T -u postgres db "$@"; }
# In a one-off container of the db service (same image, volumes, config), for when the server is stopped.
one_off() { compose run --rm --no-deps -T -u postgres --entrypoint pgbackrest db "$@"; }

require_running_db() { db_is_running || fail "the database container of project $PROJECT is not running; start the stack first"; }

run_init() {
  require_running_db
  # A db container started without compose.backup.yaml is recreated once with it (a short restart); else a no-op.
  log "applying the backup settings to the database container"
  compose up -d --no-deps db || fail "could not start the database with the backup settings"
  wait_db_healthy
  log "creating the stanza in the repository (safe to repeat)"
  in_db pgbackrest stanza-create || fail "stanza-create failed: is the repository reachable and the key right?"
  run_check
}

run_backup() {
  require_running_db
  log "starting a $BACKUP_TYPE backup"
  local started=$SECONDS status=0
  in_db pgbackrest backup --type="$BACKUP_TYPE" || status=$?
  record_backup_result "$status"
  [ "$status" -eq 0 ] || fail "$BACKUP_TYPE backup failed (see pgBackRest's message above)"
  log "$BACKUP_TYPE backup done in $((SECONDS - started)) s"
}

# The outcome of each backup, in the app's own database, where the app reads it for /metrics (backup_job_*): a
# failed scheduled backup is visible there, not only in the journal. Best effort: the backup's own status decides.
record_backup_result() {
  local user database app_role
  user="$(db_env POSTGRES_USER </dev/null)"
  database="$(db_env POSTGRES_DB </dev/null)"
  app_role="$(db_env POSTGRES_APP_USER </dev/null)"
  in_db psql -X -q -v ON_ERROR_STOP=1 -U "$user" -d "$database" \
    -v status="$1" -v type="$BACKUP_TYPE" -v app_role="$app_role" >/dev/null <<'SQL' \
    || log "WARNING: could not record the backup's outcome in the database; the app's backup_job metrics stay as they were"
CREATE SCHEMA IF NOT EXISTS backup_status;
CREATE TABLE IF NOT EXISTS backup_status.last_job (
  one_row boolean PRIMARY KEY DEFAULT true CHECK (one_row),
  backup_type text NOT NULL,
  exit_status integer NOT NULL,
  finished_at timestamptz NOT NULL,
  last_success_at timestamptz
);
GRANT USAGE ON SCHEMA backup_status TO :"app_role";
GRANT SELECT ON backup_status.last_job TO :"app_role";
INSERT INTO backup_status.last_job AS job (backup_type, exit_status, finished_at, last_success_at)
  VALUES (:'type', :status, now(), CASE WHEN :status = 0 THEN now() END)
  ON CONFLICT (one_row) DO UPDATE SET backup_type = excluded.backup_type, exit_status = excluded.exit_status,
    finished_at = excluded.finished_at, last_success_at = coalesce(excluded.last_success_at, job.last_success_at);
SQL
}

# pgbackrest check switches to a new WAL segment and waits for it in the repository; pg_stat_archiver then says
# whether the archiver's newest attempt failed (a segment it keeps retrying stalls everything after it).
run_check() {
  require_running_db
  in_db pgbackrest check || fail "WAL archive check failed: a fresh WAL segment did not reach the repository"
  local failing
  failing="$(in_db psql -X -At -U "$(db_env POSTGRES_USER)" -d postgres -c \
    "select coalesce(last_failed_time > coalesce(last_archived_time, 'epoch'), false) from pg_stat_archiver")" \
    || fail "could not read pg_stat_archiver"
  [ "$failing" = f ] || fail "WAL archiving is failing: the archiver's newest attempt failed (pg_stat_archiver)"
  log "WAL archiving works: a fresh segment reached the repository"
}

db_env() { in_db printenv "$1" 2>/dev/null || printf 'postgres'; }

run_info() { one_off info; }

# A repository this key cannot read (or that holds no backup) stops the restore before anything is touched.
# info --output=json exits 0 even then; its last "status" is the stanza's (0 = ok, 2 = no backup, 99 = unreadable).
preflight_restore() {
  local info code reason
  info="$(one_off info --output=json 2>&1)" || fail "cannot run pgbackrest info: $(printf '%s' "$info" | tail -n 2 | tr '\n' ' ')"
  code="$(printf '%s' "$info" | grep -o '"status":{"code":[0-9]*' | tail -n 1 | grep -o '[0-9]*$' || true)"
  reason="$(printf '%s' "$info" | grep -o '"message":"[^"]*' | head -n 1 | cut -c12-160 || true)"
  case "$code" in
    0) ;;
    2) fail "the repository holds no backup of this cluster yet: nothing to restore" ;;
    *) fail "cannot read the backup repository (wrong BACKUP_CIPHER_PASS, or unreachable; status ${code:-unknown}): $reason" ;;
  esac
}

stop_db_for_restore() {
  if db_is_running; then
    $FORCE || fail "the database is running: restore replaces its data. Pass --force to stop it and restore anyway"
    log "stopping the running database (--force)"
    compose stop --timeout 60 db || fail "could not stop the database"
  fi
}

restore_data() {
  local args=(restore --delta)
  if [ "$TARGET" = time ]; then
    args+=(--type=time "--target=$TARGET_TIME" --target-action=promote)
    log "restoring to the point in time $TARGET_TIME"
  else
    log "restoring to the end of the archived WAL (latest)"
  fi
  local started=$SECONDS
  one_off "${args[@]}" || fail "pgBackRest restore failed (the database stays stopped; see the message above)"
  log "files restored in $((SECONDS - started)) s; starting the database to replay WAL"
}

wait_db_healthy() {
  local waited=0 id health
  id="$(db_container)"
  while :; do
    health="$("$DOCKER" inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{end}}/{{.State.Running}}' "$id" 2>/dev/null || true)"
    [ "$health" = healthy/true ] && return 0
    [ "$waited" -lt "$DB_READY_TIMEOUT" ] || fail "the database is not healthy after ${DB_READY_TIMEOUT} s ($health)"
    sleep 1
    waited=$((waited + 1))
  done
}

start_db_and_wait() {
  compose up -d --no-deps db || fail "could not start the database after the restore"
  wait_db_healthy
  local waited=0
  # Healthy means it accepts connections; recovery has ended once it no longer reports itself in recovery.
  while [ "$(in_db psql -X -At -U "$(db_env POSTGRES_USER)" -d postgres -c 'select pg_is_in_recovery()' 2>/dev/null)" != f ]; do
    [ "$waited" -lt "$DB_READY_TIMEOUT" ] || fail "the restored database is still in recovery after ${DB_READY_TIMEOUT} s"
    sleep 1
    waited=$((waited + 1))
  done
  log "restore complete: the database accepts writes"
}

run_restore() {
  preflight_restore
  stop_db_for_restore
  restore_data
  start_db_and_wait
}

main() {
  parse_args "$@"
  validate_inputs
  detect_compose
  "run_$ACTION"
}

main "$@"
