import { badRequest, conflict, forbidden, notFound, unauthorized } from "../../core/errors.ts";
import { hexId } from "../../core/ids.ts";
import { nameMatches, parseJson, splitExtra, type IdentityCtx } from "../ctx.ts";
import { extraOf, getDomain, getUser, mustDomain, mustUser, type GroupRow, type UserRow } from "../model.ts";
import type { UserCreate, UserListFilter, UserOptions, UserUpdate } from "../schemas/users.ts";
import { deleteAssignmentsOfActor } from "./assignments.ts";

/**
 * Users, as Keystone's identity manager (SQL driver) does them. Passwords are
 * only ever stored hashed (ctx.hashSecret) and never returned; `email`,
 * `description` and any unknown attribute come back top level.
 */

const KNOWN = [
  "name",
  "domain_id",
  "enabled",
  "password",
  "default_project_id",
  "description",
  "email",
  "options",
  "federated",
  "password_expires_at",
] as const;

export const userOptions = (u: UserRow) => parseJson<Record<string, unknown>>(u.options, {});

function mergeOptions(current: Record<string, unknown>, patch: UserOptions | undefined) {
  const out = { ...current };
  for (const [k, v] of Object.entries(patch ?? {})) {
    if (v === null || v === undefined) delete out[k];
    else out[k] = v;
  }
  return out;
}

/** `email` is a column when it is a string; anything else stays an extra attribute. */
function splitEmail(input: Record<string, unknown>, extra: Record<string, unknown>): string | null | undefined {
  if (!("email" in input)) return undefined;
  const e = input.email;
  if (typeof e === "string" || e === null) return e;
  extra.email = e;
  return null;
}

const userConflict = (name: string, domainId: string) =>
  conflict(`Conflict occurred attempting to store user - Duplicate entry found with name ${name} at domain ID ${domainId}.`);

function assertUniqueName(ctx: IdentityCtx, domainId: string, name: string, exceptId?: string) {
  const dup = ctx.db.get<{ id: string }>("SELECT id FROM identity_users WHERE domain_id = ? AND name = ?", domainId, name);
  if (dup && dup.id !== exceptId) throw userConflict(name, domainId);
}

/** Keystone's `_assert_default_project_id_is_not_domain`. */
function assertDefaultProjectNotDomain(ctx: IdentityCtx, projectId: string | null | undefined) {
  if (projectId && getDomain(ctx.db, projectId))
    throw badRequest(`The default project ${projectId} is a domain; a user's default project must not be a domain.`);
}

function cleanName(name: string): string {
  const n = name.trim();
  if (!n) throw badRequest("Invalid input for field 'name': must contain a non-whitespace character");
  return n;
}

export interface UserFilter {
  /** Only users of this domain (domain-scoped callers). */
  onlyDomain?: string;
}

/** GET /v3/users: name (and comparators), domain_id, enabled, password_expires_at. */
export function listUsers(ctx: IdentityCtx, q: UserListFilter, raw: Record<string, string | undefined>, f: UserFilter = {}): UserRow[] {
  // No password here ever expires (no security compliance), so an expiry filter matches nobody.
  if (q.password_expires_at !== undefined) return [];
  const where: string[] = [];
  const params: string[] = [];
  if (q.domain_id !== undefined) (where.push("domain_id = ?"), params.push(q.domain_id));
  if (f.onlyDomain !== undefined) (where.push("domain_id = ?"), params.push(f.onlyDomain));
  if (q.enabled !== undefined) where.push(q.enabled ? "enabled = 1" : "enabled = 0");
  if (q.name !== undefined) (where.push("name = ?"), params.push(q.name));
  const rows = ctx.db.all<UserRow>(
    `SELECT * FROM identity_users ${where.length ? "WHERE " + where.join(" AND ") : ""} ORDER BY name`,
    ...params,
  );
  return rows.filter((u) => nameMatches(u.name, raw));
}

