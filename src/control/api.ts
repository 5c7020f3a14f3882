/**
 * The state control API on the identity port, under /tenrec/v1/ (admin token
 * required): the virtual clock, fault rules, and (through the cloud handle)
 * reset and snapshots. Errors in Keystone's dialect, since it shares the port.
 */
import { z } from "zod";
import type { Clock } from "../core/clock.ts";
import { isoMicro } from "../core/clock.ts";
import { ApiError, forbidden, notFound, unauthorized } from "../core/errors.ts";
import { keystoneDialect } from "../core/faults.ts";
import { createApp } from "../core/http.ts";
import type { Logger } from "../core/log.ts";
import { parse } from "../core/validate.ts";
import type { IdentityClient } from "../identity/client.ts";
import { RuleSchema, type FaultInjector } from "./faults.ts";

/** What the control API needs of the cloud for reset and snapshots. */
export interface StateControl {
  reset(): Promise<{ ms: number }>;
  save(name: string): Promise<{ name: string; bytes: number; ms: number }>;
  list(): Promise<{ name: string; created_at: string; bytes: number }[]>;
  load(name: string): Promise<{ ms: number }>;
  remove(name: string): Promise<boolean>;
}

export interface ControlDeps {
  identity: IdentityClient;
  clock: Clock;
  faults: FaultInjector;
  log: Logger;
  accessLog: boolean;
  state?: StateControl;
}

/** "2h", "90m", "30s", "1d" or a number of seconds. */
export function parseDuration(v: string | number): number {
  if (typeof v === "number") return v;
  const m = /^(-?\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/.exec(v.trim());
  if (!m) throw new ApiError(400, `Invalid duration '${v}': use seconds or a number with ms, s, m, h or d.`);
  const n = Number(m[1]);
  const unit = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 }[(m[2] ?? "s") as "s"];
  return n * unit;
}

const ClockBody = z
  .object({ advance: z.union([z.number(), z.string()]).optional(), reset: z.boolean().optional() })
  .strict();
const NameSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, "use letters, digits, '.', '_' and '-'");

export function controlApp(deps: ControlDeps) {
  const app = createApp({ service: "control", dialect: keystoneDialect, log: deps.log, accessLog: deps.accessLog });
  app.use("/tenrec/v1/*", async (c, next) => {
    const token = c.req.header("x-auth-token");
    if (!token) throw unauthorized();
    const auth = deps.identity.validate(token);
    if (!auth) throw unauthorized("The request you have made requires authentication.");
    if (!auth.roles.includes("admin")) throw forbidden("The state control API requires the admin role.");
    await next();
  });
  const clockView = () => ({
    clock: { now: isoMicro(deps.clock.now()), offset_seconds: deps.clock.offset / 1000 },
  });
  app.get("/tenrec/v1", (c) =>
    c.json({ tenrec: { version: 1, resources: ["clock", "faults", "reset", "snapshots"] } }),
  );
  app.get("/tenrec/v1/clock", (c) => c.json(clockView()));
  app.post("/tenrec/v1/clock", async (c) => {
    const b = parse(ClockBody, await c.req.json().catch(() => {
      throw new ApiError(400, "The body must be JSON: {\"advance\": \"2h\"} or {\"reset\": true}.");
    }));
    if (b.reset) deps.clock.advance(-deps.clock.offset);
    if (b.advance !== undefined) {
      const secs = parseDuration(b.advance);
      deps.clock.advance(secs * 1000);
      deps.log.info(`virtual clock advanced by ${secs} s (offset now ${deps.clock.offset / 1000} s)`);
    }
    return c.json(clockView());
  });

  app.get("/tenrec/v1/faults", (c) => c.json({ faults: deps.faults.list() }));
  app.post("/tenrec/v1/faults", async (c) => {
    const raw = await c.req.json().catch(() => {
      throw new ApiError(400, "The body must be a JSON fault rule, or {\"faults\": [rules]}.");
    });
    const inputs = Array.isArray((raw as { faults?: unknown }).faults) ? (raw as { faults: unknown[] }).faults : [raw];
    const parsed = inputs.map((r) => parse(RuleSchema, r));
    const rules = parsed.map((r) => deps.faults.add(r));
    return c.json(rules.length === 1 && !(raw as { faults?: unknown }).faults ? { fault: rules[0] } : { faults: rules }, 201);
  });
  app.delete("/tenrec/v1/faults", (c) => {
    deps.faults.clear();
    return c.body(null, 204);
  });
  app.delete("/tenrec/v1/faults/:id", (c) => {
    if (!deps.faults.remove(c.req.param("id"))) throw notFound(`Fault rule ${c.req.param("id")} not found.`);
    return c.body(null, 204);
  });

  const state = () => {
    if (!deps.state) throw new ApiError(501, "State control is not available in this cloud.");
    return deps.state;
  };
  app.post("/tenrec/v1/reset", async (c) => c.json({ reset: await state().reset() }));
  app.get("/tenrec/v1/snapshots", async (c) => c.json({ snapshots: await state().list() }));
  app.post("/tenrec/v1/snapshots", async (c) => {
    const b = parse(z.object({ name: NameSchema }).strict(), await c.req.json().catch(() => ({})));
    return c.json({ snapshot: await state().save(b.name) }, 201);
  });
  app.post("/tenrec/v1/snapshots/:name/restore", async (c) => {
    const name = parse(NameSchema, c.req.param("name"));
    return c.json({ restore: { name, ...(await state().load(name)) } });
  });
  app.delete("/tenrec/v1/snapshots/:name", async (c) => {
    const name = parse(NameSchema, c.req.param("name"));
    if (!(await state().remove(name))) throw notFound(`Snapshot ${name} not found.`);
    return c.body(null, 204);
  });
  return app;
}
