import { createHash } from "node:crypto";
import type { AuthContext } from "../../core/auth.ts";
import type { Db } from "../../core/db.ts";
import { badRequest, conflict, forbidden, notFound } from "../../core/errors.ts";
import { hexId } from "../../core/ids.ts";
import { isAdmin, isReader } from "../../core/policy.ts";
import { splitExtra, type IdentityCtx } from "../ctx.ts";
import { extraOf, getUser } from "../model.ts";
import type { CredentialInput } from "../schemas/credentials.ts";

export interface CredentialRow {
  id: string; user_id: string; project_id: string | null; type: string; blob: string; access_key: string | null;
  extra: string;
}

const KNOWN = ["user_id", "project_id", "type", "blob"] as const;

/** Keystone's id of an EC2 credential: the hex SHA-256 of its access key. */
export const hashAccessKey = (access: string) => createHash("sha256").update(access, "utf8").digest("hex");

export const getCredential = (db: Db, id: string) =>
  db.get<CredentialRow>("SELECT * FROM identity_credentials WHERE id = ?", id);

/** Admins and system readers see every credential; others only their own. */
export const mayReadCredential = (a: AuthContext, c: { user_id: string }) =>
  isAdmin(a) || (!!a.system && isReader(a)) || a.userId === c.user_id;
export const mayWriteCredential = (a: AuthContext, c: { user_id: string }) => isAdmin(a) || a.userId === c.user_id;

/**
 * Tokens issued through an application credential are bound to its project:
 * they may only reach credentials of that project (Keystone's delegation check).
 */
export function checkDelegatedScope(a: AuthContext, projectId: string | null | undefined): void {
  if (a.appCredId && projectId !== a.projectId)
    throw forbidden(
      "You are not authorized to perform the requested action: Credential project does not match the project scope of the delegated token.",
    );
}

/** Restricted application credentials may not mint further credentials. */
export function checkUnrestricted(db: Db, a: AuthContext, what = "credentials"): void {
  if (!a.appCredId) return;
  const ac = db.get<{ unrestricted: number }>("SELECT unrestricted FROM identity_app_creds WHERE id = ?", a.appCredId);
  if (!ac?.unrestricted)
    throw forbidden(
      `You are not authorized to perform the requested action: Using method 'application_credential' is not allowed for managing additional ${what}.`,
    );
}

/** Get a credential the caller may read: 404 for admins when absent, 403 for others (Keystone's order). */
export function mustReadableCredential(db: Db, a: AuthContext, id: string, write = false): CredentialRow {
  const c = getCredential(db, id);
  const ok = c && (write ? mayWriteCredential(a, c) : mayReadCredential(a, c));
  if (!c) {
    if (isAdmin(a) || (!write && a.system && isReader(a))) throw notFound(`Could not find credential: ${id}.`);
    throw forbidden();
  }
  if (!ok) throw forbidden();
  checkDelegatedScope(a, c.project_id);
  return c;
}

/** The blob of an ec2 credential must be a JSON object with an `access` key. */
export function ec2Blob(blob: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(blob);
  } catch {
    throw badRequest("Invalid blob in credential");
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed) || !Object.keys(parsed).length)
    throw badRequest(
      "Expecting to find blob in credential. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.",
    );
  const b = parsed as Record<string, unknown>;
  if (b.access === undefined || b.access === null)
    throw badRequest(
      "Expecting to find access in credential. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.",
    );
  return b;
}

export function listCredentials(db: Db, a: AuthContext, q: { user_id?: string; type?: string }): CredentialRow[] {
  return db
    .all<CredentialRow>("SELECT * FROM identity_credentials ORDER BY id")
    .filter(
      (c) =>
        (q.user_id === undefined || c.user_id === q.user_id) &&
        (q.type === undefined || c.type === q.type) &&
        mayReadCredential(a, c) &&
        (!a.appCredId || c.project_id === a.projectId),
    );
}

export interface NewCredential {
  id: string;
  userId: string;
  projectId: string | null;
  type: string;
  blob: string;
  accessKey: string | null;
  extra?: Record<string, unknown>;
}

