import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { findPreviewNote, NoteRef } from "../../scripts/mr-note/gitlab";
import { run, UsageError } from "../../scripts/mr-note/main";
import { parseDigest, parseUrn, StackPreviewSummary, summarizeStack } from "../../scripts/mr-note/preview";
import { NOTE_MARKER, redact, renderNote } from "../../scripts/mr-note/render";
import { REPO_ROOT } from "./support/ci-config";
import { GitlabStandIn, startGitlabStandIn, StoredNote, TOKEN_USER } from "./support/gitlab-stand-in";

const FIXTURES = path.join(__dirname, "fixtures", "preview");
const fixture = (name: string) => fs.readFileSync(path.join(FIXTURES, name), "utf8");

// Values planted in the recorded previews and the environment; none may reach a note.
const PLANTED_SECRETS = [
    "glpat-PlantedFakeToken0123456789", // a token in a variable input nobody marked secret
    "glpat-PlantedOldToken9876543210", // the same input's old value
    "planted-config-value@example.invalid", // a plain config value
    "Planted-Url-Password-77", // credentials inside a URL in an error
    "Planted-Diag-Secret-42", // password=... in an error
    "AKIAPLANTEDFAKE12345", // an AWS access key id in an error
    "planted passphrase value", // the passphrase, echoed by an error and set in the environment
    "planted-note-token-value", // the API token
];
// Property values that are not secret but must not be shown either: the note shows names only.
const PROPERTY_VALUES = ["ami-0a1b2c3d4e5f60718", "ami-0b2c3d4e5f6071829", "#cloud-config", "0.0.0.0/0", "203.0.113.10",
    "198.51.100.0/24", "REGISTRY_TOKEN", "t3.small"];

const CI_ENV = {
    CI_SERVER_URL: "", // filled with the stand-in's URL
    CI_PROJECT_ID: "42",
    CI_MERGE_REQUEST_IID: "7",
    CI_COMMIT_SHORT_SHA: "1a2b3c4d",
    CI_JOB_URL: "https://gitlab.example.com/group/app/-/jobs/991",
    MR_NOTE_TOKEN: "planted-note-token-value",
    PULUMI_CONFIG_PASSPHRASE: "planted passphrase value",
};

function summary(stack: string, json: string, exitCode = 0, diffText?: string): StackPreviewSummary {
    return summarizeStack({ stack, exitCode, json: fixture(json), diffText: diffText && fixture(diffText) });
}

/** Writes what run-previews.sh records for each stack into a fresh folder. */
function recordPreviews(stacks: { stack: string; json: string; exit: number; diff?: string }[]): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mr-note-"));
    for (const s of stacks) {
        fs.copyFileSync(path.join(FIXTURES, s.json), path.join(dir, `${s.stack}.json`));
        fs.writeFileSync(path.join(dir, `${s.stack}.exit`), `${s.exit}\n`);
        if (s.diff) fs.copyFileSync(path.join(FIXTURES, s.diff), path.join(dir, `${s.stack}.diff.txt`));
    }
    return dir;
}

function assertNothingSecret(text: string): void {
    for (const value of [...PLANTED_SECRETS, ...PROPERTY_VALUES]) {
        assert.ok(!text.includes(value), `the note contains ${JSON.stringify(value)}`);
    }
    assert.ok(!text.includes("[secret]"), "the note shows a [secret] placeholder, i.e. a property value");
}

