#!/bin/sh
# The stack's ACME client (compose.tls.yaml, service acme): keeps /tls/fullchain.pem and /tls/privkey.pem, which
# nginx serves, valid for TLS_DOMAINS. certbot proves each name over HTTP-01 through nginx (the token goes to the
# webroot nginx serves at /.well-known/acme-challenge/). A new certificate replaces the served one only after
# certbot succeeded, so a failed issuance or renewal leaves the previous certificate serving; every outcome is one
# line in /tls/status (deploy.sh prints it) and in the container's log. Private keys are never printed.
#
# Environment: TLS_DOMAINS (comma-separated, first = primary), ACME_EMAIL, ACME_DIRECTORY_URL (required)
#              ACME_CHECK_SECONDS  how often to look at the certificate (default 43200, twice a day)
#              ACME_RETRY_SECONDS  wait after a failed attempt (default 3600)
# Renewal: when less than a third of the certificate's lifetime is left (30 days of Let's Encrypt's 90).
set -eu

readonly TLS_DIR=/tls
readonly WEBROOT=/var/www/acme
readonly TRUST_DIR=/etc/acme/trust
readonly CERTBOT_DIR=/etc/letsencrypt
readonly LINEAGE=site
readonly CHECK_SECONDS="${ACME_CHECK_SECONDS:-43200}"
readonly RETRY_SECONDS="${ACME_RETRY_SECONDS:-3600}"

log() { printf 'acme: %s\n' "$*" >&2; }
fail() { log "ERROR: $*"; exit 1; }
now() { date -u +%Y-%m-%dT%H:%M:%SZ; }

# One line, replaced atomically: deploy.sh and operators read it with `cat /tls/status`.
set_status() {
  printf '%s\n' "$*" >"$TLS_DIR/.status.tmp"
  mv -f "$TLS_DIR/.status.tmp" "$TLS_DIR/status"
  log "$*"
}

check_settings() {
  [ -n "${TLS_DOMAINS:-}" ] || fail "TLS_DOMAINS is empty: the env file must name the certificate's domains"
  [ -n "${ACME_EMAIL:-}" ] || fail "ACME_EMAIL is empty: the env file must give the ACME account's contact"
  [ -n "${ACME_DIRECTORY_URL:-}" ] || fail "ACME_DIRECTORY_URL is empty: the env file must name the ACME directory"
  case "$CHECK_SECONDS$RETRY_SECONDS" in *[!0-9]*) fail "ACME_CHECK_SECONDS and ACME_RETRY_SECONDS must be whole seconds" ;; esac
}

