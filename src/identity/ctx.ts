import type { Context } from "hono";
import type { Bus } from "../core/bus.ts";
import type { Clock } from "../core/clock.ts";
import type { Config } from "../core/config.ts";
import type { Db } from "../core/db.ts";
import type { Logger } from "../core/log.ts";

/**
 * What every part of the identity service works with. `changed()` must be
 * called after any write that can alter a token's meaning (users, projects,
 * domains, roles, assignments, catalog): it drops cached validations.
 */
export interface IdentityCtx {
  db: Db;
  clock: Clock;
  cfg: Config;
  bus: Bus;
  log: Logger;
  /** Drop cached token validations (call after every write that matters to tokens). */
  changed(): void;
  /** Hash / verify a secret (passwords, application credential secrets) with the configured cost. */
  hashSecret(secret: string): Promise<string>;
  verifySecret(secret: string, hash: string | null | undefined): Promise<boolean>;
  /** Revoke every token of a user (password change, disable, delete). */
  revokeUserTokens(userId: string): void;
  /** Revoke tokens issued through an application credential. */
  revokeAppCredTokens(appCredId: string): void;
}

/** `http://host:port` as the caller reached us (Keystone builds links the same way). */
export function baseUrl(c: Context): string {
  const u = new URL(c.req.url);
  const host = c.req.header("host") ?? u.host;
  return `${u.protocol}//${host}`;
}

export function selfLink(c: Context, path: string): { self: string } {
  return { self: `${baseUrl(c)}/v3/${path}` };
}

/** `links` of a collection: self is the URL requested. */
export function collectionLinks(c: Context): { self: string; previous: null; next: null } {
  const u = new URL(c.req.url);
  return { self: `${baseUrl(c)}${u.pathname}${u.search}`, previous: null, next: null };
}

/** Keystone's reading of a boolean query parameter: "0", "false", "no", "off" are false. */
export function queryBool(v: string | undefined): boolean | undefined {
  if (v === undefined) return undefined;
  return !["0", "false", "no", "off", "n", "f"].includes(v.toLowerCase());
}

export function parseJson<T>(s: string | null | undefined, fallback: T): T {
  if (!s) return fallback;
  try {
    return JSON.parse(s) as T;
  } catch {
    return fallback;
  }
}

/** Attributes a request may set beyond the known ones are stored in `extra` and returned top level. */
export function splitExtra(
  body: Record<string, unknown>,
  known: readonly string[],
): Record<string, unknown> {
  const extra: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(body)) if (!known.includes(k) && k !== "links" && k !== "id") extra[k] = v;
  return extra;
}

/** Comparison filters on names (`name__contains=` etc.), as Keystone supports. */
export function nameMatches(name: string, q: Record<string, string | undefined>, field = "name"): boolean {
  const eq = q[field];
  if (eq !== undefined && name !== eq) return false;
  const checks: [string, (a: string, b: string) => boolean][] = [
    ["__contains", (a, b) => a.includes(b)],
    ["__icontains", (a, b) => a.toLowerCase().includes(b.toLowerCase())],
    ["__startswith", (a, b) => a.startsWith(b)],
    ["__istartswith", (a, b) => a.toLowerCase().startsWith(b.toLowerCase())],
    ["__endswith", (a, b) => a.endsWith(b)],
    ["__iendswith", (a, b) => a.toLowerCase().endsWith(b.toLowerCase())],
    ["__equals", (a, b) => a === b],
    ["__iequals", (a, b) => a.toLowerCase() === b.toLowerCase()],
  ];
  for (const [suffix, fn] of checks) {
    const v = q[field + suffix];
    if (v !== undefined && !fn(name, v)) return false;
  }
  return true;
}
