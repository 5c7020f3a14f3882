/**
 * Neutron's common list features: filters on any attribute (a repeated key
 * means any of the values), tag filters, `fields`, `sort_key`/`sort_dir`, and
 * pagination with `limit`/`marker`/`page_reverse` and `<resource>_links`.
 */
import { badRequest } from "../core/errors.ts";
import type { Obj } from "./store.ts";

const RESERVED = new Set(["fields", "sort_key", "sort_dir", "limit", "marker", "page_reverse", "tags", "tags-any", "not-tags", "not-tags-any"]);

export type Multi = Record<string, string[]>;

/** Query parameters as a map of lists (`?a=1&a=2` → `{a: ["1","2"]}`). */
export function multi(url: string): Multi {
  const out: Multi = {};
  for (const [k, v] of new URL(url).searchParams) (out[k] ??= []).push(v);
  return out;
}

function norm(v: unknown): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "boolean") return v ? "true" : "false";
  return String(v);
}

function matches(value: unknown, wanted: string[]): boolean {
  if (Array.isArray(value)) {
    // List attributes (security_groups, availability_zones…) match when they contain a value.
    return value.some((x) => wanted.some((w) => norm(x) === w));
  }
  const s = norm(value);
  return wanted.some((w) => {
    if (typeof value === "boolean") return w.toLowerCase() === s;
    if (value === null && (w === "" || w === "None" || w === "null")) return true;
    return w === s;
  });
}

/** Special filter on ports: `fixed_ips=ip_address=10.0.0.3` / `fixed_ips=subnet_id=…`. */
function matchFixedIps(value: { subnet_id: string; ip_address: string }[], wanted: string[]): boolean {
  return wanted.every((w) => {
    const [k, ...rest] = w.split("=");
    const v = rest.join("=");
    if (k === "ip_address_substr") return value.some((f) => f.ip_address.includes(v));
    return value.some((f) => (f as any)[k!] === v);
  });
}

export function filter(items: Obj[], q: Multi): Obj[] {
  let out = items;
  for (const [key, wanted] of Object.entries(q)) {
    if (RESERVED.has(key)) continue;
    if (key === "fixed_ips") {
      out = out.filter((o) => Array.isArray(o.fixed_ips) && matchFixedIps(o.fixed_ips, wanted));
      continue;
    }
    // Attributes the resource does not have are ignored (no filter-validation extension).
    out = out.filter((o) => !(key in o) || matches(o[key], wanted));
  }
  const tagList = (k: string) => (q[k] ?? []).flatMap((v) => v.split(",")).filter(Boolean);
  const all = tagList("tags"), any = tagList("tags-any"), notAll = tagList("not-tags"), notAny = tagList("not-tags-any");
  if (all.length || any.length || notAll.length || notAny.length) {
    out = out.filter((o) => {
      const t: string[] = o.tags ?? [];
      if (all.length && !all.every((x) => t.includes(x))) return false;
      if (any.length && !any.some((x) => t.includes(x))) return false;
      if (notAll.length && notAll.every((x) => t.includes(x))) return false;
      if (notAny.length && notAny.some((x) => t.includes(x))) return false;
      return true;
    });
  }
  return out;
}

export function pickFields(o: Record<string, unknown>, q: Multi): Record<string, unknown> {
  const fields = (q.fields ?? []).flatMap((f) => f.split(",")).filter(Boolean);
  if (!fields.length) return o;
  const out: Record<string, unknown> = {};
  for (const f of fields) if (f in o) out[f] = o[f];
  return out;
}

function compare(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === null || a === undefined) return -1;
  if (b === null || b === undefined) return 1;
  if (typeof a === "number" && typeof b === "number") return a - b;
  if (typeof a === "boolean" && typeof b === "boolean") return (a ? 1 : 0) - (b ? 1 : 0);
  const sa = typeof a === "string" ? a : JSON.stringify(a);
  const sb = typeof b === "string" ? b : JSON.stringify(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

/**
 * Filter, sort and page a list. `rendered` are the objects as the caller
 * sees them (sorting and filters see exactly what is returned).
 */
export function listPage(
  items: Obj[],
  q: Multi,
  url: string,
): { items: Obj[]; links: { rel: string; href: string }[] } {
  let out = filter(items, q);
  const keys = q.sort_key ?? [];
  const dirs = q.sort_dir ?? [];
  for (const d of dirs) if (d !== "asc" && d !== "desc") throw badRequest(`${d} is an invalid sort direction`, "HTTPBadRequest");
  if (keys.length) {
    if (dirs.length && dirs.length !== keys.length) throw badRequest("The number of sort_keys and sort_dirs must be same", "HTTPBadRequest");
    const sample = out[0];
    for (const k of keys) if (sample && !(k in sample)) throw badRequest(`${k} is an invalid attribute for sort_keys`, "HTTPBadRequest");
    out = [...out].sort((a, b) => {
      for (let i = 0; i < keys.length; i++) {
        const c = compare(a[keys[i]!], b[keys[i]!]);
        if (c) return (dirs[i] ?? "asc") === "desc" ? -c : c;
      }
      return compare(a.id, b.id);
    });
  }
  const links: { rel: string; href: string }[] = [];
  const limitRaw = q.limit?.[0];
  if (limitRaw === undefined) return { items: out, links };
  const limit = Number(limitRaw);
  if (!Number.isInteger(limit) || limit < 0) throw badRequest(`Bad limit request: Limit must be an integer 0 or greater and not '${limitRaw}'.`, "BadRequest");
  const reverse = (q.page_reverse?.[0] ?? "").toLowerCase() === "true";
  const marker = q.marker?.[0];
  let start = 0;
  let end = out.length;
  if (marker) {
    const i = out.findIndex((o) => o.id === marker);
    if (i < 0) throw badRequest(`Bad marker request: marker ${marker} could not be found.`, "BadRequest");
    if (reverse) end = i;
    else start = i + 1;
  }
  let page: Obj[];
  let more: boolean;
  if (limit === 0) {
    page = reverse ? out.slice(0, end) : out.slice(start);
    more = false;
  } else if (reverse) {
    page = out.slice(Math.max(0, end - limit), end);
    more = end - limit > 0;
  } else {
    page = out.slice(start, start + limit);
    more = start + limit < out.length;
  }
  const link = (rel: string, markerId: string, rev: boolean) => {
    const u = new URL(url);
    u.searchParams.delete("marker");
    u.searchParams.delete("page_reverse");
    u.searchParams.set("marker", markerId);
    if (rev) u.searchParams.set("page_reverse", "True");
    return { rel, href: u.toString() };
  };
  if (page.length) {
    if (reverse) {
      if (more) links.push(link("previous", page[0]!.id, true));
      if (marker) links.push(link("next", page[page.length - 1]!.id, false));
    } else {
      if (more) links.push(link("next", page[page.length - 1]!.id, false));
      if (marker) links.push(link("previous", page[0]!.id, true));
    }
  }
  return { items: page, links };
}
