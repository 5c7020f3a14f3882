import type { Migration } from "../core/db.ts";

/** The compute service's tables (the servers side; src/compute/resources adds its own). */
export const computeMigrations: Migration[] = [
  {
    version: 1,
    name: "instances, actions, services, compute nodes",
    up: `
CREATE TABLE compute_instances (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  uuid TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  description TEXT,
  project_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  image_ref TEXT NOT NULL DEFAULT '',
  flavor TEXT NOT NULL,
  old_flavor TEXT,
  new_flavor TEXT,
  vm_state TEXT NOT NULL,
  task_state TEXT,
  power_state INTEGER NOT NULL DEFAULT 0,
  host TEXT,
  node TEXT,
  availability_zone TEXT,
  requested_az TEXT,
  key_name TEXT,
  key_data TEXT,
  user_data TEXT,
  config_drive INTEGER NOT NULL DEFAULT 0,
  metadata TEXT NOT NULL DEFAULT '{}',
  tags TEXT NOT NULL DEFAULT '[]',
  security_groups TEXT NOT NULL DEFAULT '[]',
  requested_networks TEXT NOT NULL DEFAULT '"auto"',
  addresses TEXT NOT NULL DEFAULT '{}',
  bdms TEXT NOT NULL DEFAULT '[]',
  server_group TEXT,
  reservation_id TEXT NOT NULL,
  launch_index INTEGER NOT NULL DEFAULT 0,
  hostname TEXT NOT NULL,
  access_ip_v4 TEXT NOT NULL DEFAULT '',
  access_ip_v6 TEXT NOT NULL DEFAULT '',
  disk_config TEXT NOT NULL DEFAULT 'MANUAL',
  locked INTEGER NOT NULL DEFAULT 0,
  locked_by TEXT,
  locked_reason TEXT,
  trusted_certs TEXT,
  progress INTEGER NOT NULL DEFAULT 0,
  fault TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  launched_at INTEGER,
  terminated_at INTEGER,
  deleted INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX compute_instances_project ON compute_instances (project_id, deleted);
CREATE INDEX compute_instances_host ON compute_instances (host, deleted);
CREATE INDEX compute_instances_updated ON compute_instances (updated_at);

CREATE TABLE compute_instance_actions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  instance_uuid TEXT NOT NULL,
  action TEXT NOT NULL,
  request_id TEXT NOT NULL,
  project_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  message TEXT,
  start_time INTEGER NOT NULL,
  finish_time INTEGER,
  updated_at INTEGER NOT NULL
);
CREATE INDEX compute_instance_actions_instance ON compute_instance_actions (instance_uuid);

CREATE TABLE compute_instance_action_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  action_id INTEGER NOT NULL REFERENCES compute_instance_actions (id) ON DELETE CASCADE,
  event TEXT NOT NULL,
  host TEXT,
  result TEXT,
  traceback TEXT,
  details TEXT,
  start_time INTEGER NOT NULL,
  finish_time INTEGER
);
CREATE INDEX compute_instance_action_events_action ON compute_instance_action_events (action_id);

CREATE TABLE compute_services (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  uuid TEXT NOT NULL UNIQUE,
  host TEXT NOT NULL,
  binary TEXT NOT NULL,
  topic TEXT NOT NULL,
  zone TEXT NOT NULL,
  disabled INTEGER NOT NULL DEFAULT 0,
  disabled_reason TEXT,
  forced_down INTEGER NOT NULL DEFAULT 0,
  last_seen_up INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  UNIQUE (host, binary)
);

CREATE TABLE compute_nodes (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  uuid TEXT NOT NULL UNIQUE,
  host TEXT NOT NULL UNIQUE,
  hypervisor_hostname TEXT NOT NULL,
  hypervisor_type TEXT NOT NULL,
  hypervisor_version INTEGER NOT NULL,
  vcpus INTEGER NOT NULL,
  memory_mb INTEGER NOT NULL,
  local_gb INTEGER NOT NULL,
  cpu_info TEXT NOT NULL,
  host_ip TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
`,
  },
  {
    version: 2,
    name: "backups made by createBackup (for rotation)",
    up: `CREATE TABLE compute_backups (
           image_id TEXT PRIMARY KEY,
           instance_uuid TEXT NOT NULL,
           backup_type TEXT NOT NULL,
           created_at INTEGER NOT NULL);
         CREATE INDEX compute_backups_instance ON compute_backups (instance_uuid, backup_type, created_at);`,
  },
  {
    version: 3,
    name: "migrations (resizes) for os-migrations",
    up: `CREATE TABLE compute_migrations (
           id INTEGER PRIMARY KEY AUTOINCREMENT,
           uuid TEXT NOT NULL UNIQUE,
           instance_uuid TEXT NOT NULL,
           migration_type TEXT NOT NULL,
           status TEXT NOT NULL,
           source_compute TEXT, dest_compute TEXT, source_node TEXT, dest_node TEXT, dest_host TEXT,
           old_flavor_id TEXT, new_flavor_id TEXT,
           created_at INTEGER NOT NULL,
           updated_at INTEGER);
         CREATE INDEX compute_migrations_instance ON compute_migrations (instance_uuid, created_at);`,
  },
];
