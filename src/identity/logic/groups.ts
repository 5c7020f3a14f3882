import { badRequest, conflict, notFound } from "../../core/errors.ts";
import { hexId } from "../../core/ids.ts";
import { nameMatches, splitExtra, type IdentityCtx } from "../ctx.ts";
import { extraOf, getGroup, mustDomain, mustGroup, mustUser, type GroupRow, type UserRow } from "../model.ts";
import type { GroupCreate, GroupUpdate } from "../schemas/groups.ts";
import type { UserListFilter } from "../schemas/users.ts";
import { deleteAssignmentsOfActor } from "./assignments.ts";

/** Groups and their members, as Keystone's identity manager does them. */

const KNOWN = ["name", "domain_id", "description"] as const;

const groupConflict = (name: string, domainId: string) =>
  conflict(`Conflict occurred attempting to store group - Duplicate entry found with name ${name} at domain ID ${domainId}.`);

function assertUniqueName(ctx: IdentityCtx, domainId: string, name: string, exceptId?: string) {
  const dup = ctx.db.get<{ id: string }>("SELECT id FROM identity_groups WHERE domain_id = ? AND name = ?", domainId, name);
  if (dup && dup.id !== exceptId) throw groupConflict(name, domainId);
}

function cleanName(name: string): string {
  const n = name.trim();
  if (!n) throw badRequest("Invalid input for field 'name': must contain a non-whitespace character");
  return n;
}

/** GET /v3/groups: name (and comparators), domain_id. */
export function listGroups(
  ctx: IdentityCtx,
  q: { name?: string; domain_id?: string },
  raw: Record<string, string | undefined>,
  onlyDomain?: string,
): GroupRow[] {
  const where: string[] = [];
  const params: string[] = [];
  if (q.domain_id !== undefined) (where.push("domain_id = ?"), params.push(q.domain_id));
  if (onlyDomain !== undefined) (where.push("domain_id = ?"), params.push(onlyDomain));
  if (q.name !== undefined) (where.push("name = ?"), params.push(q.name));
  return ctx.db
    .all<GroupRow>(`SELECT * FROM identity_groups ${where.length ? "WHERE " + where.join(" AND ") : ""} ORDER BY name`, ...params)
    .filter((g) => nameMatches(g.name, raw));
}

/** POST /v3/groups. Unknown domain → 404 (as Keystone). */
export function createGroup(ctx: IdentityCtx, input: GroupCreate, defaultDomain: string): GroupRow {
  const name = cleanName(input.name);
  const domainId = input.domain_id || defaultDomain;
  const id = hexId();
  return ctx.db.tx(() => {
    mustDomain(ctx.db, domainId);
    assertUniqueName(ctx, domainId, name);
    ctx.db.run(
      "INSERT INTO identity_groups (id, name, domain_id, description, extra) VALUES (?, ?, ?, ?, ?)",
      id,
      name,
      domainId,
      input.description ?? "",
      JSON.stringify(splitExtra(input, KNOWN)),
    );
    ctx.changed();
    return getGroup(ctx.db, id)!;
  });
}

export function updateGroup(ctx: IdentityCtx, id: string, patch: GroupUpdate): GroupRow {
  if (patch.id !== undefined && patch.id !== null && patch.id !== id) throw badRequest("Cannot change ID");
  return ctx.db.tx(() => {
    const g = mustGroup(ctx.db, id);
    if (patch.domain_id !== undefined && patch.domain_id !== g.domain_id) throw badRequest("Cannot change Domain ID");
    let name = g.name;
    if (patch.name !== undefined) {
      name = cleanName(patch.name);
      if (name !== g.name) assertUniqueName(ctx, g.domain_id, name, id);
    }
    const description = "description" in patch ? (patch.description ?? "") : g.description;
    const extra = { ...extraOf(g), ...splitExtra(patch, KNOWN) };
    ctx.db.run(
      "UPDATE identity_groups SET name = ?, description = ?, extra = ? WHERE id = ?",
      name,
      description,
      JSON.stringify(extra),
      id,
    );
    ctx.changed();
    return getGroup(ctx.db, id)!;
  });
}

