import { strict as assert } from "node:assert";
import { PolicyResource } from "../../policy/rules";
import { runPolicy, urn } from "./harness";

/** A resource of this type in the staging stack, unless `extra` names another URN. */
export function resource(type: string, props: Record<string, unknown>, extra: Partial<PolicyResource> = {}): PolicyResource {
    const name = extra.name ?? "subject";
    return { type, name, urn: extra.urn ?? urn("staging", type, name), props, ...extra };
}

/**
 * Asserts the verdict twice: from the pure rule, and from the pack's own validateResource (through the
 * argument bag the policy engine passes). Both must agree, and a violation must match `expected`.
 */
export async function verdict(policy: string, rule: (r: PolicyResource) => string[], subject: PolicyResource, expected?: RegExp): Promise<void> {
    assertSameVerdict(rule(subject), await runPolicy(policy, subject), expected);
}

/** The pack's violations equal the pure rule's, and they match `expected` (none when it is absent). */
export function assertSameVerdict(pure: readonly string[], pack: readonly string[], expected?: RegExp): void {
    assert.deepEqual(pack, pure, "the pack and the pure rule must report the same violations");
    if (expected) {
        assert.ok(pure.length > 0, `expected a violation matching ${expected}`);
        assert.match(pure.join("\n"), expected);
    } else {
        assert.deepEqual(pure, [], "expected no violation");
    }
}
