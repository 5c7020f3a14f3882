import { Hono, type Context } from "hono";
import type { AuthContext } from "../../core/auth.ts";
import { forbidden } from "../../core/errors.ts";
import type { AppEnv } from "../../core/http.ts";
import { isAdmin, isReader, requireAdmin } from "../../core/policy.ts";
import { body } from "../../core/validate.ts";
import { collectionLinks, selfLink, type IdentityCtx } from "../ctx.ts";
import { extraOf } from "../model.ts";
import {
  createService,
  deleteService,
  listServices,
  mustService,
  updateService,
  type ServiceRow,
} from "../logic/services.ts";
import { ServiceCreateSchema, ServiceUpdateSchema } from "../schemas/services.ts";

/** Keystone's `admin_required or (role:reader and system_scope:all)`: reads of the catalog's parts. */
export function requireAdminOrSystemReader(a: AuthContext): void {
  if (!isAdmin(a) && !(a.system && isReader(a))) throw forbidden();
}

export function renderService(c: Context, s: ServiceRow) {
  return {
    ...extraOf(s),
    id: s.id,
    type: s.type,
    name: s.name ?? "",
    ...(s.description !== null ? { description: s.description } : {}),
    enabled: !!s.enabled,
    links: selfLink(c, `services/${s.id}`),
  };
}

/** /v3/services (admin only, as Keystone's default policy). */
export function serviceRoutes(ctx: IdentityCtx) {
  const app = new Hono<AppEnv>();
  const { db } = ctx;

  app.get("/services", (c) => {
    requireAdminOrSystemReader(c.get("auth"));
    const rows = listServices(db, { type: c.req.query("type"), name: c.req.query("name") });
    return c.json({ services: rows.map((s) => renderService(c, s)), links: collectionLinks(c) });
  });
  app.post("/services", body(ServiceCreateSchema), (c) => {
    requireAdmin(c.get("auth"));
    return c.json({ service: renderService(c, createService(ctx, c.req.valid("json").service)) }, 201);
  });
  app.get("/services/:id", (c) => {
    requireAdminOrSystemReader(c.get("auth"));
    return c.json({ service: renderService(c, mustService(db, c.req.param("id"))) });
  });
  app.patch("/services/:id", body(ServiceUpdateSchema), (c) => {
    requireAdmin(c.get("auth"));
    return c.json({ service: renderService(c, updateService(ctx, c.req.param("id"), c.req.valid("json").service)) });
  });
  app.delete("/services/:id", (c) => {
    requireAdmin(c.get("auth"));
    deleteService(ctx, c.req.param("id"));
    return c.body(null, 204);
  });
  return app;
}
