/**
 * How a component refuses bad arguments: called inside its `super(...)` call, so that nothing registers, not even the
 * component. Throws one error that names the component (`what`) and lists every problem; returns the (empty)
 * component inputs otherwise.
 */
export function rejectProblems(what: string, problems: readonly string[]): Record<string, never> {
    if (problems.length > 0) {
        throw new Error(`${what}: ${problems.join("; ")}`);
    }
    return {};
}