describe("MR note: reading recorded `pulumi preview --json` output", () => {
    it("counts creates on a new stack", () => {
        const s = summary("staging", "create.json");
        assert.deepStrictEqual(s.counts, { create: 6, update: 0, replace: 0, delete: 0, same: 0 });
        assert.strictEqual(s.changes.filter((c) => c.op === "create").length, 6);
        assert.ok(s.ok);
    });
    it("lists in-place updates with the changed property names", () => {
        const s = summary("staging", "update.json");
        assert.deepStrictEqual(s.counts, { create: 0, update: 2, replace: 0, delete: 0, same: 4 });
        const instance = s.changes.find((c) => c.type === "aws:ec2/instance:Instance");
        assert.deepStrictEqual(instance && { op: instance.op, keys: instance.keys }, { op: "update", keys: ["tags", "userData"] });
    });
    it("lists a replacement with its replace reason first", () => {
        const s = summary("prod", "replace.json");
        assert.strictEqual(s.counts.replace, 1);
        assert.deepStrictEqual(s.changes.map((c) => [c.op, c.type, c.name, c.keys[0]]),
            [["replace", "aws:ec2/instance:Instance", "prod-host-instance", "ami"]]);
    });
    it("lists deletions", () => {
        const s = summary("staging", "delete.json");
        assert.strictEqual(s.counts.delete, 2);
        assert.deepStrictEqual(s.changes.map((c) => c.name).sort(), ["staging-host-scratch", "staging-host-ssh-from-office"]);
    });
    it("sees no changes when every step is `same`", () => {
        const s = summary("prod", "no-changes.json");
        assert.deepStrictEqual(s.changes, []);
        assert.deepStrictEqual(s.counts, { create: 0, update: 0, replace: 0, delete: 0, same: 5 });
        assert.ok(s.ok);
    });
    it("reads a failed preview: error diagnostics, warnings, and policy violations from the diff output", () => {
        const s = summary("prod", "failure.json", 255, "failure.diff.txt");
        assert.strictEqual(s.ok, false);
        assert.strictEqual(s.hasPlan, true);
        assert.strictEqual(s.errors.length, 2);
        assert.ok(!s.errors.some((e) => e.includes("\u001b[")), "ANSI colour codes must be stripped");
        assert.strictEqual(s.warningCount, 1);
        assert.deepStrictEqual(s.policyViolations.map((v) => [v.level, v.policy, v.resourceName]), [
            ["mandatory", "no-ssh-from-world", "prod-host-admin"],
            ["mandatory", "no-secret-literals", "project-registry-token"],
            ["advisory", "required-tags", "prod-host-admin"],
        ]);
    });
    it("fails a preview whose CLI exited 0 but printed no document, and one that printed `{}`", () => {
        for (const json of ["", "{}", "not json"]) {
            const s = summarizeStack({ stack: "prod", exitCode: json === "" ? 255 : 0, json });
            assert.strictEqual(s.ok, false, JSON.stringify(json));
            assert.strictEqual(s.hasPlan, false);
        }
        assert.strictEqual(parseDigest("[]"), undefined);
    });
    it("fails a preview with a mandatory policy violation even when the exit code says 0", () => {
        const s = summary("prod", "no-changes.json", 0, "failure.diff.txt");
        assert.strictEqual(s.ok, false);
    });
    it("folds the parts of a replacement (--show-replacement-steps) into one row", () => {
        const urn = "urn:pulumi:prod::gitlab-docker-delivery::cicd:host:ComposeHost$aws:ec2/instance:Instance::prod-host-instance";
        const json = JSON.stringify({ steps: [
            { op: "create-replacement", urn, replaceReasons: ["ami"] },
            { op: "replace", urn, replaceReasons: ["ami"], diffReasons: ["ami", "userData"] },
            { op: "delete-replaced", urn },
        ] });
        const s = summarizeStack({ stack: "prod", exitCode: 0, json });
        assert.deepStrictEqual(s.changes.map((c) => [c.op, c.keys]), [["replace", ["ami", "userData"]]]);
        assert.strictEqual(s.counts.replace, 1);
    });
    it("takes a resource's own type from a parent chain, and keeps `::` inside names", () => {
        assert.deepStrictEqual(parseUrn("urn:pulumi:s::p::a:b:C$d:e/f:G::name::with::colons"),
            { type: "d:e/f:G", name: "name::with::colons" });
    });
});

