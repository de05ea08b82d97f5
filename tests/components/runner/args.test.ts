// What the Runner's arguments accept and refuse (components/runner/args.ts), key by key, at the edges of each range.
import * as assert from "node:assert/strict";
import { RunnerArgs, numericProjectId, runnerArgsProblems } from "../../../components/runner/args";

type Group = "gitlab" | "instance" | "docker" | "ssm";

/** The problems of minimal valid arguments with `value` set at `group.key`. */
function problemsWith(group: Group, key: string, value: unknown): string[] {
    const args: Record<string, Record<string, unknown>> = { gitlab: { projectId: 1 } };
    args[group] = { ...args[group], [key]: value };
    return runnerArgsProblems(args as unknown as RunnerArgs);
}

/** Each value is accepted: no problem at all. */
function accepts(group: Group, key: string, values: readonly unknown[]): void {
    for (const value of values) assert.deepEqual(problemsWith(group, key, value), [], `${group}.${key} = ${JSON.stringify(value)}`);
}

/** Each value is refused with exactly one problem, which names the key (and the value, for strings). */
function refuses(group: Group, key: string, values: readonly unknown[]): void {
    for (const value of values) {
        const problems = problemsWith(group, key, value);
        assert.equal(problems.length, 1, `${group}.${key} = ${JSON.stringify(value)}: ${JSON.stringify(problems)}`);
        assert.ok(problems[0].startsWith(`[${group}.${key}`), problems[0]);
        if (typeof value === "string") assert.ok(problems[0].includes(`"${value}"`), problems[0]);
        else if (typeof value === "number") assert.ok(problems[0].includes(String(value)), problems[0]);
    }
}

