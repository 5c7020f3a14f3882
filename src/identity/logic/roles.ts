import { badRequest, conflict, forbidden, notFound } from "../../core/errors.ts";
import { hexId } from "../../core/ids.ts";
import { nameMatches, parseJson, splitExtra, type IdentityCtx } from "../ctx.ts";
import { extraOf, getRole, mustDomain, mustRole, type RoleRow } from "../model.ts";
import type { RoleCreate, RoleOptions, RoleUpdate } from "../schemas/roles.ts";

/** Roles and implied roles (role inference rules), as Keystone's role_api does them. */

const KNOWN = ["name", "description", "domain_id", "options"] as const;

/** Role names that may never be implied by another role (Keystone's `[assignment] prohibited_implied_role`). */
export const PROHIBITED_IMPLIED = ["admin"];

export const roleOptions = (r: RoleRow) => parseJson<Record<string, unknown>>(r.options, {});
const isImmutable = (r: RoleRow) => roleOptions(r).immutable === true;

/** Merge options as Keystone does: a null value removes the option. */
function mergeOptions(current: Record<string, unknown>, patch: RoleOptions | undefined): Record<string, unknown> {
  const out = { ...current };
  for (const [k, v] of Object.entries(patch ?? {})) {
    if (v === null || v === undefined) delete out[k];
    else out[k] = v;
  }
  return out;
}

function assertUniqueName(ctx: IdentityCtx, name: string, domainId: string | null, exceptId?: string) {
  const dup = ctx.db.get<{ id: string }>(
    "SELECT id FROM identity_roles WHERE name = ? COLLATE NOCASE AND IFNULL(domain_id, '<<null>>') = IFNULL(?, '<<null>>')",
    name,
    domainId,
  );
  if (dup && dup.id !== exceptId)
    throw conflict(
      `Conflict occurred attempting to store role - Duplicate entry found with name ${name} at domain ID ${domainId ?? "None"}.`,
    );
}

/** GET /v3/roles: global roles unless `domain_id` is given; `name` and its comparators. */
export function listRoles(ctx: IdentityCtx, q: Record<string, string | undefined>): RoleRow[] {
  const rows = q.domain_id
    ? ctx.db.all<RoleRow>("SELECT * FROM identity_roles WHERE domain_id = ? ORDER BY name", q.domain_id)
    : ctx.db.all<RoleRow>("SELECT * FROM identity_roles WHERE domain_id IS NULL ORDER BY name");
  return rows.filter((r) => nameMatches(r.name, q));
}

export function createRole(ctx: IdentityCtx, input: RoleCreate): RoleRow {
  const domainId = input.domain_id ?? null;
  const extra = splitExtra(input, KNOWN);
  const options = mergeOptions({}, input.options);
  const id = hexId();
  return ctx.db.tx(() => {
    if (domainId) mustDomain(ctx.db, domainId);
    assertUniqueName(ctx, input.name, domainId);
    ctx.db.run(
      "INSERT INTO identity_roles (id, name, domain_id, description, extra, options) VALUES (?, ?, ?, ?, ?, ?)",
      id,
      input.name,
      domainId,
      input.description ?? null,
      JSON.stringify(extra),
      JSON.stringify(options),
    );
    ctx.changed();
    return getRole(ctx.db, id)!;
  });
}

export function updateRole(ctx: IdentityCtx, id: string, patch: RoleUpdate): RoleRow {
  if ("id" in patch && patch.id !== id) throw badRequest("Cannot change ID");
  return ctx.db.tx(() => {
    const role = mustRole(ctx.db, id);
    if (isImmutable(role)) {
      // Only `{"options": {"immutable": false|null}}` may touch an immutable role.
      const keys = Object.keys(patch).filter((k) => k !== "id");
      const imm = patch.options?.immutable;
      if (keys.length !== 1 || keys[0] !== "options" || !patch.options || !("immutable" in patch.options) || imm === true)
        throw forbidden(
          `Unable to update immutable role resource: \`${id}. Set resource option "immutable" to false first.`,
        );
    }
    if ("domain_id" in patch && (patch.domain_id ?? null) !== role.domain_id)
      throw badRequest("Update of `domain_id` is not allowed.");
    const name = patch.name ?? role.name;
    if (patch.name !== undefined) assertUniqueName(ctx, name, role.domain_id, id);
    const extra = { ...extraOf(role), ...splitExtra(patch, KNOWN) };
    const description = "description" in patch ? (patch.description ?? null) : role.description;
    const options = mergeOptions(roleOptions(role), patch.options);
    ctx.db.run(
      "UPDATE identity_roles SET name = ?, description = ?, extra = ?, options = ? WHERE id = ?",
      name,
      description,
      JSON.stringify(extra),
      JSON.stringify(options),
      id,
    );
    ctx.changed();
    return getRole(ctx.db, id)!;
  });
}

