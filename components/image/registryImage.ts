import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as dockerbuild from "@pulumi/docker-build";

export interface RegistryCredentials {
    /** Registry host, e.g. registry.gitlab.com. */
    readonly address: pulumi.Input<string>;
    readonly username: pulumi.Input<string>;
    /** Secret. */
    readonly password: pulumi.Input<string>;
}

export interface RegistryImageArgs {
    /** Build context (the app folder). */
    readonly contextDir: string;
    /** Dockerfile; defaults to `<contextDir>/Dockerfile`. */
    readonly dockerfile?: string;
    /** Stage to build; defaults to `runtime`. */
    readonly target?: string;
    /** Repository without tag, e.g. registry.gitlab.com/acme/gitlab-docker-delivery. */
    readonly repository: string;
    /** Git sha: tags `<repository>:<sha>` and `<repository>:<stack>-<sha>`, and label/build arg GIT_COMMIT. */
    readonly gitCommit: string;
    /** Stack name used in the second tag. */
    readonly stack: string;
    readonly appVersion: string;
    /** Target platforms; defaults to linux/amd64. */
    readonly platforms?: readonly dockerbuild.Platform[];
    /** Base images as build args BUILD_IMAGE / RUNTIME_IMAGE; unset keeps the Dockerfile's official defaults. */
    readonly baseImages?: { readonly build?: string; readonly runtime?: string };
    /** CA bundle handed to the build as BuildKit secret `ca`. */
    readonly caFile?: string;
    readonly registry: RegistryCredentials;
    /**
     * Local BuildKit cache folder (the pipeline hands its protected GitLab cache). Never a registry cache:
     * every job's CI_JOB_TOKEN, a merge request's included, can push to the project's registry.
     * Unset: no build cache.
     */
    readonly cacheDir?: string;
    /**
     * Name of an existing buildx builder to build with (docker-build's `builder`; a `remote`, `docker-container` or
     * `kubernetes` driver). The deploy jobs name their rootless BuildKit service's (scripts/buildkit/remote-builder.sh),
     * because the deploy runner has no Docker daemon to build on. Unset: the provider's own choice, as before.
     */
    readonly builder?: string;
}

/** buildx's own rule for builder names. */
const BUILDER_NAME = /^[a-zA-Z][a-zA-Z0-9_.+-]*$/;

/** The tags an image of `gitCommit` gets on `stack`. Pure, for tests and the policy pack. */
export function imageTags(repository: string, stack: string, gitCommit: string): string[] {
    return [`${repository}:${gitCommit}`, `${repository}:${stack}-${gitCommit}`];
}

/**
 * The app image built with BuildKit (`@pulumi/docker-build`) and pushed to the registry. Everything
 * downstream keys on `digest`/`ref` (repository@sha256:...), never on a tag.
 */
export class RegistryImage extends pulumi.ComponentResource {
    /** `<repository>@sha256:...`. */
    readonly ref: pulumi.Output<string>;
    readonly digest: pulumi.Output<string>;
    /** The immutable git-sha tag, `<repository>:<sha>`. */
    readonly shaTag: string;
    readonly tags: readonly string[];

    constructor(name: string, args: RegistryImageArgs, opts?: pulumi.ComponentResourceOptions) {
        if (args.builder !== undefined && !BUILDER_NAME.test(args.builder)) {
            throw new Error(`cicd:image:RegistryImage "${name}" [builder] "${args.builder}" is not a buildx builder name (a letter, then letters, digits, _ . + -)`);
        }
        super("cicd:image:RegistryImage", name, {}, opts);

        const dockerfile = args.dockerfile ?? path.join(args.contextDir, "Dockerfile");
        const target = args.target ?? "runtime";
        const platforms = args.platforms ?? ["linux/amd64"];
        // A preview (a merge request's too) may read the cache but never writes one.
        const cacheFrom = args.cacheDir ? [{ local: { src: args.cacheDir } }] : [];
        const cacheTo = args.cacheDir && !pulumi.runtime.isDryRun()
            ? [{ local: { dest: args.cacheDir, mode: dockerbuild.CacheMode.Max } }] : [];
        this.tags = imageTags(args.repository, args.stack, args.gitCommit);
        this.shaTag = this.tags[0];

        const buildArgs: Record<string, string> = { APP_VERSION: args.appVersion, GIT_COMMIT: args.gitCommit };
        if (args.baseImages?.build) buildArgs.BUILD_IMAGE = args.baseImages.build;
        if (args.baseImages?.runtime) buildArgs.RUNTIME_IMAGE = args.baseImages.runtime;

        // The CA bundle is a BuildKit secret: mounted for `npm ci` only, absent from every layer.
        const secrets = args.caFile ? { ca: pulumi.secret(fs.readFileSync(args.caFile, "utf8")) } : undefined;

        const image = new dockerbuild.Image(
            `${name}-build`,
            {
                context: { location: args.contextDir },
                dockerfile: { location: dockerfile },
                target,
                platforms: [...platforms],
                buildArgs,
                secrets,
                tags: [...this.tags],
                push: true,
                registries: [{ address: args.registry.address, username: args.registry.username, password: args.registry.password }],
                cacheFrom,
                cacheTo,
                builder: args.builder ? { name: args.builder } : undefined,
                // A broken Dockerfile then fails the merge-request preview, not the deploy.
                buildOnPreview: true,
            },
            // docker-build deletes the pushed tags when an Image is deleted or replaced; production runs this digest
            // (promoted, not rebuilt), so neither `pulumi destroy -s staging` nor a rebuild may take it away.
            { parent: this, retainOnDelete: true },
        );

        this.digest = image.digest;
        this.ref = pulumi.interpolate`${args.repository}@${image.digest}`;
        this.registerOutputs({ ref: this.ref, digest: this.digest, tags: this.tags });
    }
}
