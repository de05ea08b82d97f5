// Route 53 A records for a host's names, under mocks (issue 20: no unit test pinned them).
/* eslint-disable @typescript-eslint/no-require-imports -- modules load after the mocks are installed */
import * as assert from "node:assert/strict";
import { installMocks, MockRecorder, valueOf } from "../../support/mocks";

const RECORD = "aws:route53/record:Record";

describe("cicd:host:DnsRecords", () => {
    let mocks: MockRecorder;
    let host: typeof import("../../../components/host/dnsRecords");

    before(async () => {
        mocks = await installMocks({ stack: "prod", state: { [RECORD]: (inputs) => ({ fqdn: inputs.name }) } });
        host = require("../../../components/host/dnsRecords") as typeof import("../../../components/host/dnsRecords");
    });

    it("points every name at the host with an A record, never taking over an existing one, TTL 300 by default", async () => {
        const records = new host.DnsRecords("web", { zoneId: "Z1", names: ["app.example.com", "www.Example.com"], address: "203.0.113.7" });
        await mocks.settle();
        assert.deepEqual(mocks.findAll(RECORD).filter((r) => r.name.startsWith("web-")).map((r) => [r.name, r.inputs]), [
            ["web-app-example-com", { zoneId: "Z1", name: "app.example.com", type: "A", ttl: 300, records: ["203.0.113.7"], allowOverwrite: false }],
            ["web-www-xample-com", { zoneId: "Z1", name: "www.Example.com", type: "A", ttl: 300, records: ["203.0.113.7"], allowOverwrite: false }],
        ]);
        for (const record of mocks.findAll(RECORD).filter((r) => r.name.startsWith("web-"))) {
            assert.ok(record.parent.endsWith("cicd:host:DnsRecords::web"), record.parent);
        }
        assert.deepEqual(await valueOf(records.fqdns), ["app.example.com", "www.Example.com"]);
    });

    it("takes a TTL of its own", async () => {
        new host.DnsRecords("short", { zoneId: "Z1", names: ["a.example.com"], address: "203.0.113.7", ttl: 60 });
        await mocks.settle();
        assert.equal(mocks.find(RECORD, "short-a-example-com").inputs.ttl, 60);
    });

    it("refuses an empty list of names, naming the key, and registers nothing", async () => {
        assert.throws(() => new host.DnsRecords("none", { zoneId: "Z1", names: [], address: "203.0.113.7" }), { message: /^cicd:host:DnsRecords "none": \[names\] names no record to create$/ });
        await mocks.settle();
        assert.deepEqual(mocks.resources.filter((r) => r.name === "none").map((r) => r.type), [], "not even the component");
    });
});
