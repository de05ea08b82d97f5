import { WORLD_PREFIX_BELOW, isWorldCidr } from "../../components/checks/network";
import { PolicyResource, anyUnknown, asArray, asRecord, asString, isUnknown } from "./resource";

export const SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup";
export const SECURITY_GROUP_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule";
export const SECURITY_GROUP_INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";

/** The only ports anyone on the Internet may reach: the web entry points behind nginx. */
// Re-exported for the pack's callers and tests; the rule itself lives in components/checks.
export { WORLD_PREFIX_BELOW, isWorldCidr };

export const WORLD_OPEN_TCP_PORTS: readonly number[] = [80, 443];

/** One ingress permission, normalised across the three ways AWS lets us write it. */
export interface IngressPermission {
    readonly where: string;
    readonly protocol: string;
    readonly fromPort: number;
    readonly toPort: number;
    readonly cidrs: readonly string[];
    /** Managed prefix lists it admits: their entries live outside this program and can change at any time. */
    readonly prefixLists: readonly string[];
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

function permission(
    where: string, protocol: unknown, fromPort: unknown, toPort: unknown, cidrs: string[], prefixLists: string[],
): IngressPermission | undefined {
    if (anyUnknown(protocol, fromPort, toPort)) return undefined;
    const proto = String(protocol ?? "-1");
    const everyPort = allProtocols(proto);
    return {
        where,
        protocol: proto,
        fromPort: everyPort ? 0 : num(fromPort, 0),
        toPort: everyPort ? 65535 : num(toPort, 65535),
        cidrs,
        prefixLists,
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
                    strings(rule.cidrBlocks, rule.ipv6CidrBlocks), strings(rule.prefixListIds)) ?? [];
            });
        case SECURITY_GROUP_RULE:
            if (asString(props.type) !== "ingress") return [];
            return [permission("rule", props.protocol, props.fromPort, props.toPort,
                strings(props.cidrBlocks, props.ipv6CidrBlocks), strings(props.prefixListIds))].flatMap((p) => p ?? []);
        case SECURITY_GROUP_INGRESS_RULE:
            return [permission("rule", props.ipProtocol, props.fromPort, props.toPort,
                strings(props.cidrIpv4, props.cidrIpv6), strings(props.prefixListId))].flatMap((p) => p ?? []);
        default:
            return [];
    }
}

function describePorts(p: IngressPermission): string {
    if (allProtocols(p.protocol)) return "all protocols and ports";
    return p.fromPort === p.toPort ? `${p.protocol} port ${p.fromPort}` : `${p.protocol} ports ${p.fromPort}-${p.toPort}`;
}

function opensEveryPort(p: IngressPermission): boolean {
    return allProtocols(p.protocol) || (p.fromPort <= 0 && p.toPort >= 65535);
}

/**
 * Mandatory: nothing but TCP 80 and 443 may be reachable from the world (any prefix shorter than /8), and SSH (22)
 * never; a managed prefix list, whose entries can change outside this program, never opens every port.
 * Returns one message per offending permission; an empty list means compliant.
 */
export function checkWorldIngress(resource: PolicyResource): string[] {
    const violations: string[] = [];
    for (const p of ingressPermissions(resource)) {
        const lists = p.prefixLists.filter((id) => !isUnknown(id));
        if (lists.length > 0 && opensEveryPort(p)) {
            violations.push(`${p.where} opens ${describePorts(p)} to prefix list ${lists.join(", ")}; a prefix list can hold ` +
                "0.0.0.0/0 and changes outside this program, so name the ports it may reach");
        }
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

/** Where one ingress permission lets traffic in from, as the runner rule needs it (ports do not matter there). */
export interface IngressSources {
    readonly where: string;
    /** Security groups it admits, by id. */
    readonly securityGroups: readonly string[];
    readonly cidrs: readonly string[];
    /** Inputs that carry the sources: their property dependencies name the resources the sources came from. */
    readonly sourceProperties: readonly string[];
    /** The group that lets the traffic in, when it is another resource's (`securityGroupId` of a rule). */
    readonly targetGroupId?: unknown;
}

/** The sources of every ingress permission a resource grants, whichever of the three resource types carries it. */
export function ingressSources(resource: PolicyResource): IngressSources[] {
    const props = resource.props;
    switch (resource.type) {
        case SECURITY_GROUP: {
            const entries: IngressSources[] = asArray(props.ingress).map((raw, index) => {
                const rule = asRecord(raw) ?? {};
                return { where: `ingress[${index}]`, securityGroups: strings(rule.securityGroups), cidrs: strings(rule.cidrBlocks, rule.ipv6CidrBlocks), sourceProperties: [] };
            });
            // The engine records dependencies per top-level input, so those of `ingress` stand for the whole list.
            return [...entries, { where: "ingress", securityGroups: [], cidrs: [], sourceProperties: ["ingress"] }];
        }
        case SECURITY_GROUP_RULE:
            if (asString(props.type) !== "ingress") return [];
            return [{
                where: "rule", securityGroups: strings(props.sourceSecurityGroupId), cidrs: strings(props.cidrBlocks, props.ipv6CidrBlocks),
                sourceProperties: ["sourceSecurityGroupId", "cidrBlocks", "ipv6CidrBlocks"], targetGroupId: props.securityGroupId,
            }];
        case SECURITY_GROUP_INGRESS_RULE:
            return [{
                where: "rule", securityGroups: strings(props.referencedSecurityGroupId), cidrs: strings(props.cidrIpv4, props.cidrIpv6),
                sourceProperties: ["referencedSecurityGroupId", "cidrIpv4", "cidrIpv6"], targetGroupId: props.securityGroupId,
            }];
        default:
            return [];
    }
}
