import * as os from "os";

// What Ec2Host runs on its machine and checks about this one: pure functions returning shell text or a problem.

/** The login user of Canonical's Ubuntu images. */
export const EC2_USER = "ubuntu";

/** cloud-init for Ubuntu LTS: Docker Engine and the Compose v2 plugin from Ubuntu's archive. No secrets. */
export function cloudInit(): string {
    return ["#cloud-config", "package_update: true", "packages:", "  - docker.io", "  - docker-compose-v2", "runcmd:", "  - systemctl enable --now docker", `  - usermod -aG docker ${EC2_USER}`, ""].join("\n");
}

/** Waits for cloud-init (exit 2 = finished with recoverable warnings) and checks Docker + Compose. */
export function waitReadyCommand(): string {
    return [
        "set -eu",
        "status=0; cloud-init status --wait >/dev/null || status=$?",
        'if [ "$status" -ne 0 ] && [ "$status" -ne 2 ]; then echo "ERROR: cloud-init failed with status $status" >&2; exit 1; fi',
        // sudo: this SSH session began before cloud-init added the user to the docker group; later sessions have it.
        "sudo docker version --format 'docker {{.Server.Version}}' && sudo docker compose version",
    ].join("\n");
}

/**
 * Formats the data volume only when it holds no filesystem, then mounts it where Docker keeps named
 * volumes, so the database volume lives on it and survives a host replacement.
 */
export function mountDataVolumeCommand(volumeId: string): string {
    const serial = volumeId.replace("-", "");
    return [
        "set -eu",
        `device=/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_${serial}`,
        'for i in $(seq 1 60); do [ -e "$device" ] && break; [ -e /dev/xvdf ] && device=/dev/xvdf && break; sleep 2; done',
        '[ -e "$device" ] || { echo "ERROR: data volume ' + volumeId + ' is not attached" >&2; exit 1; }',
        'if mountpoint -q /var/lib/docker/volumes; then echo "data volume already mounted"; exit 0; fi',
        'sudo blkid "$device" >/dev/null || sudo mkfs.ext4 -q -L dockerdata "$device"',
        "sudo systemctl stop docker.socket docker",
        "sudo mkdir -p /var/lib/docker/volumes",
        `grep -q 'LABEL=dockerdata' /etc/fstab || echo 'LABEL=dockerdata /var/lib/docker/volumes ext4 defaults,nofail 0 2' | sudo tee -a /etc/fstab >/dev/null`,
        "sudo mount /var/lib/docker/volumes",
        "sudo systemctl start docker",
        'echo "data volume mounted on /var/lib/docker/volumes"',
    ].join("\n");
}

function ipv4InCidr(ip: string, cidr: string): boolean {
    const toInt = (address: string) => address.split(".").reduce((n, octet) => n * 256 + Number(octet), 0);
    const [base, prefixText] = cidr.split("/");
    const prefix = Number(prefixText);
    if (!/^\d+(\.\d+){3}$/.test(ip) || !/^\d+(\.\d+){3}$/.test(base)) return false;
    const size = 2 ** (32 - prefix);
    return Math.floor(toInt(ip) / size) === Math.floor(toInt(base) / size);
}

/**
 * Why dialling `privateIp` from this machine cannot work (no interface of it in the VPC), or undefined.
 * Without this, the command provider retries for minutes and then fails with a bare timeout.
 */
export function privateDialProblem(name: string, privateIp: string, vpcCidr: string, localAddresses: readonly string[]): string | undefined {
    if (localAddresses.some((address) => ipv4InCidr(address, vpcCidr))) return undefined;
    return (
        `${name}: the deploy commands would dial the host's private IP ${privateIp}:22, because sshConnectVia is "private" ` +
        `(the default when sshIngressCidrs is empty: then only the runner's security group may reach port 22), but this ` +
        `machine has no address in the host's VPC ${vpcCidr}, so SSH could never connect. Run \`pulumi up\` from the runner ` +
        "(the pipeline's deploy jobs do), or add this machine's public address to sshIngressCidrs and set sshConnectVia to public."
    );
}

export function interfaceAddresses(): string[] {
    return Object.values(os.networkInterfaces()).flatMap((list) => (list ?? []).map((entry) => entry.address));
}
