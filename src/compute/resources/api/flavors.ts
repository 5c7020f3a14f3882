/** /flavors, os-flavor-access, os-extra_specs. */
import { Hono } from "hono";
import { badRequest, notFound } from "../../../core/errors.ts";
import type { AppEnv, Ctx } from "../../../core/http.ts";
import { requireAdmin } from "../../../core/policy.ts";
import { parse } from "../../../core/validate.ts";
import {
  accessList,
  addAccess,
  createFlavor,
  deleteExtraSpec,
  deleteFlavor,
  extraSpecsOf,
  flavorForCaller,
  getExtraSpec,
  getFlavorRow,
  listFlavors,
  removeAccess,
  setExtraSpecs,
  updateFlavorDescription,
  visibleTo,
  type FlavorFull,
  type FlavorRow,
} from "../logic/flavors.ts";
import {
  ExtraSpecSchema,
  ExtraSpecsSchema,
  FlavorActionSchema,
  FlavorCreateSchema,
  FlavorListQuery,
  FlavorUpdateSchema,
} from "../schemas/flavors.ts";
import { callerOf, collectionUrl, jsonBody, mvAtLeast, resourceLinks, type ResCtx } from "./ctx.ts";

/** The brief form (list): id, links, name, and description from 2.55. */
function brief(c: Ctx, f: FlavorFull) {
  return {
    id: f.id,
    links: resourceLinks(c, "flavors", f.id),
    name: f.name,
    ...(mvAtLeast(c, 2, 55) ? { description: f.description } : {}),
  };
}

/** The full form (show, detail, create, update) by microversion: description 2.55, extra_specs 2.61, swap 0 (not "") from 2.75. */
export function flavorView(c: Ctx, f: FlavorFull) {
  return {
    id: f.id,
    name: f.name,
    ram: f.ram,
    disk: f.disk,
    swap: mvAtLeast(c, 2, 75) ? f.swap : f.swap || "",
    "OS-FLV-EXT-DATA:ephemeral": f.ephemeral,
    "OS-FLV-DISABLED:disabled": f.disabled,
    vcpus: f.vcpus,
    "os-flavor-access:is_public": f.isPublic,
    rxtx_factor: f.rxtxFactor,
    links: resourceLinks(c, "flavors", f.id),
    ...(mvAtLeast(c, 2, 55) ? { description: f.description } : {}),
    ...(mvAtLeast(c, 2, 61) ? { extra_specs: f.extraSpecs } : {}),
  };
}

/** Nova's _parse_is_public: absent → public only; "none" → all; else a strict boolean. */
function parseIsPublic(v: string | undefined): boolean | null {
  if (v === undefined) return true;
  const s = v.trim().toLowerCase();
  if (s === "none") return null;
  if (["true", "t", "yes", "y", "on", "1"].includes(s)) return true;
  if (["false", "f", "no", "n", "off", "0"].includes(s)) return false;
  throw badRequest(`Invalid is_public filter [${v}]`);
}

