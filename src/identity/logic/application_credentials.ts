import type { AuthContext } from "../../core/auth.ts";
import type { Db } from "../../core/db.ts";
import { badRequest, conflict, forbidden, notFound } from "../../core/errors.ts";
import { hexId, secretToken } from "../../core/ids.ts";
import { isAdmin, isReader } from "../../core/policy.ts";
import { parseJson, type IdentityCtx } from "../ctx.ts";
import { expandImplied, getRole, mustUser, rolesByIds, type RoleRow } from "../model.ts";
import type { AccessRuleInput, AppCredInput } from "../schemas/application_credentials.ts";
import { checkUnrestricted } from "./credentials.ts";

export interface AppCredRow {
  id: string; name: string; description: string | null; user_id: string; project_id: string; secret_hash: string;
  /** Epoch milliseconds, fractional to keep the microseconds Keystone keeps. */
  expires_at: number | null;
  unrestricted: number; roles: string; access_rules: string; created_at: number;
}
export interface AccessRule { id: string; path?: string; service?: string; method?: string }

export const getAppCred = (db: Db, id: string) =>
  db.get<AppCredRow>("SELECT * FROM identity_app_creds WHERE id = ?", id);

export const appCredRoles = (db: Db, row: AppCredRow): RoleRow[] =>
  rolesByIds(db, parseJson<{ id: string }[]>(row.roles, []).map((r) => r.id));
export const appCredAccessRules = (row: AppCredRow) => parseJson<AccessRule[]>(row.access_rules, []);

const ISO = /^(\d{4})-(\d\d)-(\d\d)(?:[T ](\d\d):(\d\d)(?::(\d\d)(?:[.,](\d{1,9}))?)?)?(Z|[+-]\d\d(?::?\d\d)?)?$/i;

/** Parse an ISO 8601 time (no zone = UTC) to epoch ms, fractional down to the microsecond. */
/** An optional `expires_at` that must parse and lie in the future (Keystone's 400s otherwise); null when absent. */
export function futureExpiry(value: string | null | undefined, now: number): number | null {
  if (!value) return null;
  const t = parseIsoTime(value);
  if (t === undefined)
    throw badRequest(
      "Timestamp not in expected format. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.",
    );
  if (t <= now)
    throw badRequest(
      "The 'expires_at' must not be before now. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.",
    );
  return t;
}

export function parseIsoTime(s: string): number | undefined {
  const m = ISO.exec(s.trim());
  if (!m) return undefined;
  const [, y, mo, d, h = "0", mi = "0", sec = "0", frac = "", tz] = m;
  let ms = Date.UTC(+y!, +mo! - 1, +d!, +h, +mi, +sec);
  if (Number.isNaN(ms) || +mo! < 1 || +mo! > 12 || +d! < 1 || +d! > 31 || +h > 23 || +mi > 59 || +sec > 60)
    return undefined;
  ms += Math.round(Number(`0.${frac.padEnd(6, "0").slice(0, 6)}`) * 1e6) / 1e3;
  if (tz && tz.toUpperCase() !== "Z") {
    const sign = tz[0] === "-" ? -1 : 1;
    const digits = tz.slice(1).replace(":", "");
    const off = (+digits.slice(0, 2) * 60 + +(digits.slice(2, 4) || "0")) * 60_000;
    ms -= sign * off;
  }
  return ms;
}

/** `2026-11-23T21:04:29.000000`: how Keystone renders an application credential's expiry. */
export function renderExpiry(ms: number | null): string | null {
  if (ms === null || ms === undefined) return null;
  const us = Math.round(ms * 1000);
  const secs = Math.floor(us / 1e6);
  return `${new Date(secs * 1000).toISOString().slice(0, 19)}.${String(us - secs * 1e6).padStart(6, "0")}`;
}

/**
 * Owner or admin (and system readers, for reads): Keystone's
 * `admin_or_owner`, with the owner taken from the credential itself.
 */
function mayManage(a: AuthContext, userId: string, write: boolean): boolean {
  return isAdmin(a) || a.userId === userId || (!write && !!a.system && isReader(a));
}

export function listAppCreds(db: Db, a: AuthContext, userId: string, q: { name?: string }): AppCredRow[] {
  if (!mayManage(a, userId, false)) throw forbidden();
  mustUser(db, userId);
  if (q.name !== undefined)
    return db.all<AppCredRow>("SELECT * FROM identity_app_creds WHERE user_id = ? AND name = ?", userId, q.name);
  return db.all<AppCredRow>("SELECT * FROM identity_app_creds WHERE user_id = ? ORDER BY name", userId);
}

export function mustAppCred(db: Db, a: AuthContext, userId: string, id: string, write = false): AppCredRow {
  const row = getAppCred(db, id);
  // The owner is the credential's user, never the path's (Keystone closes that hole the same way).
  if (row && !mayManage(a, row.user_id, write)) throw forbidden();
  if (!row || row.user_id !== userId) {
    if (!row && !mayManage(a, userId, write)) throw forbidden();
    throw notFound(`Could not find Application Credential: ${id}.`);
  }
  return row;
}

