/** /v2/images: create, list, show, JSON-Patch update, delete, tags, deactivate/reactivate. */
import { Hono } from "hono";
import { ApiError } from "../../core/errors.ts";
import { readJson, type AppEnv, type Ctx } from "../../core/http.ts";
import { callerOf, STORE_ID, type ImageCtx } from "../ctx.ts";
import * as images from "../logic/images.ts";
import { IMPORT_METHODS } from "../logic/imports.ts";
import { imageView } from "../views.ts";

const PATCH_TYPES = ["application/openstack-images-v2.1-json-patch", "application/openstack-images-v2.0-json-patch"];

export const caller = (c: Ctx) => callerOf(c.get("auth"), c.get("requestId"));

/** Headers Glance adds to image create/show responses (openstacksdk reads the import methods from them). */
export function discoveryHeaders(c: Ctx): void {
  c.header("OpenStack-image-import-methods", IMPORT_METHODS.join(","));
  c.header("OpenStack-image-store-ids", STORE_ID);
}

export function imageRoutes(ctx: ImageCtx) {
  const app = new Hono<AppEnv>();

  app.get("/v2/images", (c) => {
    const q = new URL(c.req.url).searchParams;
    const r = images.listImages(ctx, caller(c), q);
    const fq = new URLSearchParams(q);
    fq.delete("marker");
    const first = `/v2/images${fq.size ? `?${fq.toString()}` : ""}`;
    return c.json({ images: r.images.map(imageView), first, schema: "/v2/schemas/images", ...(r.next ? { next: r.next } : {}) });
  });

  app.post("/v2/images", async (c) => {
    const img = images.createImage(ctx, caller(c), await readJson(c));
    discoveryHeaders(c);
    c.header("Location", `${new URL(c.req.url).origin}/v2/images/${img.id}`);
    return c.json(imageView(img), 201);
  });

  app.get("/v2/images/:id", (c) => c.json(imageView(images.showImage(ctx, caller(c), c.req.param("id")))));

  app.patch("/v2/images/:id", async (c) => {
    const ct = (c.req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
    if (!PATCH_TYPES.includes(ct)) {
      throw new ApiError(415, `Unsupported Content-Type '${ct}': use one of ${PATCH_TYPES.join(", ")}`, undefined, {
        "Accept-Patch": PATCH_TYPES.join(", "),
      });
    }
    const img = images.patchImage(ctx, caller(c), c.req.param("id"), await readJson(c));
    return c.json(imageView(img));
  });

  app.delete("/v2/images/:id", async (c) => {
    await images.deleteImage(ctx, caller(c), c.req.param("id"));
    return c.body(null, 204);
  });

  app.put("/v2/images/:id/tags/:tag", (c) => {
    images.addTag(ctx, caller(c), c.req.param("id"), c.req.param("tag"));
    return c.body(null, 204);
  });
  app.delete("/v2/images/:id/tags/:tag", (c) => {
    images.deleteTag(ctx, caller(c), c.req.param("id"), c.req.param("tag"));
    return c.body(null, 204);
  });

  app.post("/v2/images/:id/actions/deactivate", (c) => {
    images.deactivate(ctx, caller(c), c.req.param("id"));
    return c.body(null, 204);
  });
  app.post("/v2/images/:id/actions/reactivate", (c) => {
    images.reactivate(ctx, caller(c), c.req.param("id"));
    return c.body(null, 204);
  });
  return app;
}
