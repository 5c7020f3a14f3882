/** /backups: create, list/detail, show, update (3.9), delete, restore, and the admin actions. */
import { Hono } from "hono";
import { z } from "zod";
import { ApiError, badRequest, forbidden } from "../../core/errors.ts";
import { readJson, type AppEnv, type Ctx } from "../../core/http.ts";
import { mvAtLeast } from "../../core/microversion.ts";
import { body, parse } from "../../core/validate.ts";
import type { VolumeCtx } from "../ctx.ts";
import * as bk from "../logic/backups.ts";
import { Boolish, DescriptionField, Metadata, NameField, parseBool } from "../schemas/common.ts";
import { jsonMap } from "../store.ts";
import { links } from "../views.ts";
import { caller, page, projectScope, queryOf } from "./util.ts";

const CreateBody = z.object({
  backup: z.object({
    volume_id: z.string(),
    container: z.string().max(255).nullish(),
    name: NameField,
    description: DescriptionField,
    incremental: Boolish.optional(),
    force: Boolish.optional(),
    snapshot_id: z.string().nullish(),
    metadata: Metadata.nullish(),
    availability_zone: z.string().nullish(),
  }),
});
const UpdateBody = z.object({ backup: z.object({ name: NameField, description: DescriptionField, metadata: Metadata.nullish() }) });
const RestoreBody = z.object({ restore: z.object({ volume_id: z.string().nullish(), name: NameField }).nullish() });

function detailView(ctx: VolumeCtx, c: Ctx, b: bk.BackupRow) {
  const out: Record<string, unknown> = {
    id: b.id,
    name: b.name,
    description: b.description,
    status: b.status,
    size: b.size,
    volume_id: b.volume_id,
    snapshot_id: b.snapshot_id,
    availability_zone: b.availability_zone,
    container: b.container,
    object_count: b.status === "available" ? 1 : 0,
    is_incremental: !!b.is_incremental,
    has_dependent_backups: bk.hasDependents(ctx, b.id),
    fail_reason: b.fail_reason,
    data_timestamp: b.data_timestamp,
    created_at: b.created_at,
    updated_at: b.updated_at,
    links: links(c, `backups/${b.id}`),
  };
  if (mvAtLeast(c, "3.18")) out["os-backup-project-attr:project_id"] = b.project_id;
  if (mvAtLeast(c, "3.43")) out.metadata = jsonMap(b.metadata);
  if (mvAtLeast(c, "3.56")) out.user_id = b.user_id;
  if (mvAtLeast(c, "3.64")) out.encryption_key_id = null;
  return out;
}
const summaryView = (c: Ctx, b: bk.BackupRow) => ({
  id: b.id,
  name: b.name,
  links: links(c, `backups/${b.id}`),
  ...(mvAtLeast(c, "3.43") ? { metadata: jsonMap(b.metadata) } : {}),
});

export function backupRoutes(ctx: VolumeCtx) {
  const app = new Hono<AppEnv>();

  app.post("/backups", body(CreateBody), (c) => {
    const req = c.req.valid("json").backup;
    if (req.metadata && !mvAtLeast(c, "3.43")) delete req.metadata;
    const b = bk.createBackup(ctx, caller(c), req);
    return c.json({ backup: summaryView(c, b) }, 202);
  });

  for (const detail of [false, true]) {
    app.get(detail ? "/backups/detail" : "/backups", (c) => {
      const cl = caller(c);
      const q = queryOf(c);
      const project = projectScope(cl, q);
      let rows = project
        ? ctx.db.all<bk.BackupRow>("SELECT * FROM volume_backups WHERE project_id = ?", project)
        : ctx.db.all<bk.BackupRow>("SELECT * FROM volume_backups");
      if (q.name !== undefined) rows = rows.filter((b) => b.name === q.name);
      if (q.status !== undefined) rows = rows.filter((b) => b.status === q.status);
      if (q.volume_id !== undefined) rows = rows.filter((b) => b.volume_id === q.volume_id);
      const p = page(c, rows, q, "backups");
      return c.json({
        backups: p.items.map((b) => (detail ? detailView(ctx, c, b) : summaryView(c, b))),
        ...(p.next ? { backups_links: p.next } : {}),
        ...(mvAtLeast(c, "3.45") && parseBool(q.with_count ?? "") ? { count: p.total } : {}),
      });
    });
  }

  app.get("/backups/:id", (c) => c.json({ backup: detailView(ctx, c, bk.findBackup(ctx, caller(c), c.req.param("id"))) }));

  app.put("/backups/:id", body(UpdateBody), (c) => {
    if (!mvAtLeast(c, "3.9")) throw new ApiError(404, "The resource could not be found.");
    const req = c.req.valid("json").backup;
    if (req.metadata !== undefined && !mvAtLeast(c, "3.43")) delete req.metadata;
    return c.json({ backup: summaryView(c, bk.updateBackup(ctx, caller(c), c.req.param("id"), req)) });
  });

  app.delete("/backups/:id", (c) => {
    bk.deleteBackup(ctx, caller(c), c.req.param("id"));
    return c.body(null, 202);
  });

  app.post("/backups/:id/restore", body(RestoreBody), (c) => {
    const out = bk.restoreBackup(ctx, caller(c), c.req.param("id"), c.req.valid("json").restore ?? {});
    return c.json({ restore: out }, 202);
  });

  app.post("/backups/:id/action", async (c) => {
    const cl = caller(c);
    const raw = await readJson(c);
    if (!raw || typeof raw !== "object" || Array.isArray(raw) || Object.keys(raw).length !== 1)
      throw badRequest("Invalid input received: the action body must have exactly one action.");
    const [action, arg] = Object.entries(raw as Record<string, unknown>)[0]!;
    if (!cl.isAdmin) throw forbidden(`Policy doesn't allow backup:${action.replace(/^os-/, "")} to be performed.`);
    if (action === "os-reset_status") {
      bk.resetBackupStatus(ctx, cl, c.req.param("id"), parse(z.object({ status: z.string() }), arg ?? {}).status);
      return c.body(null, 202);
    }
    if (action === "os-force_delete") {
      bk.deleteBackup(ctx, cl, c.req.param("id"), true);
      return c.body(null, 202);
    }
    throw badRequest(`Invalid input received: There is no such action: ${action}`);
  });

  app.get("/backups/:id/export_record", (c) => {
    caller(c);
    throw new ApiError(501, "Exporting backup records is not implemented by this cloud.");
  });
  app.post("/backups/import_record", (c) => {
    caller(c);
    throw new ApiError(501, "Importing backup records is not implemented by this cloud.");
  });

  return app;
}
