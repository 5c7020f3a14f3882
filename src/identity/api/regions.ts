import { Hono, type Context } from "hono";
import type { AppEnv } from "../../core/http.ts";
import { requireAdmin } from "../../core/policy.ts";
import { body, query } from "../../core/validate.ts";
import { collectionLinks, selfLink, type IdentityCtx } from "../ctx.ts";
import { extraOf } from "../model.ts";
import {
  createRegion,
  deleteRegion,
  listRegions,
  mustRegion,
  updateRegion,
  type RegionRow,
} from "../logic/regions.ts";
import { RegionCreateSchema, RegionListQuery, RegionUpdateSchema } from "../schemas/regions.ts";

export function renderRegion(c: Context, r: RegionRow) {
  return {
    ...extraOf(r),
    id: r.id,
    description: r.description,
    parent_region_id: r.parent_region_id,
    links: selfLink(c, `regions/${encodeURIComponent(r.id)}`),
  };
}

/** /v3/regions: anyone may read (Keystone's default), admins write. */
export function regionRoutes(ctx: IdentityCtx) {
  const app = new Hono<AppEnv>();
  const { db } = ctx;

  app.get("/regions", query(RegionListQuery), (c) => {
    const rows = listRegions(db, c.req.valid("query"));
    return c.json({ regions: rows.map((r) => renderRegion(c, r)), links: collectionLinks(c) });
  });
  app.post("/regions", body(RegionCreateSchema), (c) => {
    requireAdmin(c.get("auth"));
    return c.json({ region: renderRegion(c, createRegion(ctx, c.req.valid("json").region)) }, 201);
  });
  app.get("/regions/:id", (c) => c.json({ region: renderRegion(c, mustRegion(db, c.req.param("id"))) }));
  app.put("/regions/:id", body(RegionCreateSchema), (c) => {
    requireAdmin(c.get("auth"));
    return c.json({ region: renderRegion(c, createRegion(ctx, c.req.valid("json").region, c.req.param("id"))) }, 201);
  });
  app.patch("/regions/:id", body(RegionUpdateSchema), (c) => {
    requireAdmin(c.get("auth"));
    return c.json({ region: renderRegion(c, updateRegion(ctx, c.req.param("id"), c.req.valid("json").region)) });
  });
  app.delete("/regions/:id", (c) => {
    requireAdmin(c.get("auth"));
    deleteRegion(ctx, c.req.param("id"));
    return c.body(null, 204);
  });
  return app;
}
