/**
 * EC2 Query API XML: `<XResponse xmlns=NS><requestId>…</requestId>…</XResponse>`.
 * Lists are `<name><item>…</item></name>` (an array value); booleans are
 * `true`/`false`; undefined and null fields are left out.
 */
import type { Context } from "hono";
import type { ApiError } from "../core/errors.ts";

export const EC2_NS = "http://ec2.amazonaws.com/doc/2016-11-15/";

const esc = (s: string) =>
  s.replace(/[&<>"']/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[ch]!);

function render(name: string, v: unknown, out: string[]): void {
  if (v === undefined || v === null) return;
  if (Array.isArray(v)) {
    out.push(`<${name}>`);
    for (const item of v) {
      if (item === undefined || item === null) continue;
      if (typeof item === "object") {
        out.push("<item>");
        for (const [k, x] of Object.entries(item)) render(k, x, out);
        out.push("</item>");
      } else out.push(`<item>${esc(String(item))}</item>`);
    }
    out.push(`</${name}>`);
  } else if (typeof v === "object") {
    out.push(`<${name}>`);
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) render(k, x, out);
    out.push(`</${name}>`);
  } else {
    out.push(`<${name}>${esc(String(v))}</${name}>`);
  }
}

/** `<{action}Response xmlns=…><requestId/>…body…</{action}Response>`. */
export function ec2Xml(action: string, requestId: string, body: Record<string, unknown>): string {
  const out: string[] = [`<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="${EC2_NS}">`];
  render("requestId", requestId, out);
  for (const [k, v] of Object.entries(body)) render(k, v, out);
  out.push(`</${action}Response>`);
  return out.join("");
}

/** Also used by tests: the XML body of any element tree, as a string. */
export function xmlFragment(name: string, v: unknown): string {
  const out: string[] = [];
  render(name, v, out);
  return out.join("");
}

/** EC2's error body: `<Response><Errors><Error><Code/><Message/></Error></Errors><RequestID/></Response>`. */
export function ec2Dialect(err: ApiError, c: Context): Response {
  const code = err.type ?? (err.status === 401 ? "AuthFailure" : err.status === 404 ? "InvalidAction" : err.status >= 500 ? "InternalError" : "InvalidParameterValue");
  const rid = (c.get("requestId") as string | undefined) ?? "req-unknown";
  const body =
    `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${esc(code)}</Code>` +
    `<Message>${esc(err.message)}</Message></Error></Errors><RequestID>${esc(rid)}</RequestID></Response>`;
  const status = err.status === 404 && !err.type ? 400 : err.status;
  const res = new Response(body, { status, headers: { "content-type": "text/xml;charset=UTF-8" } });
  if (err.headers) for (const [k, v] of Object.entries(err.headers)) res.headers.set(k, v);
  return res;
}
