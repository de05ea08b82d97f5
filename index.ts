// The Pulumi program, as a table of contents. The stack name picks the environment:
//   local   - LocalImage (docker build) + LocalTarget (Compose stack on this machine's Docker engine),
//             plus a sandbox Project when gitlabToken is set
//   staging - RegistryImage (build + push) + EnvironmentVariables + ComposeHost; the project is read from prod
//   prod    - Project + Runner + EnvironmentVariables + PromotedImage (staging's digest) + ComposeHost
// Wiring per environment: components/program. Every config key: docs/config.md.
import { loadConfig } from "./components/config";
import { createStack } from "./components/program";

// Validated as a whole before any resource exists: one error naming every bad key.
const config = loadConfig(__dirname);

// The components of this stack's environment; what they return are the stack outputs.
export = createStack(config, __dirname);
