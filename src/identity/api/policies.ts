import { Hono, type Context } from "hono";
import type { AppEnv } from "../../core/http.ts";
import { requireAdmin } from "../../core/policy.ts";
import { body } from "../../core/validate.ts";
import { collectionLinks, selfLink, type IdentityCtx } from "../ctx.ts";
import { extraOf } from "../model.ts";
import {
  createPolicy,
  deletePolicy,
  listPolicies,
  mustPolicy,
  updatePolicy,
  type PolicyRow,
} from "../logic/policies.ts";
import { PolicyCreateSchema, PolicyUpdateSchema } from "../schemas/policies.ts";
import { requireAdminOrSystemReader } from "./services.ts";

export function renderPolicy(c: Context, p: PolicyRow) {
  return { ...extraOf(p), id: p.id, type: p.type, blob: p.blob, links: selfLink(c, `policies/${p.id}`) };
}

/** /v3/policies: opaque policy blobs (admin only). */
export function policyRoutes(ctx: IdentityCtx) {
  const app = new Hono<AppEnv>();
  const { db } = ctx;

  app.get("/policies", (c) => {
    requireAdminOrSystemReader(c.get("auth"));
    const rows = listPolicies(db, { type: c.req.query("type") });
    return c.json({ policies: rows.map((p) => renderPolicy(c, p)), links: collectionLinks(c) });
  });
  app.post("/policies", body(PolicyCreateSchema), (c) => {
    requireAdmin(c.get("auth"));
    return c.json({ policy: renderPolicy(c, createPolicy(ctx, c.req.valid("json").policy)) }, 201);
  });
  app.get("/policies/:id", (c) => {
    requireAdminOrSystemReader(c.get("auth"));
    return c.json({ policy: renderPolicy(c, mustPolicy(db, c.req.param("id"))) });
  });
  app.patch("/policies/:id", body(PolicyUpdateSchema), (c) => {
    requireAdmin(c.get("auth"));
    return c.json({ policy: renderPolicy(c, updatePolicy(ctx, c.req.param("id"), c.req.valid("json").policy)) });
  });
  app.delete("/policies/:id", (c) => {
    requireAdmin(c.get("auth"));
    deletePolicy(ctx, c.req.param("id"));
    return c.body(null, 204);
  });
  return app;
}
