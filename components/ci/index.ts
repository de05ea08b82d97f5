export * from "./trust";
export * from "./oidcRoles";
