/** What every dashboard page handler shares: the session, the OpenStack client, form parsing and redirects. */
import type { Context, Hono } from "hono";
import type { ZodType } from "zod";
import { ApiError } from "../core/errors.ts";
import type { Logger } from "../core/log.ts";
import { parse } from "../core/validate.ts";
import { Os, OsError } from "./os.ts";
import type { Session, Sessions } from "./session.ts";

export interface DashEnv {
  Variables: { requestId: string; session: Session; os: Os };
}
export type DCtx = Context<DashEnv>;
export type DApp = Hono<DashEnv>;

export interface Dash {
  identityUrl: string;
  sessions: Sessions;
  log: Logger;
}

export type FormValue = string | File | (string | File)[];

/** The parsed form (urlencoded or multipart), cached by hono so the CSRF check and the handler share it. */
export async function form(c: DCtx): Promise<Record<string, FormValue>> {
  return (await c.req.parseBody({ all: true })) as Record<string, FormValue>;
}

/** Validate a form with zod; the failure is an ApiError(400) whose message names the field. */
export async function formOf<T extends ZodType>(c: DCtx, schema: T): Promise<import("zod").infer<T>> {
  return parse(schema, await form(c));
}

const wantsJson = (c: DCtx) => c.req.header("x-requested-with") === "XMLHttpRequest";

/** After a successful POST: flash a message and redirect (303, so a reload does not re-post). */
export function done(c: DCtx, to: string, text: string) {
  // The flash is kept for XHR too: the upload script navigates to `redirect`, where it shows.
  c.get("session").flash = { kind: "ok", text };
  if (wantsJson(c)) return c.json({ ok: true, redirect: to, message: text });
  return c.redirect(to, 303);
}

/** A readable message for whatever went wrong (never a stack trace). */
export function readable(e: unknown, log: Logger): string {
  if (e instanceof OsError || e instanceof ApiError) return e.message;
  log.error(`dashboard: ${(e as Error)?.stack ?? String(e)}`);
  return "Something went wrong while talking to the cloud. The details are in the server log.";
}

/** Run a form action: on any failure, go back to `back` with the error as a flash (or JSON for XHR). */
export async function action(c: DCtx, d: Dash, back: string, fn: () => Promise<Response>): Promise<Response> {
  try {
    return await fn();
  } catch (e) {
    const msg = readable(e, d.log);
    if (wantsJson(c)) return c.json({ error: msg }, e instanceof OsError || e instanceof ApiError ? (e.status as 400) : 500);
    c.get("session").flash = { kind: "error", text: msg };
    return c.redirect(back, 303);
  }
}

/** An upload, streamed or not: the progress-bar script sends the file as the raw body (fields in the query, CSRF in a header),
 * so a large image goes to Glance/Swift without being held in memory; a browser without JavaScript posts the multipart form. */
export interface Upload {
  fields: Record<string, string>;
  body: ReadableStream | Blob;
  name: string;
  type: string;
  size?: number;
}

export async function uploadOf(c: DCtx): Promise<Upload | undefined> {
  const ct = c.req.header("content-type") ?? "";
  if (ct.startsWith("application/octet-stream")) {
    const q = c.req.query();
    const len = c.req.header("content-length");
    if (!c.req.raw.body || len === "0") return undefined;
    return { fields: q, body: c.req.raw.body, name: q.filename ?? "", type: q.filetype || "application/octet-stream", size: len ? Number(len) : undefined };
  }
  const f = await form(c);
  const fields: Record<string, string> = {};
  for (const [k, v] of Object.entries(f)) if (k !== "file") fields[k] = str(v);
  const file = Array.isArray(f.file) ? f.file[0] : f.file;
  if (!(file instanceof File) || file.size === 0 && !file.name) return { fields, body: new Blob([]), name: "", type: "", size: -1 };
  return { fields, body: file, name: file.name, type: file.type || "application/octet-stream", size: file.size };
}

export const str = (v: FormValue | undefined): string => (Array.isArray(v) ? String(v[0] ?? "") : typeof v === "string" ? v : "");
export const list = (v: FormValue | undefined): string[] =>
  v === undefined ? [] : (Array.isArray(v) ? v : [v]).filter((x): x is string => typeof x === "string" && x !== "");
export const enc = encodeURIComponent;
