/** The roles one process can play; `all` is the default. */
export const ROLES = ["ingest", "process", "api", "scheduler"] as const;
/** One role of a process. */
export type Role = (typeof ROLES)[number];
