// Secret hygiene of the image (issue "Guardrails" relies on this test): fake secrets planted in the build
// context where a developer might leave real ones (.env files, SSH keys, *.pem/*.key, .npmrc, a deploy
// bundle) must not appear anywhere in the built image: its filesystem, any layer, its config or history.
import assert from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { APP_DIR, DockerCleanup, buildAppImage, findStringsInImage, requireDocker, uniqueName } from "../support/docker";
import { copyAppContext, removeAppContext } from "./app-context";

/** Where each fake secret is planted, relative to the build context, and the file's content around it. */
const PLANTED: ReadonlyArray<{ file: string; render: (secret: string) => string }> = [
    { file: ".env", render: (s) => `DATABASE_PASSWORD=${s}\n` },
    { file: ".env.production", render: (s) => `POSTGRES_PASSWORD=${s}\n` },
    { file: "id_rsa", render: (s) => `-----BEGIN OPENSSH PRIVATE KEY-----\n${s}\n-----END OPENSSH PRIVATE KEY-----\n` },
    { file: "server.pem", render: (s) => `-----BEGIN PRIVATE KEY-----\n${s}\n-----END PRIVATE KEY-----\n` },
    { file: "tls.key", render: (s) => `${s}\n` },
    { file: ".npmrc", render: (s) => `//registry.npmjs.org/:_authToken=${s}\n` },
    { file: "src/.env.local", render: (s) => `API_TOKEN=${s}\n` },
    { file: "src/certs/client.pem", render: (s) => `${s}\n` },
    { file: "migrations/id_ed25519", render: (s) => `${s}\n` },
    { file: "deploy/.env", render: (s) => `GITLAB_TOKEN=${s}\n` },
];

describe("image secret hygiene (real Docker engine)", function () {
    this.timeout(10 * 60_000);
    const cleanup = new DockerCleanup();
    let context: string | undefined;

    after(async function () {
        this.timeout(120_000);
        removeAppContext(context);
        await cleanup.run();
    });

    it("the built image contains none of the fake secrets planted in the build context (.env, id_rsa, *.pem, *.key, .npmrc)", async () => {
        await requireDocker();
        context = copyAppContext("secrets");
        const secrets = new Map<string, string>();
        for (const { file, render } of PLANTED) {
            const secret = `FAKE-SECRET-${crypto.randomBytes(12).toString("hex")}`;
            secrets.set(secret, file);
            fs.mkdirSync(path.dirname(path.join(context, file)), { recursive: true });
            fs.writeFileSync(path.join(context, file), render(secret), { mode: 0o600 });
        }
        const image = await buildAppImage({ tag: uniqueName("secrets"), context, cleanup });

        // Control: a string the image must contain (from package.json, which is copied on purpose) is found,
        // so an empty result below means "not there", not "the scan saw nothing".
        const control = (JSON.parse(fs.readFileSync(path.join(APP_DIR, "package.json"), "utf8")) as { description: string }).description;
        const found = await findStringsInImage(image.tag, [control, ...secrets.keys()]);

        assert.ok(found.includes(control), "the scan did not find package.json's description: the scan itself is broken");
        const leaked = found.filter((needle) => needle !== control).map((secret) => secrets.get(secret));
        assert.deepStrictEqual(leaked, [], `secrets from these planted files reached the image: ${leaked.join(", ")}`);
    });
});
