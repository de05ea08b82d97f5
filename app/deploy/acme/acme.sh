#!/bin/sh
# The stack's ACME client (compose.tls.yaml, service acme): keeps /tls/fullchain.pem and /tls/privkey.pem, which
# nginx serves, valid for TLS_DOMAINS. certbot proves each name over HTTP-01 through nginx (the token goes to the
# webroot nginx serves at /.well-known/acme-challenge/). A new certificate replaces the served one only after
# certbot succeeded, so a failed issuance or renewal leaves the previous certificate serving; every outcome is one
# line in /tls/status (deploy.sh prints it) and in the container's log. Private keys are never printed.
#
# With TLS_ISSUER=local-ca (the local stack) there is no CA to ask: a CA made once on this host (its key 0600 in the
# acme-state volume, its certificate in /tls/ca.pem for browsers and curl to trust) signs the certificate instead.
#
# Environment: TLS_DOMAINS (comma-separated, first = primary), TLS_ISSUER (acme, the default, or local-ca)
#              ACME_EMAIL, ACME_DIRECTORY_URL (required with acme)
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
readonly ISSUER="${TLS_ISSUER:-acme}"
readonly LOCAL_CA_DIR="$CERTBOT_DIR/local-ca"
# nginx in this stack (compose.yaml's proxy service) as the CA reaches it, and how long to wait for it to serve.
readonly CHALLENGE_BASE_URL=http://proxy:8080/.well-known/acme-challenge
readonly PROXY_WAIT_SECONDS=60

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
  case "$ISSUER" in acme|local-ca) ;; *) fail "TLS_ISSUER must be acme or local-ca (got $ISSUER)" ;; esac
  [ "$ISSUER" = local-ca ] && return 0
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

# Who issued the served certificate, as /tls/issued records it: a change of issuer means a new certificate.
issuer_id() { if [ "$ISSUER" = local-ca ]; then echo local-ca; else echo "$ACME_DIRECTORY_URL"; fi; }

wanted_names() { printf '%s' "$TLS_DOMAINS" | tr ',' '\n' | sort | paste -sd, -; }

# Prints why a certificate is needed now, or nothing.
issue_reason() {
  [ -f "$TLS_DIR/issued" ] || { echo "no certificate issued yet"; return; }
  [ "$(cat "$TLS_DIR/issued")" = "$(issuer_id)" ] || { echo "the issuer changed (TLS_ISSUER or ACME_DIRECTORY_URL)"; return; }
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

# The local CA (made once) signs a certificate for TLS_DOMAINS, and 127.0.0.1 when localhost is one of them.
issue_local() {
  reason="$1"
  log "signing a certificate for $TLS_DOMAINS with the local CA: $reason"
  mkdir -p "$LOCAL_CA_DIR"
  chmod 0700 "$LOCAL_CA_DIR"
  python3 - "$LOCAL_CA_DIR" "$TLS_DIR" "$TLS_DOMAINS" <<'PY' || { set_status "failed at $(now) ($reason): the local CA could not sign; still serving $(served_summary)"; return 1; }
import datetime, ipaddress, os, sys
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
ca_dir, tls_dir, names = sys.argv[1], sys.argv[2], sys.argv[3].split(",")
now = datetime.datetime.now(datetime.timezone.utc)
def private(path, key):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
ca_key_path, ca_cert_path = os.path.join(ca_dir, "ca.key"), os.path.join(ca_dir, "ca.pem")
if not os.path.exists(ca_cert_path):
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "gitlab-docker-delivery local CA " + os.uname().nodename)])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=1))
          .not_valid_after(now + datetime.timedelta(days=3650))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
          .sign(ca_key, hashes.SHA256()))
    private(ca_key_path, ca_key)
    open(ca_cert_path, "wb").write(ca.public_bytes(serialization.Encoding.PEM))
ca_key = serialization.load_pem_private_key(open(ca_key_path, "rb").read(), None)
ca = x509.load_pem_x509_certificate(open(ca_cert_path, "rb").read())
key = ec.generate_private_key(ec.SECP256R1())
alt = [x509.DNSName(n) for n in names] + ([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))] if "localhost" in names else [])
cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
        .issuer_name(ca.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1)).not_valid_after(now + datetime.timedelta(days=90))
        .add_extension(x509.SubjectAlternativeName(alt), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256()))
private(os.path.join(tls_dir, ".privkey.tmp"), key)
with open(os.path.join(tls_dir, ".fullchain.tmp"), "wb") as f:
    f.write(cert.public_bytes(serialization.Encoding.PEM) + ca.public_bytes(serialization.Encoding.PEM))
PY
  install_pair "$TLS_DIR/.fullchain.tmp" "$TLS_DIR/.privkey.tmp"
  cp "$LOCAL_CA_DIR/ca.pem" "$TLS_DIR/ca.pem"
  issuer_id >"$TLS_DIR/issued"
  set_status "ok since $(now): $(served_summary) from the local CA (trust /tls/ca.pem)"
}

# nginx starts only once this service is healthy (it needs the placeholder), so on a first deploy the CA would
# fetch the token before anything listens on port 80: a failed validation, then the placeholder for a whole retry
# period. Waits until nginx serves a probe file from the webroot (as the CA will fetch the token), at most
# PROXY_WAIT_SECONDS; asks anyway after that, and the outcome says what the CA saw.
wait_for_challenge_path() {
  probe="probe-$(date +%s)-$$"
  printf '%s' "$probe" >"$WEBROOT/.well-known/acme-challenge/$probe"
  if python3 - "$CHALLENGE_BASE_URL/$probe" "$probe" "$PROXY_WAIT_SECONDS" <<'PY'
import sys, time, urllib.request
url, expected, deadline = sys.argv[1], sys.argv[2], time.monotonic() + int(sys.argv[3])
while True:
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:
            if answer.read().decode() == expected:
                sys.exit(0)
    except Exception:
        pass
    if time.monotonic() > deadline:
        sys.exit(1)
    time.sleep(0.5)
PY
  then
    rm -f "$WEBROOT/.well-known/acme-challenge/$probe"
  else
    rm -f "$WEBROOT/.well-known/acme-challenge/$probe"
    log "nginx did not serve the challenge path ($CHALLENGE_BASE_URL/) within ${PROXY_WAIT_SECONDS}s; asking the CA anyway"
  fi
}

# One certbot run; on success the new pair replaces the served one, on failure nothing is touched.
issue() {
  reason="$1"
  [ "$ISSUER" = local-ca ] && { issue_local "$reason"; return; }
  wait_for_challenge_path
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
    issuer_id >"$TLS_DIR/issued"
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
