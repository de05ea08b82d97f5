export * from "./validate";
export * from "./load";
