/** Neutron v2.0 on 9696: networks, subnets (IPAM), ports, routers, floating IPs, security groups, quotas, agents. */
import { requireAuth } from "../core/auth.ts";
import type { Bus } from "../core/bus.ts";
import type { Clock } from "../core/clock.ts";
import type { Config } from "../core/config.ts";
import type { Db } from "../core/db.ts";
import { neutronDialect } from "../core/faults.ts";
import { createApp } from "../core/http.ts";
import type { Logger } from "../core/log.ts";
import type { IdentityClient } from "../identity/client.ts";
import { metaRoutes, versionRoutes } from "./api/meta.ts";
import { quotaRoutes } from "./api/quotas.ts";
import { resourceRoutes } from "./api/resources.ts";
import type { NetworkClient } from "./client.ts";
import { networkClient } from "./instances.ts";
import { bootstrapNetworks } from "./logic/bootstrap.ts";
import { Store, type NetCtx } from "./store.ts";

export interface NetworkDeps {
  db: Db;
  bus: Bus;
  clock: Clock;
  cfg: Config;
  log: Logger;
  identity: IdentityClient;
}

export function createNetwork(deps: NetworkDeps) {
  const app = createApp({ service: "network", dialect: neutronDialect, log: deps.log, accessLog: deps.cfg.accessLog });
  const ctx: NetCtx = { db: deps.db, store: new Store(deps.db), clock: deps.clock, log: deps.log, identity: deps.identity };
  versionRoutes(app);
  const auth = requireAuth(deps.identity);
  app.use("/v2.0", auth);
  app.use("/v2.0/*", auth);
  metaRoutes(app);
  quotaRoutes(app, ctx);
  resourceRoutes(app, ctx);
  const client: NetworkClient = networkClient(ctx);
  // Neutron accepts a `.json` format suffix on every path (Tempest's quota details use it).
  const fetch = (req: Request) => {
    const u = new URL(req.url);
    if (!u.pathname.endsWith(".json")) return app.fetch(req);
    u.pathname = u.pathname.slice(0, -5);
    return app.fetch(new Request(u.toString(), req as unknown as RequestInit));
  };
  return {
    app: { fetch, hono: app },
    client,
    ctx,
    /** Runs after identity's bootstrap: public/private networks, router, default security groups. */
    async bootstrap() {
      bootstrapNetworks(ctx);
    },
    stop() {},
  };
}
