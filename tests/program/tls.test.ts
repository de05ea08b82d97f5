import { strict as assert } from "assert";
import * as pulumi from "@pulumi/pulumi";
import { valueOf } from "../support/mocks";
import { hostsSource } from "./configHarness";
import { captureStack } from "./stacks";

// HTTPS of the remote stacks (issue 16): how the program turns the config keys (their checks: tests/components/config/
// tls.test.ts) into open ports, the env file nginx and the ACME client read, DNS records and outputs (components/program/hosts.ts).

const TLS = { domain: "app.example.com", acmeEmail: "ops@example.com" };
const HOSTS = hostsSource();

function ingressPorts(resources: readonly { type: string; inputs: any }[]): number[] {
    const sg = resources.filter((r) => r.type === "aws:ec2/securityGroup:SecurityGroup" && /Compose host/.test(String(r.inputs.description)));
    assert.equal(sg.length, 1, "one security group of the app host");
    return sg[0].inputs.ingress.filter((rule: any) => (rule.cidrBlocks ?? []).includes("0.0.0.0/0")).map((rule: any) => rule.fromPort);
}

describe("program: tls on the remote stacks", () => {
    it("without domain: only port 80 opens, the env file has no TLS keys, and the outputs say HTTP and how to get HTTPS", async () => {
        const captured = await captureStack("staging");
        assert.equal(captured.error, undefined, String(captured.error));
        assert.deepEqual(ingressPorts(captured.resources), [80]);
        const env = captured.recorder.find("command:remote:Command", "staging-env");
        assert.doesNotMatch(env.inputs.stdin, /HTTPS_PORT|TLS_DOMAINS|ACME_/);
        assert.equal(await valueOf(pulumi.output(captured.outputs!.url)), "http://203.0.113.10");
        assert.match(String(captured.outputs!.tls), /^off: no domain is set, so the hosts serve plain HTTP on port 80 and port 443 stays closed; set domain and acmeEmail/);
        assert.equal(captured.resources.filter((r) => r.type === "aws:route53/record:Record").length, 0);
    });

    for (const stack of ["staging", "prod"] as const) {
        it(`${stack} with domain: 443 opens, the env file tells nginx and the ACME client, the URL is https://domain`, async () => {
            const captured = await captureStack(stack, { config: { ...TLS, extraDomains: JSON.stringify(["www.example.com"]), acmeDirectoryUrl: "letsencrypt-staging" } });
            assert.equal(captured.error, undefined, String(captured.error));
            assert.deepEqual(ingressPorts(captured.resources), [80, 443]);
            const environment = stack === "prod" ? "production" : "staging";
            const env = captured.recorder.find("command:remote:Command", `${environment}-env`);
            assert.match(env.inputs.stdin, /^HTTP_PORT=80$/m);
            assert.match(env.inputs.stdin, /^HTTPS_PORT=443$/m);
            assert.match(env.inputs.stdin, /^TLS_DOMAINS=app\.example\.com,www\.example\.com$/m);
            assert.match(env.inputs.stdin, /^ACME_EMAIL=ops@example\.com$/m);
            assert.match(env.inputs.stdin, /^ACME_DIRECTORY_URL=https:\/\/acme-staging-v02\.api\.letsencrypt\.org\/directory$/m);
            assert.equal(await valueOf(pulumi.output(captured.outputs!.url)), "https://app.example.com");
            assert.match(String(captured.outputs!.tls), /^on: HTTPS on port 443 for app\.example\.com, www\.example\.com with a certificate from https:\/\/acme-staging/);
        });
    }

    it("a changed domain changes the settings fingerprint, so the proxy is recreated with it", async () => {
        const deploy = async (domain: string) => {
            const captured = await captureStack("staging", { config: { ...TLS, domain } });
            return String(await valueOf(pulumi.output(captured.recorder.find("command:remote:Command", "staging-deploy").inputs.create)));
        };
        const fingerprint = (command: string) => /settings=([0-9a-f]{16})/.exec(command)?.[1];
        const [a, b] = [fingerprint(await deploy("app.example.com")), fingerprint(await deploy("shop.example.com"))];
        assert.ok(a && b, "both rollouts carry a settings fingerprint");
        assert.notEqual(a, b);
    });

    it("with hostedZoneId: an A record per name points at the host's Elastic IP before the deploy asks for a certificate", async () => {
        const captured = await captureStack("staging", { config: { ...TLS, extraDomains: JSON.stringify(["www.example.com"]), hostedZoneId: "Z0123456789ABC" } });
        assert.equal(captured.error, undefined, String(captured.error));
        const records = captured.resources.filter((r) => r.type === "aws:route53/record:Record");
        assert.deepEqual(records.map((r) => [r.inputs.name, r.inputs.type, r.inputs.zoneId, r.inputs.allowOverwrite]), [
            ["app.example.com", "A", "Z0123456789ABC", false],
            ["www.example.com", "A", "Z0123456789ABC", false],
        ]);
        const eip = captured.resources.find((r) => r.type === "aws:ec2/eip:Eip")!;
        assert.ok(records.every((r) => r.inputs.records.length === 1 && r.inputs.records[0] !== undefined), "records carry the address");
        assert.ok(records.every((r) => captured.recorder.parentOf(r)?.type === "cicd:host:DnsRecords"));
        const deploy = captured.recorder.find("command:remote:Command", "staging-deploy");
        assert.ok(deploy.dependencies.some((d: string) => d.includes("cicd:host:DnsRecords")), `deploy depends on: ${deploy.dependencies.join(", ")}`);
        assert.ok(eip);
    });

    it("with hosts: the URL names the domain and the env file carries TLS on every host", async () => {
        const captured = await captureStack("staging", { config: { ...TLS, ...HOSTS, "aws:region": undefined } });
        assert.equal(captured.error, undefined, String(captured.error));
        assert.equal(await valueOf(pulumi.output(captured.outputs!.url)), "https://app.example.com");
        const env = captured.recorder.find("command:remote:Command", "staging-env");
        assert.match(env.inputs.stdin, /^TLS_DOMAINS=app\.example\.com$/m);
    });
});

describe("program: the local stack's optional HTTPS", () => {
    it("is off by default and says how to turn it on; httpsPort turns it on with a CA made on this machine", async () => {
        const off = await captureStack("local");
        assert.equal(off.error, undefined, String(off.error));
        assert.match(String(off.outputs!.tls), /^off: plain HTTP on 127\.0\.0\.1:8080; set httpsPort/);
        assert.equal(off.outputs!.caFile, undefined);
        const on = await captureStack("local", { config: { httpsPort: "8443" } });
        assert.equal(on.error, undefined, String(on.error));
        assert.match(String(on.outputs!.tls), /^on: HTTPS on https:\/\/localhost:8443 with a certificate from a CA made on this machine/);
        assert.equal(await valueOf(pulumi.output(on.outputs!.url)), "https://localhost:8443");
        assert.match(on.recorder.find("command:local:Command", "local-env").inputs.stdin, /^TLS_ISSUER=local-ca$/m);
    });

    it("refuses an httpsPort equal to httpPort, or out of range, with one message", async () => {
        for (const [httpsPort, expected] of [["8080", /httpsPort is the same port as httpPort \(8080\)/], ["443", /httpsPort must be a whole number from 1024 to 65535/]] as const) {
            const result = await captureStack("local", { config: { httpsPort } });
            assert.match(String(result.error?.message), expected);
            assert.equal(result.resources.length, 0);
        }
    });
});
