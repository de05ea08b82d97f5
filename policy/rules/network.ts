import { PolicyResource, anyUnknown, asArray, asRecord, asString, isUnknown } from "./resource";

export const SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup";
export const SECURITY_GROUP_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule";
export const SECURITY_GROUP_INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";

/** The only ports anyone on the Internet may reach: the web entry points behind nginx. */
export const WORLD_OPEN_TCP_PORTS: readonly number[] = [80, 443];

/** One ingress permission, normalised across the three ways AWS lets us write it. */
export interface IngressPermission {
    readonly where: string;
    readonly protocol: string;
    readonly fromPort: number;
    readonly toPort: number;
    readonly cidrs: readonly string[];
}

/** True for any CIDR with a /0 prefix: 0.0.0.0/0, ::/0 and their spellings. */
export function isWorldCidr(cidr: string): boolean {
    return /\/0+$/.test(cidr.trim());
}

function allProtocols(protocol: string): boolean {
    return protocol === "-1" || protocol.toLowerCase() === "all";
}

function isTcp(protocol: string): boolean {
    return protocol.toLowerCase() === "tcp" || protocol === "6";
}

function num(value: unknown, fallback: number): number {
    const parsed = typeof value === "string" ? Number(value) : value;
    return typeof parsed === "number" && Number.isFinite(parsed) ? parsed : fallback;
}

function strings(...values: unknown[]): string[] {
    const out: string[] = [];
    for (const value of values) {
        if (typeof value === "string") out.push(value);
        for (const item of asArray(value)) if (typeof item === "string") out.push(item);
    }
    return out;
}

function permission(where: string, protocol: unknown, fromPort: unknown, toPort: unknown, cidrs: string[]): IngressPermission | undefined {
    if (anyUnknown(protocol, fromPort, toPort)) return undefined;
    const proto = String(protocol ?? "-1");
    const everyPort = allProtocols(proto);
    return {
        where,
        protocol: proto,
        fromPort: everyPort ? 0 : num(fromPort, 0),
        toPort: everyPort ? 65535 : num(toPort, 65535),
        cidrs,
    };
}

/** Every ingress permission a resource grants, whichever of the three resource types carries it. */
export function ingressPermissions(resource: PolicyResource): IngressPermission[] {
    const props = resource.props;
    switch (resource.type) {
        case SECURITY_GROUP:
            return asArray(props.ingress).flatMap((raw, index) => {
                const rule = asRecord(raw) ?? {};
                return permission(`ingress[${index}]`, rule.protocol, rule.fromPort, rule.toPort,
                    strings(rule.cidrBlocks, rule.ipv6CidrBlocks)) ?? [];
            });
        case SECURITY_GROUP_RULE:
            if (asString(props.type) !== "ingress") return [];
            return [permission("rule", props.protocol, props.fromPort, props.toPort,
                strings(props.cidrBlocks, props.ipv6CidrBlocks))].flatMap((p) => p ?? []);
        case SECURITY_GROUP_INGRESS_RULE:
            return [permission("rule", props.ipProtocol, props.fromPort, props.toPort,
                strings(props.cidrIpv4, props.cidrIpv6))].flatMap((p) => p ?? []);
        default:
            return [];
    }
}

function describePorts(p: IngressPermission): string {
    if (allProtocols(p.protocol)) return "all protocols and ports";
    return p.fromPort === p.toPort ? `${p.protocol} port ${p.fromPort}` : `${p.protocol} ports ${p.fromPort}-${p.toPort}`;
}

/**
 * Mandatory: nothing but TCP 80 and 443 may be reachable from 0.0.0.0/0 or ::/0, and SSH (22) never.
 * Returns one message per offending permission; an empty list means compliant.
 */
export function checkWorldIngress(resource: PolicyResource): string[] {
    const violations: string[] = [];
    for (const p of ingressPermissions(resource)) {
        const world = p.cidrs.filter((cidr) => !isUnknown(cidr) && isWorldCidr(cidr));
        if (world.length === 0) continue;
        const webOnly = isTcp(p.protocol) && p.fromPort === p.toPort && WORLD_OPEN_TCP_PORTS.includes(p.fromPort);
        if (webOnly) continue;
        const opensSsh = p.fromPort <= 22 && 22 <= p.toPort && (allProtocols(p.protocol) || isTcp(p.protocol));
        violations.push(
            `${p.where} opens ${describePorts(p)} to ${world.join(", ")}` +
            (opensSsh ? ": SSH (port 22) must never be reachable from the Internet; allow it from named CIDRs or the runner's security group" : "") +
            `; only tcp ${WORLD_OPEN_TCP_PORTS.join(" and ")} may be open to the world`,
        );
    }
    return violations;
}