export function flavorRoutes(ctx: ResCtx) {
  const app = new Hono<AppEnv>();
  const { db } = ctx;

  const list = (detail: boolean) => (c: Ctx) => {
    const caller = callerOf(c);
    const q = parse(FlavorListQuery, c.req.query());
    const limit = q.limit !== undefined ? Math.min(Number(q.limit), 1000) : undefined;
    const flavors = listFlavors(db, caller, {
      isPublic: caller.isAdmin ? parseIsPublic(q.is_public) : true,
      minRam: q.minRam !== undefined ? Number(q.minRam) : undefined,
      minDisk: q.minDisk !== undefined ? Number(q.minDisk) : undefined,
      sortKey: q.sort_key ?? "flavorid",
      sortDir: q.sort_dir ?? "asc",
      marker: q.marker,
      limit,
    });
    const body: Record<string, unknown> = { flavors: flavors.map((f) => (detail ? flavorView(c, f) : brief(c, f))) };
    if (limit !== undefined && flavors.length === limit && limit > 0) {
      body.flavors_links = [{ rel: "next", href: collectionUrl(c, { marker: flavors.at(-1)!.id }) }];
    }
    return c.json(body);
  };
  app.get("/flavors", list(false));
  app.get("/flavors/detail", list(true));

  app.get("/flavors/:id", (c) => c.json({ flavor: flavorView(c, flavorForCaller(db, callerOf(c), c.req.param("id"))) }));

  app.post("/flavors", async (c) => {
    requireAdmin(c.get("auth"));
    const f = parse(FlavorCreateSchema, await jsonBody(c)).flavor;
    if (f.description !== undefined && !mvAtLeast(c, 2, 55)) {
      throw badRequest("Invalid input for field/attribute flavor. Additional properties are not allowed ('description' was unexpected)");
    }
    const created = createFlavor(db, ctx.clock.now(), {
      name: f.name,
      flavorid: f.id,
      ram: f.ram,
      vcpus: f.vcpus,
      disk: f.disk,
      ephemeral: f["OS-FLV-EXT-DATA:ephemeral"],
      swap: f.swap,
      rxtxFactor: f.rxtx_factor,
      isPublic: f["os-flavor-access:is_public"],
      description: f.description,
    });
    ctx.log.info(`flavor ${created.name} (${created.id}) created`);
    return c.json({ flavor: flavorView(c, created) });
  });

  app.put("/flavors/:id", async (c) => {
    if (!mvAtLeast(c, 2, 55)) throw notFound("The resource could not be found.");
    requireAdmin(c.get("auth"));
    const { description } = parse(FlavorUpdateSchema, await jsonBody(c)).flavor;
    return c.json({ flavor: flavorView(c, updateFlavorDescription(db, ctx.clock.now(), c.req.param("id"), description)) });
  });

  app.delete("/flavors/:id", (c) => {
    requireAdmin(c.get("auth"));
    deleteFlavor(db, c.req.param("id"));
    ctx.log.info(`flavor ${c.req.param("id")} deleted`);
    return c.body(null, 202);
  });

  // --- os-flavor-access -----------------------------------------------------------------
  const flavorRow = (c: Ctx): FlavorRow => {
    const id = c.req.param("id")!;
    const r = getFlavorRow(db, id);
    if (!r || !visibleTo(db, r, callerOf(c))) throw notFound(`Flavor ${id} could not be found.`);
    return r;
  };

  app.get("/flavors/:id/os-flavor-access", (c) => {
    requireAdmin(c.get("auth"));
    const r = flavorRow(c);
    if (r.is_public) throw notFound("Access list not available for public flavors.");
    return c.json({ flavor_access: accessList(db, r) });
  });

  app.post("/flavors/:id/action", async (c) => {
    requireAdmin(c.get("auth"));
    const body = parse(FlavorActionSchema, await jsonBody(c));
    const r = flavorRow(c);
    if ("addTenantAccess" in body) addAccess(db, r, body.addTenantAccess.tenant);
    else removeAccess(db, r, body.removeTenantAccess.tenant);
    return c.json({ flavor_access: accessList(db, r) });
  });

  // --- os-extra_specs ---------------------------------------------------------------------
  app.get("/flavors/:id/os-extra_specs", (c) => c.json({ extra_specs: extraSpecsOf(db, flavorRow(c).id) }));

  app.get("/flavors/:id/os-extra_specs/:key", (c) => {
    const key = c.req.param("key");
    return c.json({ [key]: getExtraSpec(db, flavorRow(c), key) });
  });

  app.post("/flavors/:id/os-extra_specs", async (c) => {
    requireAdmin(c.get("auth"));
    const { extra_specs } = parse(ExtraSpecsSchema, await jsonBody(c));
    setExtraSpecs(db, flavorRow(c), extra_specs);
    return c.json({ extra_specs });
  });

  app.put("/flavors/:id/os-extra_specs/:key", async (c) => {
    requireAdmin(c.get("auth"));
    const key = c.req.param("key");
    const body = parse(ExtraSpecSchema, await jsonBody(c));
    const keys = Object.keys(body);
    if (keys.length > 1) throw badRequest("Request body contains too many items");
    if (keys[0] !== key) throw badRequest("Request body and URI mismatch");
    setExtraSpecs(db, flavorRow(c), body);
    return c.json(body);
  });

  app.delete("/flavors/:id/os-extra_specs/:key", (c) => {
    requireAdmin(c.get("auth"));
    deleteExtraSpec(db, flavorRow(c), c.req.param("key"));
    return c.body(null, 200);
  });

  return app;
}
