import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { LocalWorkspace, PulumiCommand, Stack } from "@pulumi/pulumi/automation";
import { Engine, REPO_ROOT, run } from "./harness";

// A throwaway stack for the command provider's contract tests: a plain JavaScript program in a temp folder, a file
// backend and a Pulumi home of its own, and our command provider installed there when the engine was built here.

export interface ContractStack {
    readonly stack: Stack;
    /** The temp folder holding the program, the backend and the Pulumi home; free for the test's own files. */
    readonly scratch: string;
    readonly programDir: string;
    /** The environment the stack's commands run with (for `pulumi stack export` and the like). */
    readonly envVars: Record<string, string>;
    /** Destroys the stack (errors ignored) and removes the temp folder. */
    dispose(): Promise<void>;
}

export async function createContractStack(found: Engine, project: string, program: string): Promise<ContractStack> {
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), `cicd-${project}-`));
    const programDir = path.join(scratch, "program");
    const pulumiHome = path.join(scratch, "pulumi-home");
    const backend = path.join(scratch, "backend");
    fs.mkdirSync(programDir);
    fs.mkdirSync(backend);
    fs.writeFileSync(path.join(programDir, "Pulumi.yaml"), `name: ${project}\nruntime:\n  name: nodejs\n  options:\n    typescript: false\n`);
    fs.writeFileSync(path.join(programDir, "package.json"), JSON.stringify({ name: project, main: "index.js" }));
    fs.writeFileSync(path.join(programDir, "index.js"), program);
    fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(programDir, "node_modules"));
    const envVars: Record<string, string> = {
        PULUMI_HOME: pulumiHome,
        PULUMI_BACKEND_URL: `file://${backend}`,
        PULUMI_CONFIG_PASSPHRASE: `${project}-test`,
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PATH: `${found.binDir}${path.delimiter}${process.env.PATH ?? ""}`,
    };
    if (found.commandPlugin) {
        envVars.PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION = "true";
        run(found.pulumi, ["plugin", "install", "resource", "command", "1.2.1", "--file", found.commandPlugin], { env: { ...process.env, ...envVars } });
    }
    const pulumiCommand = await PulumiCommand.get({ root: path.dirname(found.binDir) });
    const stack = await LocalWorkspace.createOrSelectStack({ stackName: "contract", workDir: programDir }, { envVars, pulumiCommand, pulumiHome });
    return {
        stack,
        scratch,
        programDir,
        envVars,
        dispose: async () => {
            try {
                await stack.destroy({ color: "never" }).catch(() => undefined);
            } finally {
                fs.rmSync(scratch, { recursive: true, force: true });
            }
        },
    };
}
