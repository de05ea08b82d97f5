// Issue "Before the first real `pulumi up`", item 12 (key rotation that does not replace the host): the script
// `<name>-ssh-key` runs, run for real in bash and in sh against a scratch HOME, and the dialling key derived
// from the private key the deploy commands use.
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { authorizedKeysCommand, keyMaterial, publicKeyOfPrivateKey } from "../../../components/host/authorizedKeys";
import { generateDeployKey } from "../../support/simHosts";

const OWNER = "gitlab-docker-delivery:prod";
const OLD = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOldOldOldOldOldOldOldOldOldOldOldOldOld deploy@old";
const NEW = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINewNewNewNewNewNewNewNewNewNewNewNewNew deploy@new";
const HAND = 'from="203.0.113.4" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHandHandHandHandHandHandHandHandHand alice@laptop';
const SEED = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOldOldOldOldOldOldOldOldOldOldOldOldOld web-key-3f2a1b"; // cloud-init's line from the key pair

interface Run {
    readonly status: number | null;
    readonly stdout: string;
    readonly stderr: string;
    readonly keys: string[];
    readonly mode: number;
    readonly inode: number;
    readonly leftovers: string[];
}

/** Runs the generated script with `shell` in a scratch HOME whose authorized_keys holds `lines` (none: no file). */
function runIn(home: string, script: string, shell = "bash"): Run {
    const result = spawnSync(shell, ["-c", script], { env: { HOME: home, PATH: "/usr/bin:/bin" }, encoding: "utf8", timeout: 20000 });
    const file = path.join(home, ".ssh", "authorized_keys");
    const stat = fs.existsSync(file) ? fs.statSync(file) : undefined;
    return {
        status: result.status,
        stdout: result.stdout,
        stderr: result.stderr,
        keys: stat ? fs.readFileSync(file, "utf8").split("\n").filter((l) => l !== "") : [],
        mode: stat ? stat.mode & 0o777 : -1,
        inode: stat ? stat.ino : -1,
        leftovers: fs.readdirSync(path.join(home, ".ssh")).filter((f) => f !== "authorized_keys"),
    };
}

function scratchHome(lines?: string[]): string {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), "keyrot-home-"));
    if (lines !== undefined) {
        fs.mkdirSync(path.join(home, ".ssh"), { mode: 0o700 });
        fs.writeFileSync(path.join(home, ".ssh", "authorized_keys"), lines.map((l) => `${l}\n`).join(""), { mode: 0o600 });
    }
    return home;
}

