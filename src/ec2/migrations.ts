import type { Migration } from "../core/db.ts";

/** The EC2 API's tables: ec2 id ↔ OpenStack uuid mappings, reservations and tags. */
export const ec2Migrations: Migration[] = [
  {
    version: 1,
    name: "ids, reservations, tags",
    up: `
      CREATE TABLE ec2_ids (
        ec2_id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        uuid TEXT NOT NULL,
        created_at TEXT NOT NULL,
        UNIQUE (kind, uuid)
      );
      CREATE TABLE ec2_reservations (
        instance_uuid TEXT PRIMARY KEY,
        reservation_id TEXT NOT NULL,
        project_id TEXT NOT NULL,
        launch_index INTEGER NOT NULL DEFAULT 0
      );
      CREATE INDEX ec2_reservations_rid ON ec2_reservations (reservation_id);
      CREATE TABLE ec2_tags (
        project_id TEXT NOT NULL,
        resource_id TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (project_id, resource_id, key)
      );
    `,
  },
  {
    version: 2,
    name: "terminated instances (shown as terminated for an hour, as EC2 does)",
    up: `
      CREATE TABLE ec2_terminated (
        instance_uuid TEXT PRIMARY KEY,
        project_id TEXT NOT NULL,
        view TEXT NOT NULL,
        terminated_at INTEGER NOT NULL
      );
      CREATE INDEX ec2_terminated_project ON ec2_terminated (project_id, terminated_at);
    `,
  },
];
