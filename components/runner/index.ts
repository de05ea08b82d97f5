export * from "./runner";
export * from "./userData";
