export * from "./instanceTypes";
export * from "./network";
