/**
 * The image service's tables: images (base attributes as columns, additional
 * properties as one JSON object), tags, members and import tasks. Only
 * src/image reads or writes them.
 */
import type { Db } from "../core/db.ts";

export type ImageStatus = "queued" | "saving" | "uploading" | "importing" | "active" | "deactivated" | "killed" | "deleted" | "pending_delete";
export type Visibility = "public" | "private" | "shared" | "community";
export type MemberStatus = "pending" | "accepted" | "rejected";

export interface Image {
  id: string;
  name: string | null;
  status: ImageStatus;
  visibility: Visibility;
  protected: boolean;
  osHidden: boolean;
  owner: string | null;
  diskFormat: string | null;
  containerFormat: string | null;
  minDisk: number;
  minRam: number;
  size: number | null;
  virtualSize: number | null;
  checksum: string | null;
  osHashAlgo: string | null;
  osHashValue: string | null;
  /** Object name of the data in the service account's `glance` container. */
  object: string | null;
  /** Object name of data staged for an import. */
  staged: string | null;
  properties: Record<string, string>;
  tags: string[];
  createdAt: number;
  updatedAt: number;
}

export interface Member {
  imageId: string;
  member: string;
  status: MemberStatus;
  createdAt: number;
  updatedAt: number;
}

export interface Task {
  id: string;
  imageId: string;
  type: string;
  status: "pending" | "processing" | "success" | "failure";
  owner: string | null;
  userId: string | null;
  requestId: string | null;
  input: unknown;
  result: unknown;
  message: string;
  createdAt: number;
  updatedAt: number;
  expiresAt: number | null;
}

interface ImageRow {
  id: string;
  name: string | null;
  status: string;
  visibility: string;
  protected: number;
  os_hidden: number;
  owner: string | null;
  disk_format: string | null;
  container_format: string | null;
  min_disk: number;
  min_ram: number;
  size: number | null;
  virtual_size: number | null;
  checksum: string | null;
  os_hash_algo: string | null;
  os_hash_value: string | null;
  object: string | null;
  staged: string | null;
  properties: string;
  created_at: number;
  updated_at: number;
}

const COLUMNS: Record<keyof Omit<Image, "tags">, string> = {
  id: "id",
  name: "name",
  status: "status",
  visibility: "visibility",
  protected: "protected",
  osHidden: "os_hidden",
  owner: "owner",
  diskFormat: "disk_format",
  containerFormat: "container_format",
  minDisk: "min_disk",
  minRam: "min_ram",
  size: "size",
  virtualSize: "virtual_size",
  checksum: "checksum",
  osHashAlgo: "os_hash_algo",
  osHashValue: "os_hash_value",
  object: "object",
  staged: "staged",
  properties: "properties",
  createdAt: "created_at",
  updatedAt: "updated_at",
};

function toDb(k: keyof typeof COLUMNS, v: unknown): string | number | null {
  if (k === "properties") return JSON.stringify(v ?? {});
  if (typeof v === "boolean") return v ? 1 : 0;
  return (v ?? null) as string | number | null;
}

export class ImageStore {
  constructor(private db: Db) {}

  tx<T>(fn: () => T): T {
    return this.db.tx(fn);
  }

  private fromRow(r: ImageRow, tags?: string[]): Image {
    return {
      id: r.id,
      name: r.name,
      status: r.status as ImageStatus,
      visibility: r.visibility as Visibility,
      protected: !!r.protected,
      osHidden: !!r.os_hidden,
      owner: r.owner,
      diskFormat: r.disk_format,
      containerFormat: r.container_format,
      minDisk: r.min_disk,
      minRam: r.min_ram,
      size: r.size,
      virtualSize: r.virtual_size,
      checksum: r.checksum,
      osHashAlgo: r.os_hash_algo,
      osHashValue: r.os_hash_value,
      object: r.object,
      staged: r.staged,
      properties: JSON.parse(r.properties) as Record<string, string>,
      tags: tags ?? this.tags(r.id),
      createdAt: r.created_at,
      updatedAt: r.updated_at,
    };
  }

