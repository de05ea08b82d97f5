// Reads what `pulumi preview --json` prints (the CLI's PreviewDigest document) and the
// text of `pulumi preview --diff --policy-pack ...`, and reduces both to a per-stack summary
// that carries names, types and operations only: no property value ever leaves this module.

/** One resource step of a PreviewDigest (`steps[]`). */
export interface PreviewStep {
    readonly op: string;
    readonly urn: string;
    readonly provider?: string;
    readonly diffReasons?: readonly string[];
    readonly replaceReasons?: readonly string[];
    readonly detailedDiff?: Readonly<Record<string, { kind: string; inputDiff: boolean }>> | null;
    // oldState/newState exist in the document but are deliberately not typed: we never read them.
}

/** One entry of `diagnostics[]`. */
export interface PreviewDiagnostic {
    readonly urn?: string;
    readonly message: string;
    readonly severity: string;
}

/** The document `pulumi preview --json` prints on stdout. */
export interface PreviewDigest {
    readonly steps?: readonly PreviewStep[];
    readonly diagnostics?: readonly PreviewDiagnostic[];
    readonly changeSummary?: Readonly<Record<string, number>>;
    readonly duration?: number;
    readonly maybeCorrupt?: boolean;
}

/** What the preview job recorded for one stack. */
export interface StackPreviewInput {
    readonly stack: string;
    /** Exit code of the preview (non-zero when the program or a mandatory policy failed). */
    readonly exitCode: number;
    /** stdout of `pulumi preview --json`; may be empty or `{}` when the CLI stopped early. */
    readonly json: string;
    /** Output of `pulumi preview --diff --policy-pack ...`, read for policy violation headings only. */
    readonly diffText?: string;
}

export type ChangeOp = "create" | "update" | "replace" | "delete" | "import";

export interface ResourceChange {
    readonly op: ChangeOp;
    readonly type: string;
    readonly name: string;
    readonly urn: string;
    /** Top-level property names that differ (replace reasons first for replacements). */
    readonly keys: readonly string[];
    /** For replacements: the inputs that force the replacement (diffReasons also name computed outputs). */
    readonly replaceKeys: readonly string[];
}

export interface PolicyViolation {
    readonly level: string;
    readonly policy: string;
    readonly pack?: string;
    readonly resourceType: string;
    readonly resourceName: string;
}

export interface ChangeCounts {
    create: number;
    update: number;
    replace: number;
    delete: number;
    same: number;
}

export interface StackPreviewSummary {
    readonly stack: string;
    readonly ok: boolean;
    readonly exitCode: number;
    /** False when the CLI printed no usable document (it stopped before planning). */
    readonly hasPlan: boolean;
    readonly counts: ChangeCounts;
    readonly changes: readonly ResourceChange[];
    readonly errors: readonly string[];
    readonly warningCount: number;
    readonly policyViolations: readonly PolicyViolation[];
}

// A replacement shows as one `replace` step by default, or as its parts with --show-replacement-steps.
const OP_ALIASES: Readonly<Record<string, ChangeOp>> = {
    "create": "create",
    "update": "update",
    "replace": "replace",
    "create-replacement": "replace",
    "delete-replaced": "replace",
    "discard-replaced": "replace",
    "delete": "delete",
    "import": "import",
    "import-replacement": "replace",
};

const ERROR_SEVERITIES = new Set(["error", "info#err"]);

/** Splits `urn:pulumi:<stack>::<project>::<parent$...$type>::<name>` into the resource's own type and name. */
export function parseUrn(urn: string): { type: string; name: string } {
    const parts = urn.split("::");
    if (parts.length < 4 || !parts[0].startsWith("urn:pulumi:")) {
        return { type: "unknown", name: urn };
    }
    const typeChain = parts[2].split("$");
    return { type: typeChain[typeChain.length - 1], name: parts.slice(3).join("::") };
}

/** Parses the CLI's stdout; returns undefined when it is empty, `{}`, or not a digest. */
export function parseDigest(json: string): PreviewDigest | undefined {
    const trimmed = json.trim();
    if (trimmed === "") {
        return undefined;
    }
    let parsed: unknown;
    try {
        parsed = JSON.parse(trimmed);
    } catch {
        return undefined;
    }
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
        return undefined;
    }
    const digest = parsed as PreviewDigest;
    if (digest.steps === undefined && digest.changeSummary === undefined && digest.diagnostics === undefined) {
        return undefined;
    }
    return digest;
}

