import { strict as assert } from "assert";
import { rejectProblems } from "../../../components/checks";

// How every component refuses bad arguments (components/checks/problems.ts).
describe("rejectProblems", () => {
    it("reports every problem at once, under the component's name, and nothing for good arguments", () => {
        assert.deepEqual(rejectProblems('cicd:runner:Runner "ci"', []), {});
        assert.throws(() => rejectProblems('cicd:runner:Runner "ci"', ["[a] one", "[b] two"]), (err: Error) => {
            assert.ok(err.message.startsWith('cicd:runner:Runner "ci": '), err.message);
            assert.ok(err.message.includes("[a] one") && err.message.includes("[b] two"), err.message);
            return true;
        });
    });
});
