import { Hono, type Context } from "hono";
import type { AppEnv } from "../../core/http.ts";
import { requireAdmin } from "../../core/policy.ts";
import { parse } from "../../core/validate.ts";
import { readJson } from "../../core/http.ts";
import type { IdentityCtx } from "../ctx.ts";
import {
  createConfig,
  deleteConfig,
  getConfig,
  getDefaultConfig,
  getSecurityCompliance,
  updateConfig,
} from "../logic/domain_config.ts";
import { DomainConfigBody } from "../schemas/domain_config.ts";

async function configBody(c: Context) {
  return parse(DomainConfigBody, await readJson(c)).config;
}

/** /v3/domains/{id}/config and the defaults (Keystone's domain-specific configuration). Admin only. */
export function domainConfigRoutes(ctx: IdentityCtx) {
  const app = new Hono<AppEnv>();
  const { db } = ctx;

  // Defaults first: /domains/config/... must not be read as a domain called "config".
  app.get("/domains/config/default", (c) => {
    requireAdmin(c.get("auth"));
    return c.json({ config: getDefaultConfig() });
  });
  app.get("/domains/config/:group/default", (c) => {
    requireAdmin(c.get("auth"));
    return c.json({ config: getDefaultConfig(c.req.param("group")) });
  });
  app.get("/domains/config/:group/:option/default", (c) => {
    requireAdmin(c.get("auth"));
    return c.json({ config: getDefaultConfig(c.req.param("group"), c.req.param("option")) });
  });

  app.put("/domains/:domain_id/config", async (c) => {
    requireAdmin(c.get("auth"));
    const { config, created } = createConfig(ctx, c.req.param("domain_id"), await configBody(c));
    return c.json({ config }, created ? 201 : 200);
  });

  const show = (c: Context<AppEnv>, group?: string, option?: string) => {
    const domainId = c.req.param("domain_id")!;
    // Password rules are readable by anyone (Keystone's get_security_compliance_domain_config).
    if (group === "security_compliance") return c.json({ config: getSecurityCompliance(ctx, domainId, option) });
    requireAdmin(c.get("auth"));
    return c.json({ config: getConfig(db, domainId, group, option) });
  };
  const update = async (c: Context<AppEnv>, group?: string, option?: string) => {
    requireAdmin(c.get("auth"));
    return c.json({ config: updateConfig(ctx, c.req.param("domain_id")!, await configBody(c), group, option) });
  };
  const remove = (c: Context<AppEnv>, group?: string, option?: string) => {
    requireAdmin(c.get("auth"));
    deleteConfig(ctx, c.req.param("domain_id")!, group, option);
    return c.body(null, 204);
  };

  app.get("/domains/:domain_id/config", (c) => show(c));
  app.patch("/domains/:domain_id/config", (c) => update(c));
  app.delete("/domains/:domain_id/config", (c) => remove(c));
  app.get("/domains/:domain_id/config/:group", (c) => show(c, c.req.param("group")));
  app.patch("/domains/:domain_id/config/:group", (c) => update(c, c.req.param("group")));
  app.delete("/domains/:domain_id/config/:group", (c) => remove(c, c.req.param("group")));
  app.get("/domains/:domain_id/config/:group/:option", (c) => show(c, c.req.param("group"), c.req.param("option")));
  app.patch("/domains/:domain_id/config/:group/:option", (c) =>
    update(c, c.req.param("group"), c.req.param("option")),
  );
  app.delete("/domains/:domain_id/config/:group/:option", (c) =>
    remove(c, c.req.param("group"), c.req.param("option")),
  );
  return app;
}
