/** /types: volume types, extra specs and access lists (admins write; everyone lists what they may use). */
import { Hono } from "hono";
import { z } from "zod";
import { ApiError, badRequest } from "../../core/errors.ts";
import { readJson, type AppEnv } from "../../core/http.ts";
import { requireAdmin } from "../../core/policy.ts";
import { body, parse } from "../../core/validate.ts";
import type { VolumeCtx } from "../ctx.ts";
import * as types from "../logic/types.ts";
import { Boolish } from "../schemas/common.ts";
import { jsonMap } from "../store.ts";
import { typeView } from "../views.ts";
import { caller, queryOf } from "./util.ts";

const TypeCreateBody = z.object({
  volume_type: z.object({
    name: z.string().min(1).max(255),
    description: z.string().max(255).nullish(),
    "os-volume-type-access:is_public": Boolish.optional(),
    is_public: Boolish.optional(),
    extra_specs: z.record(z.string(), z.unknown()).nullish(),
  }),
});
const TypeUpdateBody = z.object({
  volume_type: z.object({
    name: z.string().max(255).nullish(),
    description: z.string().max(255).nullish(),
    is_public: Boolish.optional(),
  }),
});
const ExtraSpecsBody = z.object({ extra_specs: z.record(z.string(), z.unknown()) });

