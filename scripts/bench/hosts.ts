// npm run bench:hosts [-- --hosts 1,2,4]
//
// Measures a rollout through the real engine (`pulumi up` of the `hosts` source, tests/engine/hostsStack.ts) to 1,
// 2 and 4 simulated hosts: v1 is deployed first, v2 is pulled on every host beforehand (so no pull is timed),
// then v2 is rolled out under a bounded load loop on every host. Prints wall time of the `up`, the slowest host's
// own rollout (deploy.sh's "done (Ns)" lines: prepare + switch, or deploy with one host), failed requests, the
// wall time of a following `up` that changes nothing (the engine's own share), and the CPU time the hosts and the
// engine used during the rollout next to what the machine had (scripts/bench/cpu.ts). The hosts' CPU at rest under
// the same load (nginx, the app, health checks, dockerd; measured for a few seconds before the rollout) is printed
// too: that share grows with the rollout's wall time whatever the rollout does.
import { execFileSync } from "child_process";
import * as os from "os";
import { CpuUse, containerIds, cpuBetween, readCpu } from "./cpu";
import { findEngine, startLoad } from "../../tests/engine/harness";
import { HostsStack } from "../../tests/engine/hostsStack";

/** How long the hosts' CPU is read under the load before the rollout. */
const RESTING_WINDOW_MS = 5000;

interface Row {
    hosts: number;
    upSeconds: number;
    noChangeSeconds: number;
    rolloutSeconds: number;
    cpu: CpuUse;
    /** CPU seconds per second the hosts used together under the load before the rollout. */
    restingHostsCpuPerSecond: number;
    sent: number;
    failed: number;
}

function parseCounts(argv: readonly string[]): number[] {
    const index = argv.indexOf("--hosts");
    const value = index >= 0 ? argv[index + 1] : "1,2,4";
    const counts = (value ?? "").split(",").map(Number);
    if (counts.length === 0 || counts.some((n) => !Number.isInteger(n) || n < 1 || n > 8)) throw new Error(`--hosts takes counts from 1 to 8, e.g. 1,2,4 (got "${value}")`);
    return counts;
}

/**
 * The rollout as deploy.sh timed it on the hosts ("done ... (Ns)" lines in the up's output): the slowest deploy with
 * one host; with several, the slowest prepare plus the slowest switch (the switches wait for every prepare).
 */
function slowestRollout(output: string): number {
    const slowest: Record<string, number> = {};
    for (const match of output.matchAll(/--> (deploy|prepare|switch): done, [^\n]*\((\d+)s\)/g)) {
        slowest[match[1]] = Math.max(slowest[match[1]] ?? 0, Number(match[2]));
    }
    return (slowest.deploy ?? 0) + (slowest.prepare ?? 0) + (slowest.switch ?? 0);
}

