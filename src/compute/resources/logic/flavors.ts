/** Flavors, their access lists and extra specs (Nova's api-database flavor tables). */
import type { Db } from "../../../core/db.ts";
import { badRequest, conflict, notFound } from "../../../core/errors.ts";
import { uuid } from "../../../core/ids.ts";
import type { Caller, Flavor } from "../index.ts";

export interface FlavorRow {
  id: number;
  flavorid: string;
  name: string;
  memory_mb: number;
  vcpus: number;
  root_gb: number;
  ephemeral_gb: number;
  swap: number;
  rxtx_factor: number;
  rxtx_quota: number;
  rxtx_cap: number;
  is_public: number;
  disabled: number;
  description: string | null;
  created_at: number;
  updated_at: number | null;
}

/** A flavor as the API and other modules see it, plus the columns only `tenrec manage` prints. */
export interface FlavorFull extends Flavor {
  rowId: number;
  rxtxQuota: number;
  rxtxCap: number;
}

/** Largest value Nova's columns take (db_const.MAX_INT). */
export const MAX_INT = 2147483647;

export function extraSpecsOf(db: Db, rowId: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (const r of db.all<{ key: string; value: string }>(
    "SELECT key, value FROM compute_resources_flavor_extra_specs WHERE flavor_id = ? ORDER BY key",
    rowId,
  )) out[r.key] = r.value;
  return out;
}

export function toFlavor(db: Db, r: FlavorRow): FlavorFull {
  return {
    rowId: r.id,
    id: r.flavorid,
    name: r.name,
    ram: r.memory_mb,
    vcpus: r.vcpus,
    disk: r.root_gb,
    ephemeral: r.ephemeral_gb,
    swap: r.swap,
    rxtxFactor: r.rxtx_factor,
    rxtxQuota: r.rxtx_quota,
    rxtxCap: r.rxtx_cap,
    isPublic: !!r.is_public,
    disabled: !!r.disabled,
    description: r.description,
    extraSpecs: extraSpecsOf(db, r.id),
  };
}

export function getFlavorRow(db: Db, flavorid: string): FlavorRow | undefined {
  return db.get<FlavorRow>("SELECT * FROM compute_resources_flavors WHERE flavorid = ?", flavorid);
}

export function getFlavorByName(db: Db, name: string): FlavorFull | undefined {
  const r = db.get<FlavorRow>("SELECT * FROM compute_resources_flavors WHERE name = ?", name);
  return r && toFlavor(db, r);
}

export function getFlavor(db: Db, flavorid: string): FlavorFull | undefined {
  const r = getFlavorRow(db, flavorid);
  return r && toFlavor(db, r);
}

export function hasAccess(db: Db, rowId: number, projectId: string | undefined): boolean {
  if (!projectId) return false;
  return !!db.get(
    "SELECT 1 FROM compute_resources_flavor_projects WHERE flavor_id = ? AND project_id = ?",
    rowId,
    projectId,
  );
}

/** May this caller see the flavor? Nova: admins see all; others public ones and private ones shared with their project. */
export function visibleTo(db: Db, r: FlavorRow, caller: Caller): boolean {
  return caller.isAdmin || !!r.is_public || hasAccess(db, r.id, caller.projectId);
}

/** Show: 404 unless visible. */
export function flavorForCaller(db: Db, caller: Caller, flavorid: string): FlavorFull {
  const r = getFlavorRow(db, flavorid);
  if (!r || !visibleTo(db, r, caller)) throw notFound(`Flavor ${flavorid} could not be found.`);
  return toFlavor(db, r);
}

/**
 * What a server create or resize may use: enabled, visible; by id (or a flavor
 * href, whose last segment is the id, as Nova's get_id_from_href), then by name.
 */
export function findForCaller(db: Db, caller: Caller, ref: string): FlavorFull | undefined {
  const idOrName = /^https?:\/\//.test(ref) ? decodeURIComponent(ref.replace(/\/+$/, "").split("/").at(-1) ?? "") : ref;
  const ok = (r: FlavorRow | undefined) => r && !r.disabled && visibleTo(db, r, caller) ? toFlavor(db, r) : undefined;
  return ok(getFlavorRow(db, idOrName)) ?? ok(db.get<FlavorRow>("SELECT * FROM compute_resources_flavors WHERE name = ?", idOrName));
}

export interface ListFlavorsOpts {
  /** true: public (+ shared with the caller's project); false: private only; null: all (admin only). */
  isPublic: boolean | null;
  minRam?: number;
  minDisk?: number;
  sortKey: string;
  sortDir: "asc" | "desc";
  marker?: string;
  limit?: number;
}

const SORT_COLUMNS: Record<string, string> = {
  created_at: "created_at",
  description: "description",
  disabled: "disabled",
  ephemeral_gb: "ephemeral_gb",
  flavorid: "flavorid",
  id: "id",
  is_public: "is_public",
  memory_mb: "memory_mb",
  name: "name",
  root_gb: "root_gb",
  rxtx_factor: "rxtx_factor",
  swap: "swap",
  updated_at: "updated_at",
  vcpu_weight: "id",
  vcpus: "vcpus",
};

