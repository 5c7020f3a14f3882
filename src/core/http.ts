import type { Microversion } from "./microversion.ts";
import { Hono, type Context, type MiddlewareHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import { ApiError } from "./errors.ts";
import type { Dialect } from "./faults.ts";
import { isRequestId, requestId } from "./ids.ts";
import type { Logger } from "./log.ts";
import type { AuthContext } from "./auth.ts";

export interface AppEnv {
  Variables: {
    requestId: string;
    /** A well-formed `X-OpenStack-Request-Id` sent by the caller, kept for tracing. */
    globalRequestId?: string;
    auth: AuthContext;
    /** The negotiated microversion (APIs that have them: Nova, Cinder). */
    microversion?: Microversion;
  };
}
export type Ctx = Context<AppEnv>;

export interface AppOptions {
  service: string;
  dialect: Dialect;
  log: Logger;
  accessLog?: boolean;
  /** Extra headers that carry the request id (Nova also sends x-compute-request-id). */
  requestIdHeaders?: string[];
  /** How this API mints request ids (default `req-<uuid>`; Swift uses its transaction ids). */
  newRequestId?: () => string;
}

/** Turn anything thrown into an ApiError (unknown errors become a logged 500). */
export function toApiError(err: unknown, log: Logger, rid: string): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof HTTPException) return new ApiError(err.status, err.message || "Bad request");
  log.error(`${rid} unhandled error: ${(err as Error)?.stack ?? String(err)}`);
  return new ApiError(500, "An unexpected error prevented the server from fulfilling your request.");
}

/**
 * The app every service is built on: mints `req-<uuid>` for every request,
 * returns it as `x-openstack-request-id` (and the service's own headers), logs
 * one access line per request, and renders every error in the service's dialect.
 */
export function createApp(opts: AppOptions): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const log = opts.log;
  const headers = ["x-openstack-request-id", ...(opts.requestIdHeaders ?? [])];

  const requestIdMw: MiddlewareHandler<AppEnv> = async (c, next) => {
    const rid = (opts.newRequestId ?? requestId)();
    c.set("requestId", rid);
    const incoming = c.req.header("x-openstack-request-id");
    if (isRequestId(incoming)) c.set("globalRequestId", incoming);
    const t0 = performance.now();
    await next();
    for (const h of headers) c.res.headers.set(h, rid);
    // Bun closes the socket after a `Connection: close` request without saying
    // so; urllib3 (Tempest) would then reuse the dead connection and a POST fails.
    if (/\bclose\b/i.test(c.req.header("connection") ?? "")) c.res.headers.set("connection", "close");
    if (opts.accessLog !== false) {
      const ms = (performance.now() - t0).toFixed(1);
      const g = c.get("globalRequestId");
      const url = new URL(c.req.url);
      log.info(
        `${rid}${g ? ` (global ${g})` : ""} ${c.req.method} ${url.pathname}${url.search} ${c.res.status} ${ms}ms`,
      );
    }
  };
  app.use("*", requestIdMw);

  app.onError((err, c) => {
    const rid = c.get("requestId") ?? "req-unknown";
    const res = opts.dialect(toApiError(err, log, rid), c);
    if (c.req.method === "HEAD") return new Response(null, { status: res.status, headers: res.headers });
    return res;
  });
  app.notFound((c) => opts.dialect(new ApiError(404, "The resource could not be found."), c));
  return app;
}

/** Parse a JSON body we read ourselves (for routes that do not use `body()`). */
export async function readJson(c: Context): Promise<unknown> {
  const text = await c.req.text();
  if (!text.trim()) return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new ApiError(400, "Malformed JSON in request body");
  }
}
