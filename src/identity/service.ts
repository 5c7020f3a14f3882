import { requireAuth } from "../core/auth.ts";
import type { Bus } from "../core/bus.ts";
import type { Clock } from "../core/clock.ts";
import type { Config } from "../core/config.ts";
import type { Db } from "../core/db.ts";
import { keystoneDialect } from "../core/faults.ts";
import { createApp } from "../core/http.ts";
import type { Logger } from "../core/log.ts";
import { authRoutes } from "./api/auth.ts";
import { resourceRoutes } from "./api/index.ts";
import { versionRoutes } from "./api/version.ts";
import { bootstrap, type ManagedService } from "./bootstrap.ts";
import { identityClient } from "./client.ts";
import type { IdentityCtx } from "./ctx.ts";
import { TokenEngine } from "./tokens.ts";

export interface IdentityDeps {
  db: Db;
  bus: Bus;
  clock: Clock;
  cfg: Config;
  log: Logger;
}

/** Keystone v3: assemble the identity service (tables, token engine, routes, client). */
export function createIdentity(deps: IdentityDeps) {
  const cost = deps.cfg.passwordHashCost;
  const base = {
    ...deps,
    hashSecret: (s: string) => Bun.password.hash(s, { algorithm: "bcrypt", cost }),
    verifySecret: async (s: string, h: string | null | undefined) => {
      if (!h) return false;
      try {
        return await Bun.password.verify(s, h);
      } catch {
        return false;
      }
    },
  };
  const tokens = new TokenEngine(base);
  const ctx: IdentityCtx = {
    ...base,
    changed: () => tokens.changed(),
    revokeUserTokens: (id) => tokens.revokeUser(id),
    revokeAppCredTokens: (id) => tokens.revokeAppCred(id),
  };

  const app = createApp({ service: "identity", dialect: keystoneDialect, log: deps.log, accessLog: deps.cfg.accessLog });
  const authMw = requireAuth(tokens);
  app.use("/v3/*", async (c, next) => {
    const p = c.req.path;
    const post = c.req.method === "POST";
    // Keystone needs no token to issue one, nor to change a password (the original password is the proof).
    if (p === "/v3" || p === "/v3/" || (post && p === "/v3/auth/tokens") || (post && /^\/v3\/users\/[^/]+\/password$/.test(p)))
      return next();
    return authMw(c, next);
  });
  app.route("/", versionRoutes());
  app.route("/v3/auth", authRoutes(ctx, tokens));
  app.route("/v3", resourceRoutes(ctx));

  const purge = setInterval(() => tokens.purgeExpired(), 10 * 60_000);
  purge.unref?.();

  return {
    app,
    ctx,
    tokens,
    client: identityClient(tokens, deps.db),
    bootstrap: (services: ManagedService[], opts?: { adminPasswordExplicit?: boolean }) =>
      bootstrap(ctx, services, opts),
    stop: () => clearInterval(purge),
  };
}
export type Identity = ReturnType<typeof createIdentity>;