const homes: string[] = [];
function home(lines?: string[]): string {
    const dir = scratchHome(lines);
    homes.push(dir);
    return dir;
}
after(() => homes.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

describe("#12 item 12: a key rotation leaves only the keys the program owns in authorized_keys", () => {
    for (const shell of ["bash", "sh"]) {
        describe(`run in ${shell}`, () => {
            it("first run adopts cloud-init's seed line of the same key, keeps the hand-added key, and a second run changes nothing", () => {
                const dir = home([HAND, SEED]);
                const script = authorizedKeysCommand({ install: OLD, dialling: keyMaterial(OLD), owner: OWNER });
                const first = runIn(dir, script, shell);
                assert.equal(first.status, 0, first.stderr);
                assert.deepEqual(first.keys, [HAND, `${OLD} ${OWNER}`]);
                assert.equal(first.mode, 0o600);
                const second = runIn(dir, script, shell);
                assert.equal(second.status, 0, second.stderr);
                assert.deepEqual(second.keys, first.keys);
                assert.equal(second.inode, first.inode, "an unchanged file is not rewritten");
                assert.match(second.stdout, /authorized_keys unchanged/);
                assert.deepEqual(second.leftovers, [], "no temporary file left behind");
            });

            it("step 1 (new sshPublicKey, old private key still dialling): the new key is installed, the old one stays for this up", () => {
                const dir = home([`${OLD} ${OWNER}`, HAND]);
                const result = runIn(dir, authorizedKeysCommand({ install: NEW, dialling: keyMaterial(OLD), owner: OWNER }), shell);
                assert.equal(result.status, 0, result.stderr);
                assert.deepEqual(result.keys, [HAND, `${keyMaterial(OLD)} ${OWNER}`, `${NEW} ${OWNER}`]);
            });

            it("step 2 (new sshPrivateKey too): the old key of ours goes, the hand-added key stays, in one rename with mode 0600", () => {
                const dir = home([HAND, `${keyMaterial(OLD)} ${OWNER}`, `${NEW} ${OWNER}`]);
                fs.chmodSync(path.join(dir, ".ssh", "authorized_keys"), 0o644);
                const before = fs.statSync(path.join(dir, ".ssh", "authorized_keys")).ino;
                const script = authorizedKeysCommand({ install: NEW, dialling: keyMaterial(NEW), owner: OWNER });
                const result = runIn(dir, script, shell);
                assert.equal(result.status, 0, result.stderr);
                assert.deepEqual(result.keys, [HAND, `${NEW} ${OWNER}`]);
                assert.ok(!result.keys.some((l) => l.includes(keyMaterial(OLD) ?? "?")), "the old key is gone");
                assert.equal(result.mode, 0o600);
                assert.notEqual(result.inode, before, "replaced by a rename, never edited in place");
                assert.match(result.stdout, /removed 1 previously installed key/);
                assert.deepEqual(runIn(dir, script, shell).keys, result.keys, "a second run with the same key changes nothing");
            });

            it("when the dialling key cannot be read, no key of ours is removed: the new one is added and a warning says so", () => {
                const dir = home([`${OLD} ${OWNER}`, HAND]);
                const result = runIn(dir, authorizedKeysCommand({ install: NEW, owner: OWNER }), shell);
                assert.equal(result.status, 0, result.stderr);
                assert.deepEqual(result.keys, [`${OLD} ${OWNER}`, HAND, `${NEW} ${OWNER}`]);
                assert.match(result.stdout, /WARNING: .*earlier keys of gitlab-docker-delivery:prod were kept; remove them from .* by hand/);
            });
        });
    }

    it("keeps another stack's keys: only lines marked with this owner are ours", () => {
        const other = `${OLD} gitlab-docker-delivery:staging`;
        const dir = home([other, HAND]);
        const result = runIn(dir, authorizedKeysCommand({ install: NEW, dialling: keyMaterial(NEW), owner: OWNER }));
        assert.equal(result.status, 0, result.stderr);
        assert.deepEqual(result.keys, [other, HAND, `${NEW} ${OWNER}`]);
    });

    it("creates ~/.ssh (0700) and authorized_keys (0600) on a fresh login", () => {
        const dir = home();
        const result = runIn(dir, authorizedKeysCommand({ install: NEW, owner: OWNER }));
        assert.equal(result.status, 0, result.stderr);
        assert.deepEqual(result.keys, [`${NEW} ${OWNER}`]);
        assert.equal(result.mode, 0o600);
        assert.equal(fs.statSync(path.join(dir, ".ssh")).mode & 0o777, 0o700);
    });

    it("leaves authorized_keys as it was when the rewrite fails (nothing half-written, nobody locked out)", () => {
        const dir = home([`${OLD} ${OWNER}`, HAND]);
        const script = authorizedKeysCommand({ install: NEW, dialling: keyMaterial(NEW), owner: OWNER }).replace("awk '", "false && awk '");
        const result = runIn(dir, script);
        assert.notEqual(result.status, 0);
        assert.match(result.stderr, /ERROR: the new authorized_keys lacks the key being installed; .* left as it was/);
        assert.deepEqual(result.keys, [`${OLD} ${OWNER}`, HAND]);
        assert.deepEqual(result.leftovers, []);
    });

    it("refuses a public key that is not an OpenSSH key line and an owner that could break the line", () => {
        assert.throws(() => authorizedKeysCommand({ install: "not a key!", owner: OWNER }), /\[ssh\.publicKey\] "not a key!" is not an OpenSSH public key line/);
        assert.throws(() => authorizedKeysCommand({ install: NEW, owner: "a b" }), /\[owner\] "a b" may hold only/);
    });
});

describe("#12 item 12: the key the deploy commands dial with, read from the private key", () => {
    it("reads an OpenSSH ed25519 key's public half and never returns private material", () => {
        const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "keyrot-key-"));
        homes.push(scratch);
        const key = generateDeployKey("deploy@test", scratch);
        const derived = publicKeyOfPrivateKey(key.privateKey);
        assert.equal(derived, keyMaterial(key.publicKey));
    });

    it("reads PEM RSA, ECDSA and Ed25519 keys as ssh-keygen -y would", () => {
        const rsa = crypto.generateKeyPairSync("rsa", { modulusLength: 2048, publicExponent: 65537 });
        const pem = rsa.privateKey.export({ type: "pkcs1", format: "pem" }).toString();
        const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "keyrot-key-"));
        homes.push(scratch);
        fs.writeFileSync(path.join(scratch, "id_rsa"), pem, { mode: 0o600 });
        const keygen = spawnSync("ssh-keygen", ["-y", "-f", path.join(scratch, "id_rsa")], { encoding: "utf8" });
        assert.equal(keygen.status, 0, keygen.stderr);
        assert.equal(publicKeyOfPrivateKey(pem), keyMaterial(keygen.stdout));
        const ec = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" });
        assert.match(publicKeyOfPrivateKey(ec.privateKey.export({ type: "sec1", format: "pem" }).toString()) ?? "", /^ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABB/);
        const ed = crypto.generateKeyPairSync("ed25519");
        assert.match(publicKeyOfPrivateKey(ed.privateKey.export({ type: "pkcs8", format: "pem" }).toString()) ?? "", /^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI/);
    });

    it("reads PEM ECDSA keys on every curve OpenSSH has (P-256, P-384, P-521) as ssh-keygen -y would", () => {
        const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "keyrot-key-"));
        homes.push(scratch);
        for (const namedCurve of ["P-256", "P-384", "P-521"]) {
            const pem = crypto.generateKeyPairSync("ec", { namedCurve }).privateKey.export({ type: "sec1", format: "pem" }).toString();
            const file = path.join(scratch, `id_ecdsa_${namedCurve}`);
            fs.writeFileSync(file, pem, { mode: 0o600 });
            const keygen = spawnSync("ssh-keygen", ["-y", "-f", file], { encoding: "utf8" });
            assert.equal(keygen.status, 0, keygen.stderr);
            assert.equal(publicKeyOfPrivateKey(pem), keyMaterial(keygen.stdout), namedCurve);
        }
    });

    it("answers undefined, not a guess, for a key it cannot read", () => {
        assert.equal(publicKeyOfPrivateKey("-----BEGIN OPENSSH PRIVATE KEY-----\nFAKE\n-----END OPENSSH PRIVATE KEY-----\n"), undefined);
        assert.equal(publicKeyOfPrivateKey("nonsense"), undefined);
        // Keys Node reads but SSH has no key type for: never passed off as an Ed25519 or ECDSA key.
        const ed448 = crypto.generateKeyPairSync("ed448").privateKey.export({ type: "pkcs8", format: "pem" }).toString();
        assert.equal(publicKeyOfPrivateKey(ed448), undefined, "Ed448");
        const secp256k1 = crypto.generateKeyPairSync("ec", { namedCurve: "secp256k1" }).privateKey.export({ type: "sec1", format: "pem" }).toString();
        assert.equal(publicKeyOfPrivateKey(secp256k1), undefined, "ECDSA on secp256k1");
    });
});
