import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import * as dockerbuild from "@pulumi/docker-build";
import { RegistryCredentials } from "./registryImage";

export interface PromotedImageArgs {
    /** The image staging built and tested: `<repository>[:tag]@sha256:<digest>`. */
    readonly sourceRef: pulumi.Input<string>;
    /**
     * A tag that staging pushed for the same image (e.g. `<repository>:<gitsha>`), used for the registry
     * lookup; when absent the lookup uses the digest reference itself.
     */
    readonly lookupRef?: pulumi.Input<string | undefined>;
    /** Repository without tag. */
    readonly repository: string;
    /** Tag given to the image for this environment, e.g. `production-<gitsha>`. */
    readonly tag: pulumi.Input<string>;
    readonly registry: RegistryCredentials;
}

export interface ParsedImageRef {
    readonly repository: string;
    readonly tag?: string;
    readonly digest?: string;
}

/** Splits `repo[:tag][@sha256:hex]`. Pure. */
export function parseImageRef(ref: string): ParsedImageRef {
    const [nameAndTag, digest] = ref.split("@");
    const slash = nameAndTag.lastIndexOf("/");
    const colon = nameAndTag.lastIndexOf(":");
    const hasTag = colon > slash;
    return {
        repository: hasTag ? nameAndTag.slice(0, colon) : nameAndTag,
        tag: hasTag ? nameAndTag.slice(colon + 1) : undefined,
        digest: digest || undefined,
    };
}

/**
 * The `name` to hand `docker.getRegistryImage` for `ref`. The provider takes the registry host up to the first `/`
 * and then splits the rest at its FIRST `:` into repository and manifest reference, so `repo@sha256:<hex>` would
 * become repository `repo@sha256` and reference `<hex>`. A tagged reference is looked up by its tag (and the digest
 * compared afterwards); a digest-only one as `repo:sha256:<hex>`, which that split turns into repository `repo` and
 * reference `sha256:<hex>`: the registry API serves a manifest by digest there. Pure.
 */
export function registryLookupName(ref: string): string {
    const { repository, tag, digest } = parseImageRef(ref);
    if (tag !== undefined) return `${repository}:${tag}`;
    if (digest !== undefined) return `${repository}:${digest}`;
    return ref;
}

/** Throws unless the registry's digest is the one we were asked to deploy. Pure. */
export function assertSameDigest(expectedRef: string, registryDigest: string, lookedUp: string): string {
    const expected = parseImageRef(expectedRef).digest;
    if (!expected) throw new Error(`image ${expectedRef} is not pinned by digest; production deploys only digests that staging built`);
    if (registryDigest !== expected) {
        throw new Error(
            `the registry says ${lookedUp} is ${registryDigest || "missing"}, not ${expected}: ` +
                "production deploys only the exact image staging built and tested; redeploy staging or set imageRef to the digest it built",
        );
    }
    return expected;
}

/**
 * Promotes an image staging built to another environment WITHOUT rebuilding: verifies the digest
 * exists in the registry (`docker.getRegistryImage`), then tags it for the environment with
 * `docker-build`'s Index (`buildx imagetools create`, a registry-side operation that copies no
 * layers). `ref` is the verified digest reference: byte for byte what staging tested.
 */
export class PromotedImage extends pulumi.ComponentResource {
    /** `<repository>@sha256:...`, verified to exist. */
    readonly ref: pulumi.Output<string>;
    readonly digest: pulumi.Output<string>;
    /** The environment tag pushed to the registry. */
    readonly promotedTag: pulumi.Output<string>;

    constructor(name: string, args: PromotedImageArgs, opts?: pulumi.ComponentResourceOptions) {
        super("cicd:image:PromotedImage", name, {}, opts);

        const provider = new docker.Provider(
            `${name}-registry`,
            { registryAuth: [{ address: args.registry.address, username: args.registry.username, password: args.registry.password }] },
            { parent: this },
        );

        const looked = pulumi.all([args.sourceRef, args.lookupRef]).apply(([sourceRef, lookup]) => registryLookupName(lookup || sourceRef));
        const registryImage = docker.getRegistryImageOutput({ name: looked }, { parent: this, provider });

        this.digest = pulumi
            .all([args.sourceRef, registryImage.sha256Digest, looked])
            .apply(([sourceRef, found, name_]) => assertSameDigest(sourceRef, found, name_));
        this.ref = pulumi.interpolate`${args.repository}@${this.digest}`;

        const index = new dockerbuild.Index(
            `${name}-tag`,
            {
                tag: pulumi.interpolate`${args.repository}:${args.tag}`,
                sources: [this.ref],
                push: true,
                registry: { address: args.registry.address, username: args.registry.username, password: args.registry.password },
            },
            // Deleting an Index deletes its manifest in the registry: a promotion or a destroy must never remove an
            // image production may still run (or roll back to). Old tags are the registry's cleanup policy's job.
            { parent: this, retainOnDelete: true },
        );
        this.promotedTag = index.tag;
        this.registerOutputs({ ref: this.ref, digest: this.digest, promotedTag: this.promotedTag });
    }
}