export function listFlavors(db: Db, caller: Caller, o: ListFlavorsOpts): FlavorFull[] {
  const col = SORT_COLUMNS[o.sortKey];
  if (!col) throw badRequest(`Invalid sort_key: ${o.sortKey}`);
  const where: string[] = [];
  const params: (string | number)[] = [];
  if (!caller.isAdmin) where.push("disabled = 0");
  if (o.isPublic !== null) {
    if (o.isPublic && caller.projectId) {
      where.push(
        "(is_public = 1 OR id IN (SELECT flavor_id FROM compute_resources_flavor_projects WHERE project_id = ?))",
      );
      params.push(caller.projectId);
    } else {
      where.push("is_public = ?");
      params.push(o.isPublic ? 1 : 0);
    }
  }
  if (o.minRam !== undefined) {
    where.push("memory_mb >= ?");
    params.push(o.minRam);
  }
  if (o.minDisk !== undefined) {
    where.push("root_gb >= ?");
    params.push(o.minDisk);
  }
  const rows = db.all<FlavorRow>(
    `SELECT * FROM compute_resources_flavors${where.length ? ` WHERE ${where.join(" AND ")}` : ""}
     ORDER BY ${col} ${o.sortDir === "desc" ? "DESC" : "ASC"}, id ${o.sortDir === "desc" ? "DESC" : "ASC"}`,
    ...params,
  );
  let start = 0;
  if (o.marker !== undefined) {
    const i = rows.findIndex((r) => r.flavorid === o.marker);
    if (i < 0) throw badRequest(`marker [${o.marker}] not found`);
    start = i + 1;
  }
  const page = rows.slice(start, o.limit !== undefined ? start + o.limit : undefined);
  return page.map((r) => toFlavor(db, r));
}

export interface FlavorInput {
  name: string;
  flavorid?: string | null;
  ram: number;
  vcpus: number;
  disk: number;
  ephemeral?: number;
  swap?: number;
  rxtxFactor?: number;
  rxtxQuota?: number;
  rxtxCap?: number;
  isPublic?: boolean;
  description?: string | null;
}

/** Nova's flavors.create checks, then one insert. 409 on a duplicate name or id. */
export function createFlavor(db: Db, now: number, inp: FlavorInput): FlavorFull {
  const name = inp.name.trim();
  if (!name || name.length > 255) throw badRequest("Flavor name must be between 1 and 255 characters long.");
  // Nova: "Flavor names can only contain printable characters and horizontal spaces."
  if (!/^[^\p{C}\t\n\r\v\f]+$/u.test(name) || /[\u2028\u2029]/.test(name)) {
    throw badRequest("Flavor names can only contain printable characters and horizontal spaces.");
  }
  let flavorid = inp.flavorid === undefined || inp.flavorid === null ? uuid() : String(inp.flavorid).trim();
  if (!flavorid) flavorid = uuid();
  if (!/^[a-zA-Z0-9. _-]+$/.test(flavorid) || flavorid.length > 255) {
    throw badRequest("Flavor id can only contain letters from A-Z (both cases), periods, dashes, underscores and spaces.");
  }
  for (const [k, v, min] of [
    ["memory_mb", inp.ram, 1],
    ["vcpus", inp.vcpus, 1],
    ["root_gb", inp.disk, 0],
    ["ephemeral_gb", inp.ephemeral ?? 0, 0],
    ["swap", inp.swap ?? 0, 0],
  ] as const) {
    if (!Number.isInteger(v) || v < min || v > MAX_INT) {
      throw badRequest(`Invalid input received: '${k}' argument must be an integer between ${min} and ${MAX_INT}`);
    }
  }
  const rxtx = inp.rxtxFactor ?? 1.0;
  if (!(rxtx > 0) || rxtx > 3.40282e38) throw badRequest("'rxtx_factor' argument must be a positive float");
  return db.tx(() => {
    if (db.get("SELECT 1 FROM compute_resources_flavors WHERE name = ?", name)) {
      throw conflict(`Flavor with name ${name} already exists.`);
    }
    if (db.get("SELECT 1 FROM compute_resources_flavors WHERE flavorid = ?", flavorid)) {
      throw conflict(`Flavor with ID ${flavorid} already exists.`);
    }
    db.run(
      `INSERT INTO compute_resources_flavors
         (flavorid, name, memory_mb, vcpus, root_gb, ephemeral_gb, swap, rxtx_factor, rxtx_quota, rxtx_cap,
          is_public, disabled, description, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)`,
      flavorid,
      name,
      inp.ram,
      inp.vcpus,
      inp.disk,
      inp.ephemeral ?? 0,
      inp.swap ?? 0,
      rxtx,
      inp.rxtxQuota ?? 0,
      inp.rxtxCap ?? 0,
      inp.isPublic === false ? 0 : 1,
      inp.description ?? null,
      now,
    );
    return getFlavor(db, flavorid)!;
  });
}

