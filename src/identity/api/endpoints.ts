import { Hono, type Context } from "hono";
import type { AppEnv } from "../../core/http.ts";
import { requireAdmin } from "../../core/policy.ts";
import { body, query } from "../../core/validate.ts";
import { collectionLinks, queryBool, selfLink, type IdentityCtx } from "../ctx.ts";
import { extraOf } from "../model.ts";
import {
  createEndpoint,
  deleteEndpoint,
  listEndpoints,
  mustEndpoint,
  updateEndpoint,
  type EndpointRow,
} from "../logic/endpoints.ts";
import { EndpointCreateSchema, EndpointListQuery, EndpointUpdateSchema } from "../schemas/endpoints.ts";
import { requireAdminOrSystemReader } from "./services.ts";

export function renderEndpoint(c: Context, e: EndpointRow) {
  return {
    ...extraOf(e),
    id: e.id,
    interface: e.interface,
    region_id: e.region_id,
    region: e.region_id,
    service_id: e.service_id,
    url: e.url,
    enabled: !!e.enabled,
    links: selfLink(c, `endpoints/${e.id}`),
  };
}

/** /v3/endpoints (admin only, as Keystone's default policy). */
export function endpointRoutes(ctx: IdentityCtx) {
  const app = new Hono<AppEnv>();
  const { db } = ctx;

  app.get("/endpoints", query(EndpointListQuery), (c) => {
    requireAdminOrSystemReader(c.get("auth"));
    const q = c.req.valid("query");
    const rows = listEndpoints(db, {
      interface: q.interface,
      service_id: q.service_id,
      region_id: q.region_id,
      enabled: queryBool(c.req.query("enabled")),
    });
    return c.json({ endpoints: rows.map((e) => renderEndpoint(c, e)), links: collectionLinks(c) });
  });
  app.post("/endpoints", body(EndpointCreateSchema), (c) => {
    requireAdmin(c.get("auth"));
    return c.json({ endpoint: renderEndpoint(c, createEndpoint(ctx, c.req.valid("json").endpoint)) }, 201);
  });
  app.get("/endpoints/:id", (c) => {
    requireAdminOrSystemReader(c.get("auth"));
    return c.json({ endpoint: renderEndpoint(c, mustEndpoint(db, c.req.param("id"))) });
  });
  app.patch("/endpoints/:id", body(EndpointUpdateSchema), (c) => {
    requireAdmin(c.get("auth"));
    const e = updateEndpoint(ctx, c.req.param("id"), c.req.valid("json").endpoint);
    return c.json({ endpoint: renderEndpoint(c, e) });
  });
  app.delete("/endpoints/:id", (c) => {
    requireAdmin(c.get("auth"));
    deleteEndpoint(ctx, c.req.param("id"));
    return c.body(null, 204);
  });
  return app;
}
