import { strict as assert } from "node:assert";
import { SECRET_SIG, SIG_KEY, ancestorTypes, asRecord, asString, decodeBase64, stackOf, unwrapSecrets } from "../../policy/rules";
import { urn } from "./harness";
import { AWS } from "./sdkTypes";
import { resource } from "./verdict";

// The view every rule judges (policy/rules/resource.ts), issue 20: what the rules read from a URN and from props.

describe("the resource view the rules judge (issue 20)", () => {
    it("unwraps secrets as @pulumi/policy does: the plaintext in place, inside lists and objects", () => {
        const secret = (value: unknown) => ({ [SIG_KEY]: SECRET_SIG, value });
        assert.equal(unwrapSecrets(secret("pw")), "pw");
        assert.deepEqual(unwrapSecrets({ connection: { host: "h", password: secret("pw") }, list: [secret(secret("x")), "y"], none: null }),
            { connection: { host: "h", password: "pw" }, list: ["x", "y"], none: null });
    });
    it("reads the stack from the start of the URN only", () => {
        assert.equal(stackOf(resource(AWS.volume, {}, { urn: urn("prod", AWS.volume, "data") })), "prod");
        assert.equal(stackOf(resource(AWS.volume, {}, { urn: `alias-of-urn:pulumi:prod::gitlab-docker-delivery::${AWS.volume}::data` })), undefined);
    });
    it("lists the component types above a resource, not its own type", () => {
        assert.deepEqual(ancestorTypes(resource(AWS.instance, {}, { urn: urn("prod", AWS.instance, "host", ["cicd:app:App", "cicd:runner:Runner"]) })), ["cicd:app:App", "cicd:runner:Runner"]);
        assert.deepEqual(ancestorTypes(resource(AWS.instance, {}, { urn: urn("prod", AWS.instance, "host") })), []);
    });
    it("takes only plain objects for records, and only strings for strings", () => {
        assert.deepEqual(asRecord({ a: 1 }), { a: 1 });
        for (const value of [[], null, undefined, "text", 3]) assert.equal(asRecord(value), undefined, JSON.stringify(value));
        assert.equal(asString("s"), "s");
        assert.equal(asString(3), undefined);
    });
});

describe("decodeBase64, how the rules read a launch template's user data", () => {
    it("decodes what Node encodes, padded or not, across lines", () => {
        for (const text of ["", "a", "ab", "abc", "#!/bin/bash\ngitlab-runner register --docker-privileged=true\n"]) {
            const encoded = Buffer.from(text, "latin1").toString("base64");
            assert.equal(decodeBase64(encoded), text, encoded);
            assert.equal(decodeBase64(encoded.replace(/=+$/, "")), text);
            assert.equal(decodeBase64(encoded.replace(/(.{4})/g, "$1\n")), text);
        }
        assert.equal(decodeBase64(Buffer.from([0, 255, 128]).toString("base64")), "\u0000\u00ff\u0080");
    });
    it("is undefined for text that is not base64", () => {
        for (const text of ["#!/bin/bash", "a-b_", "YWJj!", "YQ===", "YQ=a"]) assert.equal(decodeBase64(text), undefined, text);
    });
});
