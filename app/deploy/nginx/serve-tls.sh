#!/bin/sh
# The proxy's command when TLS is on (compose.tls.yaml): nginx in the foreground as PID 1, and beside it a watch on
# the served certificate. When the acme service replaces it, `nginx -s reload` starts workers with the new one while
# the old workers finish their requests and connections: nothing in flight is dropped.
# Environment: TLS_RELOAD_CHECK_SECONDS  how often to look at the certificate (default 30)
set -eu

readonly CERT=/etc/nginx/tls/fullchain.pem
readonly INTERVAL="${TLS_RELOAD_CHECK_SECONDS:-30}"
readonly REDIRECT_PORT_FILE=/tmp/nginx-https-port.conf

# tls.conf's redirect names the public HTTPS port unless it is 443 (the local stack serves HTTPS on another one).
write_redirect_port() {
  case "${HTTPS_PUBLIC_PORT:-443}" in
    443|0|"") printf 'set $https_port_suffix "";\n' ;;
    *[!0-9]*) echo "serve-tls: HTTPS_PUBLIC_PORT must be a port number (got $HTTPS_PUBLIC_PORT)" >&2; exit 1 ;;
    *) printf 'set $https_port_suffix ":%s";\n' "$HTTPS_PUBLIC_PORT" ;;
  esac >"$REDIRECT_PORT_FILE"
}

# sha256sum, not cksum: busybox builds differ in their applets (Alpine's has cksum, Debian's not), both have sha256sum.
# Checked once at start: a missing tool would otherwise read as "no certificate" forever and nginx never reload.
require_checksum_tool() {
  command -v sha256sum >/dev/null || { echo "serve-tls: ERROR: sha256sum not found: cannot watch $CERT for renewals" >&2; exit 1; }
}

certificate_sum() { sha256sum <"$CERT" 2>/dev/null || echo missing; }

watch_certificate() {
  served="$(certificate_sum)"
  while sleep "$INTERVAL"; do
    current="$(certificate_sum)"
    [ "$current" = "$served" ] && continue
    # A certificate nginx refuses (half-written, key mismatch) must not take the running one down: test first.
    if nginx -t -q 2>/dev/null && nginx -s reload; then
      echo "serve-tls: certificate changed; nginx reloaded" >&2
      served="$current"
    else
      echo "serve-tls: certificate changed but nginx -t refused the new one; still serving the previous one" >&2
    fi
  done
}

write_redirect_port
require_checksum_tool
watch_certificate &
exec nginx -g 'daemon off;'
