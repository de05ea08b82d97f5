#!/usr/bin/env bash
# Builds offline stand-ins for the official base images (node, postgres, nginx) from Debian packages,
# because no image registry is reachable from these machines. Production files keep official defaults;
# builds and tests here pass these tags as BUILD_IMAGE / RUNTIME_IMAGE / POSTGRES_IMAGE / NGINX_IMAGE.
# Test-only images are built on request: sim-host (a simulated deploy host: sshd, dockerd, Compose v2,
# cloud-init) and registry (Debian's docker-registry with htpasswd auth), which tests/support/simHosts.ts runs, and
# acme (Debian's certbot, standing in for certbot/certbot: the stack's ACME client with TLS on, tests/deploy/tls.test.ts).
# acme-busybox and nginx-busybox are acme and nginx with the userland of the Alpine-based official images: busybox
# (Debian's build of the same 1.37 release) is /bin/sh, and PATH holds only its applets plus the few real programs the
# official image has beside it, so a GNU-only command or option in the stack's scripts fails there as in production.
# The node images carry the Node.js major of the official bases (24), from the npm registry's node@24 package
# (scripts/node-from-npm.sh), not Debian's older nodejs; a node image of another major is rebuilt.
#
# Usage: scripts/stand-in-images.sh [--rebuild] [--refresh-base] [--print-env] [--check] [IMAGE...]
#   IMAGE           any of: node-build node-runtime postgres nginx (default: these four), sim-host, registry, acme,
#                   acme-busybox, nginx-busybox
#   --rebuild       rebuild the named images even if they exist
#   --refresh-base  debootstrap the shared base rootfs again (it is cached under STANDIN_CACHE)
#   --print-env  after building what is missing, print KEY=value lines for the image variables on stdout
#   --check      build nothing: list the missing or outdated images on stdout, exit 1 when there are any (no root)
# Environment: DEBIAN_MIRROR (default: the Debian mirror in /etc/apt/sources.list*),
#              STANDIN_SUITE (default trixie), STANDIN_CACHE (default /var/cache/cicd-standin),
#              PROGRESS_INTERVAL (seconds between progress lines during the long steps, default 10).
set -euo pipefail

readonly USAGE="Usage: $0 [--rebuild] [--refresh-base] [--print-env] [--check] [node-build|node-runtime|postgres|nginx|sim-host|registry|acme|acme-busybox|nginx-busybox ...]"
readonly SUITE="${STANDIN_SUITE:-trixie}"
readonly CACHE_DIR="${STANDIN_CACHE:-/var/cache/cicd-standin}"
readonly BASE_ROOTFS="$CACHE_DIR/rootfs/$SUITE-minbase"
readonly APT_ARCHIVES="$CACHE_DIR/apt-archives/$SUITE"
readonly DOCKER=/usr/bin/docker
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly SCRIPT_DIR
# shellcheck source=lib/progress.sh
source "$SCRIPT_DIR/lib/progress.sh"
readonly NODE_MAJOR=24
readonly NODE_PREFIX="$CACHE_DIR/node-from-npm"
readonly ALL_IMAGES=(node-build node-runtime postgres nginx)
# Built only when named: only the host-path tests need them.
readonly ON_REQUEST_IMAGES=(sim-host registry acme acme-busybox nginx-busybox)
# PATH of the busybox variants: every applet, then the official image's other programs (links to Debian's builds).
readonly BUSYBOX_APPLETS_DIR=/opt/busybox/bin
readonly IMAGE_PROGRAMS_DIR=/opt/image-programs/bin
# PostgreSQL major version shipped by each suite; the entrypoint and PATH depend on it.
declare -A PG_MAJOR_BY_SUITE=([bookworm]=15 [trixie]=17)

REBUILD=false
REFRESH_BASE=false
PRINT_ENV=false
CHECK_ONLY=false
REQUESTED_IMAGES=()
WORK_ROOT=""
MOUNTED=()

say() { printf '==> %s\n' "$*" >&2; }
fail() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

tag_for() { printf 'cicd-standin/%s:%s' "$1" "$SUITE"; }

