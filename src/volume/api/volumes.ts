/** /volumes: CRUD, list/detail with filters and paging, summary, metadata and the action endpoint. */
import { Hono } from "hono";
import { ApiError, badRequest, forbidden } from "../../core/errors.ts";
import { readJson, type AppEnv, type Ctx } from "../../core/http.ts";
import { mvAtLeast } from "../../core/microversion.ts";
import { body, parse } from "../../core/validate.ts";
import { z } from "zod";
import type { VolumeCtx } from "../ctx.ts";
import * as att from "../logic/attachments.ts";
import * as vol from "../logic/volumes.ts";
import { Boolish, Metadata, parseBool, PositiveInt } from "../schemas/common.ts";
import { MetaItemBody, MetadataBody, VolumeCreateBody, VolumeUpdateBody } from "../schemas/volumes.ts";
import { jsonMap, type TypeRow, type VolumeRow } from "../store.ts";
import { volumeSummary, volumeView } from "../views.ts";
import { caller, page, parseMetaFilter, projectScope, queryOf } from "./util.ts";

function listVolumes(ctx: VolumeCtx, c: Ctx): { rows: VolumeRow[]; q: Record<string, string> } {
  const cl = caller(c);
  const q = queryOf(c);
  const project = projectScope(cl, q);
  let rows = project
    ? ctx.db.all<VolumeRow>("SELECT * FROM volume_volumes WHERE project_id = ?", project)
    : ctx.db.all<VolumeRow>("SELECT * FROM volume_volumes");
  const name = q.name ?? q.display_name;
  if (name !== undefined) rows = rows.filter((v) => v.name === name);
  if (q["name~"] !== undefined) rows = rows.filter((v) => (v.name ?? "").includes(q["name~"]!));
  if (q.status !== undefined) rows = rows.filter((v) => v.status === q.status);
  if (q.availability_zone !== undefined) rows = rows.filter((v) => v.availability_zone === q.availability_zone);
  if (q.bootable !== undefined) {
    const b = parseBool(q.bootable);
    rows = rows.filter((v) => !!v.bootable === b);
  }
  if (q.size !== undefined) rows = rows.filter((v) => String(v.size) === q.size);
  if (q.migration_status !== undefined) rows = rows.filter((v) => v.migration_status === q.migration_status);
  const meta = parseMetaFilter(q.metadata);
  if (meta) rows = rows.filter((v) => {
    const m = jsonMap(v.metadata);
    return Object.entries(meta).every(([k, x]) => m[k] === x);
  });
  if (q.volume_type !== undefined && cl.isAdmin) {
    const t = ctx.db.get<{ id: string }>("SELECT id FROM volume_types WHERE id = ? OR name = ?", q.volume_type, q.volume_type);
    rows = rows.filter((v) => v.type_id === t?.id);
  }
  if (mvAtLeast(c, "3.60")) {
    for (const field of ["created_at", "updated_at"] as const) {
      const raw = q[field];
      if (!raw) continue;
      const m = /^(gt|gte|lt|lte|eq|neq):(.+)$/.exec(raw);
      if (!m) throw badRequest(`Invalid input received: Invalid filter ${field}=${raw}; use gt|gte|lt|lte|eq|neq:<time>.`);
      const t = Date.parse(m[2]!.endsWith("Z") || /[+-]\d\d:?\d\d$/.test(m[2]!) ? m[2]! : `${m[2]}Z`);
      if (Number.isNaN(t)) throw badRequest(`Invalid input received: Invalid time in ${field}=${raw}.`);
      const op = m[1]!;
      rows = rows.filter((v) => {
        const x = v[field] ? Date.parse(`${v[field]}Z`) : NaN;
        if (Number.isNaN(x)) return false;
        return op === "gt" ? x > t : op === "gte" ? x >= t : op === "lt" ? x < t : op === "lte" ? x <= t : op === "eq" ? x === t : x !== t;
      });
    }
  }
  return { rows, q };
}

