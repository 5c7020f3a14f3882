/** Container PUT/GET/HEAD/POST/DELETE: listings, counters, metadata and ACLs. */
import { ApiError } from "../../core/errors.ts";
import type { ContainerInfo } from "../../objectstore/client.ts";
import { cleanAcl } from "../acl.ts";
import { type SwiftReq, reply } from "../context.ts";
import { httpDate, metaFromHeaders, titleHeader, xTimestamp } from "../http.ts";
import { listingQuery, listingTime, listingType, renderListing, type ObjectRow } from "../listing.ts";
import { checkContainerName } from "../path.ts";

export const POLICY = "Policy-0";
const OWNER_ONLY_META = new Set(["temp-url-key", "temp-url-key-2"]);

export const containerNotFound = () => new ApiError(404, "The resource could not be found.", "NoSuchBucket");

export async function mustContainer(r: SwiftReq, name = r.container!): Promise<ContainerInfo> {
  const info = await r.store.getContainer(r.account, name);
  if (!info) throw containerNotFound();
  return info;
}

function containerHeaders(info: ContainerInfo, owner: boolean): Record<string, string> {
  const h: Record<string, string> = {
    "X-Container-Object-Count": String(info.objectCount),
    "X-Container-Bytes-Used": String(info.bytesUsed),
    "X-Timestamp": xTimestamp(info.createdAt),
    "X-Put-Timestamp": xTimestamp(info.lastModified ?? info.createdAt),
    "X-Storage-Policy": POLICY,
    "Last-Modified": httpDate(info.lastModified ?? info.createdAt),
    "Accept-Ranges": "bytes",
  };
  for (const [k, v] of Object.entries(info.metadata)) {
    if (!owner && OWNER_ONLY_META.has(k)) continue;
    h[titleHeader("X-Container-Meta-", k)] = v;
  }
  if (owner) {
    if (info.readAcl) h["X-Container-Read"] = info.readAcl;
    if (info.writeAcl) h["X-Container-Write"] = info.writeAcl;
  }
  return h;
}

/** ACL headers of a PUT/POST, cleaned; only the owner may set them. */
function aclChanges(r: SwiftReq, owner: boolean): { readAcl?: string | null; writeAcl?: string | null } {
  const out: { readAcl?: string | null; writeAcl?: string | null } = {};
  if (!owner) return out;
  for (const [h, key] of [
    ["x-container-read", "readAcl"],
    ["x-container-write", "writeAcl"],
  ] as const) {
    if (r.headers.get(`x-remove-${h.slice(2)}`) !== null) out[key] = null;
    const v = r.headers.get(h);
    if (v !== null) {
      const cleaned = cleanAcl(h, v);
      out[key] = cleaned === "" ? null : cleaned;
    }
  }
  return out;
}

function checkPolicy(r: SwiftReq): void {
  const p = r.headers.get("x-storage-policy");
  if (p !== null && p.trim().toLowerCase() !== POLICY.toLowerCase())
    throw new ApiError(400, `Invalid X-Storage-Policy '${p}'`);
}

export async function putContainer(r: SwiftReq, owner: boolean): Promise<Response> {
  if (!owner) throw new ApiError(403, "Access was denied to this resource.");
  checkContainerName(r.container!);
  checkPolicy(r);
  const change = metaFromHeaders(r.headers, "container");
  const acl = aclChanges(r, owner);
  const created = await r.store.createContainer(r.account, r.container!, {
    metadata: change.set,
    readAcl: acl.readAcl ?? undefined,
    writeAcl: acl.writeAcl ?? undefined,
  });
  if (!created) {
    // an existing container: what was given was applied; removals still need doing
    const metadata: Record<string, string | null> = { ...change.set };
    for (const k of change.remove) metadata[k] = null;
    if (change.remove.length || acl.readAcl === null || acl.writeAcl === null)
      await r.store.updateContainer(r.account, r.container!, { metadata, ...acl });
  }
  return reply(r, created ? 201 : 202, null);
}

export async function getContainer(r: SwiftReq, owner: boolean, info: ContainerInfo): Promise<Response> {
  const type = listingType(r.query.get("format") ?? undefined, r.headers.get("accept") ?? undefined);
  const headers = containerHeaders(info, owner);
  headers["Content-Type"] = `${type}; charset=utf-8`;
  if (!r.query.has("format")) headers["Vary"] = "Accept";
  if (r.method === "HEAD") return reply(r, 204, null, headers);
  const q = listingQuery(r.query);
  const rows = await r.store.listObjects(r.account, r.container!, q);
  const out: ObjectRow[] = rows.map((e) =>
    "subdir" in e
      ? { subdir: e.subdir }
      : { name: e.name, hash: e.etag, bytes: e.bytes, content_type: e.contentType, last_modified: listingTime(e.lastModified) },
  );
  const body = renderListing(type, "container", r.container!, out);
  if (body === null) return reply(r, 204, null, headers);
  return reply(r, 200, body, headers);
}

export async function postContainer(r: SwiftReq, owner: boolean): Promise<Response> {
  if (!owner) throw new ApiError(403, "Access was denied to this resource.");
  await mustContainer(r);
  const change = metaFromHeaders(r.headers, "container");
  const metadata: Record<string, string | null> = { ...change.set };
  for (const k of change.remove) metadata[k] = null;
  await r.store.updateContainer(r.account, r.container!, { metadata, ...aclChanges(r, owner) });
  return reply(r, 204, null);
}

export async function deleteContainer(r: SwiftReq, owner: boolean): Promise<Response> {
  if (!owner) throw new ApiError(403, "Access was denied to this resource.");
  await r.store.deleteContainer(r.account, r.container!);
  return reply(r, 204, null);
}
