import { strict as assert } from "assert";
import { ConfigError, configKey, validateConfig } from "../../components/config";
import { STACK_CONFIG } from "./stacks";

// One way for the config tests to validate a stack's config: the committed-style config of the stack, with
// overrides (undefined removes a key), and the keys a real stack would hold as secrets.

export const SECRET_KEYS: ReadonlySet<string> = new Set(["sshPrivateKey", "gitlabToken", "registryPassword", "dbPassword"]);

export type RawOverrides = Record<string, string | undefined>;

export function validateStack(stack: string, overrides: RawOverrides = {}, base: Record<string, string> = STACK_CONFIG[stack as "local"] ?? {}) {
    const raw: Record<string, string> = {};
    for (const [key, value] of Object.entries({ ...base, ...overrides })) if (value !== undefined) raw[key] = value;
    return validateConfig(stack, raw, {
        secretKeys: SECRET_KEYS,
        env: {},
        fileExists: (file) => file === "/etc/ssl/certs/ca-certificates.crt",
        organization: "acme",
    });
}

/** The problems a ConfigError lists; fails the test when `fn` does not throw one. */
export function configProblems(fn: () => unknown): string[] {
    try {
        fn();
    } catch (err) {
        assert.ok(err instanceof ConfigError, `expected ConfigError, got ${err}`);
        return [...err.problems];
    }
    return assert.fail("expected a ConfigError");
}

/** A host key line's key, for the `knownHost` of test hosts. */
export const TEST_HOST_KEY = "AAAAC3NzaC1lZDI1NTE5AAAAIBhostkeybodyOfTheServer0123456789abcdef";

/** Config overrides for the `hosts` source on the given addresses (port 22, user deploy), with the EC2 host's keys unset. */
export function hostsSource(addresses: readonly string[] = ["192.0.2.10"]): RawOverrides {
    return {
        hosts: JSON.stringify(addresses.map((address) => ({ address, port: 22, user: "deploy", knownHost: `${address} ssh-ed25519 ${TEST_HOST_KEY}` }))),
        instanceType: undefined,
        sshIngressCidrs: undefined,
        sshPublicKey: undefined,
    };
}

/** The one problem a ConfigError lists; fails the test when there are none or several. */
export function onlyConfigProblem(fn: () => unknown): string {
    const problems = configProblems(fn);
    assert.equal(problems.length, 1, problems.join("\n"));
    return problems[0];
}

/** The problems that name this config key (as the program prints it, namespace included). */
export function problemsAbout(problems: readonly string[], key: string): string[] {
    return problems.filter((p) => p.startsWith(`${configKey(key)} `));
}
