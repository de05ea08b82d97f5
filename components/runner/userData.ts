// Boot script of the runner host, built as a pure function so tests can read it without an engine.
// It carries no secret: the runner token is read from SSM Parameter Store at boot with the instance role.

import { singleQuoted } from "../host/commands";

/** What the boot script needs; none of it is secret. */
export interface RunnerBootOptions {
    /** GitLab URL the runner talks to, e.g. `https://gitlab.com`. */
    readonly gitlabUrl: string;
    /** ARN of the SecureString parameter that holds the `glrt-` token. */
    readonly tokenParameterArn: string;
    /** Runner name shown in GitLab. */
    readonly runnerName: string;
    /** Image of jobs that name none. */
    readonly defaultImage: string;
    /** Privileged job containers (Docker-in-Docker needs it). */
    readonly privileged: boolean;
    /** `--security-opt` values for service containers only (default none). */
    readonly servicesSecurityOpt?: readonly string[];
    /** Jobs run at the same time. */
    readonly concurrent: number;
    /** Version of `gitlab-runner` (e.g. `19.4.0`), downloaded from GitLab's release bucket and checked against its checksum list. */
    readonly runnerVersion: string;
    /** How long the token read and the registration keep retrying before the boot fails (default 900 s). */
    readonly registerDeadlineSeconds?: number;
    /** Reject job containers' traffic to the instance metadata service, so jobs cannot use the instance role. */
    readonly blockInstanceMetadata: boolean;
}

/** Region of an ARN (`arn:partition:service:region:account:resource`). */
export function arnRegion(arn: string): string {
    const region = arn.split(":")[3];
    if (!region) throw new Error(`[tokenParameterArn] "${arn}" is not a regional ARN`);
    return region;
}

