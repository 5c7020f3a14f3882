/**
 * The CRUD routes of every Neutron collection, from one table of resource
 * definitions: list (filters, fields, sorting, paging), show, create (one or
 * bulk, atomically), update, delete, and the tags sub-resource.
 */
import type { Hono } from "hono";
import { ApiError } from "../../core/errors.ts";
import { readJson, type AppEnv, type Ctx } from "../../core/http.ts";
import { isAdmin, isMember } from "../../core/policy.ts";
import { parse } from "../../core/validate.ts";
import * as agents from "../logic/agents.ts";
import { NOT_FOUND, nerr, ownsOrAdmin, touch } from "../logic/common.ts";
import * as fips from "../logic/floatingips.ts";
import * as nets from "../logic/networks.ts";
import * as ports from "../logic/ports.ts";
import * as routers from "../logic/routers.ts";
import * as sgs from "../logic/secgroups.ts";
import * as subnets from "../logic/subnets.ts";
import { listPage, multi, pickFields } from "../query.ts";
import { bulkBody, routerInterfaceBody, singleBody, tagName, tagsBody } from "../schemas/resources.ts";
import type { Caller, Kind, NetCtx, Obj } from "../store.ts";

type Fn<R> = (ctx: NetCtx, caller: Caller, ...rest: any[]) => R;

export interface ResourceDef {
  /** URL segment, e.g. `security-groups`. */
  path: string;
  key: string;
  plural: string;
  kind: Kind;
  get: (ctx: NetCtx, caller: Caller, id: string) => Obj;
  visible: (ctx: NetCtx, caller: Caller, o: Obj) => boolean;
  view: (ctx: NetCtx, caller: Caller, o: Obj) => Obj;
  create?: Fn<Obj>;
  update?: Fn<Obj>;
  remove?: Fn<void>;
  /** Runs before a list (the default security group appears on first use). */
  beforeList?: (ctx: NetCtx, caller: Caller) => void;
  taggable?: boolean;
  adminOnlyList?: boolean;
}

export const RESOURCES: ResourceDef[] = [
  {
    path: "networks", key: "network", plural: "networks", kind: "network", taggable: true,
    get: nets.getNetwork, visible: (_c, caller, o) => nets.networkVisible(caller, o), view: nets.viewNetwork,
    create: nets.createNetwork, update: nets.updateNetwork, remove: nets.deleteNetwork,
  },
  {
    path: "subnets", key: "subnet", plural: "subnets", kind: "subnet", taggable: true,
    get: subnets.getSubnet, visible: subnets.subnetVisible, view: subnets.viewSubnet,
    create: subnets.createSubnet, update: subnets.updateSubnet, remove: subnets.deleteSubnet,
  },
  {
    path: "ports", key: "port", plural: "ports", kind: "port", taggable: true,
    get: ports.getPort, visible: ports.portVisible, view: ports.viewPort,
    create: (ctx, caller, body) => ports.createPort(ctx, caller, body), update: (ctx, caller, o, body) => ports.updatePort(ctx, caller, o, body),
    remove: ports.deletePort,
  },
  {
    path: "routers", key: "router", plural: "routers", kind: "router", taggable: true,
    get: routers.getRouter, visible: (_c, caller, o) => ownsOrAdmin(caller, o), view: routers.viewRouter,
    create: routers.createRouter, update: routers.updateRouter, remove: routers.deleteRouter,
  },
  {
    path: "floatingips", key: "floatingip", plural: "floatingips", kind: "floatingip", taggable: true,
    get: fips.getFloatingIp, visible: (_c, caller, o) => ownsOrAdmin(caller, o), view: fips.viewFloatingIp,
    create: fips.createFloatingIp, update: fips.updateFloatingIp, remove: fips.deleteFloatingIp,
  },
  {
    path: "security-groups", key: "security_group", plural: "security_groups", kind: "security_group", taggable: true,
    get: sgs.getGroup, visible: (_c, caller, o) => sgs.sgVisible(caller, o), view: sgs.viewGroup,
    create: sgs.createGroup, update: sgs.updateGroup, remove: sgs.deleteGroup,
    beforeList: (ctx, caller) => { if (caller.projectId) sgs.ensureDefaultGroup(ctx, caller.projectId); },
  },
  {
    path: "security-group-rules", key: "security_group_rule", plural: "security_group_rules", kind: "security_group_rule",
    get: sgs.getRule, visible: (_c, caller, o) => ownsOrAdmin(caller, o), view: sgs.viewRule,
    create: sgs.createRule, remove: sgs.deleteRule,
    beforeList: (ctx, caller) => { if (caller.projectId) sgs.ensureDefaultGroup(ctx, caller.projectId); },
  },
  {
    path: "agents", key: "agent", plural: "agents", kind: "agent", adminOnlyList: true,
    get: agents.getAgent, visible: (_c, caller) => caller.isAdmin, view: agents.viewAgent,
    update: agents.updateAgent, remove: agents.deleteAgent,
  },
];

