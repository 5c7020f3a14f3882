/**
 * The Swift API v1 (swift-proxy on port 8080): `/v1/AUTH_<project_id>/...`
 * authenticated by Keystone tokens, TempURLs or container ACLs, over the
 * object store's typed client. Every response carries Swift's transaction id
 * (`X-Trans-Id`, also as `X-Openstack-Request-Id`), `Date` and `Content-Type`.
 */
import type { Hono } from "hono";
import type { AuthContext } from "../core/auth.ts";
import type { Clock } from "../core/clock.ts";
import type { Config } from "../core/config.ts";
import { ApiError } from "../core/errors.ts";
import { createApp, type AppEnv, type Ctx } from "../core/http.ts";
import type { Logger } from "../core/log.ts";
import type { IdentityClient } from "../identity/client.ts";
import type { ObjectStoreClient } from "../objectstore/client.ts";
import { accountMethodNotAllowed, getAccount, postAccount } from "./api/account.ts";
import { bulkDelete } from "./api/bulk.ts";
import { extractArchive } from "./api/extract.ts";
import { deleteContainer, getContainer, postContainer, putContainer } from "./api/container.ts";
import { infoRoutes } from "./api/info.ts";
import { copyMethod, deleteObject, getObject, postObject, putObject } from "./api/object.ts";
import { authorize, denied } from "./authz.ts";
import type { SwiftEnv, SwiftReq } from "./context.ts";
import { swiftDialect } from "./faults.ts";
import { parseSwiftPath } from "./path.ts";
import { type KeyScope, tempUrlInvalid, tempUrlParams, verifyTempUrl } from "./tempurl.ts";
import { transId } from "./transid.ts";

/** Swift's default max_file_size: 5 GiB + 2 bytes. */
export const DEFAULT_MAX_FILE_SIZE = 5 * 1024 ** 3 + 2;

export interface SwiftDeps {
  store: ObjectStoreClient;
  identity: IdentityClient;
  cfg: Config;
  log: Logger;
  clock: Clock;
  /** Largest object one PUT may store; defaults to cfg.maxObjectSize, else Swift's 5 GiB + 2. */
  maxFileSize?: number;
}

let dateSec = 0;
let dateStr = "";
/** The Date header, formatted once a second. */
function httpNow(): string {
  const sec = Math.floor(Date.now() / 1000);
  if (sec !== dateSec) {
    dateSec = sec;
    dateStr = new Date(sec * 1000).toUTCString();
  }
  return dateStr;
}

export function createSwift(deps: SwiftDeps): { app: Hono<AppEnv> } {
  const cfgMax = (deps.cfg as { maxObjectSize?: number }).maxObjectSize;
  const env: SwiftEnv = { ...deps, maxFileSize: deps.maxFileSize ?? cfgMax ?? DEFAULT_MAX_FILE_SIZE };
  // The request id is Swift's transaction id, sent as X-Trans-Id and X-Openstack-Request-Id.
  const app = createApp({
    service: "object-store",
    dialect: swiftDialect,
    log: deps.log,
    accessLog: deps.cfg.accessLog,
    newRequestId: () => transId(deps.clock.now()),
    requestIdHeaders: ["x-trans-id"],
  });

  app.use("*", async (c, next) => {
    await next();
    const h = c.res.headers;
    if (!h.has("date")) h.set("Date", httpNow());
    if (!h.has("content-type")) h.set("Content-Type", "text/html; charset=UTF-8");
  });
  app.route("/", infoRoutes(env.maxFileSize));
  app.all("/*", (c) => dispatch(c, env));

  return { app };
}

const OBJECT_METHODS = new Set(["GET", "HEAD", "PUT", "POST", "DELETE", "COPY"]);

