/** os-services and os-availability-zone: the compute services and the zones their hosts form. */
import { Hono } from "hono";
import { z } from "zod";
import { badRequest, notFound } from "../../core/errors.ts";
import type { AppEnv, Ctx } from "../../core/http.ts";
import { mvAtLeast } from "../../core/microversion.ts";
import { requireAdmin } from "../../core/policy.ts";
import { parse } from "../../core/validate.ts";
import type { ComputeCtx } from "../ctx.ts";
import { listServices, type ServiceInfo } from "../services.ts";
import { isoNaive } from "../views.ts";
import { jsonBody, UUID_RE } from "./common.ts";

export function servicesRoutes(ctx: ComputeCtx): Hono<AppEnv> {
  const r = new Hono<AppEnv>();
  const { db } = ctx.deps;
  const services = () => listServices(db, ctx.now());

  const view = (c: Ctx, s: ServiceInfo) => ({
    id: mvAtLeast(c, "2.53") ? s.uuid : s.id,
    binary: s.binary,
    host: s.host,
    zone: s.zone,
    status: s.disabled ? "disabled" : "enabled",
    state: s.up ? "up" : "down",
    updated_at: isoNaive(s.lastSeenUp ?? s.updatedAt),
    disabled_reason: s.disabledReason,
    ...(mvAtLeast(c, "2.11") ? { forced_down: s.forcedDown } : {}),
  });

  r.get("/os-services", (c) => {
    requireAdmin(c.get("auth"));
    const host = c.req.query("host");
    const binary = c.req.query("binary");
    const list = services().filter((s) => (!host || s.host === host) && (!binary || s.binary === binary));
    return c.json({ services: list.map((s) => view(c, s)) });
  });

  const find = (host: unknown, binary: unknown) => {
    if (typeof host !== "string" || typeof binary !== "string") throw badRequest("Invalid input: host and binary are required.");
    const s = services().find((x) => x.host === host && x.binary === binary);
    if (!s) throw notFound(`Service ${binary} on host ${host} could not be found.`);
    return s;
  };
  const setRow = (id: number, fields: { disabled?: boolean; reason?: string | null; forcedDown?: boolean }) => {
    if (fields.disabled !== undefined) db.run("UPDATE compute_services SET disabled = ?, disabled_reason = ?, updated_at = ? WHERE id = ?", fields.disabled ? 1 : 0, fields.reason ?? null, ctx.now(), id);
    if (fields.forcedDown !== undefined) db.run("UPDATE compute_services SET forced_down = ?, updated_at = ? WHERE id = ?", fields.forcedDown ? 1 : 0, ctx.now(), id);
  };

  r.put("/os-services/:action", async (c) => {
    requireAdmin(c.get("auth"));
    const action = c.req.param("action");
    const body = await jsonBody(c);
    if (mvAtLeast(c, "2.53")) {
      // PUT /os-services/{service_id}
      if (!UUID_RE.test(action)) throw badRequest(`Invalid uuid ${action}`);
      const s = services().find((x) => x.uuid === action);
      if (!s) throw notFound(`Service ${action} could not be found.`);
      const b = parse(
        z.object({ status: z.enum(["enabled", "disabled"]).optional(), disabled_reason: z.string().min(1).max(255).optional(), forced_down: z.boolean().optional() }).strict(),
        body,
      );
      if (b.disabled_reason !== undefined && b.status !== "disabled") throw badRequest("Specifying 'disabled_reason' with status other than 'disabled' is invalid.");
      if (b.status === undefined && b.forced_down === undefined) throw badRequest("At least one of 'status' or 'forced_down' must be specified in the request body.");
      if (b.status !== undefined) setRow(s.id, { disabled: b.status === "disabled", reason: b.disabled_reason ?? null });
      if (b.forced_down !== undefined) setRow(s.id, { forcedDown: b.forced_down });
      const after = services().find((x) => x.id === s.id)!;
      return c.json({ service: view(c, after) });
    }
    switch (action) {
      case "enable": {
        const s = find(body.host, body.binary);
        setRow(s.id, { disabled: false });
        return c.json({ service: { host: s.host, binary: s.binary, status: "enabled" } });
      }
      case "disable": {
        const s = find(body.host, body.binary);
        setRow(s.id, { disabled: true });
        return c.json({ service: { host: s.host, binary: s.binary, status: "disabled" } });
      }
      case "disable-log-reason": {
        const s = find(body.host, body.binary);
        const reason = body.disabled_reason;
        if (typeof reason !== "string" || !reason.trim() || reason.length > 255) throw badRequest("The string containing the reason for disabling the service contains invalid characters or is too long.");
        setRow(s.id, { disabled: true, reason });
        return c.json({ service: { host: s.host, binary: s.binary, status: "disabled", disabled_reason: reason } });
      }
      case "force-down": {
        if (!mvAtLeast(c, "2.11")) throw notFound("The resource could not be found.");
        const s = find(body.host, body.binary);
        if (typeof body.forced_down !== "boolean") throw badRequest("Invalid input for field/attribute forced_down.");
        setRow(s.id, { forcedDown: body.forced_down });
        return c.json({ service: { host: s.host, binary: s.binary, forced_down: body.forced_down } });
      }
      default:
        throw notFound("Unknown action");
    }
  });

  r.delete("/os-services/:id", (c) => {
    requireAdmin(c.get("auth"));
    const id = c.req.param("id");
    const s = services().find((x) => (mvAtLeast(c, "2.53") ? x.uuid === id : String(x.id) === id));
    if (!s) throw (mvAtLeast(c, "2.53") && !UUID_RE.test(id) ? badRequest(`Invalid uuid ${id}`) : notFound(`Service ${id} could not be found.`));
    if (s.binary === "nova-compute" && ctx.instances.onHost(s.host).length) {
      throw badRequest(`Unable to delete compute service that is hosting instances. Migrate or delete the instances first.`);
    }
    db.run("DELETE FROM compute_services WHERE id = ?", s.id);
    return c.body(null, 204);
  });

  /* ------------------------------------------------------------- availability zones */
  r.get("/os-availability-zone", (c) => {
    const zones = new Map<string, boolean>();
    for (const s of services()) {
      if (s.binary !== "nova-compute" || s.disabled) continue;
      zones.set(s.zone, (zones.get(s.zone) ?? false) || s.up);
    }
    return c.json({
      availabilityZoneInfo: [...zones].map(([zoneName, available]) => ({ zoneName, zoneState: { available }, hosts: null })),
    });
  });

  r.get("/os-availability-zone/detail", (c) => {
    requireAdmin(c.get("auth"));
    const zones = new Map<string, { available: boolean; hosts: Record<string, Record<string, unknown>> }>();
    for (const s of services()) {
      const zone = s.binary === "nova-compute" ? s.zone : "internal";
      if (s.binary === "nova-compute" && s.disabled) continue;
      let z = zones.get(zone);
      if (!z) zones.set(zone, (z = { available: false, hosts: {} }));
      z.available ||= s.up;
      (z.hosts[s.host] ??= {})[s.binary] = { available: s.up, active: !s.disabled, updated_at: isoNaive(s.lastSeenUp ?? s.updatedAt) };
    }
    return c.json({
      availabilityZoneInfo: [...zones].map(([zoneName, z]) => ({ zoneName, zoneState: { available: z.available }, hosts: z.hosts })),
    });
  });

  return r;
}