parse_args() {
  while [ $# -gt 0 ]; do
    case "$1" in
      --rebuild) REBUILD=true ;;
      --refresh-base) REFRESH_BASE=true ;;
      --print-env) PRINT_ENV=true ;;
      --check) CHECK_ONLY=true ;;
      -h|--help) echo "$USAGE"; exit 0 ;;
      node-build|node-runtime|postgres|nginx|sim-host|registry|acme|acme-busybox|nginx-busybox) REQUESTED_IMAGES+=("$1") ;;
      *) echo "$USAGE" >&2; fail "unknown argument '$1' (allowed: --rebuild, --refresh-base, --print-env, --check, ${ON_REQUEST_IMAGES[*]}, ${ALL_IMAGES[*]})" ;;
    esac
    shift
  done
  [ ${#REQUESTED_IMAGES[@]} -gt 0 ] || REQUESTED_IMAGES=("${ALL_IMAGES[@]}")
  [ -n "${PG_MAJOR_BY_SUITE[$SUITE]:-}" ] || fail "STANDIN_SUITE='$SUITE' is not supported (allowed: ${!PG_MAJOR_BY_SUITE[*]})"
}

image_exists() { "$DOCKER" image inspect "$1" >/dev/null 2>&1; }

# Like the official node images, ours record their Node.js version in ENV NODE_VERSION.
image_is_current() {
  local name="$1"
  case "$name" in
    node-build|node-runtime)
      "$DOCKER" image inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "$(tag_for "$name")" \
        | grep -q "^NODE_VERSION=$NODE_MAJOR\." ;;
    *) return 0 ;;
  esac
}

missing_images() {
  local name
  for name in "${REQUESTED_IMAGES[@]}"; do
    if $REBUILD || ! image_exists "$(tag_for "$name")" || ! image_is_current "$name"; then printf '%s\n' "$name"; fi
  done
}

check_prerequisites() {
  [ "$(id -u)" -eq 0 ] || fail "building stand-in images needs root (debootstrap, chroot, mount)"
  command -v debootstrap >/dev/null || fail "debootstrap is not installed: apt-get install -y debootstrap"
  [ -x "$DOCKER" ] || fail "$DOCKER not found: apt-get install -y docker.io"
  "$DOCKER" info >/dev/null 2>&1 || fail "the Docker engine does not answer on /var/run/docker.sock (is dockerd running?)"
}

