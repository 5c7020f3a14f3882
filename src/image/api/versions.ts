/** Version discovery: GET / (300) and /versions (200), as Glance answers them. */
import { Hono } from "hono";
import type { AppEnv } from "../../core/http.ts";

/** Glance's API versions, newest first (2.16 is current Glance's; tenrec implements the v2 core they share). */
const VERSIONS = ["2.16", "2.15", "2.14", "2.13", "2.12", "2.11", "2.10", "2.9", "2.8", "2.7", "2.6", "2.5", "2.4", "2.3", "2.2", "2.1", "2.0"];

export function versionsDoc(base: string) {
  return {
    versions: VERSIONS.map((v, i) => ({
      id: `v${v}`,
      status: i === 0 ? "CURRENT" : "SUPPORTED",
      links: [{ rel: "self", href: `${base}/v2/` }],
    })),
  };
}

export function versionRoutes() {
  const app = new Hono<AppEnv>();
  const base = (url: string) => new URL(url).origin;
  for (const path of ["/", "/v2", "/v2/"]) app.get(path, (c) => c.json(versionsDoc(base(c.req.url)), 300));
  app.get("/versions", (c) => c.json(versionsDoc(base(c.req.url)), 200));
  return app;
}
