import type { Db } from "../../core/db.ts";
import { badRequest, conflict, forbidden, notFound } from "../../core/errors.ts";
import { hexId } from "../../core/ids.ts";
import { nameMatches, splitExtra, type IdentityCtx } from "../ctx.ts";
import {
  extraOf,
  getDomain,
  getProject,
  projectAncestors,
  tagsOf,
  type DomainRow,
  type ProjectRow,
} from "../model.ts";
import type { ProjectCreate, ProjectListFilter, ProjectUpdate } from "../schemas/projects.ts";
import { deleteAssignmentsOnTarget, listRoleAssignments } from "./assignments.ts";
import {
  checkImmutableDelete,
  checkImmutableUpdate,
  createDomain,
  deleteDomain,
  isImmutable,
  mergeOptions,
  optionsOf,
  updateDomain,
} from "./domains.ts";

/**
 * Projects and their hierarchy, as Keystone's resource manager does them.
 * A top-level project has `parent_id` NULL here and shows its domain as parent.
 * Domains appear in this API as projects acting as domains (`is_domain`).
 */

const KNOWN = ["name", "description", "enabled", "tags", "options", "domain_id", "parent_id", "is_domain"] as const;

/** Keystone's `max_project_tree_depth` (5), plus one for the domain at the root. */
const MAX_DEPTH = 5 + 1;

/** A project, or a domain seen through the projects API. */
export type ProjectLike = { kind: "project"; row: ProjectRow } | { kind: "domain"; row: DomainRow };

export function findProjectLike(db: Db, id: string): ProjectLike | undefined {
  const p = getProject(db, id);
  if (p) return { kind: "project", row: p };
  const d = getDomain(db, id);
  if (d) return { kind: "domain", row: d };
  return undefined;
}

export function mustProjectLike(db: Db, id: string): ProjectLike {
  const p = findProjectLike(db, id);
  if (!p) throw notFound(`Could not find project: ${id}.`);
  return p;
}

/** The domain a project-like entity belongs to (a domain belongs to itself, for policy). */
export const domainOfLike = (p: ProjectLike) => (p.kind === "project" ? p.row.domain_id : p.row.id);

const projectConflict = (name: string, id: string) =>
  conflict(
    `Conflict occurred attempting to store project - it is not permitted to have two projects with either the same name or same id in the same domain: name is ${name}, project id ${id}.`,
  );

function assertUniqueName(db: Db, domainId: string, name: string, id: string, exceptId?: string) {
  const dup = db.get<{ id: string }>("SELECT id FROM identity_projects WHERE domain_id = ? AND name = ?", domainId, name);
  if (dup && dup.id !== exceptId) throw projectConflict(name, id);
}

/** Direct children: projects whose parent is `id` (for a domain: its top-level projects). */
export function childrenOf(db: Db, id: string): ProjectRow[] {
  return db.all<ProjectRow>(
    "SELECT * FROM identity_projects WHERE parent_id = ? OR (parent_id IS NULL AND domain_id = ?) ORDER BY name",
    id,
    id,
  );
}

/** Every project below `id`, breadth first. */
export function subtreeOf(db: Db, id: string): ProjectRow[] {
  const out: ProjectRow[] = [];
  const seen = new Set([id]);
  const queue = [id];
  while (queue.length) {
    for (const c of childrenOf(db, queue.shift()!)) {
      if (seen.has(c.id)) continue;
      seen.add(c.id);
      out.push(c);
      queue.push(c.id);
    }
  }
  return out;
}

const splitTags = (v: string | undefined) =>
  v === undefined
    ? undefined
    : v
        .split(",")
        .map((t) => t.trim())
        .filter((t) => t);

/** Keystone's tag filters: tags (all of), tags-any, not-tags (not all of), not-tags-any (none of). */
function tagFilter(q: ProjectListFilter): (tags: string[]) => boolean {
  const all = splitTags(q.tags), any = splitTags(q["tags-any"]);
  const notAll = splitTags(q["not-tags"]), notAny = splitTags(q["not-tags-any"]);
  return (tags) => {
    const has = (t: string) => tags.includes(t);
    if (all && !all.every(has)) return false;
    if (any && !any.some(has)) return false;
    if (notAll && notAll.length && notAll.every(has)) return false;
    if (notAny && notAny.some(has)) return false;
    return true;
  };
}

/**
 * GET /v3/projects. Without `is_domain` only regular projects (Keystone adds
 * `is_domain=0`); `is_domain=true` lists the domains as projects.
 */
