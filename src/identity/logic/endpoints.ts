import type { Db } from "../../core/db.ts";
import { badRequest, notFound } from "../../core/errors.ts";
import { hexId } from "../../core/ids.ts";
import { splitExtra, type IdentityCtx } from "../ctx.ts";
import { extraOf } from "../model.ts";
import type { EndpointInput } from "../schemas/endpoints.ts";
import { ensureRegion, getRegion, regionSubtree } from "./regions.ts";
import { getService } from "./services.ts";

export interface EndpointRow {
  id: string; service_id: string; interface: string; region_id: string | null; url: string; enabled: number;
  extra: string;
}

const KNOWN = ["service_id", "interface", "url", "region_id", "region", "enabled"] as const;

export const getEndpoint = (db: Db, id: string) =>
  db.get<EndpointRow>("SELECT * FROM identity_endpoints WHERE id = ?", id);

export function mustEndpoint(db: Db, id: string): EndpointRow {
  const e = getEndpoint(db, id);
  if (!e) throw notFound(`Could not find endpoint: ${id}.`);
  return e;
}

export interface EndpointFilter {
  interface?: string;
  service_id?: string;
  /** Matches endpoints in this region and in its child regions, as Keystone does. */
  region_id?: string | null;
  enabled?: boolean;
}

export function listEndpoints(db: Db, q: EndpointFilter): EndpointRow[] {
  const regions = q.region_id ? new Set(regionSubtree(db, q.region_id)) : undefined;
  return db
    .all<EndpointRow>("SELECT * FROM identity_endpoints ORDER BY service_id, interface, id")
    .filter(
      (e) =>
        (q.interface === undefined || e.interface === q.interface) &&
        (q.service_id === undefined || e.service_id === q.service_id) &&
        (q.region_id === undefined || (regions ? !!e.region_id && regions.has(e.region_id) : e.region_id === null)) &&
        (q.enabled === undefined || !!e.enabled === q.enabled),
    );
}

/**
 * The region an endpoint write asks for: `region_id` must name an existing
 * region (400 otherwise); the legacy `region` alone creates the region when
 * it is missing, as Keystone does. `undefined` = not mentioned.
 */
function resolveRegion(db: Db, input: EndpointInput): string | null | undefined {
  if (input.region_id === undefined || input.region_id === null) {
    if (input.region !== undefined && input.region !== null) {
      ensureRegion(db, input.region);
      return input.region;
    }
    return input.region_id === null || input.region === null ? null : undefined;
  }
  if (!getRegion(db, input.region_id))
    throw badRequest(
      "Expecting to find endpoint region_id in region table. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.",
    );
  return input.region_id;
}

function assertService(db: Db, serviceId: string): void {
  if (!getService(db, serviceId))
    throw badRequest(
      "Expecting to find endpoint service_id in service table. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.",
    );
}

export function createEndpoint(
  ctx: IdentityCtx,
  input: EndpointInput & { service_id: string; interface: string; url: string },
): EndpointRow {
  const { db } = ctx;
  const id = hexId();
  const row = db.tx(() => {
    assertService(db, input.service_id);
    const region = resolveRegion(db, input) ?? null;
    db.run(
      "INSERT INTO identity_endpoints (id, service_id, interface, region_id, url, enabled, extra) VALUES (?, ?, ?, ?, ?, ?, ?)",
      id,
      input.service_id,
      input.interface,
      region,
      input.url,
      input.enabled === false ? 0 : 1,
      JSON.stringify(splitExtra(input, KNOWN)),
    );
    return getEndpoint(db, id)!;
  });
  ctx.changed();
  return row;
}

export function updateEndpoint(ctx: IdentityCtx, id: string, input: EndpointInput): EndpointRow {
  const { db } = ctx;
  const row = db.tx(() => {
    const cur = mustEndpoint(db, id);
    if (input.service_id !== undefined) assertService(db, input.service_id);
    const region = resolveRegion(db, input);
    db.run(
      "UPDATE identity_endpoints SET service_id = ?, interface = ?, region_id = ?, url = ?, enabled = ?, extra = ? WHERE id = ?",
      input.service_id ?? cur.service_id,
      input.interface ?? cur.interface,
      region === undefined ? cur.region_id : region,
      input.url ?? cur.url,
      input.enabled !== undefined ? (input.enabled ? 1 : 0) : cur.enabled,
      JSON.stringify({ ...extraOf(cur), ...splitExtra(input, KNOWN) }),
      id,
    );
    return getEndpoint(db, id)!;
  });
  ctx.changed();
  return row;
}

export function deleteEndpoint(ctx: IdentityCtx, id: string): void {
  const { db } = ctx;
  db.tx(() => {
    mustEndpoint(db, id);
    db.run("DELETE FROM identity_endpoints WHERE id = ?", id);
  });
  ctx.changed();
}
