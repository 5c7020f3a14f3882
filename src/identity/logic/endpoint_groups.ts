import type { Db } from "../../core/db.ts";
import { badRequest, notFound } from "../../core/errors.ts";
import { hexId } from "../../core/ids.ts";
import { parseJson, type IdentityCtx } from "../ctx.ts";
import { mustProject, type ProjectRow } from "../model.ts";
import type { EndpointGroupInput } from "../schemas/endpoint_groups.ts";
import { listEndpoints, type EndpointFilter, type EndpointRow } from "./endpoints.ts";

export interface EndpointGroupRow { id: string; name: string; description: string; filters: string }

const VALID_FILTERS = ["service_id", "region_id", "interface"];

export const filtersOf = (g: EndpointGroupRow) => parseJson<Record<string, unknown>>(g.filters, {});

export const getEndpointGroup = (db: Db, id: string) =>
  db.get<EndpointGroupRow>("SELECT * FROM identity_endpoint_groups WHERE id = ?", id);

export function mustEndpointGroup(db: Db, id: string): EndpointGroupRow {
  const g = getEndpointGroup(db, id);
  if (!g) throw notFound(`Could not find Endpoint Group: ${id}.`);
  return g;
}

function checkFilters(filters: Record<string, unknown> | undefined): Record<string, unknown> {
  if (!filters || !Object.keys(filters).length) throw badRequest("filters field is required and cannot be empty");
  for (const k of Object.keys(filters))
    if (!VALID_FILTERS.includes(k))
      throw badRequest(
        `Expecting to find ${VALID_FILTERS.join(" or ")} in endpoint_group. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.`,
      );
  return filters;
}

export function listEndpointGroups(db: Db, q: { name?: string }): EndpointGroupRow[] {
  return db
    .all<EndpointGroupRow>("SELECT * FROM identity_endpoint_groups ORDER BY name, id")
    .filter((g) => q.name === undefined || g.name === q.name);
}

export function createEndpointGroup(ctx: IdentityCtx, input: EndpointGroupInput & { name: string }): EndpointGroupRow {
  const filters = checkFilters(input.filters);
  const id = hexId();
  ctx.db.run(
    "INSERT INTO identity_endpoint_groups (id, name, description, filters) VALUES (?, ?, ?, ?)",
    id,
    input.name,
    input.description ?? "",
    JSON.stringify(filters),
  );
  return getEndpointGroup(ctx.db, id)!;
}

export function updateEndpointGroup(ctx: IdentityCtx, id: string, input: EndpointGroupInput): EndpointGroupRow {
  const { db } = ctx;
  const filters = input.filters !== undefined ? checkFilters(input.filters) : undefined;
  const row = db.tx(() => {
    const cur = mustEndpointGroup(db, id);
    db.run(
      "UPDATE identity_endpoint_groups SET name = ?, description = ?, filters = ? WHERE id = ?",
      input.name ?? cur.name,
      input.description !== undefined ? (input.description ?? "") : cur.description,
      filters ? JSON.stringify(filters) : cur.filters,
      id,
    );
    return getEndpointGroup(db, id)!;
  });
  ctx.changed();
  return row;
}

export function deleteEndpointGroup(ctx: IdentityCtx, id: string): void {
  const { db } = ctx;
  db.tx(() => {
    mustEndpointGroup(db, id);
    db.run("DELETE FROM identity_endpoint_group_projects WHERE endpoint_group_id = ?", id);
    db.run("DELETE FROM identity_endpoint_groups WHERE id = ?", id);
  });
  ctx.changed();
}

/** Endpoints an endpoint group's filters select. */
export function endpointsOfGroup(db: Db, g: EndpointGroupRow): EndpointRow[] {
  const f = filtersOf(g);
  const q: EndpointFilter = {};
  if (typeof f.interface === "string") q.interface = f.interface;
  if (typeof f.service_id === "string") q.service_id = f.service_id;
  if (typeof f.region_id === "string" || f.region_id === null) q.region_id = f.region_id as string | null;
  return listEndpoints(db, q);
}

export function projectsOfGroup(db: Db, groupId: string): ProjectRow[] {
  return db.all<ProjectRow>(
    `SELECT p.* FROM identity_projects p JOIN identity_endpoint_group_projects a ON a.project_id = p.id
      WHERE a.endpoint_group_id = ? ORDER BY p.name`,
    groupId,
  );
}

export function groupsOfProject(db: Db, projectId: string): EndpointGroupRow[] {
  return db.all<EndpointGroupRow>(
    `SELECT g.* FROM identity_endpoint_groups g JOIN identity_endpoint_group_projects a ON a.endpoint_group_id = g.id
      WHERE a.project_id = ? ORDER BY g.name`,
    projectId,
  );
}

export function addGroupToProject(ctx: IdentityCtx, groupId: string, projectId: string): void {
  const { db } = ctx;
  db.tx(() => {
    mustProject(db, projectId);
    mustEndpointGroup(db, groupId);
    db.run("INSERT OR IGNORE INTO identity_endpoint_group_projects VALUES (?, ?)", groupId, projectId);
  });
  ctx.changed();
}

export function checkGroupInProject(db: Db, groupId: string, projectId: string): void {
  mustProject(db, projectId);
  mustEndpointGroup(db, groupId);
  const a = db.get(
    "SELECT 1 AS x FROM identity_endpoint_group_projects WHERE endpoint_group_id = ? AND project_id = ?",
    groupId,
    projectId,
  );
  if (!a) throw notFound(`Could not find project endpoint group association: ${groupId} ${projectId}.`);
}

export function removeGroupFromProject(ctx: IdentityCtx, groupId: string, projectId: string): void {
  const { db } = ctx;
  db.tx(() => {
    checkGroupInProject(db, groupId, projectId);
    db.run(
      "DELETE FROM identity_endpoint_group_projects WHERE endpoint_group_id = ? AND project_id = ?",
      groupId,
      projectId,
    );
  });
  ctx.changed();
}
