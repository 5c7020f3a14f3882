import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Clock } from "../core/clock.ts";
import { Db } from "../core/db.ts";
import { Logger, silentLogger } from "../core/log.ts";
import { objectstoreMigrations } from "./migrations.ts";
import { Auditor } from "./auditor.ts";
import { Expirer } from "./expirer.ts";
import { FsObjectStore } from "./store.ts";

let dir: string;
let db: Db;
let clock: Clock;
let store: FsObjectStore;
const A = "AUTH_p1";
const stream = (s: string | Uint8Array) => new Blob([s]).stream() as ReadableStream<Uint8Array>;
const md5 = (s: string | Uint8Array) => new Bun.CryptoHasher("md5").update(s).digest("hex");
const opts = { contentType: "text/plain", metadata: {}, headers: {} };
const text = async (b: Blob) => await b.text();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "tenrec-os-"));
  db = new Db(join(dir, "t.db"));
  db.migrate("objectstore", objectstoreMigrations);
  clock = new Clock();
  store = new FsObjectStore(db, join(dir, "objects"), clock, silentLogger, 1024 * 1024);
  await store.createContainer(A, "c");
});
afterAll(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const tmpFiles = () => readdirSync(join(dir, "objects", "tmp")).length;

describe("objects", () => {
  test("put, head, get, range, delete; container counters stay exact", async () => {
    const info = await store.putObject(A, "c", "a.txt", stream("hello world"), { ...opts, metadata: { color: "blue" } });
    expect(info.etag).toBe(md5("hello world"));
    expect(info.bytes).toBe(11);
    expect((await store.headObject(A, "c", "a.txt"))!.metadata).toEqual({ color: "blue" });
    expect(await text((await store.openObject(A, "c", "a.txt")).body)).toBe("hello world");
    expect(await text((await store.openObject(A, "c", "a.txt", { start: 6, end: 11 })).body)).toBe("world");
    await store.putObject(A, "c", "a.txt", stream("hi"), opts); // overwrite
    let c = (await store.getContainer(A, "c"))!;
    expect([c.objectCount, c.bytesUsed]).toEqual([1, 2]);
    expect(await store.deleteObject(A, "c", "a.txt")).toBe(true);
    expect(await store.deleteObject(A, "c", "a.txt")).toBe(false);
    c = (await store.getContainer(A, "c"))!;
    expect([c.objectCount, c.bytesUsed]).toEqual([0, 0]);
    const acct = await store.getAccount(A);
    expect(acct.containerCount).toBe(1);
  });

  test("a GET already under way still reads the old bytes after an overwrite or a delete", async () => {
    await store.putObject(A, "c", "race", stream("old bytes"), opts);
    const before = await store.openObject(A, "c", "race");
    await store.putObject(A, "c", "race", stream("new"), opts);
    expect(await text(before.body)).toBe("old bytes");
    const again = await store.openObject(A, "c", "race");
    expect(await store.deleteObject(A, "c", "race")).toBe(true);
    expect(await text(again.body)).toBe("new");
    store.flushUnlinks();
    expect(await store.headObject(A, "c", "race")).toBeUndefined();
  });

  test("a wrong MD5, a short body or an oversized body leaves nothing behind", async () => {
    await expect(store.putObject(A, "c", "bad", stream("data"), { ...opts, md5: md5("other") })).rejects.toMatchObject({
      status: 422,
      type: "BadDigest",
    });
    await expect(store.putObject(A, "c", "short", stream("data"), { ...opts, size: 10 })).rejects.toMatchObject({
      type: "IncompleteBody",
    });
    await expect(
      store.putObject(A, "c", "big", stream(new Uint8Array(1024 * 1024 + 1)), opts),
    ).rejects.toMatchObject({ status: 413, type: "EntityTooLarge" });
    expect(await store.headObject(A, "c", "bad")).toBeUndefined();
    expect(await store.headObject(A, "c", "big")).toBeUndefined();
    expect(tmpFiles()).toBe(0);
    expect((await store.getContainer(A, "c"))!.objectCount).toBe(0);
  });

  test("a body that fails mid-stream leaves nothing", async () => {
    let n = 0;
    const failing = new ReadableStream<Uint8Array>({
      pull(ctrl) {
        if (n++ < 3) ctrl.enqueue(new Uint8Array(1000));
        else ctrl.error(new Error("connection reset"));
      },
    });
    await expect(store.putObject(A, "c", "dropped", failing, opts)).rejects.toThrow("connection reset");
    expect(await store.headObject(A, "c", "dropped")).toBeUndefined();
    expect(tmpFiles()).toBe(0);
  });

  test("names: container without '/' and ≤ 256 bytes, object ≤ 1024 bytes; missing container is NoSuchBucket", async () => {
    await expect(store.createContainer(A, "a/b")).rejects.toMatchObject({ status: 400 });
    await expect(store.createContainer(A, "x".repeat(257))).rejects.toMatchObject({ status: 400 });
    await expect(store.putObject(A, "c", "o".repeat(1025), stream("x"), opts)).rejects.toMatchObject({ status: 400 });
    await expect(store.putObject(A, "nope", "o", stream("x"), opts)).rejects.toMatchObject({ status: 404, type: "NoSuchBucket" });
    expect(await store.createContainer(A, "c")).toBe(false);
  });

  test("copy keeps bytes and metadata, or replaces metadata", async () => {
    await store.putObject(A, "c", "src", stream("copy me"), { ...opts, metadata: { k: "v" } });
    const same = await store.copyObject({ account: A, container: "c", name: "src" }, { account: A, container: "c", name: "dst" });
    expect(same.etag).toBe(md5("copy me"));
    expect(same.metadata).toEqual({ k: "v" });
    const repl = await store.copyObject(
      { account: A, container: "c", name: "src" },
      { account: A, container: "c", name: "dst2" },
      { metadata: { n: "1" }, headers: {}, contentType: "application/x" },
    );
    expect([repl.metadata, repl.contentType]).toEqual([{ n: "1" }, "application/x"]);
    expect(await text((await store.openObject(A, "c", "dst2")).body)).toBe("copy me");
  });

  test("a non-empty container cannot be deleted", async () => {
    await store.createContainer(A, "full");
    await store.putObject(A, "full", "o", stream("x"), opts);
    await expect(store.deleteContainer(A, "full")).rejects.toMatchObject({ status: 409, type: "BucketNotEmpty" });
    await store.deleteObject(A, "full", "o");
    await store.deleteContainer(A, "full");
    expect(await store.getContainer(A, "full")).toBeUndefined();
  });
});

describe("listing", () => {
  beforeAll(async () => {
    await store.createContainer(A, "l");
    for (const n of ["a", "b/1", "b/2", "b/3", "c", "d/x/y", "e"]) await store.putObject(A, "l", n, stream(n), opts);
  });
  const names = (xs: any[]) => xs.map((x) => x.name ?? `[${x.subdir}]`);

  test("plain, limit, marker, end_marker, prefix", async () => {
    expect(names(await store.listObjects(A, "l", { limit: 100 }))).toEqual(["a", "b/1", "b/2", "b/3", "c", "d/x/y", "e"]);
    expect(names(await store.listObjects(A, "l", { limit: 2, marker: "b/1" }))).toEqual(["b/2", "b/3"]);
    expect(names(await store.listObjects(A, "l", { limit: 100, endMarker: "c" }))).toEqual(["a", "b/1", "b/2", "b/3"]);
    expect(names(await store.listObjects(A, "l", { limit: 100, prefix: "b/" }))).toEqual(["b/1", "b/2", "b/3"]);
  });

  test("delimiter rolls pseudo-directories up; reverse order", async () => {
    expect(names(await store.listObjects(A, "l", { limit: 100, delimiter: "/" }))).toEqual(["a", "[b/]", "c", "[d/]", "e"]);
    expect(names(await store.listObjects(A, "l", { limit: 3, delimiter: "/" }))).toEqual(["a", "[b/]", "c"]);
    expect(names(await store.listObjects(A, "l", { limit: 100, prefix: "d/", delimiter: "/" }))).toEqual(["[d/x/]"]);
    expect(names(await store.listObjects(A, "l", { limit: 100, reverse: true }))).toEqual(
      ["e", "d/x/y", "c", "b/3", "b/2", "b/1", "a"],
    );
    expect(names(await store.listObjects(A, "l", { limit: 100, reverse: true, delimiter: "/" }))).toEqual(
      ["e", "[d/]", "c", "[b/]", "a"],
    );
  });

  test("containers list with prefix and counters", async () => {
    const cs = (await store.listContainers(A, { limit: 100, prefix: "l" })) as any[];
    expect(cs.map((c) => [c.name, c.objectCount])).toEqual([["l", 7]]);
  });
});

describe("multipart", () => {
  test("parts assemble into one object with the <md5-of-md5s>-N ETag; parts are cleaned up", async () => {
    const big = new Store(2 * 1024 * 1024 * 6);
    const id = await big.s.createUpload(A, "c", "mp", { contentType: "application/octet-stream", metadata: { m: "1" }, headers: {} });
    const p1 = new Uint8Array(5 * 1024 * 1024).fill(1);
    const p2 = new Uint8Array(10).fill(2);
    const r2 = await big.s.putPart(A, "c", "mp", id, 2, stream(p2), {});
    const r1 = await big.s.putPart(A, "c", "mp", id, 1, stream(p1), { md5: md5(p1) });
    expect((await big.s.listParts(A, "c", "mp", id, { marker: 0, limit: 10 })).parts.map((p) => p.partNumber)).toEqual([1, 2]);
    await expect(
      big.s.completeUpload(A, "c", "mp", id, [{ partNumber: 2, etag: r2.etag }, { partNumber: 1, etag: r1.etag }]),
    ).rejects.toMatchObject({ type: "InvalidPartOrder" });
    await expect(big.s.completeUpload(A, "c", "mp", id, [{ partNumber: 1, etag: "0".repeat(32) }])).rejects.toMatchObject({
      type: "InvalidPart",
    });
    const info = await big.s.completeUpload(A, "c", "mp", id, [
      { partNumber: 1, etag: `"${r1.etag}"` },
      { partNumber: 2, etag: r2.etag },
    ]);
    const expected = md5(Buffer.concat([Buffer.from(r1.etag, "hex"), Buffer.from(r2.etag, "hex")]));
    expect(info.etag).toBe(`${expected}-2`);
    expect(info.bytes).toBe(p1.length + p2.length);
    expect(info.metadata).toEqual({ m: "1" });
    const bytes = new Uint8Array(await (await big.s.openObject(A, "c", "mp")).body.arrayBuffer());
    expect(bytes[0]).toBe(1);
    expect(bytes.at(-1)).toBe(2);
    expect(info.md5).toBe(md5(bytes));
    await expect(big.s.listParts(A, "c", "mp", id, { marker: 0, limit: 10 })).rejects.toMatchObject({ type: "NoSuchUpload" });
    expect(db.get<{ n: number }>("SELECT COUNT(*) AS n FROM objectstore_parts")!.n).toBe(0);
  });

  test("abort removes the parts", async () => {
    const id = await store.createUpload(A, "c", "ab", opts);
    await store.putPart(A, "c", "ab", id, 1, stream("x"), {});
    await store.abortUpload(A, "c", "ab", id);
    expect(await store.listUploads(A, "c", {})).toEqual([]);
  });
});

class Store {
  s: FsObjectStore;
  constructor(max: number) {
    this.s = new FsObjectStore(db, join(dir, "objects"), clock, silentLogger, max);
  }
}

describe("housekeeping", () => {
  test("X-Delete-At: expired objects are gone at once and the expirer removes them", async () => {
    const now = Math.floor(clock.now() / 1000);
    await store.putObject(A, "c", "soon", stream("x"), { ...opts, deleteAt: now + 60 });
    expect(await store.headObject(A, "c", "soon")).toBeDefined();
    clock.advance(61_000);
    try {
      expect(await store.headObject(A, "c", "soon")).toBeUndefined();
      expect(new Expirer(store, silentLogger).runOnce()).toBeGreaterThanOrEqual(1);
      expect(db.get("SELECT * FROM objectstore_objects WHERE name = 'soon'")).toBeUndefined();
    } finally {
      clock.advance(-61_000);
    }
  });

  test("the auditor quarantines an object whose bytes rotted", async () => {
    await store.putObject(A, "c", "rot", stream("pristine"), opts);
    const row = db.get<{ file: string }>("SELECT file FROM objectstore_objects WHERE name = 'rot'")!;
    writeFileSync(join(dir, "objects", row.file), "tampered"); // same length, other bytes
    const before = (await store.getContainer(A, "c"))!.objectCount;
    const r = await new Auditor(store, silentLogger).runOnce(clock.now(), { bytesPerPass: 1 << 30, everyMs: -1, batch: 1000 });
    expect(r.quarantined).toBe(1);
    expect(await store.headObject(A, "c", "rot")).toBeUndefined();
    await expect(store.openObject(A, "c", "rot")).rejects.toMatchObject({ status: 404 });
    expect((await store.getContainer(A, "c"))!.objectCount).toBe(before - 1);
    expect(db.get<{ n: number }>("SELECT COUNT(*) AS n FROM objectstore_quarantine")!.n).toBe(1);
  });

  test("the auditor leaves healthy objects alone, logs a quarantine and moves the bytes aside", async () => {
    await store.putObject(A, "c", "healthy", stream("fine"), opts);
    await store.putObject(A, "c", "rot2", stream("pristine"), opts);
    const row = db.get<{ file: string }>("SELECT file FROM objectstore_objects WHERE name = 'rot2'")!;
    writeFileSync(join(dir, "objects", row.file), "pristine and then some");
    const lines: string[] = [];
    const auditor = new Auditor(store, new Logger("info", (l) => lines.push(l)));
    const r = await auditor.runOnce(clock.now(), { bytesPerPass: 1 << 30, everyMs: -1, batch: 1000 });
    expect(r.quarantined).toBe(1);
    expect(await text((await store.openObject(A, "c", "healthy")).body)).toBe("fine");
    expect(await store.headObject(A, "c", "rot2")).toBeUndefined();
    expect(existsSync(join(dir, "objects", row.file))).toBe(false);
    expect(readdirSync(join(dir, "objects", "quarantined"))).toContain(row.file.replace("/", "-"));
    expect(lines.some((l) => l.includes("WARN") && l.includes("quarantined AUTH_p1/c/rot2"))).toBe(true);
    // audited objects are not re-read until `everyMs` has passed
    const again = await auditor.runOnce(clock.now(), { everyMs: 60_000 });
    expect(again.audited).toBe(0);
  });

  test("the start-up sweep spares a PUT that is streaming right now", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let n = 0;
    const slow = new ReadableStream<Uint8Array>({
      async pull(ctrl) {
        if (n++ === 1) await gate;
        if (n > 3) return ctrl.close();
        ctrl.enqueue(new TextEncoder().encode("chunk;"));
      },
    });
    const pending = store.putObject(A, "c", "streaming", slow, opts);
    await Bun.sleep(5);
    expect(tmpFiles()).toBe(1);
    store.sweep();
    release();
    const info = await pending;
    expect(info.bytes).toBe(18);
    expect(await text((await store.openObject(A, "c", "streaming")).body)).toBe("chunk;chunk;chunk;");
  });

  test("a new store on the same data sees every object; the sweep removes orphans only", async () => {
    await store.putObject(A, "c", "keep", stream("kept"), opts);
    writeFileSync(join(dir, "objects", "tmp", "partial"), "half");
    mkdirSync(join(dir, "objects", "ab"), { recursive: true });
    writeFileSync(join(dir, "objects", "ab", "orphan"), "x");
    store.flushUnlinks(); // files of replaced objects, otherwise removed after a grace period
    const again = new FsObjectStore(db, join(dir, "objects"), clock, silentLogger, 1024 * 1024);
    expect(again.sweep()).toBe(2);
    expect(existsSync(join(dir, "objects", "ab", "orphan"))).toBe(false);
    expect(await text((await again.openObject(A, "c", "keep")).body)).toBe("kept");
  });
});
