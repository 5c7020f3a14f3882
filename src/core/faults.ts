import type { Context } from "hono";
import { ApiError, REASONS } from "./errors.ts";

/** How one API renders an ApiError: the body its real clients parse. */
export type Dialect = (err: ApiError, c: Context) => Response;

function withHeaders(res: Response, err: ApiError): Response {
  if (err.headers) for (const [k, v] of Object.entries(err.headers)) res.headers.set(k, v);
  return res;
}

/** Keystone: `{"error": {"code": 404, "title": "Not Found", "message": "..."}}`. */
export const keystoneDialect: Dialect = (err, c) => {
  const res = c.json(
    { error: { code: err.status, title: REASONS[err.status] ?? "Error", message: err.message } },
    err.status as any,
  );
  if (err.status === 401 && !err.headers?.["WWW-Authenticate"]) {
    const host = c.req.header("host") ?? "localhost";
    res.headers.set("WWW-Authenticate", `Keystone uri="${new URL(c.req.url).protocol}//${host}"`);
  }
  return withHeaders(res, err);
};

const NOVA_KEYS: Record<number, string> = {
  400: "badRequest",
  401: "unauthorized",
  403: "forbidden",
  404: "itemNotFound",
  405: "badMethod",
  406: "notAcceptable",
  409: "conflictingRequest",
  413: "overLimit",
  415: "badMediaType",
  429: "overLimit",
  501: "notImplemented",
  503: "serviceUnavailable",
};

/** Nova and Cinder: `{"itemNotFound": {"code": 404, "message": "..."}}`. */
export const novaDialect: Dialect = (err, c) =>
  withHeaders(
    c.json(
      { [NOVA_KEYS[err.status] ?? "computeFault"]: { code: err.status, message: err.message } },
      err.status as any,
    ),
    err,
  );

/** Neutron: `{"NeutronError": {"type": "NetworkNotFound", "message": "...", "detail": ""}}`. */
export const neutronDialect: Dialect = (err, c) =>
  withHeaders(
    c.json(
      {
        NeutronError: {
          type: err.type ?? (REASONS[err.status] ?? "Error").replaceAll(" ", ""),
          message: err.message,
          detail: "",
        },
      },
      err.status as any,
    ),
    err,
  );

/** Glance and Swift: a short plain-text/HTML body. */
export const textDialect: Dialect = (err, c) => {
  const title = REASONS[err.status] ?? "Error";
  return withHeaders(
    c.html(`<html><h1>${title}</h1><p>${escapeHtml(err.message)}</p></html>`, err.status as any),
    err,
  );
};

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}
