import { busMigrations } from "./core/bus.ts";
import type { Db, Migration } from "./core/db.ts";
import { identityMigrations } from "./identity/migrations.ts";
import { objectstoreMigrations } from "./objectstore/migrations.ts";
import { imageMigrations } from "./image/migrations.ts";
import { networkMigrations } from "./network/migrations.ts";
import { volumeMigrations } from "./volume/migrations.ts";
import { computeMigrations } from "./compute/migrations.ts";
import { computeResourcesMigrations } from "./compute/resources/migrations.ts";
import { ec2Migrations } from "./ec2/migrations.ts";

/** Every service's migrations, in the order they apply (`tenrec manage db sync` and start-up). */
export const MIGRATIONS: [service: string, migrations: Migration[]][] = [
  ["core", busMigrations],
  ["identity", identityMigrations],
  ["objectstore", objectstoreMigrations],
  ["image", imageMigrations],
  ["network", networkMigrations],
  ["volume", volumeMigrations],
  ["compute", computeMigrations],
  ["compute_resources", computeResourcesMigrations],
  ["ec2", ec2Migrations],
];

/** Apply all pending migrations; returns how many ran per service. */
export function syncAll(db: Db): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [svc, migs] of MIGRATIONS) out[svc] = db.migrate(svc, migs);
  return out;
}
