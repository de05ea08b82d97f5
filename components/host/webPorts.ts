// The web side of a host: which ports it serves and what the env file tells nginx and the ACME client about them.
// Written here once; ComposeDeployment puts these values in the env file, Ec2Host opens exactly these ports, and
// the program's URL output reads the same values.

/** The port nginx serves HTTP on when nothing else is asked for. */
export const DEFAULT_HTTP_PORT = 80;
/** The port nginx serves HTTPS on when TLS is on. */
export const DEFAULT_HTTPS_PORT = 443;

/** HTTPS with a certificate obtained over ACME HTTP-01 for these names. */
export interface TlsSite {
    /** Every name on the certificate; the first one names the site in URLs. */
    readonly domains: readonly string[];
    readonly email: string;
    readonly directoryUrl: string;
}

/** Env file keys derived from the ports and the TLS site: a value for one of them set elsewhere is a second owner. */
export const WEB_ENV_KEYS = ["HTTP_BIND", "HTTP_PORT", "HTTPS_PORT", "TLS_DOMAINS", "ACME_EMAIL", "ACME_DIRECTORY_URL"] as const;

/** `http://address` for port 80, `http://address:port` otherwise. */
export function webUrl(address: string, port: number): string {
    return port === DEFAULT_HTTP_PORT ? `http://${address}` : `http://${address}:${port}`;
}

/** `https://domain` for port 443, `https://domain:port` otherwise. */
export function httpsUrl(domain: string, port: number): string {
    return port === DEFAULT_HTTPS_PORT ? `https://${domain}` : `https://${domain}:${port}`;
}

function isPort(port: number): boolean {
    return Number.isInteger(port) && port >= 1 && port <= 65535;
}

/** Every problem with a pair of web ports and a TLS site, as `[arg] message` strings. */
export function webPortProblems(httpPort: number, httpsPort: number | undefined, tls: TlsSite | undefined): string[] {
    const problems: string[] = [];
    if (!isPort(httpPort)) problems.push(`[httpPort] must be a port number (got ${httpPort})`);
    if (httpsPort !== undefined && !isPort(httpsPort)) problems.push(`[httpsPort] must be a port number (got ${httpsPort})`);
    if (httpsPort !== undefined && httpsPort === httpPort) problems.push(`[httpsPort] is the same port as httpPort (${httpPort})`);
    if (httpsPort !== undefined && tls === undefined) problems.push("[httpsPort] is set without tls: nothing would listen there");
    if (tls !== undefined && tls.domains.length === 0) problems.push("[tls.domains] names no domain");
    return problems;
}

/** The env file's web settings: HTTP always (with TLS it carries the ACME challenge and the redirect), HTTPS with TLS. */
export function webEnv(httpPort: number, tls: TlsSite | undefined, httpsPort = DEFAULT_HTTPS_PORT): Record<string, string> {
    const env: Record<string, string> = { HTTP_BIND: "0.0.0.0", HTTP_PORT: String(httpPort) };
    if (tls === undefined) return env;
    return { ...env, HTTPS_PORT: String(httpsPort), TLS_DOMAINS: tls.domains.join(","), ACME_EMAIL: tls.email, ACME_DIRECTORY_URL: tls.directoryUrl };
}