  get(id: string): Image | undefined {
    const r = this.db.get<ImageRow>("SELECT * FROM image_images WHERE id = ?", id);
    return r && this.fromRow(r);
  }

  insert(img: Image): void {
    this.tx(() => {
      const keys = Object.keys(COLUMNS) as (keyof typeof COLUMNS)[];
      this.db.run(
        `INSERT INTO image_images (${keys.map((k) => COLUMNS[k]).join(", ")}) VALUES (${keys.map(() => "?").join(", ")})`,
        ...keys.map((k) => toDb(k, img[k])),
      );
      for (const t of img.tags) this.db.run("INSERT OR IGNORE INTO image_tags (image_id, tag, created_at) VALUES (?, ?, ?)", img.id, t, img.createdAt);
    });
  }

  /**
   * Update columns; with `whereStatus` only when the image is in one of those
   * states (returns false otherwise — the compare-and-set of state changes).
   */
  update(id: string, changes: Partial<Omit<Image, "id" | "tags">>, whereStatus?: ImageStatus[]): boolean {
    const keys = Object.keys(changes) as (keyof typeof COLUMNS)[];
    if (!keys.length) return true;
    const sets = keys.map((k) => `${COLUMNS[k]} = ?`).join(", ");
    const params = keys.map((k) => toDb(k, changes[k as keyof typeof changes]));
    let sql = `UPDATE image_images SET ${sets} WHERE id = ?`;
    params.push(id);
    if (whereStatus?.length) {
      sql += ` AND status IN (${whereStatus.map(() => "?").join(", ")})`;
      params.push(...whereStatus);
    }
    return this.db.run(sql, ...params).changes > 0;
  }

  delete(id: string): boolean {
    return this.tx(() => {
      this.db.run("DELETE FROM image_tasks WHERE image_id = ?", id);
      return this.db.run("DELETE FROM image_images WHERE id = ?", id).changes > 0;
    });
  }

  byName(name: string): Image[] {
    return this.db.all<ImageRow>("SELECT * FROM image_images WHERE name = ? ORDER BY created_at", name).map((r) => this.fromRow(r));
  }

