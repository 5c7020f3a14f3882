/** /servers/{id}/metadata and /servers/{id}/tags. */
import { Hono } from "hono";
import { ApiError, badRequest, conflict, notFound } from "../../core/errors.ts";
import type { AppEnv, Ctx } from "../../core/http.ts";
import { mvAtLeast } from "../../core/microversion.ts";
import { parse } from "../../core/validate.ts";
import { z } from "zod";
import type { ComputeCtx } from "../ctx.ts";
import { metadataMap, tagSchema } from "../schemas/servers.ts";
import { VmState } from "../states.ts";
import type { Instance } from "../store.ts";
import { checkLocked, instanceFor, jsonBody, origin } from "./common.ts";

const META_STATES = [VmState.ACTIVE, VmState.PAUSED, VmState.SUSPENDED, VmState.STOPPED, VmState.BUILDING, VmState.SHELVED, VmState.SHELVED_OFFLOADED, VmState.RESIZED, VmState.RESCUED];
const MAX_TAGS = 50;

export function metadataRoutes(ctx: ComputeCtx): Hono<AppEnv> {
  const r = new Hono<AppEnv>();

  const writable = (c: Ctx, action: string): Instance => {
    const i = instanceFor(c, ctx, c.req.param("id")!);
    checkLocked(c, i);
    if (!META_STATES.includes(i.vmState as any)) {
      throw conflict(`Cannot '${action}' instance ${i.uuid} while it is in vm_state ${i.vmState}`);
    }
    return i;
  };
  const checkQuota = (i: Instance, meta: Record<string, string>) => {
    const limit = ctx.resources.quotas.limits(i.projectId).metadata_items;
    if (limit >= 0 && Object.keys(meta).length > limit) throw new ApiError(403, `Maximum number of metadata items exceeds ${limit}`);
  };
  const save = (i: Instance, meta: Record<string, string>) => ctx.instances.update(i.uuid, { metadata: meta });

  r.get("/servers/:id/metadata", (c) => c.json({ metadata: instanceFor(c, ctx, c.req.param("id")).metadata }));

  r.get("/servers/:id/metadata/:key", (c) => {
    const i = instanceFor(c, ctx, c.req.param("id"));
    const k = c.req.param("key");
    if (!(k in i.metadata)) throw notFound("Metadata item was not found");
    return c.json({ meta: { [k]: i.metadata[k] } });
  });

  r.put("/servers/:id/metadata", async (c) => {
    const i = writable(c, "update_all_metadata");
    const b = parse(z.object({ metadata: metadataMap }), await jsonBody(c));
    checkQuota(i, b.metadata);
    save(i, b.metadata);
    return c.json({ metadata: b.metadata });
  });

  r.post("/servers/:id/metadata", async (c) => {
    const i = writable(c, "update_metadata");
    const b = parse(z.object({ metadata: metadataMap }), await jsonBody(c));
    const meta = { ...i.metadata, ...b.metadata };
    checkQuota(i, meta);
    save(i, meta);
    return c.json({ metadata: meta });
  });

  r.put("/servers/:id/metadata/:key", async (c) => {
    const i = writable(c, "update_metadata");
    const raw = await jsonBody(c);
    const b = parse(z.object({ meta: metadataMap }), raw);
    const key = c.req.param("key");
    const keys = Object.keys(b.meta);
    if (keys.length > 1) throw badRequest("Request body contains too many items");
    if (keys[0] !== key) throw badRequest("Request body and URI mismatch");
    const meta = { ...i.metadata, [key]: b.meta[key]! };
    checkQuota(i, meta);
    save(i, meta);
    return c.json({ meta: { [key]: b.meta[key] } });
  });

  r.delete("/servers/:id/metadata/:key", (c) => {
    const i = writable(c, "delete_metadata");
    const key = c.req.param("key");
    if (!(key in i.metadata)) throw notFound("Metadata item was not found");
    const meta = { ...i.metadata };
    delete meta[key];
    save(i, meta);
    return c.body(null, 204);
  });

  /* ------------------------------------------------------------------ tags (2.26) */
  const tagged = (c: Ctx, write: boolean): Instance => {
    if (!mvAtLeast(c, "2.26")) throw notFound("The resource could not be found.");
    const i = instanceFor(c, ctx, c.req.param("id")!);
    if (write) checkLocked(c, i);
    return i;
  };
  const validTag = (t: string) => {
    const ok = tagSchema.safeParse(t);
    if (!ok.success) throw badRequest(`Tag '${t}' is invalid: ${ok.error.issues[0]?.message}`);
  };

  r.get("/servers/:id/tags", (c) => c.json({ tags: tagged(c, false).tags }));
  r.put("/servers/:id/tags", async (c) => {
    const i = tagged(c, true);
    const b = parse(z.object({ tags: z.array(tagSchema) }), await jsonBody(c));
    const tags = [...new Set(b.tags)];
    if (tags.length > MAX_TAGS) throw badRequest(`The number of tags exceeded the per-server limit ${MAX_TAGS}`);
    ctx.instances.update(i.uuid, { tags });
    return c.json({ tags });
  });
  r.delete("/servers/:id/tags", (c) => {
    const i = tagged(c, true);
    ctx.instances.update(i.uuid, { tags: [] });
    return c.body(null, 204);
  });
  r.get("/servers/:id/tags/:tag", (c) => {
    const i = tagged(c, false);
    const t = decodeURIComponent(c.req.param("tag"));
    if (!i.tags.includes(t)) throw notFound(`Tag ${t} could not be found.`);
    return c.body(null, 204);
  });
  r.put("/servers/:id/tags/:tag", (c) => {
    const i = tagged(c, true);
    const t = decodeURIComponent(c.req.param("tag"));
    validTag(t);
    const loc = `${origin(c)}/v2.1/servers/${i.uuid}/tags/${encodeURIComponent(t)}`;
    c.header("Location", loc);
    if (i.tags.includes(t)) return c.body(null, 204);
    if (i.tags.length >= MAX_TAGS) throw badRequest(`The number of tags exceeded the per-server limit ${MAX_TAGS}`);
    ctx.instances.update(i.uuid, { tags: [...i.tags, t] });
    return c.body(null, 201);
  });
  r.delete("/servers/:id/tags/:tag", (c) => {
    const i = tagged(c, true);
    const t = decodeURIComponent(c.req.param("tag"));
    if (!i.tags.includes(t)) throw notFound(`Tag ${t} could not be found.`);
    ctx.instances.update(i.uuid, { tags: i.tags.filter((x) => x !== t) });
    return c.body(null, 204);
  });

  return r;
}