describe("MR note: real `pulumi preview --json` output (recorded with the CLI, see fixtures/preview/recorded)", () => {
    const RECORDED = path.join(FIXTURES, "recorded");
    const recorded = (name: string) => summarizeStack({
        stack: "staging",
        exitCode: Number(fs.readFileSync(path.join(RECORDED, `${name}.exit`), "utf8").trim()),
        json: fs.readFileSync(path.join(RECORDED, `${name}.json`), "utf8"),
    });
    // Non-secret values the recorded program used, and the secrets it marked or threw.
    const RECORDED_VALUES = ["planted-plain-value-visible", "planted-plain-value-changed", "planted-config-value@example.invalid",
        "Planted-Url-Password-77", "Planted-Diag-Secret-42", "glpat-PlantedConfigToken55555", "glpat-PlantedFakeToken0123456789",
        "ami-0a1b2c3d4e5f60718", "ami-0b2c3d4e5f6071829"];

    it("reads each operation the CLI reported", () => {
        const expected: Record<string, [string, string, number][]> = {
            "create": [["create", "pulumi:pulumi:Stack", 6]],
            "update": [["update", "command:local:Command", 1]],
            "replace": [["replace", "command:local:Command", 1]],
            "delete": [["delete", "command:local:Command", 1]],
        };
        for (const [name, [[op, type, count]]] of Object.entries(expected)) {
            const s = recorded(name);
            assert.ok(s.ok, name);
            assert.strictEqual(s.counts[op as "create"], count, name);
            assert.ok(s.changes.some((c) => c.op === op && c.type === type), `${name}: ${JSON.stringify(s.changes)}`);
        }
        assert.deepStrictEqual(recorded("replace").changes.map((c) => [c.name, c.replaceKeys]), [["staging-host-boot", ["triggers"]]]);
        assert.deepStrictEqual(recorded("update").changes.map((c) => [c.name, c.keys]), [["staging-host-deploy", ["environment"]]]);
    });
    it("sees no changes in a preview after `up`", () => {
        const s = recorded("no-changes");
        assert.ok(s.ok);
        assert.deepStrictEqual(s.changes, []);
        assert.strictEqual(s.counts.same, 6);
    });
    it("reports a program that threw, with its error and the CLI's non-zero exit", () => {
        const s = recorded("failure");
        assert.strictEqual(s.ok, false);
        assert.notStrictEqual(s.exitCode, 0);
        assert.ok(s.errors.some((e) => /failed with an unhandled exception/.test(e)), s.errors.join("\n"));
    });
    it("reports an error the CLI printed only in the --diff run (a policy pack that did not start)", () => {
        const s = summarizeStack({
            stack: "staging", exitCode: 1,
            json: fs.readFileSync(path.join(RECORDED, "create.json"), "utf8"),
            diffText: fs.readFileSync(path.join(RECORDED, "policy-pack-failed.diff.txt"), "utf8"),
        });
        assert.strictEqual(s.ok, false);
        assert.ok(s.errors.some((e) => /^error: policy pack ".*" failed to start/.test(e)), s.errors.join("\n"));
        assert.match(renderNote([s]), /```text\nerror: policy pack ".*" failed to start/);
    });
    it("never shows a value from the recorded previews, secret or not", () => {
        const note = renderNote(["create", "no-changes", "update", "replace", "delete", "failure"].map(recorded),
            { knownSecrets: [CI_ENV.PULUMI_CONFIG_PASSPHRASE] });
        for (const value of RECORDED_VALUES) {
            assert.ok(!note.includes(value), `the note contains ${value}`);
        }
        assert.ok(!note.includes("[secret]"));
        assert.match(note, /❌ Preview failed/);
    });
});

describe("MR note: rendering", () => {
    const all = [
        summary("staging", "update.json"),
        summary("prod", "replace.json"),
    ];

    it("starts with the hidden marker and puts the summary table before any folded detail", () => {
        const note = renderNote(all, { commit: "1a2b3c4d" });
        assert.ok(note.startsWith(`${NOTE_MARKER}\n`));
        const table = note.indexOf("| Stack | Result | Create | Update | Replace | Delete | Unchanged |");
        assert.ok(table > 0 && table < note.indexOf("<details>"));
        assert.match(note, /\| `staging` \| ✅ ok \| 0 \| 2 \| 0 \| 0 \| 4 \|/);
        assert.match(note, /\| `prod` \| ✅ ok \| 0 \| 0 \| \*\*1\*\* \| 0 \| 4 \|/);
        assert.match(note, /Commit `1a2b3c4d`/);
    });
    it("calls out replacements and deletions above the details, with the stack and the reason", () => {
        const note = renderNote([summary("staging", "delete.json"), summary("prod", "replace.json")]);
        assert.match(note, /^### Pulumi preview: ⚠️ Changes include 1 replacement and 2 deletions$/m);
        const callout = note.slice(note.indexOf("**Replaced or deleted**"), note.indexOf("<details>"));
        assert.match(callout, /- `prod`: \*\*replace\*\* `aws:ec2\/instance:Instance` `prod-host-instance` because of `ami`$/m);
        assert.match(callout, /- `staging`: \*\*delete\*\* `aws:ebs\/volume:Volume` `staging-host-scratch`/);
    });
    it("folds each stack's changed resources in <details>", () => {
        const note = renderNote([summary("staging", "create.json")]);
        assert.match(note, /<details><summary><code>staging<\/code>: 6 resources to change<\/summary>/);
        assert.match(note, /\| create \| `gitlab:index\/projectVariable:ProjectVariable` \| `project-registry-token` \| +\|$/m);
        assert.ok(note.trimEnd().endsWith("</sub>"));
    });
    it("says plainly when nothing changes, with no details", () => {
        const note = renderNote([summary("staging", "no-changes.json"), summary("prod", "no-changes.json")]);
        assert.match(note, /^### Pulumi preview: ✅ No changes$/m);
        assert.ok(!note.includes("<details>"));
        assert.ok(!note.includes("Replaced or deleted"));
    });
    it("renders a failure clearly: headline, policy violations, errors and a link to the log", () => {
        const note = renderNote([summary("staging", "update.json"), summary("prod", "failure.json", 255, "failure.diff.txt")],
            { jobUrl: CI_ENV.CI_JOB_URL });
        assert.match(note, /^### Pulumi preview: ❌ Preview failed for `prod`$/m);
        assert.match(note, /\| `prod` \| ❌ policy violation \(exit 255\) \| ≥1 \|/);
        assert.match(note, /- `\[mandatory\]` `no-ssh-from-world` on `aws:ec2\/securityGroup:SecurityGroup` `prod-host-admin`/);
        assert.match(note, /```text\n[\s\S]*unhandled exception[\s\S]*```/);
        assert.match(note, /\[job log\]\(https:\/\/gitlab\.example\.com\/group\/app\/-\/jobs\/991\)/);
        assert.match(note, /1 warning in the preview output/);
    });
    it("renders a preview that never produced a plan", () => {
        const note = renderNote([summarizeStack({ stack: "prod", exitCode: 255, json: "" })]);
        assert.match(note, /❌ failed before planning \(exit 255\) \| – \| – \| – \| – \| – \|/);
        assert.match(note, /stopped before it produced a plan/);
    });
    it("never shows a secret or a property value, whatever the previews hold", () => {
        const stacks = [
            summary("staging", "create.json"), summary("staging", "update.json"), summary("prod", "replace.json"),
            summary("staging", "delete.json"), summary("prod", "no-changes.json"),
            summary("prod", "failure.json", 255, "failure.diff.txt"),
        ];
        const note = renderNote(stacks, { knownSecrets: [CI_ENV.MR_NOTE_TOKEN, CI_ENV.PULUMI_CONFIG_PASSPHRASE] });
        assertNothingSecret(note);
        assert.ok(note.includes("[redacted]"), "the failure's error messages should show where values were removed");
    });
});

describe("MR note: redaction", () => {
    it("removes credential shapes from free text and keeps the words around them", () => {
        const text = "push to https://ci:hunter2pass@registry.example.com failed; password=abc123; " +
            "key AKIAABCDEFGHIJKLMNOP; token glrt-abcdefghij12345; jwt eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJwcm9qZWN0In0.c2lnbmF0dXJlLXZhbHVl";
        const out = redact(text, [], true);
        for (const value of ["hunter2pass", "abc123", "AKIAABCDEFGHIJKLMNOP", "glrt-abcdefghij12345", "eyJhbGciOiJSUzI1NiJ9"]) {
            assert.ok(!out.includes(value), `${value} survived: ${out}`);
        }
        assert.match(out, /^push to https:\/\/\[redacted\]@registry\.example\.com failed; password=\[redacted\];/);
    });
    it("removes a private key block and long random strings from free text", () => {
        const key = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----";
        assert.strictEqual(redact(`got ${key} here`, [], true), "got [redacted] here");
        assert.strictEqual(redact("value Zx9Qm2Lp7Rt4Vb8Nc3Hk6Jd1Fg5Sa0We and more", [], true), "value [redacted] and more");
    });
    it("removes known secrets, longest first, but keeps long resource names in structural text", () => {
        assert.strictEqual(redact("a s3cr3t-long and s3cr3t", ["s3cr3t", "s3cr3t-long"]), "a [redacted] and [redacted]");
        const name = "staging-compose-host-database-volume-attachment-0001";
        assert.strictEqual(redact(name), name);
    });
});

describe("MR note: finding our note", () => {
    const BOT = 7;
    const COMMENTER = 3;
    const notes: NoteRef[] = [
        { id: 3, body: "LGTM", authorId: COMMENTER },
        { id: 4, body: `${NOTE_MARKER}\n### Pulumi preview\nNo changes.`, authorId: COMMENTER },
        { id: 5, body: `quoting ${NOTE_MARKER} in a reply`, authorId: BOT },
        { id: 8, body: `${NOTE_MARKER}\nold preview`, system: true, authorId: BOT },
        { id: 9, body: `${NOTE_MARKER}\n### Pulumi preview`, authorId: BOT },
        { id: 12, body: `${NOTE_MARKER}\n### a later copy`, authorId: BOT },
    ];
    it("picks the token user's oldest non-system note that starts with the marker", () => {
        assert.strictEqual(findPreviewNote(notes, BOT)?.id, 9);
    });
    it("never takes a marker note written by someone else, even the oldest one", () => {
        assert.strictEqual(findPreviewNote(notes.slice(0, 4), BOT), undefined);
        assert.strictEqual(findPreviewNote(notes, COMMENTER)?.id, 4, "the commenter's own note would be theirs");
    });
});

describe("MR note: posting through the GitLab API (local stand-in)", function () {
    this.timeout(20_000);
    let gitlab: GitlabStandIn;
    const dirs: string[] = [];
    const otherNotes: StoredNote[] = Array.from({ length: 25 }, (_, i) => ({
        id: i + 1, body: `review comment ${i + 1}`, system: i % 5 === 0, author: { id: 3, username: "reviewer" },
    }));

    beforeEach(async () => {
        gitlab = await startGitlabStandIn({ projectId: "42", mergeRequestIid: 7, token: CI_ENV.MR_NOTE_TOKEN, seed: otherNotes });
    });
    afterEach(async () => {
        await gitlab.close();
        for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
    });
    const env = () => ({ ...CI_ENV, CI_SERVER_URL: gitlab.url });
    const previews = (...stacks: Parameters<typeof recordPreviews>[0]) => {
        const dir = recordPreviews(stacks);
        dirs.push(dir);
        return dir;
    };
    const silent = () => undefined;

    it("creates the note on the first run and updates the same note on the next push", async () => {
        const first = previews({ stack: "staging", json: "update.json", exit: 0 }, { stack: "prod", json: "no-changes.json", exit: 0 });
        const created = await run(["--dir", first, "staging", "prod"], env(), silent);
        assert.strictEqual(created.action, "created");
        assert.strictEqual(created.exitCode, 0);

        const second = previews({ stack: "staging", json: "delete.json", exit: 0 }, { stack: "prod", json: "replace.json", exit: 0 });
        const updated = await run(["--dir", second, "staging", "prod"], env(), silent);
        assert.strictEqual(updated.action, "updated");

        const ours = gitlab.notes.filter((n) => n.body.startsWith(NOTE_MARKER));
        assert.strictEqual(ours.length, 1, "exactly one preview note on the merge request");
        assert.strictEqual(ours[0].body, updated.body);
        assert.match(ours[0].body, /2 deletions/);
        const writes = gitlab.requests.filter((r) => r.method !== "GET").map((r) => `${r.method} ${r.path}`);
        assert.deepStrictEqual(writes, [
            "POST /api/v4/projects/42/merge_requests/7/notes",
            `PUT /api/v4/projects/42/merge_requests/7/notes/${ours[0].id}`,
        ]);
        assert.ok(gitlab.requests.every((r) => r.token === CI_ENV.MR_NOTE_TOKEN), "every call authenticates with MR_NOTE_TOKEN");
        assert.ok(gitlab.requests.some((r) => r.method === "GET" && r.path.endsWith("/notes")), "lists notes before writing");
        // Our note sits on the second page of 20: the listing must follow pagination to find it.
        assert.ok(gitlab.notes.indexOf(ours[0]) >= 20);
    });

    it("posts a failed preview too, then reports failure, and no request body carries a secret", async () => {
        const dir = previews({ stack: "staging", json: "create.json", exit: 0 },
            { stack: "prod", json: "failure.json", exit: 255, diff: "failure.diff.txt" });
        const output = path.join(dir, "note.md");
        const lines: string[] = [];
        const result = await run(["--dir", dir, "--output", output, "staging", "prod"], env(), (l) => lines.push(l));
        assert.strictEqual(result.exitCode, 1);
        assert.strictEqual(result.action, "created");
        assert.ok(lines.some((l) => /^ERROR: preview of stack prod failed \(exit 255\)/.test(l)), lines.join("\n"));
        assert.strictEqual(fs.readFileSync(output, "utf8"), result.body);
        for (const request of gitlab.requests) {
            assertNothingSecret(request.body);
        }
        assert.ok(gitlab.requests.some((r) => r.method === "POST" && r.body.includes("no-ssh-from-world")));
    });

    it("ignores a fake \"no changes\" note a commenter planted first, and keeps its own note", async () => {
        const planted: StoredNote = { id: 26, body: `${NOTE_MARKER}\n### Pulumi preview\nNo changes.`, system: false, author: { id: 3, username: "reviewer" } };
        gitlab.notes.push(planted);
        const dir = previews({ stack: "staging", json: "delete.json", exit: 0 }, { stack: "prod", json: "replace.json", exit: 0 });
        const first = await run(["--dir", dir, "staging", "prod"], env(), silent);
        assert.strictEqual(first.action, "created");
        const second = await run(["--dir", dir, "staging", "prod"], env(), silent);
        assert.strictEqual(second.action, "updated");
        assert.strictEqual(planted.body, `${NOTE_MARKER}\n### Pulumi preview\nNo changes.`, "the planted note was edited");
        assert.ok(!gitlab.requests.some((r) => r.method === "PUT" && r.path.endsWith(`/notes/${planted.id}`)));
        const ours = gitlab.notes.filter((n) => n.author.id === TOKEN_USER.id && n.body.startsWith(NOTE_MARKER));
        assert.strictEqual(ours.length, 1);
        assert.match(ours[0].body, /2 deletions/);
    });

    it("rejects bad usage with one clear message and calls no API", async () => {
        const dir = previews({ stack: "staging", json: "update.json", exit: 0 });
        await assert.rejects(run(["staging"], env(), silent), (e: Error) => e instanceof UsageError && /--dir is required/.test(e.message));
        await assert.rejects(run(["--dir", dir, "staging;rm"], env(), silent), /stack name "staging;rm" may hold only/);
        const { MR_NOTE_TOKEN: _token, ...withoutToken } = env();
        await assert.rejects(run(["--dir", dir, "staging"], withoutToken, silent), /MR_NOTE_TOKEN is not set/);
        assert.deepStrictEqual(gitlab.requests, []);
    });

    it("treats a stack with no recorded exit code as failed", async () => {
        const dir = previews({ stack: "staging", json: "update.json", exit: 0 });
        fs.rmSync(path.join(dir, "staging.exit"));
        const result = await run(["--dir", dir, "--no-post", "staging"], env(), silent);
        assert.strictEqual(result.exitCode, 1);
        assert.deepStrictEqual(gitlab.requests, []);
    });
});

describe("MR note: command line", function () {
    this.timeout(30_000); // starts tsx in a child process
    it("prints one ERROR line with the usage and exits 2 on bad usage", () => {
        const result = spawnSync(process.execPath, [require.resolve("tsx/cli"), "scripts/mr-note/main.ts", "--dir"],
            { cwd: REPO_ROOT, encoding: "utf8" });
        assert.strictEqual(result.status, 2, result.stderr);
        assert.match(result.stderr, /^ERROR: --dir needs a value\nusage: main\.ts --dir DIR/);
    });
});
