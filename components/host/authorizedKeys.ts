import * as crypto from "crypto";

// The host's authorized_keys holds only the keys this program owns plus whatever the operator added by hand.
// Ours carry the owner mark as their last word. The old key cannot be named by the program (it is gone from the
// config) nor reliably read from the command's previous output (PULUMI_COMMAND_STDOUT reaches a remote command
// only through SSH's setenv, which sshd refuses unless AcceptEnv lists it); the mark names it on the host.

/** `<type> <base64 blob>` of an OpenSSH public key line, or undefined when the line is not one. */
export function keyMaterial(publicKeyLine: string): string | undefined {
    if (/[\r\n]/.test(publicKeyLine.trim())) return undefined;
    const [type, blob] = publicKeyLine.trim().split(/\s+/);
    return /^(ssh-|ecdsa-sha2-|sk-)[a-z0-9@.-]+$/.test(type ?? "") && /^[A-Za-z0-9+/]+=*$/.test(blob ?? "") ? `${type} ${blob}` : undefined;
}

function sshString(value: Buffer | string): Buffer {
    const body = typeof value === "string" ? Buffer.from(value) : value;
    const length = Buffer.alloc(4);
    length.writeUInt32BE(body.length);
    return Buffer.concat([length, body]);
}

function sshMpint(base64url: string): Buffer {
    let bytes = Buffer.from(base64url, "base64url");
    while (bytes.length > 1 && bytes[0] === 0) bytes = bytes.subarray(1);
    return sshString(bytes[0] & 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes);
}

/** The public blob stored in the clear at the head of an `openssh-key-v1` file (encrypted or not). */
function openSshPublicBlob(pem: string): Buffer | undefined {
    const body = pem.match(/-----BEGIN OPENSSH PRIVATE KEY-----([\s\S]*?)-----END OPENSSH PRIVATE KEY-----/)?.[1];
    if (body === undefined) return undefined;
    const data = Buffer.from(body.replace(/\s+/g, ""), "base64");
    const magic = "openssh-key-v1\0";
    if (data.subarray(0, magic.length).toString("latin1") !== magic) return undefined;
    let offset = magic.length;
    const next = (): Buffer => {
        const length = data.readUInt32BE(offset);
        const value = data.subarray(offset + 4, offset + 4 + length);
        if (value.length !== length) throw new RangeError("truncated key");
        offset += 4 + length;
        return value;
    };
    next(); // cipher
    next(); // kdf
    next(); // kdf options
    offset += 4; // key count: the first key is the one ssh uses
    return next();
}

/** The public blob of a PEM (PKCS#1, SEC1, PKCS#8) RSA, ECDSA or Ed25519 private key without a passphrase. */
function pemPublicBlob(pem: string): Buffer | undefined {
    const jwk = crypto.createPublicKey(pem).export({ format: "jwk" });
    if (jwk.kty === "OKP" && jwk.crv === "Ed25519" && jwk.x) return Buffer.concat([sshString("ssh-ed25519"), sshString(Buffer.from(jwk.x, "base64url"))]);
    if (jwk.kty === "RSA" && jwk.e && jwk.n) return Buffer.concat([sshString("ssh-rsa"), sshMpint(jwk.e), sshMpint(jwk.n)]);
    const curve = { "P-256": "nistp256", "P-384": "nistp384", "P-521": "nistp521" }[jwk.crv ?? ""];
    if (jwk.kty === "EC" && curve && jwk.x && jwk.y) {
        const point = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x, "base64url"), Buffer.from(jwk.y, "base64url")]);
        return Buffer.concat([sshString(`ecdsa-sha2-${curve}`), sshString(curve), sshString(point)]);
    }
    return undefined;
}

/**
 * `<type> <base64 blob>` of the public half of `privateKey`: the key the deploy commands log in with. Undefined
 * when it cannot be read (an unknown format, or a PEM key with a passphrase). Never returns private material.
 */
export function publicKeyOfPrivateKey(privateKey: string): string | undefined {
    try {
        const blob = openSshPublicBlob(privateKey) ?? pemPublicBlob(privateKey);
        if (blob === undefined || blob.length < 4) return undefined;
        const type = blob.subarray(4, 4 + blob.readUInt32BE(0)).toString("latin1");
        return /^[a-z0-9@.-]+$/.test(type) ? `${type} ${blob.toString("base64")}` : undefined;
    } catch {
        return undefined;
    }
}

