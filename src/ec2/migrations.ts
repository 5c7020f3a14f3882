import type { Migration } from "../core/db.ts";

/** The EC2 API's tables (ec2 id ↔ OpenStack uuid mappings). */
export const ec2Migrations: Migration[] = [];
