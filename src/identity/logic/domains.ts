import { badRequest, conflict, forbidden } from "../../core/errors.ts";
import { hexId } from "../../core/ids.ts";
import { nameMatches, splitExtra, type IdentityCtx } from "../ctx.ts";
import { deleteAssignmentsOnTarget, deleteDomainRoles } from "./assignments.ts";
import { extraOf, getDomain, mustDomain, tagsOf, type DomainRow } from "../model.ts";
import type { DomainCreate, DomainUpdate } from "../schemas/domains.ts";
import { deleteGroupRows } from "./groups.ts";
import { deleteProjectRows } from "./projects.ts";
import { deleteUserRows } from "./users.ts";

/**
 * Domains, as Keystone's resource manager handles them (there they are
 * projects acting as domains; here they have their own table, and the
 * projects API shows them with `is_domain: true`).
 *
 * Resource options (`immutable`) live in `extra.options`; the views lift them out.
 */

const KNOWN = ["name", "description", "enabled", "tags", "options", "explicit_domain_id", "is_domain", "domain_id", "parent_id"] as const;

export type ResourceOptions = { immutable?: boolean | null };

/** The options stored with a domain or project (kept in extra under `options`). */
export function optionsOf(row: { extra: string }): Record<string, unknown> {
  const o = extraOf(row).options;
  return o && typeof o === "object" && !Array.isArray(o) ? (o as Record<string, unknown>) : {};
}

export const isImmutable = (row: { extra: string }) => optionsOf(row).immutable === true;

/** Merge options as Keystone does: a null value removes the option. */
export function mergeOptions(current: Record<string, unknown>, patch: ResourceOptions | undefined) {
  const out = { ...current };
  for (const [k, v] of Object.entries(patch ?? {})) {
    if (v === null || v === undefined) delete out[k];
    else out[k] = v;
  }
  return out;
}

/**
 * Keystone's `check_immutable_update`: an immutable resource only accepts a
 * change of its `immutable` option (to false or null) and nothing else.
 */
export function checkImmutableUpdate(
  row: { extra: string },
  patch: Record<string, unknown>,
  type: string,
  id: string,
): void {
  if (!isImmutable(row)) return;
  const keys = Object.keys(patch).filter((k) => k !== "id");
  const opts = patch.options as ResourceOptions | undefined;
  const unlocking = keys.length === 1 && keys[0] === "options" && !!opts && "immutable" in opts && opts.immutable !== true;
  if (!unlocking)
    throw forbidden(
      `Unable to update immutable ${type} resource: \`${id}. Set resource option "immutable" to false first.`,
    );
}

export function checkImmutableDelete(row: { extra: string }, type: string, id: string): void {
  if (isImmutable(row))
    throw forbidden(`Unable to delete immutable ${type} resource: \`${id}. Set resource option "immutable" to false first.`);
}

/** Extra attributes of a write, with options folded in. */
function extraWith(base: Record<string, unknown>, input: Record<string, unknown>, options: Record<string, unknown>) {
  const extra = { ...base, ...splitExtra(input, KNOWN) };
  if (Object.keys(options).length) extra.options = options;
  else delete extra.options;
  return extra;
}

const domainConflict = (name: string) =>
  conflict(
    `Conflict occurred attempting to store project - it is not permitted to have two projects acting as domains with the same name: ${name}.`,
  );

function assertUniqueName(ctx: IdentityCtx, name: string, exceptId?: string) {
  const dup = ctx.db.get<{ id: string }>("SELECT id FROM identity_domains WHERE name = ? COLLATE NOCASE", name);
  if (dup && dup.id !== exceptId) throw domainConflict(name);
}

/** Keystone's `_validate_id_format`: an explicit domain id must be a UUID (dashes optional). */
function validExplicitId(id: string): boolean {
  return /^[0-9a-f]{32}$/i.test(id) || /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id);
}

export interface DomainFilter {
  enabled?: boolean;
  /** Only this domain (a domain-scoped caller sees only its own). */
  onlyId?: string;
}

/** GET /v3/domains: `name` (and comparators), `enabled`. */
export function listDomains(ctx: IdentityCtx, q: Record<string, string | undefined>, f: DomainFilter): DomainRow[] {
  let rows = ctx.db.all<DomainRow>("SELECT * FROM identity_domains ORDER BY name");
  if (f.onlyId !== undefined) rows = rows.filter((d) => d.id === f.onlyId);
  if (f.enabled !== undefined) rows = rows.filter((d) => !!d.enabled === f.enabled);
  return rows.filter((d) => nameMatches(d.name, q));
}

