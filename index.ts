// The Pulumi program's entry point: a table of contents. Config is validated in one place before
// anything is created; each stack's wiring lives in components/program.
//   local   - image and Compose stack on this machine's Docker engine (the default stack)
//   staging - builds and pushes the image, runs it on the staging host
//   prod    - owns the GitLab project, environments, runner; deploys staging's digest to production
import { createProgram } from "./components/program";

export = createProgram();