/** Remove a group's rows (grants, memberships, the group) without checks; returns the members. */
export function deleteGroupRows(ctx: IdentityCtx, id: string): { members: string[]; hadGrants: boolean } {
  const db = ctx.db;
  const members = db
    .all<{ user_id: string }>("SELECT user_id FROM identity_group_members WHERE group_id = ?", id)
    .map((r) => r.user_id);
  const hadGrants = !!db.get<{ x: number }>("SELECT 1 AS x FROM identity_assignments WHERE actor_id = ? LIMIT 1", id);
  deleteAssignmentsOfActor(db, id);
  db.run("DELETE FROM identity_group_members WHERE group_id = ?", id);
  db.run("DELETE FROM identity_groups WHERE id = ?", id);
  return { members, hadGrants };
}

/** DELETE /v3/groups/{id}: members' tokens are revoked when the group carried roles (as Keystone). */
export function deleteGroup(ctx: IdentityCtx, id: string): void {
  ctx.db.tx(() => {
    mustGroup(ctx.db, id);
    const { members, hadGrants } = deleteGroupRows(ctx, id);
    if (hadGrants) for (const u of members) ctx.revokeUserTokens(u);
    ctx.changed();
  });
}

// ---- membership -----------------------------------------------------------------

const isMember = (ctx: IdentityCtx, groupId: string, userId: string) =>
  !!ctx.db.get<{ x: number }>(
    "SELECT 1 AS x FROM identity_group_members WHERE group_id = ? AND user_id = ?",
    groupId,
    userId,
  );

/** PUT /v3/groups/{g}/users/{u} (idempotent). */
export function addMember(ctx: IdentityCtx, groupId: string, userId: string): void {
  ctx.db.tx(() => {
    mustGroup(ctx.db, groupId);
    mustUser(ctx.db, userId);
    ctx.db.run("INSERT OR IGNORE INTO identity_group_members (group_id, user_id) VALUES (?, ?)", groupId, userId);
    ctx.changed();
  });
}

/** HEAD/GET /v3/groups/{g}/users/{u}: 404 unless a member. */
export function checkMember(ctx: IdentityCtx, groupId: string, userId: string): void {
  mustGroup(ctx.db, groupId);
  mustUser(ctx.db, userId);
  if (!isMember(ctx, groupId, userId)) throw notFound(`User '${userId}' not found in group '${groupId}'`);
}

/** DELETE /v3/groups/{g}/users/{u}: the user's tokens are revoked, as in Keystone. */
export function removeMember(ctx: IdentityCtx, groupId: string, userId: string): void {
  ctx.db.tx(() => {
    mustGroup(ctx.db, groupId);
    mustUser(ctx.db, userId);
    const r = ctx.db.run("DELETE FROM identity_group_members WHERE group_id = ? AND user_id = ?", groupId, userId);
    if (!r.changes) throw notFound(`User '${userId}' not found in group '${groupId}'`);
    ctx.revokeUserTokens(userId);
    ctx.changed();
  });
}

/** GET /v3/groups/{g}/users: filters name (and comparators), domain_id, enabled, password_expires_at. */
export function listMembers(
  ctx: IdentityCtx,
  groupId: string,
  q: UserListFilter,
  raw: Record<string, string | undefined>,
): UserRow[] {
  mustGroup(ctx.db, groupId);
  if (q.password_expires_at !== undefined) return [];
  return ctx.db
    .all<UserRow>(
      `SELECT u.* FROM identity_group_members m JOIN identity_users u ON u.id = m.user_id
        WHERE m.group_id = ? ORDER BY u.name`,
      groupId,
    )
    .filter(
      (u) =>
        (q.domain_id === undefined || u.domain_id === q.domain_id) &&
        (q.enabled === undefined || !!u.enabled === q.enabled) &&
        nameMatches(u.name, raw),
    );
}
