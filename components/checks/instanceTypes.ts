// The one owner of EC2 instance-type rules: config validation, the runner and the host components import these.

/** Whether a string has the shape of an EC2 instance type (`family.size`, e.g. t3.small, c7gn.xlarge, u-6tb1.metal). */
export function isInstanceType(instanceType: string): boolean {
    return /^[a-z][a-z0-9-]*\.[a-z0-9]+$/.test(instanceType);
}

/**
 * Whether an instance type is a Graviton (arm64) type: the family ends in `g` plus optional letters (t4g, c7gn, m8gd).
 * Those need arm64 images and an arm64 AMI.
 */
export function isArmInstanceType(instanceType: string): boolean {
    return /^[a-z]+\d+g[a-z]*\./.test(instanceType);
}
