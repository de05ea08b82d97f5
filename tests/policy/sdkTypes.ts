// The type tokens the engine hands the pack, written out as the providers register them (issue 20): policy
// fixtures use these, never the rules' own constants, so a constant that drifts leaves a failing test instead
// of a rule that silently judges nothing. sdkTypes.test.ts checks the AWS ones against @pulumi/aws itself.

export const AWS = {
    instance: "aws:ec2/instance:Instance",
    launchTemplate: "aws:ec2/launchTemplate:LaunchTemplate",
    volume: "aws:ebs/volume:Volume",
    securityGroup: "aws:ec2/securityGroup:SecurityGroup",
    securityGroupRule: "aws:ec2/securityGroupRule:SecurityGroupRule",
    securityGroupIngressRule: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    iamRole: "aws:iam/role:Role",
    s3Bucket: "aws:s3/bucket:Bucket",
    s3BucketVersioning: "aws:s3/bucketVersioning:BucketVersioning",
    s3BucketEncryption: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    s3BucketPublicAccessBlock: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    s3BucketPolicy: "aws:s3/bucketPolicy:BucketPolicy",
    cognitoUserPoolClient: "aws:cognito/userPoolClient:UserPoolClient",
} as const;

/** Module and class of each AWS token in @pulumi/aws. */
export const AWS_CLASSES: Readonly<Record<keyof typeof AWS, readonly [string, string]>> = {
    instance: ["ec2/instance", "Instance"],
    launchTemplate: ["ec2/launchTemplate", "LaunchTemplate"],
    volume: ["ebs/volume", "Volume"],
    securityGroup: ["ec2/securityGroup", "SecurityGroup"],
    securityGroupRule: ["ec2/securityGroupRule", "SecurityGroupRule"],
    securityGroupIngressRule: ["vpc/securityGroupIngressRule", "SecurityGroupIngressRule"],
    iamRole: ["iam/role", "Role"],
    s3Bucket: ["s3/bucket", "Bucket"],
    s3BucketVersioning: ["s3/bucketVersioning", "BucketVersioning"],
    s3BucketEncryption: ["s3/bucketServerSideEncryptionConfiguration", "BucketServerSideEncryptionConfiguration"],
    s3BucketPublicAccessBlock: ["s3/bucketPublicAccessBlock", "BucketPublicAccessBlock"],
    s3BucketPolicy: ["s3/bucketPolicy", "BucketPolicy"],
    cognitoUserPoolClient: ["cognito/userPoolClient", "UserPoolClient"],
};

/** Tokens of the official GitLab provider (tests/fixtures/gitlab-provider-v10-facts.json lists its resources). */
export const GITLAB = {
    projectVariable: "gitlab:index/projectVariable:ProjectVariable",
    projectProtectedEnvironment: "gitlab:index/projectProtectedEnvironment:ProjectProtectedEnvironment",
    groupVariable: "gitlab:index/groupVariable:GroupVariable",
    groupProtectedEnvironment: "gitlab:index/groupProtectedEnvironment:GroupProtectedEnvironment",
    userRunner: "gitlab:index/userRunner:UserRunner",
    tagProtection: "gitlab:index/tagProtection:TagProtection",
} as const;

/** Tokens of @pulumi/docker-build (sdkTypes.test.ts checks them against the package). */
export const DOCKER_BUILD = {
    index: "docker-build:index:Index",
} as const;
