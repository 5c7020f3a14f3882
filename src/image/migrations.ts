import type { Migration } from "../core/db.ts";

/** The image service's tables. */
export const imageMigrations: Migration[] = [];
