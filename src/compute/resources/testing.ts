/**
 * Test helper: an in-process cloud (test/harness.ts) with the resource routes
 * mounted the way the compute app mounts them (auth, microversions 2.1–2.95,
 * Nova's fault dialect), under /v2.1 and the legacy /v2.1/{project_id}.
 */
import { requireAuth } from "../../core/auth.ts";
import { novaDialect } from "../../core/faults.ts";
import { createApp } from "../../core/http.ts";
import { silentLogger } from "../../core/log.ts";
import { microversions } from "../../core/microversion.ts";
import { testCloud, type TestCloud } from "../../../test/harness.ts";
import { createComputeResources, type ComputeResources } from "./index.ts";

export interface ResTest {
  t: TestCloud;
  res: ComputeResources;
  admin: string;
  demo: string;
  /** A request to the resource routes: `path` under /v2.1; `mv` sets the compute microversion. */
  req(method: string, path: string, o?: { token?: string; json?: unknown; body?: string; mv?: string }): Promise<Response>;
  close(): Promise<void>;
}

export async function resTest(): Promise<ResTest> {
  const t = await testCloud();
  const { db, clock, cfg } = t.cloud;
  const identity = t.cloud.identity.client;
  const res = createComputeResources({ db, clock, cfg, log: silentLogger, identity });
  const app = createApp({ service: "compute", dialect: novaDialect, log: silentLogger, accessLog: false });
  const mw = [
    requireAuth(identity),
    microversions({ serviceType: "compute", legacyHeader: "X-OpenStack-Nova-API-Version", min: [2, 1], max: [2, 95] }),
  ] as const;
  app.use("/v2.1/*", ...mw);
  app.route("/v2.1", res.routes);
  app.route("/v2.1/:project_id", res.routes);
  const admin = await t.token("admin");
  const demo = await t.token("demo", cfg.demoPassword, "demo");
  return {
    t,
    res,
    admin,
    demo,
    req(method, path, o = {}) {
      const headers: Record<string, string> = { "x-auth-token": o.token ?? admin };
      if (o.mv) headers["openstack-api-version"] = `compute ${o.mv}`;
      let body = o.body;
      if (o.json !== undefined) {
        body = JSON.stringify(o.json);
        headers["content-type"] = "application/json";
      }
      return Promise.resolve(app.fetch(new Request(`http://127.0.0.1:8774/v2.1${path}`, { method, headers, body })));
    },
    close: () => t.close(),
  };
}