export function createDomain(ctx: IdentityCtx, input: DomainCreate): DomainRow {
  const name = input.name.trim();
  if (!name) throw badRequest("Invalid input for field 'name': must contain a non-whitespace character");
  let id = hexId();
  if (input.explicit_domain_id !== undefined) {
    if (!validExplicitId(input.explicit_domain_id))
      throw badRequest("Domain ID does not conform to required UUID format.");
    id = input.explicit_domain_id;
  }
  const options = mergeOptions({}, input.options);
  const extra = extraWith({}, input, options);
  const tags = (input.tags ?? []).map((t) => t.trim());
  return ctx.db.tx(() => {
    if (getDomain(ctx.db, id) || ctx.db.get("SELECT id FROM identity_projects WHERE id = ?", id))
      throw conflict(`Conflict occurred attempting to store domain - Duplicate ID, ${id}.`);
    assertUniqueName(ctx, name);
    ctx.db.run(
      "INSERT INTO identity_domains (id, name, description, enabled, extra, tags) VALUES (?, ?, ?, ?, ?, ?)",
      id,
      name,
      input.description ?? "",
      input.enabled === false ? 0 : 1,
      JSON.stringify(extra),
      JSON.stringify(tags),
    );
    ctx.changed();
    return getDomain(ctx.db, id)!;
  });
}

export function updateDomain(ctx: IdentityCtx, id: string, patch: DomainUpdate): DomainRow {
  if ("id" in patch && patch.id !== undefined && patch.id !== null && patch.id !== id) throw badRequest("Cannot change ID");
  return ctx.db.tx(() => {
    const d = mustDomain(ctx.db, id);
    checkImmutableUpdate(d, patch, "domain", id);
    if ("domain_id" in patch && patch.domain_id !== null && patch.domain_id !== undefined)
      throw badRequest("Cannot change Domain ID");
    if ("is_domain" in patch && patch.is_domain === false) throw badRequest("Update of `is_domain` is not allowed.");
    if ("parent_id" in patch && patch.parent_id !== null && patch.parent_id !== undefined)
      throw forbidden("Update of `parent_id` is not allowed.");
    let name = d.name;
    if (patch.name !== undefined) {
      name = patch.name.trim();
      if (!name) throw badRequest("Invalid input for field 'name': must contain a non-whitespace character");
      assertUniqueName(ctx, name, id);
    }
    const description = "description" in patch ? (patch.description ?? "") : d.description;
    const enabled = patch.enabled === undefined ? !!d.enabled : patch.enabled;
    const tags = patch.tags ? patch.tags.map((t) => t.trim()) : tagsOf(d);
    const options = mergeOptions(optionsOf(d), patch.options);
    const { options: _drop, ...oldExtra } = extraOf(d);
    const extra = extraWith(oldExtra, patch, options);
    ctx.db.run(
      "UPDATE identity_domains SET name = ?, description = ?, enabled = ?, extra = ?, tags = ? WHERE id = ?",
      name,
      description,
      enabled ? 1 : 0,
      JSON.stringify(extra),
      JSON.stringify(tags),
      id,
    );
    ctx.changed();
    return getDomain(ctx.db, id)!;
  });
}

/**
 * DELETE /v3/domains/{id}: only a disabled domain (403 otherwise, as Keystone:
 * "Cannot delete a domain that is enabled, please disable it first."). Takes
 * its projects, users, groups, domain-specific roles and grants with it.
 */
export function deleteDomain(ctx: IdentityCtx, id: string): void {
  const revoked: string[] = [];
  ctx.db.tx(() => {
    const d = mustDomain(ctx.db, id);
    checkImmutableDelete(d, "domain", id);
    if (d.enabled) throw forbidden("Cannot delete a domain that is enabled, please disable it first.");
    // Projects, leaves first (children before parents).
    const projects = ctx.db.all<{ id: string; parent_id: string | null }>(
      "SELECT id, parent_id FROM identity_projects WHERE domain_id = ?",
      id,
    );
    const depth = new Map<string, number>();
    const byId = new Map(projects.map((p) => [p.id, p]));
    const depthOf = (pid: string, seen = new Set<string>()): number => {
      if (depth.has(pid)) return depth.get(pid)!;
      const p = byId.get(pid);
      const parent = p?.parent_id;
      const v = parent && byId.has(parent) && !seen.has(parent) ? depthOf(parent, seen.add(pid)) + 1 : 0;
      depth.set(pid, v);
      return v;
    };
    for (const p of [...projects].sort((a, b) => depthOf(b.id) - depthOf(a.id))) deleteProjectRows(ctx, p.id);
    for (const u of ctx.db.all<{ id: string }>("SELECT id FROM identity_users WHERE domain_id = ?", id)) {
      deleteUserRows(ctx, u.id);
      revoked.push(u.id);
    }
    for (const g of ctx.db.all<{ id: string }>("SELECT id FROM identity_groups WHERE domain_id = ?", id))
      deleteGroupRows(ctx, g.id);
    deleteAssignmentsOnTarget(ctx.db, id);
    deleteDomainRoles(ctx.db, id);
    ctx.db.run("DELETE FROM identity_domains WHERE id = ?", id);
    for (const u of revoked) ctx.revokeUserTokens(u);
    ctx.changed();
  });
}
