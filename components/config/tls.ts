// HTTPS of the remote stacks: the names served, the ACME account and directory, and the optional Route 53 zone,
// checked in one place. remote.ts calls it with the Reader, so every problem still lands in the one ConfigError.
import { TLS_KEYS } from "./keys";
import type { Reader } from "./reader";

/** Let's Encrypt's directories; `acmeDirectoryUrl` also takes their short names. */
export const ACME_DIRECTORIES = {
    letsencrypt: "https://acme-v02.api.letsencrypt.org/directory",
    "letsencrypt-staging": "https://acme-staging-v02.api.letsencrypt.org/directory",
} as const;

export interface TlsConfig {
    /** Every name on the certificate; the first is `domain`, the one the URL output names. */
    readonly domains: readonly string[];
    /** The ACME account's contact (expiry warnings, policy mail). */
    readonly email: string;
    readonly directoryUrl: string;
    /** Route 53 zone in which the program points every name at the EC2 host. */
    readonly hostedZoneId?: string;
}

/** A DNS name with at least two labels; IP addresses and wildcards get no certificate over HTTP-01. */
const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const HOSTED_ZONE = /^Z[A-Z0-9]{1,31}$/;

function domainProblem(name: string): string | undefined {
    if (name.startsWith("*.")) return `"${name}" is a wildcard; HTTP-01 cannot prove one (list each name)`;
    if (!DOMAIN.test(name)) return `"${name}" is not a DNS name in lowercase (e.g. app.example.com)`;
    return undefined;
}

/**
 * Reads the TLS keys of a remote stack. Undefined without `domain`: the stack serves plain HTTP and says so in
 * its outputs. `sshHosts` is the `hosts` list, undefined when the stack provisions its EC2 host (the only host a
 * Route 53 record follows).
 */
export function validateTls(r: Reader, sshHosts: readonly unknown[] | undefined): TlsConfig | undefined {
    const ec2Host = sshHosts === undefined;
    const domain = r.string("domain");
    if (domain === undefined) {
        for (const k of TLS_KEYS.slice(1)) {
            if (r.string(k) !== undefined) r.problem(k, "is only used when domain is set (HTTPS with an ACME certificate); set domain, or remove it");
        }
        return undefined;
    }
    const problem = domainProblem(domain);
    if (problem) r.problem("domain", problem);
    const extra = r.stringList("extraDomains");
    extra.forEach((name, i) => {
        const p = domainProblem(name);
        if (p) r.problem(`extraDomains[${i}]`, p);
        else if (name === domain || extra.indexOf(name) !== i) r.problem(`extraDomains[${i}]`, `"${name}" is listed twice`);
    });

    const email = r.required("acmeEmail", "the ACME account's contact address when domain is set (Let's Encrypt mails expiry warnings there)");
    if (email !== "" && !EMAIL.test(email)) r.problem("acmeEmail", `"${email}" is not an email address`);

    const directoryText = r.string("acmeDirectoryUrl") ?? "letsencrypt";
    const directoryUrl = (ACME_DIRECTORIES as Record<string, string>)[directoryText] ?? directoryText;
    if (!/^https:\/\/[^\s/]+(\/\S*)?$/.test(directoryUrl)) {
        r.problem("acmeDirectoryUrl", `"${directoryText}" is neither an https URL of an ACME directory nor one of ${Object.keys(ACME_DIRECTORIES).join(", ")}`);
    }

    // Every host's ACME client asks for its own certificate, and the CA fetches each token from the one machine
    // the name resolves to for it: the other hosts' validations fail, and they serve the placeholder.
    if (sshHosts !== undefined && sshHosts.length > 1) {
        r.problem(
            "domain",
            `is served with an ACME certificate over HTTP-01 by one host, and hosts lists ${sshHosts.length}: the CA would reach only the host the name resolves to, so the others would never get a certificate; list one host, or serve several behind a load balancer that terminates TLS (and leave domain unset)`,
        );
    }

    const hostedZoneId = r.string("hostedZoneId");
    if (hostedZoneId !== undefined && !HOSTED_ZONE.test(hostedZoneId)) r.problem("hostedZoneId", `"${hostedZoneId}" is not a Route 53 hosted zone id (Z...)`);
    else if (hostedZoneId !== undefined && !ec2Host) {
        r.problem("hostedZoneId", "points names at the EC2 host this stack provisions, and hosts is set (no EC2 host); point the names at your hosts in your own DNS, or remove it");
    }
    return { domains: [domain, ...extra], email, directoryUrl, hostedZoneId };
}
