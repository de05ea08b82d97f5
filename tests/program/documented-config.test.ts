// Issue "Before the first real `pulumi up`", item 4: the command sequences docs/config.md shows are fed to the
// config validation key for key, parsed from the doc itself, so the doc and this test cannot drift apart. Every
// `pulumi up` in a sequence must pass validation with exactly the keys set before it.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { ConfigError, PULUMI_PROJECT, validateConfig } from "../../components/config";
import { ORGANIZATION } from "./stacks";

const DOC = path.resolve(__dirname, "..", "..", "docs", "config.md");

/** What the doc's shell expressions stand for; an expression not listed here fails the test. */
const SHELL_VALUES: Readonly<Record<string, string>> = {
    '"$(cat deploy_ed25519.pub)"': "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDocumentedDocumentedDocumentedDocumented00 deploy@example",
    "cat deploy_ed25519": "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n-----END OPENSSH PRIVATE KEY-----\n",
    '"$(git rev-parse HEAD)"': "0123456789abcdef0123456789abcdef01234567",
    '"$REGISTRY_TOKEN"': "registry-token-of-the-reader",
};

interface Stack {
    raw: Record<string, string>;
    secretKeys: Set<string>;
}

/** One `pulumi up` the doc shows: the stack, the config at that moment and the environment of the command. */
interface Up {
    readonly stack: string;
    readonly raw: Record<string, string>;
    readonly secretKeys: Set<string>;
    readonly env: Record<string, string>;
    readonly line: string;
}

function words(line: string): string[] {
    const out: string[] = [];
    // A word is a run of quoted strings and unquoted characters, as the shell reads it.
    const re = /(?:"(?:\$\([^)]*\)|[^"])*"|'[^']*'|[^\s"']+)+/g;
    for (const m of line.matchAll(re)) out.push(m[0]);
    return out;
}

function value(word: string): string {
    if (word in SHELL_VALUES) return SHELL_VALUES[word];
    if (/\$/.test(word)) throw new Error(`docs/config.md uses ${word}; tell this test what it stands for (SHELL_VALUES)`);
    return word.replace(/^'(.*)'$/, "$1").replace(/^"(.*)"$/, "$1");
}

/** Interprets the `pulumi` commands of the doc's sh blocks in order, collecting every `pulumi up`. */
function documentedUps(markdown: string): Up[] {
    const stacks = new Map<string, Stack>();
    let current = "";
    const ups: Up[] = [];
    const stackOf = (name: string): Stack => {
        if (!stacks.has(name)) stacks.set(name, { raw: {}, secretKeys: new Set() });
        return stacks.get(name)!;
    };
    for (const block of markdown.matchAll(/```sh\n([\s\S]*?)```/g)) {
        for (const rawLine of block[1].split("\n")) {
            const line = rawLine.replace(/\s+#.*$/, "").replace(/^#.*$/, "").trim();
            if (line === "") continue;
            let stdin: string | undefined;
            let command = line;
            const pipe = /^(cat \S+) \| (.*)$/.exec(line);
            if (pipe) {
                stdin = value(pipe[1]);
                command = pipe[2];
            }
            const ws = words(command);
            const env: Record<string, string> = {};
            while (ws.length > 0 && /^[A-Z_]+=/.test(ws[0])) {
                const [name, ...rest] = ws.shift()!.split("=");
                env[name] = value(rest.join("="));
            }
            if (ws[0] !== "pulumi") continue; // git, npm, ...: not config
            const flag = (names: string[]) => {
                const i = ws.findIndex((w) => names.includes(w));
                if (i === -1) return undefined;
                const v = ws[i + 1];
                ws.splice(i, 2);
                return v;
            };
            const stack = flag(["-s", "--stack"]) ?? current;
            const has = (f: string) => {
                const i = ws.indexOf(f);
                if (i !== -1) ws.splice(i, 1);
                return i !== -1;
            };
            const secret = has("--secret");
            const byPath = has("--path");
            if (ws[ws.length - 1] === "--") ws.pop();
            const [, verb, sub, ...args] = ws;
            if (verb === "stack" && (sub === "init" || sub === "select")) {
                current = args[0];
                stackOf(current);
            } else if (verb === "config" && sub === "set") {
                const target = stackOf(stack);
                const fullKey = value(args[0]);
                const v = args.length > 1 ? value(args[1]) : stdin;
                assert.ok(v !== undefined, `no value in: ${line}`);
                const key = fullKey.startsWith(`${PULUMI_PROJECT}:`) ? fullKey.slice(PULUMI_PROJECT.length + 1) : fullKey;
                if (byPath) {
                    const m = /^(\w+)(?:\[(\d+)\]|\.(\w+))$/.exec(key);
                    assert.ok(m, `unsupported --path in: ${line}`);
                    const [, root, index, field] = m;
                    const existing = target.raw[root] === undefined ? (index !== undefined ? [] : {}) : JSON.parse(target.raw[root]);
                    existing[index ?? field] = v;
                    target.raw[root] = JSON.stringify(existing);
                } else {
                    target.raw[key] = v;
                }
                if (secret) target.secretKeys.add(key);
            } else if (verb === "config" && sub === "rm") {
                delete stackOf(stack).raw[args[0]];
            } else if (verb === "up") {
                const target = stackOf(stack);
                ups.push({ stack, raw: { ...target.raw }, secretKeys: new Set(target.secretKeys), env, line });
            }
        }
    }
    return ups;
}

describe("#12 item 4: docs/config.md's command sequences pass validation as written", () => {
    const markdown = fs.readFileSync(DOC, "utf8");
    const ups = documentedUps(markdown);

    it("the doc shows a `pulumi up` of every stack, prod twice (bootstrap, then promotion)", () => {
        assert.deepEqual(ups.map((u) => u.stack), ["local", "local", "prod", "staging", "prod"]);
        assert.equal(ups[2].raw.bootstrap, "true");
        assert.equal(ups[4].raw.bootstrap, undefined);
    });

    for (const [i, up] of documentedUps(fs.readFileSync(DOC, "utf8")).entries()) {
        it(`${i + 1}. \`${up.line}\` validates with the ${Object.keys(up.raw).length} keys the doc set`, () => {
            try {
                validateConfig(up.stack, up.raw, {
                    secretKeys: up.secretKeys,
                    env: up.env,
                    // The doc's paths (the CA bundle) exist on the reader's machine.
                    fileExists: () => true,
                    organization: ORGANIZATION,
                    defaultAppVersion: "1.0.0",
                    defaultStateDir: "/tmp/state",
                });
            } catch (err) {
                assert.ok(err instanceof ConfigError, String(err));
                assert.fail(`docs/config.md: ${up.line}\n${err.message}`);
            }
        });
    }

    it("stops at the first missing key, as the doc's old sequence did (a bootstrap without gitlabTier)", () => {
        const bootstrap = ups[2];
        const without = { ...bootstrap.raw };
        delete without.gitlabTier;
        assert.throws(() => validateConfig("prod", without, { secretKeys: bootstrap.secretKeys, env: {}, organization: ORGANIZATION }), /gitlabTier is required/);
    });
});
