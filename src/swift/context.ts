import type { AuthContext } from "../core/auth.ts";
import type { Clock } from "../core/clock.ts";
import type { Config } from "../core/config.ts";
import type { Ctx } from "../core/http.ts";
import type { Logger } from "../core/log.ts";
import type { IdentityClient } from "../identity/client.ts";
import type { Access } from "./authz.ts";
import type { SwiftPath } from "./path.ts";
import type { ObjectStoreClient } from "../objectstore/client.ts";
import type { KeyScope, TempUrlParams } from "./tempurl.ts";

export interface SwiftEnv {
  store: ObjectStoreClient;
  identity: IdentityClient;
  cfg: Config;
  log: Logger;
  clock: Clock;
  /** Largest object a single PUT may store (bytes). */
  maxFileSize: number;
}

/** One Swift request, as handlers see it. */
export interface SwiftReq {
  c: Ctx;
  env: SwiftEnv;
  store: ObjectStoreClient;
  path: SwiftPath;
  account: string;
  container?: string;
  object?: string;
  method: string;
  query: URLSearchParams;
  headers: Headers;
  /** The caller, when a valid token came with the request. */
  auth?: AuthContext;
  /** Set when a TempURL authorised the request. */
  tempurl?: { scope: KeyScope; params: TempUrlParams };
  now: number;
}

/** A response with Swift's usual headers; a null body for HEAD. */
export function reply(
  r: SwiftReq,
  status: number,
  body: ReadableStream<Uint8Array> | Blob | string | null,
  headers: Record<string, string> = {},
): Response {
  const h = new Headers(headers);
  if (!h.has("content-type")) h.set("content-type", "text/html; charset=UTF-8");
  if (body === null || r.method === "HEAD" || status === 204 || status === 304) {
    if (status !== 204 && status !== 304 && !h.has("content-length")) h.set("content-length", "0");
    return new Response(null, { status, headers: h });
  }
  return new Response(body, { status, headers: h });
}
