// Renders the merge-request note: summary first, details folded, and every piece of
// text that came from a preview passed through `redact` before it is written.
import { ResourceChange, StackPreviewSummary } from "./preview";

/** Hidden first line that identifies our note among the merge request's notes. */
export const NOTE_MARKER = "<!-- cicd-preview-note -->";

const MAX_ROWS_PER_STACK = 200;
const MAX_ERRORS_PER_STACK = 10;
const MAX_ERROR_CHARS = 500;
const REDACTED = "[redacted]";

export interface RenderOptions {
    /** Short commit SHA the preview ran on. */
    readonly commit?: string;
    /** Link to the job log, shown when a preview failed. */
    readonly jobUrl?: string;
    /** Values known to be secret (e.g. masked CI variables); never written, even inside messages. */
    readonly knownSecrets?: readonly string[];
}

// Shapes of credentials that must never reach a note even if a provider echoes them in an error.
const SECRET_PATTERNS: readonly RegExp[] = [
    /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g,
    /\bgl[a-z]{2,5}-[A-Za-z0-9_-]{8,}/g, // GitLab tokens: glpat-, glrt-, gldt-, glptt-, ...
    /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g,
    /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, // JWTs (OIDC tokens)
];
// Long opaque strings (keys, random passwords). Only applied to free text such as error
// messages: resource names may legitimately be long.
const OPAQUE_PATTERN = /[A-Za-z0-9+/_-]{32,}={0,2}/g;
const ASSIGNMENT_PATTERN = /\b([A-Za-z0-9_.-]*(?:password|passwd|passphrase|secret|token|api[_-]?key|private[_-]?key|credential)[A-Za-z0-9_.-]*)(["']?\s*[:=]\s*["']?)([^\s"',;]+)/gi;
const URL_CREDENTIALS = /(\b[a-z][a-z0-9+.-]*:\/\/)[^\s/@:]+:[^\s/@]+@/gi;

/**
 * Removes every known secret value and anything shaped like a credential. `freeText` also removes
 * assignments to secret-sounding keys and long opaque strings, for messages that may echo values.
 */
export function redact(text: string, knownSecrets: readonly string[] = [], freeText = false): string {
    let result = text;
    // Longest first, so a secret that contains another is removed whole.
    for (const secret of [...knownSecrets].filter((s) => s.length >= 4).sort((a, b) => b.length - a.length)) {
        result = result.split(secret).join(REDACTED);
    }
    result = result.replace(URL_CREDENTIALS, `$1${REDACTED}@`);
    for (const pattern of SECRET_PATTERNS) {
        result = result.replace(pattern, REDACTED);
    }
    if (freeText) {
        result = result.replace(ASSIGNMENT_PATTERN, (_m, key: string, sep: string) => `${key}${sep}${REDACTED}`);
        result = result.replace(OPAQUE_PATTERN, (match) => (/[0-9]/.test(match) && /[A-Za-z]/.test(match) ? REDACTED : match));
    }
    return result;
}

/** Text inside inline code in a table cell: no backticks, pipes or line breaks that would break the table. */
function code(text: string, secrets: readonly string[]): string {
    const safe = redact(text, secrets).replace(/`/g, "'").replace(/\|/g, "\\|").replace(/[\r\n]+/g, " ");
    return "`" + safe + "`";
}

function plural(count: number, word: string): string {
    return `${count} ${word}${count === 1 ? "" : "s"}`;
}

function totalChanges(stack: StackPreviewSummary): number {
    const c = stack.counts;
    return c.create + c.update + c.replace + c.delete;
}

function statusCell(stack: StackPreviewSummary): string {
    if (stack.ok) {
        return totalChanges(stack) === 0 ? "✅ no changes" : "✅ ok";
    }
    if (stack.policyViolations.some((v) => v.level === "mandatory")) {
        return `❌ policy violation (exit ${stack.exitCode})`;
    }
    return stack.hasPlan ? `❌ failed (exit ${stack.exitCode})` : `❌ failed before planning (exit ${stack.exitCode})`;
}

function countCell(count: number, emphasize: boolean, stack: StackPreviewSummary): string {
    const text = emphasize && count > 0 ? `**${count}**` : String(count);
    // A failed preview stops early: its counts are a lower bound.
    return stack.ok || !stack.hasPlan ? (stack.hasPlan ? text : "–") : `≥${text}`;
}

function headline(stacks: readonly StackPreviewSummary[]): string {
    const failed = stacks.filter((s) => !s.ok);
    if (failed.length > 0) {
        return `❌ Preview failed for ${failed.map((s) => `\`${s.stack}\``).join(", ")}`;
    }
    const replaces = stacks.reduce((n, s) => n + s.counts.replace, 0);
    const deletes = stacks.reduce((n, s) => n + s.counts.delete, 0);
    if (stacks.every((s) => totalChanges(s) === 0)) {
        return "✅ No changes";
    }
    const risky = [replaces > 0 ? plural(replaces, "replacement") : "", deletes > 0 ? plural(deletes, "deletion") : ""]
        .filter((part) => part !== "");
    return risky.length > 0 ? `⚠️ Changes include ${risky.join(" and ")}` : "✅ Changes without replacements or deletions";
}

function summaryTable(stacks: readonly StackPreviewSummary[]): string[] {
    const lines = [
        "| Stack | Result | Create | Update | Replace | Delete | Unchanged |",
        "|---|---|---:|---:|---:|---:|---:|",
    ];
    for (const s of stacks) {
        lines.push(`| \`${s.stack}\` | ${statusCell(s)} | ${countCell(s.counts.create, false, s)} | ` +
            `${countCell(s.counts.update, false, s)} | ${countCell(s.counts.replace, true, s)} | ` +
            `${countCell(s.counts.delete, true, s)} | ${countCell(s.counts.same, false, s)} |`);
    }
    return lines;
}

