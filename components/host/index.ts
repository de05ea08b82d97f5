export * from "./commands";
export * from "./composeHost";
export * from "./localTarget";
