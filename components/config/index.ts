// Re-exported: callers and tests that read config rules keep one import; the rules live in components/checks.
export { isArmInstanceType, isInstanceType, isWorldCidr, parseCidr } from "../checks";
export * from "./keys";
export * from "./types";
export * from "./reader";
export { BASE_IMAGE_ENV, gitlabProjectNameProblem, imageRefProblem } from "./shared";
export * from "./validate";
export * from "./load";
export * from "./delivery";
export * from "./tls";
export { sshHostsFromConfig } from "./host";
export * from "./release";
export * from "./backup";