/** Insert a credential row; a taken id or access key is a 409. */
export function insertCredential(db: Db, c: NewCredential): CredentialRow {
  return db.tx(() => {
    if (!getUser(db, c.userId)) throw notFound(`Could not find user: ${c.userId}.`);
    if (getCredential(db, c.id))
      throw conflict(`Conflict occurred attempting to store credential - Duplicate entry found with ID ${c.id}.`);
    if (c.accessKey && db.get("SELECT 1 AS x FROM identity_credentials WHERE access_key = ?", c.accessKey))
      throw conflict("Conflict occurred attempting to store credential - Duplicate access key.");
    db.run(
      "INSERT INTO identity_credentials (id, user_id, project_id, type, blob, access_key, extra) VALUES (?, ?, ?, ?, ?, ?, ?)",
      c.id,
      c.userId,
      c.projectId,
      c.type,
      c.blob,
      c.accessKey,
      JSON.stringify(c.extra ?? {}),
    );
    return getCredential(db, c.id)!;
  });
}

export function createCredential(
  ctx: IdentityCtx,
  a: AuthContext,
  input: CredentialInput & { blob: string; type: string; user_id: string },
): CredentialRow {
  if (!mayWriteCredential(a, input)) throw forbidden();
  checkDelegatedScope(a, input.project_id);
  let id = hexId();
  let blob = input.blob;
  let accessKey: string | null = null;
  if (input.type.toLowerCase() === "ec2") {
    checkUnrestricted(ctx.db, a);
    const b = ec2Blob(blob);
    accessKey = String(b.access);
    id = hashAccessKey(accessKey);
    // A credential made through an application credential stays bound to it (as Keystone does).
    if (a.appCredId) {
      b.app_cred_id = a.appCredId;
      blob = JSON.stringify(b);
    }
  }
  return insertCredential(ctx.db, {
    id,
    userId: input.user_id,
    projectId: input.project_id ?? null,
    type: input.type,
    blob,
    accessKey,
    extra: splitExtra(input, KNOWN),
  });
}

export function updateCredential(ctx: IdentityCtx, a: AuthContext, id: string, input: CredentialInput): CredentialRow {
  const { db } = ctx;
  if (input.id !== undefined && input.id !== id) throw badRequest("Cannot change the ID of a credential.");
  return db.tx(() => {
    const cur = mustReadableCredential(db, a, id, true);
    const type = input.type ?? cur.type;
    const userId = input.user_id ?? cur.user_id;
    const projectId = input.project_id !== undefined ? input.project_id : cur.project_id;
    const blob = input.blob ?? cur.blob;
    // The owner may not hand the credential to someone else (Keystone checks the merged target too).
    if (!mayWriteCredential(a, { user_id: userId })) throw forbidden();
    if (input.user_id !== undefined && !getUser(db, userId)) throw notFound(`Could not find user: ${userId}.`);
    let accessKey: string | null = null;
    if (type.toLowerCase() === "ec2") {
      const nb = ec2Blob(blob);
      if (cur.type.toLowerCase() === "ec2") {
        const ob = (() => {
          try {
            return JSON.parse(cur.blob) as Record<string, unknown>;
          } catch {
            return {};
          }
        })();
        for (const k of ["trust_id", "app_cred_id", "access_token_id", "access_id"])
          if ((ob[k] ?? null) !== (nb[k] ?? null)) throw badRequest(`${k} can not be updated for credential`);
      }
      accessKey = String(nb.access);
      if (db.get("SELECT 1 AS x FROM identity_credentials WHERE access_key = ? AND id <> ?", accessKey, id))
        throw conflict("Conflict occurred attempting to store credential - Duplicate access key.");
    }
    db.run(
      "UPDATE identity_credentials SET user_id = ?, project_id = ?, type = ?, blob = ?, access_key = ?, extra = ? WHERE id = ?",
      userId,
      projectId,
      type,
      blob,
      accessKey,
      JSON.stringify({ ...extraOf(cur), ...splitExtra(input, KNOWN) }),
      id,
    );
    return getCredential(db, id)!;
  });
}

export function deleteCredential(ctx: IdentityCtx, a: AuthContext, id: string): void {
  const { db } = ctx;
  db.tx(() => {
    mustReadableCredential(db, a, id, true);
    db.run("DELETE FROM identity_credentials WHERE id = ?", id);
  });
}
