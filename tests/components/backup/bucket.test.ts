import { strict as assert } from "assert";
import { BackupBucket, DEFAULT_BACKUP_RETENTION_DAYS, backupBucketProblem } from "../../../components/backup";
import { MockRecorder, installMocks, valueOf } from "../../support/mocks";

const ARN = "arn:aws:s3:::backups-1a2b3c";

async function build(retentionDays?: number): Promise<{ recorder: MockRecorder; bucket: BackupBucket }> {
    const recorder = await installMocks({ stack: "test", state: { "aws:s3/bucket:Bucket": { arn: ARN } } });
    const bucket = new BackupBucket("backups", { retentionDays, tags: { Project: "p" } });
    await recorder.settle();
    return { recorder, bucket };
}

describe("backup: BackupBucket", () => {
    it("is versioned, encrypted by default, owner-enforced and protected from deletion", async () => {
        const { recorder, bucket } = await build();
        const s3 = recorder.find("aws:s3/bucket:Bucket", "backups-bucket");
        assert.equal(s3.protect, true);
        assert.equal(s3.inputs.forceDestroy, false);
        assert.equal(recorder.find("aws:s3/bucketVersioning:BucketVersioning", "backups-versioning").inputs.versioningConfiguration.status, "Enabled");
        const sse = recorder.find("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "backups-encryption");
        assert.equal(sse.inputs.rules[0].applyServerSideEncryptionByDefault.sseAlgorithm, "AES256");
        assert.equal(recorder.find("aws:s3/bucketOwnershipControls:BucketOwnershipControls", "backups-ownership").inputs.rule.objectOwnership, "BucketOwnerEnforced");
        assert.equal(await valueOf(bucket.bucketArn), ARN);
        for (const resource of recorder.resources.filter((r) => r.custom)) {
            assert.equal(resource.parent, recorder.find("cicd:backup:BackupBucket", "backups").urn, `${resource.name} is parented`);
        }
    });

    it("blocks every kind of public access", async () => {
        const { recorder } = await build();
        const block = recorder.find("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "backups-public-access").inputs;
        assert.deepEqual([block.blockPublicAcls, block.blockPublicPolicy, block.ignorePublicAcls, block.restrictPublicBuckets], [true, true, true, true]);
    });

    it("refuses every request without TLS, to the bucket and its objects", async () => {
        const { recorder } = await build();
        const policy = JSON.parse(recorder.find("aws:s3/bucketPolicy:BucketPolicy", "backups-tls-only").inputs.policy);
        assert.deepEqual(policy.Statement, [{
            Sid: "DenyRequestsWithoutTls",
            Effect: "Deny",
            Principal: "*",
            Action: "s3:*",
            Resource: [ARN, `${ARN}/*`],
            Condition: { Bool: { "aws:SecureTransport": "false" } },
        }]);
    });

    it("expires what pgBackRest deleted after the retention, never a current backup", async () => {
        for (const [days, expected] of [[undefined, DEFAULT_BACKUP_RETENTION_DAYS], [30, 30]] as const) {
            const { recorder } = await build(days);
            const [rule] = recorder.find("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "backups-lifecycle").inputs.rules;
            assert.equal(rule.status, "Enabled");
            assert.equal(rule.noncurrentVersionExpiration.noncurrentDays, expected);
            assert.equal(rule.expiration.days, undefined, "current objects carry no expiry");
            assert.equal(rule.expiration.expiredObjectDeleteMarker, true);
        }
    });

    it("refuses a retention that is not 1 to 3650 whole days with one message, and registers nothing", async () => {
        for (const bad of [0, -1, 2.5, 3651, Number.NaN]) {
            assert.match(backupBucketProblem({ retentionDays: bad }) ?? "", /^\[backup\.retentionDays\] .* is not a whole number of days from 1 to 3650$/);
        }
        const recorder = await installMocks({ stack: "test" });
        assert.throws(() => new BackupBucket("backups", { retentionDays: 0 }), /backup\.retentionDays/);
        await recorder.settle();
        assert.equal(recorder.resources.length, 0);
    });
});
