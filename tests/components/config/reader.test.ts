// components/config/reader.ts: how a raw config string becomes a typed value, and the one error every validator ends in.
import { strict as assert } from "assert";
import { ConfigError, Reader, configKey } from "../../../components/config";

/** A reader over `raw`, with `secrets` the keys Pulumi holds encrypted. */
const reader = (raw: Record<string, string>, secrets: string[] = []) => new Reader(raw, new Set(secrets));

/** The keys (full names) a reader's problems name, in order. */
const named = (r: Reader) => r.problems.map((p) => p.split(" ")[0]);

/** A reader's problems, read afresh (an assertion on `r.problems` narrows its type). */
const messages = (r: Reader): readonly string[] => r.problems;

describe("config reader: ConfigError", () => {
    it("names the stack, counts the problems and lists each on its own line", () => {
        const one = new ConfigError("staging", ["gitlab-docker-delivery:httpPort must be a whole number"]);
        assert.equal(one.name, "ConfigError");
        assert.match(one.message, /stack "staging" \(1 problem\)/);
        assert.match(one.message, /-s staging/);
        assert.deepEqual(one.problems, ["gitlab-docker-delivery:httpPort must be a whole number"]);
        const two = new ConfigError("prod", ["a is wrong", "b is wrong"]);
        assert.match(two.message, /stack "prod" \(2 problems\)/);
        const lines = two.message.split("\n");
        assert.deepEqual(lines.slice(1).map((l) => l.trim()), ["- a is wrong", "- b is wrong"]);
        assert.ok(two instanceof Error);
    });
});

describe("config reader: plain values", () => {
    it("trims values and treats a blank one as unset", () => {
        const r = reader({ name: "  web  ", blank: "   ", empty: "" });
        assert.equal(r.string("name"), "web");
        assert.equal(r.string("blank"), undefined);
        assert.equal(r.string("empty"), undefined);
        assert.equal(r.string("missing"), undefined);
        assert.deepEqual(r.problems, []);
    });

    it("reports a missing required key by its full name, and returns an empty string", () => {
        const r = reader({ blank: " " });
        assert.equal(r.required("blank", "what it is for"), "");
        assert.deepEqual(named(r), [configKey("blank")]);
        assert.equal(reader({ k: "v" }).required("k", "x"), "v");
    });

    it("takes whole numbers within the bounds, both ends included, and falls back on anything else", () => {
        const r = reader({ low: "8", high: "500", under: "7", over: "501", frac: "8.5", word: "ten" });
        assert.equal(r.integer("low", 20, 8, 500), 8);
        assert.equal(r.integer("high", 20, 8, 500), 500);
        assert.equal(r.integer("missing", 20, 8, 500), 20);
        assert.deepEqual(r.problems, []);
        for (const k of ["under", "over", "frac", "word"]) assert.equal(r.integer(k, 20, 8, 500), 20, k);
        assert.deepEqual(named(r), ["under", "over", "frac", "word"].map(configKey));
        assert.ok(messages(r)[1].includes('"501"'), messages(r)[1]);
    });

    it("takes exactly true or false, and refuses anything else with the fallback", () => {
        const r = reader({ on: "true", off: "false", yes: "yes", caps: "True" });
        assert.equal(r.boolean("on", false), true);
        assert.equal(r.boolean("off", true), false);
        assert.equal(r.boolean("missing", true), true);
        assert.equal(r.boolean("missing", false), false);
        assert.deepEqual(r.problems, []);
        assert.equal(r.boolean("yes", false), false);
        assert.equal(r.boolean("caps", true), true);
        assert.deepEqual(named(r), [configKey("yes"), configKey("caps")]);
        assert.ok(messages(r)[0].includes('"yes"'), messages(r)[0]);
    });
});

describe("config reader: secrets", () => {
    it("returns an encrypted value as is, and an empty or missing one as unset", () => {
        const r = reader({ token: "s3cret ", empty: "" }, ["token", "empty"]);
        assert.equal(r.secret("token", "a token", true), "s3cret ");
        assert.equal(r.secret("missing", "a token", false), undefined);
        assert.deepEqual(r.problems, []);
        // An empty plain value is unset, not a secret stored in plain text.
        const plain = reader({ empty: "" });
        assert.equal(plain.secret("empty", "a token", false), undefined);
        assert.deepEqual(plain.problems, []);
    });

    it("requires a required secret, telling to set it with --secret, without echoing any value", () => {
        const r = reader({ token: "" });
        assert.equal(r.secret("token", "a token", true), undefined);
        assert.deepEqual(named(r), [configKey("token")]);
        assert.ok(r.problems[0].includes(`--secret ${configKey("token")}`), r.problems[0]);
    });

    it("refuses a secret stored in plain text, and never puts the value in the message", () => {
        const r = reader({ token: "glpat-plainTEXT" });
        assert.equal(r.secret("token", "a token", false), "glpat-plainTEXT");
        assert.deepEqual(named(r), [configKey("token")]);
        assert.ok(r.problems[0].includes(`--secret ${configKey("token")}`), r.problems[0]);
        assert.ok(!r.problems[0].includes("glpat-plainTEXT"), r.problems[0]);
    });
});

describe("config reader: lists and objects", () => {
    it("takes a JSON list of strings, or one plain value or comma-separated values", () => {
        const r = reader({ json: '["a","b"]', one: "203.0.113.4/32", csv: " a, ,b ," });
        assert.deepEqual(r.stringList("json"), ["a", "b"]);
        assert.deepEqual(r.stringList("one"), ["203.0.113.4/32"]);
        assert.deepEqual(r.stringList("csv"), ["a", "b"]);
        assert.deepEqual(r.stringList("missing"), []);
        assert.deepEqual(r.problems, []);
    });

    it("refuses JSON that is not a list of strings, naming the key, and reads it as empty", () => {
        const r = reader({ numbers: "[1,2]", object: '{"a":"b"}' });
        assert.deepEqual(r.stringList("numbers"), []);
        assert.deepEqual(r.stringList("object"), []);
        assert.deepEqual(named(r), [configKey("numbers"), configKey("object")]);
    });

    it("takes an object of the allowed keys with non-empty strings, naming each bad entry", () => {
        const r = reader({ images: '{"build":"b:1","runtime":"","extra":"x","nginx":3}', list: '["a"]', text: "build=b", nul: "null" });
        assert.deepEqual(r.object("images", ["build", "runtime", "nginx"]), { build: "b:1" });
        assert.deepEqual(named(r), ["images.runtime", "images.extra", "images.nginx"].map(configKey));
        assert.ok(r.problems[1].includes("build, runtime, nginx"), r.problems[1]);
        for (const k of ["list", "text", "nul"]) assert.deepEqual(r.object(k, ["build"]), {}, k);
        assert.deepEqual(named(r).slice(3), ["list", "text", "nul"].map(configKey));
        assert.deepEqual(r.object("missing", ["build"]), {});
        assert.equal(r.problems.length, 6);
    });
});
