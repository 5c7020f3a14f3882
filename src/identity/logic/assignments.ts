import type { Db } from "../../core/db.ts";
import { badRequest, forbidden, notFound } from "../../core/errors.ts";
import type { IdentityCtx } from "../ctx.ts";
import {
  getDomain,
  getGroup,
  getProject,
  getRole,
  getUser,
  mustDomain,
  mustGroup,
  mustProject,
  mustRole,
  mustUser,
  projectAncestors,
  groupIdsOfUser,
  type RoleRow,
} from "../model.ts";

/**
 * Grants (role assignments) and the /v3/role_assignments listing, following
 * Keystone's assignment manager: direct listing, and "effective" listing that
 * expands group membership, OS-INHERIT inheritance and implied roles.
 */

// ---- grants -------------------------------------------------------------------

export type ActorKind = "user" | "group";
export type TargetKind = "project" | "domain" | "system";

export interface Grant {
  actor: ActorKind;
  actorId: string;
  target: TargetKind;
  /** 'system' for system grants. */
  targetId: string;
  inherited: boolean;
}

const SYSTEM = "system";

export function assignmentType(actor: ActorKind, target: TargetKind): string {
  return (actor === "user" ? "User" : "Group") + (target === "project" ? "Project" : target === "domain" ? "Domain" : "System");
}

/** The domain of the actor (undefined when the actor does not exist). */
export function actorDomain(db: Db, actor: ActorKind, actorId: string): string | undefined {
  return actor === "user" ? getUser(db, actorId)?.domain_id : getGroup(db, actorId)?.domain_id;
}

/** 404s for an unknown target (project or domain). Returns the domain that owns the target. */
export function mustTarget(db: Db, target: TargetKind, targetId: string): string | undefined {
  if (target === "project") return mustProject(db, targetId).domain_id;
  if (target === "domain") return mustDomain(db, targetId).id;
  return undefined;
}

function mustActor(db: Db, actor: ActorKind, actorId: string): void {
  if (actor === "user") mustUser(db, actorId);
  else mustGroup(db, actorId);
}

function hasGrant(db: Db, g: Grant, roleId: string): boolean {
  return !!db.get<{ x: number }>(
    "SELECT 1 AS x FROM identity_assignments WHERE type = ? AND actor_id = ? AND target_id = ? AND role_id = ? AND inherited = ?",
    assignmentType(g.actor, g.target),
    g.actorId,
    g.targetId,
    roleId,
    g.inherited ? 1 : 0,
  );
}

const assignmentNotFound = (g: Grant, roleId: string) =>
  notFound(
    `Could not find role assignment with role: ${roleId}, user or group: ${g.actorId}, project, domain, or system: ${g.targetId}.`,
  );

/** PUT …/roles/{role}: idempotent, as in Keystone. */
export function createGrant(ctx: IdentityCtx, g: Grant, roleId: string): void {
  ctx.db.tx(() => {
    const role = mustRole(ctx.db, roleId);
    mustActor(ctx.db, g.actor, g.actorId);
    if (g.target === "project") {
      const project = mustProject(ctx.db, g.targetId);
      if (role.domain_id && role.domain_id !== project.domain_id)
        throw forbidden(`Project ${project.id} must be in the same domain as the role ${role.id} being assigned.`);
    } else if (g.target === "domain") {
      mustDomain(ctx.db, g.targetId);
    } else if (role.domain_id) {
      throw badRequest(
        `Role ${role.id} is a domain-specific role. Unable to use a domain-specific role in a system assignment.`,
      );
    }
    ctx.db.run(
      "INSERT OR IGNORE INTO identity_assignments (type, actor_id, target_id, role_id, inherited) VALUES (?, ?, ?, ?, ?)",
      assignmentType(g.actor, g.target),
      g.actorId,
      g.targetId,
      roleId,
      g.inherited ? 1 : 0,
    );
    ctx.changed();
  });
}

/** GET/HEAD …/roles/{role}: 404 unless the grant exists. */
export function checkGrant(ctx: IdentityCtx, g: Grant, roleId: string): void {
  mustRole(ctx.db, roleId);
  mustActor(ctx.db, g.actor, g.actorId);
  mustTarget(ctx.db, g.target, g.targetId);
  if (!hasGrant(ctx.db, g, roleId)) throw assignmentNotFound(g, roleId);
}