# The mirror this machine already trusts for Debian (not -security), so the stand-ins come from the same place.
detect_debian_mirror() {
  if [ -n "${DEBIAN_MIRROR:-}" ]; then printf '%s\n' "$DEBIAN_MIRROR"; return; fi
  local files=() mirror
  shopt -s nullglob
  files=(/etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources)
  shopt -u nullglob
  [ ${#files[@]} -gt 0 ] || fail "no /etc/apt/sources.list* found; set DEBIAN_MIRROR=http://.../debian"
  mirror="$(cat "${files[@]}" 2>/dev/null | awk '
    /^[[:space:]]*URIs:/ { for (i = 2; i <= NF; i++) if ($i ~ /\/debian\/?$/) { print $i; exit } }
    /^[[:space:]]*deb[[:space:]]/ { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\// && $i ~ /\/debian\/?$/) { print $i; exit } }
  ')"
  [ -n "$mirror" ] || fail "no Debian mirror (a URI ending in /debian) in /etc/apt/sources.list*; set DEBIAN_MIRROR"
  printf '%s\n' "${mirror%/}"
}

mount_chroot_filesystems() {
  local root="$1"
  mount -t proc proc "$root/proc" && MOUNTED+=("$root/proc")
  mount --bind /dev "$root/dev" && MOUNTED+=("$root/dev")
  mkdir -p "$root/var/cache/apt/archives" "$APT_ARCHIVES"
  # A shared package cache means a --rebuild or a second image downloads nothing twice.
  mount --bind "$APT_ARCHIVES" "$root/var/cache/apt/archives" && MOUNTED+=("$root/var/cache/apt/archives")
  cp /etc/resolv.conf "$root/etc/resolv.conf"
}

unmount_chroot_filesystems() {
  local i
  for ((i = ${#MOUNTED[@]} - 1; i >= 0; i--)); do
    umount -l "${MOUNTED[$i]}" 2>/dev/null || true
  done
  MOUNTED=()
}

cleanup() {
  unmount_chroot_filesystems
  if [ -n "$WORK_ROOT" ] && [ -d "$WORK_ROOT" ]; then rm -rf --one-file-system "$WORK_ROOT"; fi
}

# A run killed hard (SIGKILL, power loss) cannot run its trap; its work folder is cleared by the next run.
remove_stale_work_dirs() {
  local dir
  for dir in "$CACHE_DIR"/work-*; do
    [ -d "$dir" ] || continue
    say "removing the leftover work folder $dir"
    umount -l "$dir/var/cache/apt/archives" "$dir/dev" "$dir/proc" 2>/dev/null || true
    rm -rf --one-file-system "$dir"
  done
}

in_chroot() {
  local root="$1"; shift
  chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8 "$@"
}

build_base_rootfs() {
  if ! $REFRESH_BASE && [ -f "$BASE_ROOTFS/.complete" ]; then
    say "reusing the shared $SUITE minbase rootfs in $BASE_ROOTFS"
    return
  fi
  local mirror
  mirror="$(detect_debian_mirror)"
  say "debootstrapping Debian $SUITE (minbase) from $mirror into $BASE_ROOTFS"
  rm -rf --one-file-system "$BASE_ROOTFS"
  mkdir -p "$BASE_ROOTFS" "$APT_ARCHIVES"
  progress_run "debootstrap $SUITE" last-line \
    debootstrap --variant=minbase --cache-dir="$APT_ARCHIVES" "$SUITE" "$BASE_ROOTFS" "$mirror" \
    || fail "debootstrap of $SUITE from $mirror failed (see the output above)"
  printf 'deb %s %s main\n' "$mirror" "$SUITE" >"$BASE_ROOTFS/etc/apt/sources.list"
  # Services must not start inside the build chroot; the images start them through their entrypoints.
  printf '#!/bin/sh\nexit 101\n' >"$BASE_ROOTFS/usr/sbin/policy-rc.d"
  chmod 0755 "$BASE_ROOTFS/usr/sbin/policy-rc.d"
  printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n' >"$BASE_ROOTFS/etc/apt/apt.conf.d/90standin"
  touch "$BASE_ROOTFS/.complete"
}

copy_base_rootfs() {
  local name="$1"
  WORK_ROOT="$(mktemp -d "$CACHE_DIR/work-$name.XXXXXX")"
  cp -a "$BASE_ROOTFS/." "$WORK_ROOT/"
  rm -f "$WORK_ROOT/.complete"
}

# Packages go in through apt-get inside the chroot: debootstrap --include does not resolve every dependency.
install_packages() {
  local root="$1"; shift
  say "installing into the rootfs: $*"
  progress_run "apt-get update in the $SUITE rootfs" last-line in_chroot "$root" apt-get -qq update \
    || fail "apt-get update inside the $SUITE chroot failed"
  progress_run "apt-get install $*" last-line \
    in_chroot "$root" apt-get -y -q -o Dpkg::Options::=--force-confold -o Dpkg::Options::=--force-confdef install "$@" \
    || fail "apt-get install $* inside the $SUITE chroot failed"
}

strip_rootfs() {
  local root="$1"
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/log/apt/* "$root"/var/log/*.log \
    "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/tmp/* \
    "$root/usr/sbin/policy-rc.d"
  : >"$root/etc/resolv.conf"
  : >"$root/etc/hostname"
}

import_rootfs() {
  local root="$1" tag="$2"; shift 2
  local changes=() change stop_signal=""
  for change in "$@"; do
    case "$change" in
      STOPSIGNAL\ *) stop_signal="${change#STOPSIGNAL }" ;;
      *) changes+=(--change "$change") ;;
    esac
  done
  progress_run "docker import $tag" last-line import_tarball "$root" "$tag" "${changes[@]}" \
    || fail "docker import of $tag failed"
  if [ -n "$stop_signal" ]; then set_stop_signal "$tag" "$stop_signal"; fi
}

import_tarball() {
  local root="$1" tag="$2"; shift 2
  tar --numeric-owner -C "$root" -c . | "$DOCKER" import "$@" \
    --message "offline stand-in built by scripts/stand-in-images.sh from Debian $SUITE" - "$tag" >/dev/null
}

# docker import --change does not accept STOPSIGNAL; a metadata-only build on top adds it without a layer.
# The classic builder is used because it resolves FROM against local images only and never contacts a registry.
set_stop_signal() {
  local tag="$1" signal="$2"
  printf 'FROM %s\nSTOPSIGNAL %s\n' "$tag" "$signal" \
    | DOCKER_BUILDKIT=0 "$DOCKER" build --quiet --tag "$tag" - >/dev/null \
    || fail "setting STOPSIGNAL $signal on $tag failed"
}

node_version() { "$NODE_PREFIX/node_modules/.bin/node" --version | sed 's/^v//'; }

# Where the official images have them: /usr/local/bin/node, npm in /usr/local/lib/node_modules/npm.
install_node_from_npm() {
  local root="$1" with_npm="$2"
  progress_run "node@$NODE_MAJOR from the npm registry" last-line bash "$SCRIPT_DIR/node-from-npm.sh" "$NODE_PREFIX" \
    || fail "could not fetch node@$NODE_MAJOR from the npm registry"
  install -m 0755 "$NODE_PREFIX/node_modules/node/bin/node" "$root/usr/local/bin/node"
  if [ "$with_npm" = with-npm ]; then
    mkdir -p "$root/usr/local/lib/node_modules"
    cp -a "$NODE_PREFIX/node_modules/npm" "$root/usr/local/lib/node_modules/npm"
    ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
    ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
  fi
  local reported
  reported="$(in_chroot "$root" /usr/local/bin/node --version)" || fail "node does not run inside the $SUITE rootfs"
  [ "$reported" = "v$(node_version)" ] || fail "node in the rootfs reports $reported, expected v$(node_version)"
}

configure_node_build() {
  install_packages "$1" ca-certificates
  install_node_from_npm "$1" with-npm
}

configure_node_runtime() {
  install_node_from_npm "$1" without-npm
  if in_chroot "$1" sh -c 'command -v npm || command -v npx' >/dev/null; then
    fail "the node-runtime rootfs unexpectedly contains npm/npx"
  fi
}

write_postgres_entrypoint() {
  local root="$1" pg_major="$2"
  cat >"$root/usr/local/bin/docker-entrypoint.sh" <<'ENTRYPOINT'
#!/bin/bash
# Honours the parts of the official postgres image's contract that our Compose files rely on:
# POSTGRES_USER / POSTGRES_PASSWORD / POSTGRES_DB (and their *_FILE variants), PGDATA, initdb on first start,
# /docker-entrypoint-initdb.d scripts, TCP on 5432, and the server running as postgres as PID 1.
set -euo pipefail

fail() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

# VAR_FILE lets a Compose secret file provide VAR without putting it in the environment.
load_file_variable() {
  local var="$1" file_var="${1}_FILE"
  if [ -n "${!var:-}" ] && [ -n "${!file_var:-}" ]; then fail "set $var or $file_var, not both"; fi
  if [ -n "${!file_var:-}" ]; then
    [ -r "${!file_var}" ] || fail "$file_var=${!file_var} is not a readable file"
    export "$var"="$(<"${!file_var}")"
  fi
  unset "$file_var"
}

prepare_directories_as_root() {
  mkdir -p "$PGDATA" /var/run/postgresql
  chown postgres:postgres /var/run/postgresql
  chmod 2777 /var/run/postgresql
  if [ "$(stat -c %U "$PGDATA")" != postgres ]; then chown -R postgres:postgres "$PGDATA"; fi
  chmod 0700 "$PGDATA"
}

initialise_cluster() {
  [ -n "$POSTGRES_PASSWORD" ] || [ "${POSTGRES_HOST_AUTH_METHOD:-}" = trust ] \
    || fail "the database is uninitialised and POSTGRES_PASSWORD is not set (or set POSTGRES_HOST_AUTH_METHOD=trust)"
  echo "initialising a new cluster in $PGDATA for user $POSTGRES_USER"
  local pwfile
  pwfile="$(mktemp)"
  printf '%s\n' "${POSTGRES_PASSWORD:-}" >"$pwfile"
  initdb --username="$POSTGRES_USER" --pwfile="$pwfile" --encoding=UTF8 --locale=C.UTF-8 \
    --auth-local=trust --auth-host="${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}" -D "$PGDATA" >/dev/null
  rm -f "$pwfile"
  printf "\nlisten_addresses = '*'\n" >>"$PGDATA/postgresql.conf"
  printf 'host all all all %s\n' "${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}" >>"$PGDATA/pg_hba.conf"

  # While the database and init scripts are set up the server listens only on a private socket, so neither
  # clients nor a pg_isready healthcheck on the default socket see it before it is finished.
  local init_socket_dir
  init_socket_dir="$(mktemp -d)"
  export PGHOST="$init_socket_dir"
  pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -c unix_socket_directories=$init_socket_dir" -w start >/dev/null
  local psql=(psql -v ON_ERROR_STOP=1 --no-psqlrc --username "$POSTGRES_USER" --dbname postgres)
  if [ "$POSTGRES_DB" != postgres ]; then
    # psql interpolates :"db" (quoted identifier) only in script input, not in -c.
    printf 'CREATE DATABASE :"db";\n' | "${psql[@]}" -q --set db="$POSTGRES_DB"
  fi
  local script
  for script in /docker-entrypoint-initdb.d/*; do
    case "$script" in
      *.sh) echo "running $script"; . "$script" ;;
      *.sql) echo "running $script"; "${psql[@]}" --dbname "$POSTGRES_DB" -f "$script" ;;
      *.sql.gz) echo "running $script"; gunzip -c "$script" | "${psql[@]}" --dbname "$POSTGRES_DB" ;;
      *) [ -e "$script" ] && echo "ignoring $script" ;;
    esac
  done
  pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
  unset PGHOST
  rmdir "$init_socket_dir"
  echo "initialisation complete"
}

main() {
  if [ "${1:0:1}" = '-' ]; then set -- postgres "$@"; fi
  if [ "$1" = postgres ] && [ "$(id -u)" = 0 ]; then
    prepare_directories_as_root
    exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
  fi
  if [ "$1" = postgres ]; then
    load_file_variable POSTGRES_PASSWORD
    load_file_variable POSTGRES_USER
    load_file_variable POSTGRES_DB
    export POSTGRES_USER="${POSTGRES_USER:-postgres}"
    export POSTGRES_DB="${POSTGRES_DB:-$POSTGRES_USER}"
    export POSTGRES_PASSWORD="${POSTGRES_PASSWORD:-}"
    if [ ! -s "$PGDATA/PG_VERSION" ]; then initialise_cluster; fi
    unset POSTGRES_PASSWORD
  fi
  exec "$@"
}

main "$@"
ENTRYPOINT
  chmod 0755 "$root/usr/local/bin/docker-entrypoint.sh"
  mkdir -p "$root/docker-entrypoint-initdb.d" "$root/var/lib/postgresql/data" "$root/var/run/postgresql"
  in_chroot "$root" chown postgres:postgres /var/lib/postgresql/data /var/run/postgresql
  chmod 0700 "$root/var/lib/postgresql/data"
  chmod 2777 "$root/var/run/postgresql"
  [ -x "$root/usr/lib/postgresql/$pg_major/bin/postgres" ] || fail "postgres $pg_major binaries missing in the rootfs"
}

configure_postgres() {
  local pg_major="${PG_MAJOR_BY_SUITE[$SUITE]}"
  mkdir -p "$1/etc/postgresql-common"
  # The image initialises its cluster at first start in PGDATA, not at package install time.
  printf 'create_main_cluster = false\n' >"$1/etc/postgresql-common/createcluster.conf"
  install_packages "$1" "postgresql-$pg_major" util-linux
  write_postgres_entrypoint "$1" "$pg_major"
}

write_nginx_entrypoint() {
  cat >"$1/docker-entrypoint.sh" <<'ENTRYPOINT'
#!/bin/sh
# Like the official nginx image: /etc/nginx/templates/*.template are rendered into conf.d with the
# environment's variables (only those that are set, so nginx's own $variables survive), then nginx runs as PID 1.
set -eu
template_dir=/etc/nginx/templates
output_dir="${NGINX_ENVSUBST_OUTPUT_DIR:-/etc/nginx/conf.d}"
if [ -d "$template_dir" ] && [ "${1:-}" = nginx ]; then
  defined_variables="$(env | sed -n 's/^\([A-Za-z_][A-Za-z0-9_]*\)=.*/${\1}/p' | tr '\n' ' ')"
  for template in "$template_dir"/*.template; do
    [ -f "$template" ] || continue
    output="$output_dir/$(basename "$template" .template)"
    echo "rendering $template to $output"
    envsubst "$defined_variables" <"$template" >"$output"
  done
fi
exec "$@"
ENTRYPOINT
  chmod 0755 "$1/docker-entrypoint.sh"
}

write_nginx_config() {
  local root="$1"
  rm -rf "$root/etc/nginx/sites-enabled" "$root/etc/nginx/sites-available" "$root/etc/nginx/conf.d"/*
  cat >"$root/etc/nginx/nginx.conf" <<'CONF'
# Layout of the official image: everything site-specific lives in conf.d/*.conf.
user nginx;
worker_processes auto;
error_log /var/log/nginx/error.log notice;
pid /run/nginx.pid;

events {
    worker_connections 1024;
}

http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    log_format main '$remote_addr - $remote_user [$time_local] "$request" '
                    '$status $body_bytes_sent "$http_referer" "$http_user_agent" "$http_x_forwarded_for"';
    access_log /var/log/nginx/access.log main;
    sendfile on;
    keepalive_timeout 65;
    include /etc/nginx/conf.d/*.conf;
}
CONF
  cat >"$root/etc/nginx/conf.d/default.conf" <<'CONF'
server {
    listen 80;
    server_name localhost;
    location / {
        root /usr/share/nginx/html;
        index index.html;
    }
}
CONF
  mkdir -p "$root/usr/share/nginx/html"
  printf '<!doctype html><title>nginx stand-in</title><p>nginx stand-in is running.</p>\n' \
    >"$root/usr/share/nginx/html/index.html"
  # Logs go to the container's stdout/stderr, where Docker's log driver rotates them.
  ln -sf /dev/stdout "$root/var/log/nginx/access.log"
  ln -sf /dev/stderr "$root/var/log/nginx/error.log"
}

configure_nginx() {
  install_packages "$1" nginx gettext-base curl wget ca-certificates
  in_chroot "$1" sh -c 'getent group nginx >/dev/null || groupadd --system --gid 101 nginx'
  in_chroot "$1" sh -c 'getent passwd nginx >/dev/null || useradd --system --uid 101 --gid nginx --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin nginx'
  write_nginx_config "$1"
  write_nginx_entrypoint "$1"
  in_chroot "$1" nginx -t -c /etc/nginx/nginx.conf >&2 || fail "nginx -t rejected the stand-in configuration"
}

write_sim_host_init() {
  cat >"$1/usr/local/sbin/sim-host-init" <<'INIT'
#!/bin/bash
# Brings a simulated deploy host up the way systemd would on a real machine: dockerd first, then sshd in the
# foreground. Runs under tini (PID 1), so the processes that docker and sshd leave behind are reaped.
# Environment: SIM_AUTHORIZED_KEY (the deploy user's public key, required), SIM_INSECURE_REGISTRIES (comma-separated
# host:port list that dockerd may reach over plain HTTP; the test registry has no TLS).
set -euo pipefail

fail() { printf 'ERROR: sim-host: %s\n' "$*" >&2; exit 1; }

install_authorized_key() {
  [ -n "${SIM_AUTHORIZED_KEY:-}" ] || fail "SIM_AUTHORIZED_KEY (the deploy user's public key) is not set"
  install -d -m 0700 -o deploy -g deploy /home/deploy/.ssh
  printf '%s\n' "$SIM_AUTHORIZED_KEY" >/home/deploy/.ssh/authorized_keys
  chown deploy:deploy /home/deploy/.ssh/authorized_keys
  chmod 0600 /home/deploy/.ssh/authorized_keys
}

# One key per container, made at first start, so that each host has its own identity to verify.
generate_host_key() {
  [ -f /etc/ssh/ssh_host_ed25519_key ] || ssh-keygen -q -t ed25519 -N '' -C "$(hostname)" -f /etc/ssh/ssh_host_ed25519_key
}

write_daemon_config() {
  local registries="" entry
  IFS=',' read -r -a entries <<<"${SIM_INSECURE_REGISTRIES:-}"
  for entry in "${entries[@]}"; do
    [ -n "$entry" ] && registries+="${registries:+, }\"$entry\""
  done
  mkdir -p /etc/docker
  # A cgroup parent of its own keeps this engine's containers apart from the outer engine's in the shared hierarchy.
  printf '{\n  "insecure-registries": [%s],\n  "cgroup-parent": "/sim-host-%s",\n  "log-driver": "json-file"\n}\n' \
    "$registries" "$(hostname)" >/etc/docker/daemon.json
}

start_dockerd() {
  dockerd >/var/log/dockerd.log 2>&1 &
  local _
  for _ in $(seq 1 120); do
    docker info >/dev/null 2>&1 && return
    sleep 0.5
  done
  tail -n 30 /var/log/dockerd.log >&2 || true
  fail "dockerd did not answer within 60 s (see /var/log/dockerd.log)"
}

main() {
  install_authorized_key
  generate_host_key
  write_daemon_config
  start_dockerd
  mkdir -p /run/sshd
  exec /usr/sbin/sshd -D -e
}

main "$@"
INIT
  chmod 0755 "$1/usr/local/sbin/sim-host-init"
}

configure_sim_host() {
  local root="$1"
  install_packages "$root" openssh-server docker.io docker-cli docker-compose cloud-init tini iproute2 iptables \
    ca-certificates curl procps
  rm -f "$root"/etc/ssh/ssh_host_*
  cat >"$root/etc/ssh/sshd_config.d/10-sim-host.conf" <<'CONF'
# A deploy host as we recommend one: key-only logins, no root, one host key type.
HostKey /etc/ssh/ssh_host_ed25519_key
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin no
CONF
  # Containers cannot set the audit login uid; a required pam_loginuid would refuse every session.
  sed -i 's/^session\s\+required\s\+pam_loginuid.so/session optional pam_loginuid.so/' "$root/etc/pam.d/sshd"
  in_chroot "$root" useradd --create-home --shell /bin/bash --groups docker deploy
  # '*' (not '!'): no password, but not a locked account, so key logins work.
  in_chroot "$root" usermod --password '*' deploy
  write_sim_host_init "$root"
  in_chroot "$root" docker compose version >&2 || fail "the sim-host rootfs has no 'docker compose' (Compose v2)"
}

configure_registry() {
  local root="$1"
  install_packages "$root" docker-registry apache2-utils
  mkdir -p "$root/etc/docker/registry" "$root/var/lib/docker-registry"
  cat >"$root/etc/docker/registry/config.yml" <<'CONF'
version: 0.1
log:
  level: info
storage:
  filesystem:
    rootdirectory: /var/lib/docker-registry
http:
  addr: :5000
auth:
  htpasswd:
    realm: cicd-test-registry
    path: /etc/docker/registry/htpasswd
CONF
  rm -f "$root/etc/docker/registry/htpasswd"
  cat >"$root/usr/local/bin/registry-entrypoint" <<'ENTRYPOINT'
#!/bin/sh
# The password reaches the registry only through `docker exec -i <container> htpasswd -iBc ...` (stdin, bcrypt);
# the registry starts once that file exists, because it reads it at start.
set -eu
htpasswd_file=/etc/docker/registry/htpasswd
i=0
while [ ! -s "$htpasswd_file" ]; do
  i=$((i + 1))
  [ "$i" -le 600 ] || { echo "ERROR: registry: no $htpasswd_file after 60 s" >&2; exit 1; }
  sleep 0.1
done
exec docker-registry serve /etc/docker/registry/config.yml
ENTRYPOINT
  chmod 0755 "$root/usr/local/bin/registry-entrypoint"
}

# certbot/certbot's role: certbot and Python's cryptography (the stack's acme.sh uses both), nothing else.
configure_acme() {
  install_packages "$1" certbot ca-certificates
  in_chroot "$1" certbot --version >&2 || fail "certbot does not run in the acme rootfs"
}

# Alpine's userland in a Debian rootfs: busybox as /bin/sh, every applet first in PATH, and beside them only links to
# the programs the official image really has (PROGRAM...). Nothing from coreutils, grep, sed or dash is reachable.
install_busybox_userland() {
  local root="$1" program path applet
  shift
  install_packages "$root" busybox
  mkdir -p "$root$BUSYBOX_APPLETS_DIR" "$root$IMAGE_PROGRAMS_DIR"
  for applet in $(in_chroot "$root" busybox --list); do
    ln -sf /usr/bin/busybox "$root$BUSYBOX_APPLETS_DIR/$applet"
  done
  for program in "$@"; do
    path="$(in_chroot "$root" sh -c "command -v $program")" || fail "$program is missing in the rootfs"
    ln -sf "$path" "$root$IMAGE_PROGRAMS_DIR/$program"
  done
  ln -sf busybox "$root/usr/bin/sh"
  in_chroot "$root" sh -c 'busybox | head -n 1' >&2
}

configure_acme_busybox() {
  configure_acme "$1"
  install_busybox_userland "$1" certbot python3
}

configure_nginx_busybox() {
  configure_nginx "$1"
  install_busybox_userland "$1" nginx envsubst
}

docker_changes_for() {
  local pg_major="${PG_MAJOR_BY_SUITE[$SUITE]}"
  case "$1" in
    node-build|node-runtime) printf '%s\n' "ENV NODE_VERSION=$(node_version)" 'ENV LANG=C.UTF-8' 'CMD ["node"]' ;;
    postgres) printf '%s\n' \
      "ENV PATH=/usr/lib/postgresql/$pg_major/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
      'ENV PGDATA=/var/lib/postgresql/data' 'ENV LANG=C.UTF-8' \
      'VOLUME /var/lib/postgresql/data' 'EXPOSE 5432' 'STOPSIGNAL SIGINT' \
      'ENTRYPOINT ["docker-entrypoint.sh"]' 'CMD ["postgres"]' ;;
    nginx) printf '%s\n' 'EXPOSE 80' 'STOPSIGNAL SIGQUIT' \
      'ENTRYPOINT ["/docker-entrypoint.sh"]' "CMD [\"nginx\", \"-g\", \"daemon off;\"]" ;;
    sim-host) printf '%s\n' 'ENV LANG=C.UTF-8' 'EXPOSE 22' 'VOLUME /var/lib/docker' \
      'ENTRYPOINT ["/usr/bin/tini", "--"]' 'CMD ["/usr/local/sbin/sim-host-init"]' ;;
    registry) printf '%s\n' 'EXPOSE 5000' 'VOLUME /var/lib/docker-registry' \
      'CMD ["/usr/local/bin/registry-entrypoint"]' ;;
    acme) printf '%s\n' 'ENV LANG=C.UTF-8' 'ENV PYTHONDONTWRITEBYTECODE=1' 'ENTRYPOINT ["certbot"]' ;;
    acme-busybox) docker_changes_for acme; printf 'ENV PATH=%s:%s\n' "$BUSYBOX_APPLETS_DIR" "$IMAGE_PROGRAMS_DIR" ;;
    nginx-busybox) docker_changes_for nginx; printf 'ENV PATH=%s:%s\n' "$BUSYBOX_APPLETS_DIR" "$IMAGE_PROGRAMS_DIR" ;;
  esac
}

build_image() {
  local name="$1" tag changes=()
  tag="$(tag_for "$name")"
  say "building $tag"
  copy_base_rootfs "$name"
  mount_chroot_filesystems "$WORK_ROOT"
  "configure_${name//-/_}" "$WORK_ROOT"
  unmount_chroot_filesystems
  strip_rootfs "$WORK_ROOT"
  mapfile -t changes < <(docker_changes_for "$name")
  import_rootfs "$WORK_ROOT" "$tag" "${changes[@]}"
  rm -rf --one-file-system "$WORK_ROOT"
  WORK_ROOT=""
  say "built $tag ($("$DOCKER" image inspect -f '{{.Size}}' "$tag" | awk '{printf "%.0f MB", $1/1e6}'))"
}

# Measured on 2 shared cores, in quarter minutes: debootstrap 1-2 min (once, then cached), an image 3/4 to 1 1/4 min,
# sim-host (dockerd, sshd, cloud-init) twice that. The four bases from scratch: 4-7 min.
build_estimate() {
  local low=0 high=0 name
  if $REFRESH_BASE || [ ! -f "$BASE_ROOTFS/.complete" ]; then low=4 high=8; fi
  for name in "$@"; do
    case "$name" in sim-host) low=$((low + 6)) high=$((high + 10)) ;; *) low=$((low + 3)) high=$((high + 5)) ;; esac
  done
  printf 'usually %d-%d min' $(((low + 3) / 4)) $(((high + 3) / 4))
}

print_env() {
  printf 'BUILD_IMAGE=%s\n' "$(tag_for node-build)"
  printf 'RUNTIME_IMAGE=%s\n' "$(tag_for node-runtime)"
  printf 'POSTGRES_IMAGE=%s\n' "$(tag_for postgres)"
  printf 'NGINX_IMAGE=%s\n' "$(tag_for nginx)"
  local name
  for name in "${REQUESTED_IMAGES[@]}"; do
    case "$name" in
      sim-host) printf 'SIM_HOST_IMAGE=%s\n' "$(tag_for sim-host)" ;;
      registry) printf 'REGISTRY_IMAGE=%s\n' "$(tag_for registry)" ;;
      acme) printf 'ACME_IMAGE=%s\n' "$(tag_for acme)" ;;
      acme-busybox) printf 'ACME_BUSYBOX_IMAGE=%s\n' "$(tag_for acme-busybox)" ;;
      nginx-busybox) printf 'NGINX_BUSYBOX_IMAGE=%s\n' "$(tag_for nginx-busybox)" ;;
    esac
  done
}

main() {
  parse_args "$@"
  local to_build=()
  mapfile -t to_build < <(missing_images)
  if $CHECK_ONLY; then
    [ ${#to_build[@]} -eq 0 ] || { printf '%s\n' "${to_build[@]}"; return 1; }
    return 0
  fi
  if [ ${#to_build[@]} -eq 0 ]; then
    say "stand-in images present: ${REQUESTED_IMAGES[*]} (use --rebuild to rebuild)"
  else
    check_prerequisites
    mkdir -p "$CACHE_DIR"
    # Two callers (a test run and a developer) must not debootstrap into the same cache at once.
    exec 9>"$CACHE_DIR/.lock"
    flock 9
    trap cleanup EXIT
    trap 'exit 130' INT TERM
    remove_stale_work_dirs
    mapfile -t to_build < <(missing_images)
    if [ ${#to_build[@]} -gt 0 ]; then
      say "building ${to_build[*]}: $(build_estimate "${to_build[@]}"), a progress line every ${PROGRESS_INTERVAL:-10} s"
      build_base_rootfs
      local name
      for name in "${to_build[@]}"; do build_image "$name"; done
    fi
  fi
  if $PRINT_ENV; then print_env; fi
}

main "$@"