/** POST /v3/users. `defaultDomain`: the caller's domain scope, else `default`. Unknown domain → 404. */
export async function createUser(ctx: IdentityCtx, input: UserCreate, defaultDomain: string): Promise<UserRow> {
  const name = cleanName(input.name);
  const domainId = input.domain_id || defaultDomain;
  // Cheap checks first, so a bad request does not pay for a hash.
  mustDomain(ctx.db, domainId);
  assertUniqueName(ctx, domainId, name);
  const hash = typeof input.password === "string" ? await ctx.hashSecret(input.password) : null;
  const extra = splitExtra(input, KNOWN);
  const email = splitEmail(input, extra) ?? null;
  const options = mergeOptions({}, input.options);
  const now = ctx.clock.now();
  const id = hexId();
  return ctx.db.tx(() => {
    mustDomain(ctx.db, domainId);
    assertUniqueName(ctx, domainId, name);
    assertDefaultProjectNotDomain(ctx, input.default_project_id);
    ctx.db.run(
      `INSERT INTO identity_users (id, name, domain_id, enabled, password_hash, password_created_at,
         default_project_id, description, email, extra, options, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      id,
      name,
      domainId,
      input.enabled === false ? 0 : 1,
      hash,
      hash ? now : null,
      input.default_project_id ?? null,
      input.description ?? null,
      email,
      JSON.stringify(extra),
      JSON.stringify(options),
      now,
    );
    ctx.changed();
    return getUser(ctx.db, id)!;
  });
}

/**
 * PATCH /v3/users/{id}. Disabling a user or setting a password revokes the
 * user's tokens; disabling also deletes the user's application credentials
 * (as Keystone's callbacks do).
 */
export async function updateUser(ctx: IdentityCtx, id: string, patch: UserUpdate): Promise<UserRow> {
  if (patch.id !== undefined && patch.id !== null && patch.id !== id) throw badRequest("Cannot change user ID");
  const before = mustUser(ctx.db, id);
  if (patch.domain_id !== undefined && patch.domain_id !== before.domain_id) throw badRequest("Cannot change Domain ID");
  const hash = typeof patch.password === "string" ? await ctx.hashSecret(patch.password) : undefined;
  return ctx.db.tx(() => {
    const u = mustUser(ctx.db, id);
    let name = u.name;
    if (patch.name !== undefined) {
      name = cleanName(patch.name);
      if (name !== u.name) assertUniqueName(ctx, u.domain_id, name, id);
    }
    if ("default_project_id" in patch) assertDefaultProjectNotDomain(ctx, patch.default_project_id);
    const newExtra = splitExtra(patch, KNOWN);
    const email = splitEmail(patch, newExtra);
    const extra = { ...extraOf(u), ...newExtra };
    if (email !== undefined && !("email" in newExtra)) delete extra.email;
    const enabled = patch.enabled === undefined ? !!u.enabled : patch.enabled;
    const disabling = !!u.enabled && !enabled;
    const passwordSet = "password" in patch && patch.password !== undefined;
    ctx.db.run(
      `UPDATE identity_users SET name = ?, enabled = ?, password_hash = ?, password_created_at = ?,
         default_project_id = ?, description = ?, email = ?, extra = ?, options = ? WHERE id = ?`,
      name,
      enabled ? 1 : 0,
      passwordSet ? (hash ?? null) : u.password_hash,
      passwordSet ? (hash ? ctx.clock.now() : null) : u.password_created_at,
      "default_project_id" in patch ? (patch.default_project_id ?? null) : u.default_project_id,
      "description" in patch ? (patch.description ?? null) : u.description,
      email !== undefined ? email : u.email,
      JSON.stringify(extra),
      JSON.stringify(mergeOptions(userOptions(u), patch.options)),
      id,
    );
    if (disabling) ctx.db.run("DELETE FROM identity_app_creds WHERE user_id = ?", id);
    if (disabling || passwordSet) ctx.revokeUserTokens(id);
    ctx.changed();
    return getUser(ctx.db, id)!;
  });
}

/**
 * Remove a user's rows and what hangs off them (grants, group memberships,
 * credentials, application credentials), without checks. Callers run it in a
 * transaction, revoke the user's tokens and call ctx.changed().
 */
export function deleteUserRows(ctx: IdentityCtx, id: string): void {
  const db = ctx.db;
  deleteAssignmentsOfActor(db, id);
  db.run("DELETE FROM identity_group_members WHERE user_id = ?", id);
  db.run("DELETE FROM identity_credentials WHERE user_id = ?", id);
  db.run("DELETE FROM identity_app_creds WHERE user_id = ?", id);
  db.run("DELETE FROM identity_users WHERE id = ?", id);
}

export function deleteUser(ctx: IdentityCtx, id: string): void {
  ctx.db.tx(() => {
    mustUser(ctx.db, id);
    deleteUserRows(ctx, id);
    ctx.revokeUserTokens(id);
    ctx.changed();
  });
}

/**
 * POST /v3/users/{id}/password: the user proves the original password (401
 * otherwise, for an unknown or disabled user too); every token of the user is
 * revoked afterwards, as in Keystone.
 */
export async function changePassword(ctx: IdentityCtx, id: string, original: string, password: string): Promise<void> {
  const u = getUser(ctx.db, id);
  const ok = await ctx.verifySecret(original, u?.password_hash);
  const domain = u ? getDomain(ctx.db, u.domain_id) : undefined;
  if (!u || !ok || !u.enabled || !domain?.enabled)
    throw unauthorized("Error when changing user password: Invalid user / password");
  if (userOptions(u).lock_password === true)
    throw forbidden("You cannot change your password at this time due to password policy disallowing password changes. Please contact your administrator to reset your password.");
  const hash = await ctx.hashSecret(password);
  ctx.db.tx(() => {
    if (!getUser(ctx.db, id)) throw notFound(`Could not find user: ${id}.`);
    ctx.db.run(
      "UPDATE identity_users SET password_hash = ?, password_created_at = ? WHERE id = ?",
      hash,
      ctx.clock.now(),
      id,
    );
    ctx.revokeUserTokens(id);
    ctx.changed();
  });
}

/** GET /v3/users/{id}/groups (`name` and comparators). */
export function listUserGroups(ctx: IdentityCtx, userId: string, raw: Record<string, string | undefined>): GroupRow[] {
  mustUser(ctx.db, userId);
  return ctx.db
    .all<GroupRow>(
      `SELECT g.* FROM identity_group_members m JOIN identity_groups g ON g.id = m.group_id
        WHERE m.user_id = ? ORDER BY g.name`,
      userId,
    )
    .filter((g) => nameMatches(g.name, raw));
}
