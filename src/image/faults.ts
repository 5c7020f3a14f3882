/**
 * Glance's error bodies are webob's: the format follows the Accept header —
 * `application/json` gets `{"message", "code": "404 Not Found", "title"}`,
 * `text/html` (and `*∕*`, webob's first offer) an HTML page, anything else
 * plain text. openstacksdk reads `message` from JSON and strips tags from HTML;
 * glanceclient and Tempest only need the status.
 */
import type { Context } from "hono";
import { ApiError, REASONS } from "../core/errors.ts";
import { escapeHtml, type Dialect } from "../core/faults.ts";

export function prefers(accept: string): "json" | "html" | "plain" {
  if (!accept.trim()) return "html";
  let best: { kind: "json" | "html" | "plain"; q: number } = { kind: "plain", q: 0 };
  for (const part of accept.split(",")) {
    const [type, ...params] = part.trim().toLowerCase().split(";");
    const qp = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
    const q = qp ? Number(qp.slice(2)) || 0 : 1;
    let kind: "json" | "html" | undefined;
    if (type === "application/json") kind = "json";
    else if (type === "text/html" || type === "text/*" || type === "*/*") kind = "html";
    else if (type === "application/*") kind = "json";
    if (kind && q > best.q) best = { kind, q };
  }
  return best.kind;
}

export const glanceDialect: Dialect = (err: ApiError, c: Context) => {
  const title = REASONS[err.status] ?? "Error";
  const status = `${err.status} ${title}`;
  const kind = prefers(c.req.header("accept") ?? "");
  let res: Response;
  if (kind === "json") {
    res = new Response(JSON.stringify({ message: err.message, code: status, title }), {
      status: err.status,
      headers: { "content-type": "application/json" },
    });
  } else if (kind === "html") {
    res = new Response(
      `<html>\n <head>\n  <title>${status}</title>\n </head>\n <body>\n  <h1>${status}</h1>\n  ${escapeHtml(err.message)}<br /><br />\n\n\n\n </body>\n</html>`,
      { status: err.status, headers: { "content-type": "text/html; charset=UTF-8" } },
    );
  } else {
    res = new Response(`${status}\n\n${err.message}\n\n   `, { status: err.status, headers: { "content-type": "text/plain; charset=UTF-8" } });
  }
  if (err.headers) for (const [k, v] of Object.entries(err.headers)) res.headers.set(k, v);
  if (err.status === 401 && !res.headers.has("www-authenticate")) res.headers.set("WWW-Authenticate", 'Keystone uri=""');
  return res;
};
