/**
 * os-aggregates, read-only: the host aggregates that carry the availability
 * zones of the compute hosts (each zone but the default one is an aggregate
 * with `availability_zone` metadata, as in Nova). Writes answer 501.
 */
import { Hono } from "hono";
import { notFound, notImplemented } from "../../core/errors.ts";
import type { AppEnv } from "../../core/http.ts";
import { requireAdmin } from "../../core/policy.ts";
import type { ComputeCtx } from "../ctx.ts";
import { isoNaive } from "../views.ts";

export function aggregatesRoutes(ctx: ComputeCtx): Hono<AppEnv> {
  const r = new Hono<AppEnv>();
  const started = ctx.now();
  const list = () => {
    const zones = new Map<string, string[]>();
    for (const h of ctx.hosts.values()) if (h.zone !== "nova") (zones.get(h.zone) ?? zones.set(h.zone, []).get(h.zone)!).push(h.name);
    return [...zones].map(([zone, hosts], n) => ({
      id: n + 1,
      uuid: new Bun.CryptoHasher("md5").update(`aggregate-${zone}`).digest("hex").replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, "$1-$2-$3-$4-$5"),
      name: zone,
      availability_zone: zone,
      hosts,
      metadata: { availability_zone: zone },
      created_at: isoNaive(started),
      updated_at: null,
      deleted_at: null,
      deleted: false,
    }));
  };
  r.get("/os-aggregates", (c) => {
    requireAdmin(c.get("auth"));
    return c.json({ aggregates: list() });
  });
  r.get("/os-aggregates/:id", (c) => {
    requireAdmin(c.get("auth"));
    const a = list().find((x) => String(x.id) === c.req.param("id"));
    if (!a) throw notFound(`Aggregate ${c.req.param("id")} could not be found.`);
    return c.json({ aggregate: a });
  });
  const ro = () => {
    throw notImplemented("Host aggregates are derived from the compute hosts' availability zones and cannot be changed.");
  };
  r.post("/os-aggregates", ro);
  r.put("/os-aggregates/:id", ro);
  r.delete("/os-aggregates/:id", ro);
  r.post("/os-aggregates/:id/action", ro);
  return r;
}
