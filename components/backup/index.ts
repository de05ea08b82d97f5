// The off-host backup repository (docs/backups.md): the bucket and what each host may do in it.
export * from "./bucket";
export * from "./hostAccess";
