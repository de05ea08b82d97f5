// CPU accounting for `npm run bench:hosts`: the CPU time the simulated hosts and the engine used during a rollout,
// and how busy the whole machine was, so that a slow rollout on a machine with no CPU to spare is told apart from
// time lost in the rollout itself.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";

/** Linux's USER_HZ: /proc reports CPU times in these ticks. */
const TICKS_PER_SECOND = 100;

export interface CpuReading {
    /** Per simulated host, CPU seconds so far (its container: sshd, dockerd, deploy.sh; plus the stack it runs). */
    readonly hosts: number[];
    /** CPU seconds of this process's finished children: the `pulumi` CLI with its language host, program and plugins. */
    readonly engine: number;
    /** CPU seconds the whole machine spent busy (every process, other people's too). */
    readonly machineBusy: number;
    readonly at: bigint;
}

export interface CpuUse {
    readonly wallSeconds: number;
    readonly hosts: number[];
    readonly engine: number;
    readonly machineBusy: number;
    /** CPU seconds the machine had in that wall time (cores × wall). */
    readonly machineAvailable: number;
}

function readNumber(file: string): number | undefined {
    try {
        return Number(fs.readFileSync(file, "utf8").trim());
    } catch {
        return undefined;
    }
}

/** cgroup v1 (cpuacct.usage, ns) or v2 (cpu.stat usage_usec) CPU seconds of a cgroup path; NaN when neither exists. */
function cgroupSeconds(relative: string): number {
    const v1 = readNumber(`/sys/fs/cgroup/cpuacct/${relative}/cpuacct.usage`);
    if (v1 !== undefined) return v1 / 1e9;
    try {
        const stat = fs.readFileSync(`/sys/fs/cgroup/${relative}/cpu.stat`, "utf8");
        return Number(/^usage_usec (\d+)$/m.exec(stat)?.[1]) / 1e6;
    } catch {
        return NaN;
    }
}

/**
 * A simulated host's CPU seconds: its own container's cgroup plus `/sim-host-<name>`, the cgroup parent its inner
 * dockerd gives the containers it runs (scripts/stand-in-images.sh); a parent keeps the time of removed children.
 */
function hostSeconds(containerId: string, name: string): number {
    return cgroupSeconds(`docker/${containerId}`) + cgroupSeconds(`sim-host-${name}`);
}

function childrenSeconds(): number {
    // /proc/self/stat: the fields after "(comm)"; cutime and cstime are the 16th and 17th fields overall.
    const fields = fs.readFileSync("/proc/self/stat", "utf8").split(") ")[1].split(" ");
    return (Number(fields[13]) + Number(fields[14])) / TICKS_PER_SECOND;
}

function machineBusySeconds(): number {
    const [, ...values] = fs.readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/);
    // user nice system idle iowait irq softirq steal: busy is all but idle and iowait.
    const [user, nice, system, , , irq, softirq, steal] = values.map(Number);
    return (user + nice + system + irq + softirq + steal) / TICKS_PER_SECOND;
}

/** Container ids of the simulated hosts, by name (once per run). */
export function containerIds(names: readonly string[]): string[] {
    return names.map((name) => execFileSync("docker", ["inspect", "--format", "{{.Id}}", name], { encoding: "utf8" }).trim());
}

export function readCpu(hosts: readonly { id: string; name: string }[]): CpuReading {
    return {
        hosts: hosts.map((host) => hostSeconds(host.id, host.name)),
        engine: childrenSeconds(),
        machineBusy: machineBusySeconds(),
        at: process.hrtime.bigint(),
    };
}

export function cpuBetween(before: CpuReading, after: CpuReading): CpuUse {
    const wallSeconds = Number(after.at - before.at) / 1e9;
    return {
        wallSeconds,
        hosts: after.hosts.map((seconds, i) => seconds - before.hosts[i]),
        engine: after.engine - before.engine,
        machineBusy: after.machineBusy - before.machineBusy,
        machineAvailable: os.cpus().length * wallSeconds,
    };
}
