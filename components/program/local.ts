// `local`: the image built and the stack run on this machine's Docker engine; no cloud, no push. GitLab only when
// `gitlabToken` is set: then a personal sandbox project as well, to try the project setup against.
import * as pulumi from "@pulumi/pulumi";
import { LocalConfig, PULUMI_PROJECT, SandboxGitLabConfig } from "../config";
import { Project } from "../gitlab";
import { LocalTarget } from "../host";
import { LocalImage } from "../image";
import { ProgramOutputs, appDir, bundleDir, gitlabProvider } from "./shared";

export function localProgram(config: LocalConfig, repoRoot: string): ProgramOutputs {
    const image = new LocalImage("app-image", {
        contextDir: appDir(repoRoot),
        repository: `${PULUMI_PROJECT}-local/app`,
        buildArgs: {
            BUILD_IMAGE: config.baseImages.build,
            RUNTIME_IMAGE: config.baseImages.runtime,
            APP_VERSION: config.appVersion,
            // Only when configured: a per-commit build arg would rebuild an unchanged source.
            GIT_COMMIT: config.gitCommit || undefined,
        },
        caFile: config.buildCaFile,
    });
    const target = new LocalTarget("local", {
        bundleDir: bundleDir(repoRoot),
        stateDir: config.stateDir,
        image: { ref: image.ref, id: image.imageId },
        httpPort: config.httpPort,
        httpsPort: config.httpsPort,
        composeProject: config.composeProject,
        dbPassword: config.dbPassword === undefined ? undefined : pulumi.secret(config.dbPassword),
        composeImages: { postgres: config.baseImages.postgres, nginx: config.baseImages.nginx, acme: config.baseImages.acme },
        backup: config.backup.enabled,
    });
    const outputs: ProgramOutputs = {
        environment: "local",
        url: target.url,
        tls:
            config.httpsPort === undefined
                ? `off: plain HTTP on 127.0.0.1:${config.httpPort}; set httpsPort (e.g. 8443) for HTTPS with a CA made on this machine`
                : `on: HTTPS on https://localhost:${config.httpsPort} with a certificate from a CA made on this machine (trust caFile); port ${config.httpPort} redirects`,
        ...(target.caFile === undefined ? {} : { caFile: target.caFile }),
        imageRef: image.ref,
        imageId: image.imageId,
        composeProject: target.composeProject,
        envFile: target.envFile,
        apiWriteToken: target.apiWriteToken,
    };
    if (config.gitlab !== undefined) {
        const sandbox = sandboxProject(config.gitlab);
        outputs.projectId = sandbox.projectId;
        outputs.projectUrl = sandbox.webUrl;
    }
    return outputs;
}

/**
 * The local stack's sandbox: the same `Project` prod owns, under its own name, so the project setup can be tried
 * without touching the real one. Nothing is pushed to its registry and no runner serves it.
 */
function sandboxProject(settings: SandboxGitLabConfig): Project {
    return new Project(
        "sandbox",
        {
            project: {
                name: settings.projectName,
                namespaceId: settings.namespaceId,
                description: `Personal sandbox of ${PULUMI_PROJECT}, provisioned by its local stack.`,
            },
        },
        { providers: { gitlab: gitlabProvider(settings) } },
    );
}
