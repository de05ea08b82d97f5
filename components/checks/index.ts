export * from "./instanceTypes";
export * from "./network";
export * from "./problems";
