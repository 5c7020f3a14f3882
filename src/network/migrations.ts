import type { Migration } from "../core/db.ts";

/**
 * The network service's tables. Resources (networks, subnets, ports, routers,
 * floating IPs, security groups and rules, agents) are rows of one table with
 * their API body as JSON plus the columns they are looked up by; IP
 * allocations have their own table whose primary key makes a double
 * allocation impossible.
 */
export const networkMigrations: Migration[] = [
  {
    version: 1,
    name: "resources, ip allocations, quotas",
    up: `
      CREATE TABLE network_objects (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        project_id TEXT NOT NULL,
        parent_id TEXT,
        device_id TEXT,
        seq INTEGER NOT NULL,
        data TEXT NOT NULL
      );
      CREATE INDEX network_objects_kind ON network_objects (kind, seq);
      CREATE INDEX network_objects_parent ON network_objects (parent_id);
      CREATE INDEX network_objects_device ON network_objects (device_id);
      CREATE TABLE network_ipallocs (
        subnet_id TEXT NOT NULL,
        ip TEXT NOT NULL,
        port_id TEXT NOT NULL,
        network_id TEXT NOT NULL,
        PRIMARY KEY (subnet_id, ip)
      );
      CREATE INDEX network_ipallocs_port ON network_ipallocs (port_id);
      CREATE TABLE network_quotas (
        project_id TEXT NOT NULL,
        resource TEXT NOT NULL,
        hard_limit INTEGER NOT NULL,
        PRIMARY KEY (project_id, resource)
      );
    `,
  },
];
