// Every component of the program, by module. Type tokens: cicd:<module>:<Type>.
export * as backup from "./backup";
export * as config from "./config";
export * as gitlab from "./gitlab";
export * as host from "./host";
export * as image from "./image";
export * as runner from "./runner";
export { createProgram, type ProgramOptions, type ProgramOutputs } from "./program";