async function measure(count: number): Promise<Row> {
    const engine = findEngine();
    if (!engine) throw new Error("no Pulumi engine: run .ci/engine/build.sh first");
    const subject = await HostsStack.create(engine, { hostCount: count, prefix: `bench-hosts${count}` });
    try {
        const first = await subject.up();
        if (first.summary.result !== "succeeded") throw new Error(`the first up failed: ${first.stderr}`);
        const registry = subject.lab.registry!;
        await Promise.all(
            subject.hosts.map((host) =>
                host.ssh(`docker login ${registry.address} --username ${registry.username} --password-stdin >/dev/null && docker pull -q ${subject.images.v2} >/dev/null`, {
                    input: registry.password,
                }),
            ),
        );
        await subject.setImage(subject.images.v2);
        const ids = containerIds(subject.hosts.map((host) => host.name));
        const hosts = subject.hosts.map((host, i) => ({ id: ids[i], name: host.name }));
        const loads = subject.hosts.map((_, i) => startLoad(`${subject.url(i)}/`, 50_000, 10 * 60_000));
        await new Promise((resolve) => setTimeout(resolve, 1000));
        const restStart = readCpu(hosts);
        await new Promise((resolve) => setTimeout(resolve, RESTING_WINDOW_MS));
        const resting = cpuBetween(restStart, readCpu(hosts));
        const before = readCpu(hosts);
        const result = await subject.up();
        const cpu = cpuBetween(before, readCpu(hosts));
        await new Promise((resolve) => setTimeout(resolve, 1500));
        const reports = await Promise.all(loads.map((load) => load.stop()));
        if (result.summary.result !== "succeeded") throw new Error(`the rollout failed: ${result.stderr}`);
        const noChangeStarted = process.hrtime.bigint();
        await subject.up();
        return {
            hosts: count,
            upSeconds: cpu.wallSeconds,
            noChangeSeconds: Number(process.hrtime.bigint() - noChangeStarted) / 1e9,
            cpu,
            restingHostsCpuPerSecond: resting.hosts.reduce((sum, seconds) => sum + seconds, 0) / resting.wallSeconds,
            rolloutSeconds: slowestRollout(result.stdout),
            sent: reports.reduce((n, r) => n + r.sent, 0),
            failed: reports.reduce((n, r) => n + r.failed, 0),
        };
    } finally {
        await subject.dispose();
    }
}

function version(command: string, args: string[]): string {
    try {
        return execFileSync(command, args, { encoding: "utf8" }).trim().split("\n")[0];
    } catch {
        return "unavailable";
    }
}

async function main(): Promise<void> {
    const rows: Row[] = [];
    for (const count of parseCounts(process.argv.slice(2))) rows.push(await measure(count));
    const one = rows.find((row) => row.hosts === 1);
    console.log("");
    console.log(
        "| hosts | `pulumi up` wall time | × 1 host (up) | slowest host's rollout (deploy.sh) | `up` with no change | CPU: hosts (sum) | of which at rest under load | CPU: engine | CPU: whole machine busy / available | requests sent | failed |",
    );
    console.log("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (const row of rows) {
        const ratio = one ? (row.upSeconds / one.upSeconds).toFixed(2) : "n/a";
        const hostsCpu = row.cpu.hosts.reduce((sum, seconds) => sum + seconds, 0);
        console.log(
            `| ${row.hosts} | ${row.upSeconds.toFixed(1)} s | ${ratio} | ${row.rolloutSeconds} s | ${row.noChangeSeconds.toFixed(1)} s | ` +
                `${hostsCpu.toFixed(1)} s (${row.cpu.hosts.map((seconds) => seconds.toFixed(1)).join(" + ")}) | ` +
                `${(row.restingHostsCpuPerSecond * row.upSeconds).toFixed(1)} s (${row.restingHostsCpuPerSecond.toFixed(2)} CPU s/s) | ${row.cpu.engine.toFixed(1)} s | ` +
                `${row.cpu.machineBusy.toFixed(1)} s / ${row.cpu.machineAvailable.toFixed(1)} s | ${row.sent} | ${row.failed} |`,
        );
    }
    console.log("");
    for (const row of rows) {
        const needed = row.cpu.hosts.reduce((sum, seconds) => sum + seconds, 0) + row.cpu.engine;
        const cores = os.cpus().length;
        const goal = one ? ` (goal for ${row.hosts} hosts: ${(1.3 * one.upSeconds).toFixed(1)} s)` : "";
        console.log(`${row.hosts} host(s): the hosts and the engine used ${needed.toFixed(1)} CPU s; on ${cores} idle cores that alone takes ≥ ${(needed / cores).toFixed(1)} s${goal}`);
    }
    console.log(`load average at the end: ${os.loadavg().map((value) => value.toFixed(1)).join(" ")}`);
    console.log(`engine: ${version(findEngine()?.pulumi ?? "pulumi", ["version"])}; hosts: sim-host (Compose v2 2.26, dockerd 26.1); load: one sequential client per host`);
}

main().catch((error: unknown) => {
    console.error(`ERROR: ${(error as Error).message}`);
    process.exit(1);
});