/** Policy violation headings as the CLI prints them: `pack@v1.0.0 [mandatory]  policy-name  (type: name)`. */
export function parsePolicyViolations(diffText: string): PolicyViolation[] {
    // Current CLIs print `pack@vX [level]  policy  (type: name)`; older ones `[level]  pack vX  policy (type: name)`.
    const heading = /^\s*(?:[-*]\s*)?(?:(\S+)@v(\S+)\s+)?\[(mandatory|advisory|remediate)\]\s+(?:(\S+)\s+v\d\S*\s+)?(\S+)\s+\((\S+):\s+([^()]+?)\)\s*$/;
    const seen = new Set<string>();
    const violations: PolicyViolation[] = [];
    for (const line of stripAnsi(diffText).split(/\r?\n/)) {
        const match = heading.exec(line);
        if (!match) {
            continue;
        }
        const [, packAt, , level, packOld, policy, resourceType, resourceName] = match;
        const pack = packAt ?? packOld;
        const key = [level, policy, resourceType, resourceName].join("\u0000");
        if (seen.has(key)) {
            continue;
        }
        seen.add(key);
        violations.push({ level, policy, pack, resourceType, resourceName });
    }
    return violations;
}

/** `error: ...` lines of the CLI's text output, without the generic "preview failed" summary. */
export function parseCliErrors(diffText: string): string[] {
    const lines = stripAnsi(diffText).split(/\r?\n/).map((line) => line.trim());
    const errors = lines.filter((line) => /^error: /.test(line) && !/^error: preview failed$/.test(line));
    return [...new Set(errors)];
}

export function stripAnsi(text: string): string {
    return text.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, "").replace(/\u001b[<>=]/g, "");
}

function countsFromSteps(changes: readonly ResourceChange[]): ChangeCounts {
    const counts: ChangeCounts = { create: 0, update: 0, replace: 0, delete: 0, same: 0 };
    for (const change of changes) {
        counts[change.op === "import" ? "create" : change.op] += 1;
    }
    return counts;
}

function collectChanges(steps: readonly PreviewStep[]): ResourceChange[] {
    const byUrn = new Map<string, ResourceChange>();
    for (const step of steps) {
        const op = OP_ALIASES[step.op];
        if (op === undefined || typeof step.urn !== "string") {
            continue; // same, read, refresh, discard: nothing changes
        }
        const { type, name } = parseUrn(step.urn);
        const replaceKeys = [...(step.replaceReasons ?? [])];
        const keys = [...new Set([...replaceKeys, ...(step.diffReasons ?? [])])];
        const previous = byUrn.get(step.urn);
        if (previous !== undefined) {
            // The parts of one replacement: keep one row, with every reason seen.
            byUrn.set(step.urn, {
                ...previous,
                op: "replace",
                keys: [...new Set([...previous.keys, ...keys])],
                replaceKeys: [...new Set([...previous.replaceKeys, ...replaceKeys])],
            });
            continue;
        }
        byUrn.set(step.urn, { op, type, name, urn: step.urn, keys, replaceKeys });
    }
    return [...byUrn.values()];
}

/** Reduces one stack's recorded preview to counts, changed resources, errors and policy violations. */
export function summarizeStack(input: StackPreviewInput): StackPreviewSummary {
    const digest = parseDigest(input.json);
    const changes = collectChanges(digest?.steps ?? []);
    const fromSteps = countsFromSteps(changes);
    const summary = digest?.changeSummary ?? {};
    const counts: ChangeCounts = digest?.changeSummary === undefined ? fromSteps : {
        create: (summary.create ?? 0) + (summary.import ?? 0),
        update: summary.update ?? 0,
        replace: summary.replace ?? 0,
        delete: summary.delete ?? 0,
        same: summary.same ?? 0,
    };
    const diagnostics = digest?.diagnostics ?? [];
    const errors = diagnostics
        .filter((d) => ERROR_SEVERITIES.has(d.severity))
        .map((d) => stripAnsi(d.message).trim())
        .filter((message) => message !== "");
    // Errors the CLI printed only in the --diff run (a policy pack that would not start, say) count too.
    for (const cliError of parseCliErrors(input.diffText ?? "")) {
        if (!errors.some((e) => e.includes(cliError.replace(/^error:\s*/, "")))) {
            errors.push(cliError);
        }
    }
    const policyViolations = parsePolicyViolations(input.diffText ?? "");
    const mandatoryViolation = policyViolations.some((v) => v.level === "mandatory");
    return {
        stack: input.stack,
        ok: input.exitCode === 0 && digest !== undefined && !mandatoryViolation,
        exitCode: input.exitCode,
        hasPlan: digest !== undefined,
        counts,
        changes,
        errors,
        warningCount: diagnostics.filter((d) => d.severity === "warning").length,
        policyViolations,
    };
}
