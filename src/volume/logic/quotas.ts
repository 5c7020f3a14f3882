/**
 * Cinder quotas: per-project limits over volumes, snapshots, gigabytes (volumes
 * and snapshots both count), backups, groups, per_volume_gigabytes and the
 * per-type volumes_<t>, gigabytes_<t>, snapshots_<t>. Usage is counted from
 * the tables inside the caller's transaction, so check-and-insert is atomic.
 */
import type { Db } from "../../core/db.ts";
import { ApiError } from "../../core/errors.ts";

export const BASE_DEFAULTS: Record<string, number> = {
  volumes: 10,
  snapshots: 10,
  gigabytes: 1000,
  backups: 10,
  backup_gigabytes: 1000,
  groups: 10,
  per_volume_gigabytes: -1,
};
const PER_TYPE = ["volumes", "gigabytes", "snapshots"] as const;

/** Every resource name: the base ones, then the per-type ones. */
export function resourceNames(db: Db): string[] {
  const types = db.all<{ name: string }>("SELECT name FROM volume_types ORDER BY name").map((t) => t.name);
  return [...Object.keys(BASE_DEFAULTS), ...types.flatMap((t) => PER_TYPE.map((r) => `${r}_${t}`))];
}

/** The default class limits (quota class "default", else the built-in defaults; per-type: unlimited). */
export function classLimits(db: Db, className = "default"): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of resourceNames(db)) out[r] = BASE_DEFAULTS[r] ?? -1;
  for (const row of db.all<{ resource: string; hard_limit: number }>(
    "SELECT resource, hard_limit FROM volume_quota_classes WHERE class_name = ?",
    className,
  ))
    if (row.resource in out) out[row.resource] = row.hard_limit;
  return out;
}

export function projectLimits(db: Db, projectId: string): Record<string, number> {
  const out = classLimits(db);
  for (const row of db.all<{ resource: string; hard_limit: number }>(
    "SELECT resource, hard_limit FROM volume_quotas WHERE project_id = ?",
    projectId,
  ))
    if (row.resource in out) out[row.resource] = row.hard_limit;
  return out;
}

export function projectUsage(db: Db, projectId: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of resourceNames(db)) out[r] = 0;
  const vols = db.all<{ name: string; n: number; gb: number }>(
    `SELECT t.name AS name, COUNT(*) AS n, COALESCE(SUM(v.size), 0) AS gb
       FROM volume_volumes v JOIN volume_types t ON t.id = v.type_id
      WHERE v.project_id = ? GROUP BY t.name`,
    projectId,
  );
  for (const v of vols) {
    out.volumes! += v.n;
    out.gigabytes! += v.gb;
    out[`volumes_${v.name}`] = v.n;
    out[`gigabytes_${v.name}`] = (out[`gigabytes_${v.name}`] ?? 0) + v.gb;
  }
  const snaps = db.all<{ name: string | null; n: number; gb: number }>(
    `SELECT t.name AS name, COUNT(*) AS n, COALESCE(SUM(s.size), 0) AS gb
       FROM volume_snapshots s LEFT JOIN volume_types t ON t.id = s.type_id
      WHERE s.project_id = ? GROUP BY t.name`,
    projectId,
  );
  for (const s of snaps) {
    out.snapshots! += s.n;
    out.gigabytes! += s.gb;
    if (s.name) {
      out[`snapshots_${s.name}`] = s.n;
      out[`gigabytes_${s.name}`] = (out[`gigabytes_${s.name}`] ?? 0) + s.gb;
    }
  }
  const backups = db.get<{ n: number; gb: number }>(
    "SELECT COUNT(*) AS n, COALESCE(SUM(size), 0) AS gb FROM volume_backups WHERE project_id = ?",
    projectId,
  )!;
  out.backups = backups.n;
  out.backup_gigabytes = backups.gb;
  return out;
}

/** Backups: count and gigabytes (413 BackupLimitExceeded / VolumeBackupSizeExceedsAvailableQuota). */
export function checkBackupQuota(db: Db, projectId: string, sizeGb: number): void {
  const limits = projectLimits(db, projectId);
  const usage = projectUsage(db, projectId);
  if (limits.backups! >= 0 && usage.backups! + 1 > limits.backups!)
    throw new ApiError(413, `BackupLimitExceeded: Maximum number of backups allowed (${limits.backups}) exceeded.`);
  if (limits.backup_gigabytes! >= 0 && usage.backup_gigabytes! + sizeGb > limits.backup_gigabytes!)
    throw new ApiError(
      413,
      `VolumeBackupSizeExceedsAvailableQuota: Requested backup exceeds allowed Backup gigabytes quota. Requested ${sizeGb}G, quota is ${limits.backup_gigabytes}G and ${usage.backup_gigabytes}G has been consumed.`,
    );
}