export function volumeRoutes(ctx: VolumeCtx) {
  const app = new Hono<AppEnv>();

  app.post("/volumes", body(VolumeCreateBody), async (c) => {
    const cl = caller(c);
    const v = await vol.createVolume(ctx, cl, c.req.valid("json").volume);
    return c.json({ volume: volumeView(ctx, c, cl, v, { basic: true }) }, 202);
  });

  app.get("/volumes", (c) => {
    const { rows, q } = listVolumes(ctx, c);
    const p = page(c, rows, q, "volumes");
    return c.json({
      volumes: p.items.map((v) => volumeSummary(c, v)),
      ...(p.next ? { volumes_links: p.next } : {}),
      ...(mvAtLeast(c, "3.45") && parseBool(q.with_count ?? "") ? { count: p.total } : {}),
    });
  });

  app.get("/volumes/detail", (c) => {
    const cl = caller(c);
    const { rows, q } = listVolumes(ctx, c);
    const p = page(c, rows, q, "volumes");
    const typeCache = new Map<string, TypeRow | undefined>();
    return c.json({
      volumes: p.items.map((v) => volumeView(ctx, c, cl, v, { typeCache })),
      ...(p.next ? { volumes_links: p.next } : {}),
      ...(mvAtLeast(c, "3.45") && parseBool(q.with_count ?? "") ? { count: p.total } : {}),
    });
  });

  app.get("/volumes/summary", (c) => {
    if (!mvAtLeast(c, "3.12")) throw new ApiError(404, "The resource could not be found.");
    const { rows } = listVolumes(ctx, c);
    const summary: Record<string, unknown> = { total_size: rows.reduce((a, v) => a + v.size, 0), total_count: rows.length };
    if (mvAtLeast(c, "3.36")) {
      const meta: Record<string, string[]> = {};
      for (const v of rows)
        for (const [k, x] of Object.entries(jsonMap(v.metadata))) {
          const list = (meta[k] ??= []);
          if (!list.includes(x)) list.push(x);
        }
      summary.metadata = meta;
    }
    return c.json({ "volume-summary": summary });
  });

  app.get("/volumes/:id", (c) => {
    const cl = caller(c);
    return c.json({ volume: volumeView(ctx, c, cl, vol.findVolume(ctx, cl, c.req.param("id"))) });
  });

  app.put("/volumes/:id", body(VolumeUpdateBody), (c) => {
    const cl = caller(c);
    const req = c.req.valid("json").volume;
    if (Object.values(req).every((x) => x === undefined))
      throw badRequest("Invalid input received: Volume update needs at least one of name, description, metadata.");
    return c.json({ volume: volumeView(ctx, c, cl, vol.updateVolume(ctx, cl, c.req.param("id"), req), { basic: true }) });
  });

  app.delete("/volumes/:id", (c) => {
    const cl = caller(c);
    const q = queryOf(c);
    vol.deleteVolume(ctx, cl, c.req.param("id"), { cascade: parseBool(q.cascade ?? "") === true, force: mvAtLeast(c, "3.23") && parseBool(q.force ?? "") === true });
    return c.body(null, 202);
  });

  // ---- metadata ----
  app.get("/volumes/:id/metadata", (c) => {
    const v = vol.findVolume(ctx, caller(c), c.req.param("id"));
    return c.json({ metadata: jsonMap(v.metadata) });
  });
  app.post("/volumes/:id/metadata", body(MetadataBody), (c) =>
    c.json({ metadata: vol.setMetadata(ctx, caller(c), c.req.param("id"), c.req.valid("json").metadata, false) }),
  );
  app.put("/volumes/:id/metadata", body(MetadataBody), (c) =>
    c.json({ metadata: vol.setMetadata(ctx, caller(c), c.req.param("id"), c.req.valid("json").metadata, true) }),
  );
  app.get("/volumes/:id/metadata/:key", (c) => {
    const v = vol.findVolume(ctx, caller(c), c.req.param("id"));
    const key = c.req.param("key");
    const m = jsonMap(v.metadata);
    if (!(key in m)) throw new ApiError(404, `Volume ${v.id} has no metadata with key ${key}.`);
    return c.json({ meta: { [key]: m[key] } });
  });
  app.put("/volumes/:id/metadata/:key", body(MetaItemBody), (c) => {
    const key = c.req.param("key");
    const meta = c.req.valid("json").meta;
    if (Object.keys(meta).length !== 1) throw badRequest("Request body contains too many items.");
    if (!(key in meta)) throw badRequest("Request body and URI mismatch");
    vol.setMetadata(ctx, caller(c), c.req.param("id"), meta, false);
    return c.json({ meta });
  });
  app.delete("/volumes/:id/metadata/:key", (c) => {
    vol.deleteMetadataKey(ctx, caller(c), c.req.param("id"), c.req.param("key"));
    return c.body(null, 200);
  });

  // ---- actions ----
  app.post("/volumes/:id/action", async (c) => {
    const cl = caller(c);
    const id = c.req.param("id");
    const raw = await readJson(c);
    if (!raw || typeof raw !== "object" || Array.isArray(raw) || Object.keys(raw).length !== 1)
      throw badRequest("Invalid input received: the action body must have exactly one action.");
    const [action, arg] = Object.entries(raw as Record<string, unknown>)[0]!;
    const argObj = (arg ?? {}) as Record<string, unknown>;
    const needAdmin = () => {
      if (!cl.isAdmin) throw forbidden(`Policy doesn't allow volume_extension:volume_admin_actions:${action.replace(/^os-/, "")} to be performed.`);
    };
    switch (action) {
      case "os-extend": {
        const a = parse(z.object({ new_size: PositiveInt }), argObj);
        vol.extendVolume(ctx, cl, id, a.new_size, mvAtLeast(c, "3.42"));
        return c.body(null, 202);
      }
      case "os-set_bootable": {
        const a = parse(z.object({ bootable: Boolish }), argObj);
        vol.setBootable(ctx, cl, id, a.bootable);
        return c.body(null, 200);
      }
      case "os-update_readonly_flag": {
        const a = parse(z.object({ readonly: Boolish }), argObj);
        vol.setReadonly(ctx, cl, id, a.readonly);
        return c.body(null, 202);
      }
      case "os-reset_status": {
        needAdmin();
        const a = parse(z.object({ status: z.string().optional(), attach_status: z.string().optional(), migration_status: z.string().optional() }), argObj);
        vol.resetStatus(ctx, cl, id, a);
        return c.body(null, 202);
      }
      case "os-force_delete": {
        needAdmin();
        vol.deleteVolume(ctx, cl, id, { force: true });
        return c.body(null, 202);
      }
      case "os-retype": {
        const a = parse(z.object({ new_type: z.string(), migration_policy: z.enum(["never", "on-demand"]).optional() }), argObj);
        vol.retype(ctx, cl, id, a.new_type);
        return c.body(null, 202);
      }
      case "revert": {
        if (!mvAtLeast(c, "3.40")) throw badRequest("Invalid input received: revert needs microversion 3.40 or later.");
        const a = parse(z.object({ snapshot_id: z.string() }), argObj);
        vol.revertToSnapshot(ctx, cl, id, a.snapshot_id);
        return c.body(null, 202);
      }
      case "os-set_image_metadata": {
        const a = parse(z.object({ metadata: Metadata }), argObj);
        return c.json({ metadata: vol.setImageMetadata(ctx, cl, id, a.metadata) });
      }
      case "os-unset_image_metadata": {
        const a = parse(z.object({ key: z.string() }), argObj);
        vol.unsetImageMetadata(ctx, cl, id, a.key);
        return c.body(null, 200);
      }
      case "os-show_image_metadata": {
        const v = vol.findVolume(ctx, cl, id);
        return c.json({ metadata: jsonMap(v.image_metadata) });
      }
      case "os-reserve":
        att.reserve(ctx, cl, id);
        return c.body(null, 202);
      case "os-unreserve":
        att.unreserve(ctx, cl, id);
        return c.body(null, 202);
      case "os-begin_detaching":
        att.beginDetaching(ctx, cl, id);
        return c.body(null, 202);
      case "os-roll_detaching":
        att.rollDetaching(ctx, cl, id);
        return c.body(null, 202);
      case "os-attach": {
        const a = parse(
          z.object({ instance_uuid: z.string().nullish(), host_name: z.string().nullish(), mountpoint: z.string(), mode: z.string().optional() }),
          argObj,
        );
        att.legacyAttach(ctx, cl, id, a);
        return c.body(null, 202);
      }
      case "os-detach": {
        const a = parse(z.object({ attachment_id: z.string().nullish() }), argObj);
        att.legacyDetach(ctx, cl, id, a.attachment_id);
        return c.body(null, 202);
      }
      case "os-force_detach": {
        needAdmin();
        const a = parse(z.object({ attachment_id: z.string().nullish(), connector: z.unknown().optional() }), argObj);
        att.legacyDetach(ctx, cl, id, a.attachment_id);
        return c.body(null, 202);
      }
      case "os-initialize_connection": {
        const v = vol.findVolume(ctx, cl, id);
        return c.json({ connection_info: att.connectionInfo(ctx, v, "rw") });
      }
      case "os-terminate_connection":
        vol.findVolume(ctx, cl, id);
        return c.body(null, 202);
      case "os-volume_upload_image": {
        const a = parse(
          z.object({
            image_name: z.string().min(1).max(255),
            force: Boolish.optional(),
            disk_format: z.string().optional(),
            container_format: z.string().optional(),
            visibility: z.enum(["public", "private", "shared", "community"]).optional(),
            protected: Boolish.optional(),
          }),
          argObj,
        );
        if (a.visibility && a.visibility !== "private" && !mvAtLeast(c, "3.1")) throw badRequest("Invalid input received: visibility needs microversion 3.1.");
        const out = await vol.uploadToImage(ctx, cl, id, a);
        return c.json({ "os-volume_upload_image": out }, 202);
      }
      case "os-migrate_volume":
      case "os-migrate_volume_completion":
        needAdmin();
        throw new ApiError(400, "Invalid volume: this cloud has a single backend; there is nowhere to migrate to.");
      case "os-reimage": {
        if (!mvAtLeast(c, "3.68")) throw badRequest("Invalid input received: os-reimage needs microversion 3.68 or later.");
        const a = parse(z.object({ image_id: z.string(), reimage_reserved: Boolish.optional() }), argObj);
        await vol.reimage(ctx, cl, id, a.image_id, !!a.reimage_reserved);
        return c.body(null, 202);
      }
      default:
        throw badRequest(`Invalid input received: There is no such action: ${action}`);
    }
  });

  return app;
}
