import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Db } from "./db.ts";

function tmpDb() {
  const dir = mkdtempSync(join(tmpdir(), "tenrec-db-"));
  return { db: new Db(join(dir, "t.db")), dir };
}

describe("Db", () => {
  test("runs in WAL mode with a busy timeout", () => {
    const { db, dir } = tmpDb();
    expect(db.get<{ journal_mode: string }>("PRAGMA journal_mode")!.journal_mode).toBe("wal");
    expect(db.get<{ timeout: number }>("PRAGMA busy_timeout")!.timeout).toBe(5000);
    db.close();
    rmSync(dir, { recursive: true });
  });

  test("migrations apply once, in order, per service", () => {
    const { db, dir } = tmpDb();
    const migs = [
      { version: 2, name: "add col", up: "ALTER TABLE svc_t ADD COLUMN b TEXT" },
      { version: 1, name: "create", up: "CREATE TABLE svc_t (a TEXT)" },
    ];
    expect(db.migrate("svc", migs)).toBe(2);
    expect(db.migrate("svc", migs)).toBe(0);
    expect(db.version("svc")).toBe(2);
    expect(db.version("other")).toBe(0);
    db.run("INSERT INTO svc_t (a, b) VALUES ('x', 'y')");
    expect(db.all("SELECT * FROM svc_t")).toEqual([{ a: "x", b: "y" }]);
    db.close();
    rmSync(dir, { recursive: true });
  });

  test("a failing migration leaves nothing half-applied", () => {
    const { db, dir } = tmpDb();
    const bad = [{ version: 1, name: "bad", up: "CREATE TABLE ok_t (a TEXT); CREATE TABLE broken (" }];
    expect(() => db.migrate("svc", bad)).toThrow();
    expect(db.version("svc")).toBe(0);
    expect(db.all("SELECT name FROM sqlite_master WHERE name = 'ok_t'")).toEqual([]);
    db.close();
    rmSync(dir, { recursive: true });
  });

  test("tx rolls back on error", () => {
    const { db, dir } = tmpDb();
    db.raw.exec("CREATE TABLE t (a INTEGER PRIMARY KEY)");
    expect(() =>
      db.tx(() => {
        db.run("INSERT INTO t VALUES (1)");
        db.run("INSERT INTO t VALUES (1)");
      }),
    ).toThrow();
    expect(db.all("SELECT * FROM t")).toEqual([]);
    db.close();
    rmSync(dir, { recursive: true });
  });

  test("the WAL checkpoints under sustained inserts (no statement left open)", () => {
    const { db, dir } = tmpDb();
    db.raw.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)");
    const pad = "x".repeat(500);
    for (let i = 0; i < 20000; i++) db.run("INSERT INTO t (v) VALUES (?)", pad);
    // 20k rows of 500 bytes is ~10 MB of pages; with checkpoints working the
    // WAL stays near its autocheckpoint size (1000 pages = 4 MB).
    expect(db.walSize()).toBeLessThan(8 * 1024 * 1024);
    db.close();
    rmSync(dir, { recursive: true });
  });

  test("get() refuses write statements (the INSERT … RETURNING trap)", () => {
    const { db, dir } = tmpDb();
    db.raw.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)");
    expect(() => db.get("INSERT INTO t (v) VALUES ('a') RETURNING id")).toThrow(/run\(\) or all\(\)/);
    expect(db.all<{ id: number }>("INSERT INTO t (v) VALUES ('a') RETURNING id")).toEqual([{ id: 1 }]);
    db.close();
    rmSync(dir, { recursive: true });
  });
});