# requests (certbot's HTTP client) trusts one bundle: the system roots plus those of a private CA, if any.
trust_private_ca() {
  set -- "$TRUST_DIR"/*.pem
  [ -e "$1" ] || return 0
  cat /etc/ssl/certs/ca-certificates.crt "$@" >/tmp/acme-ca-bundle.pem
  export REQUESTS_CA_BUNDLE=/tmp/acme-ca-bundle.pem
  log "trusting the private CA root(s) in $TRUST_DIR for $ACME_DIRECTORY_URL"
}

# Prints "not_before not_after names serial" of a PEM certificate (names sorted, comma-separated).
certificate_facts() {
  python3 - "$1" <<'PY'
import datetime, sys
from cryptography import x509
cert = x509.load_pem_x509_certificate(open(sys.argv[1], "rb").read())
def seconds(d):
    return int((d if d.tzinfo else d.replace(tzinfo=datetime.timezone.utc)).timestamp())
try:
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName)
except x509.ExtensionNotFound:
    names = []
before = getattr(cert, "not_valid_before_utc", None) or cert.not_valid_before
after = getattr(cert, "not_valid_after_utc", None) or cert.not_valid_after
print(seconds(before), seconds(after), ",".join(sorted(names)), format(cert.serial_number, "x"))
PY
}

# nginx cannot start without a certificate: until the first issuance it serves a self-signed one.
ensure_placeholder() {
  [ -s "$TLS_DIR/fullchain.pem" ] && [ -s "$TLS_DIR/privkey.pem" ] && return 0
  python3 - "$TLS_DIR" "${TLS_DOMAINS%%,*}" <<'PY'
import datetime, os, sys
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
folder, domain = sys.argv[1], sys.argv[2]
key = ec.generate_private_key(ec.SECP256R1())
name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "placeholder " + domain)])
now = datetime.datetime.now(datetime.timezone.utc)
cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(days=7))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(domain)]), critical=False).sign(key, hashes.SHA256()))
fd = os.open(os.path.join(folder, ".privkey.tmp"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
with os.fdopen(fd, "wb") as f:
    f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
with open(os.path.join(folder, ".fullchain.tmp"), "wb") as f:
    f.write(cert.public_bytes(serialization.Encoding.PEM))
PY
  install_pair "$TLS_DIR/.fullchain.tmp" "$TLS_DIR/.privkey.tmp"
  rm -f "$TLS_DIR/issued"
  set_status "pending since $(now): no certificate issued yet for $TLS_DOMAINS; serving a self-signed placeholder"
}

# Key first, then the certificate nginx's watch looks at; both renamed into place, never written in place.
install_pair() {
  chmod 0600 "$2"
  chmod 0644 "$1"
  mv -f "$2" "$TLS_DIR/privkey.pem"
  mv -f "$1" "$TLS_DIR/fullchain.pem"
}

wanted_names() { printf '%s' "$TLS_DOMAINS" | tr ',' '\n' | sort | paste -sd, -; }

# Prints why a certificate is needed now, or nothing.
issue_reason() {
  [ -f "$TLS_DIR/issued" ] || { echo "no certificate issued yet"; return; }
  [ "$(cat "$TLS_DIR/issued")" = "$ACME_DIRECTORY_URL" ] || { echo "ACME_DIRECTORY_URL changed"; return; }
  set -- $(certificate_facts "$TLS_DIR/fullchain.pem")
  [ "$3" = "$(wanted_names)" ] || { echo "the names changed ($3 -> $(wanted_names))"; return; }
  if [ $(( ($2 - $(date +%s)) * 3 )) -lt $(( $2 - $1 )) ]; then echo "less than a third of its lifetime is left"; fi
}

served_summary() {
  if [ -f "$TLS_DIR/issued" ]; then
    set -- $(certificate_facts "$TLS_DIR/fullchain.pem")
    printf 'certificate %s for %s, valid until %s' "$4" "$3" "$(date -u -d "@$2" +%Y-%m-%dT%H:%M:%SZ)"
  else
    printf 'the self-signed placeholder'
  fi
}

# One certbot run; on success the new pair replaces the served one, on failure nothing is touched.
issue() {
  reason="$1"
  log "requesting a certificate for $TLS_DOMAINS from $ACME_DIRECTORY_URL: $reason"
  domain_args=""
  for name in $(printf '%s' "$TLS_DOMAINS" | tr ',' ' '); do domain_args="$domain_args -d $name"; done
  # shellcheck disable=SC2086 # one -d per name
  if certbot certonly --non-interactive --agree-tos --email "$ACME_EMAIL" --no-eff-email \
      --server "$ACME_DIRECTORY_URL" --webroot --webroot-path "$WEBROOT" --cert-name "$LINEAGE" $domain_args \
      --force-renewal --config-dir "$CERTBOT_DIR" --work-dir /tmp/certbot-work --logs-dir /tmp/certbot-logs \
      >/tmp/certbot.out 2>&1; then
    sed 's/^/acme: certbot: /' /tmp/certbot.out >&2
    umask 077
    cp "$CERTBOT_DIR/live/$LINEAGE/privkey.pem" "$TLS_DIR/.privkey.tmp"
    umask 022
    cp "$CERTBOT_DIR/live/$LINEAGE/fullchain.pem" "$TLS_DIR/.fullchain.tmp"
    install_pair "$TLS_DIR/.fullchain.tmp" "$TLS_DIR/.privkey.tmp"
    printf '%s\n' "$ACME_DIRECTORY_URL" >"$TLS_DIR/issued"
    set_status "ok since $(now): $(served_summary) from $ACME_DIRECTORY_URL"
    return 0
  fi
  sed 's/^/acme: certbot: /' /tmp/certbot.out >&2
  detail="$(grep -v -e '^[[:space:]]*$' -e '^Ask for help' /tmp/certbot.out | grep -iE 'error|detail|fail' | tail -n 2 | tr '\n' ' ' | cut -c1-300)"
  set_status "failed at $(now) ($reason): ${detail:-certbot exited non-zero}; still serving $(served_summary); next attempt in ${RETRY_SECONDS}s"
  return 1
}

main() {
  check_settings
  mkdir -p "$WEBROOT/.well-known/acme-challenge"
  trust_private_ca
  ensure_placeholder
  while :; do
    reason="$(issue_reason)"
    if [ -z "$reason" ]; then
      sleep "$CHECK_SECONDS"
    elif issue "$reason"; then
      sleep "$CHECK_SECONDS"
    else
      sleep "$RETRY_SECONDS"
    fi
  done
}

main "$@"