/**
 * Refuse (413 overLimit, Cinder's messages) when adding `delta` to the
 * project's usage exceeds a limit. Call inside the transaction that writes.
 */
export function checkQuota(db: Db, projectId: string, typeName: string | null, delta: { volumes?: number; snapshots?: number; gigabytes?: number; perVolumeGb?: number }): void {
  const limits = projectLimits(db, projectId);
  const usage = projectUsage(db, projectId);
  if (delta.perVolumeGb !== undefined) {
    const l = limits.per_volume_gigabytes!;
    if (l >= 0 && delta.perVolumeGb > l)
      throw new ApiError(413, `VolumeSizeExceedsLimit: Requested volume size ${delta.perVolumeGb}G is larger than maximum allowed limit ${l}G.`);
  }
  const over = (res: string, d: number | undefined) => {
    if (!d || d <= 0) return false;
    const l = limits[res];
    return l !== undefined && l >= 0 && (usage[res] ?? 0) + d > l;
  };
  for (const res of ["gigabytes", ...(typeName ? [`gigabytes_${typeName}`] : [])]) {
    if (over(res, delta.gigabytes))
      throw new ApiError(
        413,
        `VolumeSizeExceedsAvailableQuota: Requested volume or snapshot exceeds allowed ${res} quota. Requested ${delta.gigabytes}G, quota is ${limits[res]}G and ${usage[res] ?? 0}G has been consumed.`,
      );
  }
  for (const res of ["volumes", ...(typeName ? [`volumes_${typeName}`] : [])]) {
    if (over(res, delta.volumes))
      throw new ApiError(413, `VolumeLimitExceeded: Maximum number of volumes allowed (${limits[res]}) exceeded for quota '${res}'.`);
  }
  for (const res of ["snapshots", ...(typeName ? [`snapshots_${typeName}`] : [])]) {
    if (over(res, delta.snapshots))
      throw new ApiError(413, `SnapshotLimitExceeded: Maximum number of snapshots allowed (${limits[res]}) exceeded for quota '${res}'.`);
  }
}

/** Set project limits (admin). Values are integers ≥ -1; unknown keys are a 400. */
export function updateProjectQuotas(db: Db, projectId: string, values: Record<string, unknown>): void {
  const known = new Set(resourceNames(db));
  const parsed = parseLimits(values, known);
  db.tx(() => {
    for (const [r, v] of Object.entries(parsed))
      db.run(
        "INSERT INTO volume_quotas (project_id, resource, hard_limit) VALUES (?, ?, ?) ON CONFLICT (project_id, resource) DO UPDATE SET hard_limit = excluded.hard_limit",
        projectId,
        r,
        v,
      );
  });
}

export function updateClassQuotas(db: Db, className: string, values: Record<string, unknown>): void {
  const known = new Set(resourceNames(db));
  const parsed = parseLimits(values, known);
  db.tx(() => {
    for (const [r, v] of Object.entries(parsed))
      db.run(
        "INSERT INTO volume_quota_classes (class_name, resource, hard_limit) VALUES (?, ?, ?) ON CONFLICT (class_name, resource) DO UPDATE SET hard_limit = excluded.hard_limit",
        className,
        r,
        v,
      );
  });
}

function parseLimits(values: Record<string, unknown>, known: Set<string>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, raw] of Object.entries(values)) {
    if (k === "tenant_id" || k === "id" || k === "class_name") continue;
    if (!known.has(k)) throw new ApiError(400, `Bad key(s) in quota set: ${k}`);
    const v = typeof raw === "string" && /^-?\d+$/.test(raw.trim()) ? Number(raw) : raw;
    if (typeof v !== "number" || !Number.isInteger(v)) throw new ApiError(400, `Invalid input received: ${k} must be an integer.`);
    if (v < -1) throw new ApiError(400, `Invalid input received: Quota limit ${v} for ${k} must be greater than or equal to -1.`);
    if (v > 2147483647) throw new ApiError(400, `Invalid input received: Quota limit ${v} for ${k} must be less than or equal to 2147483647.`);
    out[k] = v;
  }
  return out;
}

export function resetProjectQuotas(db: Db, projectId: string): void {
  db.run("DELETE FROM volume_quotas WHERE project_id = ?", projectId);
}
