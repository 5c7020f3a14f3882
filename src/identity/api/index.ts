import { Hono } from "hono";
import type { AppEnv } from "../../core/http.ts";
import type { IdentityCtx } from "../ctx.ts";

/**
 * Every resource router of /v3 (all behind the auth middleware). Each module
 * exports `(ctx) => Hono` with paths relative to /v3.
 */
export function resourceRoutes(ctx: IdentityCtx): Hono<AppEnv> {
  const v3 = new Hono<AppEnv>();
  for (const make of ROUTERS) v3.route("/", make(ctx));
  return v3;
}

const ROUTERS: ((ctx: IdentityCtx) => Hono<AppEnv>)[] = [];
