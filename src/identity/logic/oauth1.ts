import type { Db } from "../../core/db.ts";
import { badRequest, notFound } from "../../core/errors.ts";
import { hexId } from "../../core/ids.ts";
import { splitExtra, type IdentityCtx } from "../ctx.ts";
import { extraOf } from "../model.ts";
import type { ConsumerCreate, ConsumerUpdate } from "../schemas/oauth1.ts";

/**
 * OAuth1 consumers. The secret is kept as given (OAuth1 signs requests with
 * it, so the server must know it, as Keystone does) and shown only on create.
 */
export interface ConsumerRow { id: string; description: string | null; secret: string; extra: string }

export const getConsumer = (db: Db, id: string) =>
  db.get<ConsumerRow>("SELECT * FROM identity_oauth_consumers WHERE id = ?", id);

export function mustConsumer(db: Db, id: string): ConsumerRow {
  const r = getConsumer(db, id);
  if (!r) throw notFound("Consumer not found");
  return r;
}

export const listConsumers = (db: Db) => db.all<ConsumerRow>("SELECT * FROM identity_oauth_consumers ORDER BY rowid");

const KNOWN = ["description", "secret"] as const;

export function createConsumer(ctx: IdentityCtx, input: ConsumerCreate): ConsumerRow {
  const { db } = ctx;
  const id = hexId();
  const secret = hexId();
  db.run(
    "INSERT INTO identity_oauth_consumers (id, description, secret, extra) VALUES (?, ?, ?, ?)",
    id,
    input.description ?? null,
    secret,
    JSON.stringify(splitExtra(input, KNOWN)),
  );
  return getConsumer(db, id)!;
}

export function updateConsumer(ctx: IdentityCtx, id: string, input: ConsumerUpdate): ConsumerRow {
  const { db } = ctx;
  if (input.id !== undefined && input.id !== id)
    throw badRequest("The value of 'id' in the request body does not match the ID in the URL.");
  return db.tx(() => {
    const row = mustConsumer(db, id);
    const extra = { ...extraOf(row), ...splitExtra(input, KNOWN) };
    const description = "description" in input ? (input.description ?? null) : row.description;
    db.run(
      "UPDATE identity_oauth_consumers SET description = ?, extra = ? WHERE id = ?",
      description,
      JSON.stringify(extra),
      id,
    );
    return getConsumer(db, id)!;
  });
}

export function deleteConsumer(ctx: IdentityCtx, id: string): void {
  const { db } = ctx;
  db.tx(() => {
    mustConsumer(db, id);
    db.run("DELETE FROM identity_oauth_consumers WHERE id = ?", id);
  });
  ctx.changed();
}
