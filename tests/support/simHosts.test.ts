// The simulated deploy hosts and registry (tests/support/simHosts.ts) are what the host-path tests stand on:
// these checks pin the facts those tests assume about them.
import assert from "assert";
import { SimHost, SimLab, SimRegistry } from "./simHosts";
import { docker } from "./docker";

describe("simulated hosts and registry (real Docker engine)", function () {
    this.timeout(120_000);
    let lab: SimLab;
    let registry: SimRegistry;
    let hosts: SimHost[];
    let imageRef: string;

    before(async function () {
        this.timeout(20 * 60_000);
        lab = await SimLab.create({ prefix: "simhosts-test" });
        registry = await lab.startRegistry();
        hosts = await lab.startHosts(2);
        imageRef = await lab.pushImage("cicd-standin/nginx:trixie", "web");
    });
    after(async function () {
        this.timeout(120_000);
        if (lab) await lab.cleanup();
    });

    it("each host answers SSH as the deploy user with its own verified host key, publishing on 127.0.0.1 only", async () => {
        assert.notStrictEqual(hosts[0].hostKey, hosts[1].hostKey);
        for (const host of hosts) {
            const { stdout } = await host.ssh("id -un; id -Gn");
            assert.deepStrictEqual(stdout.trim().split("\n"), ["deploy", "deploy docker"]);
            const ports = (await docker(["port", host.name])).stdout.trim().split("\n");
            assert.ok(ports.length >= 2 && ports.every((line) => / -> 127\.0\.0\.1:\d+$/.test(line)), ports.join("\n"));
        }
    });

    it("refuses a host key other than the one it reported", async () => {
        const result = await hosts[1].ssh("true", { knownHostsLine: `[127.0.0.1]:${hosts[1].sshPort} ${hosts[0].hostKey}`, allowFailure: true });
        assert.notStrictEqual(result.code, 0);
        assert.match(result.stderr, /HOST IDENTIFICATION HAS CHANGED|Host key verification failed/);
    });

    it("runs dockerd 26.1 with Compose v2 and cloud-init 25.1, trusting the lab registry over plain HTTP", async () => {
        const { stdout } = await hosts[0].ssh(
            "docker version --format '{{.Server.Version}}'; docker compose version --short; cloud-init --version 2>&1; sshd -V 2>&1 | head -1 || true",
        );
        const [engine, compose, cloudInit] = stdout.trim().split("\n");
        assert.match(engine, /^26\.1\./);
        assert.match(compose, /^2\.26\./);
        assert.match(cloudInit, /25\.1/);
        const daemon = JSON.parse((await hosts[0].exec(["cat", "/etc/docker/daemon.json"])).stdout) as { "insecure-registries": string[] };
        assert.deepStrictEqual(daemon["insecure-registries"], [registry.address]);
    });

    it("the registry refuses an anonymous pull and serves the pushed digest after a login with the password on stdin", async () => {
        assert.match(imageRef, new RegExp(`^${registry.address}/web@sha256:[0-9a-f]{64}$`));
        const anonymous = await hosts[0].ssh(`docker pull ${imageRef}`, { allowFailure: true });
        assert.notStrictEqual(anonymous.code, 0);
        assert.match(anonymous.stderr, /no basic auth credentials|unauthorized/);
        const wrong = await hosts[0].ssh(`docker login ${registry.address} --username ${registry.username} --password-stdin`, { input: "not-the-password", allowFailure: true });
        assert.notStrictEqual(wrong.code, 0);
        await hosts[0].ssh(`docker login ${registry.address} --username ${registry.username} --password-stdin && docker pull ${imageRef} >/dev/null`, { input: registry.password });
        const digests = (await hosts[0].ssh(`docker image inspect --format '{{join .RepoDigests " "}}' ${imageRef}`)).stdout;
        assert.ok(digests.includes(imageRef), digests);
    });

    it("publishes the host's HTTP port on 127.0.0.1", async () => {
        await hosts[1].ssh(`docker login ${registry.address} --username ${registry.username} --password-stdin >/dev/null && docker run -d -p 80:80 ${imageRef} >/dev/null`, { input: registry.password });
        let answer: Response | undefined;
        for (let i = 0; i < 40 && !answer?.ok; i++) {
            answer = await fetch(`http://127.0.0.1:${hosts[1].httpPort}/`).catch(() => undefined);
            if (!answer?.ok) await new Promise((resolve) => setTimeout(resolve, 250));
        }
        assert.strictEqual(answer?.status, 200);
        assert.match(await answer.text(), /nginx stand-in/);
    });
});
