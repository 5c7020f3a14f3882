import { Hono, type Context } from "hono";
import type { AppEnv } from "../../core/http.ts";
import { requireAdmin } from "../../core/policy.ts";
import { body } from "../../core/validate.ts";
import { collectionLinks, selfLink, type IdentityCtx } from "../ctx.ts";
import { mustProject } from "../model.ts";
import { renderProject } from "../views.ts";
import {
  addGroupToProject,
  checkGroupInProject,
  createEndpointGroup,
  deleteEndpointGroup,
  endpointsOfGroup,
  filtersOf,
  groupsOfProject,
  listEndpointGroups,
  mustEndpointGroup,
  projectsOfGroup,
  removeGroupFromProject,
  updateEndpointGroup,
  type EndpointGroupRow,
} from "../logic/endpoint_groups.ts";
import { EndpointGroupCreateSchema, EndpointGroupUpdateSchema } from "../schemas/endpoint_groups.ts";
import { renderEndpoint } from "./endpoints.ts";
import { requireAdminOrSystemReader } from "./services.ts";

export function renderEndpointGroup(c: Context, g: EndpointGroupRow) {
  return {
    id: g.id,
    name: g.name,
    description: g.description,
    filters: filtersOf(g),
    links: selfLink(c, `OS-EP-FILTER/endpoint_groups/${g.id}`),
  };
}

const BASE = "/OS-EP-FILTER/endpoint_groups";

/** OS-EP-FILTER endpoint groups and their project associations (admin only). */
export function endpointGroupRoutes(ctx: IdentityCtx) {
  const app = new Hono<AppEnv>();
  const { db } = ctx;

  app.get(BASE, (c) => {
    requireAdminOrSystemReader(c.get("auth"));
    const rows = listEndpointGroups(db, { name: c.req.query("name") });
    return c.json({ endpoint_groups: rows.map((g) => renderEndpointGroup(c, g)), links: collectionLinks(c) });
  });
  app.post(BASE, body(EndpointGroupCreateSchema), (c) => {
    requireAdmin(c.get("auth"));
    const g = createEndpointGroup(ctx, c.req.valid("json").endpoint_group);
    return c.json({ endpoint_group: renderEndpointGroup(c, g) }, 201);
  });
  app.get(`${BASE}/:id`, (c) => {
    requireAdminOrSystemReader(c.get("auth"));
    return c.json({ endpoint_group: renderEndpointGroup(c, mustEndpointGroup(db, c.req.param("id"))) });
  });
  app.patch(`${BASE}/:id`, body(EndpointGroupUpdateSchema), (c) => {
    requireAdmin(c.get("auth"));
    const g = updateEndpointGroup(ctx, c.req.param("id"), c.req.valid("json").endpoint_group);
    return c.json({ endpoint_group: renderEndpointGroup(c, g) });
  });
  app.delete(`${BASE}/:id`, (c) => {
    requireAdmin(c.get("auth"));
    deleteEndpointGroup(ctx, c.req.param("id"));
    return c.body(null, 204);
  });

  app.get(`${BASE}/:id/endpoints`, (c) => {
    requireAdminOrSystemReader(c.get("auth"));
    const g = mustEndpointGroup(db, c.req.param("id"));
    return c.json({ endpoints: endpointsOfGroup(db, g).map((e) => renderEndpoint(c, e)), links: collectionLinks(c) });
  });
  app.get(`${BASE}/:id/projects`, (c) => {
    requireAdminOrSystemReader(c.get("auth"));
    const g = mustEndpointGroup(db, c.req.param("id"));
    return c.json({ projects: projectsOfGroup(db, g.id).map((p) => renderProject(c, p)), links: collectionLinks(c) });
  });
  app.get(`${BASE}/:id/projects/:project_id`, (c) => {
    requireAdminOrSystemReader(c.get("auth"));
    const { id, project_id } = c.req.param();
    checkGroupInProject(db, id, project_id);
    return c.json({
      project_endpoint_group: {
        endpoint_group_id: id,
        project_id,
        links: selfLink(c, `OS-EP-FILTER/endpoint_groups/${id}/projects/${project_id}`),
      },
    });
  });
  app.put(`${BASE}/:id/projects/:project_id`, (c) => {
    requireAdmin(c.get("auth"));
    addGroupToProject(ctx, c.req.param("id"), c.req.param("project_id"));
    return c.body(null, 204);
  });
  app.delete(`${BASE}/:id/projects/:project_id`, (c) => {
    requireAdmin(c.get("auth"));
    removeGroupFromProject(ctx, c.req.param("id"), c.req.param("project_id"));
    return c.body(null, 204);
  });
  app.get("/OS-EP-FILTER/projects/:project_id/endpoint_groups", (c) => {
    requireAdminOrSystemReader(c.get("auth"));
    const p = mustProject(db, c.req.param("project_id"));
    return c.json({
      endpoint_groups: groupsOfProject(db, p.id).map((g) => renderEndpointGroup(c, g)),
      links: collectionLinks(c),
    });
  });
  return app;
}