async function dispatch(c: Ctx, env: SwiftEnv): Promise<Response> {
  const url = new URL(c.req.url);
  const path = parseSwiftPath(url.pathname);
  if (!path) throw new ApiError(404, "The resource could not be found.");
  const method = c.req.method.toUpperCase();
  const r: SwiftReq = {
    c,
    env,
    store: env.store,
    path,
    account: path.account,
    container: path.container,
    object: path.object,
    method,
    query: url.searchParams,
    headers: c.req.raw.headers,
    now: env.clock.now(),
  };
  const referer = r.headers.get("referer") ?? undefined;

  // TempURL: signed object requests need no token.
  const tp = path.object !== undefined ? tempUrlParams(r.query, r.now) : r.query.has("temp_url_sig") ? (() => { throw tempUrlInvalid(); })() : undefined;
  if (tp) {
    const acct = await env.store.getAccount(r.account);
    const cont = await env.store.getContainer(r.account, r.container!);
    const keys: { key: string; scope: KeyScope }[] = [];
    for (const k of ["temp-url-key", "temp-url-key-2"]) {
      if (acct.metadata[k]) keys.push({ key: acct.metadata[k]!, scope: "account" });
    }
    for (const k of ["temp-url-key", "temp-url-key-2"]) {
      if (cont?.metadata[k]) keys.push({ key: cont.metadata[k]!, scope: "container" });
    }
    const scope = verifyTempUrl(tp, { method, account: r.account, container: r.container!, object: r.object! }, keys);
    r.tempurl = { scope, params: tp };
    // A TempURL authorizes only these methods (never COPY).
    if (!["GET", "HEAD", "PUT", "POST", "DELETE"].includes(method)) throw tempUrlInvalid();
    return objectMethod(r, method);
  }

  const token = r.headers.get("x-auth-token") ?? r.headers.get("x-storage-token");
  let auth: AuthContext | undefined;
  if (token) {
    auth = (await env.identity.validate(token)) ?? undefined;
    if (!auth) throw new ApiError(401, "Unauthorized");
  }
  r.auth = auth;
  if (!r.account.startsWith("AUTH_")) throw denied(auth);

  const extract = method === "PUT" ? r.query.get("extract-archive") : null;
  if (extract !== null) {
    authorize({ auth, account: r.account, method, isObject: false });
    return extractArchive(r, extract);
  }

  // account
  if (r.container === undefined) {
    if (method === "GET" || method === "HEAD") {
      const a = authorize({ auth, account: r.account, method, isObject: false });
      return getAccount(r, a.owner);
    }
    if (method === "POST") {
      const a = authorize({ auth, account: r.account, method, isObject: false });
      if (r.query.has("bulk-delete")) return bulkDelete(r);
      return postAccount(r, a.owner);
    }
    if (method === "DELETE" && r.query.has("bulk-delete")) {
      authorize({ auth, account: r.account, method, isObject: false });
      return bulkDelete(r);
    }
    if (method === "PUT" || method === "DELETE") {
      authorize({ auth, account: r.account, method, isObject: false });
      return accountMethodNotAllowed(r);
    }
    throw new ApiError(405, "The method is not allowed for this resource.", undefined, { Allow: "GET, HEAD, POST" });
  }

  // container
  if (r.object === undefined) {
    if (method === "GET" || method === "HEAD") {
      const info = await env.store.getContainer(r.account, r.container);
      const a = authorize({ auth, account: r.account, method, isObject: false, acl: info?.readAcl, referer });
      if (!info) throw new ApiError(404, "The resource could not be found.");
      return getContainer(r, a.owner, info);
    }
    const a = authorize({ auth, account: r.account, method, isObject: false });
    switch (method) {
      case "PUT":
        return putContainer(r, a.owner);
      case "POST":
        return postContainer(r, a.owner);
      case "DELETE":
        return deleteContainer(r, a.owner);
    }
    throw new ApiError(405, "The method is not allowed for this resource.", undefined, { Allow: "DELETE, GET, HEAD, POST, PUT" });
  }

  // object
  if (!OBJECT_METHODS.has(method))
    throw new ApiError(405, "The method is not allowed for this resource.", undefined, { Allow: "COPY, DELETE, GET, HEAD, POST, PUT" });
  const read = method === "GET" || method === "HEAD" || method === "COPY";
  // The owner needs no container lookup: an object exists only in an existing container.
  let owner = true;
  try {
    authorize({ auth, account: r.account, method: read ? "GET" : method, isObject: true });
  } catch {
    owner = false;
  }
  if (!owner) {
    const info = await env.store.getContainer(r.account, r.container);
    authorize({
      auth,
      account: r.account,
      method: read ? "GET" : method,
      isObject: true,
      acl: read ? info?.readAcl : info?.writeAcl,
      referer,
    });
    if (!info) throw new ApiError(404, "The resource could not be found.");
  }
  return objectMethod(r, method);
}

/** The object operation for an authorized request. */
function objectMethod(r: SwiftReq, method: string): Promise<Response> {
  switch (method) {
    case "GET":
    case "HEAD":
      return getObject(r);
    case "PUT":
      return putObject(r);
    case "POST":
      return postObject(r);
    case "DELETE":
      return deleteObject(r);
    default:
      return copyMethod(r);
  }
}
