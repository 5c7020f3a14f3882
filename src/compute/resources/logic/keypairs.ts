/** Key pairs: owned by a user (not a project), unique by name per user; quota key_pairs counts per user. */
import type { Db } from "../../../core/db.ts";
import { ApiError, badRequest, conflict, notFound } from "../../../core/errors.ts";
import type { Keypair } from "../index.ts";
import { effectiveLimits, exceeds } from "./quotas.ts";
import { sshFingerprint, x509Fingerprint } from "./ssh.ts";

export interface KeypairRow {
  id: number;
  user_id: string;
  name: string;
  fingerprint: string;
  public_key: string;
  type: "ssh" | "x509";
  created_at: number;
}

export const toKeypair = (r: KeypairRow): Keypair => ({
  name: r.name,
  userId: r.user_id,
  publicKey: r.public_key,
  fingerprint: r.fingerprint,
  type: r.type,
  createdAt: new Date(r.created_at).toISOString(),
});

export function getKeypairRow(db: Db, userId: string, name: string): KeypairRow | undefined {
  return db.get<KeypairRow>("SELECT * FROM compute_resources_keypairs WHERE user_id = ? AND name = ?", userId, name);
}

export function keypairOr404(db: Db, userId: string, name: string): KeypairRow {
  const r = getKeypairRow(db, userId, name);
  if (!r) throw notFound(`Keypair ${name} not found for user ${userId}`);
  return r;
}

export function countKeypairs(db: Db, userId: string): number {
  return db.get<{ n: number }>("SELECT COUNT(*) AS n FROM compute_resources_keypairs WHERE user_id = ?", userId)!.n;
}

/** Paging (2.35): by name, after the marker's name. */
export function listKeypairs(db: Db, userId: string, opts: { limit?: number; marker?: string } = {}): KeypairRow[] {
  let after = "";
  if (opts.marker !== undefined) {
    const m = getKeypairRow(db, userId, opts.marker);
    if (!m) throw badRequest(`Marker ${opts.marker} could not be found.`);
    after = m.name;
  }
  const rows = db.all<KeypairRow>(
    `SELECT * FROM compute_resources_keypairs WHERE user_id = ? AND name > ? ORDER BY name${opts.limit !== undefined ? " LIMIT ?" : ""}`,
    ...(opts.limit !== undefined ? [userId, after, opts.limit] : [userId, after]),
  );
  return rows;
}

/** Fingerprint of imported key material; 400 when it is not a key of that type. */
export function fingerprintOf(type: "ssh" | "x509", publicKey: string): string {
  return type === "x509" ? x509Fingerprint(publicKey) : sshFingerprint(publicKey);
}

/**
 * Insert a key pair (quota and duplicate checked in the same transaction).
 * `projectId` is the project whose quota applies (the caller's).
 */
export function insertKeypair(
  db: Db,
  now: number,
  k: { userId: string; projectId: string | undefined; name: string; type: "ssh" | "x509"; publicKey: string; fingerprint: string },
): KeypairRow {
  return db.tx(() => {
    if (k.projectId) {
      const limit = effectiveLimits(db, k.projectId, k.userId).key_pairs;
      if (exceeds(limit, countKeypairs(db, k.userId) + 1)) throw new ApiError(403, "Quota exceeded, too many key pairs.");
    }
    if (getKeypairRow(db, k.userId, k.name)) throw conflict(`Key pair '${k.name}' already exists.`);
    db.run(
      `INSERT INTO compute_resources_keypairs (user_id, name, fingerprint, public_key, type, created_at)
       VALUES (?, ?, ?, ?, ?, ?)`,
      k.userId,
      k.name,
      k.fingerprint,
      k.publicKey,
      k.type,
      now,
    );
    return getKeypairRow(db, k.userId, k.name)!;
  });
}

export function deleteKeypair(db: Db, userId: string, name: string): void {
  const r = db.run("DELETE FROM compute_resources_keypairs WHERE user_id = ? AND name = ?", userId, name);
  if (!r.changes) throw notFound(`Keypair ${name} not found for user ${userId}`);
}
