/** /snapshots: CRUD, list/detail, metadata and the admin actions. */
import { Hono } from "hono";
import { z } from "zod";
import { ApiError, badRequest, forbidden } from "../../core/errors.ts";
import { readJson, type AppEnv, type Ctx } from "../../core/http.ts";
import { mvAtLeast } from "../../core/microversion.ts";
import { body, parse } from "../../core/validate.ts";
import type { VolumeCtx } from "../ctx.ts";
import * as snap from "../logic/snapshots.ts";
import { findSnapshot } from "../logic/volumes.ts";
import { Boolish, DescriptionField, Metadata, NameField, parseBool } from "../schemas/common.ts";
import { MetaItemBody, MetadataBody } from "../schemas/volumes.ts";
import { jsonMap, type SnapshotRow } from "../store.ts";
import { snapshotView } from "../views.ts";
import { caller, page, parseMetaFilter, projectScope, queryOf } from "./util.ts";

const SnapshotCreateBody = z.object({
  snapshot: z.object({
    volume_id: z.string().nullish(),
    name: NameField,
    description: DescriptionField,
    display_name: NameField,
    display_description: DescriptionField,
    force: Boolish.optional(),
    metadata: Metadata.nullish(),
  }),
});
const SnapshotUpdateBody = z.object({
  snapshot: z.object({ name: NameField, description: DescriptionField, display_name: NameField, display_description: DescriptionField }),
});

function listSnapshots(ctx: VolumeCtx, c: Ctx) {
  const cl = caller(c);
  const q = queryOf(c);
  const project = projectScope(cl, q);
  let rows = project
    ? ctx.db.all<SnapshotRow>("SELECT * FROM volume_snapshots WHERE project_id = ?", project)
    : ctx.db.all<SnapshotRow>("SELECT * FROM volume_snapshots");
  const name = q.name ?? q.display_name;
  if (name !== undefined) rows = rows.filter((s) => s.name === name);
  if (q.status !== undefined) rows = rows.filter((s) => s.status === q.status);
  if (q.volume_id !== undefined) rows = rows.filter((s) => s.volume_id === q.volume_id);
  const meta = parseMetaFilter(q.metadata);
  if (meta) rows = rows.filter((s) => {
    const m = jsonMap(s.metadata);
    return Object.entries(meta).every(([k, x]) => m[k] === x);
  });
  return { rows, q };
}

