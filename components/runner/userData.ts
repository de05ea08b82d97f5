// Boot script of the runner host, built as a pure function so tests can read it without an engine.
// It carries no secret: the runner token is read from SSM Parameter Store at boot with the instance role.

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
    /** Jobs run at the same time. */
    readonly concurrent: number;
    /** Pin of the `gitlab-runner` package (e.g. `17.11.0`); empty for the repository's latest. */
    readonly runnerVersion: string;
    /** Reject job containers' traffic to the instance metadata service, so jobs cannot use the instance role. */
    readonly blockInstanceMetadata: boolean;
}

/** Single-quotes `value` for bash. */
export function shellQuote(value: string): string {
    return `'${value.replace(/'/g, `'"'"'`)}'`;
}

/** Region of an ARN (`arn:partition:service:region:account:resource`). */
export function arnRegion(arn: string): string {
    const region = arn.split(":")[3];
    if (!region) throw new Error(`[tokenParameterArn] "${arn}" is not a regional ARN`);
    return region;
}

/** The cloud-init user data (a bash script) of the runner host. */
export function runnerUserData(o: RunnerBootOptions): string {
    return `#!/bin/bash
# Runner host boot script (cloud-init runs it once, as root). The runner token is not in here: it is read from
# SSM Parameter Store with the instance role and handed to gitlab-runner through its environment.
set -euo pipefail

readonly GITLAB_URL=${shellQuote(o.gitlabUrl)}
readonly TOKEN_PARAMETER_ARN=${shellQuote(o.tokenParameterArn)}
readonly TOKEN_REGION=${shellQuote(arnRegion(o.tokenParameterArn))}
readonly RUNNER_NAME=${shellQuote(o.runnerName)}
readonly DEFAULT_IMAGE=${shellQuote(o.defaultImage)}
readonly PRIVILEGED=${shellQuote(String(o.privileged))}
readonly CONCURRENT=${shellQuote(String(o.concurrent))}
readonly RUNNER_VERSION=${shellQuote(o.runnerVersion)}
readonly BLOCK_INSTANCE_METADATA=${shellQuote(String(o.blockInstanceMetadata))}

step() { echo "runner-boot: $*"; }
fail() { echo "ERROR: runner-boot: $*" >&2; exit 1; }

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

install_runner() {
  step "installing gitlab-runner \${RUNNER_VERSION:-(latest)}"
  curl -fsSL https://packages.gitlab.com/install/repositories/runner/gitlab-runner/script.rpm.sh | bash \\
    || fail "could not add the gitlab-runner package repository"
  if [ -n "$RUNNER_VERSION" ]; then
    dnf install -y "gitlab-runner-$RUNNER_VERSION" || fail "could not install gitlab-runner $RUNNER_VERSION"
  else
    dnf install -y gitlab-runner || fail "could not install gitlab-runner"
  fi
}

register_runner() {
  step "registering with $GITLAB_URL (token from $TOKEN_PARAMETER_ARN)"
  local token
  token="$(aws ssm get-parameter --region "$TOKEN_REGION" --name "$TOKEN_PARAMETER_ARN" --with-decryption \\
    --query Parameter.Value --output text)" || fail "could not read the runner token parameter"
  # Through the environment (gitlab-runner reads the token from CI_SERVER_TOKEN), not argv: argv is readable by every local user.
  CI_SERVER_TOKEN="$token" gitlab-runner register --non-interactive \\
    --url "$GITLAB_URL" \\
    --name "$RUNNER_NAME" \\
    --executor docker \\
    --docker-image "$DEFAULT_IMAGE" \\
    --docker-privileged="$PRIVILEGED" \\
    --docker-volumes /certs/client \\
    --docker-volumes /cache \\
    || fail "gitlab-runner register failed"
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