export interface AuthorizedKeysPlan {
    /** The OpenSSH public key line to install (config's sshPublicKey). */
    readonly install: string;
    /**
     * `<type> <blob>` of the key this very command logs in with; kept (and marked ours) until it is `install`.
     * Unknown: no key of ours is removed, since the one still dialling cannot be told apart.
     */
    readonly dialling?: string;
    /** The mark on our lines, e.g. `gitlab-docker-delivery:prod`. */
    readonly owner: string;
}

/**
 * Rewrites ~/.ssh/authorized_keys in one rename: every hand-added line kept, our lines reduced to `install` and
 * the key this session dialled with (so the next command of the same `up` still logs in), both marked ours.
 * Lines carrying either key are adopted (the key pair's seed line from cloud-init becomes ours); any other line
 * marked ours is a previously installed key and goes. Nothing changes when the result equals the file.
 */
export function authorizedKeysCommand(plan: AuthorizedKeysPlan): string {
    const install = keyMaterial(plan.install);
    if (install === undefined) throw new Error(`[ssh.publicKey] "${plan.install}" is not an OpenSSH public key line`);
    if (!/^[A-Za-z0-9._:-]+$/.test(plan.owner)) throw new Error(`[owner] "${plan.owner}" may hold only letters, digits and . _ : -`);
    const keep = plan.dialling !== undefined && plan.dialling !== install ? plan.dialling : "";
    const vars = {
        KEYS_OWNER: plan.owner,
        KEYS_INSTALL: `${plan.install.trim()} ${plan.owner}`,
        KEYS_DIALLING: keep === "" ? "" : `${keep} ${plan.owner}`,
        KEYS_REMOVE_OLD: plan.dialling === undefined ? "no" : "yes",
    };
    const quote = (value: string) => `'${value.replace(/'/g, `'"'"'`)}'`;
    return [
        "set -eu",
        "umask 077",
        ...Object.entries(vars).map(([name, value]) => `${name}=${quote(value)}; export ${name}`),
        'keys="$HOME/.ssh/authorized_keys"',
        'mkdir -p "$HOME/.ssh"; [ -e "$keys" ] || : > "$keys"',
        'next=$(mktemp "$HOME/.ssh/authorized_keys.XXXXXX")',
        'KEYS_COUNT="$next.count"; export KEYS_COUNT',
        'trap \'rm -f "$next" "$KEYS_COUNT"\' EXIT',
        // Our key's identity is `<type> <blob>`: the first field that names a key type, whatever options precede it.
        `awk 'function material(line,  n, f, i) { n = split(line, f, /[ \\t]+/); for (i = 1; i < n; i++) if (f[i] ~ /^(ssh-|ecdsa-sha2-|sk-)/) return f[i] " " f[i + 1]; return "" }
BEGIN { install = material(ENVIRON["KEYS_INSTALL"]); dialling = material(ENVIRON["KEYS_DIALLING"]) }
{ m = material($0)
  if (m != "" && (m == install || m == dialling)) next
  if (NF > 1 && $NF == ENVIRON["KEYS_OWNER"] && ENVIRON["KEYS_REMOVE_OLD"] == "yes") { removed++; next }
  print }
END { if (dialling != "") print ENVIRON["KEYS_DIALLING"]; print ENVIRON["KEYS_INSTALL"]; print removed + 0 > ENVIRON["KEYS_COUNT"] }' "$keys" > "$next"`,
        // Never lock anyone out: the file that replaces the old one must hold the key being installed.
        'grep -qxF "$KEYS_INSTALL" "$next" || { echo "ERROR: the new authorized_keys lacks the key being installed; $keys left as it was" >&2; exit 1; }',
        'removed=$(cat "$KEYS_COUNT")',
        'if cmp -s "$next" "$keys"; then echo "authorized_keys unchanged: $KEYS_OWNER keys in place"; exit 0; fi',
        'chmod 600 "$next"',
        'mv -f "$next" "$keys"',
        'echo "authorized_keys: installed $(echo "$KEYS_INSTALL" | cut -d" " -f1) key of $KEYS_OWNER; removed $removed previously installed key(s)${KEYS_DIALLING:+; kept the key this session logged in with until sshPrivateKey is the new key}"',
        '[ "$KEYS_REMOVE_OLD" = yes ] || echo "WARNING: the deploy key\'s public half could not be read from sshPrivateKey, so earlier keys of $KEYS_OWNER were kept; remove them from $keys by hand"',
    ].join("\n");
}
