import type { Migration } from "../core/db.ts";

/**
 * The volume service's tables. Metadata maps are JSON text columns (they are
 * always read and written whole with their row).
 */
export const volumeMigrations: Migration[] = [
  {
    version: 1,
    name: "volumes, snapshots, types, attachments, quotas, services",
    up: `
      CREATE TABLE volume_types (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        description TEXT,
        is_public INTEGER NOT NULL DEFAULT 1,
        extra_specs TEXT NOT NULL DEFAULT '{}',
        encryption TEXT,
        qos_specs_id TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT);
      CREATE TABLE volume_type_access (
        type_id TEXT NOT NULL REFERENCES volume_types(id) ON DELETE CASCADE,
        project_id TEXT NOT NULL,
        PRIMARY KEY (type_id, project_id));
      CREATE TABLE volume_volumes (
        id TEXT PRIMARY KEY,
        project_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        name TEXT,
        description TEXT,
        size INTEGER NOT NULL,
        status TEXT NOT NULL,
        attach_status TEXT NOT NULL DEFAULT 'detached',
        migration_status TEXT,
        availability_zone TEXT NOT NULL,
        type_id TEXT NOT NULL,
        bootable INTEGER NOT NULL DEFAULT 0,
        multiattach INTEGER NOT NULL DEFAULT 0,
        readonly INTEGER,
        snapshot_id TEXT,
        source_volid TEXT,
        image_id TEXT,
        metadata TEXT NOT NULL DEFAULT '{}',
        image_metadata TEXT NOT NULL DEFAULT '{}',
        format TEXT NOT NULL DEFAULT 'raw',
        fault TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT);
      CREATE INDEX volume_volumes_project ON volume_volumes (project_id);
      CREATE TABLE volume_attachments (
        id TEXT PRIMARY KEY,
        volume_id TEXT NOT NULL REFERENCES volume_volumes(id) ON DELETE CASCADE,
        project_id TEXT NOT NULL,
        instance_id TEXT,
        host TEXT,
        mountpoint TEXT,
        attach_status TEXT NOT NULL,
        attach_mode TEXT NOT NULL DEFAULT 'rw',
        connector TEXT,
        attached_at TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT);
      CREATE INDEX volume_attachments_volume ON volume_attachments (volume_id);
      CREATE TABLE volume_snapshots (
        id TEXT PRIMARY KEY,
        project_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        volume_id TEXT NOT NULL,
        name TEXT,
        description TEXT,
        size INTEGER NOT NULL,
        status TEXT NOT NULL,
        progress TEXT NOT NULL DEFAULT '0%',
        metadata TEXT NOT NULL DEFAULT '{}',
        type_id TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT);
      CREATE INDEX volume_snapshots_project ON volume_snapshots (project_id);
      CREATE INDEX volume_snapshots_volume ON volume_snapshots (volume_id);
      CREATE TABLE volume_quotas (
        project_id TEXT NOT NULL,
        resource TEXT NOT NULL,
        hard_limit INTEGER NOT NULL,
        PRIMARY KEY (project_id, resource));
      CREATE TABLE volume_quota_classes (
        class_name TEXT NOT NULL,
        resource TEXT NOT NULL,
        hard_limit INTEGER NOT NULL,
        PRIMARY KEY (class_name, resource));
      CREATE TABLE volume_services (
        binary TEXT NOT NULL,
        host TEXT NOT NULL,
        zone TEXT NOT NULL,
        disabled INTEGER NOT NULL DEFAULT 0,
        disabled_reason TEXT,
        frozen INTEGER NOT NULL DEFAULT 0,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (binary, host));
      CREATE TABLE volume_transfers (
        id TEXT PRIMARY KEY,
        volume_id TEXT NOT NULL REFERENCES volume_volumes(id) ON DELETE CASCADE,
        name TEXT,
        salt TEXT NOT NULL,
        crypt_hash TEXT NOT NULL,
        source_project_id TEXT NOT NULL,
        no_snapshots INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL);
      CREATE TABLE volume_messages (
        id TEXT PRIMARY KEY,
        project_id TEXT NOT NULL,
        request_id TEXT NOT NULL,
        resource_type TEXT NOT NULL,
        resource_uuid TEXT,
        event_id TEXT NOT NULL,
        message_level TEXT NOT NULL,
        user_message TEXT NOT NULL,
        created_at TEXT NOT NULL,
        guaranteed_until TEXT NOT NULL);
      CREATE INDEX volume_messages_project ON volume_messages (project_id);
      CREATE TABLE volume_qos_specs (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        consumer TEXT NOT NULL,
        specs TEXT NOT NULL DEFAULT '{}',
        created_at TEXT NOT NULL);
      CREATE TABLE volume_backups (
        id TEXT PRIMARY KEY,
        project_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        volume_id TEXT NOT NULL,
        snapshot_id TEXT,
        parent_id TEXT,
        name TEXT,
        description TEXT,
        status TEXT NOT NULL,
        size INTEGER NOT NULL,
        availability_zone TEXT NOT NULL,
        container TEXT,
        is_incremental INTEGER NOT NULL DEFAULT 0,
        fail_reason TEXT,
        metadata TEXT NOT NULL DEFAULT '{}',
        volume_meta TEXT NOT NULL DEFAULT '{}',
        format TEXT NOT NULL DEFAULT 'raw',
        restore_volume_id TEXT,
        data_timestamp TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT);
      CREATE INDEX volume_backups_project ON volume_backups (project_id);
      CREATE TABLE volume_default_types (
        project_id TEXT PRIMARY KEY,
        type_id TEXT NOT NULL REFERENCES volume_types(id));
    `,
  },
];
