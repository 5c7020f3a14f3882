/** The metadata definitions catalog's tables: namespaces, and their objects, properties, tags and resource type associations. */
import type { Db } from "../core/db.ts";

export type ItemKind = "object" | "property" | "tag" | "resource_type";

export interface Namespace {
  namespace: string;
  displayName: string | null;
  description: string | null;
  visibility: "public" | "private";
  protected: boolean;
  owner: string | null;
  createdAt: number;
  updatedAt: number;
}

export interface Item {
  namespace: string;
  kind: ItemKind;
  name: string;
  body: Record<string, unknown>;
  createdAt: number;
  updatedAt: number;
}

interface NsRow {
  namespace: string;
  display_name: string | null;
  description: string | null;
  visibility: string;
  protected: number;
  owner: string | null;
  created_at: number;
  updated_at: number;
}

const ns = (r: NsRow): Namespace => ({
  namespace: r.namespace,
  displayName: r.display_name,
  description: r.description,
  visibility: r.visibility as Namespace["visibility"],
  protected: !!r.protected,
  owner: r.owner,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export class MetadefStore {
  constructor(private db: Db) {}
  tx<T>(fn: () => T): T {
    return this.db.tx(fn);
  }
  namespaces(): Namespace[] {
    return this.db.all<NsRow>("SELECT * FROM image_md_namespaces ORDER BY created_at, namespace").map(ns);
  }
  get(name: string): Namespace | undefined {
    const r = this.db.get<NsRow>("SELECT * FROM image_md_namespaces WHERE namespace = ?", name);
    return r && ns(r);
  }
  insert(n: Namespace): void {
    this.db.run(
      "INSERT INTO image_md_namespaces (namespace, display_name, description, visibility, protected, owner, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      n.namespace, n.displayName, n.description, n.visibility, n.protected ? 1 : 0, n.owner, n.createdAt, n.updatedAt,
    );
  }
  update(old: string, n: Namespace): void {
    this.db.run(
      "UPDATE image_md_namespaces SET namespace = ?, display_name = ?, description = ?, visibility = ?, protected = ?, owner = ?, updated_at = ? WHERE namespace = ?",
      n.namespace, n.displayName, n.description, n.visibility, n.protected ? 1 : 0, n.owner, n.updatedAt, old,
    );
  }
  remove(name: string): void {
    this.db.run("DELETE FROM image_md_namespaces WHERE namespace = ?", name);
  }
  items(namespace: string, kind: ItemKind): Item[] {
    return this.db
      .all<{ namespace: string; kind: string; name: string; body: string; created_at: number; updated_at: number }>(
        "SELECT * FROM image_md_items WHERE namespace = ? AND kind = ? ORDER BY created_at, name",
        namespace, kind,
      )
      .map((r) => ({ namespace: r.namespace, kind: r.kind as ItemKind, name: r.name, body: JSON.parse(r.body), createdAt: r.created_at, updatedAt: r.updated_at }));
  }
  item(namespace: string, kind: ItemKind, name: string): Item | undefined {
    return this.items(namespace, kind).find((i) => i.name === name);
  }
  putItem(i: Item): void {
    this.db.run(
      "INSERT INTO image_md_items (namespace, kind, name, body, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
      i.namespace, i.kind, i.name, JSON.stringify(i.body), i.createdAt, i.updatedAt,
    );
  }
  replaceItem(oldName: string, i: Item): void {
    this.db.run(
      "UPDATE image_md_items SET name = ?, body = ?, updated_at = ? WHERE namespace = ? AND kind = ? AND name = ?",
      i.name, JSON.stringify(i.body), i.updatedAt, i.namespace, i.kind, oldName,
    );
  }
  removeItem(namespace: string, kind: ItemKind, name: string): boolean {
    return this.db.run("DELETE FROM image_md_items WHERE namespace = ? AND kind = ? AND name = ?", namespace, kind, name).changes > 0;
  }
  removeItems(namespace: string, kind: ItemKind): void {
    this.db.run("DELETE FROM image_md_items WHERE namespace = ? AND kind = ?", namespace, kind);
  }
}
