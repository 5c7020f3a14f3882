import { Hono } from "hono";
import type { AppEnv } from "../../core/http.ts";
import { baseUrl } from "../ctx.ts";

function v3(c: any) {
  return {
    id: "v3.14",
    status: "stable",
    updated: "2020-04-07T00:00:00Z",
    links: [{ rel: "self", href: `${baseUrl(c)}/v3/` }],
    "media-types": [{ base: "application/json", type: "application/vnd.openstack.identity-v3+json" }],
  };
}

/** Version discovery: `/` is 300 Multiple Choices, `/v3` the version itself. */
export function versionRoutes() {
  const app = new Hono<AppEnv>();
  app.get("/", (c) => c.json({ versions: { values: [v3(c)] } }, 300));
  app.get("/v3", (c) => c.json({ version: v3(c) }));
  app.get("/v3/", (c) => c.json({ version: v3(c) }));
  return app;
}
