// npm run bench:program [-- --runs N]
// Time to evaluate each stack's program under mocks (no network, no engine): module load, the first
// (cold) evaluation, and the mean of N warm evaluations, with the resources registered. Goal: prod < 2 s.
import { performance } from "perf_hooks";
import * as os from "os";

type Capture = typeof import("../../tests/program/stacks");

function parseRuns(argv: string[]): number {
    const i = argv.indexOf("--runs");
    const runs = i >= 0 ? Number(argv[i + 1]) : 10;
    if (!Number.isInteger(runs) || runs < 1 || runs > 1000) {
        console.error("Usage: npm run bench:program [-- --runs N]   (N from 1 to 1000, default 10)");
        process.exit(2);
    }
    return runs;
}

const ms = (n: number) => `${n.toFixed(0)} ms`;

async function main(): Promise<void> {
    const runs = parseRuns(process.argv.slice(2));
    const loadStart = performance.now();
    const { captureStack } = require("../../tests/program/stacks") as Capture;
    const loadMs = performance.now() - loadStart;

    const rows: string[][] = [];
    for (const stack of ["prod", "staging", "local"] as const) {
        const coldStart = performance.now();
        const cold = await captureStack(stack);
        const coldMs = performance.now() - coldStart;
        if (cold.error || cold.asyncErrors.length > 0) {
            console.error(`ERROR: the ${stack} program failed under mocks: ${cold.error?.message ?? cold.asyncErrors[0].message}`);
            process.exit(1);
        }
        let warmTotal = 0;
        for (let i = 0; i < runs; i++) {
            const start = performance.now();
            await captureStack(stack);
            warmTotal += performance.now() - start;
        }
        const custom = cold.resources.filter((r) => r.custom).length;
        rows.push([stack, ms(coldMs), ms(warmTotal / runs), String(cold.resources.length), String(custom)]);
    }

    const header = ["stack", "cold evaluation", `warm mean (${runs} runs)`, "resources registered", "of which provider resources"];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
    console.log(`Program evaluation under mocks (${os.cpus().length} cores, Node ${process.version}); modules loaded in ${ms(loadMs)}`);
    console.log(line(header));
    console.log(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
    rows.forEach((r) => console.log(line(r)));
    const prodCold = Number(rows[0][1].split(" ")[0]) + loadMs;
    console.log(`prod, module load + cold evaluation: ${ms(prodCold)} (goal < 2000 ms: ${prodCold < 2000 ? "met" : "NOT met"})`);
}

main().catch((err) => {
    console.error(`ERROR: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
});
