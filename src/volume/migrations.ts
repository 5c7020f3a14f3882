import type { Migration } from "../core/db.ts";

/** The volume service's tables. */
export const volumeMigrations: Migration[] = [];
