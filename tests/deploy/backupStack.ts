// A Compose project of app/deploy with compose.backup.yaml on top, for the backup drill and `npm run bench:backup`:
// the pgBackRest db image built once per checkout, an S3 repository on the loopback S3 server (tests/support/
// loopbackS3.ts), backup.sh driven as an operator would, and a writer that records when each note was acknowledged.
import * as crypto from "crypto";
import * as fs from "fs";
import * as http from "http";
import * as path from "path";
import { DOCKER_BIN, DockerCleanup, REPO_ROOT, RunResult, docker, ensureStandInImages, run } from "../support/docker";
import { BUNDLE_PGBACKREST_CONF, pgbackrestConf } from "../../components/backup/hostFiles";
import { LoopbackS3 } from "../support/loopbackS3";
import { COMPOSE_BIN, DEPLOY_DIR, StackProject, composeCommand, request, waitForStackHealthy } from "./stack";

export const BACKUP_SCRIPT = path.join(DEPLOY_DIR, "backup.sh");
/** Per checkout, like the app image: two worktrees must never run each other's db image. */
const DB_IMAGE = `cicd-test-stack/postgres-pgbackrest:${crypto.createHash("sha256").update(REPO_ROOT).digest("hex").slice(0, 8)}`;

let dbImage: Promise<string> | undefined;

/** Builds app/deploy/postgres/Dockerfile on the stand-in PostgreSQL image (apt-get from Debian; cached after). */
export function sharedBackupDbImage(): Promise<string> {
    dbImage ??= (async () => {
        const images = await ensureStandInImages();
        await docker(["build", "--quiet", "--label", "cicd.test=1", "--build-arg", `POSTGRES_IMAGE=${images.POSTGRES_IMAGE}`,
            "--tag", DB_IMAGE, path.join(DEPLOY_DIR, "postgres")], { env: { DOCKER_BUILDKIT: "1" }, timeoutMs: 10 * 60_000 });
        return DB_IMAGE;
    })();
    dbImage.catch(() => (dbImage = undefined));
    return dbImage;
}

/** A note the writer sent: when the request left and when the app acknowledged it (201), in ms since the epoch. */
export interface SentNote {
    readonly title: string;
    readonly sentAt: number;
    readonly ackAt?: number;
    /** Why the write was not acknowledged (status or error). */
    readonly failure?: string;
}

/** "2026-12-01 16:30:00.250+00", the form backup.sh restore --time takes. */
export function pgTime(ms: number): string {
    return new Date(ms).toISOString().replace("T", " ").replace("Z", "+00");
}

export class BackupStack {
    readonly configDir: string;
    s3?: LoopbackS3;

    private constructor(readonly project: StackProject, readonly appImage: string, private readonly cleanup: DockerCleanup) {
        this.configDir = path.join(project.workDir, "pgbackrest");
    }

    /**
     * Starts the whole stack with backups on; the repository is configured by useS3() once its network exists.
     * archiveTimeoutSeconds overrides compose.backup.yaml's default (BACKUP_ARCHIVE_TIMEOUT) when given.
     */
    static async start(prefix: string, appImage: string, options: { archiveTimeoutSeconds?: number } = {}): Promise<BackupStack> {
        const image = await sharedBackupDbImage();
        const project = await StackProject.create(prefix);
        const stack = new BackupStack(project, appImage, new DockerCleanup());
        fs.mkdirSync(stack.configDir, { mode: 0o755 });
        fs.appendFileSync(project.envFile, [
            "BACKUP_ENABLED=true",
            `BACKUP_CIPHER_PASS=${crypto.randomBytes(24).toString("base64")}`,
            `BACKUP_DB_IMAGE=${image}`,
            `BACKUP_CONFIG_DIR=${stack.configDir}`,
            ...(options.archiveTimeoutSeconds === undefined ? [] : [`BACKUP_ARCHIVE_TIMEOUT=${options.archiveTimeoutSeconds}`]),
            "",
        ].join("\n"));
        await stack.compose(["up", "-d"]);
        await waitForStackHealthy(project, ["db", "app", "proxy"]);
        return stack;
    }

    /** moto behind TLS on the backup network's gateway, one bucket, and pgbackrest.conf pointing at a host prefix. */
    async useS3(bucket: string): Promise<void> {
        const network = `${this.project.name}_backup`;
        const gateway = (await docker(["network", "inspect", "-f", "{{(index .IPAM.Config 0).Gateway}}", network])).stdout.trim();
        this.s3 = await LoopbackS3.start({ listenAddress: gateway, workDir: this.project.workDir, cleanup: this.cleanup });
        await this.s3.createBucket(bucket);
        fs.copyFileSync(this.s3.caFile, path.join(this.configDir, "ca.pem"));
        // The hosts' own pgbackrest.conf, with only the way to S3 changed: moto on loopback instead of AWS's endpoint,
        // and placeholder keys instead of the instance role (moto checks no signature).
        const hostConf = pgbackrestConf({ bucket, region: "us-east-1", prefix: "hosts/drill", retentionDays: 2 },
            fs.readFileSync(path.join(DEPLOY_DIR, BUNDLE_PGBACKREST_CONF), "utf8"));
        fs.writeFileSync(path.join(this.configDir, "pgbackrest.conf"), replaceLines(hostConf, {
            "repo1-s3-endpoint=": [`repo1-s3-endpoint=${this.s3.host}`, `repo1-storage-port=${this.s3.port}`,
                "repo1-storage-ca-file=/etc/pgbackrest/ca.pem", "repo1-s3-uri-style=path"],
            "repo1-s3-key-type=auto": ["repo1-s3-key=test-only", "repo1-s3-key-secret=test-only"],
        }), { mode: 0o644 });
    }

