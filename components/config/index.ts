export * from "./validate";
export * from "./load";
export * from "./delivery";
export * from "./tls";
