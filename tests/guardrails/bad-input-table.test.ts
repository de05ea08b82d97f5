import { strict as assert } from "node:assert";
import * as fs from "fs";
import * as path from "path";

// The README's bad-input table (docs/guardrails.md) promises, for each case, the test that proves it.
// This keeps the promise honest: every cited test file exists and contains every cited fragment (a test
// title, or the case literal of a table-driven test), and every case issue 7 lists has a row.

const REPO_ROOT = path.resolve(__dirname, "..", "..");
const DOC = path.join(REPO_ROOT, "docs", "guardrails.md");

interface Row { readonly does: string; readonly gets: string; readonly provedBy: string }

function badInputRows(markdown: string): Row[] {
    const section = markdown.split(/^## /m).find((part) => part.startsWith("Bad input"));
    if (!section) throw new Error("docs/guardrails.md has no '## Bad input' section");
    return section
        .split("\n")
        .filter((line) => line.startsWith("|") && !/^\|\s*-/.test(line))
        .slice(1) // header
        .map((line) => {
            const cells = line.split("|").slice(1, -1).map((cell) => cell.trim());
            assert.equal(cells.length, 3, `a bad-input row needs 3 cells: ${line}`);
            return { does: cells[0], gets: cells[1], provedBy: cells[2] };
        });
}

/** `path` › `fragment` › `fragment`; `path` ... → [{file, fragments}] */
function citations(cell: string): Array<{ file: string; fragments: string[] }> {
    const cited: Array<{ file: string; fragments: string[] }> = [];
    for (const [, token] of cell.matchAll(/`([^`]+)`/g)) {
        if (/^(tests|app\/test)\/\S+\.test\.ts$/.test(token)) cited.push({ file: token, fragments: [] });
        else if (cited.length > 0) cited[cited.length - 1].fragments.push(token);
        else throw new Error(`fragment \`${token}\` is not preceded by a test file`);
    }
    return cited;
}

describe("the bad-input table in docs/guardrails.md", () => {
    const rows = badInputRows(fs.readFileSync(DOC, "utf8"));

    it("has a row for every case of issue 7", () => {
        const cases: Array<[string, RegExp]> = [
            ["missing config key", /required key missing/i],
            ["malformed config key", /malformed key/i],
            ["CIDR list opening SSH to the world", /SSH to the world/i],
            ["instance type not allowed in production", /instance type not allowed in production/i],
            ["image reference without tag or digest", /image reference without tag or digest/i],
            ["deploy with an unknown environment", /unknown environment/i],
            ["app requests with malformed or oversized bodies", /malformed or oversized body/i],
        ];
        for (const [name, pattern] of cases) assert.ok(rows.some((row) => pattern.test(row.does)), `no row for: ${name}`);
    });

    it("cites, in every row, tests that exist and contain what is cited", () => {
        for (const row of rows) {
            const cited = citations(row.provedBy);
            assert.ok(cited.length > 0, `row without a test: ${row.does}`);
            for (const { file, fragments } of cited) {
                const full = path.join(REPO_ROOT, file);
                assert.ok(fs.existsSync(full), `${file} (cited for "${row.does}") does not exist`);
                const text = fs.readFileSync(full, "utf8");
                for (const fragment of fragments) assert.ok(text.includes(fragment), `${file} does not contain \`${fragment}\``);
            }
        }
    });

    it("says what the user gets in every row", () => {
        for (const row of rows) assert.ok(row.gets.length > 20, `row without an outcome: ${row.does}`);
    });
});
