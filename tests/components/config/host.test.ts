// components/config/host.ts: the `hosts` list (machines the user has, reached over SSH) and the EC2 host's keys.
import { strict as assert } from "assert";
import { ALLOWED_INSTANCE_TYPES, ProductionConfig, StagingConfig, configKey, sshHostsFromConfig } from "../../../components/config";
import { TEST_HOST_KEY, configProblems, hostsSource, problemsAbout, validateStack } from "../../program/configHarness";

/** One `hosts` entry with a matching known_hosts line; `extra` overrides or adds fields. */
function entry(address: string, port = 22, extra: Record<string, unknown> = {}): Record<string, unknown> {
    const name = port === 22 ? address : `[${address}]:${port}`;
    return { address, port, user: "deploy", knownHost: `${name} ssh-ed25519 ${TEST_HOST_KEY}`, ...extra };
}

/** The problems `sshHostsFromConfig` reports for these entries; [] when it accepts them. */
function hostProblems(...entries: unknown[]): string[] {
    try {
        sshHostsFromConfig("staging", JSON.stringify(entries));
        return [];
    } catch (err) {
        return configProblems(() => {
            throw err;
        });
    }
}

/** The problems that name `key` (e.g. `hosts[0].address`). */

describe("config host: the `hosts` list", () => {
    it("returns each host with its port (22 when unset), user and host key", () => {
        const hosts = sshHostsFromConfig("prod", JSON.stringify([entry("web1.example.com"), entry("192.0.2.10", 2222), { ...entry("2001:db8::10"), port: undefined }]));
        assert.deepEqual(hosts, [
            { address: "web1.example.com", port: 22, user: "deploy", hostKey: `ssh-ed25519 ${TEST_HOST_KEY}` },
            { address: "192.0.2.10", port: 2222, user: "deploy", hostKey: `ssh-ed25519 ${TEST_HOST_KEY}` },
            { address: "2001:db8::10", port: 22, user: "deploy", hostKey: `ssh-ed25519 ${TEST_HOST_KEY}` },
        ]);
    });

    it("throws one ConfigError for the stack it is given, on bad, empty or unset text", () => {
        for (const text of ["web1", "[]", "{}", ""]) {
            assert.throws(() => sshHostsFromConfig("prod", text), (err: Error) => err.name === "ConfigError" && err.message.includes('"prod"'), JSON.stringify(text));
        }
        assert.equal(problemsAbout(configProblems(() => sshHostsFromConfig("prod", "[]")), "hosts").length, 1);
        assert.throws(() => sshHostsFromConfig("prod", JSON.stringify([entry("192.0.2.10", 0)])), /hosts\[0\]\.port/);
    });

    it("refuses an entry that is not an object with one problem naming the entry", () => {
        for (const bad of ["192.0.2.10", null, [entry("192.0.2.10")], 7]) {
            const problems = hostProblems(bad);
            assert.equal(problemsAbout(problems, "hosts[0]").length, 1, JSON.stringify(problems));
            assert.equal(problems.filter((p) => p.startsWith(`${configKey("hosts[0].")}`)).length, 0, JSON.stringify(problems));
        }
    });

    it("takes host names, IPv4 and IPv6 addresses, and refuses anything else", () => {
        for (const address of ["w", "a", "web-1.example.com", "192.0.2.10", "2001:db8::10", "FE80::1"]) assert.deepEqual(hostProblems(entry(address)), [], address);
        for (const address of ["-web", "web-", "web_1", "web 1", "x::1", "2001:db8::/64", "192.0.2.10;reboot", ""]) {
            const problems = problemsAbout(hostProblems(entry(address)), "hosts[0].address");
            assert.equal(problems.length, 1, address);
            assert.ok(problems[0].includes(JSON.stringify(address)), problems[0]);
        }
        for (const address of [["192.0.2.10"], 19216801, undefined]) {
            assert.equal(problemsAbout(hostProblems({ ...entry("192.0.2.10"), address }), "hosts[0].address").length, 1, JSON.stringify(address));
        }
    });

    it("takes ports 1 to 65535, as numbers or numeric strings", () => {
        for (const port of [1, 2222, 65535]) assert.deepEqual(hostProblems(entry("192.0.2.10", port)), [], String(port));
        assert.equal(sshHostsFromConfig("staging", JSON.stringify([{ ...entry("192.0.2.10", 2222), port: "2222" }]))[0].port, 2222);
        for (const port of [0, -22, 65536, 22.5, "ssh"]) {
            assert.equal(problemsAbout(hostProblems({ ...entry("192.0.2.10", 2222), port }), "hosts[0].port").length, 1, String(port));
        }
    });

    it("takes a Unix user name and refuses anything else", () => {
        for (const user of ["deploy", "_svc", "a-b_c9"]) assert.deepEqual(hostProblems(entry("192.0.2.10", 22, { user })), [], user);
        for (const user of ["Deploy", "deploy!", "9deploy", "d".repeat(33), ["deploy"], undefined, ""]) {
            assert.equal(problemsAbout(hostProblems(entry("192.0.2.10", 22, { user })), "hosts[0].user").length, 1, JSON.stringify(user));
        }
    });

    it("takes the host's known_hosts line as ssh-keyscan prints it, extra spaces and a comment included", () => {
        const ok = [
            `  192.0.2.10 ssh-ed25519 ${TEST_HOST_KEY}\n`,
            `192.0.2.10  ssh-rsa\t${TEST_HOST_KEY}== comment`,
            `web1,192.0.2.10 ecdsa-sha2-nistp384 ${TEST_HOST_KEY}`,
        ];
        for (const knownHost of ok) assert.deepEqual(hostProblems(entry("192.0.2.10", 22, { knownHost })), [], knownHost);
        const [first] = sshHostsFromConfig("staging", JSON.stringify([entry("192.0.2.10", 22, { knownHost: ok[1] })]));
        assert.equal(first.hostKey, `ssh-rsa ${TEST_HOST_KEY}==`);
    });

    it("refuses what is not a known_hosts line", () => {
        const bad = [
            "192.0.2.10 ssh-ed25519",
            `192.0.2.10 ssh-dss ${TEST_HOST_KEY}`,
            `192.0.2.10 x-ssh-ed25519 ${TEST_HOST_KEY}`,
            `192.0.2.10 ssh-ed25519-cert-v01@openssh.com ${TEST_HOST_KEY}`,
            `192.0.2.10 ssh-ed25519 !!${TEST_HOST_KEY}`,
            `192.0.2.10 ssh-ed25519 ${TEST_HOST_KEY}!!`,
            [`192.0.2.10 ssh-ed25519 ${TEST_HOST_KEY}`],
            undefined,
        ];
        for (const knownHost of bad) {
            const problems = problemsAbout(hostProblems(entry("192.0.2.10", 22, { knownHost })), "hosts[0].knownHost");
            assert.equal(problems.length, 1, JSON.stringify(knownHost));
            assert.ok(problems[0].includes("ssh-keyscan -p 22 192.0.2.10"), problems[0]);
        }
    });

    it("refuses the same address and port listed twice, naming the second entry", () => {
        const problems = hostProblems(entry("192.0.2.10", 2222), entry("192.0.2.11", 2222), entry("192.0.2.10"), entry("192.0.2.10", 2222));
        assert.equal(problems.length, 1, problems.join("\n"));
        assert.equal(problemsAbout(problems, "hosts[3].address").length, 1, problems.join("\n"));
        assert.ok(problems[0].includes("[192.0.2.10]:2222"), problems[0]);
    });
});

