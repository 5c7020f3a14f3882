/**
 * Nova's legacy (DB) quota driver: hard limits per project (optionally per
 * user) overriding the `default` quota class, itself overriding the built-in
 * defaults. Usage is counted, not stored (the servers side counts instances,
 * cores and ram; key pairs and server groups are counted here).
 */
import type { Db } from "../../../core/db.ts";
import { ApiError, badRequest } from "../../../core/errors.ts";
import type { Microversion } from "../../../core/microversion.ts";
import type { ProjectUsage, QuotaLimits } from "../index.ts";

/** Every quota resource, in the order Nova shows them, with its built-in default. */
export const QUOTA_DEFAULTS = {
  instances: 10,
  cores: 20,
  ram: 51200,
  floating_ips: 10,
  fixed_ips: -1,
  metadata_items: 128,
  injected_files: 5,
  injected_file_content_bytes: 10240,
  injected_file_path_bytes: 255,
  key_pairs: 100,
  security_groups: 10,
  security_group_rules: 20,
  server_groups: 10,
  server_group_members: 10,
} as const;
export type QuotaResource = keyof typeof QUOTA_DEFAULTS;
export const QUOTA_RESOURCES = Object.keys(QUOTA_DEFAULTS) as QuotaResource[];
export type QuotaValues = Record<QuotaResource, number>;

/** The nova-network era resources, gone from the API at 2.36. */
const NETWORK_QUOTAS: QuotaResource[] = ["floating_ips", "fixed_ips", "security_groups", "security_group_rules"];
/** Personality (injected files), gone from the API at 2.57. */
const FILE_QUOTAS: QuotaResource[] = ["injected_files", "injected_file_content_bytes", "injected_file_path_bytes"];

const atLeast = (v: Microversion, major: number, minor: number) => v[0] > major || (v[0] === major && v[1] >= minor);

/** The quota-set keys a microversion shows (and accepts in an update). */
export function quotaSetKeys(v: Microversion): QuotaResource[] {
  let out = QUOTA_RESOURCES;
  if (atLeast(v, 2, 36)) out = out.filter((k) => !NETWORK_QUOTAS.includes(k));
  if (atLeast(v, 2, 57)) out = out.filter((k) => !FILE_QUOTAS.includes(k));
  return out;
}

/** The quota-class keys a microversion shows: server groups only from 2.50 (v2.0 compatibility), network ones until 2.50. */
export function quotaClassKeys(v: Microversion): QuotaResource[] {
  if (!atLeast(v, 2, 50)) return QUOTA_RESOURCES.filter((k) => k !== "server_groups" && k !== "server_group_members");
  let out = QUOTA_RESOURCES.filter((k) => !NETWORK_QUOTAS.includes(k));
  if (atLeast(v, 2, 57)) out = out.filter((k) => !FILE_QUOTAS.includes(k));
  return out;
}

export const MAX_QUOTA = 2147483647;

/** A quota value from a request: an integer or a string of one, -1 (unlimited) to MAX_INT. */
export function parseQuotaValue(key: string, v: unknown): number {
  const n = typeof v === "number" ? v : typeof v === "string" && /^-?\d+$/.test(v.trim()) ? Number(v.trim()) : NaN;
  if (!Number.isInteger(n) || n < -1 || n > MAX_QUOTA) {
    const shown = JSON.stringify(v);
    throw badRequest(
      `Invalid input for field/attribute ${key}. Value: ${shown}. ${shown} is not a valid quota value (an integer from -1 to ${MAX_QUOTA})`,
    );
  }
  return n;
}

