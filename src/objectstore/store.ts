import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, unlinkSync, writeSync } from "node:fs";
import { open, rename } from "node:fs/promises";
import { join } from "node:path";
import type { Clock } from "../core/clock.ts";
import type { Db } from "../core/db.ts";
import { ApiError } from "../core/errors.ts";
import type { Logger } from "../core/log.ts";
import type {
  AccountInfo,
  ContainerInfo,
  ListEntry,
  ListOptions,
  ObjectInfo,
  ObjectStoreClient,
  PartInfo,
  PutOptions,
  UploadInfo,
} from "./client.ts";

interface ObjectRow {
  account: string; container: string; name: string; file: string; size: number; md5: string; etag: string;
  content_type: string; last_modified: number; metadata: string; headers: string; delete_at: number | null;
}
interface ContainerRow {
  account: string; name: string; created_at: number; last_modified: number; metadata: string;
  read_acl: string | null; write_acl: string | null; object_count: number; bytes_used: number;
}
interface UploadRow {
  upload_id: string; account: string; container: string; name: string; content_type: string;
  metadata: string; headers: string; created_at: number;
}
/** One stored version of an object, as the auditor sees it. */
export interface AuditTarget { account: string; container: string; name: string; file: string; size: number; md5: string }
interface PartRow { upload_id: string; part_number: number; file: string; size: number; md5: string; last_modified: number }

const err = (status: number, type: string, message: string) => new ApiError(status, message, type);
const json = <T>(s: string): T => JSON.parse(s) as T;
/** Greater than any name that starts with the given prefix (names are valid UTF-8). */
const AFTER = "\u{10FFFF}";
const MIN_PART = 5 * 1024 * 1024;
/** Objects up to this size are read into memory for a GET; larger ones stream from the file (sendfile). */
const SMALL_READ = 64 * 1024;
/** How long a replaced object's file outlives its row (GETs already under way still read it). */
const UNLINK_GRACE_MS = 10_000;

/**
 * The filesystem object store. Bytes: `<root>/<aa>/<id>`, written as a temp
 * file in `<root>/tmp` (same filesystem) while hashing, fsynced, renamed into
 * place, then the metadata row committed in one transaction; the replaced
 * file is removed after the commit (after a short grace period, for GETs
 * already under way). A crash leaves at worst a file no row
 * points at, which `sweep()` removes at the next start: an object is absent
 * or complete, never partial.
 */
export class FsObjectStore implements ObjectStoreClient {
  private readonly tmpDir: string;
  private readonly quarantineDir: string;
  private madeDirs = new Set<string>();
  /** Temp files this instance is writing right now: the sweep leaves them alone. */
  private readonly inflight = new Set<string>();
  /** Files of replaced/deleted objects, removed after a grace period (see unlinkLater). */
  private readonly doomed = new Map<string, ReturnType<typeof setTimeout>>();

  constructor(
    private db: Db,
    readonly root: string,
    private clock: Clock,
    private log: Logger,
    private maxObjectSize: number,
    /** S3's minimum size of every part but the last (tests lower it). */
    private minPartSize = MIN_PART,
  ) {
    this.tmpDir = join(root, "tmp");
    this.quarantineDir = join(root, "quarantined");
    mkdirSync(this.tmpDir, { recursive: true });
    mkdirSync(this.quarantineDir, { recursive: true });
  }

  /** Create the 256 fan-out directories now (after start-up) rather than on the first PUT of each. */
  prepareDirs(): void {
    for (let i = 0; i < 256; i++) {
      const dir = i.toString(16).padStart(2, "0");
      if (this.madeDirs.has(dir)) continue;
      mkdirSync(join(this.root, dir), { recursive: true });
      this.madeDirs.add(dir);
    }
  }

  path(file: string): string {
    return join(this.root, file);
  }

  // ---- bytes -------------------------------------------------------------------

