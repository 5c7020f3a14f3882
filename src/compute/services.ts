/**
 * Nova's service records (os-services, `tenrec manage service list`): the
 * in-process scheduler and conductor on the controller host and one
 * nova-compute per (simulated) compute host. Each live worker refreshes its
 * `last_seen_up` on a heartbeat; a service is "up" while its last heartbeat is
 * younger than SERVICE_DOWN_TIME (Nova's service_down_time, 60 s) and it is not
 * forced down.
 */
import type { Db } from "../core/db.ts";

export const SERVICE_DOWN_TIME_MS = 60_000;
export const HEARTBEAT_MS = 10_000;

export interface ServiceRow {
  id: number;
  uuid: string;
  host: string;
  binary: string;
  topic: string;
  zone: string;
  disabled: number;
  disabled_reason: string | null;
  forced_down: number;
  last_seen_up: number | null;
  created_at: number;
  updated_at: number;
}

export interface ServiceInfo {
  id: number;
  uuid: string;
  host: string;
  binary: string;
  topic: string;
  zone: string;
  disabled: boolean;
  disabledReason: string | null;
  forcedDown: boolean;
  /** Heartbeat fresh and not forced down. */
  up: boolean;
  /** Last heartbeat (ms since epoch), null when never seen. */
  lastSeenUp: number | null;
  updatedAt: number;
}

export function serviceInfo(r: ServiceRow, now: number): ServiceInfo {
  return {
    id: r.id,
    uuid: r.uuid,
    host: r.host,
    binary: r.binary,
    topic: r.topic,
    zone: r.zone,
    disabled: !!r.disabled,
    disabledReason: r.disabled_reason,
    forcedDown: !!r.forced_down,
    up: !r.forced_down && r.last_seen_up !== null && now - r.last_seen_up <= SERVICE_DOWN_TIME_MS,
    lastSeenUp: r.last_seen_up,
    updatedAt: r.updated_at,
  };
}

/**
 * Every compute service record with its up/down state, read straight from the
 * database (works whether or not the cloud is running: for `tenrec manage service list`).
 */
export function listServices(db: Db, now = Date.now()): ServiceInfo[] {
  const has = db.get<{ n: number }>("SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'compute_services'");
  if (!has?.n) return [];
  return db.all<ServiceRow>("SELECT * FROM compute_services ORDER BY id").map((r) => serviceInfo(r, now));
}

/** Register (or find) a service row; returns its id. */
export function ensureService(db: Db, host: string, binary: string, topic: string, zone: string, now: number): number {
  const r = db.get<{ id: number }>("SELECT id FROM compute_services WHERE host = ? AND binary = ?", host, binary);
  if (r) {
    db.run("UPDATE compute_services SET zone = ?, topic = ? WHERE id = ?", zone, topic, r.id);
    return r.id;
  }
  return Number(
    db.run(
      "INSERT INTO compute_services (uuid, host, binary, topic, zone, created_at, updated_at) VALUES (?,?,?,?,?,?,?)",
      crypto.randomUUID(), host, binary, topic, zone, now, now,
    ).lastInsertRowid,
  );
}

export function heartbeat(db: Db, ids: number[], now: number): void {
  if (!ids.length) return;
  db.run(`UPDATE compute_services SET last_seen_up = ?, updated_at = ? WHERE id IN (${ids.map(() => "?").join(",")})`, now, now, ...ids);
}
