import * as gitlab from "@cicd/pulumi-gitlab";
import * as pulumi from "@pulumi/pulumi";
import { CiVariableSpec } from "./variables";

/**
 * Creates the project variable `spec` describes, as a child of `parent`, named `<componentName>-<key-in-kebab-case>`.
 * Values of secret specs are sent as secrets and declared in `additionalSecretOutputs`: the provider's schema leaves
 * `value` plain, which would put them unencrypted into state and into preview diffs.
 */
export function createCiVariable(
    parent: pulumi.Resource,
    componentName: string,
    project: pulumi.Input<string>,
    spec: CiVariableSpec,
    value: pulumi.Input<string>,
    environmentScope: string,
): gitlab.ProjectVariable {
    return new gitlab.ProjectVariable(`${componentName}-${spec.key.toLowerCase().replace(/_/g, "-")}`, {
        project,
        key: spec.key,
        value: spec.secret ? pulumi.secret(value) : value,
        environmentScope,
        variableType: spec.variableType,
        masked: spec.masked,
        protected: spec.protected,
        // Values are used as they are: a `$` in a generated secret must not be expanded by GitLab.
        raw: true,
        description: spec.description,
    }, { parent, additionalSecretOutputs: spec.secret ? ["value"] : [] });
}

