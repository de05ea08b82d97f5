export * from "./ciVariable";
export * from "./environments";
export * from "./environmentVariables";
export * from "./project";
export * from "./variables";
export * from "./tier";
export * from "./releaseTags";
