import { StackResource, ancestorTypes, asArray, asRecord, asString, isUnknown, label } from "./resource";

// The backup bucket (components/backup/bucket.ts, docs/backups.md): S3 keeps each setting in a resource of its own,
// linked to the bucket by its `bucket` input, so the rule judges the stack: a setting nobody registered is as wrong
// as a setting turned off.

export const S3_BUCKETS: readonly string[] = ["aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"];
export const S3_VERSIONING: readonly string[] = ["aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucketVersioningV2:BucketVersioningV2"];
export const S3_ENCRYPTION: readonly string[] = [
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
];
export const S3_PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock";
export const S3_BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy";

/** The Purpose tag BackupBucket puts on its bucket; a bucket under a BackupBucket component counts too. */
export const BACKUP_BUCKET_PURPOSE = "database-backups";
const BACKUP_COMPONENT = "cicd:backup:BackupBucket";

const PUBLIC_ACCESS_FLAGS = ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"] as const;
const SSE_ALGORITHMS: readonly string[] = ["AES256", "aws:kms", "aws:kms:dsse"];

export function isBackupBucket(resource: StackResource): boolean {
    if (!S3_BUCKETS.includes(resource.type)) return false;
    return asRecord(resource.props.tags)?.Purpose === BACKUP_BUCKET_PURPOSE || ancestorTypes(resource).includes(BACKUP_COMPONENT);
}

/** The resources of `types` that configure `bucket`: by its id or name once known, by their `bucket` input's origin before. */
function settingsOf(bucket: StackResource, resources: readonly StackResource[], types: readonly string[]): StackResource[] {
    const names = [bucket.props.id, bucket.props.bucket].filter((value) => typeof value === "string" && value !== "" && !isUnknown(value));
    return resources.filter((r) => types.includes(r.type) &&
        (names.includes(r.props.bucket) || (r.propertyDependencies?.bucket ?? []).includes(bucket.urn ?? "")));
}

/** True when a judged value is still unknown (preview): the pack judges it again at `up`. */
const unknownIn = (...values: unknown[]) => values.some((value) => isUnknown(value));

function versioningProblem(settings: readonly StackResource[]): string | undefined {
    const ok = settings.some((r) => {
        const status = asRecord(r.props.versioningConfiguration)?.status ?? r.props.versioningConfiguration;
        return status === "Enabled" || unknownIn(status);
    });
    return ok ? undefined : "versioning is not enabled (a BucketVersioning with status Enabled): without it a deleted or overwritten backup is gone at once";
}

function encryptionProblem(settings: readonly StackResource[]): string | undefined {
    const ok = settings.some((r) => unknownIn(r.props.rules) || asArray(r.props.rules).some((rule) => {
        const algorithm = asRecord(asRecord(rule)?.applyServerSideEncryptionByDefault)?.sseAlgorithm;
        return unknownIn(algorithm) || SSE_ALGORITHMS.includes(String(algorithm));
    }));
    return ok ? undefined : `has no default encryption (a BucketServerSideEncryptionConfiguration with sseAlgorithm ${SSE_ALGORITHMS.join(", ")})`;
}

function publicAccessProblem(settings: readonly StackResource[]): string | undefined {
    const ok = settings.some((r) => PUBLIC_ACCESS_FLAGS.every((flag) => r.props[flag] === true || unknownIn(r.props[flag])));
    return ok ? undefined : `public access is not blocked (a BucketPublicAccessBlock with ${PUBLIC_ACCESS_FLAGS.join(", ")} all true)`;
}

/** A statement that denies every S3 action to everyone when the request did not come over TLS, on the bucket and its objects. */
function deniesPlainHttp(statement: unknown): boolean {
    const s = asRecord(statement) ?? {};
    const principal = s.Principal === "*" || asRecord(s.Principal)?.AWS === "*";
    const actions = [s.Action].flat();
    const everything = actions.includes("s3:*") || actions.includes("*");
    const secure = asRecord(asRecord(s.Condition)?.Bool)?.["aws:SecureTransport"];
    const resources = [s.Resource].flat().map(String);
    const coversBoth = resources.some((r) => r.endsWith("/*")) && resources.some((r) => !r.includes("/"));
    return s.Effect === "Deny" && principal && everything && (secure === "false" || secure === false) && coversBoth;
}

function tlsOnlyProblem(settings: readonly StackResource[]): string | undefined {
    const ok = settings.some((r) => {
        const text = asString(r.props.policy);
        if (text === undefined || unknownIn(text)) return text !== undefined;
        try {
            return asArray(asRecord(JSON.parse(text))?.Statement).some(deniesPlainHttp);
        } catch {
            return false;
        }
    });
    return ok ? undefined : "has no policy refusing requests without TLS (a BucketPolicy statement: Deny, Principal *, s3:*, on the bucket and bucket/*, when aws:SecureTransport is false)";
}

/**
 * Mandatory, stack-wide: every backup bucket is versioned, encrypted by default, blocked from public access, and
 * refuses requests that do not come over TLS. The backups are the last copy of the data; each of these is what
 * keeps one mistake (a deleted object, a public policy, a plain-HTTP client) from becoming the loss of it.
 */
export function checkBackupBucket(resources: readonly StackResource[]): string[] {
    return resources.filter(isBackupBucket).flatMap((bucket) => {
        const problems = [
            versioningProblem(settingsOf(bucket, resources, S3_VERSIONING)),
            encryptionProblem(settingsOf(bucket, resources, S3_ENCRYPTION)),
            publicAccessProblem(settingsOf(bucket, resources, [S3_PUBLIC_ACCESS_BLOCK])),
            tlsOnlyProblem(settingsOf(bucket, resources, [S3_BUCKET_POLICY])),
        ];
        return problems.filter((p): p is string => p !== undefined).map((problem) => `backup bucket ${label(bucket)}: ${problem}`);
    });
}