  /** Stream a body into a new file; returns its relative path, size and MD5. Leaves nothing on failure. */
  private async write(
    body: ReadableStream<Uint8Array>,
    opts: { size?: number; md5?: string },
  ): Promise<{ file: string; size: number; md5: string }> {
    const id = crypto.randomUUID().replaceAll("-", "");
    const tmp = join(this.tmpDir, id);
    // open, fdatasync and rename run on libuv's pool, so a PUT never blocks the
    // event loop on the disk and concurrent PUTs overlap their syncs.
    // Registered before the file exists: the sweep (a timer) may run while open() is pending.
    this.inflight.add(id);
    let fh;
    try {
      fh = await open(tmp, "wx", 0o600);
    } catch (e) {
      this.inflight.delete(id);
      throw e;
    }
    const hasher = new Bun.CryptoHasher("md5");
    let size = 0;
    let closed = false;
    const reader = body.getReader();
    try {
      if (opts.size !== undefined && opts.size > this.maxObjectSize)
        throw err(413, "EntityTooLarge", "Your request is too large.");
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        size += value.byteLength;
        if (size > this.maxObjectSize) throw err(413, "EntityTooLarge", "Your request is too large.");
        if (opts.size !== undefined && size > opts.size)
          throw err(400, "IncompleteBody", "The body is longer than the declared Content-Length.");
        hasher.update(value);
        // Writes go to the page cache: synchronous is cheaper than a pool round trip per chunk.
        let off = 0;
        while (off < value.byteLength) off += writeSync(fh.fd, value, off, value.byteLength - off);
      }
      if (opts.size !== undefined && size !== opts.size)
        throw err(499, "IncompleteBody", "You did not provide the number of bytes specified by the Content-Length HTTP header.");
      const md5 = hasher.digest("hex");
      if (opts.md5 && opts.md5.toLowerCase() !== md5)
        throw err(422, "BadDigest", "The ETag/Content-MD5 you specified did not match what we received.");
      await fh.datasync();
      await fh.close();
      closed = true;
      const dir = id.slice(0, 2);
      if (!this.madeDirs.has(dir)) {
        mkdirSync(join(this.root, dir), { recursive: true });
        this.madeDirs.add(dir);
      }
      const file = `${dir}/${id}`;
      await rename(tmp, this.path(file));
      return { file, size, md5 };
    } catch (e) {
      if (!closed) await fh.close().catch(() => {});
      rmSync(tmp, { force: true });
      reader.cancel().catch(() => {});
      if (e instanceof ApiError && e.status === 499) throw err(400, "IncompleteBody", e.message);
      throw e;
    } finally {
      this.inflight.delete(id);
    }
  }

  /**
   * Remove a replaced or deleted object's file a little later: a GET that
   * already looked the object up opens the file when its response starts,
   * and must still find it. A crash before then leaves a row-less file,
   * which the next start-up sweep removes.
   */
  private unlinkLater(file: string): void {
    const t = setTimeout(() => {
      this.doomed.delete(file);
      this.unlink(file);
    }, UNLINK_GRACE_MS);
    (t as { unref?: () => void }).unref?.();
    this.doomed.set(file, t);
  }

  /** Remove every file waiting for its grace period now (at shutdown, and in tests). */
  flushUnlinks(): void {
    for (const [file, t] of this.doomed) {
      clearTimeout(t);
      this.unlink(file);
    }
    this.doomed.clear();
  }

  private unlink(file: string | undefined): void {
    if (!file) return;
    try {
      unlinkSync(this.path(file));
    } catch {
      /* already gone */
    }
  }

  // ---- rows --------------------------------------------------------------------

  private nowSec(): number {
    return Math.floor(this.clock.now() / 1000);
  }

  private live(row: ObjectRow | undefined): ObjectRow | undefined {
    if (!row) return undefined;
    if (row.delete_at !== null && row.delete_at <= this.nowSec()) return undefined;
    return row;
  }

  /**
   * Rows read recently (misses too), so a hot GET/HEAD costs a Map lookup
   * rather than a SQLite read. This process is the only writer, and every
   * statement that writes an object row calls forget() for it.
   */
  private rows = new Map<string, ObjectRow | null>();

  private forget(account: string, container: string, name: string): void {
    this.rows.delete(`${account}\u0000${container}\u0000${name}`);
  }

  private objectRow(account: string, container: string, name: string): ObjectRow | undefined {
    const key = `${account}\u0000${container}\u0000${name}`;
    let row = this.rows.get(key);
    if (row === undefined) {
      row =
        this.db.get<ObjectRow>(
          "SELECT * FROM objectstore_objects WHERE account = ? AND container = ? AND name = ?",
          account, container, name,
        ) ?? null;
      if (this.rows.size >= 10_000) this.rows.clear();
      this.rows.set(key, row);
    }
    return this.live(row ?? undefined);
  }

  private containerRow(account: string, name: string): ContainerRow | undefined {
    return this.db.get<ContainerRow>("SELECT * FROM objectstore_containers WHERE account = ? AND name = ?", account, name);
  }

  private mustContainer(account: string, name: string): ContainerRow {
    const c = this.containerRow(account, name);
    if (!c) throw err(404, "NoSuchBucket", `Container ${name} not found`);
    return c;
  }

  private toInfo(r: ObjectRow): ObjectInfo {
    return {
      name: r.name,
      bytes: r.size,
      etag: r.etag,
      md5: r.md5,
      contentType: r.content_type,
      lastModified: r.last_modified,
      metadata: json(r.metadata),
      headers: json(r.headers),
      deleteAt: r.delete_at ?? undefined,
    };
  }

  private toContainer(r: ContainerRow): ContainerInfo {
    return {
      name: r.name,
      createdAt: r.created_at,
      lastModified: r.last_modified,
      objectCount: r.object_count,
      bytesUsed: r.bytes_used,
      metadata: json(r.metadata),
      readAcl: r.read_acl ?? undefined,
      writeAcl: r.write_acl ?? undefined,
    };
  }

  /**
   * Record a written file as the object (one transaction, container counters
   * kept exact); the file it replaces is removed after the commit.
   */
  private commit(
    account: string,
    container: string,
    name: string,
    w: { file: string; size: number; md5: string },
    meta: { etag: string; contentType: string; metadata: Record<string, string>; headers: Record<string, string>; deleteAt?: number | null },
    extra?: () => void,
  ): ObjectRow {
    const now = this.clock.now();
    let old: ObjectRow | undefined;
    let row!: ObjectRow;
    try {
      this.db.tx(() => {
        this.mustContainer(account, container);
        old = this.db.get<ObjectRow>(
          "SELECT * FROM objectstore_objects WHERE account = ? AND container = ? AND name = ?",
          account, container, name,
        );
        row = {
          account, container, name, file: w.file, size: w.size, md5: w.md5, etag: meta.etag,
          content_type: meta.contentType, last_modified: now, metadata: JSON.stringify(meta.metadata),
          headers: JSON.stringify(meta.headers), delete_at: meta.deleteAt ?? null,
        };
        this.forget(account, container, name);
        this.db.run(
          `INSERT OR REPLACE INTO objectstore_objects (account, container, name, file, size, md5, etag, content_type,
             last_modified, metadata, headers, delete_at, audited_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)`,
          account, container, name, w.file, w.size, w.md5, meta.etag, meta.contentType, now, row.metadata,
          row.headers, row.delete_at, now,
        );
        this.db.run(
          `UPDATE objectstore_containers SET object_count = object_count + ?, bytes_used = bytes_used + ?,
             last_modified = ? WHERE account = ? AND name = ?`,
          old ? 0 : 1, w.size - (old?.size ?? 0), now, account, container,
        );
        extra?.();
      });
    } catch (e) {
      this.unlink(w.file);
      throw e;
    }
    if (old && old.file !== w.file) this.unlinkLater(old.file);
    return row;
  }

  private checkName(name: string): void {
    if (!name) throw err(400, "InvalidArgument", "Object name is required");
    if (Buffer.byteLength(name) > 1024) throw err(400, "KeyTooLongError", "Object name length of 1024 exceeded");
  }

  // ---- accounts ------------------------------------------------------------------

  async getAccount(account: string): Promise<AccountInfo> {
    const a = this.db.get<{ created_at: number; metadata: string }>(
      "SELECT created_at, metadata FROM objectstore_accounts WHERE account = ?",
      account,
    );
    const s = this.db.get<{ n: number; objects: number | null; bytes: number | null }>(
      "SELECT COUNT(*) AS n, SUM(object_count) AS objects, SUM(bytes_used) AS bytes FROM objectstore_containers WHERE account = ?",
      account,
    )!;
    return {
      account,
      createdAt: a?.created_at ?? this.clock.now(),
      containerCount: s.n,
      objectCount: s.objects ?? 0,
      bytesUsed: s.bytes ?? 0,
      metadata: a ? json(a.metadata) : {},
    };
  }

  private ensureAccount(account: string): void {
    this.db.run(
      "INSERT OR IGNORE INTO objectstore_accounts (account, created_at, metadata) VALUES (?, ?, '{}')",
      account,
      this.clock.now(),
    );
  }

  async updateAccountMetadata(account: string, metadata: Record<string, string | null>): Promise<void> {
    this.db.tx(() => {
      this.ensureAccount(account);
      const cur = json<Record<string, string>>(
        this.db.get<{ metadata: string }>("SELECT metadata FROM objectstore_accounts WHERE account = ?", account)!.metadata,
      );
      this.db.run("UPDATE objectstore_accounts SET metadata = ? WHERE account = ?", JSON.stringify(merge(cur, metadata)), account);
    });
  }

  // ---- containers ----------------------------------------------------------------

  async listContainers(account: string, opts: ListOptions): Promise<(ContainerInfo | { subdir: string })[]> {
    return listSorted(opts, (after, before, prefix, desc, limit) =>
      this.db
        .all<ContainerRow>(
          `SELECT * FROM objectstore_containers WHERE account = ? AND name > ? AND name < ?
             AND substr(name, 1, ?) = ? ORDER BY name ${desc ? "DESC" : "ASC"} LIMIT ?`,
          account, after, before, prefix.length, prefix, limit,
        )
        .map((r) => ({ ...this.toContainer(r) })),
    );
  }

  async createContainer(
    account: string,
    name: string,
    opts: { metadata?: Record<string, string>; readAcl?: string; writeAcl?: string } = {},
  ): Promise<boolean> {
    if (!name || name.includes("/")) throw err(400, "InvalidBucketName", "Container name must not be empty or contain '/'");
    if (Buffer.byteLength(name) > 256) throw err(400, "InvalidBucketName", "Container name length of 256 exceeded");
    const now = this.clock.now();
    return this.db.tx(() => {
      this.ensureAccount(account);
      const existing = this.containerRow(account, name);
      if (existing) {
        if (opts.metadata || opts.readAcl !== undefined || opts.writeAcl !== undefined)
          this.updateContainerSync(account, name, { metadata: opts.metadata, readAcl: opts.readAcl, writeAcl: opts.writeAcl });
        return false;
      }
      this.db.run(
        `INSERT INTO objectstore_containers (account, name, created_at, last_modified, metadata, read_acl, write_acl)
           VALUES (?, ?, ?, ?, ?, ?, ?)`,
        account, name, now, now, JSON.stringify(merge({}, opts.metadata ?? {})), opts.readAcl || null, opts.writeAcl || null,
      );
      return true;
    });
  }

  async getContainer(account: string, name: string): Promise<ContainerInfo | undefined> {
    const r = this.containerRow(account, name);
    return r ? this.toContainer(r) : undefined;
  }

  private updateContainerSync(
    account: string,
    name: string,
    changes: { metadata?: Record<string, string | null>; readAcl?: string | null; writeAcl?: string | null },
  ): void {
    const c = this.mustContainer(account, name);
    const metadata = changes.metadata ? merge(json(c.metadata), changes.metadata) : json(c.metadata);
    const read = changes.readAcl === undefined ? c.read_acl : changes.readAcl || null;
    const write = changes.writeAcl === undefined ? c.write_acl : changes.writeAcl || null;
    this.db.run(
      "UPDATE objectstore_containers SET metadata = ?, read_acl = ?, write_acl = ? WHERE account = ? AND name = ?",
      JSON.stringify(metadata), read, write, account, name,
    );
  }

  async updateContainer(
    account: string,
    name: string,
    changes: { metadata?: Record<string, string | null>; readAcl?: string | null; writeAcl?: string | null },
  ): Promise<void> {
    this.db.tx(() => this.updateContainerSync(account, name, changes));
  }

  async deleteContainer(account: string, name: string): Promise<void> {
    this.expireDue({ account, container: name });
    const files: string[] = [];
    this.db.tx(() => {
      const c = this.mustContainer(account, name);
      if (c.object_count > 0) throw err(409, "BucketNotEmpty", "There was a conflict when trying to complete your request.");
      for (const u of this.db.all<{ upload_id: string }>(
        "SELECT upload_id FROM objectstore_uploads WHERE account = ? AND container = ?",
        account, name,
      )) {
        for (const p of this.db.all<{ file: string }>("SELECT file FROM objectstore_parts WHERE upload_id = ?", u.upload_id))
          files.push(p.file);
        this.db.run("DELETE FROM objectstore_uploads WHERE upload_id = ?", u.upload_id);
      }
      this.db.run("DELETE FROM objectstore_containers WHERE account = ? AND name = ?", account, name);
    });
    for (const f of files) this.unlink(f);
  }

  async listObjects(account: string, container: string, opts: ListOptions): Promise<ListEntry[]> {
    this.mustContainer(account, container);
    const now = this.nowSec();
    return listSorted(opts, (after, before, prefix, desc, limit) =>
      this.db
        .all<ObjectRow>(
          `SELECT name, size, etag, last_modified, content_type FROM objectstore_objects
             WHERE account = ? AND container = ? AND name > ? AND name < ? AND substr(name, 1, ?) = ?
             AND (delete_at IS NULL OR delete_at > ?) ORDER BY name ${desc ? "DESC" : "ASC"} LIMIT ?`,
          account, container, after, before, prefix.length, prefix, now, limit,
        )
        .map((r) => ({ name: r.name, bytes: r.size, etag: r.etag, lastModified: r.last_modified, contentType: r.content_type })),
    );
  }

  // ---- objects -------------------------------------------------------------------

  async putObject(
    account: string,
    container: string,
    name: string,
    body: ReadableStream<Uint8Array>,
    opts: PutOptions,
  ): Promise<ObjectInfo> {
    this.checkName(name);
    this.mustContainer(account, container);
    const w = await this.write(body, { size: opts.size, md5: opts.md5 });
    const row = this.commit(account, container, name, w, {
      etag: w.md5,
      contentType: opts.contentType,
      metadata: opts.metadata,
      headers: opts.headers,
      deleteAt: opts.deleteAt,
    });
    return this.toInfo(row);
  }

  async headObject(account: string, container: string, name: string): Promise<ObjectInfo | undefined> {
    const r = this.objectRow(account, container, name);
    return r ? this.toInfo(r) : undefined;
  }

  async openObject(
    account: string,
    container: string,
    name: string,
    range?: { start: number; end: number },
  ): Promise<{ info: ObjectInfo; body: Blob }> {
    const r = this.objectRow(account, container, name);
    if (!r) throw err(404, "NoSuchKey", "The resource could not be found.");
    if (r.size <= SMALL_READ) {
      // Small objects: one read from the page cache now beats a lazy file open and close on the I/O pool.
      let bytes: Buffer;
      try {
        bytes = readFileSync(this.path(r.file));
      } catch {
        throw err(404, "NoSuchKey", "The resource could not be found.");
      }
      const body = new Blob([bytes.subarray(range?.start ?? 0, range?.end ?? r.size)]);
      return { info: this.toInfo(r), body };
    }
    const file = Bun.file(this.path(r.file));
    return { info: this.toInfo(r), body: range ? file.slice(range.start, range.end) : file.slice(0, r.size) };
  }

  async updateObject(
    account: string,
    container: string,
    name: string,
    changes: { metadata: Record<string, string>; contentType?: string; headers?: Record<string, string>; deleteAt?: number | null },
  ): Promise<ObjectInfo> {
    return this.db.tx(() => {
      const r = this.objectRow(account, container, name);
      if (!r) throw err(404, "NoSuchKey", "The resource could not be found.");
      const next: ObjectRow = {
        ...r,
        metadata: JSON.stringify(changes.metadata),
        content_type: changes.contentType ?? r.content_type,
        headers: changes.headers ? JSON.stringify(changes.headers) : r.headers,
        delete_at: changes.deleteAt === undefined ? r.delete_at : changes.deleteAt,
        last_modified: this.clock.now(),
      };
      this.forget(account, container, name);
      this.db.run(
        `UPDATE objectstore_objects SET metadata = ?, content_type = ?, headers = ?, delete_at = ?, last_modified = ?
           WHERE account = ? AND container = ? AND name = ?`,
        next.metadata, next.content_type, next.headers, next.delete_at, next.last_modified, account, container, name,
      );
      return this.toInfo(next);
    });
  }

  /** Remove the row (counters kept exact) and then the file. */
  private removeRow(account: string, container: string, name: string): ObjectRow | undefined {
    let old: ObjectRow | undefined;
    this.db.tx(() => {
      old = this.db.get<ObjectRow>(
        "SELECT * FROM objectstore_objects WHERE account = ? AND container = ? AND name = ?",
        account, container, name,
      );
      if (!old) return;
      this.forget(account, container, name);
      this.db.run("DELETE FROM objectstore_objects WHERE account = ? AND container = ? AND name = ?", account, container, name);
      this.db.run(
        `UPDATE objectstore_containers SET object_count = object_count - 1, bytes_used = bytes_used - ?, last_modified = ?
           WHERE account = ? AND name = ?`,
        old.size, this.clock.now(), account, container,
      );
    });
    if (old) this.unlinkLater(old.file);
    return old;
  }

  async deleteObject(account: string, container: string, name: string): Promise<boolean> {
    const live = this.objectRow(account, container, name);
    const old = this.removeRow(account, container, name);
    return !!old && !!live;
  }

  async copyObject(
    src: { account: string; container: string; name: string },
    dst: { account: string; container: string; name: string },
    replace?: { metadata: Record<string, string>; headers: Record<string, string>; contentType: string; deleteAt?: number },
  ): Promise<ObjectInfo> {
    this.checkName(dst.name);
    const s = this.objectRow(src.account, src.container, src.name);
    if (!s) throw err(404, "NoSuchKey", `Source object ${src.container}/${src.name} not found`);
    this.mustContainer(dst.account, dst.container);
    const w = await this.write(Bun.file(this.path(s.file)).slice(0, s.size).stream(), { size: s.size, md5: s.md5 });
    const row = this.commit(dst.account, dst.container, dst.name, w, {
      etag: w.md5,
      contentType: replace?.contentType ?? s.content_type,
      metadata: replace?.metadata ?? json(s.metadata),
      headers: replace?.headers ?? json(s.headers),
      deleteAt: replace ? replace.deleteAt : s.delete_at,
    });
    return this.toInfo(row);
  }

  // ---- multipart -------------------------------------------------------------------

  private mustUpload(account: string, container: string, name: string, uploadId: string): UploadRow {
    const u = this.db.get<UploadRow>("SELECT * FROM objectstore_uploads WHERE upload_id = ?", uploadId);
    if (!u || u.account !== account || u.container !== container || u.name !== name)
      throw err(404, "NoSuchUpload", "The specified upload does not exist.");
    return u;
  }

  async createUpload(
    account: string,
    container: string,
    name: string,
    opts: { contentType: string; metadata: Record<string, string>; headers: Record<string, string> },
  ): Promise<string> {
    this.checkName(name);
    this.mustContainer(account, container);
    const id = crypto.randomUUID().replaceAll("-", "");
    this.db.run(
      `INSERT INTO objectstore_uploads (upload_id, account, container, name, content_type, metadata, headers, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      id, account, container, name, opts.contentType, JSON.stringify(opts.metadata), JSON.stringify(opts.headers), this.clock.now(),
    );
    return id;
  }

  async putPart(
    account: string,
    container: string,
    name: string,
    uploadId: string,
    partNumber: number,
    body: ReadableStream<Uint8Array>,
    opts: { size?: number; md5?: string },
  ): Promise<PartInfo> {
    if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > 10000)
      throw err(400, "InvalidArgument", "Part number must be an integer between 1 and 10000, inclusive");
    this.mustUpload(account, container, name, uploadId);
    const w = await this.write(body, opts);
    const now = this.clock.now();
    let old: PartRow | undefined;
    try {
      this.db.tx(() => {
        this.mustUpload(account, container, name, uploadId);
        old = this.db.get<PartRow>(
          "SELECT * FROM objectstore_parts WHERE upload_id = ? AND part_number = ?",
          uploadId, partNumber,
        );
        this.db.run(
          "INSERT OR REPLACE INTO objectstore_parts (upload_id, part_number, file, size, md5, last_modified) VALUES (?,?,?,?,?,?)",
          uploadId, partNumber, w.file, w.size, w.md5, now,
        );
      });
    } catch (e) {
      this.unlink(w.file);
      throw e;
    }
    if (old) this.unlink(old.file);
    return { partNumber, etag: w.md5, bytes: w.size, lastModified: now };
  }

  async listParts(
    account: string,
    container: string,
    name: string,
    uploadId: string,
    opts: { marker: number; limit: number },
  ): Promise<{ parts: PartInfo[] }> {
    this.mustUpload(account, container, name, uploadId);
    const rows = this.db.all<PartRow>(
      "SELECT * FROM objectstore_parts WHERE upload_id = ? AND part_number > ? ORDER BY part_number LIMIT ?",
      uploadId, opts.marker, opts.limit,
    );
    return { parts: rows.map((p) => ({ partNumber: p.part_number, etag: p.md5, bytes: p.size, lastModified: p.last_modified })) };
  }

  async listUploads(account: string, container: string, opts: { prefix?: string }): Promise<UploadInfo[]> {
    this.mustContainer(account, container);
    const prefix = opts.prefix ?? "";
    return this.db
      .all<UploadRow>(
        `SELECT * FROM objectstore_uploads WHERE account = ? AND container = ? AND substr(name, 1, ?) = ?
           ORDER BY name, created_at`,
        account, container, prefix.length, prefix,
      )
      .map((u) => ({ name: u.name, uploadId: u.upload_id, createdAt: u.created_at }));
  }

  async abortUpload(account: string, container: string, name: string, uploadId: string): Promise<void> {
    let files: string[] = [];
    this.db.tx(() => {
      this.mustUpload(account, container, name, uploadId);
      files = this.db.all<{ file: string }>("SELECT file FROM objectstore_parts WHERE upload_id = ?", uploadId).map((p) => p.file);
      this.db.run("DELETE FROM objectstore_uploads WHERE upload_id = ?", uploadId);
    });
    for (const f of files) this.unlink(f);
  }

  async completeUpload(
    account: string,
    container: string,
    name: string,
    uploadId: string,
    parts: { partNumber: number; etag: string }[],
  ): Promise<ObjectInfo> {
    const upload = this.mustUpload(account, container, name, uploadId);
    if (!parts.length) throw err(400, "MalformedXML", "You must specify at least one part");
    const stored = new Map(
      this.db.all<PartRow>("SELECT * FROM objectstore_parts WHERE upload_id = ?", uploadId).map((p) => [p.part_number, p]),
    );
    for (let i = 1; i < parts.length; i++)
      if (parts[i].partNumber <= parts[i - 1].partNumber)
        throw err(400, "InvalidPartOrder", "The list of parts was not in ascending order.");
    const chosen = parts.map((p) => {
      const s = stored.get(p.partNumber);
      if (!s || s.md5 !== p.etag.replaceAll('"', "").toLowerCase())
        throw err(400, "InvalidPart", "One or more of the specified parts could not be found.");
      return s;
    });
    for (const s of chosen.slice(0, -1))
      if (s.size < this.minPartSize) throw err(400, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed object size.");
    const etagHasher = new Bun.CryptoHasher("md5");
    for (const s of chosen) etagHasher.update(Buffer.from(s.md5, "hex"));
    const etag = `${etagHasher.digest("hex")}-${chosen.length}`;
    const total = chosen.reduce((n, s) => n + s.size, 0);
    const w = await this.write(concatFiles(chosen.map((s) => this.path(s.file))), { size: total });
    const partFiles = [...stored.values()].map((p) => p.file);
    const row = this.commit(
      account, container, name, w,
      { etag, contentType: upload.content_type, metadata: json(upload.metadata), headers: json(upload.headers) },
      () => {
        this.mustUpload(account, container, name, uploadId);
        this.db.run("DELETE FROM objectstore_uploads WHERE upload_id = ?", uploadId);
      },
    );
    for (const f of partFiles) this.unlink(f);
    return this.toInfo(row);
  }

  // ---- housekeeping (driven by expirer.ts and auditor.ts) ----------------------------

  /** Remove objects past their X-Delete-At (everywhere, at most `limit`, or all in one container). Returns how many went. */
  expireDue(scope?: { account: string; container: string }, limit = 1000): number {
    const now = this.nowSec();
    const rows = scope
      ? this.db.all<ObjectRow>(
          "SELECT account, container, name FROM objectstore_objects WHERE account = ? AND container = ? AND delete_at IS NOT NULL AND delete_at <= ?",
          scope.account, scope.container, now,
        )
      : this.db.all<ObjectRow>(
          "SELECT account, container, name FROM objectstore_objects WHERE delete_at IS NOT NULL AND delete_at <= ? LIMIT ?",
          now, limit,
        );
    for (const r of rows) this.removeRow(r.account, r.container, r.name);
    return rows.length;
  }

  /** The auditor's work list: the least recently audited objects (audited before `before`, ms). */
  auditCandidates(before: number, limit: number): AuditTarget[] {
    return this.db
      .all<ObjectRow>(
        "SELECT account, container, name, file, size, md5 FROM objectstore_objects WHERE audited_at <= ? ORDER BY audited_at LIMIT ?",
        before, limit,
      )
      .map((r) => ({ account: r.account, container: r.container, name: r.name, file: r.file, size: r.size, md5: r.md5 }));
  }

  /** Whether `t` is still the object's current version (not replaced or deleted while it was read). */
  isCurrent(t: AuditTarget): boolean {
    return !!this.db.get(
      "SELECT 1 FROM objectstore_objects WHERE account = ? AND container = ? AND name = ? AND file = ?",
      t.account, t.container, t.name, t.file,
    );
  }

  markAudited(t: AuditTarget): void {
    this.db.run(
      "UPDATE objectstore_objects SET audited_at = ? WHERE account = ? AND container = ? AND name = ? AND file = ?",
      this.clock.now(), t.account, t.container, t.name, t.file,
    );
  }

  /**
   * Quarantine a rotten object: its file is moved under `quarantined/`, the
   * quarantine table records it and the object row goes (a GET answers 404).
   * Returns where the bytes went.
   */
  quarantine(t: AuditTarget, actualMd5: string | undefined): string {
    const dest = join(this.quarantineDir, t.file.replace("/", "-"));
    try {
      renameSync(this.path(t.file), dest);
    } catch {
      /* the file is missing altogether */
    }
    this.db.tx(() => {
      this.forget(t.account, t.container, t.name);
      const gone = this.db.run(
        "DELETE FROM objectstore_objects WHERE account = ? AND container = ? AND name = ? AND file = ?",
        t.account, t.container, t.name, t.file,
      );
      if (!gone.changes) return;
      this.db.run(
        "INSERT INTO objectstore_quarantine (account, container, name, file, expected_md5, actual_md5, at) VALUES (?,?,?,?,?,?,?)",
        t.account, t.container, t.name, dest, t.md5, actualMd5 ?? "missing", this.clock.now(),
      );
      this.db.run(
        "UPDATE objectstore_containers SET object_count = object_count - 1, bytes_used = bytes_used - ? WHERE account = ? AND name = ?",
        t.size, t.account, t.container,
      );
    });
    return dest;
  }

  /**
   * Start-up sweep: temp files and files no row points at, left by a crash,
   * are removed. A PUT this instance is streaming keeps its temp file (the
   * sweep may run after the listeners opened), and so does its data file
   * while the rename is pending; once the rename resolves, the row is
   * committed in the same turn of the event loop.
   */
  sweep(): number {
    let removed = 0;
    for (const f of readdirSync(this.tmpDir)) {
      if (this.inflight.has(f)) continue;
      rmSync(join(this.tmpDir, f), { force: true });
      removed++;
    }
    const known = new Set<string>();
    for (const r of this.db.all<{ file: string }>("SELECT file FROM objectstore_objects")) known.add(r.file);
    for (const r of this.db.all<{ file: string }>("SELECT file FROM objectstore_parts")) known.add(r.file);
    for (const dir of readdirSync(this.root)) {
      if (dir === "tmp" || dir === "quarantined" || dir.length !== 2) continue;
      for (const f of readdirSync(join(this.root, dir))) {
        if (!known.has(`${dir}/${f}`) && !this.doomed.has(`${dir}/${f}`) && !this.inflight.has(f)) {
          rmSync(join(this.root, dir, f), { force: true });
          removed++;
        }
      }
    }
    if (removed) this.log.info(`sweep: removed ${removed} orphaned file(s) left by an interrupted write`);
    return removed;
  }
}

/** Merge metadata: null or empty values remove keys. */
function merge(cur: Record<string, string>, changes: Record<string, string | null>): Record<string, string> {
  const out = { ...cur };
  for (const [k, v] of Object.entries(changes)) {
    if (v === null || v === "") delete out[k.toLowerCase()];
    else out[k.toLowerCase()] = v;
  }
  return out;
}

function concatFiles(paths: string[]): ReadableStream<Uint8Array> {
  let i = 0;
  let reader: ReadableStreamDefaultReader<any> | undefined;
  return new ReadableStream<Uint8Array>({
    async pull(ctrl) {
      for (;;) {
        if (!reader) {
          if (i >= paths.length) return ctrl.close();
          reader = Bun.file(paths[i++]).stream().getReader() as unknown as ReadableStreamDefaultReader<any>;
        }
        const { value, done } = await reader!.read();
        if (done) {
          reader = undefined;
          continue;
        }
        ctrl.enqueue(value);
        return;
      }
    },
    cancel() {
      reader?.cancel().catch(() => {});
    },
  });
}

/**
 * Sorted listing with Swift/S3 semantics: marker / end_marker exclusive,
 * prefix, delimiter roll-up into `{subdir}` entries, reverse order, limit.
 */
export function listSorted<T extends { name: string }>(
  opts: ListOptions,
  fetch: (after: string, before: string, prefix: string, desc: boolean, limit: number) => T[],
): (T | { subdir: string })[] {
  const prefix = opts.prefix ?? "";
  const out: (T | { subdir: string })[] = [];
  const desc = !!opts.reverse;
  // In reverse, marker bounds from above and end_marker from below.
  let low = desc ? (opts.endMarker ?? "") : (opts.marker ?? "");
  let high = desc ? (opts.marker || AFTER) : (opts.endMarker || AFTER);
  const limit = Math.max(0, opts.limit);
  let lastSub: string | undefined;
  while (out.length < limit) {
    const want = Math.min(1000, limit - out.length + 1);
    const batch = fetch(low, high, prefix, desc, want);
    if (!batch.length) break;
    let jumped = false;
    for (const r of batch) {
      if (desc) high = r.name;
      else low = r.name;
      if (opts.delimiter) {
        const rest = r.name.slice(prefix.length);
        const at = rest.indexOf(opts.delimiter);
        if (at >= 0) {
          const sub = prefix + rest.slice(0, at + opts.delimiter.length);
          if (sub !== lastSub) {
            out.push({ subdir: sub });
            lastSub = sub;
          }
          // skip everything else under this pseudo-directory
          if (desc) high = sub;
          else low = sub + AFTER;
          jumped = true;
          break;
        }
      }
      out.push(r);
      if (out.length >= limit) break;
    }
    if (!jumped && batch.length < want) break;
  }
  return out.slice(0, limit);
}