/** GET …/roles: the roles granted directly (no groups, no inheritance, no implied roles). */
export function listGrants(ctx: IdentityCtx, g: Grant): RoleRow[] {
  mustActor(ctx.db, g.actor, g.actorId);
  mustTarget(ctx.db, g.target, g.targetId);
  return ctx.db.all<RoleRow>(
    `SELECT r.* FROM identity_assignments a JOIN identity_roles r ON r.id = a.role_id
      WHERE a.type = ? AND a.actor_id = ? AND a.target_id = ? AND a.inherited = ? ORDER BY r.name`,
    assignmentType(g.actor, g.target),
    g.actorId,
    g.targetId,
    g.inherited ? 1 : 0,
  );
}

/** DELETE …/roles/{role}. A grant left behind by a deleted user or group can still be removed. */
export function deleteGrant(ctx: IdentityCtx, g: Grant, roleId: string): void {
  ctx.db.tx(() => {
    mustRole(ctx.db, roleId);
    mustTarget(ctx.db, g.target, g.targetId);
    const r = ctx.db.run(
      "DELETE FROM identity_assignments WHERE type = ? AND actor_id = ? AND target_id = ? AND role_id = ? AND inherited = ?",
      assignmentType(g.actor, g.target),
      g.actorId,
      g.targetId,
      roleId,
      g.inherited ? 1 : 0,
    );
    if (!r.changes) {
      mustActor(ctx.db, g.actor, g.actorId);
      throw assignmentNotFound(g, roleId);
    }
    ctx.changed();
  });
}

// ---- /v3/role_assignments -----------------------------------------------------

/** One assignment as Keystone's assignment manager sees it (before formatting). */
export interface Ref {
  role_id: string;
  user_id?: string;
  group_id?: string;
  project_id?: string;
  domain_id?: string;
  system?: boolean;
  inherited?: boolean;
  indirect?: { group_id?: string; project_id?: string; domain_id?: string; role_id?: string };
}

export interface AssignmentFilter {
  roleId?: string;
  userId?: string;
  groupId?: string;
  projectId?: string;
  domainId?: string;
  /** `scope.system=all`. */
  system?: boolean;
  /** `scope.OS-INHERIT:inherited_to`: true (=projects), false (anything else), undefined (absent: both). */
  inherited?: boolean;
  effective?: boolean;
  includeSubtree?: boolean;
}

interface Row {
  type: string;
  actor_id: string;
  target_id: string;
  role_id: string;
  inherited: number;
}

function toRef(r: Row): Ref {
  const ref: Ref = { role_id: r.role_id };
  if (r.type.startsWith("User")) ref.user_id = r.actor_id;
  else ref.group_id = r.actor_id;
  if (r.type.endsWith("Project")) ref.project_id = r.target_id;
  else if (r.type.endsWith("Domain")) ref.domain_id = r.target_id;
  else ref.system = true;
  if (r.inherited) ref.inherited = true;
  return ref;
}

const marks = (n: number) => Array.from({ length: n }, () => "?").join(",");

/** Keystone's driver-level listing of project and domain assignments. */
function query(
  db: Db,
  f: { roleId?: string; userId?: string; groupIds?: string[]; domainId?: string; projectIds?: string[]; inherited?: boolean },
): Ref[] {
  const where: string[] = [];
  const params: (string | number)[] = [];
  let actorTypes: string[] | undefined;
  let targetTypes: string[] | undefined;
  if (f.roleId) {
    where.push("role_id = ?");
    params.push(f.roleId);
  }
  const actors = f.groupIds?.length ? f.groupIds : f.userId ? [f.userId] : undefined;
  if (actors) {
    where.push(`actor_id IN (${marks(actors.length)})`);
    params.push(...actors);
    actorTypes = f.groupIds?.length ? ["GroupProject", "GroupDomain"] : ["UserProject", "UserDomain"];
  }
  const targets = f.projectIds?.length ? f.projectIds : f.domainId ? [f.domainId] : undefined;
  if (targets) {
    where.push(`target_id IN (${marks(targets.length)})`);
    params.push(...targets);
    targetTypes = f.projectIds?.length ? ["UserProject", "GroupProject"] : ["UserDomain", "GroupDomain"];
  }
  let types = ["UserProject", "GroupProject", "UserDomain", "GroupDomain"];
  if (actorTypes) types = types.filter((t) => actorTypes.includes(t));
  if (targetTypes) types = types.filter((t) => targetTypes.includes(t));
  where.push(`type IN (${marks(types.length)})`);
  params.push(...types);
  if (f.inherited !== undefined) {
    where.push("inherited = ?");
    params.push(f.inherited ? 1 : 0);
  }
  return db
    .all<Row>(`SELECT * FROM identity_assignments WHERE ${where.join(" AND ")} ORDER BY rowid`, ...params)
    .map(toRef);
}

