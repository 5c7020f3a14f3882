import type { Db } from "../../core/db.ts";
import { notFound } from "../../core/errors.ts";
import { hexId } from "../../core/ids.ts";
import { splitExtra, type IdentityCtx } from "../ctx.ts";
import { extraOf } from "../model.ts";
import type { ServiceInput } from "../schemas/services.ts";

export interface ServiceRow {
  id: string; type: string; name: string | null; description: string | null; enabled: number; extra: string;
  managed: string | null;
}

const KNOWN = ["type", "name", "description", "enabled"] as const;

export const getService = (db: Db, id: string) =>
  db.get<ServiceRow>("SELECT * FROM identity_services WHERE id = ?", id);

export function mustService(db: Db, id: string): ServiceRow {
  const s = getService(db, id);
  if (!s) throw notFound(`Could not find service: ${id}.`);
  return s;
}

export function listServices(db: Db, q: { type?: string; name?: string }): ServiceRow[] {
  return db
    .all<ServiceRow>("SELECT * FROM identity_services ORDER BY type, id")
    .filter((s) => (q.type === undefined || s.type === q.type) && (q.name === undefined || (s.name ?? "") === q.name));
}

export function createService(ctx: IdentityCtx, input: ServiceInput & { type: string }): ServiceRow {
  const id = hexId();
  ctx.db.run(
    "INSERT INTO identity_services (id, type, name, description, enabled, extra) VALUES (?, ?, ?, ?, ?, ?)",
    id,
    input.type,
    input.name ?? "",
    input.description ?? null,
    input.enabled === false ? 0 : 1,
    JSON.stringify(splitExtra(input, KNOWN)),
  );
  ctx.changed();
  return getService(ctx.db, id)!;
}

export function updateService(ctx: IdentityCtx, id: string, input: ServiceInput): ServiceRow {
  const { db } = ctx;
  const row = db.tx(() => {
    const cur = mustService(db, id);
    db.run(
      "UPDATE identity_services SET type = ?, name = ?, description = ?, enabled = ?, extra = ? WHERE id = ?",
      input.type ?? cur.type,
      input.name !== undefined ? input.name : cur.name,
      input.description !== undefined ? input.description : cur.description,
      input.enabled !== undefined ? (input.enabled ? 1 : 0) : cur.enabled,
      JSON.stringify({ ...extraOf(cur), ...splitExtra(input, KNOWN) }),
      id,
    );
    return getService(db, id)!;
  });
  ctx.changed();
  return row;
}

/** Delete a service and (foreign-key cascade) its endpoints. */
export function deleteService(ctx: IdentityCtx, id: string): void {
  const { db } = ctx;
  db.tx(() => {
    mustService(db, id);
    db.run("DELETE FROM identity_endpoints WHERE service_id = ?", id);
    db.run("DELETE FROM identity_services WHERE id = ?", id);
  });
  ctx.changed();
}
