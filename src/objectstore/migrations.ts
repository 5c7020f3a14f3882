import type { Migration } from "../core/db.ts";

/** The object store's tables (metadata only; bytes live in files under <data>/objects). Times in ms. */
export const objectstoreMigrations: Migration[] = [
  {
    version: 1,
    name: "accounts, containers, objects, multipart uploads",
    up: `
CREATE TABLE objectstore_accounts (
  account TEXT PRIMARY KEY,
  created_at INTEGER NOT NULL,
  metadata TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE objectstore_containers (
  account TEXT NOT NULL,
  name TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  last_modified INTEGER NOT NULL,
  metadata TEXT NOT NULL DEFAULT '{}',
  read_acl TEXT,
  write_acl TEXT,
  object_count INTEGER NOT NULL DEFAULT 0,
  bytes_used INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (account, name)
);
CREATE TABLE objectstore_objects (
  account TEXT NOT NULL,
  container TEXT NOT NULL,
  name TEXT NOT NULL,
  file TEXT NOT NULL,
  size INTEGER NOT NULL,
  md5 TEXT NOT NULL,
  etag TEXT NOT NULL,
  content_type TEXT NOT NULL,
  last_modified INTEGER NOT NULL,
  metadata TEXT NOT NULL DEFAULT '{}',
  headers TEXT NOT NULL DEFAULT '{}',
  delete_at INTEGER,
  audited_at INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (account, container, name)
);
CREATE INDEX objectstore_objects_delete_at ON objectstore_objects(delete_at) WHERE delete_at IS NOT NULL;
CREATE INDEX objectstore_objects_audit ON objectstore_objects(audited_at);
CREATE TABLE objectstore_quarantine (
  account TEXT NOT NULL, container TEXT NOT NULL, name TEXT NOT NULL,
  file TEXT NOT NULL, expected_md5 TEXT NOT NULL, actual_md5 TEXT NOT NULL, at INTEGER NOT NULL
);
CREATE TABLE objectstore_uploads (
  upload_id TEXT PRIMARY KEY,
  account TEXT NOT NULL,
  container TEXT NOT NULL,
  name TEXT NOT NULL,
  content_type TEXT NOT NULL,
  metadata TEXT NOT NULL DEFAULT '{}',
  headers TEXT NOT NULL DEFAULT '{}',
  created_at INTEGER NOT NULL
);
CREATE INDEX objectstore_uploads_container ON objectstore_uploads(account, container, name);
CREATE TABLE objectstore_parts (
  upload_id TEXT NOT NULL REFERENCES objectstore_uploads(upload_id) ON DELETE CASCADE,
  part_number INTEGER NOT NULL,
  file TEXT NOT NULL,
  size INTEGER NOT NULL,
  md5 TEXT NOT NULL,
  last_modified INTEGER NOT NULL,
  PRIMARY KEY (upload_id, part_number)
);
`,
  },
];
