// Issue 20: config checks no other test pinned, each seen through validateConfig's result or its problems.
import { strict as assert } from "assert";
import { ConfigError, ProductionConfig, StagingConfig, parseCidr } from "../../components/config";
import { configProblems, validateStack } from "./configHarness";

const REPO = "registry.gitlab.com/acme/gitlab-docker-delivery";
const DIGEST = "a".repeat(64);

/** The problems staging reports with these overrides; [] when it validates. */
function stagingProblems(overrides: Record<string, string | undefined>): string[] {
    try {
        validateStack("staging", overrides);
    } catch (err) {
        assert.ok(err instanceof ConfigError, `expected ConfigError, got ${err}`);
        return [...err.problems];
    }
    return [];
}

describe("config: SSH keys and how the deploy dials the host (issue 20)", () => {
    it("accepts OpenSSH public keys of each supported type, with or without a comment", () => {
        for (const key of ["ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ== ops@example", "ecdsa-sha2-nistp256 AAAAE2VjZHNh", "ecdsa-sha2-nistp521 AAAAE2VjZHNh=", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIF"]) {
            assert.deepEqual(stagingProblems({ sshPublicKey: key }), [], key);
        }
    });
    it("refuses what is not an OpenSSH public key line", () => {
        for (const key of ["ssh-dss AAAAB3NzaC1kc3M=", "ssh-ed25519", "ssh-ed25519 ", "from=\"x\" ssh-ed25519 AAAAC3Nz", "ecdsa-sha2-nistp999 AAAAE2Vj", "ssh-ed25519 AAAA!bad"]) {
            assert.match(stagingProblems({ sshPublicKey: key }).join(), /sshPublicKey must be an OpenSSH public key line/, key);
        }
    });
    it("accepts a PEM or OpenSSH private key, and refuses a public key or a certificate in its place", () => {
        assert.deepEqual(stagingProblems({ sshPrivateKey: "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----\n" }), []);
        for (const key of ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIF", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----", "-----BEGIN private key-----"]) {
            assert.match(stagingProblems({ sshPrivateKey: key }).join(), /sshPrivateKey must be a PEM\/OpenSSH private key/, key);
        }
    });
    it("dials the public address when SSH ingress CIDRs are set and the private one otherwise, unless told", () => {
        assert.equal((validateStack("staging") as StagingConfig).host.sshConnectVia, "public");
        assert.equal((validateStack("staging", { sshIngressCidrs: undefined }) as StagingConfig).host.sshConnectVia, "private");
        assert.equal((validateStack("staging", { sshConnectVia: "private" }) as StagingConfig).host.sshConnectVia, "private");
        assert.equal((validateStack("staging", { sshIngressCidrs: undefined, sshConnectVia: "public" }) as StagingConfig).host.sshConnectVia, "public");
        assert.match(stagingProblems({ sshConnectVia: "bastion" }).join(), /sshConnectVia must be "public" or "private" \(got "bastion"\)/);
    });
});

describe("config: CIDRs (issue 20)", () => {
    it("takes IPv4 octets up to 255 and prefixes up to /32, IPv6 prefixes up to /128", () => {
        assert.deepEqual(parseCidr("255.255.255.255/32"), { version: 4, prefix: 32 });
        assert.equal(parseCidr("256.0.0.0/8"), undefined);
        assert.equal(parseCidr("10.0.0.256/32"), undefined);
        assert.deepEqual(parseCidr(" 10.0.0.0/0 "), { version: 4, prefix: 0 });
        assert.deepEqual(parseCidr("2001:DB8::1/128"), { version: 6, prefix: 128 });
        assert.equal(parseCidr("2001:db8::/129"), undefined);
        assert.deepEqual(parseCidr("::/0"), { version: 6, prefix: 0 });
    });
    it("refuses malformed addresses", () => {
        for (const cidr of ["2001:db8::1::/64", "2001:db8:g::/64", "1234/8", "1.2.3/8", "10.0.0.0/8/8", "10.0.0.0/", "x10.0.0.0/8", "10.0.0.0/8x", "10.0.0.0/1234", "x/10.0.0.0/8", "1.2.3.4.5/8", "10.0.0.0a/8"]) {
            assert.equal(parseCidr(cidr), undefined, cidr);
        }
    });
});

