export * from "./context";
export * from "./localImage";
export * from "./registryImage";
export * from "./promotedImage";
