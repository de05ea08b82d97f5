// npm run bench:image — what the multi-stage Dockerfile buys over the naive single-stage one, measured on
// the real engine with the offline stand-in base images: image size, bytes added over the base image,
// cold build time against a code-only rebuild, and the runtime image's layer count. Prints a table.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DockerCleanup, buildAppImage, docker, ensureStandInImages, requireDocker, uniqueName } from "../../tests/support/docker";
import { copyAppContext, removeAppContext } from "../../tests/image/app-context";

interface ImageFacts {
    readonly size: number;
    readonly layers: number;
}

async function facts(ref: string): Promise<ImageFacts> {
    const out = (await docker(["image", "inspect", "--format", "{{.Size}} {{len .RootFS.Layers}}", ref])).stdout.trim();
    const [size, layers] = out.split(" ").map(Number);
    return { size, layers };
}

const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;
const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const ratio = (a: number, b: number): string => `${(a / b).toFixed(2)}x`;

async function main(): Promise<void> {
    await requireDocker();
    const images = await ensureStandInImages();
    const cleanup = new DockerCleanup();
    const context = copyAppContext("bench-image");
    try {
        process.stderr.write("building single-stage (--no-cache)...\n");
        const single = await buildAppImage({ tag: uniqueName("bench-single"), context, dockerfile: "Dockerfile.single-stage", noCache: true, cleanup });
        process.stderr.write("building multi-stage (--no-cache)...\n");
        const multi = await buildAppImage({ tag: uniqueName("bench-multi"), context, noCache: true, cleanup });
        fs.appendFileSync(path.join(context, "src", "server.ts"), `\n// bench: code-only change ${Date.now()}\n`);
        process.stderr.write("rebuilding multi-stage after a code-only change...\n");
        const rebuild = await buildAppImage({ tag: uniqueName("bench-rebuild"), context, cleanup });

        const [singleFacts, multiFacts, buildBase, runtimeBase] = await Promise.all([
            facts(single.tag), facts(multi.tag), facts(images.BUILD_IMAGE), facts(images.RUNTIME_IMAGE),
        ]);
        const singleAdded = singleFacts.size - buildBase.size;
        const multiAdded = multiFacts.size - runtimeBase.size;
        const rows: [string, string, string, string][] = [
            ["image size", mb(singleFacts.size), mb(multiFacts.size), ratio(singleFacts.size, multiFacts.size)],
            ["bytes added over its base image", mb(singleAdded), mb(multiAdded), ratio(singleAdded, multiAdded)],
            ["cold build (--no-cache)", seconds(single.durationMs), seconds(multi.durationMs), ratio(single.durationMs, multi.durationMs)],
            ["layers (total / added over base)", `${singleFacts.layers} / ${singleFacts.layers - buildBase.layers}`,
                `${multiFacts.layers} / ${multiFacts.layers - runtimeBase.layers}`, ""],
        ];
        const rebuildRow = ["multi-stage: cold build vs code-only rebuild", seconds(multi.durationMs), seconds(rebuild.durationMs), ratio(multi.durationMs, rebuild.durationMs)];

        const cpu = os.cpus()[0]?.model ?? "unknown CPU";
        const engine = (await docker(["version", "--format", "{{.Server.Version}}"])).stdout.trim();
        console.log(`machine: ${os.cpus().length} x ${cpu}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Docker ${engine}`);
        console.log(`bases: BUILD_IMAGE=${images.BUILD_IMAGE} (${mb(buildBase.size)}), RUNTIME_IMAGE=${images.RUNTIME_IMAGE} (${mb(runtimeBase.size)})`);
        console.log("");
        console.log("| measure | single-stage | multi-stage | single / multi |");
        console.log("|---|---:|---:|---:|");
        for (const row of rows) console.log(`| ${row.join(" | ")} |`);
        console.log("");
        console.log("| measure | cold | code-only rebuild | cold / rebuild |");
        console.log("|---|---:|---:|---:|");
        console.log(`| ${rebuildRow.join(" | ")} |`);
    } finally {
        removeAppContext(context);
        await cleanup.run();
    }
}

main().catch((error: unknown) => {
    console.error(`ERROR: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
});
