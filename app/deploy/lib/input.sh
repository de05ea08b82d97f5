# shellcheck shell=bash
# Sourced by deploy.sh. Input: the command line, the image reference, the env and registry credentials files, all
# checked before anything is touched.

parse_args() {
  [ $# -gt 0 ] || usage_error "no action given (allowed: deploy, prepare, switch, rollback, status, down)"
  ACTION="$1"
  shift
  case "$ACTION" in
    deploy|prepare|switch|rollback|status|down) ;;
    -h|--help) printf '%s\n' "$USAGE"; exit 0 ;;
    *) usage_error "unknown action '$ACTION' (allowed: deploy, prepare, switch, rollback, status, down)" ;;
  esac
  while [ $# -gt 0 ]; do
    case "$1" in
      --image|--env|--dir|--env-file|--project)
        [ $# -ge 2 ] && [ -n "$2" ] || usage_error "$1 needs a value"
        case "$1" in
          --image) IMAGE="$2" ;;
          --env) ENV_NAME="$2" ;;
          --dir) BUNDLE_DIR="$2" ;;
          --env-file) ENV_FILE="$2" ;;
          --project) PROJECT="$2" ;;
        esac
        shift 2
        ;;
      --volumes)
        [ "$ACTION" = down ] || usage_error "--volumes only applies to 'down'"
        REMOVE_VOLUMES=true
        shift
        ;;
      -h|--help) printf '%s\n' "$USAGE"; exit 0 ;;
      -*) usage_error "unknown option '$1'" ;;
      *)
        [ "$ACTION" = rollback ] && [ -z "$IMAGE" ] || usage_error "unexpected argument '$1'"
        IMAGE="$1"
        shift
        ;;
    esac
  done
}

validate_image_ref() {
  local ref="$1" last tag digest
  [[ "$ref" =~ ^[A-Za-z0-9][A-Za-z0-9._/:@-]*$ ]] \
    || fail "image '$ref' is not a valid image reference (expected registry/name:tag or registry/name@sha256:digest)"
  if [[ "$ref" == *@* ]]; then
    digest="${ref#*@}"
    [[ "$digest" =~ ^sha256:[0-9a-f]{64}$ ]] \
      || fail "image '$ref' has a malformed digest (expected @sha256: followed by 64 hex characters)"
    return 0
  fi
  last="${ref##*/}"
  [[ "$last" == *:* ]] \
    || fail "image '$ref' has no tag or digest; deploy an immutable reference (name@sha256:<digest> or name:<git-sha>)"
  tag="${last##*:}"
  [ "$tag" != latest ] \
    || fail "image '$ref' uses the tag 'latest', which moves; deploy a digest (name@sha256:...) or an immutable tag"
  [[ "$tag" =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]] || fail "image '$ref' has an invalid tag '$tag'"
}

