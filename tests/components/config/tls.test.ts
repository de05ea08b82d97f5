import { strict as assert } from "assert";
import { ACME_DIRECTORIES, StagingConfig } from "../../../components/config";
import { configProblems, hostsSource, onlyConfigProblem, RawOverrides, validateStack } from "../../program/configHarness";

// HTTPS of the remote stacks (issue 16): what components/config/tls.ts accepts and refuses. How the program turns
// the keys into ports, env files, DNS records and outputs is tests/program/tls.test.ts.

const TLS = { domain: "app.example.com", acmeEmail: "ops@example.com" };
const HOSTS = hostsSource();

/** Two hosts behind one name: HTTP-01 reaches only one of them. */
const TWO_HOSTS = hostsSource(["192.0.2.10", "192.0.2.11"]);

function validateStaging(overrides: RawOverrides): StagingConfig {
    return validateStack("staging", overrides) as StagingConfig;
}

function problemsOf(overrides: RawOverrides): string[] {
    return configProblems(() => validateStaging(overrides));
}

/** The one problem these overrides give; fails when there are none or several. */
function onlyProblem(overrides: RawOverrides): string {
    return onlyConfigProblem(() => validateStaging(overrides));
}

const label = (n: number) => "a".repeat(n);

describe("config: tls", () => {
    it("without domain there is no TLS; with domain and acmeEmail, Let's Encrypt production is the default directory", () => {
        assert.equal(validateStaging({}).tls, undefined);
        const tls = validateStaging({ ...TLS, extraDomains: JSON.stringify(["www.example.com"]) }).tls!;
        assert.deepEqual(tls.domains, ["app.example.com", "www.example.com"]);
        assert.equal(tls.directoryUrl, "https://acme-v02.api.letsencrypt.org/directory");
        assert.equal(tls.email, "ops@example.com");
    });

    it("takes Let's Encrypt staging by name, and any https directory (a private CA, Pebble)", () => {
        assert.equal(validateStaging({ ...TLS, acmeDirectoryUrl: "letsencrypt-staging" }).tls!.directoryUrl, ACME_DIRECTORIES["letsencrypt-staging"]);
        assert.equal(validateStaging({ ...TLS, acmeDirectoryUrl: "letsencrypt" }).tls!.directoryUrl, ACME_DIRECTORIES.letsencrypt);
        assert.equal(validateStaging({ ...TLS, acmeDirectoryUrl: "https://acme.internal:14000/dir" }).tls!.directoryUrl, "https://acme.internal:14000/dir");
        assert.equal(validateStaging({ ...TLS, acmeDirectoryUrl: "https://ca.example.com" }).tls!.directoryUrl, "https://ca.example.com");
    });

    it("returns every key it read: the names in order, the contact, the directory and the hosted zone", () => {
        const tls = validateStaging({
            ...TLS,
            extraDomains: "www.example.com, api.example.com",
            acmeDirectoryUrl: "letsencrypt-staging",
            hostedZoneId: "Z0123456789ABC",
        }).tls;
        assert.deepEqual(tls, {
            domains: ["app.example.com", "www.example.com", "api.example.com"],
            email: "ops@example.com",
            directoryUrl: ACME_DIRECTORIES["letsencrypt-staging"],
            hostedZoneId: "Z0123456789ABC",
        });
    });

    for (const [overrides, expected] of [
        [{ domain: "app.example.com" }, /acmeEmail is required: the ACME account's contact address/],
        [{ ...TLS, domain: "App.Example.com" }, /domain "App\.Example\.com" is not a DNS name in lowercase/],
        [{ ...TLS, domain: "192.0.2.10" }, /domain "192\.0\.2\.10" is not a DNS name/],
        [{ ...TLS, domain: "*.example.com" }, /domain "\*\.example\.com" is a wildcard; HTTP-01 cannot prove one/],
        [{ ...TLS, extraDomains: JSON.stringify(["app.example.com"]) }, /extraDomains\[0\] "app\.example\.com" is listed twice/],
        [{ ...TLS, acmeEmail: "ops" }, /acmeEmail "ops" is not an email address/],
        [{ ...TLS, acmeDirectoryUrl: "http://acme.example.com/dir" }, /acmeDirectoryUrl "http:\/\/acme\.example\.com\/dir" is neither an https URL/],
        [{ ...TLS, hostedZoneId: "zone-1" }, /hostedZoneId "zone-1" is not a Route 53 hosted zone id/],
        [{ acmeEmail: "ops@example.com" }, /acmeEmail is only used when domain is set/],
        [{ hostedZoneId: "Z0123456789ABC" }, /hostedZoneId is only used when domain is set/],
        [{ extraDomains: "www.example.com" }, /extraDomains is only used when domain is set/],
        [{ acmeDirectoryUrl: "letsencrypt-staging" }, /acmeDirectoryUrl is only used when domain is set/],
        [{ ...TLS, ...HOSTS, hostedZoneId: "Z0123456789ABC" }, /hostedZoneId points names at the EC2 host this stack provisions, and hosts is set/],
        [{ ...TLS, ...TWO_HOSTS }, /domain is served with an ACME certificate over HTTP-01 by one host, and hosts lists 2: the CA would reach only the host the name resolves to/],
    ] as const) {
        it(`refuses ${JSON.stringify(overrides).slice(0, 110)} with one clear message`, () => {
            assert.match(onlyProblem(overrides), expected);
        });
    }

    it("takes DNS names of two labels or more, labels of 1 to 63 characters, hyphens inside them, digits except in the top label's first character", () => {
        for (const domain of ["a.io", "example.com", "1app.example.com", "my-app.example.com", "a-b.c-d.example.co", `${label(63)}.example.com`, "app.example.c0m", "x.y"]) {
            assert.deepEqual(validateStaging({ ...TLS, domain }).tls!.domains, [domain]);
        }
        // 253 characters in all is the longest name DNS carries.
        const longest = `${label(61)}.${label(63)}.${label(63)}.${label(63)}`;
        assert.equal(longest.length, 253);
        assert.deepEqual(validateStaging({ ...TLS, domain: longest }).tls!.domains, [longest]);
    });

    it("refuses what is not such a name, naming domain and the value", () => {
        const tooLong = `${label(62)}.${label(63)}.${label(63)}.${label(63)}`;
        for (const domain of ["localhost", "example.123", "-app.example.com", "app-.example.com", "app.example-", "app..example.com", "app.example.com.", `${label(64)}.example.com`, tooLong, "app.exa_mple.com", "app example.com", "app.-com", ".example.com"]) {
            const problem = onlyProblem({ ...TLS, domain });
            assert.ok(problem.includes(`domain "${domain}"`), `${domain}: ${problem}`);
            assert.match(problem, /is not a DNS name/, domain);
        }
    });

    it("checks every extra name like domain, naming its index, and refuses a name listed twice", () => {
        assert.match(onlyProblem({ ...TLS, extraDomains: JSON.stringify(["www.example.com", "Bad.example.com"]) }), /extraDomains\[1\] "Bad\.example\.com" is not a DNS name/);
        assert.match(onlyProblem({ ...TLS, extraDomains: JSON.stringify(["www.example.com", "*.example.com"]) }), /extraDomains\[1\] "\*\.example\.com" is a wildcard/);
        // The second of two equal names is the one named; the first stays.
        assert.match(onlyProblem({ ...TLS, extraDomains: JSON.stringify(["www.example.com", "www.example.com"]) }), /extraDomains\[1\] "www\.example\.com" is listed twice/);
        assert.match(onlyProblem({ ...TLS, extraDomains: JSON.stringify(["www.example.com", "app.example.com"]) }), /extraDomains\[1\] "app\.example\.com" is listed twice/);
        const problems = problemsOf({ ...TLS, extraDomains: JSON.stringify(["bad_name", "app.example.com"]) });
        assert.deepEqual(problems.map((p) => p.split(" ")[0]), ["gitlab-docker-delivery:extraDomains[0]", "gitlab-docker-delivery:extraDomains[1]"]);
    });

    it("with domain but no acmeEmail, says only that acmeEmail is required", () => {
        const problem = onlyProblem({ domain: "app.example.com", acmeEmail: "  " });
        assert.match(problem, /acmeEmail is required/);
    });

    it("takes an address with one @ and a dot in its domain as acmeEmail, and refuses anything else, naming the value", () => {
        for (const email of ["ops@example.com", "a.b+tls@mail.example.co"]) assert.equal(validateStaging({ ...TLS, acmeEmail: email }).tls!.email, email);
        for (const email of ["ops@example", "ops@@example.com", "ops team@example.com", "ops@example.com team", "@example.com", "ops@.com", "ops@example."]) {
            assert.ok(onlyProblem({ ...TLS, acmeEmail: email }).includes(`acmeEmail "${email}" is not an email address`), email);
        }
    });

    it("refuses a directory that is not an https URL with a host, naming the value and the short names it takes", () => {
        for (const directory of ["https://", "https:///dir", "ftp://acme.example.com/dir", "acme.example.com/dir", "xhttps://acme.example.com/dir", "https://acme.example.com/dir x", "https://acme example.com/dir", "letsencrypt-prod"]) {
            const problem = onlyProblem({ ...TLS, acmeDirectoryUrl: directory });
            assert.ok(problem.includes(`acmeDirectoryUrl "${directory}"`), `${directory}: ${problem}`);
            assert.ok(problem.includes("letsencrypt, letsencrypt-staging"), problem);
        }
    });

    it("serves a domain from one host given in hosts", () => {
        const tls = validateStaging({ ...TLS, ...HOSTS }).tls!;
        assert.deepEqual(tls.domains, ["app.example.com"]);
        assert.equal(tls.hostedZoneId, undefined);
    });

    it("refuses several hosts behind one name, naming how many", () => {
        assert.match(onlyProblem({ ...TLS, ...hostsSource(["192.0.2.10", "192.0.2.11", "192.0.2.12"]) }), /^gitlab-docker-delivery:domain .*hosts lists 3/);
    });

    it("takes a Route 53 zone id of Z and 1 to 31 capitals or digits", () => {
        for (const zone of ["Z1", `Z${"A".repeat(31)}`, "Z0123456789ABC"]) assert.equal(validateStaging({ ...TLS, hostedZoneId: zone }).tls!.hostedZoneId, zone);
        for (const zone of ["Z", `Z${"A".repeat(32)}`, "z0123", "Z01a3", "AZ0123", "Z0123 4"]) {
            assert.ok(onlyProblem({ ...TLS, hostedZoneId: zone }).includes(`hostedZoneId "${zone}" is not a Route 53 hosted zone id`), zone);
        }
    });

    it("with hosts, a malformed zone id gets the one message about its form", () => {
        const problem = onlyProblem({ ...TLS, ...HOSTS, hostedZoneId: "zone-1" });
        assert.match(problem, /hostedZoneId "zone-1" is not a Route 53 hosted zone id/);
    });
});