function systemRefs(db: Db, f: { roleId?: string; userId?: string; groupId?: string }): Ref[] {
  let rows = db.all<Row>(
    "SELECT * FROM identity_assignments WHERE type IN ('UserSystem','GroupSystem') AND target_id = 'system' ORDER BY rowid",
  );
  if (f.userId) rows = rows.filter((r) => r.type === "UserSystem" && r.actor_id === f.userId);
  else if (f.groupId) rows = rows.filter((r) => r.type === "GroupSystem" && r.actor_id === f.groupId);
  if (f.roleId) rows = rows.filter((r) => r.role_id === f.roleId);
  return rows.map((r) => {
    const ref = toRef(r);
    delete ref.inherited;
    return ref;
  });
}

/** Every project strictly below `projectId`. */
export function projectSubtree(db: Db, projectId: string): string[] {
  const out: string[] = [];
  const queue = [projectId];
  const seen = new Set(queue);
  while (queue.length) {
    const id = queue.shift()!;
    for (const c of db.all<{ id: string }>("SELECT id FROM identity_projects WHERE parent_id = ? ORDER BY name", id)) {
      if (seen.has(c.id)) continue;
      seen.add(c.id);
      out.push(c.id);
      queue.push(c.id);
    }
  }
  return out;
}

const projectsInDomain = (db: Db, domainId: string) =>
  db.all<{ id: string }>("SELECT id FROM identity_projects WHERE domain_id = ? ORDER BY name", domainId).map((p) => p.id);
const groupMembers = (db: Db, groupId: string) =>
  db.all<{ user_id: string }>("SELECT user_id FROM identity_group_members WHERE group_id = ?", groupId).map((m) => m.user_id);

function expandGroup(db: Db, ref: Ref, userId: string | undefined): Ref[] {
  const users = userId ? [userId] : groupMembers(db, ref.group_id!);
  return users.map((u) => {
    const { group_id, ...rest } = ref;
    return { ...rest, user_id: u, indirect: { ...ref.indirect, group_id } };
  });
}

/** Replace group and inherited assignments by the user/project assignments they mean. */
function expandIndirect(db: Db, ref: Ref, userId?: string, projectId?: string, subtreeIds?: string[]): Ref[] {
  if (ref.inherited) {
    let projectIds: string[];
    if (projectId) {
      projectIds = [projectId];
      if (subtreeIds?.length) {
        projectIds.push(...subtreeIds);
        if (ref.project_id && projectIds.includes(ref.project_id)) projectIds = projectSubtree(db, ref.project_id);
      }
    } else if (ref.domain_id) {
      projectIds = projectsInDomain(db, ref.domain_id);
    } else {
      projectIds = projectSubtree(db, ref.project_id!);
    }
    const onProject = (base: Ref, pid: string): Ref => {
      const { project_id, domain_id, inherited: _i, ...rest } = base;
      const indirect = { ...base.indirect, ...(project_id ? { project_id } : { domain_id }) };
      return { ...rest, project_id: pid, indirect };
    };
    const bases = ref.group_id ? expandGroup(db, ref, userId) : [ref];
    return bases.flatMap((b) => projectIds.map((pid) => onProject(b, pid)));
  }
  if (ref.group_id) return expandGroup(db, ref, userId);
  return [ref];
}

const refKey = (r: Ref) =>
  JSON.stringify([
    r.role_id, r.user_id, r.group_id, r.project_id, r.domain_id, r.system, r.inherited,
    r.indirect?.group_id, r.indirect?.project_id, r.indirect?.domain_id, r.indirect?.role_id,
  ]);

/** Add one assignment per implied role (transitively), remembering the prior role in `indirect.role_id`. */
function addImplied(db: Db, refs: Ref[]): Ref[] {
  const cache = new Map<string, string[]>();
  const impliedOf = (roleId: string) => {
    let v = cache.get(roleId);
    if (!v) {
      v = db
        .all<{ implied_role_id: string }>("SELECT implied_role_id FROM identity_implied_roles WHERE prior_role_id = ?", roleId)
        .map((r) => r.implied_role_id);
      cache.set(roleId, v);
    }
    return v;
  };
  const out = [...refs];
  const seen = new Set(refs.map(refKey));
  const todo = [...refs];
  while (todo.length) {
    const next = todo.shift()!;
    for (const implied of impliedOf(next.role_id)) {
      const r: Ref = { ...next, role_id: implied, indirect: { ...next.indirect, role_id: next.role_id } };
      const k = refKey(r);
      if (seen.has(k)) continue;
      seen.add(k);
      out.push(r);
      todo.push(r);
    }
  }
  return out;
}