export function snapshotRoutes(ctx: VolumeCtx) {
  const app = new Hono<AppEnv>();

  app.post("/snapshots", body(SnapshotCreateBody), (c) => {
    const cl = caller(c);
    const req = c.req.valid("json").snapshot;
    const inUseOk = mvAtLeast(c, "3.66");
    if (inUseOk && req.force === false) throw badRequest("Invalid input received: Since microversion 3.66 the 'force' flag is invalid for this request (false is not allowed).");
    if (!req.volume_id) throw new ApiError(404, "Volume could not be found: no volume_id given.");
    const s = snap.createSnapshot(
      ctx,
      cl,
      { ...req, volume_id: req.volume_id, name: req.name ?? req.display_name, description: req.description ?? req.display_description },
      inUseOk,
    );
    return c.json({ snapshot: snapshotView(c, s, false) }, 202);
  });

  for (const detail of [false, true]) {
    app.get(detail ? "/snapshots/detail" : "/snapshots", (c) => {
      const { rows, q } = listSnapshots(ctx, c);
      const p = page(c, rows, q, "snapshots");
      return c.json({
        snapshots: p.items.map((s) => snapshotView(c, s, detail)),
        ...(p.next ? { snapshots_links: p.next } : {}),
        ...(mvAtLeast(c, "3.45") && parseBool(q.with_count ?? "") ? { count: p.total } : {}),
      });
    });
  }

  app.get("/snapshots/:id", (c) => c.json({ snapshot: snapshotView(c, findSnapshot(ctx, caller(c), c.req.param("id")), true) }));

  app.put("/snapshots/:id", body(SnapshotUpdateBody), (c) => {
    const req = c.req.valid("json").snapshot;
    if (Object.values(req).every((x) => x === undefined)) throw badRequest("Invalid input received: Snapshot update needs a name or a description.");
    return c.json({ snapshot: snapshotView(c, snap.updateSnapshot(ctx, caller(c), c.req.param("id"), req), false) });
  });

  app.delete("/snapshots/:id", (c) => {
    snap.deleteSnapshot(ctx, caller(c), c.req.param("id"));
    return c.body(null, 202);
  });

  app.get("/snapshots/:id/metadata", (c) => c.json({ metadata: jsonMap(findSnapshot(ctx, caller(c), c.req.param("id")).metadata) }));
  app.post("/snapshots/:id/metadata", body(MetadataBody), (c) =>
    c.json({ metadata: snap.setSnapshotMetadata(ctx, caller(c), c.req.param("id"), c.req.valid("json").metadata, false) }),
  );
  app.put("/snapshots/:id/metadata", body(MetadataBody), (c) =>
    c.json({ metadata: snap.setSnapshotMetadata(ctx, caller(c), c.req.param("id"), c.req.valid("json").metadata, true) }),
  );
  app.get("/snapshots/:id/metadata/:key", (c) => {
    const s = findSnapshot(ctx, caller(c), c.req.param("id"));
    const key = c.req.param("key");
    const m = jsonMap(s.metadata);
    if (!(key in m)) throw new ApiError(404, `Snapshot ${s.id} has no metadata with key ${key}.`);
    return c.json({ meta: { [key]: m[key] } });
  });
  app.put("/snapshots/:id/metadata/:key", body(MetaItemBody), (c) => {
    const key = c.req.param("key");
    const meta = c.req.valid("json").meta;
    if (Object.keys(meta).length !== 1) throw badRequest("Request body contains too many items.");
    if (!(key in meta)) throw badRequest("Request body and URI mismatch");
    snap.setSnapshotMetadata(ctx, caller(c), c.req.param("id"), meta, false);
    return c.json({ meta });
  });
  app.delete("/snapshots/:id/metadata/:key", (c) => {
    snap.deleteSnapshotMetadataKey(ctx, caller(c), c.req.param("id"), c.req.param("key"));
    return c.body(null, 200);
  });

  app.post("/snapshots/:id/action", async (c) => {
    const cl = caller(c);
    const id = c.req.param("id");
    const raw = await readJson(c);
    if (!raw || typeof raw !== "object" || Array.isArray(raw) || Object.keys(raw).length !== 1)
      throw badRequest("Invalid input received: the action body must have exactly one action.");
    const [action, arg] = Object.entries(raw as Record<string, unknown>)[0]!;
    const argObj = (arg ?? {}) as Record<string, unknown>;
    switch (action) {
      case "os-reset_status": {
        if (!cl.isAdmin) throw forbidden("Policy doesn't allow volume_extension:snapshot_admin_actions:reset_status to be performed.");
        const a = parse(z.object({ status: z.string() }), argObj);
        snap.resetSnapshotStatus(ctx, cl, id, a.status);
        return c.body(null, 202);
      }
      case "os-force_delete":
        if (!cl.isAdmin) throw forbidden("Policy doesn't allow volume_extension:snapshot_admin_actions:force_delete to be performed.");
        snap.deleteSnapshot(ctx, cl, id, true);
        return c.body(null, 202);
      case "os-update_snapshot_status": {
        const a = parse(z.object({ status: z.string(), progress: z.string().optional() }), argObj);
        snap.updateSnapshotStatus(ctx, cl, id, a.status, a.progress);
        return c.body(null, 202);
      }
      case "os-unmanage":
        throw new ApiError(501, "Unmanaging snapshots is not implemented.");
      default:
        throw badRequest(`Invalid input received: There is no such action: ${action}`);
    }
  });

  return app;
}
