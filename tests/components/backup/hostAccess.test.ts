import { strict as assert } from "assert";
import { BackupHostAccess, backupPrefixProblem } from "../../../components/backup";
import { installMocks } from "../../support/mocks";

const ARN = "arn:aws:s3:::backups-1a2b3c";

describe("backup: BackupHostAccess", () => {
    it("lets the host list, read, write and delete only under its own prefix", async () => {
        const recorder = await installMocks({ stack: "test" });
        new BackupHostAccess("web-backup", { bucketName: "backups-1a2b3c", bucketArn: ARN, prefix: "prod/web" });
        await recorder.settle();
        const policy = JSON.parse(recorder.find("aws:iam/rolePolicy:RolePolicy", "web-backup-backup").inputs.policy);
        assert.deepEqual(policy.Statement, [
            { Sid: "ListOwnPrefix", Effect: "Allow", Action: "s3:ListBucket", Resource: ARN, Condition: { StringLike: { "s3:prefix": ["prod/web", "prod/web/*"] } } },
            { Sid: "ReadWriteOwnPrefix", Effect: "Allow", Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], Resource: `${ARN}/prod/web/*` },
        ]);
    });

    it("is an instance role EC2 alone assumes, with no access key anywhere", async () => {
        const recorder = await installMocks({ stack: "test" });
        new BackupHostAccess("web-backup", { bucketName: "b", bucketArn: ARN, prefix: "prod/web" });
        await recorder.settle();
        const trust = JSON.parse(recorder.find("aws:iam/role:Role", "web-backup-role").inputs.assumeRolePolicy);
        assert.deepEqual(trust.Statement, [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }]);
        assert.ok(recorder.find("aws:iam/instanceProfile:InstanceProfile", "web-backup-profile"));
        assert.deepEqual(recorder.resources.filter((r) => r.type === "aws:iam/accessKey:AccessKey"), []);
    });

    it("refuses a prefix that could reach another host's folder, with one message, and registers nothing", async () => {
        for (const bad of ["", "/prod/web", "prod/../staging", "prod/*", "Prod/web", "prod//web", "prod/web/"]) {
            assert.match(backupPrefixProblem(bad) ?? "", /^\[backup\.prefix\] ".*" must be lower-case words/, bad);
        }
        assert.equal(backupPrefixProblem("prod/web-1"), undefined);
        const recorder = await installMocks({ stack: "test" });
        assert.throws(() => new BackupHostAccess("x", { bucketName: "b", bucketArn: ARN, prefix: "prod/*" }), /backup\.prefix/);
        await recorder.settle();
        assert.equal(recorder.resources.length, 0);
    });
});
