import { strict as assert } from "assert";
import * as path from "path";
import { REPO_ROOT, docker, ensureStandInImages, requireDocker, run } from "../support/docker";

// .ci/privileged-as-capabilities is the container executable .ci/pipeline-jobs.sh gives gitlab-ci-local: the
// merge-request runner is privileged, `docker run --privileged` fails on this machine, and the wrapper turns that
// one option into what works here. On the real engine: what a "privileged" container gets, and that nothing else
// is touched.

const WRAPPER = path.join(REPO_ROOT, ".ci", "privileged-as-capabilities");
const CAP_SYS_RESOURCE = 24n;
/** Capabilities an inner dockerd uses: mounts, iptables and bridges, device nodes, reading any file. */
const DIND_NEEDS = { CAP_DAC_READ_SEARCH: 2n, CAP_NET_ADMIN: 12n, CAP_SYS_CHROOT: 18n, CAP_SYS_PTRACE: 19n, CAP_SYS_ADMIN: 21n, CAP_MKNOD: 27n };

/** `/proc/self/status` of a throwaway container started through the wrapper with `args`. */
async function statusThroughWrapper(args: readonly string[], image: string): Promise<Map<string, string>> {
    const result = await run(WRAPPER, ["run", "--rm", "--label", "cicd.test=1", ...args, image, "cat", "/proc/self/status"], { timeoutMs: 60_000 });
    return new Map(result.stdout.split("\n").map((line) => line.split(/:\s*/, 2) as [string, string]));
}

describe(".ci/privileged-as-capabilities (real Docker engine)", function () {
    this.timeout(120_000);
    let image = "";

    before(async function () {
        this.timeout(20 * 60_000);
        await requireDocker();
        image = (await ensureStandInImages()).RUNTIME_IMAGE;
    });

    it("gives a --privileged container every capability but CAP_SYS_RESOURCE, and no seccomp filter", async () => {
        const status = await statusThroughWrapper(["--privileged"], image);
        const effective = BigInt(`0x${status.get("CapEff")}`);
        assert.strictEqual(status.get("CapEff"), status.get("CapBnd"), "nothing in the bounding set is withheld");
        for (const [name, bit] of Object.entries(DIND_NEEDS)) {
            assert.notStrictEqual(effective & (1n << bit), 0n, `${name} missing from CapEff ${status.get("CapEff")}`);
        }
        assert.strictEqual(effective & (1n << CAP_SYS_RESOURCE), 0n, "this machine withholds CAP_SYS_RESOURCE");
        assert.strictEqual(status.get("Seccomp"), "0", "privileged containers run without a seccomp filter");
    });

    it("leaves a container without --privileged at Docker's defaults", async () => {
        const status = await statusThroughWrapper([], image);
        const effective = BigInt(`0x${status.get("CapEff")}`);
        assert.strictEqual(effective & (1n << DIND_NEEDS.CAP_SYS_ADMIN), 0n, "CAP_SYS_ADMIN is not a default capability");
        assert.strictEqual(status.get("Seccomp"), "2", "Docker's default seccomp profile applies");
    });

    it("gives the cgroup hierarchy writable, as an inner dockerd needs it", async () => {
        const result = await run(WRAPPER, ["run", "--rm", "--label", "cicd.test=1", "--privileged", image, "sh", "-c",
            "grep ' /sys/fs/cgroup ' /proc/self/mounts"], { timeoutMs: 60_000 });
        assert.match(result.stdout, /\/sys\/fs\/cgroup \S+ \S*\brw\b/);
    });

    it("passes every other docker command through unchanged, exit code included", async () => {
        const format = "{{.Client.Version}} {{.Server.Version}}";
        const through = await run(WRAPPER, ["version", "--format", format]);
        assert.strictEqual(through.stdout, (await docker(["version", "--format", format])).stdout);
        const missing = await run(WRAPPER, ["image", "inspect", "cicd-test-no-such-image:never"], { allowFailure: true });
        assert.strictEqual(missing.code, 1);
        assert.match(missing.stderr, /No such image/i);
    });
});
