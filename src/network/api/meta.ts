/** Version discovery (`/`, `/v2.0`), extensions and service providers. */
import type { Hono } from "hono";
import type { AppEnv, Ctx } from "../../core/http.ts";
import { nerr } from "../logic/common.ts";
import { EXTENSIONS, extensionView } from "../extensions.ts";

const origin = (c: Ctx) => {
  const u = new URL(c.req.url);
  return `${u.protocol}//${c.req.header("host") ?? u.host}`;
};

/** Routes that need no token: the versions document. */
export function versionRoutes(app: Hono<AppEnv>): void {
  app.get("/", (c) =>
    c.json({ versions: [{ id: "v2.0", status: "CURRENT", links: [{ href: `${origin(c)}/v2.0/`, rel: "self" }] }] }),
  );
}

const COLLECTIONS: [string, string][] = [
  ["network", "networks"], ["subnet", "subnets"], ["port", "ports"], ["router", "routers"], ["floatingip", "floatingips"],
  ["security_group", "security-groups"], ["security_group_rule", "security-group-rules"], ["agent", "agents"], ["quota", "quotas"],
  ["extension", "extensions"], ["service_provider", "service-providers"],
];

export function metaRoutes(app: Hono<AppEnv>): void {
  const v2 = (c: Ctx) =>
    c.json({
      resources: COLLECTIONS.map(([name, collection]) => ({
        name, collection, links: [{ href: `${origin(c)}/v2.0/${collection}`, rel: "self" }],
      })),
    });
  app.get("/v2.0", v2);
  app.get("/v2.0/", v2);
  app.get("/v2.0/extensions", (c) => c.json({ extensions: EXTENSIONS.map(extensionView) }));
  app.get("/v2.0/extensions/:alias", (c) => {
    const e = EXTENSIONS.find((x) => x.alias === c.req.param("alias"));
    if (!e) throw nerr.notFound("HTTPNotFound", `Extension with alias ${c.req.param("alias")} does not exist`);
    return c.json({ extension: extensionView(e) });
  });
  app.get("/v2.0/service-providers", (c) => c.json({ service_providers: [] }));
}
