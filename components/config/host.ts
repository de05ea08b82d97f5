// The host keys of the remote stacks: the EC2 host (instance type, SSH ingress and keys, subnet) or, with `hosts`,
// machines the user already has, reached over SSH.
import { defaultConnectVia, isInstanceType, isWorldCidr, parseCidr } from "../checks";
import { ALLOWED_INSTANCE_TYPES, EC2_HOST_KEYS } from "./keys";
import { ConfigError, Reader } from "./reader";
import type { HostConfig, SshHostConfig } from "./types";

/**
 * `hosts`: a list of `{address, port, user, knownHost}`, where `knownHost` is the host's known_hosts line
 * (`ssh-keyscan -p PORT ADDRESS`), so the deploy verifies whom it talks to. Undefined when unset.
 */
function validateSshHosts(r: Reader): SshHostConfig[] | undefined {
    const text = r.string("hosts");
    if (text === undefined) return undefined;
    const usage = "must be a list of {address, port, user, knownHost} (set with `pulumi config set --path 'hosts[0].address' 192.0.2.10` ...)";
    let parsed: unknown;
    try {
        parsed = JSON.parse(text);
    } catch {
        parsed = undefined;
    }
    if (!Array.isArray(parsed) || parsed.length === 0) {
        r.problem("hosts", usage);
        return undefined;
    }
    for (const k of EC2_HOST_KEYS) if (r.string(k) !== undefined) r.problem(k, "configures the EC2 host, which is not created when hosts is set; remove it");
    const hosts: SshHostConfig[] = [];
    parsed.forEach((entry: unknown, i) => {
        const at = (field: string) => `hosts[${i}].${field}`;
        if (typeof entry !== "object" || entry === null || Array.isArray(entry)) return r.problem(`hosts[${i}]`, usage);
        const e = entry as Record<string, unknown>;
        for (const name of Object.keys(e)) if (!["address", "port", "user", "knownHost"].includes(name)) r.problem(at(name), "is not a known key; allowed: address, port, user, knownHost");
        const address = typeof e.address === "string" ? e.address : "";
        if (!/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$|^[0-9a-fA-F:]+$/.test(address)) r.problem(at("address"), `must be a host name or IP address (got ${JSON.stringify(e.address)})`);
        const port = e.port === undefined ? 22 : Number(e.port);
        if (!Number.isInteger(port) || port < 1 || port > 65535) r.problem(at("port"), `must be a port number (got ${JSON.stringify(e.port)})`);
        const user = typeof e.user === "string" ? e.user : "";
        if (!/^[a-z_][a-z0-9_-]{0,31}$/.test(user)) r.problem(at("user"), `must be the Unix user to log in as (got ${JSON.stringify(e.user)})`);
        const known = typeof e.knownHost === "string" ? e.knownHost.trim().split(/\s+/) : [];
        const names = (known[0] ?? "").split(",");
        const expected = port === 22 ? address : `[${address}]:${port}`;
        if (known.length < 3 || !/^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521))$/.test(known[1]) || !/^[A-Za-z0-9+/]+=*$/.test(known[2])) {
            r.problem(at("knownHost"), `must be the host's known_hosts line, e.g. the output of \`ssh-keyscan -p ${port} ${address}\``);
        } else if (!names.includes(expected)) {
            r.problem(at("knownHost"), `names ${known[0]}, not ${expected}: it is another host's key`);
        }
        if (hosts.some((h) => h.address === address && h.port === port)) r.problem(at("address"), `${expected} is listed twice`);
        hosts.push({ address, port, user, hostKey: `${known[1]} ${known[2]}` });
    });
    return hosts;
}

/** The `hosts` value alone (what a program that deploys only to hosts reads); throws one ConfigError. */
export function sshHostsFromConfig(stack: string, text: string): SshHostConfig[] {
    const r = new Reader({ hosts: text }, new Set());
    const hosts = validateSshHosts(r);
    if (r.problems.length > 0 || hosts === undefined) throw new ConfigError(stack, r.problems);
    return hosts;
}

export function validateHost(environment: "staging" | "production", r: Reader): HostConfig {
    const instanceType = r.string("instanceType") ?? (environment === "production" ? "t3.medium" : "t3.small");
    if (!isInstanceType(instanceType)) {
        r.problem("instanceType", `"${instanceType}" is not an EC2 instance type (e.g. t3.small)`);
    } else if (environment === "production" && !ALLOWED_INSTANCE_TYPES.production.includes(instanceType)) {
        r.problem("instanceType", `"${instanceType}" is not allowed in production; allowed: ${ALLOWED_INSTANCE_TYPES.production.join(", ")}`);
    }

    const sshIngressCidrs = r.stringList("sshIngressCidrs");
    sshIngressCidrs.forEach((cidr, i) => {
        if (parseCidr(cidr) === undefined) {
            r.problem(`sshIngressCidrs[${i}]`, `"${cidr}" is not a CIDR block (e.g. 203.0.113.4/32 or 2001:db8::/64)`);
        } else if (isWorldCidr(cidr)) {
            r.problem(`sshIngressCidrs[${i}]`, `"${cidr}" would open SSH to the whole internet; list your own address ranges (e.g. 203.0.113.4/32) or leave it empty to allow only the runner`);
        }
    });

    const hosts = validateSshHosts(r);
    const sshPublicKey = hosts ? r.string("sshPublicKey") ?? "" : r.required("sshPublicKey", "the OpenSSH public key installed on the hosts (ssh-ed25519 ...)");
    if (sshPublicKey !== "" && !/^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/=]+( .*)?$/.test(sshPublicKey)) {
        r.problem("sshPublicKey", "must be an OpenSSH public key line starting with ssh-ed25519, ssh-rsa or ecdsa-sha2-*");
    }
    const sshPrivateKey = r.secret("sshPrivateKey", "the private key matching sshPublicKey, used by the deploy commands", true) ?? "";
    if (sshPrivateKey !== "" && !/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(sshPrivateKey)) {
        r.problem("sshPrivateKey", "must be a PEM/OpenSSH private key (-----BEGIN ... PRIVATE KEY-----)");
    }
    const via = r.string("sshConnectVia") ?? defaultConnectVia(sshIngressCidrs);
    if (via !== "public" && via !== "private") r.problem("sshConnectVia", `must be "public" or "private" (got "${via}")`);

    const subnetId = r.string("subnetId");
    if (subnetId !== undefined && !/^subnet-[0-9a-f]{8,17}$/.test(subnetId)) r.problem("subnetId", `"${subnetId}" is not a subnet id (subnet-...)`);

    return {
        hosts,
        instanceType,
        rootVolumeSizeGb: r.integer("rootVolumeSizeGb", 20, 8, 500),
        sshIngressCidrs,
        sshPublicKey,
        sshPrivateKey,
        sshConnectVia: via === "public" ? "public" : "private",
        subnetId,
    };
}
