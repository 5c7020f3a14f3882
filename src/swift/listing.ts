/**
 * Account and container listings in Swift's three formats. The format comes
 * from `?format=` when given, else from the Accept header (Swift's
 * get_listing_content_type); an empty plain listing is 204 No Content.
 */
import { ApiError } from "../core/errors.ts";
import { escapeHtml } from "../core/faults.ts";

export type ListingType = "text/plain" | "application/json" | "application/xml" | "text/xml";
const OFFERS: ListingType[] = ["text/plain", "application/json", "application/xml", "text/xml"];
const FORMATS: Record<string, ListingType> = { plain: "text/plain", json: "application/json", xml: "application/xml" };

/** swob's Accept.best_match over the listing types; 406 when none is acceptable. */
export function listingType(format: string | undefined, accept: string | undefined): ListingType {
  if (format) return FORMATS[format.toLowerCase()] ?? "text/plain";
  if (!accept || !accept.trim()) return "text/plain";
  const ranges: { type: string; sub: string; q: number; i: number }[] = [];
  accept.split(",").forEach((part, i) => {
    const [mt, ...params] = part.trim().split(";");
    if (!mt) return;
    const [type, sub] = mt.trim().toLowerCase().split("/");
    if (!type || !sub) throw new ApiError(400, "Invalid Accept header");
    let q = 1;
    for (const p of params) {
      const [k, v] = p.trim().split("=");
      if (k?.trim() === "q") q = Number(v);
    }
    if (!Number.isFinite(q)) throw new ApiError(400, "Invalid Accept header");
    ranges.push({ type, sub, q, i });
  });
  ranges.sort((a, b) => b.q - a.q || a.i - b.i);
  for (const r of ranges) {
    if (r.q <= 0) continue;
    for (const o of OFFERS) {
      const [ot, os] = o.split("/");
      if ((r.type === "*" || r.type === ot) && (r.sub === "*" || r.sub === os)) return o;
    }
  }
  throw new ApiError(406, "The requested resource is not available in a format acceptable to your browser.");
}

/** `2026-11-23T21:04:29.123456`: Swift's listing timestamps (UTC, no zone). */
export function listingTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$1000");
}

export type ContainerRow = { name: string; count: number; bytes: number; last_modified: string } | { subdir: string };
export type ObjectRow =
  | { name: string; hash: string; bytes: number; content_type: string; last_modified: string; slo_etag?: string }
  | { subdir: string };

const xmlEsc = (s: string) => escapeHtml(s);

function nameOf(row: { name: string } | { subdir: string }): string {
  return "subdir" in row ? row.subdir : row.name;
}

/** The body of a listing, or null for an empty plain one (then 204). */
export function renderListing(
  type: ListingType,
  kind: "account" | "container",
  base: string,
  rows: (ContainerRow | ObjectRow)[],
): string | null {
  if (type === "application/json") return JSON.stringify(rows);
  if (type === "text/plain") return rows.length ? rows.map((r) => nameOf(r) + "\n").join("") : null;
  const out = ['<?xml version="1.0" encoding="UTF-8"?>\n'];
  if (kind === "account") {
    out.push(`<account name="${xmlEsc(base)}">\n`);
    for (const r of rows as ContainerRow[]) {
      if ("subdir" in r) out.push(`<subdir name="${xmlEsc(r.subdir)}" />\n`);
      else
        out.push(
          `<container><name>${xmlEsc(r.name)}</name><count>${r.count}</count><bytes>${r.bytes}</bytes><last_modified>${r.last_modified}</last_modified></container>\n`,
        );
    }
    out.push("</account>");
  } else {
    out.push(`<container name="${xmlEsc(base)}">`);
    for (const r of rows as ObjectRow[]) {
      if ("subdir" in r) out.push(`<subdir name="${xmlEsc(r.subdir)}"><name>${xmlEsc(r.subdir)}</name></subdir>`);
      else
        out.push(
          `<object><name>${xmlEsc(r.name)}</name><hash>${r.hash}</hash><bytes>${r.bytes}</bytes><content_type>${xmlEsc(r.content_type)}</content_type><last_modified>${r.last_modified}</last_modified></object>`,
        );
    }
    out.push("</container>");
  }
  return out.join("");
}

/** Listing query options, validated as Swift does (limit 0..10000, strings ≤ the name limit). */
export interface ListingQuery {
  prefix?: string;
  delimiter?: string;
  marker?: string;
  endMarker?: string;
  limit: number;
  reverse: boolean;
}

export const LISTING_LIMIT = 10000;

const TRUE = new Set(["true", "1", "yes", "on", "t", "y"]);
export const truthy = (v: string | undefined | null) => !!v && TRUE.has(v.toLowerCase());

export function listingQuery(q: URLSearchParams): ListingQuery {
  const limitRaw = q.get("limit");
  let limit = LISTING_LIMIT;
  // Swift ignores a limit that is not all digits.
  if (limitRaw !== null && /^\d+$/.test(limitRaw)) {
    const n = Number(limitRaw);
    if (n > LISTING_LIMIT) throw new ApiError(412, `Maximum limit is ${LISTING_LIMIT}`);
    limit = n;
  }
  const delimiter = q.get("delimiter") || undefined;
  if (delimiter !== undefined && delimiter.length !== 1) throw new ApiError(412, "Bad delimiter");
  for (const k of ["prefix", "marker", "end_marker"]) {
    const v = q.get(k);
    if (v && v.length > 1024) throw new ApiError(412, `Maximum length of ${k} is 1024`);
  }
  return {
    prefix: q.get("prefix") || undefined,
    delimiter,
    marker: q.get("marker") || undefined,
    endMarker: q.get("end_marker") || undefined,
    limit,
    reverse: truthy(q.get("reverse")),
  };
}