export function updateFlavorDescription(db: Db, now: number, flavorid: string, description: string | null): FlavorFull {
  const r = db.run(
    "UPDATE compute_resources_flavors SET description = ?, updated_at = ? WHERE flavorid = ?",
    description,
    now,
    flavorid,
  );
  if (!r.changes) throw notFound(`Flavor ${flavorid} could not be found.`);
  return getFlavor(db, flavorid)!;
}

export function deleteFlavor(db: Db, flavorid: string): void {
  const r = db.run("DELETE FROM compute_resources_flavors WHERE flavorid = ?", flavorid);
  if (!r.changes) throw notFound(`Flavor ${flavorid} could not be found.`);
}

/** `tenrec manage flavor delete NAME`: mark inactive (disabled) instead of removing. */
export function disableFlavor(db: Db, now: number, rowId: number): void {
  db.run("UPDATE compute_resources_flavors SET disabled = 1, updated_at = ? WHERE id = ?", now, rowId);
}

// --- access lists ------------------------------------------------------------------

export function accessList(db: Db, r: FlavorRow): { flavor_id: string; tenant_id: string }[] {
  return db
    .all<{ project_id: string }>(
      "SELECT project_id FROM compute_resources_flavor_projects WHERE flavor_id = ? ORDER BY project_id",
      r.id,
    )
    .map((p) => ({ flavor_id: r.flavorid, tenant_id: p.project_id }));
}

export function addAccess(db: Db, r: FlavorRow, projectId: string): void {
  if (r.is_public) throw conflict("Can not add access to a public flavor.");
  db.tx(() => {
    if (hasAccess(db, r.id, projectId)) {
      throw conflict(`Flavor access already exists for flavor ${r.flavorid} and project ${projectId} combination.`);
    }
    db.run("INSERT INTO compute_resources_flavor_projects (flavor_id, project_id) VALUES (?, ?)", r.id, projectId);
  });
}

export function removeAccess(db: Db, r: FlavorRow, projectId: string): void {
  const res = db.run(
    "DELETE FROM compute_resources_flavor_projects WHERE flavor_id = ? AND project_id = ?",
    r.id,
    projectId,
  );
  if (!res.changes) {
    throw notFound(`Flavor access not found for ${r.flavorid} / ${projectId} combination.`);
  }
}

// --- extra specs ---------------------------------------------------------------------

export function setExtraSpecs(db: Db, r: FlavorRow, specs: Record<string, string>): void {
  db.tx(() => {
    for (const [k, v] of Object.entries(specs)) {
      db.run(
        `INSERT INTO compute_resources_flavor_extra_specs (flavor_id, key, value) VALUES (?, ?, ?)
         ON CONFLICT (flavor_id, key) DO UPDATE SET value = excluded.value`,
        r.id,
        k,
        v,
      );
    }
  });
}

export function getExtraSpec(db: Db, r: FlavorRow, key: string): string {
  const v = db.get<{ value: string }>(
    "SELECT value FROM compute_resources_flavor_extra_specs WHERE flavor_id = ? AND key = ?",
    r.id,
    key,
  );
  if (!v) throw notFound(`Flavor ${r.flavorid} has no extra specs with key ${key}.`);
  return v.value;
}

export function deleteExtraSpec(db: Db, r: FlavorRow, key: string): void {
  const res = db.run("DELETE FROM compute_resources_flavor_extra_specs WHERE flavor_id = ? AND key = ?", r.id, key);
  if (!res.changes) throw notFound(`Flavor ${r.flavorid} has no extra specs with key ${key}.`);
}

// --- the seed -------------------------------------------------------------------------

/**
 * What `db sync`/bootstrap seeds: the seed's five m1.* flavors (ids 1–5, as the
 * issue lists them: m1.tiny has a 0 GB root disk) plus the small test flavors
 * DevStack creates and Tempest jobs use (m1.nano 42, m1.micro 84, cirros256 c1,
 * ds512M d1, ds1G d2, ds2G d3, ds4G d4).
 */
export const SEED_FLAVORS: FlavorInput[] = [
  { name: "m1.tiny", flavorid: "1", ram: 512, vcpus: 1, disk: 0 },
  { name: "m1.small", flavorid: "2", ram: 2048, vcpus: 1, disk: 20 },
  { name: "m1.medium", flavorid: "3", ram: 4096, vcpus: 2, disk: 40 },
  { name: "m1.large", flavorid: "4", ram: 8192, vcpus: 4, disk: 80 },
  { name: "m1.xlarge", flavorid: "5", ram: 16384, vcpus: 8, disk: 160 },
  { name: "m1.nano", flavorid: "42", ram: 128, vcpus: 1, disk: 1 },
  { name: "m1.micro", flavorid: "84", ram: 192, vcpus: 1, disk: 1 },
  { name: "cirros256", flavorid: "c1", ram: 256, vcpus: 1, disk: 1 },
  { name: "ds512M", flavorid: "d1", ram: 512, vcpus: 1, disk: 5 },
  { name: "ds1G", flavorid: "d2", ram: 1024, vcpus: 1, disk: 10 },
  { name: "ds2G", flavorid: "d3", ram: 2048, vcpus: 2, disk: 10 },
  { name: "ds4G", flavorid: "d4", ram: 4096, vcpus: 4, disk: 20 },
];
