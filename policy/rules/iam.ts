import { PolicyResource, StackResource, asRecord, asString, isUnknown, label } from "./resource";

export const IAM_ROLE = "aws:iam/role:Role";
export const TAG_PROTECTION = "gitlab:index/tagProtection:TagProtection";

/** Create access levels of a protected tag that keep tag creation from developers. */
const RESTRICTED_TAG_CREATORS: readonly string[] = ["maintainer", "no one"];

/** Roles tagged `Purpose=<one of these>` only ever read (a merge request's preview): their subject may name any ref. */
export const DEFAULT_PREVIEW_ROLE_PURPOSES: readonly string[] = ["preview"];

/** Roles tagged `Purpose=<one of these>` deploy production: they trust protected release tags, never a branch. */
export const DEFAULT_PRODUCTION_ROLE_PURPOSES: readonly string[] = ["production"];

type Statement = Record<string, unknown>;

/** The trust policy's statements, or undefined when it is not known yet (preview) or not JSON. */
export function trustStatements(resource: PolicyResource): Statement[] | undefined {
    let document: unknown = resource.props.assumeRolePolicy;
    if (isUnknown(document)) return undefined;
    if (typeof document === "string") {
        try {
            document = JSON.parse(document);
        } catch {
            return undefined;
        }
    }
    const statement = asRecord(document)?.Statement;
    const list = Array.isArray(statement) ? statement : [statement];
    return list.map(asRecord).filter((s): s is Statement => s !== undefined);
}

function listOf(value: unknown): string[] {
    return (Array.isArray(value) ? value : [value]).filter((v): v is string => typeof v === "string");
}

/** The OIDC providers a statement lets a web identity come from (`arn:aws:iam::<acct>:oidc-provider/<issuer>`). */
function oidcIssuers(statement: Statement): string[] {
    if (asString(statement.Effect) !== "Allow") return [];
    const actions = listOf(statement.Action);
    if (!actions.some((action) => action === "sts:AssumeRoleWithWebIdentity" || action === "sts:*" || action === "*")) return [];
    return listOf(asRecord(statement.Principal)?.Federated)
        .map((arn) => /:oidc-provider\/(.+)$/.exec(arn)?.[1])
        .filter((issuer): issuer is string => issuer !== undefined);
}

/** Condition values of `<issuer>:<claim>` under operators that restrict (negated operators restrict nothing). */
function claimConditions(statement: Statement, claim: string): Array<{ operator: string; values: string[] }> {
    const found: Array<{ operator: string; values: string[] }> = [];
    for (const [operator, block] of Object.entries(asRecord(statement.Condition) ?? {})) {
        if (/Not/.test(operator) || /IfExists$/.test(operator)) continue;
        for (const [key, value] of Object.entries(asRecord(block) ?? {})) {
            if (key.toLowerCase().endsWith(`:${claim}`)) found.push({ operator, values: listOf(value) });
        }
    }
    return found;
}

const WILDCARD = /[*?]/;

/**
 * A release tag pattern such as `project_path:group/app:ref_type:tag:ref:v*`: the project and the ref type exact, the
 * tag starting with a literal. It matches only tags GitLab protects under that wildcard; `ref:*` would be any tag.
 */
const TAG_PATTERN_SUBJECT = /^project_path:[^*?:]+:ref_type:tag:ref:[A-Za-z0-9][^?:]*$/;

function purposeOf(resource: PolicyResource): string | undefined {
    return asString(asRecord(resource.props.tags)?.Purpose)?.toLowerCase();
}

/**
 * Mandatory: a role that a GitLab job assumes through OIDC is bound to exact subjects. Its trust must check the
 * token's `aud` and `sub` claims, and a deploy role's `sub` must name exact refs: no `ref:*`, and no wildcard but in a
 * release tag pattern (`ref_type:tag:ref:v*`), or any branch (and so any merge request's job) could take the role.
 * Roles tagged `Purpose=preview` may leave the ref open but must still name the project exactly. Roles tagged
 * `Purpose=production` trust release tags only: GitLab's `sub` of a branch is the same for every job on it, so a
 * production role that trusts `main` is assumed by any job merged code adds on `main`.
 */
