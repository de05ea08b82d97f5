// The one owner of CIDR rules: config validation, the components and the policy pack all import these.

/** Parses an IPv4 or IPv6 CIDR; returns its version and prefix length, or undefined when malformed. */
export function parseCidr(cidr: string): { version: 4 | 6; prefix: number } | undefined {
    const m = /^([^/]+)\/(\d{1,3})$/.exec(cidr.trim());
    if (!m) return undefined;
    const [, address, prefixText] = m;
    const prefix = Number(prefixText);
    if (/^\d{1,3}(\.\d{1,3}){3}$/.test(address)) {
        if (address.split(".").some((o) => Number(o) > 255) || prefix > 32) return undefined;
        return { version: 4, prefix };
    }
    if (address.includes(":") && /^[0-9a-fA-F:]+$/.test(address) && (address.match(/::/g) ?? []).length <= 1) {
        return prefix > 128 ? undefined : { version: 6, prefix };
    }
    return undefined;
}

/**
 * Prefixes shorter than this count as the whole Internet. Nobody owns a /7: `0.0.0.0/1` plus `128.0.0.0/1` is
 * 0.0.0.0/0 written in two halves, so the check cannot stop at /0.
 */
export const WORLD_PREFIX_BELOW = 8;

/**
 * True for any CIDR whose prefix is shorter than /8 (0.0.0.0/0, ::/0, 0.0.0.0/1, 128.0.0.0/1, ...). It reads only
 * the prefix, so the policy pack can judge what a provider already accepted; validators call `parseCidr` first.
 */
export function isWorldCidr(cidr: string): boolean {
    const match = /\/(\d+)$/.exec(cidr.trim());
    return match !== null && Number(match[1]) < WORLD_PREFIX_BELOW;
}

/**
 * The address the deploy commands dial when `sshConnectVia` is unset: the host's public one only when SSH ingress
 * lets a machine outside the VPC in (`sshIngressCidrs`); otherwise the private one, which the deploy runner reaches
 * from inside the VPC. Config validation and Ec2Host both default to this.
 */
export function defaultConnectVia(ingressCidrs: readonly string[]): "public" | "private" {
    return ingressCidrs.length > 0 ? "public" : "private";
}
