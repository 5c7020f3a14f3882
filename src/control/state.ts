/**
 * Snapshots of a whole cloud's data dir: the database (VACUUM INTO, consistent
 * while the cloud runs), the object store's files as hard links (they are
 * never modified in place: every write is a new file renamed into place) and
 * every other directory (volumes, images, instances) as a reflink/sparse copy.
 * A snapshot is `<data>/snapshots/<name>/` with `tenrec.db`, `files/` and
 * `meta.json`; it is written under a temporary name and renamed, so a
 * half-written snapshot is never listed.
 */
import { existsSync, linkSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, copyFileSync } from "node:fs";
import { join } from "node:path";
import type { Db } from "../core/db.ts";

export const SNAPSHOT_DIR = "snapshots";
/** Entries of the data dir that are not cloud state (or are handled apart). */
const KEEP = new Set([SNAPSHOT_DIR, "clouds.yaml", "openrc", "tenrec.db", "tenrec.db-wal", "tenrec.db-shm"]);
/** Directories whose files are immutable once in place: hard links suffice. */
const LINKABLE = new Set(["objects"]);

export interface SnapshotMeta {
  name: string;
  created_at: string;
  bytes: number;
}

const isTemp = (n: string) => n.includes(".tmp-") || n.startsWith(".");

function linkTree(src: string, dst: string): number {
  let bytes = 0;
  mkdirSync(dst, { recursive: true });
  for (const e of readdirSync(src, { withFileTypes: true })) {
    const s = join(src, e.name);
    const d = join(dst, e.name);
    if (e.isDirectory()) bytes += linkTree(s, d);
    else if (e.isFile()) {
      if (e.name.includes(".tmp")) continue; // a write in flight is not state yet
      try {
        linkSync(s, d);
      } catch {
        copyFileSync(s, d);
      }
      bytes += statSync(s).size;
    }
  }
  return bytes;
}

function copyTree(src: string, dst: string): number {
  const r = Bun.spawnSync(["cp", "-a", "--reflink=auto", "--sparse=always", src, dst], { stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`copying ${src}: ${r.stderr.toString().trim()}`);
  const du = Bun.spawnSync(["du", "-sb", dst], { stdout: "pipe" });
  return Number(du.stdout.toString().split(/\s/)[0]) || 0;
}

/** Copy the data dir's state entries from `from` into `to` (a directory that exists). */
function copyState(from: string, to: string): number {
  let bytes = 0;
  for (const name of readdirSync(from)) {
    if (KEEP.has(name) || isTemp(name)) continue;
    const s = join(from, name);
    const d = join(to, name);
    const st = lstatSync(s);
    if (st.isDirectory() && LINKABLE.has(name)) bytes += linkTree(s, d);
    else if (st.isDirectory() || st.isFile()) bytes += copyTree(s, d);
  }
  return bytes;
}

export function snapshotPath(dataDir: string, name: string): string {
  return join(dataDir, SNAPSHOT_DIR, name);
}

/** Save the running cloud's state as `name` (replacing a snapshot of that name). */
export function saveSnapshot(db: Db, dataDir: string, name: string): SnapshotMeta {
  const final = snapshotPath(dataDir, name);
  const tmp = `${final}.tmp-${process.pid}-${Date.now()}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(join(tmp, "files"), { recursive: true });
  try {
    db.raw.run(`VACUUM INTO '${join(tmp, "tenrec.db").replaceAll("'", "''")}'`);
    let bytes = statSync(join(tmp, "tenrec.db")).size;
    bytes += copyState(dataDir, join(tmp, "files"));
    const meta: SnapshotMeta = { name, created_at: new Date().toISOString(), bytes };
    writeFileSync(join(tmp, "meta.json"), JSON.stringify(meta, null, 2));
    if (existsSync(final)) {
      const old = `${final}.tmp-old-${Date.now()}`;
      renameSync(final, old);
      renameSync(tmp, final);
      rmSync(old, { recursive: true, force: true });
    } else renameSync(tmp, final);
    return meta;
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

/** Replace the data dir's state with the snapshot's. The database must be closed. */
export function restoreSnapshot(dataDir: string, name: string): void {
  const snap = snapshotPath(dataDir, name);
  if (!existsSync(join(snap, "meta.json"))) throw new Error(`no snapshot ${name}`);
  wipeState(dataDir);
  copyFileSync(join(snap, "tenrec.db"), join(dataDir, "tenrec.db"));
  copyState(join(snap, "files"), dataDir);
}

/** Remove every state entry of the data dir (database included), keeping snapshots and client files. */
export function wipeState(dataDir: string): void {
  for (const name of readdirSync(dataDir)) {
    if (name === SNAPSHOT_DIR || name === "clouds.yaml" || name === "openrc") continue;
    rmSync(join(dataDir, name), { recursive: true, force: true });
  }
}

export function listSnapshots(dataDir: string): SnapshotMeta[] {
  const dir = join(dataDir, SNAPSHOT_DIR);
  if (!existsSync(dir)) return [];
  const out: SnapshotMeta[] = [];
  for (const name of readdirSync(dir)) {
    if (isTemp(name)) continue;
    try {
      out.push(JSON.parse(readFileSync(join(dir, name, "meta.json"), "utf8")));
    } catch {
      /* not a snapshot */
    }
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

export function removeSnapshot(dataDir: string, name: string): boolean {
  const p = snapshotPath(dataDir, name);
  if (!existsSync(join(p, "meta.json"))) return false;
  rmSync(p, { recursive: true, force: true });
  return true;
}

/** The baseline taken right after a fresh bootstrap; `reset` restores it. Hidden from the list. */
export const BASELINE = ".bootstrap";
