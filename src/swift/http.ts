/**
 * HTTP details Swift clients rely on: timestamps, metadata headers, ranges
 * and conditional requests (swob's semantics).
 */
import { ApiError } from "../core/errors.ts";

/** `1700000000.12345`: Swift's X-Timestamp (seconds, 5 decimals). */
export function xTimestamp(ms: number): string {
  return (ms / 1000).toFixed(5);
}

/** HTTP date of a timestamp rounded up to the second, as Swift's Last-Modified. */
export function httpDate(ms: number): string {
  return new Date(Math.ceil(ms / 1000) * 1000).toUTCString();
}

/** `X-Object-Meta-Color` from `color`. */
export function titleHeader(prefix: string, name: string): string {
  return `${prefix}${name.replace(/(^|-)([a-z])/g, (_m, d: string, ch: string) => d + ch.toUpperCase())}`;
}

export const MAX_META_NAME_LENGTH = 128;
export const MAX_META_VALUE_LENGTH = 256;
export const MAX_META_COUNT = 90;
export const MAX_META_OVERALL_SIZE = 4096;
export const MAX_HEADER_SIZE = 8192;

export interface MetaChange {
  /** Names (lowercased, without prefix) set to a value. */
  set: Record<string, string>;
  /** Names removed: `X-Remove-<T>-Meta-<n>` or an empty value. */
  remove: string[];
}

/**
 * The `X-<Type>-Meta-*` headers of a request, validated like Swift's check_metadata.
 * `type` is "object", "container" or "account".
 */
export function metaFromHeaders(headers: Headers, type: "object" | "container" | "account"): MetaChange {
  // Objects keep empty values (Swift stores `X-Object-Meta-A:` as an empty string);
  // for accounts and containers an empty value removes the item.
  const keepEmpty = type === "object";
  const prefix = `x-${type}-meta-`;
  const removePrefix = `x-remove-${type}-meta-`;
  const set: Record<string, string> = {};
  const remove: string[] = [];
  let count = 0;
  let size = 0;
  for (const [k0, v] of headers) {
    const k = k0.toLowerCase();
    if (k.startsWith(prefix)) {
      // WSGI turns `_` into `-` in header names: Swift stores Meta-A_B as a-b.
      const name = k.slice(prefix.length).replaceAll("_", "-");
      if (!name) throw new ApiError(400, "Metadata name cannot be empty");
      if (Buffer.byteLength(name) > MAX_META_NAME_LENGTH)
        throw new ApiError(400, `Metadata name too long: ${k0}`);
      if (Buffer.byteLength(v) > MAX_META_VALUE_LENGTH)
        throw new ApiError(400, `Metadata value longer than ${MAX_META_VALUE_LENGTH}: ${k0}`);
      if (v === "" && !keepEmpty) {
        remove.push(name);
        continue;
      }
      count++;
      size += Buffer.byteLength(name) + Buffer.byteLength(v);
      set[name] = v;
    } else if (k.startsWith(removePrefix)) {
      const name = k.slice(removePrefix.length).replaceAll("_", "-");
      if (name) remove.push(name);
    }
  }
  if (count > MAX_META_COUNT) throw new ApiError(400, `Too many metadata items; max ${MAX_META_COUNT}`);
  if (size > MAX_META_OVERALL_SIZE) throw new ApiError(400, `Total metadata too large; max ${MAX_META_OVERALL_SIZE}`);
  return { set, remove };
}

/** Apply a change to existing metadata (POST semantics for accounts and containers). */
export function applyMeta(current: Record<string, string>, change: MetaChange): Record<string, string> {
  const out = { ...current };
  for (const r of change.remove) delete out[r];
  Object.assign(out, change.set);
  return out;
}

/** One byte range, end exclusive. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * Parse a `Range` header against a length, as swob does: undefined when the
 * header is absent or malformed (then the whole body is served), [] when no
 * range is satisfiable (416), else the satisfiable ranges.
 */
export function parseRange(header: string | undefined, length: number): ByteRange[] | undefined {
  if (!header) return undefined;
  const m = /^\s*bytes\s*=\s*(.+)$/i.exec(header);
  if (!m) return undefined;
  const specs: { a?: number; b?: number }[] = [];
  for (const raw of m[1]!.split(",")) {
    const s = raw.trim();
    if (!s) continue;
    const mm = /^(\d*)\s*-\s*(\d*)$/.exec(s);
    if (!mm) return undefined;
    const a = mm[1] ? Number(mm[1]) : undefined;
    const b = mm[2] ? Number(mm[2]) : undefined;
    if (a === undefined && b === undefined) return undefined;
    if (a !== undefined && b !== undefined && b < a) return undefined;
    specs.push({ a, b });
  }
  if (!specs.length) return undefined;
  const out: ByteRange[] = [];
  for (const { a, b } of specs) {
    if (a === undefined) {
      // suffix: the last b bytes
      if (b! === 0) continue;
      out.push({ start: Math.max(0, length - b!), end: length });
    } else if (a < length) {
      out.push({ start: a, end: b === undefined ? length : Math.min(b + 1, length) });
    }
  }
  if (!out.length && length === 0) return undefined;
  return out;
}

/** Entity tags listed in If-Match / If-None-Match, unquoted. */
export function etagList(v: string | undefined): string[] | undefined {
  if (v === undefined) return undefined;
  return v
    .split(",")
    .map((s) => s.trim().replace(/^W\//, "").replace(/^"(.*)"$/, "$1"))
    .filter(Boolean);
}

function parseHttpDate(v: string | undefined): number | undefined {
  if (!v) return undefined;
  const t = Date.parse(v);
  return Number.isFinite(t) ? t : undefined;
}

/**
 * swob's conditional response for GET/HEAD: 304 for a matching If-None-Match or
 * an unmodified If-Modified-Since, 412 for a failing If-Match or If-Unmodified-Since.
 * Returns the status to answer instead of 200, or undefined.
 */
export function conditionalStatus(h: Headers, etag: string, lastModifiedMs: number): 304 | 412 | undefined {
  const lm = Math.ceil(lastModifiedMs / 1000) * 1000;
  const inm = etagList(h.get("if-none-match") ?? undefined);
  if (inm && (inm.includes("*") || inm.includes(etag))) return 304;
  const im = etagList(h.get("if-match") ?? undefined);
  if (im && !im.includes("*") && !im.includes(etag)) return 412;
  const ims = parseHttpDate(h.get("if-modified-since") ?? undefined);
  if (!inm && ims !== undefined && lm <= ims) return 304;
  const ius = parseHttpDate(h.get("if-unmodified-since") ?? undefined);
  if (ius !== undefined && lm > ius) return 412;
  return undefined;
}

/** X-Delete-At / X-Delete-After → an absolute time in seconds, or undefined. 400 when invalid or past. */
export function deleteAt(h: Headers, nowMs: number): number | undefined {
  const after = h.get("x-delete-after");
  const at = h.get("x-delete-at");
  const now = nowMs / 1000;
  if (after !== null) {
    if (!/^-?\d+$/.test(after.trim())) throw new ApiError(400, "Non-integer X-Delete-After");
    const n = Number(after);
    if (n <= 0) throw new ApiError(400, "X-Delete-After in past");
    return Math.floor(now + n);
  }
  if (at !== null) {
    if (!/^-?\d+(\.\d+)?$/.test(at.trim())) throw new ApiError(400, "Non-integer X-Delete-At");
    const n = Math.floor(Number(at));
    if (n <= now) throw new ApiError(400, "X-Delete-At in past");
    return n;
  }
  return undefined;
}
