// Issue 15: one builder of the env file's stack values, for the remote stacks and the local one.
import { strict as assert } from "assert";
import { renderEnvFile, stackEnv } from "../../../components/host";
import { remoteEnv } from "../../../components/program/hosts";

const SECRETS = { postgresPassword: "p".repeat(48), appDbPassword: "a".repeat(48), apiWriteToken: "t".repeat(48) };

describe("host: the env file's stack values (issue 15)", () => {
    it("holds the database, the app's secrets and only the base images that are pinned", () => {
        assert.equal(renderEnvFile(stackEnv(SECRETS, { postgres: "mirror.example/postgres:16" })),
            `API_WRITE_TOKEN=${"t".repeat(48)}\nPOSTGRES_APP_PASSWORD=${"a".repeat(48)}\nPOSTGRES_DB=app\n` +
            `POSTGRES_IMAGE=mirror.example/postgres:16\nPOSTGRES_PASSWORD=${"p".repeat(48)}\nPOSTGRES_USER=app\n`);
        const all = stackEnv(SECRETS, { postgres: "pg:1", nginx: "nginx:1", acme: "acme:1" });
        assert.deepEqual([all.POSTGRES_IMAGE, all.NGINX_IMAGE, all.ACME_IMAGE], ["pg:1", "nginx:1", "acme:1"]);
        assert.deepEqual(Object.keys(stackEnv(SECRETS, undefined)).sort(), ["API_WRITE_TOKEN", "POSTGRES_APP_PASSWORD", "POSTGRES_DB", "POSTGRES_PASSWORD", "POSTGRES_USER"]);
    });
    it("is what the remote stacks write", () => {
        assert.equal(remoteEnv, stackEnv);
    });
});