function resolveRoles(db: Db, refs: AppCredInput["roles"]): RoleRow[] {
  const out: RoleRow[] = [];
  for (const r of refs ?? []) {
    if ("id" in r) {
      out.push(getRole(db, r.id) ?? ({ id: r.id } as RoleRow));
      continue;
    }
    const found = db.all<RoleRow>("SELECT * FROM identity_roles WHERE name = ? AND domain_id IS NULL", r.name);
    if (!found.length) throw notFound(`Could not find role: ${r.name}.`);
    if (found.length > 1)
      throw conflict(`Conflict occurred attempting to store role - Multiple roles named ${r.name}; use an id.`);
    out.push(found[0]!);
  }
  return out;
}

/**
 * Create an application credential for the caller on the caller's project.
 * Roles default to all roles of the token; requested ones (plus what they
 * imply) must all be roles of the token (400 otherwise, as Keystone).
 * Returns the row and the secret, which is never shown again.
 */
export async function createAppCred(
  ctx: IdentityCtx,
  a: AuthContext,
  userId: string,
  input: AppCredInput,
): Promise<{ row: AppCredRow; secret: string }> {
  const { db, clock } = ctx;
  if (a.userId !== userId)
    throw forbidden(
      "You are not authorized to perform the requested action: Cannot create an application credential for another user.",
    );
  checkUnrestricted(db, a, "application credentials");
  if (!a.projectId) throw forbidden("An application credential can only be created with a project-scoped token.");
  if (input.project_id !== undefined && input.project_id !== a.projectId)
    throw badRequest("Invalid application credential: project_id must be the project of the token.");
  const expiresAt = futureExpiry(input.expires_at, clock.now());
  const tokenRoles = new Set(a.roleIds);
  let roleIds: string[];
  if (input.roles?.length) {
    const requested = resolveRoles(db, input.roles).map((r) => r.id);
    roleIds = [...expandImplied(db, requested)];
    for (const id of roleIds)
      if (!tokenRoles.has(id))
        throw badRequest(
          "Invalid application credential: Cannot create an application credential with unassigned role",
        );
  } else roleIds = [...tokenRoles];
  if (!roleIds.length) throw badRequest("Invalid application credential: no roles to delegate.");
  const accessRules: AccessRule[] = (input.access_rules ?? []).map((r: AccessRuleInput) => ({
    id: r.id ?? hexId(),
    ...(r.path !== undefined ? { path: r.path } : {}),
    ...(r.service !== undefined ? { service: r.service } : {}),
    ...(r.method !== undefined ? { method: r.method } : {}),
  }));
  const secret = input.secret || secretToken(64);
  const hash = await ctx.hashSecret(secret);
  const id = hexId();
  const row = db.tx(() => {
    mustUser(db, userId);
    if (db.get("SELECT 1 AS x FROM identity_app_creds WHERE user_id = ? AND name = ?", userId, input.name))
      throw conflict(
        `Conflict occurred attempting to store application_credential - Duplicate entry found with name ${input.name}.`,
      );
    db.run(
      `INSERT INTO identity_app_creds (id, name, description, user_id, project_id, secret_hash, expires_at,
         unrestricted, roles, access_rules, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      id,
      input.name,
      input.description ?? null,
      userId,
      a.projectId!,
      hash,
      expiresAt,
      input.unrestricted ? 1 : 0,
      JSON.stringify(roleIds.map((r) => ({ id: r }))),
      JSON.stringify(accessRules),
      clock.now(),
    );
    return getAppCred(db, id)!;
  });
  return { row, secret };
}

export function deleteAppCred(ctx: IdentityCtx, a: AuthContext, userId: string, id: string): void {
  const { db } = ctx;
  checkUnrestricted(db, a, "application credentials");
  db.tx(() => {
    mustAppCred(db, a, userId, id, true);
    db.run("DELETE FROM identity_app_creds WHERE id = ?", id);
  });
  ctx.revokeAppCredTokens(id);
}

/** Access rules of a user's application credentials (GET /v3/users/{id}/access_rules). */
export function listAccessRules(
  db: Db,
  a: AuthContext,
  userId: string,
  q: { service?: string; path?: string; method?: string },
): AccessRule[] {
  if (!mayManage(a, userId, false)) throw forbidden();
  mustUser(db, userId);
  const seen = new Map<string, AccessRule>();
  for (const row of db.all<AppCredRow>("SELECT * FROM identity_app_creds WHERE user_id = ? ORDER BY created_at", userId))
    for (const r of appCredAccessRules(row)) if (!seen.has(r.id)) seen.set(r.id, r);
  return [...seen.values()].filter(
    (r) =>
      (q.service === undefined || r.service === q.service) &&
      (q.path === undefined || r.path === q.path) &&
      (q.method === undefined || r.method === q.method),
  );
}

export function getAccessRule(db: Db, a: AuthContext, userId: string, ruleId: string): AccessRule {
  const r = listAccessRules(db, a, userId, {}).find((x) => x.id === ruleId);
  if (!r) throw notFound(`Could not find Access Rule: ${ruleId}.`);
  return r;
}