validate_inputs() {
  [ -n "$ENV_NAME" ] || usage_error "--env is required (allowed: ${ENVIRONMENTS[*]})"
  local known=false name
  for name in "${ENVIRONMENTS[@]}"; do [ "$name" = "$ENV_NAME" ] && known=true; done
  $known || fail "unknown environment '$ENV_NAME' (allowed: ${ENVIRONMENTS[*]})"

  [ -d "$BUNDLE_DIR" ] || fail "bundle directory '$BUNDLE_DIR' does not exist"
  BUNDLE_DIR="$(cd "$BUNDLE_DIR" && pwd)"
  local file
  for file in compose.yaml "compose.$ENV_NAME.yaml" nginx/app.conf; do
    [ -f "$BUNDLE_DIR/$file" ] || fail "bundle directory '$BUNDLE_DIR' has no $file"
  done

  # A bundle run by hand keeps its .env beside it; on a host the components write DEPLOY_HOME/<env>.env.
  if [ -z "$ENV_FILE" ] && [ ! -f "$BUNDLE_DIR/.env" ] && [ -f "$DEPLOY_HOME/$ENV_NAME.env" ]; then ENV_FILE="$DEPLOY_HOME/$ENV_NAME.env"; fi
  ENV_FILE="${ENV_FILE:-$BUNDLE_DIR/.env}"
  [ -f "$ENV_FILE" ] && [ -r "$ENV_FILE" ] \
    || fail "env file '$ENV_FILE' is not a readable file; create it from $BUNDLE_DIR/.env.example (chmod 600) or pass --env-file"
  ENV_FILE="$(cd "$(dirname "$ENV_FILE")" && pwd)/$(basename "$ENV_FILE")"

  # The same name the Pulumi host components pass, so a deploy.sh run by hand on a host finds their stack.
  PROJECT="${PROJECT:-gitlab-docker-delivery-$ENV_NAME}"
  [[ "$PROJECT" =~ ^[a-z0-9][a-z0-9_-]*$ ]] \
    || fail "project name '$PROJECT' is invalid (lower-case letters, digits, '-' and '_', starting with a letter or digit)"

  case "$ACTION" in
    deploy|prepare|switch)
      [ -n "$IMAGE" ] || usage_error "--image is required for deploy (an image reference by digest or immutable tag)"
      validate_image_ref "$IMAGE"
      ;;
    rollback) [ -z "$IMAGE" ] || validate_image_ref "$IMAGE" ;;
    *) [ -z "$IMAGE" ] || usage_error "--image only applies to deploy and rollback" ;;
  esac

  [ -z "${REGISTRY_CREDENTIALS_FILE:-}" ] || load_registry_credentials "$REGISTRY_CREDENTIALS_FILE"
  if [ -n "${REGISTRY_USER:-}" ] || [ -n "${REGISTRY_PASSWORD:-}" ]; then
    [ -n "${REGISTRY_USER:-}" ] && [ -n "${REGISTRY_PASSWORD:-}" ] \
      || fail "set both REGISTRY_USER and REGISTRY_PASSWORD to log in to the registry, or neither"
  fi
  [[ "$READY_TIMEOUT" =~ ^[1-9][0-9]*$ ]] || fail "DEPLOY_READY_TIMEOUT must be a whole number of seconds (got '$READY_TIMEOUT')"
  [[ "$LOCK_TIMEOUT" =~ ^[0-9]+$ ]] || fail "DEPLOY_LOCK_TIMEOUT must be a whole number of seconds (got '$LOCK_TIMEOUT')"
  REPLICAS="$(desired_replicas)"
  [[ "$REPLICAS" =~ ^[1-9][0-9]?$ ]] || fail "APP_REPLICAS must be a number from 1 to 99 (got '$REPLICAS')"

  STATE_DIR="${DEPLOY_STATE_DIR:-$DEPLOY_HOME/state}"
  LOCK_DIR="$STATE_DIR/deploy.lock"
  RELEASES_FILE="$STATE_DIR/releases"
  PREPARED_FILE="$STATE_DIR/prepared"

  if [ "$ACTION" = rollback ] && [ -z "$IMAGE" ]; then
    IMAGE="$(previous_release)"
    [ -n "$IMAGE" ] || fail "no previous release recorded in $RELEASES_FILE; name one: deploy.sh rollback REF --env $ENV_NAME"
  fi

  if ! $DRY_RUN; then
    command -v "$DOCKER" >/dev/null || fail "'$DOCKER' is not installed"
    # `docker version` asks the engine for one thing; `docker info` would also make the CLI run every plugin.
    "$DOCKER" version --format '{{.Server.Version}}' >/dev/null 2>&1 || fail "the Docker engine does not answer (is dockerd running, may this user use it?)"
  fi
}

# The registry credentials file is written in Compose's env format (KEY=value, nothing quoted for a shell), so
# sourcing it would run a password such as abc$(id). Each line is read as data: the value is everything after the
# first "=", one pair of surrounding quotes removed, nothing expanded. Messages never repeat a line (secrets).
load_registry_credentials() {
  local file="$1" line key value number=0
  [ -f "$file" ] && [ -r "$file" ] || fail "registry credentials file '$file' is not a readable file"
  while IFS= read -r line || [ -n "$line" ]; do
    number=$((number + 1))
    line="${line%$'\r'}"
    [[ "$line" =~ ^[[:space:]]*(#.*)?$ ]] && continue
    [[ "$line" =~ ^[[:space:]]*([A-Za-z_][A-Za-z0-9_]*)=(.*)$ ]] \
      || fail "registry credentials file '$file', line $number: expected KEY=value"
    key="${BASH_REMATCH[1]}"
    value="${BASH_REMATCH[2]}"
    if [[ "$value" =~ ^\"(.*)\"$ ]] || [[ "$value" =~ ^\'(.*)\'$ ]]; then value="${BASH_REMATCH[1]}"; fi
    case "$key" in
      REGISTRY | REGISTRY_USER | REGISTRY_PASSWORD) printf -v "$key" '%s' "$value" ;;
      *) fail "registry credentials file '$file', line $number: unknown key $key (allowed: REGISTRY, REGISTRY_USER, REGISTRY_PASSWORD)" ;;
    esac
  done <"$file"
}
