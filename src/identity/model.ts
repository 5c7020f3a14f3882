import type { Db } from "../core/db.ts";
import { notFound } from "../core/errors.ts";
import { parseJson } from "./ctx.ts";

/** Rows of the identity tables and the lookups every part of identity shares. */
export interface DomainRow { id: string; name: string; description: string; enabled: number; extra: string; tags: string }
export interface ProjectRow {
  id: string; name: string; domain_id: string; parent_id: string | null; description: string;
  enabled: number; extra: string; tags: string;
}
export interface UserRow {
  id: string; name: string; domain_id: string; enabled: number; password_hash: string | null;
  password_created_at: number | null; default_project_id: string | null; description: string | null;
  email: string | null; extra: string; options: string; created_at: number;
}
export interface GroupRow { id: string; name: string; domain_id: string; description: string; extra: string }
export interface RoleRow { id: string; name: string; domain_id: string | null; description: string | null; extra: string; options: string }
export interface AssignmentRow { type: string; actor_id: string; target_id: string; role_id: string; inherited: number }

export const getDomain = (db: Db, id: string) =>
  db.get<DomainRow>("SELECT * FROM identity_domains WHERE id = ?", id);
export const getDomainByName = (db: Db, name: string) =>
  db.get<DomainRow>("SELECT * FROM identity_domains WHERE name = ?", name);
export const getProject = (db: Db, id: string) =>
  db.get<ProjectRow>("SELECT * FROM identity_projects WHERE id = ?", id);
export const getProjectByName = (db: Db, domainId: string, name: string) =>
  db.get<ProjectRow>("SELECT * FROM identity_projects WHERE domain_id = ? AND name = ?", domainId, name);
export const getUser = (db: Db, id: string) => db.get<UserRow>("SELECT * FROM identity_users WHERE id = ?", id);
export const getUserByName = (db: Db, domainId: string, name: string) =>
  db.get<UserRow>("SELECT * FROM identity_users WHERE domain_id = ? AND name = ?", domainId, name);
export const getGroup = (db: Db, id: string) => db.get<GroupRow>("SELECT * FROM identity_groups WHERE id = ?", id);
export const getRole = (db: Db, id: string) => db.get<RoleRow>("SELECT * FROM identity_roles WHERE id = ?", id);
export const getGlobalRoleByName = (db: Db, name: string) =>
  db.get<RoleRow>("SELECT * FROM identity_roles WHERE name = ? AND domain_id IS NULL", name);

/** Each `must*` throws Keystone's 404 when the entity does not exist. */
export function mustDomain(db: Db, id: string): DomainRow {
  const d = getDomain(db, id);
  if (!d) throw notFound(`Could not find domain: ${id}.`);
  return d;
}
export function mustProject(db: Db, id: string): ProjectRow {
  const p = getProject(db, id);
  if (!p) throw notFound(`Could not find project: ${id}.`);
  return p;
}
export function mustUser(db: Db, id: string): UserRow {
  const u = getUser(db, id);
  if (!u) throw notFound(`Could not find user: ${id}.`);
  return u;
}
export function mustGroup(db: Db, id: string): GroupRow {
  const g = getGroup(db, id);
  if (!g) throw notFound(`Could not find group: ${id}.`);
  return g;
}
export function mustRole(db: Db, id: string): RoleRow {
  const r = getRole(db, id);
  if (!r) throw notFound(`Could not find role: ${id}.`);
  return r;
}

/** Ancestors of a project, nearest first. */
export function projectAncestors(db: Db, project: ProjectRow): ProjectRow[] {
  const out: ProjectRow[] = [];
  let cur = project.parent_id;
  const seen = new Set<string>();
  while (cur && !seen.has(cur)) {
    seen.add(cur);
    const p = getProject(db, cur);
    if (!p) break;
    out.push(p);
    cur = p.parent_id;
  }
  return out;
}

export function groupIdsOfUser(db: Db, userId: string): string[] {
  return db.all<{ group_id: string }>("SELECT group_id FROM identity_group_members WHERE user_id = ?", userId).map(
    (r) => r.group_id,
  );
}

/** Expand a set of role ids with everything they imply (transitively). */
export function expandImplied(db: Db, roleIds: Iterable<string>): Set<string> {
  const out = new Set(roleIds);
  const queue = [...out];
  while (queue.length) {
    const id = queue.pop()!;
    for (const r of db.all<{ implied_role_id: string }>(
      "SELECT implied_role_id FROM identity_implied_roles WHERE prior_role_id = ?",
      id,
    )) {
      if (!out.has(r.implied_role_id)) {
        out.add(r.implied_role_id);
        queue.push(r.implied_role_id);
      }
    }
  }
  return out;
}

export type Scope =
  | { kind: "project"; id: string }
  | { kind: "domain"; id: string }
  | { kind: "system" }
  | { kind: "unscoped" };

/**
 * A user's effective role ids on a scope, as Keystone computes them: direct
 * grants, grants to the user's groups, grants inherited from the project's
 * domain and ancestors (OS-INHERIT), then implied roles.
 */
export function effectiveRoleIds(db: Db, userId: string, scope: Scope): Set<string> {
  if (scope.kind === "unscoped") return new Set();
  const actors = [userId, ...groupIdsOfUser(db, userId)];
  const marks = actors.map(() => "?").join(",");
  const direct = new Set<string>();
  const add = (sql: string, ...params: string[]) => {
    for (const r of db.all<{ role_id: string }>(sql, ...params)) direct.add(r.role_id);
  };
  if (scope.kind === "system") {
    add(
      `SELECT role_id FROM identity_assignments WHERE type IN ('UserSystem','GroupSystem') AND target_id = 'system' AND actor_id IN (${marks})`,
      ...actors,
    );
  } else if (scope.kind === "domain") {
    add(
      `SELECT role_id FROM identity_assignments WHERE type IN ('UserDomain','GroupDomain') AND target_id = ? AND inherited = 0 AND actor_id IN (${marks})`,
      scope.id,
      ...actors,
    );
  } else {
    const project = getProject(db, scope.id);
    if (!project) return new Set();
    add(
      `SELECT role_id FROM identity_assignments WHERE type IN ('UserProject','GroupProject') AND target_id = ? AND inherited = 0 AND actor_id IN (${marks})`,
      project.id,
      ...actors,
    );
    const inheritedTargets = [project.domain_id, ...projectAncestors(db, project).map((p) => p.id)];
    const tmarks = inheritedTargets.map(() => "?").join(",");
    add(
      `SELECT role_id FROM identity_assignments WHERE inherited = 1 AND target_id IN (${tmarks}) AND actor_id IN (${marks})`,
      ...inheritedTargets,
      ...actors,
    );
  }
  const all = expandImplied(db, direct);
  // Domain-specific roles only imply other roles; Keystone never puts them in tokens.
  for (const id of all) if (getRole(db, id)?.domain_id) all.delete(id);
  return all;
}

export function rolesByIds(db: Db, ids: Iterable<string>): RoleRow[] {
  const out: RoleRow[] = [];
  for (const id of ids) {
    const r = getRole(db, id);
    if (r) out.push(r);
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

export const extraOf = (row: { extra: string }) => parseJson<Record<string, unknown>>(row.extra, {});
export const tagsOf = (row: { tags: string }) => parseJson<string[]>(row.tags, []);
