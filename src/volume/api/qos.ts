/**
 * qos-specs (admin): named sets of limits (consumer front-end, back-end or
 * both) associated with volume types. Recorded and shown; this cloud's file
 * backend and drivers do not throttle by them.
 */
import { Hono } from "hono";
import { z } from "zod";
import { badRequest, conflict, notFound } from "../../core/errors.ts";
import { readJson, type AppEnv, type Ctx } from "../../core/http.ts";
import { requireAdmin } from "../../core/policy.ts";
import { body, parse } from "../../core/validate.ts";
import { uuid } from "../../core/ids.ts";
import type { VolumeCtx } from "../ctx.ts";
import { mustTypeById } from "../logic/types.ts";
import { jsonMap } from "../store.ts";
import { links } from "../views.ts";
import { parseBool } from "../schemas/common.ts";
import { queryOf } from "./util.ts";

interface QosRow {
  id: string;
  name: string;
  consumer: string;
  specs: string;
  created_at: string;
}
const CONSUMERS = ["front-end", "back-end", "both"];
const view = (q: QosRow) => ({ id: q.id, name: q.name, consumer: q.consumer, specs: jsonMap(q.specs) });

export function qosRoutes(ctx: VolumeCtx) {
  const app = new Hono<AppEnv>();
  const { db } = ctx;
  const admin = async (c: Ctx, next: () => Promise<void>) => {
    requireAdmin(c.get("auth"));
    await next();
  };
  app.use("/qos-specs", admin);
  app.use("/qos-specs/*", admin);
  const must = (id: string) => {
    const q = db.get<QosRow>("SELECT * FROM volume_qos_specs WHERE id = ?", id);
    if (!q) throw notFound(`QoS Specs ${id} could not be found.`);
    return q;
  };
  const strSpecs = (o: Record<string, unknown>) => {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(o)) {
      if (v === null || typeof v === "object") throw badRequest(`Invalid input received: QoS spec ${k} must be a string.`);
      out[k] = String(v);
    }
    return out;
  };

  app.post("/qos-specs", body(z.object({ qos_specs: z.record(z.string(), z.unknown()) })), (c) => {
    const { name, consumer, ...rest } = c.req.valid("json").qos_specs as { name?: unknown; consumer?: unknown } & Record<string, unknown>;
    if (typeof name !== "string" || !name.trim() || name.length > 255) throw badRequest("Invalid input received: QoS specs need a name of 1 to 255 characters.");
    const cons = consumer === undefined ? "back-end" : String(consumer);
    if (!CONSUMERS.includes(cons)) throw badRequest(`Invalid input received: consumer must be one of ${CONSUMERS.join(", ")}.`);
    const id = uuid();
    db.tx(() => {
      if (db.get("SELECT 1 AS x FROM volume_qos_specs WHERE name = ?", name.trim())) throw conflict(`QoS Specs ${name} already exists.`);
      db.run("INSERT INTO volume_qos_specs (id, name, consumer, specs, created_at) VALUES (?, ?, ?, ?, ?)", id, name.trim(), cons, JSON.stringify(strSpecs(rest)), ctx.now());
    });
    return c.json({ qos_specs: view(must(id)), links: links(c, `qos-specs/${id}`) });
  });
  app.get("/qos-specs", (c) => c.json({ qos_specs: db.all<QosRow>("SELECT * FROM volume_qos_specs ORDER BY created_at, rowid").map(view) }));
  app.get("/qos-specs/:id", (c) => {
    const q = must(c.req.param("id"));
    return c.json({ qos_specs: view(q), links: links(c, `qos-specs/${q.id}`) });
  });
  app.put("/qos-specs/:id", body(z.object({ qos_specs: z.record(z.string(), z.unknown()) })), (c) => {
    const add = strSpecs(c.req.valid("json").qos_specs);
    db.tx(() => {
      const q = must(c.req.param("id"));
      db.run("UPDATE volume_qos_specs SET specs = ? WHERE id = ?", JSON.stringify({ ...jsonMap(q.specs), ...add }), q.id);
    });
    return c.json({ qos_specs: add });
  });
  app.put("/qos-specs/:id/delete_keys", async (c) => {
    const { keys } = parse(z.object({ keys: z.array(z.string()) }), await readJson(c));
    db.tx(() => {
      const q = must(c.req.param("id"));
      const specs = jsonMap(q.specs);
      for (const k of keys) {
        if (!(k in specs)) throw notFound(`QoS spec ${k} of ${q.id} could not be found.`);
        delete specs[k];
      }
      db.run("UPDATE volume_qos_specs SET specs = ? WHERE id = ?", JSON.stringify(specs), q.id);
    });
    return c.body(null, 202);
  });
  app.delete("/qos-specs/:id", (c) => {
    const force = parseBool(queryOf(c).force ?? "") === true;
    db.tx(() => {
      const q = must(c.req.param("id"));
      const used = db.get("SELECT 1 AS x FROM volume_types WHERE qos_specs_id = ? LIMIT 1", q.id);
      if (used && !force) throw badRequest(`QoS Specs ${q.id} is still associated with entities.`);
      db.run("UPDATE volume_types SET qos_specs_id = NULL WHERE qos_specs_id = ?", q.id);
      db.run("DELETE FROM volume_qos_specs WHERE id = ?", q.id);
    });
    return c.body(null, 202);
  });
  app.get("/qos-specs/:id/associations", (c) => {
    const q = must(c.req.param("id"));
    const rows = db.all<{ id: string; name: string }>("SELECT id, name FROM volume_types WHERE qos_specs_id = ? ORDER BY name", q.id);
    return c.json({ qos_associations: rows.map((t) => ({ association_type: "volume_type", id: t.id, name: t.name })) });
  });
  app.get("/qos-specs/:id/associate", (c) => {
    const typeId = queryOf(c).vol_type_id;
    if (!typeId) throw badRequest("Invalid input received: vol_type_id is required.");
    db.tx(() => {
      const q = must(c.req.param("id"));
      const t = mustTypeById(ctx, typeId);
      if (t.qos_specs_id && t.qos_specs_id !== q.id) throw badRequest(`Volume type ${t.id} is already associated with QoS specs ${t.qos_specs_id}.`);
      db.run("UPDATE volume_types SET qos_specs_id = ? WHERE id = ?", q.id, t.id);
    });
    return c.body(null, 202);
  });
  app.get("/qos-specs/:id/disassociate", (c) => {
    const typeId = queryOf(c).vol_type_id;
    if (!typeId) throw badRequest("Invalid input received: vol_type_id is required.");
    db.tx(() => {
      const q = must(c.req.param("id"));
      const t = mustTypeById(ctx, typeId);
      if (t.qos_specs_id === q.id) db.run("UPDATE volume_types SET qos_specs_id = NULL WHERE id = ?", t.id);
    });
    return c.body(null, 202);
  });
  app.get("/qos-specs/:id/disassociate_all", (c) => {
    const q = must(c.req.param("id"));
    db.run("UPDATE volume_types SET qos_specs_id = NULL WHERE qos_specs_id = ?", q.id);
    return c.body(null, 202);
  });
  return app;
}
