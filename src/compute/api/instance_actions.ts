/** /servers/{id}/os-instance-actions: what was done to a server, with its events. */
import { Hono } from "hono";
import { badRequest, notFound } from "../../core/errors.ts";
import type { AppEnv, Ctx } from "../../core/http.ts";
import { mvAtLeast } from "../../core/microversion.ts";
import type { ComputeCtx } from "../ctx.ts";
import type { ActionRow } from "../store.ts";
import { hostId, isoNaive } from "../views.ts";
import { caller } from "./common.ts";

export function instanceActionsRoutes(ctx: ComputeCtx): Hono<AppEnv> {
  const r = new Hono<AppEnv>();

  /** The instance, deleted ones included from 2.21. */
  const inst = (c: Ctx) => {
    const who = caller(c);
    const id = c.req.param("id")!;
    const i = ctx.instances.get(id, mvAtLeast(c, "2.21"));
    if (!i || (!who.isAdmin && i.projectId !== who.projectId)) throw notFound(`Instance ${id} could not be found.`);
    return i;
  };
  const view = (c: Ctx, a: ActionRow) => ({
    action: a.action,
    instance_uuid: a.instance_uuid,
    message: a.message,
    project_id: a.project_id,
    request_id: a.request_id,
    start_time: isoNaive(a.start_time),
    user_id: a.user_id,
    ...(mvAtLeast(c, "2.58") ? { updated_at: isoNaive(a.updated_at) } : {}),
  });

  r.get("/servers/:id/os-instance-actions", (c) => {
    const i = inst(c);
    let rows = ctx.actions.list(i.uuid);
    const q = new URL(c.req.url).searchParams;
    if (mvAtLeast(c, "2.58")) {
      const since = q.get("changes-since");
      if (since) rows = rows.filter((a) => a.updated_at >= Date.parse(since.endsWith("Z") ? since : since + "Z"));
      const before = mvAtLeast(c, "2.66") ? q.get("changes-before") : null;
      if (before) rows = rows.filter((a) => a.updated_at <= Date.parse(before.endsWith("Z") ? before : before + "Z"));
      const marker = q.get("marker");
      if (marker) {
        const idx = rows.findIndex((a) => a.request_id === marker);
        if (idx < 0) throw badRequest(`Marker ${marker} could not be found.`);
        rows = rows.slice(idx + 1);
      }
      const limit = q.get("limit");
      if (limit !== null) {
        if (!/^\d+$/.test(limit)) throw badRequest(`Invalid input for query parameters limit. Value: ${limit}.`);
        rows = rows.slice(0, Number(limit));
      }
    }
    return c.json({ instanceActions: rows.map((a) => view(c, a)) });
  });

  r.get("/servers/:id/os-instance-actions/:req", (c) => {
    const i = inst(c);
    const who = caller(c);
    const a = ctx.actions.byRequest(i.uuid, c.req.param("req"));
    if (!a) throw notFound(`Action for request_id ${c.req.param("req")} on instance ${i.uuid} not found`);
    const out: Record<string, unknown> = view(c, a);
    if (who.isAdmin || mvAtLeast(c, "2.51")) {
      out.events = ctx.actions.events(a.id).map((e) => ({
        event: e.event,
        start_time: isoNaive(e.start_time),
        finish_time: isoNaive(e.finish_time),
        result: e.result,
        ...(who.isAdmin ? { traceback: e.traceback } : {}),
        ...(mvAtLeast(c, "2.62") ? { hostId: hostId(i.projectId, e.host), ...(who.isAdmin ? { host: e.host ?? "" } : {}) } : {}),
        ...(mvAtLeast(c, "2.84") ? { details: e.details } : {}),
      }));
    }
    return c.json({ instanceAction: out });
  });

  return r;
}