describe("config: region, repository, image reference, commit and version (issue 20)", () => {
    it("accepts AWS region names, GovCloud included, and refuses anything else", () => {
        for (const region of ["eu-central-1", "us-gov-west-1", "ap-southeast-2"]) assert.deepEqual(stagingProblems({ "aws:region": region }), [], region);
        for (const region of ["EU-central-1", "eu-central", "eu-central-12", "xeu-central-1", "eu-central-1x", "europe-central-1"]) {
            assert.match(stagingProblems({ "aws:region": region }).join(), /aws:region ".*" is not an AWS region/, region);
        }
    });
    it("takes imageRepository as registry-host/path, without tag, digest, scheme or capitals", () => {
        for (const repo of [REPO, "localhost:5000/app", "registry.example.com/a/b-c.d_e"]) assert.deepEqual(stagingProblems({ imageRepository: repo }), [], repo);
        for (const repo of [`${REPO}:v1`, `${REPO}@sha256:${DIGEST}`, "registry.gitlab.com", "https://registry.gitlab.com/acme/app", "Registry.gitlab.com/acme/app", `${REPO}/`, "registry.gitlab.com/acme/-app"]) {
            assert.match(stagingProblems({ imageRepository: repo }).join(), /imageRepository ".*" must be registry-host\/path without tag or digest/, repo);
        }
        const missing = stagingProblems({ imageRepository: undefined }).filter((p) => p.includes("imageRepository"));
        assert.equal(missing.length, 1, `one problem for a missing imageRepository: ${missing.join(" | ")}`);
        assert.match(missing[0], /imageRepository is required/);
    });
    it("accepts a production imageRef of the repository with a tag and a digest, and refuses a look-alike repository", () => {
        for (const ref of [`${REPO}@sha256:${DIGEST}`, `${REPO}:0123abc@sha256:${DIGEST}`]) {
            assert.equal((validateStack("prod", { imageRef: ref }) as ProductionConfig).imageRef, ref);
        }
        for (const ref of [`${REPO}-evil@sha256:${DIGEST}`, `${REPO}/sub@sha256:${DIGEST}`, `mirror.example.com/${REPO}@sha256:${DIGEST}`]) {
            assert.match(configProblems(() => validateStack("prod", { imageRef: ref })).join(), /must be an image of imageRepository/, ref);
        }
    });
    it("requires gitCommit on staging only: production promotes staging's digest", () => {
        assert.match(stagingProblems({ gitCommit: undefined }).join(), /gitCommit is required on staging/);
        assert.equal((validateStack("prod", { gitCommit: undefined }) as ProductionConfig).gitCommit, "");
    });
    it("takes a git sha of 7 to 40 lowercase hex characters as gitCommit", () => {
        for (const sha of ["0123abc", "f".repeat(40)]) assert.deepEqual(stagingProblems({ gitCommit: sha }), [], sha);
        for (const sha of ["0123ab", "f".repeat(41), "0123ABC", "g123456"]) {
            assert.match(stagingProblems({ gitCommit: sha }).join(), /gitCommit must be a git sha of 7 to 40 lowercase hex characters/, sha);
        }
    });
    it("takes a version such as 1.2.3 as appVersion, up to 64 characters", () => {
        for (const version of ["1.2.3", "1.2.3-rc.1+build.5", "v2", "V2", "7", "9".repeat(64)]) assert.deepEqual(stagingProblems({ appVersion: version }), [], version);
        for (const version of [".1", "-1", "1 2", "9".repeat(65), "1/2"]) {
            assert.match(stagingProblems({ appVersion: version }).join(), /appVersion must be a version such as 1\.2\.3/, version);
        }
    });
});

describe("config: lists, objects and subnetId (issue 20)", () => {
    it("reads a list as JSON or as one comma-separated value, and refuses a non-list", () => {
        const config = validateStack("staging", { sshIngressCidrs: "203.0.113.4/32, 198.51.100.0/24," }) as StagingConfig;
        assert.deepEqual(config.host.sshIngressCidrs, ["203.0.113.4/32", "198.51.100.0/24"]);
        for (const value of ['{"a":"203.0.113.4/32"}', '["203.0.113.4/32", 7]', '"203.0.113.4/32"']) {
            assert.match(stagingProblems({ sshIngressCidrs: value }).join(), /sshIngressCidrs must be a list of strings/, value);
        }
    });
    it("reads baseImages as an object of known, non-empty strings", () => {
        const images = (validateStack("staging", { baseImages: JSON.stringify({ nginx: "registry.example.com/nginx:1.27" }) }) as StagingConfig).baseImages;
        assert.equal(images.nginx, "registry.example.com/nginx:1.27");
        for (const value of ["nginx=x", '["x"]', "null", "42", '"nginx:1"']) {
            assert.match(stagingProblems({ baseImages: value }).join(), /baseImages must be an object with keys build, runtime, postgres, nginx, acme/, value);
        }
        assert.match(stagingProblems({ baseImages: '{"proxy":"nginx:1"}' }).join(), /baseImages\.proxy is not a known key; allowed: build/);
        assert.match(stagingProblems({ baseImages: '{"nginx":""}' }).join(), /baseImages\.nginx must be a non-empty string/);
        assert.match(stagingProblems({ baseImages: '{"nginx":1}' }).join(), /baseImages\.nginx must be a non-empty string/);
    });
    it("passes a subnet id through to the host and refuses one that is not subnet-<8 to 17 hex>", () => {
        assert.equal((validateStack("staging", { subnetId: "subnet-0123456789abcdef0" }) as StagingConfig).host.subnetId, "subnet-0123456789abcdef0");
        assert.equal((validateStack("staging", { subnetId: "subnet-01234567" }) as StagingConfig).host.subnetId, "subnet-01234567");
        assert.equal((validateStack("staging") as StagingConfig).host.subnetId, undefined);
        for (const subnet of ["subnet-0123456", "subnet-0123456789abcdef01", "subnet-XYZ01234", "sg-01234567", "xsubnet-01234567"]) {
            assert.match(stagingProblems({ subnetId: subnet }).join(), /subnetId ".*" is not a subnet id/, subnet);
        }
    });
});
