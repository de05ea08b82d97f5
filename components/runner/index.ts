export * from "./runner";
export * from "./userData";
export * from "./args";
