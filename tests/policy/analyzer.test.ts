import { strict as assert } from "node:assert";
import { ChildProcess, spawn } from "child_process";
import * as path from "path";
import { REPO_ROOT } from "./capture";
import { policies } from "../../policy/policies";
import { UNKNOWN_SENTINELS, UNKNOWN_VALUE } from "../../policy/rules";

// The pack as the Pulumi CLI runs it: `policy/` started through @pulumi/pulumi's run-policy-pack (which
// compiles index.ts with ts-node and type-checks it), then asked over the Analyzer gRPC protocol, like
// `pulumi preview --policy-pack policy` does for every resource.

/* eslint-disable @typescript-eslint/no-require-imports */
const protoDir = path.join(REPO_ROOT, "node_modules", "@pulumi", "pulumi", "proto");
const analyzerRpc = require(path.join(protoDir, "analyzer_grpc_pb.js"));
const analyzerProto = require(path.join(protoDir, "analyzer_pb.js"));
const grpc = require(require.resolve("@grpc/grpc-js", { paths: [protoDir] }));
const { Struct } = require(require.resolve("google-protobuf/google/protobuf/struct_pb", { paths: [protoDir] }));
const { Empty } = require(require.resolve("google-protobuf/google/protobuf/empty_pb", { paths: [protoDir] }));
/* eslint-enable @typescript-eslint/no-require-imports */

type Call = (request: unknown, callback: (err: Error | null, response: any) => void) => void;

function call(client: Record<string, Call>, method: string, request: unknown): Promise<any> {
    return new Promise((resolve, reject) => client[method].call(client, request, (err, response) => (err ? reject(err) : resolve(response))));
}