export function listProjects(
  ctx: IdentityCtx,
  q: ProjectListFilter,
  raw: Record<string, string | undefined>,
  onlyDomain?: string,
): ProjectLike[] {
  const tagsOk = tagFilter(q);
  const out: ProjectLike[] = [];
  if (q.is_domain === true) {
    if (q.parent_id !== undefined || (q.domain_id !== undefined && q.domain_id !== "")) return [];
    for (const d of ctx.db.all<DomainRow>("SELECT * FROM identity_domains ORDER BY name")) {
      if (onlyDomain !== undefined && d.id !== onlyDomain) continue;
      if (q.enabled !== undefined && !!d.enabled !== q.enabled) continue;
      if (!nameMatches(d.name, raw) || !tagsOk(tagsOf(d))) continue;
      out.push({ kind: "domain", row: d });
    }
    return out;
  }
  const where: string[] = [];
  const params: string[] = [];
  if (q.domain_id !== undefined) (where.push("domain_id = ?"), params.push(q.domain_id));
  if (onlyDomain !== undefined) (where.push("domain_id = ?"), params.push(onlyDomain));
  if (q.parent_id !== undefined) (where.push("COALESCE(parent_id, domain_id) = ?"), params.push(q.parent_id));
  if (q.enabled !== undefined) where.push(q.enabled ? "enabled = 1" : "enabled = 0");
  if (q.name !== undefined) (where.push("name = ?"), params.push(q.name));
  const rows = ctx.db.all<ProjectRow>(
    `SELECT * FROM identity_projects ${where.length ? "WHERE " + where.join(" AND ") : ""} ORDER BY name`,
    ...params,
  );
  for (const p of rows) if (nameMatches(p.name, raw) && tagsOk(tagsOf(p))) out.push({ kind: "project", row: p });
  return out;
}

