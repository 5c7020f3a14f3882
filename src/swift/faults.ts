/**
 * Swift's error dialect: swob's short HTML pages (`<html><h1>Not Found</h1><p>…</p></html>`,
 * text/html) with the status's own reason; a message given by the code replaces
 * swob's default explanation, as Swift's `HTTPBadRequest(body=...)` does.
 */
import type { Context } from "hono";
import type { ApiError } from "../core/errors.ts";
import { escapeHtml } from "../core/faults.ts";

export const SWIFT_REASONS: Record<number, [string, string]> = {
  400: ["Bad Request", "The server could not comply with the request since it is either malformed or otherwise incorrect."],
  401: ["Unauthorized", "This server could not verify that you are authorized to access the document you requested."],
  403: ["Forbidden", "Access was denied to this resource."],
  404: ["Not Found", "The resource could not be found."],
  405: ["Method Not Allowed", "The method is not allowed for this resource."],
  406: ["Not Acceptable", "The requested resource is not available in a format acceptable to your browser."],
  408: ["Request Timeout", "The server has waited too long for the request to be sent by the client."],
  409: ["Conflict", "There was a conflict when trying to complete your request."],
  411: ["Length Required", "Length Required"],
  412: ["Precondition Failed", "A precondition for this request was not met."],
  413: ["Request Entity Too Large", "The body of your request was too large for this server."],
  414: ["Request URI Too Long", "The request URI was too long for this server."],
  416: ["Requested Range Not Satisfiable", "The Range requested is not available."],
  422: ["Unprocessable Entity", "Unable to process the contained instructions"],
  499: ["Client Disconnect", "The client was disconnected during request."],
  500: ["Internal Error", "The server has either erred or is incapable of performing the requested operation."],
  501: ["Not Implemented", "The requested method is not implemented by this server."],
  503: ["Service Unavailable", "The server is currently unavailable. Please try again at a later time."],
};

/** Messages that are only the generic wording of core helpers: swob's explanation reads better. */
const GENERIC = new Set([
  "The request you have made requires authentication.",
  "You are not authorized to perform the requested action.",
  "The resource could not be found.",
]);

export function swiftErrorBody(status: number, message?: string): string {
  const [title, explanation] = SWIFT_REASONS[status] ?? ["Error", ""];
  const text = message && !GENERIC.has(message) ? message : explanation;
  return `<html><h1>${title}</h1><p>${escapeHtml(text)}</p></html>`;
}

export const swiftDialect = (err: ApiError, c: Context): Response => {
  const res = c.html(swiftErrorBody(err.status, err.message), err.status as any);
  if (err.headers) for (const [k, v] of Object.entries(err.headers)) res.headers.set(k, v);
  return res;
};