  /**
   * Images matching a WHERE clause built by the caller (columns of
   * image_images aliased `i`), with their tags in one extra query.
   */
  select(where: string, params: (string | number)[]): Image[] {
    const rows = this.db.all<ImageRow>(`SELECT i.* FROM image_images i WHERE ${where || "1"}`, ...params);
    if (!rows.length) return [];
    const tags = new Map<string, string[]>();
    const ids = rows.map((r) => r.id);
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500);
      for (const t of this.db.all<{ image_id: string; tag: string }>(
        `SELECT image_id, tag FROM image_tags WHERE image_id IN (${chunk.map(() => "?").join(", ")}) ORDER BY created_at, tag`,
        ...chunk,
      )) {
        const l = tags.get(t.image_id);
        if (l) l.push(t.tag);
        else tags.set(t.image_id, [t.tag]);
      }
    }
    return rows.map((r) => this.fromRow(r, tags.get(r.id) ?? []));
  }

  // tags
  tags(id: string): string[] {
    return this.db.all<{ tag: string }>("SELECT tag FROM image_tags WHERE image_id = ? ORDER BY created_at, tag", id).map((r) => r.tag);
  }
  addTag(id: string, tag: string, now: number): void {
    this.db.run("INSERT OR IGNORE INTO image_tags (image_id, tag, created_at) VALUES (?, ?, ?)", id, tag, now);
  }
  removeTag(id: string, tag: string): boolean {
    return this.db.run("DELETE FROM image_tags WHERE image_id = ? AND tag = ?", id, tag).changes > 0;
  }
  setTags(id: string, tags: string[], now: number): void {
    this.tx(() => {
      this.db.run("DELETE FROM image_tags WHERE image_id = ?", id);
      for (const t of tags) this.addTag(id, t, now);
    });
  }

  // members
  private member(r: { image_id: string; member: string; status: string; created_at: number; updated_at: number }): Member {
    return { imageId: r.image_id, member: r.member, status: r.status as MemberStatus, createdAt: r.created_at, updatedAt: r.updated_at };
  }
  members(id: string): Member[] {
    return this.db.all<any>("SELECT * FROM image_members WHERE image_id = ? ORDER BY created_at, member", id).map((r) => this.member(r));
  }
  getMember(id: string, member: string): Member | undefined {
    const r = this.db.get<any>("SELECT * FROM image_members WHERE image_id = ? AND member = ?", id, member);
    return r && this.member(r);
  }
  addMember(m: Member): void {
    this.db.run(
      "INSERT INTO image_members (image_id, member, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
      m.imageId, m.member, m.status, m.createdAt, m.updatedAt,
    );
  }
  setMemberStatus(id: string, member: string, status: MemberStatus, now: number): void {
    this.db.run("UPDATE image_members SET status = ?, updated_at = ? WHERE image_id = ? AND member = ?", status, now, id, member);
  }
  removeMember(id: string, member: string): boolean {
    return this.db.run("DELETE FROM image_members WHERE image_id = ? AND member = ?", id, member).changes > 0;
  }
  countMembers(id: string): number {
    return this.db.get<{ n: number }>("SELECT COUNT(*) AS n FROM image_members WHERE image_id = ?", id)!.n;
  }

  // tasks
  private taskOf(r: any): Task {
    return {
      id: r.id, imageId: r.image_id, type: r.type, status: r.status, owner: r.owner, userId: r.user_id, requestId: r.request_id,
      input: JSON.parse(r.input), result: r.result == null ? null : JSON.parse(r.result), message: r.message,
      createdAt: r.created_at, updatedAt: r.updated_at, expiresAt: r.expires_at,
    };
  }
  insertTask(t: Task): void {
    this.db.run(
      `INSERT INTO image_tasks (id, image_id, type, status, owner, user_id, request_id, input, result, message, created_at, updated_at, expires_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      t.id, t.imageId, t.type, t.status, t.owner, t.userId, t.requestId, JSON.stringify(t.input),
      t.result == null ? null : JSON.stringify(t.result), t.message, t.createdAt, t.updatedAt, t.expiresAt,
    );
  }
  finishTask(id: string, status: Task["status"], message: string, result: unknown, now: number): void {
    this.db.run(
      "UPDATE image_tasks SET status = ?, message = ?, result = ?, updated_at = ?, expires_at = ? WHERE id = ?",
      status, message, result == null ? null : JSON.stringify(result), now, now + 48 * 3600_000, id,
    );
  }
  task(id: string): Task | undefined {
    const r = this.db.get<any>("SELECT * FROM image_tasks WHERE id = ?", id);
    return r && this.taskOf(r);
  }
  /** Tasks of a project (all of them when `owner` is undefined), newest first. */
  allTasks(owner?: string): Task[] {
    const rows = owner === undefined
      ? this.db.all<any>("SELECT * FROM image_tasks ORDER BY created_at DESC")
      : this.db.all<any>("SELECT * FROM image_tasks WHERE owner = ? ORDER BY created_at DESC", owner);
    return rows.map((r) => this.taskOf(r));
  }
  tasks(imageId: string): Task[] {
    return this.db.all<any>("SELECT * FROM image_tasks WHERE image_id = ? ORDER BY created_at", imageId).map((r) => this.taskOf(r));
  }
  /** Tasks left unfinished by a previous process. */
  unfinishedTasks(): Task[] {
    return this.db.all<any>("SELECT * FROM image_tasks WHERE status IN ('pending', 'processing')").map((r) => this.taskOf(r));
  }
  /** Images caught mid-upload by a restart. */
  stuck(): Image[] {
    return this.select("i.status IN ('saving', 'importing') OR (i.status = 'uploading' AND i.staged IS NULL)", []);
  }
}
