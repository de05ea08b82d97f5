import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { rejectProblems } from "../checks";
import { createCiVariable } from "./ciVariable";
import { CiVariableSpec, DEPLOY_SSH_KEY, POSTGRES_PASSWORD, checkEnvironmentName, sshPrivateKeyProblem } from "./variables";

/** Arguments of {@link EnvironmentVariables}. */
export interface EnvironmentVariablesArgs {
    /** Project id or `group/project` path (the prod stack's `Project.projectId`, or read from it by a stack reference). */
    readonly project: pulumi.Input<string>;
    /** Environment the variables are scoped to: `staging` or `production`. */
    readonly environment: string;
    /**
     * SSH private key (PEM/OpenSSH) for this environment's host. When set, it is provisioned as the file-type variable
     * `DEPLOY_SSH_KEY`, base64-encoded so that GitLab can mask it. Secret.
     */
    readonly sshPrivateKey?: pulumi.Input<string>;
    /** Length of the generated PostgreSQL password (default 32, at least 16). */
    readonly postgresPasswordLength?: number;
}

/** Checks the plain (non-Output) arguments; returns every problem, each naming its key and what is allowed. */
export function environmentVariablesArgsProblems(args: EnvironmentVariablesArgs): string[] {
    const problems: string[] = [];
    try {
        checkEnvironmentName("environment", args.environment);
    } catch (err) {
        problems.push((err as Error).message);
    }
    const length = args.postgresPasswordLength;
    if (length !== undefined && (!Number.isInteger(length) || length < 16 || length > 128)) {
        problems.push(`[postgresPasswordLength] must be an integer from 16 to 128 (got ${length})`);
    }
    return problems;
}

/** Characters the generated password may use besides letters and digits: URL-safe, shell-safe and maskable. */
const PASSWORD_SPECIALS = "-_.~";

/**
 * The CI/CD variables of one environment (scope `staging` or `production`). A stack owns exactly its own
 * environment's variables, so `pulumi destroy --stack staging` removes staging's and nothing of the project.
 */
export class EnvironmentVariables extends pulumi.ComponentResource {
    /** Generated PostgreSQL password of this environment, for the host's `.env`. Secret. */
    public readonly postgresPassword: pulumi.Output<string>;
    /** Keys of the variables created, e.g. for a stack output. */
    public readonly keys: string[];

    constructor(name: string, args: EnvironmentVariablesArgs, opts?: pulumi.ComponentResourceOptions) {
        // Validated inside the super call, so that bad arguments register nothing, not even the component.
        super("cicd:gitlab:EnvironmentVariables", name,
            rejectProblems(`cicd:gitlab:EnvironmentVariables "${name}"`, environmentVariablesArgsProblems(args)), opts);

        const environment = args.environment;
        const passwordLength = args.postgresPasswordLength ?? 32;

        const password = new random.RandomPassword(`${name}-postgres-password`, {
            length: passwordLength,
            special: true,
            overrideSpecial: PASSWORD_SPECIALS,
            minLower: 2,
            minUpper: 2,
            minNumeric: 2,
        }, { parent: this });
        this.postgresPassword = pulumi.secret(password.result);

        const values: [CiVariableSpec, pulumi.Input<string>][] = [[POSTGRES_PASSWORD, password.result]];
        if (args.sshPrivateKey !== undefined) {
            const encoded = pulumi.output(args.sshPrivateKey).apply((key) => {
                const problem = sshPrivateKeyProblem(key);
                if (problem) throw new Error(`cicd:gitlab:EnvironmentVariables [sshPrivateKey] ${problem}`);
                return Buffer.from(key.trim() + "\n", "utf8").toString("base64");
            });
            values.push([DEPLOY_SSH_KEY, encoded]);
        }
        for (const [spec, value] of values) {
            createCiVariable(this, name, args.project, spec, value, environment);
        }
        this.keys = values.map(([spec]) => spec.key);

        this.registerOutputs({ postgresPassword: this.postgresPassword, keys: this.keys });
    }
}
