import type { Migration } from "../core/db.ts";

/** The network service's tables. */
export const networkMigrations: Migration[] = [];
