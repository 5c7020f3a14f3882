import type { Db } from "../../core/db.ts";
import { badRequest, conflict, forbidden, notFound } from "../../core/errors.ts";
import { hexId } from "../../core/ids.ts";
import { splitExtra, type IdentityCtx } from "../ctx.ts";
import { extraOf } from "../model.ts";
import type { RegionInput } from "../schemas/regions.ts";

export interface RegionRow { id: string; description: string; parent_region_id: string | null; extra: string }

const KNOWN = ["description", "parent_region_id"] as const;

export const getRegion = (db: Db, id: string) => db.get<RegionRow>("SELECT * FROM identity_regions WHERE id = ?", id);

export function mustRegion(db: Db, id: string): RegionRow {
  const r = getRegion(db, id);
  if (!r) throw notFound(`Could not find region: ${id}.`);
  return r;
}

export function listRegions(db: Db, q: { parent_region_id?: string }): RegionRow[] {
  if (q.parent_region_id !== undefined)
    return db.all<RegionRow>("SELECT * FROM identity_regions WHERE parent_region_id = ? ORDER BY id", q.parent_region_id);
  return db.all<RegionRow>("SELECT * FROM identity_regions ORDER BY id");
}

/** Ids of a region and all of its descendants. */
export function regionSubtree(db: Db, id: string): string[] {
  const out = [id];
  const seen = new Set(out);
  for (let i = 0; i < out.length; i++) {
    for (const c of db.all<{ id: string }>("SELECT id FROM identity_regions WHERE parent_region_id = ?", out[i])) {
      if (!seen.has(c.id)) {
        seen.add(c.id);
        out.push(c.id);
      }
    }
  }
  return out;
}

/**
 * Create a region (POST with an optional id, or PUT /regions/{id}). The
 * parent must exist (404, as Keystone); a taken id is a 409.
 */
export function createRegion(ctx: IdentityCtx, input: RegionInput, pathId?: string): RegionRow {
  const { db } = ctx;
  let id = input.id ?? undefined;
  if (pathId !== undefined) {
    if (id !== undefined && id !== pathId)
      throw badRequest(`Conflicting region IDs specified: "${pathId}" != "${id}"`);
    id = pathId;
  }
  if (!id) id = hexId();
  const extra = splitExtra(input, KNOWN);
  return db.tx(() => {
    if (getRegion(db, id)) throw conflict(`Conflict occurred attempting to store region - Duplicate ID, ${id}.`);
    const parent = input.parent_region_id ?? null;
    if (parent !== null) mustRegion(db, parent);
    db.run(
      "INSERT INTO identity_regions (id, description, parent_region_id, extra) VALUES (?, ?, ?, ?)",
      id,
      input.description ?? "",
      parent,
      JSON.stringify(extra),
    );
    return getRegion(db, id)!;
  });
}

/** Create the region if it does not exist (legacy `region` on endpoints, as Keystone does). */
export function ensureRegion(db: Db, id: string): void {
  db.run("INSERT OR IGNORE INTO identity_regions (id, description) VALUES (?, '')", id);
}

export function updateRegion(ctx: IdentityCtx, id: string, input: RegionInput): RegionRow {
  const { db } = ctx;
  if (input.id != null && input.id !== id)
    throw badRequest(`Cannot change the ID of a region: "${id}" != "${input.id}"`);
  return db.tx(() => {
    const cur = mustRegion(db, id);
    let parent = cur.parent_region_id;
    if (input.parent_region_id !== undefined) {
      parent = input.parent_region_id;
      if (parent !== null) {
        mustRegion(db, parent);
        // Walking up from the new parent must never reach this region.
        const seen = new Set<string>();
        for (let cur: string | null = parent; cur && !seen.has(cur); ) {
          if (cur === id)
            throw badRequest(
              `The specified parent region ${parent} would create a circular region hierarchy.`,
            );
          seen.add(cur);
          cur = getRegion(db, cur)?.parent_region_id ?? null;
        }
      }
    }
    const description =
      input.description !== undefined ? (input.description ?? "") : cur.description;
    const extra = { ...extraOf(cur), ...splitExtra(input, KNOWN) };
    db.run(
      "UPDATE identity_regions SET description = ?, parent_region_id = ?, extra = ? WHERE id = ?",
      description,
      parent,
      JSON.stringify(extra),
      id,
    );
    return getRegion(db, id)!;
  });
}

/**
 * Delete a region and, as Keystone does, its child regions — refused (403)
 * while it or any descendant still has endpoints.
 */
export function deleteRegion(ctx: IdentityCtx, id: string): void {
  const { db } = ctx;
  db.tx(() => {
    mustRegion(db, id);
    const ids = regionSubtree(db, id);
    const marks = ids.map(() => "?").join(",");
    const used = db.get<{ n: number }>(
      `SELECT COUNT(*) AS n FROM identity_endpoints WHERE region_id IN (${marks})`,
      ...ids,
    );
    if (used && used.n > 0)
      throw forbidden(`Unable to delete region ${id} because it or its child regions have associated endpoints.`);
    db.run(`DELETE FROM identity_regions WHERE id IN (${marks})`, ...ids);
  });
}
