import * as crypto from "crypto";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { local } from "@pulumi/command";
import { hashBuildContext } from "./context";

export interface LocalImageArgs {
    /** Build context (the app folder). */
    readonly contextDir: string;
    /** Dockerfile; defaults to `<contextDir>/Dockerfile`. */
    readonly dockerfile?: string;
    /** Stage to build; defaults to `runtime`. */
    readonly target?: string;
    /** Local repository name the image is tagged with; the tag is the context hash. */
    readonly repository: string;
    /** Non-secret build args (base images, version labels). Empty values are left out. */
    readonly buildArgs?: Readonly<Record<string, string | undefined>>;
    /** CA bundle handed to the build as BuildKit secret `ca` (never a layer or build arg). */
    readonly caFile?: string;
    /** Docker client with BuildKit; defaults to Debian's `/usr/bin/docker`. */
    readonly dockerPath?: string;
    /** Precomputed context hash; computed from `contextDir` when absent. */
    readonly contextHash?: string;
}

export interface LocalBuild {
    readonly docker: string;
    readonly tag: string;
    readonly dockerfile: string;
    readonly contextDir: string;
    readonly target: string;
    readonly buildArgs: Readonly<Record<string, string>>;
    readonly caFile?: string;
}

/**
 * The shell command that builds the image. Values travel in the environment (returned alongside),
 * so paths with spaces need no quoting and `--build-arg NAME` picks each value from there.
 * `--quiet` makes BuildKit print only the image id, which becomes the command's stdout.
 */
export function localBuildCommand(build: LocalBuild): { command: string; environment: Record<string, string> } {
    const argNames = Object.keys(build.buildArgs).sort();
    const parts = [
        `"$DOCKER" build --quiet`,
        `--target "$BUILD_TARGET"`,
        `--tag "$IMAGE_TAG"`,
        `--file "$DOCKERFILE"`,
        ...argNames.map((n) => `--build-arg ${n}`),
        ...(build.caFile ? [`--secret id=ca,src="$BUILD_CA_FILE"`] : []),
        `"$BUILD_CONTEXT"`,
    ];
    return {
        command: `set -eu; ${parts.join(" ")}`,
        environment: {
            DOCKER: build.docker,
            DOCKER_BUILDKIT: "1",
            BUILD_TARGET: build.target,
            IMAGE_TAG: build.tag,
            DOCKERFILE: build.dockerfile,
            BUILD_CONTEXT: build.contextDir,
            ...(build.caFile ? { BUILD_CA_FILE: build.caFile } : {}),
            ...build.buildArgs,
        },
    };
}

/**
 * What identifies a local image: the context's content, the stage and the build args (a different base
 * image or version label is a different image, so it must not reuse a tag). Sorted, so order is irrelevant.
 */
export function localImageKey(contextHash: string, target: string, buildArgs: Readonly<Record<string, string>>): string {
    const args = Object.keys(buildArgs).sort().map((k) => `${k}=${buildArgs[k]}`);
    return crypto.createHash("sha256").update([contextHash, target, ...args].join("\0")).digest("hex");
}

/**
 * The app image built on the local Docker engine by a `local.Command` (the local stack needs no
 * image provider). Tagged `<repository>:src-<hash>` from the build context's content, stage and build
 * args, so an unchanged source is never rebuilt and a changed one always gets a new, immutable tag.
 */
export class LocalImage extends pulumi.ComponentResource {
    /** `<repository>:src-<hash>`: what the deploy program runs. */
    readonly ref: pulumi.Output<string>;
    /** Docker image id (sha256:...) printed by the build. */
    readonly imageId: pulumi.Output<string>;
    readonly contextHash: string;

    constructor(name: string, args: LocalImageArgs, opts?: pulumi.ComponentResourceOptions) {
        super("cicd:image:LocalImage", name, {}, opts);

        const dockerfile = args.dockerfile ?? path.join(args.contextDir, "Dockerfile");
        const target = args.target ?? "runtime";
        const docker = args.dockerPath ?? "/usr/bin/docker";
        const buildArgs = Object.fromEntries(
            Object.entries(args.buildArgs ?? {}).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== ""),
        );
        this.contextHash = args.contextHash ?? hashBuildContext(args.contextDir, dockerfile);
        const tag = `${args.repository}:src-${localImageKey(this.contextHash, target, buildArgs).slice(0, 16)}`;
        const { command, environment } = localBuildCommand({ docker, tag, dockerfile, contextDir: args.contextDir, target, buildArgs, caFile: args.caFile });

        // Re-runs only when the source, the build args, or the target change.
        const build = new local.Command(
            `${name}-build`,
            {
                create: command,
                environment,
                triggers: [this.contextHash, target, JSON.stringify(buildArgs), args.caFile ?? ""],
            },
            { parent: this },
        );

        this.imageId = build.stdout.apply((out) => out.trim().split(/\s+/).pop() ?? "");
        this.ref = build.stdout.apply(() => tag);
        this.registerOutputs({ ref: this.ref, imageId: this.imageId });
    }
}
