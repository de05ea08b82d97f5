export * from "./resource";
export * from "./network";
export * from "./compute";
export * from "./secrets";
export * from "./gitlab";
export * from "./images";
export * from "./tags";
