/** Account GET/HEAD (container listing and counters) and POST (metadata). */
import { ApiError } from "../../core/errors.ts";
import { type SwiftReq, reply } from "../context.ts";
import { metaFromHeaders, titleHeader, xTimestamp } from "../http.ts";
import { listingQuery, listingTime, listingType, renderListing, type ContainerRow } from "../listing.ts";

const OWNER_ONLY_META = new Set(["temp-url-key", "temp-url-key-2"]);

async function accountHeaders(r: SwiftReq, owner: boolean): Promise<Record<string, string>> {
  const a = await r.store.getAccount(r.account);
  const h: Record<string, string> = {
    "X-Account-Container-Count": String(a.containerCount),
    "X-Account-Object-Count": String(a.objectCount),
    "X-Account-Bytes-Used": String(a.bytesUsed),
    "X-Account-Storage-Policy-Policy-0-Container-Count": String(a.containerCount),
    "X-Account-Storage-Policy-Policy-0-Object-Count": String(a.objectCount),
    "X-Account-Storage-Policy-Policy-0-Bytes-Used": String(a.bytesUsed),
    "X-Timestamp": xTimestamp(a.createdAt),
    "X-Put-Timestamp": xTimestamp(a.createdAt),
  };
  for (const [k, v] of Object.entries(a.metadata)) {
    if (!owner && OWNER_ONLY_META.has(k)) continue;
    h[titleHeader("X-Account-Meta-", k)] = v;
  }
  return h;
}

export async function getAccount(r: SwiftReq, owner: boolean): Promise<Response> {
  const type = listingType(r.query.get("format") ?? undefined, r.headers.get("accept") ?? undefined);
  const headers = await accountHeaders(r, owner);
  headers["Content-Type"] = `${type}; charset=utf-8`;
  if (!r.query.has("format")) headers["Vary"] = "Accept";
  if (r.method === "HEAD") return reply(r, 204, null, headers);
  const q = listingQuery(r.query);
  const rows = await r.store.listContainers(r.account, q);
  const out: ContainerRow[] = rows.map((e) =>
    "subdir" in e
      ? { subdir: e.subdir }
      : { name: e.name, count: e.objectCount, bytes: e.bytesUsed, last_modified: listingTime(e.lastModified) },
  );
  const body = renderListing(type, "account", r.account, out);
  if (body === null) return reply(r, 204, null, headers);
  return reply(r, 200, body, headers);
}

export async function postAccount(r: SwiftReq, owner: boolean): Promise<Response> {
  if (!owner) throw new ApiError(403, "Access was denied to this resource.");
  const change = metaFromHeaders(r.headers, "account");
  const update: Record<string, string | null> = { ...change.set };
  for (const k of change.remove) update[k] = null;
  await r.store.updateAccountMetadata(r.account, update);
  return reply(r, 204, null, await accountHeaders(r, owner));
}

export function accountMethodNotAllowed(r: SwiftReq): Response {
  throw new ApiError(405, "The method is not allowed for this resource.", undefined, { Allow: "GET, HEAD, POST" });
}