describe("the policy pack served as the Pulumi CLI runs it", function () {
    this.timeout(180000);
    let pack: ChildProcess | undefined;
    let client: Record<string, Call>;
    let stderr = "";

    before(async () => {
        pack = spawn(process.execPath, [path.join(REPO_ROOT, "node_modules", "@pulumi", "pulumi", "cmd", "run-policy-pack"), "127.0.0.1:1", "."], {
            cwd: path.join(REPO_ROOT, "policy"),
            stdio: ["ignore", "pipe", "pipe"],
        });
        pack.stderr!.on("data", (chunk) => (stderr += chunk));
        const port = await new Promise<number>((resolve, reject) => {
            let stdout = "";
            pack!.stdout!.on("data", (chunk) => {
                stdout += chunk;
                const match = /^(\d+)\s*$/m.exec(stdout);
                if (match) resolve(Number(match[1]));
            });
            pack!.on("exit", (code) => reject(new Error(`policy pack exited with ${code} before serving:\n${stderr}`)));
        });
        client = new analyzerRpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    });

    after(() => {
        (client as unknown as { close?: () => void })?.close?.();
        if (pack?.pid !== undefined && pack.exitCode === null) pack.kill("SIGTERM");
    });

    it("loads, and announces every policy with its enforcement level", async () => {
        const info = await call(client, "getAnalyzerInfo", new Empty());
        const announced = Object.fromEntries(info.getPoliciesList().map((p: any) => [p.getName(), p.getEnforcementlevel()]));
        const { ADVISORY, MANDATORY } = analyzerProto.EnforcementLevel;
        assert.deepEqual(announced, Object.fromEntries(policies.map((p) => [p.name, p.enforcementLevel === "mandatory" ? MANDATORY : ADVISORY])));
        assert.equal(info.getName(), "gitlab-docker-delivery-guardrails");
    });

    function analyzeRequest(type: string, name: string, props: Record<string, unknown>, stack = "prod", protect = false) {
        const request = new analyzerProto.AnalyzeRequest();
        request.setType(type);
        request.setName(name);
        request.setUrn(`urn:pulumi:${stack}::gitlab-docker-delivery::cicd:host:ComposeHost$${type}::${name}`);
        request.setProperties(Struct.fromJavaScript(props));
        const options = new analyzerProto.AnalyzerResourceOptions();
        options.setProtect(protect);
        request.setOptions(options);
        return request;
    }

    it("reports SSH open to the world as a mandatory violation", async () => {
        const response = await call(client, "analyze", analyzeRequest("aws:ec2/securityGroup:SecurityGroup", "web-sg", {
            ingress: [{ protocol: "tcp", fromPort: 22, toPort: 22, cidrBlocks: ["0.0.0.0/0"] }],
            tags: { Project: "p", Stack: "prod", ManagedBy: "pulumi" },
        }));
        const diagnostics = response.getDiagnosticsList().map((d: any) => [d.getPolicyname(), d.getEnforcementlevel(), d.getMessage()]);
        assert.equal(diagnostics.length, 1, JSON.stringify(diagnostics));
        assert.equal(diagnostics[0][0], "no-world-ingress-except-web");
        assert.equal(diagnostics[0][1], analyzerProto.EnforcementLevel.MANDATORY);
        assert.match(diagnostics[0][2], /SSH \(port 22\)/);
    });

    it("still judges a resource whose other inputs are unknown during preview", async () => {
        const response = await call(client, "analyze", analyzeRequest("aws:ec2/securityGroup:SecurityGroup", "web-sg", {
            vpcId: UNKNOWN_VALUE,
            ingress: [{ protocol: "tcp", fromPort: 22, toPort: 22, cidrBlocks: ["0.0.0.0/0"] }],
            tags: UNKNOWN_SENTINELS[6],
        }));
        const diagnostics = response.getDiagnosticsList().map((d: any) => `${d.getPolicyname()}: ${d.getMessage()}`);
        assert.equal(diagnostics.length, 1, diagnostics.join("\n"));
        assert.match(diagnostics[0], /^no-world-ingress-except-web: .*SSH/);
    });

    it("passes a hardened, protected production host with no diagnostics", async () => {
        const response = await call(client, "analyze", analyzeRequest("aws:ec2/instance:Instance", "production-instance", {
            instanceType: "t3.medium",
            metadataOptions: { httpTokens: "required" },
            rootBlockDevice: { encrypted: true, volumeType: "gp3" },
            tags: { Project: "p", Stack: "prod", ManagedBy: "pulumi" },
        }, "prod", true));
        assert.deepEqual(response.getDiagnosticsList().map((d: any) => d.getMessage()), []);
    });

    /** One resource of an AnalyzeStack request, as the engine sends it: outputs, parent, property dependencies. */
    function stackResource(type: string, name: string, component: string, props: Record<string, unknown>, dependencies: Record<string, string[]> = {}) {
        const resource = new analyzerProto.AnalyzerResource();
        resource.setType(type);
        resource.setName(name);
        resource.setUrn(`urn:pulumi:prod::gitlab-docker-delivery::${component.split("::")[0]}$${type}::${name}`);
        const parent = `urn:pulumi:prod::gitlab-docker-delivery::${component}`;
        resource.setParent(parent);
        resource.setProperties(Struct.fromJavaScript(props));
        const options = new analyzerProto.AnalyzerResourceOptions();
        options.setParent(parent);
        resource.setOptions(options);
        for (const [property, urns] of Object.entries(dependencies)) {
            const deps = new analyzerProto.AnalyzerPropertyDependencies();
            deps.setUrnsList(urns);
            resource.getPropertydependenciesMap().set(property, deps);
        }
        return resource;
    }

    it("stops a stack whose host admits the merge-request runner's group, judged by dependencies while ids are unknown", async () => {
        const mrGroup = "urn:pulumi:prod::gitlab-docker-delivery::cicd:runner:Runner$aws:ec2/securityGroup:SecurityGroup::builds-sg";
        const analyze = async (ingressFrom: string) => {
            const request = new analyzerProto.AnalyzeStackRequest();
            request.setResourcesList([
                stackResource("gitlab:index/userRunner:UserRunner", "builds-runner", "cicd:runner:Runner::builds", { accessLevel: "not_protected" }),
                stackResource("aws:ec2/securityGroup:SecurityGroup", "builds-sg", "cicd:runner:Runner::builds", { id: UNKNOWN_VALUE, ingress: [] }),
                stackResource("aws:ec2/securityGroup:SecurityGroup", "production-sg", "cicd:host:Ec2Host::production",
                    { id: UNKNOWN_VALUE, ingress: UNKNOWN_VALUE }, { ingress: [ingressFrom] }),
            ]);
            const response = await call(client, "analyzeStack", request);
            return response.getDiagnosticsList().map((d: any) => [d.getPolicyname(), d.getEnforcementlevel(), d.getMessage()]);
        };
        const stopped = await analyze(mrGroup);
        assert.equal(stopped.length, 1, JSON.stringify(stopped));
        assert.equal(stopped[0][0], "merge-request-runner-untrusted");
        assert.equal(stopped[0][1], analyzerProto.EnforcementLevel.MANDATORY);
        assert.match(stopped[0][2], /"production-sg": ingress takes its source from .* merge-request runner "builds"/);
        assert.deepEqual(await analyze("urn:pulumi:prod::gitlab-docker-delivery::cicd:runner:Runner$aws:ec2/securityGroup:SecurityGroup::deploy-sg"), []);
    });
});
