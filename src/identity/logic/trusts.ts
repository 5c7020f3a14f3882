import type { AuthContext } from "../../core/auth.ts";
import type { Db } from "../../core/db.ts";
import { badRequest, forbidden, notFound } from "../../core/errors.ts";
import { hexId } from "../../core/ids.ts";
import { isAdmin, isReader } from "../../core/policy.ts";
import { parseJson, splitExtra, type IdentityCtx } from "../ctx.ts";
import {
  effectiveRoleIds,
  expandImplied,
  getProject,
  getRole,
  getUser,
  mustProject,
  mustUser,
  rolesByIds,
  type RoleRow,
} from "../model.ts";
import type { TrustInput } from "../schemas/trusts.ts";
import { futureExpiry } from "./application_credentials.ts";

/** Keystone's [trust] max_redelegation_count default. */
export const MAX_REDELEGATION_COUNT = 3;

export interface TrustRow {
  id: string;
  trustor_user_id: string;
  trustee_user_id: string;
  project_id: string | null;
  impersonation: number;
  /** Epoch milliseconds, fractional to keep microseconds. */
  expires_at: number | null;
  remaining_uses: number | null;
  redelegation_count: number;
  redelegated_trust_id: string | null;
  roles: string;
  extra: string;
  created_at: number;
}

export const getTrustRow = (db: Db, id: string) => db.get<TrustRow>("SELECT * FROM identity_trusts WHERE id = ?", id);
export const trustRoleIds = (t: TrustRow) => parseJson<string[]>(t.roles, []);
/** The trust's roles that still exist. */
export const trustRoles = (db: Db, t: TrustRow): RoleRow[] =>
  trustRoleIds(t).map((id) => getRole(db, id)).filter((r): r is RoleRow => !!r);

/** A trust that can still be used: present, not expired, uses left (Keystone's get_trust). */
export function usableTrust(db: Db, id: string, now: number): TrustRow | undefined {
  const t = getTrustRow(db, id);
  if (!t) return undefined;
  if (t.expires_at !== null && t.expires_at <= now) return undefined;
  if (t.remaining_uses !== null && t.remaining_uses <= 0) return undefined;
  return t;
}

const trustNotFound = (id: string) => notFound(`Could not find trust: ${id}.`);

/** The original trustor of a (possibly redelegated) trust. */
function rootTrust(db: Db, t: TrustRow): TrustRow {
  let cur = t;
  const seen = new Set<string>();
  while (cur.redelegated_trust_id && !seen.has(cur.id)) {
    seen.add(cur.id);
    const parent = getTrustRow(db, cur.redelegated_trust_id);
    if (!parent) break;
    cur = parent;
  }
  return cur;
}

/**
 * The role ids a trust-scoped token carries now: the trust's roles (and what
 * they imply) that the original trustor still has on the project.
 */
export function trustTokenRoleIds(db: Db, t: TrustRow): Set<string> {
  if (!t.project_id) return new Set();
  const root = rootTrust(db, t);
  const have = effectiveRoleIds(db, root.trustor_user_id, { kind: "project", id: t.project_id });
  return new Set([...expandImplied(db, trustRoleIds(t))].filter((id) => have.has(id)));
}

function callerTrust(db: Db, a: AuthContext): TrustRow | undefined {
  const row = db.get<{ trust_id: string | null }>("SELECT trust_id FROM identity_tokens WHERE id = ?", a.tokenId);
  return row?.trust_id ? getTrustRow(db, row.trust_id) : undefined;
}

function checkNotAppCred(a: AuthContext): void {
  if (a.appCredId || a.methods.includes("application_credential"))
    throw forbidden(
      "You are not authorized to perform the requested action: Using method 'application_credential' is not allowed for managing trusts.",
    );
}

function resolveRoles(db: Db, refs: TrustInput["roles"]): string[] {
  const out: string[] = [];
  for (const r of refs ?? []) {
    if ("id" in r) {
      out.push(r.id);
      continue;
    }
    const found = db.all<RoleRow>("SELECT * FROM identity_roles WHERE name = ? AND domain_id IS NULL", r.name);
    if (!found.length) throw notFound(`Could not find role: ${r.name}.`);
    if (found.length > 1) throw badRequest(`Multiple roles named ${r.name}; use the role id.`);
    out.push(found[0]!.id);
  }
  return [...new Set(out)];
}