export function callerOf(c: Ctx): Caller {
  const a = c.get("auth");
  return { projectId: a.projectId ?? "", isAdmin: isAdmin(a) };
}

function requireWriter(c: Ctx): void {
  if (!isMember(c.get("auth"))) throw new ApiError(403, "rule:create is disallowed by policy", "PolicyNotAuthorized");
}

async function jsonBody(c: Ctx): Promise<unknown> {
  const ct = c.req.header("content-type") ?? "";
  if (ct && !/json/i.test(ct)) throw nerr.bad(`Unsupported Content-Type`, "HTTPUnsupportedMediaType");
  return readJson(c);
}

export function resourceRoutes(app: Hono<AppEnv>, ctx: NetCtx): void {
  for (const def of RESOURCES) {
    const base = `/v2.0/${def.path}`;
    const list = (c: Ctx, caller: Caller) => {
      // Admin-only collections list as empty for others (Neutron filters by policy).
      if (def.adminOnlyList && !caller.isAdmin) return c.json({ [def.plural]: [] });
      def.beforeList?.(ctx, caller);
      const q = multi(c.req.url);
      const items = ctx.store.list(def.kind).filter((o) => def.visible(ctx, caller, o)).map((o) => def.view(ctx, caller, o));
      const page = listPage(items, q, c.req.url);
      const body: Record<string, unknown> = { [def.plural]: page.items.map((o) => pickFields(o, q)) };
      if (page.links.length) body[`${def.plural}_links`] = page.links;
      return c.json(body);
    };
    app.get(base, (c) => list(c, callerOf(c)));
    app.get(`${base}/:id`, (c) => {
      const caller = callerOf(c);
      const o = def.get(ctx, caller, c.req.param("id"));
      return c.json({ [def.key]: pickFields(def.view(ctx, caller, o), multi(c.req.url)) });
    });
    app.post(base, async (c) => {
      const caller = callerOf(c);
      if (!def.create) throw new ApiError(405, "The method is not allowed for the requested URL.", "HTTPMethodNotAllowed");
      requireWriter(c);
      const raw = (await jsonBody(c)) as Record<string, unknown>;
      if (raw && typeof raw === "object" && def.plural in raw) {
        const items = parse(bulkBody(def.plural), raw)[def.plural] as Record<string, unknown>[];
        const made = ctx.db.tx(() => items.map((b) => def.create!(ctx, caller, b)));
        return c.json({ [def.plural]: made.map((o) => def.view(ctx, caller, o)) }, 201);
      }
      if (!raw || typeof raw !== "object" || !(def.key in raw))
        throw nerr.bad(`Resource body required`, "BadRequest");
      const b = parse(singleBody(def.key), raw)[def.key] as Record<string, unknown>;
      const made = ctx.db.tx(() => def.create!(ctx, caller, b));
      return c.json({ [def.key]: def.view(ctx, caller, made) }, 201);
    });
    app.put(`${base}/:id`, async (c) => {
      const caller = callerOf(c);
      if (!def.update) throw new ApiError(405, "The method is not allowed for the requested URL.", "HTTPMethodNotAllowed");
      requireWriter(c);
      const raw = (await jsonBody(c)) as Record<string, unknown>;
      if (!raw || typeof raw !== "object" || !(def.key in raw)) throw nerr.bad("Resource body required", "BadRequest");
      const b = parse(singleBody(def.key), raw)[def.key] as Record<string, unknown>;
      const updated = ctx.db.tx(() => {
        const o = def.get(ctx, caller, c.req.param("id"));
        return def.update!(ctx, caller, o, b);
      });
      return c.json({ [def.key]: def.view(ctx, caller, updated) });
    });
    app.delete(`${base}/:id`, (c) => {
      const caller = callerOf(c);
      if (!def.remove) throw new ApiError(405, "The method is not allowed for the requested URL.", "HTTPMethodNotAllowed");
      requireWriter(c);
      ctx.db.tx(() => {
        const o = def.get(ctx, caller, c.req.param("id"));
        def.remove!(ctx, caller, o);
      });
      return c.body(null, 204);
    });

    if (def.taggable) tagRoutes(app, ctx, def, base);
  }

  // Router interfaces.
  for (const action of ["add_router_interface", "remove_router_interface"] as const) {
    app.put(`/v2.0/routers/:id/${action}`, async (c) => {
      const caller = callerOf(c);
      requireWriter(c);
      const b = parse(routerInterfaceBody, await jsonBody(c));
      const info = ctx.db.tx(() => {
        const r = routers.getRouter(ctx, caller, c.req.param("id"));
        return action === "add_router_interface" ? routers.addInterface(ctx, caller, r, b) : routers.removeInterface(ctx, caller, r, b);
      });
      return c.json(info);
    });
  }
}