function listDirect(db: Db, f: AssignmentFilter): Ref[] {
  const projectIds = f.projectId ? [f.projectId, ...(f.includeSubtree ? projectSubtree(db, f.projectId) : [])] : undefined;
  const out: Ref[] = [];
  if (!f.system)
    out.push(
      ...query(db, {
        roleId: f.roleId,
        userId: f.userId,
        groupIds: f.groupId ? [f.groupId] : undefined,
        domainId: f.domainId,
        projectIds,
        inherited: f.inherited,
      }),
    );
  // System grants are never inherited (Keystone would list them under an inherited filter too).
  if (f.system || (!f.projectId && !f.domainId && f.inherited !== true))
    out.push(...systemRefs(db, { roleId: f.roleId, userId: f.userId, groupId: f.groupId }));
  return out;
}

function listEffective(db: Db, f: AssignmentFilter): Ref[] {
  if (f.groupId || (f.domainId && f.inherited === true)) return [];
  const inherited = f.domainId ? false : f.inherited;
  const subtreeIds = f.projectId && f.includeSubtree ? projectSubtree(db, f.projectId) : undefined;

  // Keystone leaves system assignments out of effective listings; with
  // `scope.system=all` we list the effective system assignments instead
  // (Keystone would ignore the filter).
  if (f.system) {
    const refs = f.userId
      ? [...systemRefs(db, { userId: f.userId }), ...groupIdsOfUser(db, f.userId).flatMap((g) => systemRefs(db, { groupId: g }))]
      : systemRefs(db, {});
    return finish(db, refs.flatMap((r) => (r.group_id ? expandGroup(db, r, f.userId) : [r])), f.roleId);
  }

  const forActor = (userId?: string, groupIds?: string[]): Ref[] => {
    const projectIds = f.projectId ? [f.projectId, ...(subtreeIds ?? [])] : undefined;
    const refs: Ref[] = [];
    if (inherited !== true)
      refs.push(...query(db, { userId, groupIds, domainId: f.domainId, projectIds, inherited: false }));
    if (inherited !== false) {
      if (f.projectId) {
        const project = mustProject(db, f.projectId);
        refs.push(...query(db, { userId, groupIds, domainId: project.domain_id, inherited: true }));
        const sources = projectAncestors(db, project).map((p) => p.id);
        if (subtreeIds) sources.push(...projectIds!);
        if (sources.length) refs.push(...query(db, { userId, groupIds, projectIds: sources, inherited: true }));
      } else {
        refs.push(...query(db, { userId, groupIds, inherited: true }));
      }
    }
    return refs;
  };

  const refs = forActor(f.userId);
  if (f.userId) {
    const groups = groupIdsOfUser(db, f.userId);
    if (groups.length) refs.push(...forActor(undefined, groups));
  }
  const expanded = refs.flatMap((r) => expandIndirect(db, r, f.userId, f.projectId, subtreeIds));
  return finish(db, expanded, f.roleId);
}

/** Implied roles, then drop domain-specific roles (never in tokens), then the role filter. */
function finish(db: Db, refs: Ref[], roleId?: string): Ref[] {
  const global = new Map<string, boolean>();
  const isGlobal = (id: string) => {
    let v = global.get(id);
    if (v === undefined) {
      v = getRole(db, id)?.domain_id == null;
      global.set(id, v);
    }
    return v;
  };
  return addImplied(db, refs).filter((r) => isGlobal(r.role_id) && (!roleId || r.role_id === roleId));
}

export function listRoleAssignments(ctx: IdentityCtx, f: AssignmentFilter): Ref[] {
  return f.effective ? listEffective(ctx.db, f) : listDirect(ctx.db, f);
}

// ---- formatting ---------------------------------------------------------------