/** Delete a role with its assignments and inference rules (FK cascades do the rows). */
export function deleteRole(ctx: IdentityCtx, id: string): void {
  ctx.db.tx(() => {
    const role = mustRole(ctx.db, id);
    if (isImmutable(role))
      throw forbidden(
        `Unable to delete immutable role resource: \`${id}. Set resource option "immutable" to false first.`,
      );
    ctx.db.run("DELETE FROM identity_assignments WHERE role_id = ?", id);
    ctx.db.run("DELETE FROM identity_implied_roles WHERE prior_role_id = ? OR implied_role_id = ?", id, id);
    ctx.db.run("DELETE FROM identity_roles WHERE id = ?", id);
    ctx.changed();
  });
}

// ---- implied roles ----------------------------------------------------------

export interface Inference {
  prior: RoleRow;
  implied: RoleRow;
}

export function getInference(ctx: IdentityCtx, priorId: string, impliedId: string): Inference {
  const prior = mustRole(ctx.db, priorId);
  const implied = mustRole(ctx.db, impliedId);
  const row = ctx.db.get<{ prior_role_id: string }>(
    "SELECT prior_role_id FROM identity_implied_roles WHERE prior_role_id = ? AND implied_role_id = ?",
    priorId,
    impliedId,
  );
  if (!row) throw notFound(`${priorId} does not imply ${impliedId}.`);
  return { prior, implied };
}

export function createInference(ctx: IdentityCtx, priorId: string, impliedId: string): Inference {
  return ctx.db.tx(() => {
    const implied = mustRole(ctx.db, impliedId);
    const prior = mustRole(ctx.db, priorId);
    if (PROHIBITED_IMPLIED.includes(implied.name)) throw forbidden(`${impliedId} cannot be an implied roles.`);
    if (prior.domain_id === null && implied.domain_id !== null)
      throw forbidden("Global role cannot imply a domain-specific role");
    const exists = ctx.db.get<{ x: number }>(
      "SELECT 1 AS x FROM identity_implied_roles WHERE prior_role_id = ? AND implied_role_id = ?",
      priorId,
      impliedId,
    );
    if (exists)
      throw conflict(
        `Conflict occurred attempting to store implied_role - Duplicate entry found with prior role ${priorId} and implied role ${impliedId}.`,
      );
    ctx.db.run("INSERT INTO identity_implied_roles (prior_role_id, implied_role_id) VALUES (?, ?)", priorId, impliedId);
    ctx.changed();
    return { prior, implied };
  });
}

export function deleteInference(ctx: IdentityCtx, priorId: string, impliedId: string): void {
  ctx.db.tx(() => {
    const r = ctx.db.run(
      "DELETE FROM identity_implied_roles WHERE prior_role_id = ? AND implied_role_id = ?",
      priorId,
      impliedId,
    );
    if (!r.changes) {
      mustRole(ctx.db, priorId);
      mustRole(ctx.db, impliedId);
      throw notFound(`${priorId} does not imply ${impliedId}.`);
    }
    ctx.changed();
  });
}

/** The roles a role directly implies. */
export function listImplied(ctx: IdentityCtx, priorId: string): { prior: RoleRow; implies: RoleRow[] } {
  const prior = mustRole(ctx.db, priorId);
  const implies = ctx.db.all<RoleRow>(
    `SELECT r.* FROM identity_implied_roles i JOIN identity_roles r ON r.id = i.implied_role_id
      WHERE i.prior_role_id = ? ORDER BY r.name`,
    priorId,
  );
  return { prior, implies };
}

/** Every inference rule, grouped by prior role. */
export function listAllInferences(ctx: IdentityCtx): { prior: RoleRow; implies: RoleRow[] }[] {
  const rows = ctx.db.all<{ prior_role_id: string; implied_role_id: string }>(
    "SELECT prior_role_id, implied_role_id FROM identity_implied_roles",
  );
  const roles = new Map(ctx.db.all<RoleRow>("SELECT * FROM identity_roles").map((r) => [r.id, r]));
  const groups = new Map<string, RoleRow[]>();
  for (const r of rows) {
    const implied = roles.get(r.implied_role_id);
    if (!implied || !roles.has(r.prior_role_id)) continue;
    const list = groups.get(r.prior_role_id) ?? [];
    list.push(implied);
    groups.set(r.prior_role_id, list);
  }
  return [...groups.entries()].map(([priorId, implies]) => ({ prior: roles.get(priorId)!, implies }));
}
