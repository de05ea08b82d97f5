import * as rules from "../../policy/rules";
import { StackResource, UNKNOWN_VALUE } from "../../policy/rules";
import { tlsOnlyPolicy } from "../../components/backup/bucket";
import { runStackPolicy, urn } from "./harness";
import { AWS } from "./sdkTypes";
import { assertSameVerdict } from "./verdict";

// backup-bucket-hardened (issue 17): fixtures shaped like the stack components/backup/bucket.ts registers, with the
// provider's type tokens; one violating fixture per setting the rule asks for.

const POLICY = "backup-bucket-hardened";
const COMPONENT = "cicd:backup:BackupBucket";
const BUCKET = "production-backup-bucket-1a2b3c";
const ARN = `arn:aws:s3:::${BUCKET}`;
const BUCKET_URN = urn("prod", AWS.s3Bucket, "production-backup-bucket", [COMPONENT]);

function child(type: string, name: string, props: Record<string, unknown>, bucketFrom = true): StackResource {
    return {
        type, name, props,
        urn: urn("prod", type, name, [COMPONENT]),
        options: { parent: urn("prod", COMPONENT, "production-backup") },
        propertyDependencies: bucketFrom ? { bucket: [BUCKET_URN] } : {},
    };
}

const bucket = (props: Record<string, unknown> = {}) => child(AWS.s3Bucket, "production-backup-bucket", { id: BUCKET, bucket: BUCKET, arn: ARN, tags: { Purpose: "database-backups" }, ...props }, false);
const versioning = (status = "Enabled") => child(AWS.s3BucketVersioning, "production-backup-versioning", { bucket: BUCKET, versioningConfiguration: { status } });
const encryption = (sseAlgorithm = "AES256") => child(AWS.s3BucketEncryption, "production-backup-encryption", { bucket: BUCKET, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm } }] });
const publicAccess = (overrides: Record<string, boolean> = {}) => child(AWS.s3BucketPublicAccessBlock, "production-backup-public-access", {
    bucket: BUCKET, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true, ...overrides,
});
const policy = (text = tlsOnlyPolicy(ARN)) => child(AWS.s3BucketPolicy, "production-backup-tls-only", { bucket: BUCKET, policy: text });

const HARDENED = () => [bucket(), versioning(), encryption(), publicAccess(), policy()];
const without = (type: string) => HARDENED().filter((r) => r.type !== type && r.type !== AWS.s3Bucket).concat(bucket());

async function verdict(stack: StackResource[], expected?: RegExp): Promise<void> {
    assertSameVerdict(rules.checkBackupBucket(stack), await runStackPolicy(POLICY, stack), expected);
}

describe("backup-bucket-hardened (issue 17)", () => {
    it("passes the bucket as BackupBucket registers it (the policy text is the component's own)", async () => {
        await verdict(HARDENED());
    });

    it("must have versioning enabled: refuses none, and Suspended", async () => {
        await verdict(without(AWS.s3BucketVersioning), /backup bucket aws:s3\/bucket:Bucket "production-backup-bucket": versioning is not enabled/);
        await verdict([bucket(), versioning("Suspended"), encryption(), publicAccess(), policy()], /versioning is not enabled/);
    });

    it("must be encrypted by default: refuses no configuration, and an unknown algorithm", async () => {
        await verdict(without(AWS.s3BucketEncryption), /has no default encryption/);
        await verdict([bucket(), versioning(), encryption("none"), publicAccess(), policy()], /has no default encryption/);
        await verdict([bucket(), versioning(), encryption("aws:kms"), publicAccess(), policy()]);
    });

    it("must block public access: refuses no block, and each of the four flags off", async () => {
        await verdict(without(AWS.s3BucketPublicAccessBlock), /public access is not blocked/);
        for (const flag of ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"]) {
            await verdict([bucket(), versioning(), encryption(), publicAccess({ [flag]: false }), policy()], /public access is not blocked/);
        }
    });

    it("must refuse requests without TLS: refuses no policy, an Allow, a policy on the objects only, and one without the condition", async () => {
        await verdict(without(AWS.s3BucketPolicy), /has no policy refusing requests without TLS/);
        const statement = JSON.parse(tlsOnlyPolicy(ARN)).Statement[0];
        const variant = (change: Record<string, unknown>) => policy(JSON.stringify({ Version: "2012-10-17", Statement: [{ ...statement, ...change }] }));
        for (const change of [{ Effect: "Allow" }, { Resource: [`${ARN}/*`] }, { Condition: {} }, { Action: "s3:GetObject" }, { Principal: { AWS: "arn:aws:iam::123456789012:root" } }]) {
            await verdict([bucket(), versioning(), encryption(), publicAccess(), variant(change)], /has no policy refusing requests without TLS/);
        }
    });

    it("names every missing setting of a bare backup bucket, and judges other buckets not at all", async () => {
        const bare = [bucket()];
        await verdict(bare, /versioning is not enabled[\s\S]*no default encryption[\s\S]*public access is not blocked[\s\S]*no policy refusing requests without TLS/);
        await verdict([{ ...bucket({ tags: { Purpose: "website" } }), urn: urn("prod", AWS.s3Bucket, "site"), options: {} }]);
    });

    it("knows a backup bucket by its Purpose tag outside the component too", async () => {
        const loose = { ...bucket(), urn: urn("prod", AWS.s3Bucket, "hand-made"), options: {} };
        await verdict([loose], /backup bucket aws:s3\/bucket:Bucket "production-backup-bucket": versioning is not enabled/);
    });

    it("during preview, with the bucket's id unknown, links the settings by their bucket input and judges what is known", async () => {
        const preview = (r: StackResource) => ({ ...r, props: { ...r.props, bucket: UNKNOWN_VALUE, ...(r.type === AWS.s3Bucket ? { id: UNKNOWN_VALUE, arn: UNKNOWN_VALUE } : {}) } });
        await verdict([bucket(), versioning(), encryption(), publicAccess(), policy(UNKNOWN_VALUE)].map(preview));
        await verdict([bucket(), versioning("Suspended"), encryption(), publicAccess(), policy(UNKNOWN_VALUE)].map(preview), /versioning is not enabled/);
    });
});