    compose(args: readonly string[], options: { allowFailure?: boolean } = {}): Promise<RunResult> {
        return composeCommand(["--project-name", this.project.name, "--env-file", this.project.envFile,
            ...["compose.yaml", "compose.local.yaml", "compose.backup.yaml"].flatMap((file) => ["-f", path.join(DEPLOY_DIR, file)]), ...args],
        { env: { APP_IMAGE: this.appImage }, cwd: DEPLOY_DIR, timeoutMs: 5 * 60_000, allowFailure: options.allowFailure });
    }

    /** backup.sh against this project; never rejects, so tests can assert on failures. */
    backup(args: readonly string[], envFile = this.project.envFile): Promise<RunResult> {
        return run(BACKUP_SCRIPT, [...args, "--env", "local", "--env-file", envFile, "--project", this.project.name], {
            env: { DEPLOY_DOCKER: DOCKER_BIN, DEPLOY_COMPOSE: COMPOSE_BIN, DEPLOY_STATE_DIR: this.project.stateDir, APP_IMAGE: this.appImage },
            allowFailure: true,
            timeoutMs: 10 * 60_000,
        });
    }

    /** One SQL query as the superuser inside the db container; rows as lines. */
    async sql(query: string): Promise<string[]> {
        const result = await this.compose(["exec", "-T", "-u", "postgres", "db", "psql", "-X", "-At", "-U", "notes", "-d", "notes", "-c", query]);
        return result.stdout.split("\n").map((line) => line.trim()).filter(Boolean);
    }

    /** Deletes the data volume as a lost disk would: container and volume gone. */
    async destroyDatabaseVolume(): Promise<void> {
        await this.compose(["rm", "-s", "-f", "db"]);
        await docker(["volume", "rm", `${this.project.name}_db-data`]);
    }

    /** When the db container's current process started, in ms since the epoch. */
    async dbStartedAt(): Promise<number> {
        const id = (await this.compose(["ps", "-q", "db"])).stdout.trim();
        return Date.parse((await docker(["inspect", "-f", "{{.State.StartedAt}}", id])).stdout.trim());
    }

    async dbRunning(): Promise<boolean> {
        const id = (await this.compose(["ps", "-q", "db"])).stdout.trim();
        return id !== "" && (await docker(["inspect", "-f", "{{.State.Running}}", id])).stdout.trim() === "true";
    }

    async teardown(): Promise<void> {
        await this.s3?.stop();
        await this.cleanup.run();
        await this.compose(["down", "--volumes", "--remove-orphans", "--timeout", "5"], { allowFailure: true });
        await this.project.teardown();
    }
}

/**
 * Writes notes through nginx one after another (a bounded loop: stops at stop() or `max`), each titled with a
 * unique sequence number, recording send and acknowledgement times. A pause between writes keeps the rate well
 * under nginx's per-client write limit (200/s), so the load is steady, not a flood. Failed writes keep no ackAt.
 */
export function startWriter(baseUrl: string, prefix: string, max = 20_000, pauseMs = 10): { stop(): Promise<SentNote[]> } {
    const sent: SentNote[] = [];
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    let stopping = false;
    const loop = (async () => {
        for (let i = 0; i < max && !stopping; i++) {
            const title = `${prefix}-${i}`;
            const sentAt = Date.now();
            const answer = await request(`${baseUrl}/api/notes`, "POST", { title, body: "drill" }, agent).catch((error: Error) => error);
            if (answer instanceof Error) sent.push({ title, sentAt, failure: answer.message });
            else if (answer.status === 201) sent.push({ title, sentAt, ackAt: Date.now() });
            else sent.push({ title, sentAt, failure: `HTTP ${answer.status} ${answer.body.slice(0, 200)}` });
            await new Promise((resolve) => setTimeout(resolve, pauseMs));
        }
    })();
    return {
        async stop() {
            stopping = true;
            await loop;
            agent.destroy();
            return sent;
        },
    };
}

/** `text` with each line that starts with a key of `replacements` swapped for its lines; a key no line has throws. */
function replaceLines(text: string, replacements: Record<string, readonly string[]>): string {
    const lines = text.split("\n");
    for (const [prefix, replacement] of Object.entries(replacements)) {
        const index = lines.findIndex((line) => line.startsWith(prefix));
        if (index < 0) throw new Error(`pgbackrest.conf has no line starting '${prefix}'`);
        lines.splice(index, 1, ...replacement);
    }
    return lines.join("\n");
}
