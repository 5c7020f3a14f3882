/**
 * The images proxy of the 2.1 API (/images/{id}, removed at 2.36): Glance
 * images as Nova showed them. Listing is not proxied (the image client has
 * no listing); clients list images from Glance.
 */
import { Hono } from "hono";
import { portOf } from "../../core/config.ts";
import { notFound } from "../../core/errors.ts";
import type { AppEnv, Ctx } from "../../core/http.ts";
import { mvAtLeast } from "../../core/microversion.ts";
import type { ImageRef } from "../../image/client.ts";
import { isUnavailable, type ComputeCtx } from "../ctx.ts";
import { caller, origin } from "./common.ts";

const STATUS: Record<string, string> = {
  active: "ACTIVE",
  queued: "SAVING",
  saving: "SAVING",
  uploading: "SAVING",
  importing: "SAVING",
  killed: "ERROR",
  deleted: "DELETED",
  pending_delete: "DELETED",
};

export function imagesRoutes(ctx: ComputeCtx): Hono<AppEnv> {
  const r = new Hono<AppEnv>();
  const { deps } = ctx;

  async function find(c: Ctx): Promise<ImageRef> {
    if (mvAtLeast(c, "2.36")) throw notFound("The resource could not be found.");
    const who = caller(c);
    const id = c.req.param("id")!;
    let img;
    try {
      img = await deps.image.getImage({ projectId: who.projectId, isAdmin: who.isAdmin }, id);
    } catch (e) {
      if (!isUnavailable(e)) throw e;
    }
    if (!img) throw notFound("Image not found.");
    return img;
  }

  r.get("/images/:id", async (c) => {
    const img = await find(c);
    const o = origin(c);
    const who = caller(c);
    const status = STATUS[img.status] ?? "UNKNOWN";
    const instanceUuid = img.properties.instance_uuid;
    const body: Record<string, unknown> = {
      id: img.id,
      name: img.name,
      status,
      progress: status === "ACTIVE" ? 100 : status === "SAVING" ? 25 : 0,
      minDisk: img.minDisk,
      minRam: img.minRam,
      created: img.createdAt,
      updated: img.updatedAt,
      metadata: img.properties,
      "OS-EXT-IMG-SIZE:size": img.size,
      links: [
        { rel: "self", href: `${o}/v2.1/${who.projectId}/images/${img.id}` },
        { rel: "bookmark", href: `${o}/${who.projectId}/images/${img.id}` },
        { rel: "alternate", type: "application/vnd.openstack.image", href: `${o.replace(/:\d+$/, "")}:${portOf(deps.cfg, "image")}/images/${img.id}` },
      ],
    };
    if (instanceUuid) {
      body.server = {
        id: instanceUuid,
        links: [
          { rel: "self", href: `${o}/v2.1/${who.projectId}/servers/${instanceUuid}` },
          { rel: "bookmark", href: `${o}/${who.projectId}/servers/${instanceUuid}` },
        ],
      };
    }
    return c.json({ image: body });
  });

  r.delete("/images/:id", async (c) => {
    const img = await find(c);
    const who = caller(c);
    await deps.image.deleteImage({ projectId: who.projectId, isAdmin: who.isAdmin }, img.id);
    return c.body(null, 204);
  });

  return r;
}
