import type { Migration } from "../../core/db.ts";
import { SEED_FLAVORS } from "./logic/flavors.ts";

/**
 * Compute's "API database" tables (what Nova keeps in nova_api), all prefixed
 * `compute_resources_`. Times are epoch milliseconds.
 */
export const computeResourcesMigrations: Migration[] = [
  {
    version: 1,
    name: "flavors, key pairs, quotas, server groups",
    up: `
CREATE TABLE compute_resources_flavors (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  flavorid TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL UNIQUE,
  memory_mb INTEGER NOT NULL,
  vcpus INTEGER NOT NULL,
  root_gb INTEGER NOT NULL,
  ephemeral_gb INTEGER NOT NULL DEFAULT 0,
  swap INTEGER NOT NULL DEFAULT 0,
  rxtx_factor REAL NOT NULL DEFAULT 1.0,
  rxtx_quota INTEGER NOT NULL DEFAULT 0,
  rxtx_cap INTEGER NOT NULL DEFAULT 0,
  is_public INTEGER NOT NULL DEFAULT 1,
  disabled INTEGER NOT NULL DEFAULT 0,
  description TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER
);
CREATE TABLE compute_resources_flavor_extra_specs (
  flavor_id INTEGER NOT NULL REFERENCES compute_resources_flavors(id) ON DELETE CASCADE,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (flavor_id, key)
);
CREATE TABLE compute_resources_flavor_projects (
  flavor_id INTEGER NOT NULL REFERENCES compute_resources_flavors(id) ON DELETE CASCADE,
  project_id TEXT NOT NULL,
  PRIMARY KEY (flavor_id, project_id)
);
CREATE TABLE compute_resources_keypairs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id TEXT NOT NULL,
  name TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  public_key TEXT NOT NULL,
  type TEXT NOT NULL DEFAULT 'ssh',
  created_at INTEGER NOT NULL,
  UNIQUE (user_id, name)
);
CREATE TABLE compute_resources_quotas (
  project_id TEXT NOT NULL,
  user_id TEXT NOT NULL DEFAULT '',
  resource TEXT NOT NULL,
  hard_limit INTEGER NOT NULL,
  PRIMARY KEY (project_id, user_id, resource)
);
CREATE TABLE compute_resources_quota_classes (
  class_name TEXT NOT NULL,
  resource TEXT NOT NULL,
  hard_limit INTEGER NOT NULL,
  PRIMARY KEY (class_name, resource)
);
CREATE TABLE compute_resources_server_groups (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  uuid TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  project_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  policy TEXT NOT NULL,
  rules TEXT NOT NULL DEFAULT '{}',
  created_at INTEGER NOT NULL
);
CREATE INDEX compute_resources_server_groups_project ON compute_resources_server_groups(project_id);
CREATE TABLE compute_resources_server_group_members (
  group_id INTEGER NOT NULL REFERENCES compute_resources_server_groups(id) ON DELETE CASCADE,
  instance_uuid TEXT NOT NULL UNIQUE,
  PRIMARY KEY (group_id, instance_uuid)
);
`,
  },
  // The default flavors are seeded by a migration, so `tenrec manage db sync` seeds
  // them, and once: a seeded flavor an operator deletes does not come back at the next start.
  {
    version: 2,
    name: "seed the default flavors",
    up: (raw) => {
      const ins = raw.query(
        `INSERT OR IGNORE INTO compute_resources_flavors
           (flavorid, name, memory_mb, vcpus, root_gb, ephemeral_gb, swap, rxtx_factor, is_public, disabled, created_at)
         VALUES (?, ?, ?, ?, ?, 0, 0, 1.0, 1, 0, ?)`,
      );
      const now = Date.now();
      for (const f of SEED_FLAVORS) ins.run(f.flavorid!, f.name, f.ram, f.vcpus, f.disk, now);
      ins.finalize();
    },
  },
];
