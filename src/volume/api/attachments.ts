/** /attachments (3.27+): how Nova attaches volumes; os-complete from 3.44. */
import { Hono } from "hono";
import { z } from "zod";
import { ApiError, badRequest } from "../../core/errors.ts";
import { readJson, type AppEnv, type Ctx } from "../../core/http.ts";
import { mvAtLeast } from "../../core/microversion.ts";
import { body } from "../../core/validate.ts";
import type { VolumeCtx } from "../ctx.ts";
import * as att from "../logic/attachments.ts";
import { getVolumeRow, type AttachmentRow } from "../store.ts";
import { attachmentApiView } from "../views.ts";
import { caller, page, projectScope, queryOf } from "./util.ts";

const CreateBody = z.object({
  attachment: z.object({
    volume_uuid: z.string(),
    instance_uuid: z.string().nullish(),
    connector: z.record(z.string(), z.unknown()).nullish(),
    mode: z.enum(["rw", "ro"]).optional(),
  }),
});
const UpdateBody = z.object({ attachment: z.object({ connector: z.record(z.string(), z.unknown()) }) });

export function attachmentRoutes(ctx: VolumeCtx) {
  const app = new Hono<AppEnv>();
  app.use("/attachments", mvGuard);
  app.use("/attachments/*", mvGuard);

  app.post("/attachments", body(CreateBody), (c) => {
    const cl = caller(c);
    const req = c.req.valid("json").attachment;
    if (req.mode && !mvAtLeast(c, "3.54")) throw badRequest("Invalid input received: mode needs microversion 3.54.");
    const row = att.createAttachment(ctx, cl, { volumeId: req.volume_uuid, instanceId: req.instance_uuid, connector: req.connector, mode: req.mode });
    let info: unknown;
    if (req.connector) info = att.connectionInfo(ctx, getVolumeRow(ctx.db, row.volume_id)!, row.attach_mode);
    return c.json({ attachment: attachmentApiView(ctx, row, true, info ?? null) });
  });

  for (const detail of [false, true]) {
    app.get(detail ? "/attachments/detail" : "/attachments", (c: Ctx) => {
      const cl = caller(c);
      const q = queryOf(c);
      const project = projectScope(cl, q);
      let rows = project
        ? ctx.db.all<AttachmentRow>("SELECT * FROM volume_attachments WHERE project_id = ? AND attach_status != 'detached'", project)
        : ctx.db.all<AttachmentRow>("SELECT * FROM volume_attachments WHERE attach_status != 'detached'");
      if (q.volume_id) rows = rows.filter((a) => a.volume_id === q.volume_id);
      if (q.instance_id) rows = rows.filter((a) => a.instance_id === q.instance_id);
      if (q.status) rows = rows.filter((a) => a.attach_status === q.status);
      const p = page(c, rows, q, "attachments");
      return c.json({ attachments: p.items.map((a) => attachmentApiView(ctx, a, detail)), ...(p.next ? { attachments_links: p.next } : {}) });
    });
  }

  app.get("/attachments/:id", (c) => c.json({ attachment: attachmentApiView(ctx, att.findAttachment(ctx, caller(c), c.req.param("id")), true) }));

  app.put("/attachments/:id", body(UpdateBody), (c) => {
    const { row, info } = att.updateAttachment(ctx, caller(c), c.req.param("id"), c.req.valid("json").attachment.connector);
    return c.json({ attachment: attachmentApiView(ctx, row, true, info) });
  });

  app.post("/attachments/:id/action", async (c) => {
    if (!mvAtLeast(c, "3.44")) throw new ApiError(404, "The resource could not be found.");
    const raw = (await readJson(c)) as Record<string, unknown>;
    if (!raw || typeof raw !== "object" || !("os-complete" in raw)) throw badRequest("Invalid input received: There is no such action.");
    att.completeAttachment(ctx, caller(c), c.req.param("id"));
    return c.body(null, 204);
  });

  app.delete("/attachments/:id", (c) => {
    const cl = caller(c);
    const a = att.findAttachment(ctx, cl, c.req.param("id"));
    att.deleteAttachment(ctx, cl, a.id);
    return c.json({ attachments: [] });
  });

  return app;
}

const mvGuard = async (c: Ctx, next: () => Promise<void>) => {
  if (!mvAtLeast(c, "3.27")) throw new ApiError(404, "The resource could not be found.");
  await next();
};