describe("config host: the EC2 host", () => {
    it("defaults to t3.small on staging and t3.medium on production, with a 20 GB root volume", () => {
        const staging = validateStack("staging", { instanceType: undefined }) as StagingConfig;
        assert.equal(staging.host.instanceType, "t3.small");
        assert.equal(staging.host.rootVolumeSizeGb, 20);
        assert.equal((validateStack("prod", { instanceType: undefined }) as ProductionConfig).host.instanceType, "t3.medium");
        assert.equal((validateStack("staging", { rootVolumeSizeGb: "30" }) as StagingConfig).host.rootVolumeSizeGb, 30);
        assert.equal(problemsAbout(configProblems(() => validateStack("staging", { rootVolumeSizeGb: "7" })), "rootVolumeSizeGb").length, 1);
    });

    it("refuses what is not an instance type on any stack, and a type outside production's list on prod", () => {
        for (const stack of ["staging", "prod"]) {
            const problems = problemsAbout(configProblems(() => validateStack(stack, { instanceType: "large" })), "instanceType");
            assert.equal(problems.length, 1, stack);
            assert.ok(problems[0].includes('"large"'), problems[0]);
        }
        const [problem] = problemsAbout(configProblems(() => validateStack("prod", { instanceType: "t3.nano" })), "instanceType");
        assert.ok(problem.includes('"t3.nano"'), problem);
        const listed = problem.split(/[\s,;:]+/);
        for (const type of ALLOWED_INSTANCE_TYPES.production) assert.ok(listed.includes(type), `${type} in: ${problem}`);
        assert.equal((validateStack("staging", { instanceType: "t3.nano" }) as StagingConfig).host.instanceType, "t3.nano");
    });

    it("requires the SSH key pair without hosts, with one problem per missing key", () => {
        const problems = configProblems(() => validateStack("staging", { sshPublicKey: undefined, sshPrivateKey: undefined }));
        assert.deepEqual(problems.map((p) => p.split(" ")[0]).sort(), [configKey("sshPrivateKey"), configKey("sshPublicKey")]);
        assert.deepEqual(configProblems(() => validateStack("staging", { sshPrivateKey: "" })).map((p) => p.split(" ")[0]), [configKey("sshPrivateKey")]);
    });

    it("with hosts, needs no public key but still checks one that is set", () => {
        const key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOperatorKey ops@example";
        assert.equal((validateStack("staging", hostsSource()) as StagingConfig).host.sshPublicKey, "");
        assert.equal((validateStack("staging", { ...hostsSource(), sshPublicKey: key }) as StagingConfig).host.sshPublicKey, key);
        assert.equal(problemsAbout(configProblems(() => validateStack("staging", { ...hostsSource(), sshPublicKey: "not a key" })), "sshPublicKey").length, 1);
    });

    it("refuses a subnet id that is not one, naming the value", () => {
        const [problem] = problemsAbout(configProblems(() => validateStack("staging", { subnetId: "subnet-XYZ" })), "subnetId");
        assert.ok(problem.includes('"subnet-XYZ"'), problem);
        assert.equal((validateStack("staging", { subnetId: "subnet-0123456789abcdef0" }) as StagingConfig).host.subnetId, "subnet-0123456789abcdef0");
    });
});