export function classLimits(db: Db, className: string): QuotaValues {
  const out: QuotaValues = { ...QUOTA_DEFAULTS };
  for (const r of db.all<{ resource: string; hard_limit: number }>(
    "SELECT resource, hard_limit FROM compute_resources_quota_classes WHERE class_name = ?",
    "default",
  )) if (r.resource in out) out[r.resource as QuotaResource] = r.hard_limit;
  if (className !== "default") {
    for (const r of db.all<{ resource: string; hard_limit: number }>(
      "SELECT resource, hard_limit FROM compute_resources_quota_classes WHERE class_name = ?",
      className,
    )) if (r.resource in out) out[r.resource as QuotaResource] = r.hard_limit;
  }
  return out;
}

export function setClassLimits(db: Db, className: string, values: Partial<QuotaValues>): void {
  db.tx(() => {
    for (const [k, v] of Object.entries(values)) {
      db.run(
        `INSERT INTO compute_resources_quota_classes (class_name, resource, hard_limit) VALUES (?, ?, ?)
         ON CONFLICT (class_name, resource) DO UPDATE SET hard_limit = excluded.hard_limit`,
        className,
        k,
        v,
      );
    }
  });
}

/** Effective limits of a project (and, when given, of one user in it). */
export function effectiveLimits(db: Db, projectId: string, userId?: string): QuotaValues {
  const out = classLimits(db, "default");
  const apply = (uid: string) => {
    for (const r of db.all<{ resource: string; hard_limit: number }>(
      "SELECT resource, hard_limit FROM compute_resources_quotas WHERE project_id = ? AND user_id = ?",
      projectId,
      uid,
    )) if (r.resource in out) out[r.resource as QuotaResource] = r.hard_limit;
  };
  apply("");
  if (userId) apply(userId);
  return out;
}

export function setProjectLimits(db: Db, projectId: string, userId: string | undefined, values: Partial<QuotaValues>): void {
  db.tx(() => {
    for (const [k, v] of Object.entries(values)) {
      db.run(
        `INSERT INTO compute_resources_quotas (project_id, user_id, resource, hard_limit) VALUES (?, ?, ?, ?)
         ON CONFLICT (project_id, user_id, resource) DO UPDATE SET hard_limit = excluded.hard_limit`,
        projectId,
        userId ?? "",
        k,
        v,
      );
    }
  });
}

/** Drop a project's overrides (all of them, its users' too), or one user's. */
export function deleteProjectLimits(db: Db, projectId: string, userId?: string): void {
  if (userId) db.run("DELETE FROM compute_resources_quotas WHERE project_id = ? AND user_id = ?", projectId, userId);
  else db.run("DELETE FROM compute_resources_quotas WHERE project_id = ?", projectId);
}

/** The subset the servers side needs (the contract's QuotaLimits). */
export function toQuotaLimits(v: QuotaValues): QuotaLimits {
  return {
    instances: v.instances,
    cores: v.cores,
    ram: v.ram,
    key_pairs: v.key_pairs,
    metadata_items: v.metadata_items,
    server_groups: v.server_groups,
    server_group_members: v.server_group_members,
    injected_files: v.injected_files,
    injected_file_content_bytes: v.injected_file_content_bytes,
    injected_file_path_bytes: v.injected_file_path_bytes,
  };
}

/** -1 means unlimited. */
export const exceeds = (limit: number, wanted: number) => limit >= 0 && wanted > limit;

/**
 * Nova's over-quota 403 for a server create or resize: "Quota exceeded for
 * cores, ram: Requested 2, 1024, but already used 20, 51200 of 20, 51200 cores, ram".
 */
export function checkQuota(limits: QuotaValues, used: ProjectUsage, delta: ProjectUsage): void {
  const overs = (["instances", "cores", "ram"] as const).filter((k) => delta[k] > 0 && exceeds(limits[k], used[k] + delta[k]));
  if (!overs.length) return;
  const list = (f: (k: (typeof overs)[number]) => number) => overs.map(f).join(", ");
  const o = overs.join(", ");
  throw new ApiError(
    403,
    `Quota exceeded for ${o}: Requested ${list((k) => delta[k])}, but already used ${list((k) => used[k])} of ${list((k) => limits[k])} ${o}`,
  );
}