export function createTrust(ctx: IdentityCtx, a: AuthContext, input: TrustInput): TrustRow {
  const { db, clock } = ctx;
  if (a.userId !== input.trustor_user_id) {
    throw forbidden(
      "You are not authorized to perform the requested action: The authenticated user should match the trustor.",
    );
  }
  checkNotAppCred(a);
  const projectId = input.project_id || null;
  if (projectId && !input.roles?.length)
    throw forbidden("You are not authorized to perform the requested action: At least one role should be specified.");
  mustUser(db, input.trustee_user_id);
  const roleIds = resolveRoles(db, input.roles);
  const source = callerTrust(db, a);
  // The trustor must hold every delegated role on the project (for a redelegation: the original trustor).
  if (roleIds.length) {
    const trustorId = source ? rootTrust(db, source).trustor_user_id : input.trustor_user_id;
    if (projectId) mustProject(db, projectId);
    const have = projectId ? effectiveRoleIds(db, trustorId, { kind: "project", id: projectId }) : new Set<string>();
    for (const id of roleIds) if (!have.has(id)) throw notFound(`Could not find role: ${id}.`);
  }
  let expiresAt = futureExpiry(input.expires_at, clock.now());

  const requested = input.redelegation_count ?? null;
  const redelegatable = !!input.allow_redelegation && requested !== 0;
  let count: number;
  if (!redelegatable) {
    count = 0;
  } else {
    if (requested !== null && requested > MAX_REDELEGATION_COUNT)
      throw forbidden(`Requested redelegation depth of ${requested} is greater than allowed ${MAX_REDELEGATION_COUNT}`);
    if (input.remaining_uses !== null && input.remaining_uses !== undefined)
      throw badRequest("remaining_uses must not be set if redelegation is allowed");
    count = requested ?? MAX_REDELEGATION_COUNT;
  }
  let redelegatedFrom: string | null = null;
  if (source) {
    // Redelegation: a trust-scoped token creating a trust from the trust it carries.
    if (!(source.redelegation_count > 0 && source.redelegation_count <= MAX_REDELEGATION_COUNT))
      throw forbidden(
        `Remaining redelegation depth of ${source.redelegation_count} out of allowed range of [0..${MAX_REDELEGATION_COUNT}]`,
      );
    if (input.remaining_uses !== null && input.remaining_uses !== undefined)
      throw forbidden(
        `Field "remaining_uses" is set to ${input.remaining_uses} while it must not be set in order to redelegate a trust`,
      );
    const remaining = source.redelegation_count - 1;
    if (redelegatable && requested && requested !== remaining)
      throw forbidden('Modifying "redelegation_count" upon redelegation is forbidden. Omitting this parameter is advised.');
    count = redelegatable ? remaining : 0;
    if (expiresAt === null) expiresAt = source.expires_at;
    else if (source.expires_at !== null && source.expires_at < expiresAt)
      throw forbidden("Requested expiration time is more than redelegated trust can provide");
    const parentRoles = new Set(trustRoleIds(source));
    if (!roleIds.every((id) => parentRoles.has(id)))
      throw forbidden("Some of requested roles are not in redelegated trust");
    if (!source.impersonation && input.impersonation)
      throw forbidden(
        `Impersonation is not allowed because redelegated trust does not specify impersonation. Redelegated trust id: ${source.id}`,
      );
    redelegatedFrom = source.id;
  }

  const id = hexId();
  const extra = splitExtra(input, [
    "trustor_user_id", "trustee_user_id", "impersonation", "project_id", "remaining_uses", "expires_at",
    "allow_redelegation", "redelegation_count", "roles", "redelegated_trust_id", "deleted_at", "roles_links",
  ]);
  db.run(
    `INSERT INTO identity_trusts (id, trustor_user_id, trustee_user_id, project_id, impersonation, expires_at,
       remaining_uses, redelegation_count, redelegated_trust_id, roles, extra, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    id, input.trustor_user_id, input.trustee_user_id, projectId, input.impersonation ? 1 : 0, expiresAt,
    input.remaining_uses ?? null, count, redelegatedFrom, JSON.stringify(roleIds), JSON.stringify(extra), clock.now(),
  );
  return getTrustRow(db, id)!;
}

/**
 * GET /v3/OS-TRUST/trusts: without filters admins only; by trustor / trustee
 * the user themself (or an admin / system reader).
 */
export function listTrusts(
  ctx: IdentityCtx,
  a: AuthContext,
  q: { trustor_user_id?: string; trustee_user_id?: string },
): TrustRow[] {
  const { db, clock } = ctx;
  const privileged = isAdmin(a) || (!!a.system && isReader(a));
  let rows: TrustRow[];
  if (q.trustor_user_id !== undefined) {
    if (!privileged && a.userId !== q.trustor_user_id) throw forbidden();
    checkNotAppCred(a);
    rows = db.all<TrustRow>("SELECT * FROM identity_trusts WHERE trustor_user_id = ? ORDER BY created_at", q.trustor_user_id);
  } else if (q.trustee_user_id !== undefined) {
    if (!privileged && a.userId !== q.trustee_user_id) throw forbidden();
    checkNotAppCred(a);
    rows = db.all<TrustRow>("SELECT * FROM identity_trusts WHERE trustee_user_id = ? ORDER BY created_at", q.trustee_user_id);
  } else {
    if (!privileged) throw forbidden();
    checkNotAppCred(a);
    rows = db.all<TrustRow>("SELECT * FROM identity_trusts ORDER BY created_at");
  }
  const now = clock.now();
  return rows.filter((t) => t.expires_at === null || t.expires_at > now);
}

/** A trust the caller may read: admin, system reader, trustor or trustee. */
export function mustTrust(ctx: IdentityCtx, a: AuthContext, id: string): TrustRow {
  const t = usableTrust(ctx.db, id, ctx.clock.now());
  if (!t) throw trustNotFound(id);
  const privileged = isAdmin(a) || (!!a.system && isReader(a));
  if (!privileged && a.userId !== t.trustor_user_id && a.userId !== t.trustee_user_id) throw forbidden();
  checkNotAppCred(a);
  return t;
}

export function mustTrustRole(ctx: IdentityCtx, a: AuthContext, trustId: string, roleId: string): RoleRow {
  const t = mustTrust(ctx, a, trustId);
  const role = trustRoleIds(t).includes(roleId) ? getRole(ctx.db, roleId) : undefined;
  if (!role) throw notFound(`Could not find role: ${roleId}.`);
  return role;
}

/** Delete a trust (admin or trustor) and every trust redelegated from it; its tokens stop working. */
export function deleteTrust(ctx: IdentityCtx, a: AuthContext, id: string): void {
  const { db } = ctx;
  db.tx(() => {
    const t = getTrustRow(db, id);
    if (!t) throw trustNotFound(id);
    if (!isAdmin(a) && a.userId !== t.trustor_user_id) throw forbidden();
    checkNotAppCred(a);
    const queue = [id];
    while (queue.length) {
      const cur = queue.pop()!;
      for (const child of db.all<{ id: string }>("SELECT id FROM identity_trusts WHERE redelegated_trust_id = ?", cur))
        queue.push(child.id);
      db.run("DELETE FROM identity_trusts WHERE id = ?", cur);
    }
  });
  ctx.changed();
}

/**
 * Check a trust-scope request at authentication: the authenticating user must
 * be the trustee, trustor and trustee enabled, uses left, and at least one
 * delegated role still held by the trustor. Consumes one use. Returns the
 * trust and the user the token is for (the trustor when impersonating).
 */
export function consumeTrust(
  db: Db,
  trustId: string,
  authUserId: string,
  now: number,
): { trust: TrustRow; userId: string; projectId: string | null } {
  const t = getTrustRow(db, trustId);
  if (!t || (t.expires_at !== null && t.expires_at <= now)) throw notFound(`Could not find trust: ${trustId}.`);
  if (t.trustee_user_id !== authUserId) throw forbidden("User is not a trustee.");
  const trustor = getUser(db, t.trustor_user_id);
  if (!trustor || !trustor.enabled) throw forbidden("Trustor is disabled.");
  if (t.project_id) {
    const p = getProject(db, t.project_id);
    if (!p || !p.enabled) throw forbidden("Trust is for a project that is disabled or gone.");
    if (!trustTokenRoleIds(db, t).size) throw forbidden("Trustee has no delegated roles.");
  }
  if (t.remaining_uses !== null) {
    const r = db.run(
      "UPDATE identity_trusts SET remaining_uses = remaining_uses - 1 WHERE id = ? AND remaining_uses > 0",
      t.id,
    );
    if (!r.changes) throw forbidden(`No remaining uses for trust: ${t.id}.`);
  }
  return { trust: t, userId: t.impersonation ? t.trustor_user_id : t.trustee_user_id, projectId: t.project_id };
}