/** The cloud-init user data (a bash script) of the runner host. */
export function runnerUserData(o: RunnerBootOptions): string {
    if (!/^\d+\.\d+\.\d+$/.test(o.runnerVersion)) throw new Error(`[runnerVersion] "${o.runnerVersion}" must be a release such as 19.4.0: the runner never installs "latest"`);
    return `#!/bin/bash
# Runner host boot script (cloud-init runs it once, as root). The runner token is not in here: it is read from
# SSM Parameter Store with the instance role and handed to gitlab-runner through its environment.
set -euo pipefail

readonly GITLAB_URL=${singleQuoted(o.gitlabUrl)}
readonly TOKEN_PARAMETER_ARN=${singleQuoted(o.tokenParameterArn)}
readonly TOKEN_REGION=${singleQuoted(arnRegion(o.tokenParameterArn))}
readonly RUNNER_NAME=${singleQuoted(o.runnerName)}
readonly DEFAULT_IMAGE=${singleQuoted(o.defaultImage)}
readonly PRIVILEGED=${singleQuoted(String(o.privileged))}
readonly CONCURRENT=${singleQuoted(String(o.concurrent))}
readonly RUNNER_VERSION=${singleQuoted(o.runnerVersion)}
readonly BLOCK_INSTANCE_METADATA=${singleQuoted(String(o.blockInstanceMetadata))}
readonly REGISTER_DEADLINE_SECONDS=${singleQuoted(String(o.registerDeadlineSeconds ?? 900))}
readonly RELEASES="https://s3.dualstack.us-east-1.amazonaws.com/gitlab-runner-downloads/v$RUNNER_VERSION"

# cloud-init copies a boot script's output to the console log, so failures are readable with
# \`aws ec2 get-console-output\` even when the host cannot be reached at all.
step() { echo "runner-boot: $*"; }
readonly CONSOLE="\${RUNNER_BOOT_CONSOLE:-/dev/console}"
fail() { echo "ERROR: runner-boot: $*" | tee -a "$CONSOLE" >&2; exit 1; }

# Runs "$@" until it succeeds, waiting 5, 10, 20, ... (at most 60) seconds between tries, until the deadline;
# IAM changes (the instance role's right to read the token) take a while to reach every region endpoint.
retry_until_deadline() {
  local what="$1"; shift
  local deadline=$(( $(date +%s) + REGISTER_DEADLINE_SECONDS )) delay=5 attempt=1
  until "$@"; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      fail "$what failed $attempt times over $REGISTER_DEADLINE_SECONDS s; giving up (see the lines above)"
    fi
    step "$what failed (attempt $attempt); retrying in $delay s"
    sleep "$delay"
    attempt=$(( attempt + 1 ))
    delay=$(( delay * 2 > 60 ? 60 : delay * 2 ))
  done
}

block_instance_metadata() {
  [ "$BLOCK_INSTANCE_METADATA" = "true" ] || return 0
  step "job containers may not reach the instance metadata service (the instance role can read the runner token)"
  mkdir -p /etc/systemd/system/docker.service.d
  cat > /etc/systemd/system/docker.service.d/block-instance-metadata.conf <<'UNIT'
[Service]
ExecStartPost=/bin/sh -c 'iptables -C DOCKER-USER -d 169.254.169.254/32 -j REJECT 2>/dev/null || iptables -I DOCKER-USER -d 169.254.169.254/32 -j REJECT'
UNIT
}

install_docker() {
  step "installing Docker"
  dnf install -y docker || fail "could not install Docker"
  systemctl daemon-reload
  systemctl enable --now docker || fail "Docker did not start"
}

# The pinned release from GitLab's download bucket, checked against the release's own checksum list: no
# package-repository script piped into a shell, and never whatever "latest" is today.
install_runner() {
  step "installing gitlab-runner $RUNNER_VERSION"
  local arch dir
  case "$(uname -m)" in x86_64) arch=amd64 ;; aarch64) arch=arm64 ;; *) fail "unsupported architecture $(uname -m)" ;; esac
  dir="$(mktemp -d)"
  for file in "rpm/gitlab-runner_$arch.rpm" "rpm/gitlab-runner-helper-images.rpm" release.sha256; do
    retry_until_deadline "download of $file" curl -fsSL --create-dirs -o "$dir/$file" "$RELEASES/$file"
  done
  (cd "$dir" && grep -E " \\*?rpm/(gitlab-runner_$arch|gitlab-runner-helper-images)\\.rpm$" release.sha256 | sed 's/ \\*/  /' | sha256sum --check --strict) \\
    || fail "gitlab-runner $RUNNER_VERSION does not match its release.sha256"
  dnf install -y "$dir/rpm/gitlab-runner-helper-images.rpm" "$dir/rpm/gitlab-runner_$arch.rpm" \\
    || fail "could not install gitlab-runner $RUNNER_VERSION"
  rm -rf "$dir"
}

read_token() {
  token="$(aws ssm get-parameter --region "$TOKEN_REGION" --name "$TOKEN_PARAMETER_ARN" --with-decryption \\
    --query Parameter.Value --output text)"
}

register_once() {
  # Through the environment (gitlab-runner reads the token from CI_SERVER_TOKEN), not argv: argv is readable by every local user.
  CI_SERVER_TOKEN="$token" gitlab-runner register --non-interactive \\
    --url "$GITLAB_URL" \\
    --name "$RUNNER_NAME" \\
    --executor docker \\
    --docker-image "$DEFAULT_IMAGE" \\
    --docker-privileged="$PRIVILEGED" \\
${(o.servicesSecurityOpt ?? []).map((opt) => `    --docker-services-security-opt ${singleQuoted(opt)} \\
`).join("")}    --docker-volumes /certs/client \\
    --docker-volumes /cache
}

register_runner() {
  step "registering with $GITLAB_URL (token from $TOKEN_PARAMETER_ARN)"
  local token=""
  retry_until_deadline "reading the runner token parameter" read_token
  retry_until_deadline "gitlab-runner register" register_once
  unset token
  sed -i "s/^concurrent = .*/concurrent = $CONCURRENT/" /etc/gitlab-runner/config.toml
  chmod 600 /etc/gitlab-runner/config.toml
}

start_runner() {
  step "starting gitlab-runner"
  systemctl enable gitlab-runner
  systemctl restart gitlab-runner || fail "gitlab-runner did not start"
}

block_instance_metadata
install_docker
install_runner
register_runner
start_runner
step "done"
`;
}
