import type { Db } from "../../core/db.ts";
import { notFound } from "../../core/errors.ts";
import { hexId } from "../../core/ids.ts";
import { splitExtra, type IdentityCtx } from "../ctx.ts";
import { extraOf } from "../model.ts";
import type { PolicyInput } from "../schemas/policies.ts";

export interface PolicyRow { id: string; type: string; blob: string; extra: string }

const KNOWN = ["type", "blob"] as const;

export const getPolicy = (db: Db, id: string) => db.get<PolicyRow>("SELECT * FROM identity_policies WHERE id = ?", id);

export function mustPolicy(db: Db, id: string): PolicyRow {
  const p = getPolicy(db, id);
  if (!p) throw notFound(`Could not find policy: ${id}.`);
  return p;
}

export function listPolicies(db: Db, q: { type?: string }): PolicyRow[] {
  return db
    .all<PolicyRow>("SELECT * FROM identity_policies ORDER BY id")
    .filter((p) => q.type === undefined || p.type === q.type);
}

export function createPolicy(ctx: IdentityCtx, input: PolicyInput & { blob: string; type: string }): PolicyRow {
  const id = hexId();
  ctx.db.run(
    "INSERT INTO identity_policies (id, type, blob, extra) VALUES (?, ?, ?, ?)",
    id,
    input.type,
    input.blob,
    JSON.stringify(splitExtra(input, KNOWN)),
  );
  return getPolicy(ctx.db, id)!;
}

export function updatePolicy(ctx: IdentityCtx, id: string, input: PolicyInput): PolicyRow {
  const { db } = ctx;
  return db.tx(() => {
    const cur = mustPolicy(db, id);
    db.run(
      "UPDATE identity_policies SET type = ?, blob = ?, extra = ? WHERE id = ?",
      input.type ?? cur.type,
      input.blob ?? cur.blob,
      JSON.stringify({ ...extraOf(cur), ...splitExtra(input, KNOWN) }),
      id,
    );
    return getPolicy(db, id)!;
  });
}

export function deletePolicy(ctx: IdentityCtx, id: string): void {
  const { db } = ctx;
  db.tx(() => {
    mustPolicy(db, id);
    db.run("DELETE FROM identity_policies WHERE id = ?", id);
  });
}