/** Keystone's role assignment entity (`_format_entity`), with names when asked. */
export function formatAssignment(db: Db, ref: Ref, base: string, includeNames: boolean) {
  const domainName = (id: string) => getDomain(db, id)?.name ?? "";
  const links: Record<string, string> = {};
  const out: Record<string, any> = {};
  let link = "";
  let inherited = !!ref.inherited;
  if (ref.project_id) {
    if (includeNames) {
      const p = getProject(db, ref.project_id);
      out.scope = {
        project: {
          id: ref.project_id,
          name: p?.name ?? "",
          domain: { id: p?.domain_id ?? "", name: p ? domainName(p.domain_id) : "" },
        },
      };
    } else out.scope = { project: { id: ref.project_id } };
    if (ref.indirect?.domain_id) {
      inherited = true;
      link = `/domains/${ref.indirect.domain_id}`;
    } else if (ref.indirect?.project_id) {
      inherited = true;
      link = `/projects/${ref.indirect.project_id}`;
    } else link = `/projects/${ref.project_id}`;
  } else if (ref.domain_id) {
    out.scope = includeNames
      ? { domain: { id: ref.domain_id, name: domainName(ref.domain_id) } }
      : { domain: { id: ref.domain_id } };
    link = `/domains/${ref.domain_id}`;
  } else {
    out.scope = { system: { all: true } };
    link = "/system";
  }

  if (ref.user_id) {
    if (includeNames) {
      const u = getUser(db, ref.user_id);
      out.user = {
        id: ref.user_id,
        name: u?.name ?? "",
        domain: { id: u?.domain_id ?? "", name: u ? domainName(u.domain_id) : "" },
      };
    } else out.user = { id: ref.user_id };
    if (ref.indirect?.group_id) {
      links.membership = `${base}/groups/${ref.indirect.group_id}/users/${ref.user_id}`;
      link += `/groups/${ref.indirect.group_id}`;
    } else link += `/users/${ref.user_id}`;
  } else if (ref.group_id) {
    if (includeNames) {
      const g = getGroup(db, ref.group_id);
      out.group = {
        id: ref.group_id,
        name: g?.name ?? "",
        domain: { id: g?.domain_id ?? "", name: g ? domainName(g.domain_id) : "" },
      };
    } else out.group = { id: ref.group_id };
    link += `/groups/${ref.group_id}`;
  }

  if (includeNames) {
    const r = getRole(db, ref.role_id);
    out.role = { id: ref.role_id, name: r?.name ?? "" };
    if (r?.domain_id) out.role.domain = { id: r.domain_id, name: domainName(r.domain_id) };
  } else out.role = { id: ref.role_id };

  let priorLink = "";
  if (ref.indirect?.role_id) {
    link += `/roles/${ref.indirect.role_id}`;
    // Keystone's own (odd) form of this link: /prior_role/{implied}/implies/{prior}.
    priorLink = `/prior_role/${ref.role_id}/implies/${ref.indirect.role_id}`;
  } else link += `/roles/${ref.role_id}`;

  if (inherited) {
    out.scope["OS-INHERIT:inherited_to"] = "projects";
    link = `/OS-INHERIT${link}/inherited_to_projects`;
  }
  links.assignment = `${base}${link}`;
  if (priorLink) links.prior_role = `${base}${priorLink}`;
  return { ...out, links: orderLinks(links) };
}

const orderLinks = (l: Record<string, string>) => {
  const { assignment, ...rest } = l;
  return { assignment: assignment!, ...rest };
};

/** The domain a formatted assignment belongs to (for domain-scoped callers). */
export function assignmentDomain(db: Db, ref: Ref): string | undefined {
  if (ref.domain_id) return ref.domain_id;
  if (ref.project_id) return getProject(db, ref.project_id)?.domain_id;
  return undefined;
}

// ---- cleanup, for the owners of users, groups, projects and domains ----------

/**
 * Grants have no foreign keys to their actor or target (as in Keystone):
 * whoever deletes a user or group calls this, in the same transaction, then
 * ctx.changed().
 */
export function deleteAssignmentsOfActor(db: Db, actorId: string): void {
  db.run("DELETE FROM identity_assignments WHERE actor_id = ?", actorId);
}

/** The same for a deleted project or domain (Keystone deletes their grants too). */
export function deleteAssignmentsOnTarget(db: Db, targetId: string): void {
  db.run(
    "DELETE FROM identity_assignments WHERE target_id = ? AND type IN ('UserProject','GroupProject','UserDomain','GroupDomain')",
    targetId,
  );
}

/** A deleted domain takes its domain-specific roles with it (their grants and inference rules cascade). */
export function deleteDomainRoles(db: Db, domainId: string): void {
  db.run("DELETE FROM identity_roles WHERE domain_id = ?", domainId);
}