/** POST /v3/projects. `defaultDomain`: the caller's domain scope, else `default`. */
export function createProject(ctx: IdentityCtx, input: ProjectCreate, defaultDomain: string): ProjectLike {
  if (input.is_domain === true) {
    if (input.parent_id) throw badRequest("only root projects are allowed to act as domains.");
    const { domain_id: _d, parent_id: _p, is_domain: _i, ...rest } = input;
    return { kind: "domain", row: createDomain(ctx, rest) };
  }
  const name = input.name.trim();
  if (!name) throw badRequest("Invalid input for field 'name': must contain a non-whitespace character");
  const domainId = input.domain_id || defaultDomain;
  const id = hexId();
  const options = mergeOptions({}, input.options);
  const extra = splitExtra(input, KNOWN);
  if (Object.keys(options).length) extra.options = options;
  const tags = (input.tags ?? []).map((t) => t.trim());
  return ctx.db.tx(() => {
    const domain = getDomain(ctx.db, domainId);
    if (!domain) throw badRequest(`Could not find domain: ${domainId}.`);
    const parentId = input.parent_id || domainId;
    let parentRow: ProjectRow | undefined;
    let chain: { id: string; enabled: number }[];
    if (parentId === domainId) {
      chain = [domain];
    } else {
      const parent = findProjectLike(ctx.db, parentId);
      if (!parent) throw badRequest(`Could not find project: ${parentId}.`);
      if (parent.kind === "domain")
        throw badRequest(
          `Cannot create project, the parent (${parentId}) is acting as a domain, but this project's domain id (${domainId}) does not match the parent's id.`,
        );
      parentRow = parent.row;
      if (parentRow.domain_id !== domainId)
        throw badRequest(
          `Cannot create project, since it specifies its domain_id ${domainId}, but specifies a parent in a different domain (${parentRow.domain_id}).`,
        );
      chain = [parentRow, ...projectAncestors(ctx.db, parentRow), domain];
    }
    for (const r of chain)
      if (!r.enabled) throw badRequest(`cannot create a project in a branch containing a disabled project: ${r.id}`);
    if (chain.length + 1 > MAX_DEPTH) throw forbidden(`Max hierarchy depth reached for ${parentId} branch.`);
    assertUniqueName(ctx.db, domainId, name, id);
    ctx.db.run(
      `INSERT INTO identity_projects (id, name, domain_id, parent_id, description, enabled, extra, tags)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      id,
      name,
      domainId,
      parentRow ? parentRow.id : null,
      input.description ?? "",
      input.enabled === false ? 0 : 1,
      JSON.stringify(extra),
      JSON.stringify(tags),
    );
    ctx.changed();
    return { kind: "project", row: getProject(ctx.db, id)! };
  });
}

/** PATCH /v3/projects/{id} (a domain's id updates the domain). */
export function updateProject(ctx: IdentityCtx, id: string, patch: ProjectUpdate): ProjectLike {
  if (patch.id !== undefined && patch.id !== null && patch.id !== id) throw badRequest("Cannot change ID");
  return ctx.db.tx(() => {
    const like = mustProjectLike(ctx.db, id);
    if (like.kind === "domain") {
      const { is_domain, ...rest } = patch;
      if (is_domain === false) throw badRequest("Update of `is_domain` is not allowed.");
      return { kind: "domain", row: updateDomain(ctx, id, rest) };
    }
    const p = like.row;
    checkImmutableUpdate(p, patch, "project", id);
    if (patch.domain_id !== undefined && patch.domain_id !== p.domain_id) throw badRequest("Cannot change Domain ID");
    if (patch.parent_id !== undefined && patch.parent_id !== (p.parent_id ?? p.domain_id))
      throw forbidden("Update of `parent_id` is not allowed.");
    if (patch.is_domain === true) throw badRequest("Update of `is_domain` is not allowed.");
    let name = p.name;
    if (patch.name !== undefined) {
      name = patch.name.trim();
      if (!name) throw badRequest("Invalid input for field 'name': must contain a non-whitespace character");
      if (name !== p.name) assertUniqueName(ctx.db, p.domain_id, name, id, id);
    }
    const enabled = patch.enabled === undefined ? !!p.enabled : patch.enabled;
    if (!p.enabled && enabled) {
      const parents = [...projectAncestors(ctx.db, p), getDomain(ctx.db, p.domain_id)];
      if (parents.some((a) => a && !a.enabled))
        throw forbidden(`Cannot enable project ${id} since it has disabled parents`);
    }
    if (p.enabled && !enabled && subtreeOf(ctx.db, id).some((c) => c.enabled))
      throw forbidden(`Cannot disable project ${id} since its subtree contains enabled projects.`);
    const description = "description" in patch ? (patch.description ?? "") : p.description;
    const tags = patch.tags ? patch.tags.map((t) => t.trim()) : tagsOf(p);
    const options = mergeOptions(optionsOf(p), patch.options);
    const { options: _o, ...oldExtra } = extraOf(p);
    const extra: Record<string, unknown> = { ...oldExtra, ...splitExtra(patch, KNOWN) };
    if (Object.keys(options).length) extra.options = options;
    ctx.db.run(
      "UPDATE identity_projects SET name = ?, description = ?, enabled = ?, extra = ?, tags = ? WHERE id = ?",
      name,
      description,
      enabled ? 1 : 0,
      JSON.stringify(extra),
      JSON.stringify(tags),
      id,
    );
    ctx.changed();
    return { kind: "project", row: getProject(ctx.db, id)! };
  });
}

/**
 * Remove a project's rows and what hangs off it (grants, credentials,
 * endpoint-group associations), without checks. Callers run it in a
 * transaction and call ctx.changed().
 */
export function deleteProjectRows(ctx: IdentityCtx, id: string): void {
  const db = ctx.db;
  deleteAssignmentsOnTarget(db, id);
  db.run("DELETE FROM identity_credentials WHERE project_id = ?", id);
  db.run("DELETE FROM identity_endpoint_group_projects WHERE project_id = ?", id);
  db.run("DELETE FROM identity_projects WHERE id = ?", id);
}

/** DELETE /v3/projects/{id}: leaves only (403 otherwise); a domain's id deletes the domain. */
export function deleteProject(ctx: IdentityCtx, id: string): void {
  ctx.db.tx(() => {
    const like = mustProjectLike(ctx.db, id);
    if (like.kind === "domain") return deleteDomain(ctx, id);
    checkImmutableDelete(like.row, "project", id);
    if (childrenOf(ctx.db, id).length)
      throw forbidden(
        `Cannot delete the project ${id} since it is not a leaf in the hierarchy. Use the cascade option if you want to delete a whole subtree.`,
      );
    deleteProjectRows(ctx, id);
    ctx.changed();
  });
}

// ---- hierarchy ----------------------------------------------------------------

/** Ids of the projects a user has an effective role on (direct, group, inherited). */
export function projectIdsOfUser(ctx: IdentityCtx, userId: string): Set<string> {
  const ids = new Set<string>();
  for (const r of listRoleAssignments(ctx, { userId, effective: true })) if (r.project_id) ids.add(r.project_id);
  return ids;
}

/** Parents, nearest first, as Keystone lists them: the domain at the top. */
export function parentsOf(db: Db, like: ProjectLike): ProjectLike[] {
  if (like.kind === "domain") return [];
  const out: ProjectLike[] = projectAncestors(db, like.row).map((row) => ({ kind: "project", row }));
  const d = getDomain(db, like.row.domain_id);
  if (d) out.push({ kind: "domain", row: d });
  return out;
}

/** `parents_as_ids`: `{parent: {grandparent: ... {domain: null}}}` (null when there is none). */
export function parentsAsIds(db: Db, like: ProjectLike): Record<string, unknown> | null {
  const parents = parentsOf(db, like);
  let acc: Record<string, unknown> | null = null;
  for (let i = parents.length - 1; i >= 0; i--) acc = { [parents[i]!.row.id]: acc };
  return acc;
}

/** `subtree_as_ids`: `{child: {grandchild: null}}` (null when a leaf). */
export function subtreeAsIds(db: Db, id: string, seen = new Set<string>()): Record<string, unknown> | null {
  seen.add(id);
  const children = childrenOf(db, id).filter((c) => !seen.has(c.id));
  if (!children.length) return null;
  const out: Record<string, unknown> = {};
  for (const c of children) out[c.id] = subtreeAsIds(db, c.id, seen);
  return out;
}

// ---- tags ---------------------------------------------------------------------

function mustTaggable(ctx: IdentityCtx, id: string): ProjectLike {
  return mustProjectLike(ctx.db, id);
}

function writeTags(ctx: IdentityCtx, like: ProjectLike, tags: string[], verb: string): void {
  if (isImmutable(like.row))
    throw forbidden(
      `Cannot ${verb} project tags for ${like.row.id}, project is immutable. Set "immutable" option to false before creating project tags.`,
    );
  const table = like.kind === "project" ? "identity_projects" : "identity_domains";
  ctx.db.run(`UPDATE ${table} SET tags = ? WHERE id = ?`, JSON.stringify(tags), like.row.id);
  ctx.changed();
}

export function listTags(ctx: IdentityCtx, id: string): string[] {
  return tagsOf(mustTaggable(ctx, id).row);
}

export function hasTag(ctx: IdentityCtx, id: string, tag: string): void {
  if (!tagsOf(mustTaggable(ctx, id).row).includes(tag)) throw notFound(`Tag ${tag} not found`);
}

/** PUT /tags/{tag}: appends (a tag already there makes a duplicate, which Keystone refuses). */
export function addTag(ctx: IdentityCtx, id: string, tag: string): void {
  ctx.db.tx(() => {
    const like = mustTaggable(ctx, id);
    const tags = tagsOf(like.row);
    const t = tag.trim();
    if (tags.includes(t)) throw badRequest(`Invalid input for field 'tags': tag ${t} is already present`);
    if (tags.length >= 80) throw badRequest("Invalid input for field 'tags': a project may carry at most 80 tags");
    writeTags(ctx, like, [...tags, t], "create");
  });
}

export function replaceTags(ctx: IdentityCtx, id: string, tags: string[]): string[] {
  return ctx.db.tx(() => {
    const like = mustTaggable(ctx, id);
    const list = tags.map((t) => t.trim());
    writeTags(ctx, like, list, "update");
    return list;
  });
}

export function deleteTag(ctx: IdentityCtx, id: string, tag: string): void {
  ctx.db.tx(() => {
    const like = mustTaggable(ctx, id);
    const tags = tagsOf(like.row);
    if (!tags.includes(tag)) throw notFound(`Tag ${tag} not found`);
    writeTags(ctx, like, tags.filter((t) => t !== tag), "delete");
  });
}

// ---- GET /v3/users/{id}/projects ------------------------------------------------

export function listUserProjects(
  ctx: IdentityCtx,
  userId: string,
  q: { name?: string; domain_id?: string; enabled?: boolean },
  raw: Record<string, string | undefined>,
): ProjectRow[] {
  // Keystone answers an unknown user with an empty list (no 404).
  const out: ProjectRow[] = [];
  for (const id of projectIdsOfUser(ctx, userId)) {
    const p = getProject(ctx.db, id);
    if (!p) continue;
    if (q.domain_id !== undefined && p.domain_id !== q.domain_id) continue;
    if (q.enabled !== undefined && !!p.enabled !== q.enabled) continue;
    if (!nameMatches(p.name, raw)) continue;
    out.push(p);
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}
