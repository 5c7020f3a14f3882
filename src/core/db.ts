import { Database, type SQLQueryBindings, type Statement } from "bun:sqlite";

const WRITE = /^\s*(INSERT|UPDATE|DELETE|REPLACE)\b/i;

export interface Migration {
  version: number;
  name: string;
  /** SQL to run, or a function for migrations that need code. */
  up: string | ((db: Database) => void);
}

/**
 * The shared SQLite file. WAL (readers never block the writer), a busy timeout
 * (concurrent writers wait instead of failing with "database is locked"),
 * versioned migrations per service (each service owns tables prefixed with its
 * name).
 *
 * Trap (see ARCHITECTURE.md): never `.get()` an `INSERT … RETURNING`; it
 * keeps the statement open and the WAL never checkpoints. Use run()/all().
 */
export class Db {
  readonly raw: Database;
  private cache = new Map<string, Statement>();

  constructor(readonly path: string) {
    this.raw = new Database(path, { create: true, strict: true });
    this.raw.exec("PRAGMA journal_mode = WAL");
    this.raw.exec("PRAGMA synchronous = NORMAL");
    this.raw.exec("PRAGMA busy_timeout = 5000");
    this.raw.exec("PRAGMA foreign_keys = ON");
    this.raw.exec(
      `CREATE TABLE IF NOT EXISTS core_migrations (
         service TEXT NOT NULL, version INTEGER NOT NULL, name TEXT NOT NULL,
         applied_at TEXT NOT NULL, PRIMARY KEY (service, version))`,
    );
  }

  /** A cached prepared statement. */
  q(sql: string): Statement {
    let s = this.cache.get(sql);
    if (!s) {
      s = this.raw.query(sql);
      this.cache.set(sql, s);
    }
    return s;
  }

  get<T>(sql: string, ...params: SQLQueryBindings[]): T | undefined {
    if (WRITE.test(sql)) throw new Error("Db.get() on a write statement keeps it open and stalls WAL checkpoints; use run() or all()");
    return (this.q(sql).get(...(params as [SQLQueryBindings])) as T | null) ?? undefined;
  }
  all<T>(sql: string, ...params: SQLQueryBindings[]): T[] {
    return this.q(sql).all(...(params as [SQLQueryBindings])) as T[];
  }
  run(sql: string, ...params: SQLQueryBindings[]): { changes: number; lastInsertRowid: number | bigint } {
    return this.q(sql).run(...(params as [SQLQueryBindings]));
  }

  /** Run `fn` in one IMMEDIATE transaction (all or nothing). Nested calls join the outer one. */
  tx<T>(fn: () => T): T {
    if (this.raw.inTransaction) return fn();
    return this.raw.transaction(fn).immediate();
  }

  /** Applied migration version of a service (0 when none). */
  version(service: string): number {
    const r = this.get<{ v: number | null }>(
      "SELECT MAX(version) AS v FROM core_migrations WHERE service = ?",
      service,
    );
    return r?.v ?? 0;
  }

  /** Apply the service's pending migrations, each in its own transaction. Returns how many ran. */
  migrate(service: string, migrations: Migration[]): number {
    const current = this.version(service);
    const pending = [...migrations].sort((a, b) => a.version - b.version).filter((m) => m.version > current);
    for (const m of pending) {
      this.tx(() => {
        if (typeof m.up === "string") this.raw.exec(m.up);
        else m.up(this.raw);
        this.run(
          "INSERT INTO core_migrations (service, version, name, applied_at) VALUES (?, ?, ?, ?)",
          service,
          m.version,
          m.name,
          new Date().toISOString(),
        );
      });
    }
    return pending.length;
  }

  /** Size in bytes of the WAL file (0 when absent). */
  walSize(): number {
    try {
      return Bun.file(this.path + "-wal").size;
    } catch {
      return 0;
    }
  }

  close(): void {
    for (const s of this.cache.values()) s.finalize();
    this.cache.clear();
    try {
      this.raw.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    } catch {
      /* closing anyway */
    }
    this.raw.close();
  }
}
