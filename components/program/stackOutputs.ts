// The outputs one stack reads from another, named once. The exporting stack builds them as the contract's type, so
// a missing or renamed output does not compile; the reading stack asks through a StackContract, which takes only
// the contract's names.
import * as pulumi from "@pulumi/pulumi";

/** What the project stack (prod, which owns the GitLab project and the runners) exports for staging. */
export const PROJECT_STACK_OUTPUTS = ["projectId", "registryRepository", "deployTokenUsername", "deployTokenPassword", "runnerSecurityGroupId"] as const;

/** What staging exports for prod, which promotes the image staging built and tested. */
export const STAGING_STACK_OUTPUTS = ["imageRef", "imageTag"] as const;

type Contract<Names extends readonly string[]> = { readonly [Name in Names[number]]: pulumi.Input<string> };
export type ProjectStackOutputs = Contract<typeof PROJECT_STACK_OUTPUTS>;
export type StagingStackOutputs = Contract<typeof STAGING_STACK_OUTPUTS>;

/** A StackReference to another stack of this project that reads only the names of its contract, as strings. */
export class StackContract<Outputs extends Contract<readonly string[]>> {
    private readonly reference: pulumi.StackReference;

    /** `stackName` is the full name (organization/project/stack), as config's `projectStack` and `stagingStack` hold it. */
    constructor(resourceName: string, readonly stackName: string) {
        this.reference = new pulumi.StackReference(resourceName, { name: stackName });
    }

    /** The output, or an error naming it and the stack when that stack does not export it. */
    require(name: keyof Outputs & string): pulumi.Output<string> {
        return this.reference.requireOutput(name).apply(String);
    }

    /** The output, or undefined when the stack does not export it (destroyed, or never deployed). */
    get(name: keyof Outputs & string): pulumi.Output<string | undefined> {
        return this.reference.getOutput(name).apply((value) => (value === undefined || value === null ? undefined : String(value)));
    }
}