describe("runner arguments (components/runner/args.ts)", () => {
    it("needs the project id, and reports it once even without any gitlab group", () => {
        assert.deepEqual(runnerArgsProblems({ gitlab: { projectId: 1 } }), []);
        for (const args of [{}, { gitlab: {} }]) {
            const problems = runnerArgsProblems(args as RunnerArgs);
            assert.equal(problems.length, 1, JSON.stringify(problems));
            assert.match(problems[0], /^\[gitlab\.projectId\] is required/);
        }
    });

    it("takes a positive whole project id, as a number or its digits, once the project output is known", () => {
        assert.equal(numericProjectId("ci", 4242), 4242);
        assert.equal(numericProjectId("ci", "7"), 7);
        for (const bad of [0, -3, 1.5, "abc", "", "12a"]) {
            assert.throws(() => numericProjectId("ci", bad), (err: Error) => err.message.includes('cicd:runner:Runner "ci" [gitlab.projectId]') && err.message.includes(`"${bad}"`), String(bad));
        }
    });

    it("takes an https URL of the instance only", () => {
        accepts("gitlab", "url", ["https://gitlab.com", "https://gitlab.example.com/", "https://gitlab.example.com:8443"]);
        refuses("gitlab", "url", ["http://gitlab.com", "xhttps://gitlab.com", "https://gitlab.com/group", "https://", "https://gitlab .com"]);
    });

    it("takes tags of letters, digits, _ . - starting with a letter or digit, and names the bad one by index", () => {
        accepts("gitlab", "tags", [["cicd-docker"], ["a", "arm64", "x_1.2-b"]]);
        refuses("gitlab", "tags", [[]]);
        for (const bad of ["-docker", "docker tag", "docker!", "sp ace"]) {
            const problems = problemsWith("gitlab", "tags", ["ok", bad]);
            assert.deepEqual(problems.length, 1, JSON.stringify(problems));
            assert.ok(problems[0].startsWith(`[gitlab.tags[1]] "${bad}"`), problems[0]);
        }
    });

    it("takes the two access levels GitLab knows", () => {
        accepts("gitlab", "accessLevel", ["not_protected", "ref_protected"]);
        refuses("gitlab", "accessLevel", ["everyone", ""]);
    });

    it("takes a job timeout of at least GitLab's 600 s, in whole seconds", () => {
        accepts("gitlab", "maximumTimeoutSeconds", [600, 3600, 86400]);
        refuses("gitlab", "maximumTimeoutSeconds", [599, 600.5, 0, -1]);
    });

    it("takes an AMI id only in its own form", () => {
        accepts("instance", "amiId", ["ami-12345678", "ami-0123456789abcdef0"]);
        refuses("instance", "amiId", ["ami-1234567", "ami-0123456789abcdef01", "ami-ABCDEF12", "xami-12345678", "ami-12345678 ", "ubuntu"]);
    });

    it("takes EC2 instance type names", () => {
        accepts("instance", "instanceType", ["t3.small", "t4g.medium"]);
        refuses("instance", "instanceType", ["huge", "t3"]);
    });

    it("takes a root volume of 8 to 16384 GiB, whole", () => {
        accepts("instance", "rootVolumeSizeGb", [8, 30, 16384]);
        refuses("instance", "rootVolumeSizeGb", [7, 16385, 8.5, 0]);
    });

    it("takes SSH ranges that are CIDR blocks narrower than the whole internet, and names each bad one", () => {
        accepts("instance", "sshIngressCidrs", [[], ["203.0.113.4/32", "2001:db8::/64"]]);
        const problems = problemsWith("instance", "sshIngressCidrs", ["203.0.113.4/32", "10.0.0.300/8", "0.0.0.0/0"]);
        assert.equal(problems.length, 2, JSON.stringify(problems));
        assert.ok(problems[0].startsWith('[instance.sshIngressCidrs[1]] "10.0.0.300/8" is not a CIDR block'), problems[0]);
        assert.ok(problems[1].startsWith('[instance.sshIngressCidrs[2]] "0.0.0.0/0" would open SSH to the whole internet'), problems[1]);
    });

    it("runs 1 to 32 jobs at a time", () => {
        accepts("docker", "concurrent", [1, 2, 32]);
        refuses("docker", "concurrent", [0, 33, 1.5]);
    });

    it("takes a lowercase image reference as the default job image", () => {
        accepts("docker", "defaultImage", ["alpine:3.20", "a", "registry.example.com:5000/group/app@sha256:abc", "docker.io/library/node:22-slim"]);
        refuses("docker", "defaultImage", ["Alpine:3.20", "Ubuntu", "-alpine", "alpine 3.20", "alpine;id", ""]);
    });

    it("takes seccomp/AppArmor profiles and no-new-privileges for service containers, and points wider wishes at docker.privileged", () => {
        accepts("docker", "servicesSecurityOpt", [[], ["seccomp=unconfined", "apparmor=docker-default", "no-new-privileges", "no-new-privileges=true"]]);
        const problems = problemsWith("docker", "servicesSecurityOpt", ["seccomp=unconfined", "systempaths=unconfined"]);
        assert.equal(problems.length, 1, JSON.stringify(problems));
        assert.ok(problems[0].startsWith('[docker.servicesSecurityOpt[1]] "systempaths=unconfined" is not allowed'), problems[0]);
        assert.match(problems[0], /docker\.privileged/);
    });

    it("takes a gitlab-runner release as x.y.z, never latest or a suffix", () => {
        accepts("docker", "runnerVersion", ["19.4.0", "17.11.0", "19.10.12", "100.0.0"]);
        refuses("docker", "runnerVersion", ["latest", "v19.4.0", "19.4", "19.4.0-rc1", "a.4.0", "19.a.0", "19.4.a", ""]);
    });

    it("takes an SSM path of one or more /segments as the parameter prefix", () => {
        accepts("ssm", "parameterPrefix", ["/cicd", "/cicd/runner", "/a/b.c/d_e-f"]);
        refuses("ssm", "parameterPrefix", ["cicd/runner", "/cicd/runner/", "/cicd//runner", "/cicd/run ner", "/", ""]);
    });
});