export function typeRoutes(ctx: VolumeCtx) {
  const app = new Hono<AppEnv>();

  app.get("/types", (c) => {
    const cl = caller(c);
    return c.json({ volume_types: types.listTypes(ctx, cl, queryOf(c)).map((t) => typeView(cl, t)) });
  });
  app.post("/types", body(TypeCreateBody), (c) => {
    const cl = caller(c);
    requireAdmin(c.get("auth"));
    const req = c.req.valid("json").volume_type;
    const t = types.createType(ctx, {
      name: req.name,
      description: req.description,
      is_public: req["os-volume-type-access:is_public"] ?? req.is_public,
      extra_specs: req.extra_specs,
    });
    return c.json({ volume_type: typeView(cl, t, { forCreate: true }) });
  });
  app.get("/types/:id", (c) => {
    const cl = caller(c);
    return c.json({ volume_type: typeView(cl, types.findType(ctx, cl, c.req.param("id"))) });
  });
  app.put("/types/:id", body(TypeUpdateBody), (c) => {
    const cl = caller(c);
    requireAdmin(c.get("auth"));
    return c.json({ volume_type: typeView(cl, types.updateType(ctx, c.req.param("id"), c.req.valid("json").volume_type), { forUpdate: true }) });
  });
  app.delete("/types/:id", (c) => {
    requireAdmin(c.get("auth"));
    types.deleteType(ctx, c.req.param("id"));
    return c.body(null, 202);
  });

  // ---- extra specs (admin) ----
  app.get("/types/:id/extra_specs", (c) => {
    requireAdmin(c.get("auth"));
    return c.json({ extra_specs: jsonMap(types.mustTypeById(ctx, c.req.param("id")).extra_specs) });
  });
  app.post("/types/:id/extra_specs", body(ExtraSpecsBody), (c) => {
    requireAdmin(c.get("auth"));
    return c.json({ extra_specs: types.setExtraSpecs(ctx, c.req.param("id"), c.req.valid("json").extra_specs) });
  });
  app.get("/types/:id/extra_specs/:key", (c) => {
    requireAdmin(c.get("auth"));
    const id = c.req.param("id");
    const key = c.req.param("key");
    const specs = jsonMap(types.mustTypeById(ctx, id).extra_specs);
    if (!(key in specs)) throw new ApiError(404, `Volume Type ${id} has no extra specs with key ${key}.`);
    return c.json({ [key]: specs[key] });
  });
  app.put("/types/:id/extra_specs/:key", async (c) => {
    requireAdmin(c.get("auth"));
    const key = c.req.param("key");
    const raw = parse(z.record(z.string(), z.unknown()), await readJson(c));
    if (Object.keys(raw).length > 1) throw badRequest("Request body contains too many items.");
    if (!(key in raw)) throw badRequest("Request body and URI mismatch");
    const set = types.setExtraSpecs(ctx, c.req.param("id"), raw);
    return c.json(set);
  });
  app.delete("/types/:id/extra_specs/:key", (c) => {
    requireAdmin(c.get("auth"));
    types.deleteExtraSpec(ctx, c.req.param("id"), c.req.param("key"));
    return c.body(null, 202);
  });

  // ---- encryption specs (admin): records for clients' encryptors; this cloud has no key manager ----
  const EncBody = z.object({
    encryption: z.object({
      provider: z.string().min(1),
      cipher: z.string().nullish(),
      key_size: z.number().int().nullish(),
      control_location: z.enum(["front-end", "back-end"]).optional(),
    }),
  });
  const EncUpdate = z.object({
    encryption: z.object({
      provider: z.string().min(1).optional(),
      cipher: z.string().nullish(),
      key_size: z.number().int().nullish(),
      control_location: z.enum(["front-end", "back-end"]).optional(),
    }),
  });
  app.get("/types/:id/encryption", (c) => {
    requireAdmin(c.get("auth"));
    const t = types.mustTypeById(ctx, c.req.param("id"));
    return c.json(t.encryption ? JSON.parse(t.encryption) : {});
  });
  app.get("/types/:id/encryption/:key", (c) => {
    requireAdmin(c.get("auth"));
    const t = types.mustTypeById(ctx, c.req.param("id"));
    const enc = t.encryption ? (JSON.parse(t.encryption) as Record<string, unknown>) : {};
    const key = c.req.param("key");
    if (!(key in enc)) throw new ApiError(404, `Volume type encryption for type ${t.id} has no key ${key}.`);
    return c.json({ [key]: enc[key] === null ? null : String(enc[key]) });
  });
  app.post("/types/:id/encryption", body(EncBody), (c) => {
    requireAdmin(c.get("auth"));
    const enc = types.setEncryption(ctx, c.req.param("id"), c.req.valid("json").encryption, true);
    const { volume_type_id, encryption_id, provider, cipher, key_size, control_location } = enc;
    return c.json({ encryption: { volume_type_id, encryption_id, provider, cipher, key_size, control_location } });
  });
  app.put("/types/:id/encryption/:eid", body(EncUpdate), (c) => {
    requireAdmin(c.get("auth"));
    const req = c.req.valid("json").encryption;
    types.setEncryption(ctx, c.req.param("id"), req, false);
    return c.json({ encryption: req });
  });
  app.delete("/types/:id/encryption/:eid", (c) => {
    requireAdmin(c.get("auth"));
    types.deleteEncryption(ctx, c.req.param("id"));
    return c.body(null, 202);
  });

  // ---- access (admin) ----
  app.get("/types/:id/os-volume-type-access", (c) => {
    requireAdmin(c.get("auth"));
    return c.json({ volume_type_access: types.typeAccess(ctx, c.req.param("id")) });
  });
  app.post("/types/:id/action", async (c) => {
    requireAdmin(c.get("auth"));
    const raw = (await readJson(c)) as Record<string, unknown>;
    const id = c.req.param("id");
    const P = z.object({ project: z.string().min(1) });
    if (raw && typeof raw === "object" && "addProjectAccess" in raw) {
      types.addTypeAccess(ctx, id, parse(P, raw.addProjectAccess).project);
      return c.body(null, 202);
    }
    if (raw && typeof raw === "object" && "removeProjectAccess" in raw) {
      types.removeTypeAccess(ctx, id, parse(P, raw.removeProjectAccess).project);
      return c.body(null, 202);
    }
    throw badRequest("Invalid input received: expected addProjectAccess or removeProjectAccess.");
  });

  return app;
}
