// docs/program.md's table of stack outputs against the outputs the program really exports, stack by stack: each
// stack runs under mocks in its default config and in the variants that add or swap outputs. Names in parentheses
// are details (sub-keys, conditions), not outputs.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { FAKE_SECRETS, StackName, captureStack } from "../program/stacks";

const DOC = path.resolve(__dirname, "..", "..", "docs", "program.md");

/** The outputs the table lists for `stack` (its row's first cell). */
function documentedOutputs(stack: StackName): string[] {
    const row = fs.readFileSync(DOC, "utf8").split("\n").find((line) => line.startsWith(`| ${stack} | \``));
    assert.ok(row, `docs/program.md has no outputs row for ${stack}`);
    let cell = row.split("|")[2];
    // Drop parenthesized details, innermost first.
    while (/\([^()]*\)/.test(cell)) cell = cell.replace(/\([^()]*\)/g, "");
    return [...cell.matchAll(/`([A-Za-z]+)`/g)].map((m) => m[1]).sort();
}

/** Config changes under which a stack exports outputs its default config does not. */
const VARIANTS: Readonly<Record<StackName, readonly Record<string, string | undefined>[]>> = {
    local: [{}, { httpsPort: "8443" }, { gitlabToken: FAKE_SECRETS.gitlabToken }],
    staging: [{}],
    prod: [{}, { bootstrap: "true" }, { gitlabTier: "free", productionApprovals: undefined }],
};

describe("docs/program.md's outputs table matches the program's outputs", () => {
    for (const stack of Object.keys(VARIANTS) as StackName[]) {
        it(`${stack}: every output is documented, and every documented output is exported`, async function () {
            this.timeout(60_000);
            const exported = new Set<string>();
            for (const config of VARIANTS[stack]) {
                const captured = await captureStack(stack, { config });
                assert.equal(captured.error, undefined, `${stack} ${JSON.stringify(config)}: ${captured.error?.message}`);
                for (const name of Object.keys(captured.outputs ?? {})) exported.add(name);
            }
            assert.deepEqual(documentedOutputs(stack), [...exported].sort());
        });
    }
});
