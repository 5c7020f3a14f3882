/**
 * Bulk delete (`POST /v1/<account>?bulk-delete`, body: newline-separated,
 * URL-quoted `/container/object` or `/container` paths). Always 200; the
 * outcome is in the body (plain, JSON or XML per Accept), as Swift's bulk
 * middleware answers. Objects go first, then containers.
 */
import { ApiError } from "../../core/errors.ts";
import { escapeHtml } from "../../core/faults.ts";
import { authorize } from "../authz.ts";
import { type SwiftReq, reply } from "../context.ts";
import { SWIFT_REASONS } from "../faults.ts";

export const MAX_DELETES_PER_REQUEST = 10000;
export const MAX_FAILED_DELETES = 1000;
const MAX_PATH_LENGTH = 256 + 1024 + 2;

const ACCEPTABLE = ["text/plain", "application/json", "application/xml", "text/xml"] as const;
export type OutType = (typeof ACCEPTABLE)[number];

/** swob's best_match over the bulk formats; text/plain when the header is absent or useless. */
export function bulkOutType(accept: string | null): OutType {
  if (!accept) return "text/plain";
  const ranges = accept
    .split(",")
    .map((p, i) => {
      const [mt, ...params] = p.trim().split(";");
      const q = params.map((x) => x.trim().split("=")).find(([k]) => k === "q");
      return { mt: (mt ?? "").trim().toLowerCase(), q: q ? Number(q[1]) : 1, i };
    })
    .filter((r) => r.mt && r.q > 0)
    .sort((a, b) => b.q - a.q || a.i - b.i);
  for (const r of ranges) {
    const [t, s] = r.mt.split("/");
    for (const o of ACCEPTABLE) {
      const [ot, os] = o.split("/");
      if ((t === "*" || t === ot) && (s === "*" || s === os)) return o;
    }
  }
  return "text/plain";
}

export const statusLine = (code: number) => `${code} ${SWIFT_REASONS[code]?.[0] ?? (code === 200 ? "OK" : "")}`.trim();

export interface BulkResult {
  "Response Status": string;
  "Response Body": string;
  "Number Deleted": number;
  "Number Not Found": number;
  [k: string]: string | number;
}

/** Swift's get_heartbeat_response_body. */
export function bulkBody(type: OutType, data: Record<string, string | number>, errors: [string, string][], root: string): string {
  if (type === "application/json") return JSON.stringify({ ...data, Errors: errors });
  const keys = Object.keys(data).sort();
  if (type.endsWith("/xml")) {
    const out = [`<${root}>\n`];
    for (const k of keys) {
      const x = k.replaceAll(" ", "_").toLowerCase();
      out.push(`<${x}>${escapeHtml(String(data[k]))}</${x}>\n`);
    }
    out.push("<errors>\n");
    for (const [n, s] of errors) out.push(`<object><name>${escapeHtml(n)}</name><status>${escapeHtml(s)}</status></object>\n`);
    out.push(`</errors>\n</${root}>\n`);
    return out.join("");
  }
  return keys.map((k) => `${k}: ${data[k]}\n`).join("") + "Errors:\n" + errors.map(([n, s]) => `${n}, ${s}\n`).join("");
}

const quotePath = (s: string) => encodeURI(s);

/** Delete one `/container[/object]` path on behalf of the caller: the HTTP status it would have answered. */
async function deleteOne(r: SwiftReq, path: string): Promise<number> {
  const p = path.replace(/^\/+/, "");
  const i = p.indexOf("/");
  const container = i < 0 ? p : p.slice(0, i);
  const object = i < 0 ? "" : p.slice(i + 1);
  try {
    const info = await r.store.getContainer(r.account, container);
    authorize({ auth: r.auth, account: r.account, method: "DELETE", isObject: !!object, acl: object ? info?.writeAcl : undefined });
    if (!info) return 404;
    if (!object) {
      await r.store.deleteContainer(r.account, container);
      return 204;
    }
    return (await r.store.deleteObject(r.account, container, object)) ? 204 : 404;
  } catch (e) {
    if (e instanceof ApiError) return e.status;
    throw e;
  }
}

export async function runBulkDelete(
  r: SwiftReq,
  names: { name: string; error?: { code: number; message: string } }[],
  type: OutType,
): Promise<Response> {
  const result: BulkResult = { "Response Status": "200 OK", "Response Body": "", "Number Deleted": 0, "Number Not Found": 0 };
  const failed: [string, string][] = [];
  const isObj = (n: string) => n.replace(/^\/+|\/+$/g, "").includes("/");
  let failedStatus = 400;
  outer: for (const pass of [true, false]) {
    for (const item of names) {
      if (!item.name || isObj(item.name) !== pass) continue;
      if (item.error) {
        if (item.error.code === 404) result["Number Not Found"]++;
        else failed.push([quotePath(item.name), item.error.message]);
        continue;
      }
      const status = await deleteOne(r, item.name);
      if (status >= 200 && status < 300) result["Number Deleted"]++;
      else if (status === 404) result["Number Not Found"]++;
      else {
        if (status >= 500) failedStatus = 502;
        failed.push([quotePath(item.name), statusLine(status)]);
      }
      if (failed.length >= MAX_FAILED_DELETES) {
        result["Response Status"] = statusLine(400);
        result["Response Body"] = "Max delete failures exceeded";
        break outer;
      }
    }
  }
  if (failed.length && result["Response Body"] === "") result["Response Status"] = failedStatus === 502 ? "502 Bad Gateway" : statusLine(400);
  else if (!failed.length && !(result["Number Deleted"] || result["Number Not Found"])) {
    result["Response Status"] = statusLine(400);
    result["Response Body"] = "Invalid bulk delete.";
  }
  return reply(r, 200, bulkBody(type, result, failed, "delete"), { "Content-Type": `${type}; charset=utf-8` });
}

export async function bulkDelete(r: SwiftReq): Promise<Response> {
  const type = bulkOutType(r.headers.get("accept"));
  const ct = r.headers.get("content-type");
  if (ct && !ct.startsWith("text/plain")) throw new ApiError(406, "Bulk delete takes a text/plain list of names.");
  const text = await r.c.req.text();
  const names: { name: string }[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line) continue;
    if (line.length > MAX_PATH_LENGTH * 2) throw new ApiError(400, "Invalid File Name");
    let name: string;
    try {
      name = decodeURIComponent(line.replaceAll("+", "%2B"));
    } catch {
      name = line;
    }
    names.push({ name });
    if (names.length > MAX_DELETES_PER_REQUEST)
      throw new ApiError(413, `Maximum Bulk Deletes: ${MAX_DELETES_PER_REQUEST} per request`);
  }
  return runBulkDelete(r, names, type);
}