describe("backup-bucket-hardened: which settings belong to which bucket, and how they are read (issue 20)", () => {
    const OTHER = "staging-backup-bucket-4d5e6f";
    const other = () => ({ ...bucket({ id: OTHER, bucket: OTHER, arn: `arn:aws:s3:::${OTHER}` }), name: "staging-backup-bucket", urn: urn("prod", AWS.s3Bucket, "staging-backup-bucket", [COMPONENT]) });
    const byName = (r: StackResource): StackResource => ({ type: r.type, name: r.name, urn: r.urn, props: r.props, options: r.options });
    const statement = JSON.parse(tlsOnlyPolicy(ARN)).Statement[0];
    const policyOf = (...statements: unknown[]) => policy(JSON.stringify({ Version: "2012-10-17", Statement: statements }));

    it("judges each bucket by its own settings: another bucket's do not count", async () => {
        await verdict([...HARDENED(), other()],
            /"staging-backup-bucket": versioning is not enabled[\s\S]*"staging-backup-bucket": has no default encryption[\s\S]*"staging-backup-bucket": public access is not blocked[\s\S]*"staging-backup-bucket": has no policy/);
    });

    it("links settings by the bucket's name once it is known, with no dependencies recorded", async () => {
        await verdict(HARDENED().map(byName));
        await verdict([...HARDENED().map(byName), other()], /"staging-backup-bucket": versioning is not enabled/);
    });

    it("during preview, links by dependencies only: an unknown name is no link", async () => {
        const unknownIds = (r: StackResource) => ({ ...r, props: { ...r.props, bucket: UNKNOWN_VALUE, ...(r.type === AWS.s3Bucket ? { id: UNKNOWN_VALUE } : {}) } });
        await verdict([...HARDENED(), { ...other(), propertyDependencies: {} }].map(unknownIds), /"staging-backup-bucket": versioning is not enabled/);
    });

    it("knows a bucket without tags by its component only", async () => {
        await verdict([{ ...bucket({ tags: undefined }), urn: urn("prod", AWS.s3Bucket, "site"), options: {} }]);
    });

    it("waits for a versioning status not known yet", async () => {
        await verdict([bucket(), { ...versioning(), props: { bucket: BUCKET, versioningConfiguration: UNKNOWN_VALUE } }, encryption(), publicAccess(), policy()]);
    });

    it("takes any one default-encryption rule with a known algorithm, and names the algorithms it knows", async () => {
        const rules2 = [null, { bucketKeyEnabled: true }, { applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms:dsse" } }];
        await verdict([bucket(), versioning(), { ...encryption(), props: { bucket: BUCKET, rules: rules2 } }, publicAccess(), policy()]);
        await verdict([bucket(), versioning(), { ...encryption(), props: { bucket: BUCKET, rules: [{ bucketKeyEnabled: true }] } }, publicAccess(), policy()],
            /sseAlgorithm AES256, aws:kms, aws:kms:dsse\)/);
    });

    it("names the four public-access flags it asks for", async () => {
        await verdict([bucket(), versioning(), encryption(), policy()], /blockPublicAcls, blockPublicPolicy, ignorePublicAcls, restrictPublicBuckets all true/);
    });

    it("accepts the TLS statement in its equivalent forms, beside other statements", async () => {
        const allowRead = { Effect: "Allow", Principal: { AWS: "arn:aws:iam::123456789012:role/backup" }, Action: "s3:GetObject", Resource: `${ARN}/*` };
        for (const change of [{ Principal: { AWS: "*" } }, { Action: "*" }, { Condition: { Bool: { "aws:SecureTransport": false } } }]) {
            await verdict([bucket(), versioning(), encryption(), publicAccess(), policyOf(allowRead, { ...statement, ...change })]);
        }
        await verdict([bucket(), versioning(), encryption(), publicAccess(), policyOf({ Effect: "Allow", Action: "s3:ListBucket", Resource: ARN }, statement)]);
    });

    it("refuses a TLS statement on the bucket alone, a policy without text, and one that is not JSON", async () => {
        await verdict([bucket(), versioning(), encryption(), publicAccess(), policyOf({ ...statement, Resource: [ARN] })], /has no policy refusing requests without TLS/);
        await verdict([bucket(), versioning(), encryption(), publicAccess(), { ...policy(), props: { bucket: BUCKET } }], /has no policy refusing requests without TLS/);
        await verdict([bucket(), versioning(), encryption(), publicAccess(), policy("{ not json")], /has no policy refusing requests without TLS/);
    });
});
