import type { Migration } from "../core/db.ts";

/** The image service's tables (all prefixed `image_`). */
export const imageMigrations: Migration[] = [
  {
    version: 1,
    name: "images, tags, members, tasks",
    up: `
      CREATE TABLE image_images (
        id TEXT PRIMARY KEY,
        name TEXT,
        status TEXT NOT NULL,
        visibility TEXT NOT NULL,
        protected INTEGER NOT NULL DEFAULT 0,
        os_hidden INTEGER NOT NULL DEFAULT 0,
        owner TEXT,
        disk_format TEXT,
        container_format TEXT,
        min_disk INTEGER NOT NULL DEFAULT 0,
        min_ram INTEGER NOT NULL DEFAULT 0,
        size INTEGER,
        virtual_size INTEGER,
        checksum TEXT,
        os_hash_algo TEXT,
        os_hash_value TEXT,
        -- where the data is: the object's name in the service account's container (NULL: no data)
        object TEXT,
        -- the staged data of the interoperable import (NULL: nothing staged)
        staged TEXT,
        properties TEXT NOT NULL DEFAULT '{}',
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
      CREATE INDEX image_images_owner ON image_images(owner);
      CREATE INDEX image_images_visibility ON image_images(visibility);
      CREATE INDEX image_images_name ON image_images(name);
      CREATE TABLE image_tags (
        image_id TEXT NOT NULL REFERENCES image_images(id) ON DELETE CASCADE,
        tag TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (image_id, tag)
      );
      CREATE INDEX image_tags_tag ON image_tags(tag);
      CREATE TABLE image_members (
        image_id TEXT NOT NULL REFERENCES image_images(id) ON DELETE CASCADE,
        member TEXT NOT NULL,
        status TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (image_id, member)
      );
      CREATE INDEX image_members_member ON image_members(member);
      CREATE TABLE image_tasks (
        id TEXT PRIMARY KEY,
        image_id TEXT NOT NULL,
        type TEXT NOT NULL,
        status TEXT NOT NULL,
        owner TEXT,
        user_id TEXT,
        request_id TEXT,
        input TEXT NOT NULL,
        result TEXT,
        message TEXT NOT NULL DEFAULT '',
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        expires_at INTEGER
      );
      CREATE INDEX image_tasks_image ON image_tasks(image_id);
    `,
  },
  {
    version: 2,
    name: "metadata definitions catalog",
    up: `
      CREATE TABLE image_md_namespaces (
        namespace TEXT PRIMARY KEY,
        display_name TEXT,
        description TEXT,
        visibility TEXT NOT NULL,
        protected INTEGER NOT NULL DEFAULT 0,
        owner TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
      -- objects, properties, tags and resource type associations of a namespace
      CREATE TABLE image_md_items (
        namespace TEXT NOT NULL REFERENCES image_md_namespaces(namespace) ON DELETE CASCADE ON UPDATE CASCADE,
        kind TEXT NOT NULL,
        name TEXT NOT NULL,
        body TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (namespace, kind, name)
      );
    `,
  },
];
