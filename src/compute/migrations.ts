import type { Migration } from "../core/db.ts";

/** The compute service's tables. */
export const computeMigrations: Migration[] = [];