function tagRoutes(app: Hono<AppEnv>, ctx: NetCtx, def: ResourceDef, base: string): void {
  const load = (c: Ctx, write: boolean) => {
    const caller = callerOf(c);
    const o = def.get(ctx, caller, c.req.param("id") ?? "");
    if (write && !caller.isAdmin && o.project_id !== caller.projectId) throw nerr.policy(`update_${def.key}:tags`);
    return o;
  };
  const save = (o: Obj) => {
    touch(ctx, o);
    ctx.store.save(o);
  };
  app.get(`${base}/:id/tags`, (c) => c.json({ tags: load(c, false).tags ?? [] }));
  app.get(`${base}/:id/tags/:tag`, (c) => {
    const o = load(c, false);
    if (!(o.tags ?? []).includes(c.req.param("tag"))) throw nerr.notFound("TagNotFound", `Tag ${c.req.param("tag")} could not be found for ${def.key} ${o.id}.`);
    return c.body(null, 204);
  });
  app.put(`${base}/:id/tags`, async (c) => {
    requireWriter(c);
    const b = parse(tagsBody, await jsonBody(c));
    const o = ctx.db.tx(() => {
      const o = load(c, true);
      o.tags = [...new Set(b.tags)];
      save(o);
      return o;
    });
    return c.json({ tags: o.tags });
  });
  app.put(`${base}/:id/tags/:tag`, (c) => {
    requireWriter(c);
    const tag = parse(tagName, c.req.param("tag"));
    ctx.db.tx(() => {
      const o = load(c, true);
      if (!(o.tags ?? []).includes(tag)) {
        o.tags = [...(o.tags ?? []), tag];
        save(o);
      }
    });
    return c.body(null, 201);
  });
  app.delete(`${base}/:id/tags`, (c) => {
    requireWriter(c);
    ctx.db.tx(() => {
      const o = load(c, true);
      o.tags = [];
      save(o);
    });
    return c.body(null, 204);
  });
  app.delete(`${base}/:id/tags/:tag`, (c) => {
    requireWriter(c);
    ctx.db.tx(() => {
      const o = load(c, true);
      const tag = c.req.param("tag") ?? "";
      if (!(o.tags ?? []).includes(tag)) throw nerr.notFound("TagNotFound", `Tag ${tag} could not be found for ${def.key} ${o.id}.`);
      o.tags = o.tags.filter((t: string) => t !== tag);
      save(o);
    });
    return c.body(null, 204);
  });
}

export { NOT_FOUND };
