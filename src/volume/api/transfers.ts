/** os-volume-transfer (and volume-transfers from 3.55): offer a volume to another project. */
import { Hono } from "hono";
import { z } from "zod";
import { ApiError } from "../../core/errors.ts";
import type { AppEnv, Ctx } from "../../core/http.ts";
import { mvAtLeast } from "../../core/microversion.ts";
import { body } from "../../core/validate.ts";
import type { VolumeCtx } from "../ctx.ts";
import * as tr from "../logic/transfers.ts";
import { Boolish, NameField, parseBool } from "../schemas/common.ts";
import { links } from "../views.ts";
import { caller, queryOf } from "./util.ts";

const CreateBody = z.object({ transfer: z.object({ volume_id: z.string(), name: NameField, no_snapshots: Boolish.optional() }) });
const AcceptBody = z.object({ accept: z.object({ auth_key: z.string() }) });

function view(c: Ctx, base: string, t: tr.TransferRow, detail: boolean) {
  const out: Record<string, unknown> = { id: t.id, name: t.name, volume_id: t.volume_id, links: links(c, `${base}/${t.id}`) };
  if (!detail) return out;
  out.created_at = t.created_at;
  if (mvAtLeast(c, "3.55")) out.no_snapshots = !!t.no_snapshots;
  if (mvAtLeast(c, "3.57")) {
    out.destination_project_id = null;
    out.source_project_id = t.source_project_id;
    out.accepted = false;
  }
  return out;
}

export function transferRoutes(ctx: VolumeCtx) {
  const app = new Hono<AppEnv>();
  for (const base of ["os-volume-transfer", "volume-transfers"]) {
    const guard = (c: Ctx) => {
      if (base === "volume-transfers" && !mvAtLeast(c, "3.55")) throw new ApiError(404, "The resource could not be found.");
    };
    // Before the body is validated: below 3.55 the route does not exist.
    const mw = async (c: Ctx, next: () => Promise<void>) => {
      guard(c);
      await next();
    };
    app.use(`/${base}`, mw);
    app.use(`/${base}/*`, mw);
    app.post(`/${base}`, body(CreateBody), (c) => {
      guard(c);
      const req = c.req.valid("json").transfer;
      if (req.no_snapshots !== undefined && !mvAtLeast(c, "3.55")) delete req.no_snapshots;
      const { row, authKey } = tr.createTransfer(ctx, caller(c), req);
      return c.json({ transfer: { ...view(c, base, row, true), auth_key: authKey } }, 202);
    });
    for (const detail of [false, true]) {
      app.get(detail ? `/${base}/detail` : `/${base}`, (c) => {
        guard(c);
        const all = parseBool(queryOf(c).all_tenants ?? "") === true;
        return c.json({ transfers: tr.listTransfers(ctx, caller(c), all).map((t) => view(c, base, t, detail)) });
      });
    }
    app.get(`/${base}/:id`, (c) => {
      guard(c);
      return c.json({ transfer: view(c, base, tr.findTransfer(ctx, caller(c), c.req.param("id")), true) });
    });
    app.delete(`/${base}/:id`, (c) => {
      guard(c);
      tr.deleteTransfer(ctx, caller(c), c.req.param("id"));
      return c.body(null, 202);
    });
    app.post(`/${base}/:id/accept`, body(AcceptBody), (c) => {
      guard(c);
      const t = tr.acceptTransfer(ctx, caller(c), c.req.param("id"), c.req.valid("json").accept.auth_key);
      return c.json({ transfer: { id: t.id, name: t.name, volume_id: t.volume_id, links: links(c, `${base}/${t.id}`) } }, 202);
    });
  }
  return app;
}
