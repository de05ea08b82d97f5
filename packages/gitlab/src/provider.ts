import * as pulumi from "@pulumi/pulumi";
import { ResourceSchema, resourceOpts, resourceProps, schemaOf } from "./utilities";

/** Configuration of an explicit `gitlab` provider. Every field is optional: the provider also reads `GITLAB_*`. */
export interface ProviderArgs {
    /** GitLab API root, e.g. `https://gitlab.example.com/api/v4/` (default: gitlab.com). Env `GITLAB_BASE_URL`. */
    baseUrl?: pulumi.Input<string>;
    /** Path to a CA bundle for a self-hosted instance with a private CA. */
    cacertFile?: pulumi.Input<string>;
    /** Path to a client certificate for mutual TLS. */
    clientCert?: pulumi.Input<string>;
    /** Path to the client certificate's key for mutual TLS. */
    clientKey?: pulumi.Input<string>;
    /** Path to a GitLab CLI-style config file. Env `GITLAB_CONFIG_FILE`. */
    configFile?: pulumi.Input<string>;
    /** Context name inside `configFile`. Env `GITLAB_CONTEXT`. */
    context?: pulumi.Input<string>;
    /** Check the token when the provider starts rather than at the first API call. */
    earlyAuthCheck?: pulumi.Input<boolean>;
    /** Let the provider pick up CI job variables (`CI_JOB_TOKEN`, `CI_SERVER_URL`) automatically. */
    enableAutoCiSupport?: pulumi.Input<boolean>;
    /** Extra HTTP headers sent with every API call. */
    headers?: pulumi.Input<{ [key: string]: pulumi.Input<string> }>;
    /** Skip TLS verification. Only for throwaway test instances. */
    insecure?: pulumi.Input<boolean>;
    /** Retries of failed API calls. */
    retries?: pulumi.Input<number>;
    /** API token (personal, group or project access token with `api` scope). Secret. Env `GITLAB_TOKEN`. */
    token?: pulumi.Input<string>;
}

/** Config keys whose values are not strings: the provider expects them JSON-encoded, as `@pulumi/gitlab` sends them. */
const jsonEncodedConfig: readonly (keyof ProviderArgs)[] = ["earlyAuthCheck", "enableAutoCiSupport", "headers", "insecure", "retries"];

/**
 * An explicit instance of the official `gitlab` resource provider (type `pulumi:providers:gitlab`).
 */
export class Provider extends pulumi.ProviderResource {
    /** Package name; the engine types this resource `pulumi:providers:gitlab`. */
    public static readonly __pulumiType = "gitlab";

    /** Inputs, outputs and secrets this binding declares for the provider. */
    public static readonly schema: ResourceSchema = schemaOf<ProviderArgs, "baseUrl" | "cacertFile" | "clientCert" | "clientKey" | "configFile" | "context" | "token">({
        inputs: {
            baseUrl: true, cacertFile: true, clientCert: true, clientKey: true, configFile: true, context: true,
            earlyAuthCheck: true, enableAutoCiSupport: true, headers: true, insecure: true, retries: true, token: true,
        },
        required: [],
        outputs: { baseUrl: true, cacertFile: true, clientCert: true, clientKey: true, configFile: true, context: true, token: true },
        secretInputs: ["token"],
        secretOutputs: ["token"],
    });

    /** Whether `obj` is an instance of this provider, also across copies of this package. */
    public static isInstance(obj: unknown): obj is Provider {
        return pulumi.ProviderResource.isInstance(obj) && (obj as unknown as { __pulumiType?: string }).__pulumiType === "pulumi:providers:gitlab";
    }

    declare public readonly baseUrl: pulumi.Output<string | undefined>;
    declare public readonly cacertFile: pulumi.Output<string | undefined>;
    declare public readonly clientCert: pulumi.Output<string | undefined>;
    declare public readonly clientKey: pulumi.Output<string | undefined>;
    declare public readonly configFile: pulumi.Output<string | undefined>;
    declare public readonly context: pulumi.Output<string | undefined>;
    declare public readonly token: pulumi.Output<string | undefined>;

    constructor(name: string, args?: ProviderArgs, opts?: pulumi.ResourceOptions) {
        const props = resourceProps("pulumi:providers:gitlab", Provider.schema, args, undefined);
        for (const key of jsonEncodedConfig) {
            if (props[key] !== undefined) {
                props[key] = pulumi.output(props[key]).apply((value) => JSON.stringify(value));
            }
        }
        super(Provider.__pulumiType, name, props, resourceOpts(Provider.schema, opts));
    }
}
