// A throwaway copy of app/ as a build context, so tests can plant files or edit sources without touching
// the working tree. node_modules and dist are left out (the .dockerignore drops them anyway).
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { APP_DIR } from "../support/docker";

export function copyAppContext(prefix: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `cicd-${prefix}-`));
    fs.cpSync(APP_DIR, dir, {
        recursive: true,
        filter: (source) => !["node_modules", "dist"].includes(path.basename(source)) || path.dirname(source) !== APP_DIR,
    });
    return dir;
}

export function removeAppContext(dir: string | undefined): void {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
}

/** One step of BuildKit's `--progress=plain` log: `#12 [prod-deps 4/4] RUN npm ci ...`. */
export interface BuildStep {
    readonly stage: string;
    readonly instruction: string;
    readonly cached: boolean;
}

export function parseBuildSteps(log: string): BuildStep[] {
    const headers = new Map<string, { stage: string; instruction: string }>();
    const cached = new Set<string>();
    for (const line of log.split("\n")) {
        const header = /^#(\d+) \[([\w.-]+) \d+\/\d+\] (.*)$/.exec(line);
        if (header) headers.set(header[1], { stage: header[2], instruction: header[3] });
        const hit = /^#(\d+) CACHED$/.exec(line);
        if (hit) cached.add(hit[1]);
    }
    return [...headers].map(([id, step]) => ({ ...step, cached: cached.has(id) }));
}
