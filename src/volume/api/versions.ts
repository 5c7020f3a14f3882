/** Version discovery: GET / → 300 with the versions list; GET /v3/ → 200 with v3's document. */
import { Hono } from "hono";
import type { AppEnv, Ctx } from "../../core/http.ts";
import { formatMv } from "../../core/microversion.ts";
import { MV } from "../ctx.ts";

function v3(c: Ctx) {
  const u = new URL(c.req.url);
  return {
    id: "v3.0",
    status: "CURRENT",
    version: formatMv(MV.max),
    min_version: formatMv(MV.min),
    updated: "2023-08-31T00:00:00Z",
    links: [
      { rel: "describedby", type: "text/html", href: "https://docs.openstack.org/" },
      { rel: "self", href: `${u.protocol}//${u.host}/v3/` },
    ],
    "media-types": [{ base: "application/json", type: "application/vnd.openstack.volume+json;version=3" }],
  };
}

export function versionRoutes() {
  const app = new Hono<AppEnv>();
  app.get("/", (c) => c.json({ versions: [v3(c)] }, 300));
  app.get("/v3", (c) => c.json({ versions: [v3(c)] }));
  app.get("/v3/", (c) => c.json({ versions: [v3(c)] }));
  return app;
}
