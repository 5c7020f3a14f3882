/** Small server sub-resources: ips, os-server-password, and the admin os-server-external-events. */
import { Hono } from "hono";
import { z } from "zod";
import { notFound } from "../../core/errors.ts";
import type { AppEnv } from "../../core/http.ts";
import { requireAdmin } from "../../core/policy.ts";
import { parse } from "../../core/validate.ts";
import { isUnavailable, type ComputeCtx } from "../ctx.ts";
import { addressesFromPorts } from "../manager.ts";
import { instanceFor, jsonBody } from "./common.ts";

export function extrasRoutes(ctx: ComputeCtx): Hono<AppEnv> {
  const r = new Hono<AppEnv>();
  r.get("/servers/:id/ips", (c) => {
    const i = instanceFor(c, ctx, c.req.param("id"));
    const out: Record<string, { version: number; addr: string }[]> = {};
    for (const [net, l] of Object.entries(i.addresses)) out[net] = l.map((a) => ({ version: a.version, addr: a.addr }));
    return c.json({ addresses: out });
  });
  r.get("/servers/:id/ips/:net", (c) => {
    const i = instanceFor(c, ctx, c.req.param("id"));
    const l = i.addresses[c.req.param("net")];
    if (!l) throw notFound("Network not found");
    return c.json({ [c.req.param("net")]: l.map((a) => ({ version: a.version, addr: a.addr })) });
  });
  // os-server-external-events (admin; what Neutron and Cinder send Nova): accepted per known instance, 404 per unknown one.
  r.post("/os-server-external-events", async (c) => {
    requireAdmin(c.get("auth"));
    const b = parse(
      z.object({
        events: z
          .array(
            z.object({
              name: z.enum(["network-changed", "network-vif-plugged", "network-vif-unplugged", "network-vif-deleted", "volume-extended", "power-update", "accelerator-request-bound", "volume-reimaged"]),
              server_uuid: z.string(),
              status: z.enum(["failed", "completed", "in-progress"]).optional(),
              tag: z.string().max(255).optional(),
            }),
          )
          .min(1),
      }),
      await jsonBody(c),
    );
    const events = [];
    for (const e of b.events) {
      const known = !!ctx.instances.get(e.server_uuid);
      if (known && e.name === "network-changed") {
        // refresh the cached addresses from the instance's ports
        try {
          ctx.instances.setAddresses(e.server_uuid, addressesFromPorts(await ctx.deps.network.instancePorts(e.server_uuid)));
        } catch (err) {
          if (!isUnavailable(err)) ctx.deps.log.warn(`network-changed for ${e.server_uuid}: ${(err as Error).message}`);
        }
      }
      events.push({ ...e, status: known ? (e.status ?? "completed") : "failed", code: known ? 200 : 404 });
    }
    const ok = events.filter((e) => e.code === 200).length;
    if (!ok) throw notFound("No instances found for any event");
    return c.json({ events }, ok === events.length ? 200 : 207);
  });
  // os-server-password: the encrypted password a guest posts to the metadata service (none with the fake driver).
  r.get("/servers/:id/os-server-password", (c) => {
    instanceFor(c, ctx, c.req.param("id"));
    return c.json({ password: "" });
  });
  r.delete("/servers/:id/os-server-password", (c) => {
    instanceFor(c, ctx, c.req.param("id"));
    return c.body(null, 204);
  });
  return r;
}