function destructiveList(stacks: readonly StackPreviewSummary[], secrets: readonly string[]): string[] {
    const rows: string[] = [];
    for (const s of stacks) {
        for (const change of s.changes) {
            if (change.op !== "replace" && change.op !== "delete") {
                continue;
            }
            const reasons = change.replaceKeys.length > 0 ? change.replaceKeys : change.keys;
            const because = change.op === "replace" && reasons.length > 0
                ? ` because of ${reasons.slice(0, 5).map((k) => code(k, secrets)).join(", ")}`
                : "";
            rows.push(`- \`${s.stack}\`: **${change.op}** ${code(change.type, secrets)} ${code(change.name, secrets)}${because}`);
        }
    }
    if (rows.length === 0) {
        return [];
    }
    return ["", "**Replaced or deleted** (the old resource and its data go away):", "", ...rows];
}

function failureSection(stack: StackPreviewSummary, options: RenderOptions, secrets: readonly string[]): string[] {
    const lines = ["", `#### ❌ \`${stack.stack}\`: ${statusCell(stack).replace(/^❌ /, "")}`, ""];
    if (!stack.hasPlan) {
        lines.push("The CLI stopped before it produced a plan (no preview document), so there are no counts.");
    }
    if (stack.policyViolations.length > 0) {
        lines.push("Policy violations:", "");
        for (const v of stack.policyViolations) {
            lines.push(`- \`[${v.level}]\` ${code(v.policy, secrets)} on ${code(v.resourceType, secrets)} ${code(v.resourceName, secrets)}`);
        }
        lines.push("");
    }
    const errors = stack.errors.slice(0, MAX_ERRORS_PER_STACK);
    if (errors.length > 0) {
        lines.push("Errors:", "", "```text");
        for (const message of errors) {
            // Redact before clipping, so a cut can never leave half a secret behind.
            const cleaned = redact(message, secrets, true);
            const clipped = cleaned.length > MAX_ERROR_CHARS ? `${cleaned.slice(0, MAX_ERROR_CHARS)} …` : cleaned;
            lines.push(clipped.replace(/```/g, "'''"));
        }
        lines.push("```");
        if (stack.errors.length > errors.length) {
            lines.push(`…and ${stack.errors.length - errors.length} more.`);
        }
    }
    if (options.jobUrl) {
        lines.push("", `Full output: [job log](${options.jobUrl}).`);
    }
    return lines;
}

function changeRow(change: ResourceChange, secrets: readonly string[]): string {
    const op = change.op === "replace" || change.op === "delete" ? `**${change.op}**` : change.op;
    const keys = change.keys.length === 0 ? "" : change.keys.slice(0, 8).map((k) => code(k, secrets)).join(", ") +
        (change.keys.length > 8 ? ` +${change.keys.length - 8}` : "");
    return `| ${op} | ${code(change.type, secrets)} | ${code(change.name, secrets)} | ${keys} |`;
}

function detailsSection(stack: StackPreviewSummary, secrets: readonly string[]): string[] {
    if (stack.changes.length === 0) {
        return [];
    }
    const order: Record<string, number> = { delete: 0, replace: 1, update: 2, create: 3, import: 4 };
    const sorted = [...stack.changes].sort((a, b) => order[a.op] - order[b.op] || a.urn.localeCompare(b.urn));
    const shown = sorted.slice(0, MAX_ROWS_PER_STACK);
    const lines = [
        "",
        `<details><summary><code>${stack.stack}</code>: ${plural(stack.changes.length, "resource")} to change</summary>`,
        "",
        "| Operation | Type | Name | Changed properties |",
        "|---|---|---|---|",
        ...shown.map((change) => changeRow(change, secrets)),
    ];
    if (sorted.length > shown.length) {
        lines.push("", `…and ${sorted.length - shown.length} more; see the job log.`);
    }
    lines.push("", "</details>");
    return lines;
}

/** The whole note. Pure: same summaries and options give the same text. */
export function renderNote(stacks: readonly StackPreviewSummary[], options: RenderOptions = {}): string {
    const secrets = options.knownSecrets ?? [];
    const lines: string[] = [
        NOTE_MARKER,
        `### Pulumi preview: ${headline(stacks)}`,
        "",
        ...summaryTable(stacks),
        ...destructiveList(stacks, secrets),
    ];
    for (const stack of stacks.filter((s) => !s.ok)) {
        lines.push(...failureSection(stack, options, secrets));
    }
    const warnings = stacks.reduce((n, s) => n + s.warningCount, 0);
    if (warnings > 0) {
        lines.push("", `${plural(warnings, "warning")} in the preview output; see the job log.`);
    }
    for (const stack of stacks) {
        lines.push(...detailsSection(stack, secrets));
    }
    const footer = [options.commit ? `Commit \`${options.commit}\`` : "", "updated in place on every push"]
        .filter((part) => part !== "").join(" · ");
    lines.push("", `<sub>${footer}. Property values are never shown here.</sub>`, "");
    return lines.join("\n");
}
