import { strict as assert } from "assert";
import { DEFAULT_HTTPS_PORT, DEFAULT_HTTP_PORT, TlsSite, WEB_ENV_KEYS, httpsUrl, webEnv, webPortProblems, webUrl } from "../../../components/host/webPorts";

const SITE: TlsSite = { domains: ["app.example.org", "www.example.org"], email: "ops@example.org", directoryUrl: "https://acme.example.org/directory" };

describe("host: webPorts", () => {
    it("URLs leave out the scheme's own port and name any other", () => {
        assert.equal(webUrl("203.0.113.10", DEFAULT_HTTP_PORT), "http://203.0.113.10");
        assert.equal(webUrl("203.0.113.10", 8080), "http://203.0.113.10:8080");
        assert.equal(webUrl("203.0.113.10", 443), "http://203.0.113.10:443");
        assert.equal(httpsUrl("app.example.org", DEFAULT_HTTPS_PORT), "https://app.example.org");
        assert.equal(httpsUrl("app.example.org", 8443), "https://app.example.org:8443");
        assert.equal(httpsUrl("app.example.org", 80), "https://app.example.org:80");
        assert.deepEqual([DEFAULT_HTTP_PORT, DEFAULT_HTTPS_PORT], [80, 443]);
    });

    describe("webPortProblems", () => {
        it("accepts the lowest and highest port numbers, with and without TLS", () => {
            assert.deepEqual(webPortProblems(1, 65535, SITE), []);
            assert.deepEqual(webPortProblems(65535, undefined, undefined), []);
            assert.deepEqual(webPortProblems(80, undefined, SITE), [], "TLS on the default HTTPS port");
        });

        for (const bad of [0, 65536, -80, 80.5, Number.NaN]) {
            it(`refuses ${bad} as either port, naming the key and the value`, () => {
                assert.deepEqual(webPortProblems(bad, undefined, undefined), [`[httpPort] must be a port number (got ${bad})`]);
                const https = webPortProblems(80, bad, SITE);
                assert.equal(https.length, 1, https.join("; "));
                assert.ok(https[0].startsWith("[httpsPort] ") && https[0].includes(`(got ${bad})`), https[0]);
            });
        }

        it("refuses HTTPS on the HTTP port, naming the port", () => {
            const problems = webPortProblems(8443, 8443, SITE);
            assert.equal(problems.length, 1, problems.join("; "));
            assert.ok(problems[0].startsWith("[httpsPort] ") && problems[0].includes("(8443)"), problems[0]);
        });

        it("refuses an HTTPS port without TLS (nothing would listen) and TLS without a domain", () => {
            const noTls = webPortProblems(80, 443, undefined);
            assert.equal(noTls.length, 1, noTls.join("; "));
            assert.ok(noTls[0].startsWith("[httpsPort] ") && noTls[0].includes("tls"), noTls[0]);
            const noDomain = webPortProblems(80, undefined, { ...SITE, domains: [] });
            assert.equal(noDomain.length, 1, noDomain.join("; "));
            assert.ok(noDomain[0].startsWith("[tls.domains] "), noDomain[0]);
        });

        it("lists every problem at once", () => {
            assert.deepEqual(webPortProblems(0, 0, { ...SITE, domains: [] }).map((p) => p.slice(0, p.indexOf("]") + 1)), ["[httpPort]", "[httpsPort]", "[httpsPort]", "[tls.domains]"]);
        });
    });

    describe("webEnv", () => {
        it("without TLS: HTTP on every interface, nothing about HTTPS or ACME", () => {
            assert.deepEqual(webEnv(8080, undefined, 8443), { HTTP_BIND: "0.0.0.0", HTTP_PORT: "8080" });
        });

        it("with TLS: HTTPS on the default port, every domain and the ACME account", () => {
            assert.deepEqual(webEnv(80, SITE), {
                HTTP_BIND: "0.0.0.0",
                HTTP_PORT: "80",
                HTTPS_PORT: "443",
                TLS_DOMAINS: "app.example.org,www.example.org",
                ACME_EMAIL: "ops@example.org",
                ACME_DIRECTORY_URL: "https://acme.example.org/directory",
            });
            assert.equal(webEnv(80, SITE, 8443).HTTPS_PORT, "8443");
        });

        it("owns exactly the keys it writes", () => {
            assert.deepEqual(Object.keys(webEnv(80, SITE)).sort(), [...WEB_ENV_KEYS].sort());
        });
    });
});
