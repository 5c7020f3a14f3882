/** Shared handler helpers: the caller, list paging/sorting as Cinder does it, query filters. */
import { ApiError, badRequest } from "../../core/errors.ts";
import type { Ctx } from "../../core/http.ts";
import { scopedProject } from "../../core/policy.ts";
import { callerOf, type Caller } from "../ctx.ts";
import { parseBool } from "../schemas/common.ts";

export function caller(c: Ctx): Caller {
  const a = c.get("auth");
  scopedProject(a);
  return callerOf(a, c.get("requestId"));
}

/** The query as a flat map (last value wins), as Cinder's filters read it. */
export function queryOf(c: Ctx): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of new URL(c.req.url).searchParams) out[k] = v;
  return out;
}

/** Cinder's metadata filter: a JSON object or a Python dict repr (`{'k': 'v'}`). */
export function parseMetaFilter(s: string | undefined): Record<string, string> | undefined {
  if (!s) return undefined;
  for (const text of [s, s.replaceAll("'", '"')]) {
    try {
      const v = JSON.parse(text);
      if (v && typeof v === "object" && !Array.isArray(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, String(x)]));
    } catch {
      /* try the next form */
    }
  }
  throw badRequest(`Invalid input received: metadata filter ${s} is not a dictionary.`);
}

/** all_tenants=1 for admins: every project's resources; otherwise the caller's project only. */
export function projectScope(cl: Caller, q: Record<string, string>): string | undefined {
  if (cl.isAdmin && parseBool(q.all_tenants ?? "") === true) return q.project_id || q.tenant_id || undefined;
  return cl.projectId;
}

const SORTABLE = new Set(["created_at", "updated_at", "id", "name", "display_name", "size", "status", "availability_zone", "bootable", "volume_id", "project_id"]);

/** Sort keys from `sort=k1:asc,k2` or `sort_key`/`sort_dir`; default created_at then id, descending. */
export function sortKeys(q: Record<string, string>): { key: string; dir: 1 | -1 }[] {
  const keys: { key: string; dir: 1 | -1 }[] = [];
  if (q.sort) {
    if (q.sort_key || q.sort_dir) throw badRequest("Invalid input received: The 'sort_key' and 'sort_dir' parameters are deprecated and cannot be used with the 'sort' parameter.");
    for (const part of q.sort.split(",")) {
      const [k, d] = part.trim().split(":");
      if (!k) continue;
      const dir = (d ?? "desc").trim().toLowerCase();
      if (dir !== "asc" && dir !== "desc") throw badRequest(`Invalid input received: Unknown sort direction, must be 'desc' or 'asc'.`);
      keys.push({ key: k.trim(), dir: dir === "asc" ? 1 : -1 });
    }
  } else if (q.sort_key || q.sort_dir) {
    const dir = (q.sort_dir ?? "desc").toLowerCase();
    if (dir !== "asc" && dir !== "desc") throw badRequest(`Invalid input received: Unknown sort direction, must be 'desc' or 'asc'.`);
    keys.push({ key: q.sort_key ?? "created_at", dir: dir === "asc" ? 1 : -1 });
  }
  for (const k of keys) {
    if (k.key === "display_name") k.key = "name";
    if (!SORTABLE.has(k.key)) throw badRequest(`Invalid input received: Invalid sort key ${k.key}.`);
  }
  if (!keys.some((k) => k.key === "created_at")) keys.push({ key: "created_at", dir: keys[0]?.dir ?? -1 });
  if (!keys.some((k) => k.key === "id")) keys.push({ key: "id", dir: keys[0]?.dir ?? -1 });
  return keys;
}

function cmp(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === null || a === undefined) return -1;
  if (b === null || b === undefined) return 1;
  if (typeof a === "number" && typeof b === "number") return a - b;
  return String(a) < String(b) ? -1 : 1;
}

/**
 * Sort, then page with marker/limit/offset. Returns the page and, when the
 * page is full (as Cinder does, even if it happens to be the last), the
 * `<resource>_links` next link (marker = last id of the page).
 */
export function page<T extends { id: string }>(c: Ctx, rows: T[], q: Record<string, string>, resource: string, maxLimit = 1000) {
  const keys = sortKeys(q);
  const sorted = [...rows].sort((x, y) => {
    for (const k of keys) {
      const d = cmp((x as any)[k.key], (y as any)[k.key]);
      if (d) return d * k.dir;
    }
    return 0;
  });
  let start = 0;
  if (q.marker) {
    const i = sorted.findIndex((r) => r.id === q.marker);
    if (i < 0) throw new ApiError(404, `Marker ${q.marker} could not be found.`);
    start = i + 1;
  }
  if (q.offset !== undefined) {
    const o = Number(q.offset);
    if (!Number.isInteger(o) || o < 0) throw badRequest("Invalid input received: offset must be a non-negative integer.");
    start += o;
  }
  let limit = maxLimit;
  if (q.limit !== undefined) {
    const l = Number(q.limit);
    if (!Number.isInteger(l) || l < 0) throw badRequest("Invalid input received: limit must be a non-negative integer.");
    limit = Math.min(l, maxLimit);
  }
  const items = sorted.slice(start, start + limit);
  let next: { rel: string; href: string }[] | undefined;
  if (q.limit !== undefined && items.length === limit && items.length) {
    const u = new URL(c.req.url);
    u.searchParams.set("marker", items[items.length - 1]!.id);
    u.searchParams.delete("offset");
    next = [{ rel: "next", href: u.toString() }];
  }
  return { items, next, total: sorted.length };
}
