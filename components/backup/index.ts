// The off-host backup repository (docs/backups.md): the bucket, what each host may do in it, and what a host gets.
export * from "./bucket";
export * from "./hostAccess";
export * from "./hostFiles";
export * from "./hostBackup";
