// Layer order: a change to the app's source code alone must reuse the dependency layers (npm ci for the
// build and for production) and rebuild only the compile step and what follows it.
import assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { BuiltImage, DockerCleanup, buildAppImage, requireDocker, uniqueName } from "../support/docker";
import { BuildStep, copyAppContext, parseBuildSteps, removeAppContext } from "./app-context";

describe("app image build cache (real Docker engine)", function () {
    this.timeout(60_000);
    const cleanup = new DockerCleanup();
    let context: string | undefined;
    let rebuild: BuiltImage;
    let steps: BuildStep[];

    before(async function () {
        this.timeout(20 * 60_000);
        await requireDocker();
        context = copyAppContext("cache");
        await buildAppImage({ tag: uniqueName("cache-a"), context, cleanup });
        const server = path.join(context, "src", "server.ts");
        fs.appendFileSync(server, `\n// code-only change for the cache test ${Date.now()}\n`);
        rebuild = await buildAppImage({ tag: uniqueName("cache-b"), context, cleanup });
        steps = parseBuildSteps(rebuild.log).filter((step) => !step.instruction.startsWith("FROM "));
    });
    after(async function () {
        this.timeout(120_000);
        removeAppContext(context);
        await cleanup.run();
    });

    function stepsOf(stage: string): BuildStep[] {
        const found = steps.filter((step) => step.stage === stage);
        assert.ok(found.length > 0, `no steps of stage "${stage}" in the build log:\n${rebuild.log}`);
        return found;
    }

    it("reuses every deps and prod-deps layer (npm ci) after a code-only change", () => {
        for (const stage of ["deps", "prod-deps"]) {
            const rebuilt = stepsOf(stage).filter((step) => !step.cached);
            assert.deepStrictEqual(rebuilt.map((s) => s.instruction), [], `stage ${stage} was rebuilt`);
        }
        assert.ok(stepsOf("deps").some((step) => /npm ci/.test(step.instruction)), "the deps stage runs npm ci");
        assert.ok(stepsOf("prod-deps").some((step) => /npm ci --omit=dev/.test(step.instruction)), "prod-deps runs npm ci --omit=dev");
    });

    it("recompiles the changed source and reuses the runtime's dependency layer", () => {
        const compile = stepsOf("build").find((step) => /COPY src/.test(step.instruction));
        assert.ok(compile && !compile.cached, "COPY src must see the change");
        const tsc = stepsOf("build").find((step) => /npm run build/.test(step.instruction));
        assert.ok(tsc && !tsc.cached, "the compile step must run again");
        const runtime = stepsOf("runtime");
        assert.ok(runtime.find((step) => /--from=prod-deps/.test(step.instruction))?.cached, "production node_modules layer reused");
        assert.strictEqual(runtime.find((step) => /--from=build/.test(step.instruction))?.cached, false, "new dist/ copied");
    });
});
