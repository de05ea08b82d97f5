import * as pulumi from "@pulumi/pulumi";
import { ResourceSchema } from "./utilities";
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
    headers?: pulumi.Input<{
        [key: string]: pulumi.Input<string>;
    }>;
    /** Skip TLS verification. Only for throwaway test instances. */
    insecure?: pulumi.Input<boolean>;
    /** Retries of failed API calls. */
    retries?: pulumi.Input<number>;
    /** API token (personal, group or project access token with `api` scope). Secret. Env `GITLAB_TOKEN`. */
    token?: pulumi.Input<string>;
}
/**
 * An explicit instance of the official `gitlab` resource provider (type `pulumi:providers:gitlab`).
 */
export declare class Provider extends pulumi.ProviderResource {
    /** Package name; the engine types this resource `pulumi:providers:gitlab`. */
    static readonly __pulumiType = "gitlab";
    /** Inputs, outputs and secrets this binding declares for the provider. */
    static readonly schema: ResourceSchema;
    /** Whether `obj` is an instance of this provider, also across copies of this package. */
    static isInstance(obj: unknown): obj is Provider;
    readonly baseUrl: pulumi.Output<string | undefined>;
    readonly cacertFile: pulumi.Output<string | undefined>;
    readonly clientCert: pulumi.Output<string | undefined>;
    readonly clientKey: pulumi.Output<string | undefined>;
    readonly configFile: pulumi.Output<string | undefined>;
    readonly context: pulumi.Output<string | undefined>;
    readonly token: pulumi.Output<string | undefined>;
    constructor(name: string, args?: ProviderArgs, opts?: pulumi.ResourceOptions);
}