export function checkOidcTrust(
    resource: PolicyResource,
    previewPurposes: readonly string[] = DEFAULT_PREVIEW_ROLE_PURPOSES,
    productionPurposes: readonly string[] = DEFAULT_PRODUCTION_ROLE_PURPOSES,
): string[] {
    if (resource.type !== IAM_ROLE) return [];
    const statements = trustStatements(resource);
    if (!statements) return [];
    const purpose = purposeOf(resource);
    const isPreviewRole = purpose !== undefined && previewPurposes.includes(purpose);
    const isProductionRole = purpose !== undefined && productionPurposes.includes(purpose);
    const violations: string[] = [];
    statements.forEach((statement, index) => {
        const issuers = oidcIssuers(statement);
        if (issuers.length === 0) return;
        const where = `assumeRolePolicy Statement[${index}] (web identity from ${issuers.join(", ")})`;
        if (claimConditions(statement, "aud").length === 0) {
            violations.push(`${where} does not check the token's aud claim; require StringEquals on "<issuer>:aud"`);
        }
        const subjects = claimConditions(statement, "sub");
        if (subjects.length === 0) {
            violations.push(`${where} does not check the token's sub claim, so every project on that GitLab can assume the role; ` +
                `require StringEquals on "<issuer>:sub" with "project_path:<group>/<project>:ref_type:branch:ref:main"`);
            return;
        }
        for (const { operator, values } of subjects) {
            for (const subject of values.filter((value) => !isUnknown(value))) {
                if (isProductionRole && !/:ref_type:tag:ref:/.test(subject)) {
                    violations.push(`${where} lets the production role be assumed by "${subject}", which is not a release tag: ` +
                        "every job of a branch pipeline carries the same subject, so code merged to that branch could name this role " +
                        "in any job; trust only protected release tags (\"project_path:group/app:ref_type:tag:ref:v*\")");
                    continue;
                }
                if (!/Like/.test(operator) || !WILDCARD.test(subject)) continue;
                if (TAG_PATTERN_SUBJECT.test(subject)) continue;
                const [projectPart] = subject.split(":ref_type:");
                if (isPreviewRole && !WILDCARD.test(projectPart)) continue;
                const openRef = !/:ref:[^:]*[*?]/.test(subject) ? ""
                    : /:ref_type:tag:/.test(subject) ? " (any tag, so anyone who may push a tag)" : " (any branch, so any merge request's job)";
                violations.push(`${where} trusts the subject pattern "${subject}"${openRef}; a deploy role names exact ` +
                    `subjects with StringEquals (e.g. "project_path:group/app:ref_type:branch:ref:main"), or a release tag pattern ` +
                    `that starts with a literal ("project_path:group/app:ref_type:tag:ref:v*")` +
                    (isPreviewRole ? "; a preview role may leave the ref open but must name the project exactly" : ""));
            }
        }
    });
    return violations;
}

/** `*` as GitLab's protected-tag wildcard and IAM's StringLike read it (any run of characters). */
function globMatches(pattern: string, value: string): boolean {
    return new RegExp(`^${pattern.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\/]/g, "\\$&")).join(".*")}$`).test(value);
}

/**
 * Mandatory, stack-wide: a role that GitLab jobs of tags may assume (a deploy role trusting `ref_type:tag:ref:<p>`)
 * trusts only tags this stack protects with create access for maintainers (or no one): a `TagProtection` whose `tag`
 * is that pattern, or a wildcard covering that exact tag. Otherwise anyone who may push a tag, a developer
 * included, names the tag and takes the role. Preview roles (read-only, any branch) are not judged; a trust or a
 * protection not known yet (preview) is left for `up`.
 */
export function checkReleaseTagsProtected(
    resources: readonly StackResource[],
    previewPurposes: readonly string[] = DEFAULT_PREVIEW_ROLE_PURPOSES,
): string[] {
    const protectedPatterns: string[] = [];
    let unknownProtection = false;
    for (const resource of resources.filter((r) => r.type === TAG_PROTECTION)) {
        const { tag, createAccessLevel } = resource.props;
        if (isUnknown(tag) || isUnknown(createAccessLevel)) unknownProtection = true;
        else if (typeof tag === "string" && RESTRICTED_TAG_CREATORS.includes(String(createAccessLevel).toLowerCase())) protectedPatterns.push(tag);
    }
    if (unknownProtection) return [];
    const violations: string[] = [];
    for (const role of resources.filter((r) => r.type === IAM_ROLE)) {
        const purpose = purposeOf(role);
        if (purpose !== undefined && previewPurposes.includes(purpose)) continue;
        for (const statement of trustStatements(role) ?? []) {
            if (oidcIssuers(statement).length === 0) continue;
            for (const { values } of claimConditions(statement, "sub")) {
                for (const subject of values.filter((value) => !isUnknown(value))) {
                    const tag = /:ref_type:tag:ref:(.+)$/.exec(subject)?.[1];
                    if (tag === undefined) continue;
                    const covered = protectedPatterns.some((pattern) => pattern === tag || (!tag.includes("*") && globMatches(pattern, tag)));
                    if (covered) continue;
                    violations.push(`${label(role)} trusts GitLab jobs of tags "${tag}", but no ${TAG_PROTECTION} in this stack protects ` +
                        `"${tag}" with create access for maintainers (protected: ${protectedPatterns.map((p) => `"${p}"`).join(", ") || "none"}): ` +
                        "anyone who may push a matching tag could assume the role; protect the pattern the role trusts " +
                        "(components/gitlab/releaseTags.ts)");
                }
            }
        }
    }
    return violations;
}
