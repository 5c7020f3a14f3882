import type { AuthContext } from "../../core/auth.ts";
import type { Db } from "../../core/db.ts";
import { forbidden, notFound } from "../../core/errors.ts";
import { hexId } from "../../core/ids.ts";
import { isAdmin, isMember, isReader } from "../../core/policy.ts";
import { parseJson, type IdentityCtx } from "../ctx.ts";
import { effectiveRoleIds, mustProject, mustUser } from "../model.ts";
import {
  checkDelegatedScope,
  checkUnrestricted,
  hashAccessKey,
  insertCredential,
  type CredentialRow,
} from "./credentials.ts";

/** What the EC2 and S3 APIs need to check a SigV4 signature made with an access key. */
export interface Ec2Secret {
  userId: string;
  projectId: string;
  secret: string;
}

/** The EC2 credential of an access key (a credentials row of type ec2), or undefined. */
export function findEc2Credential(db: Db, access: string): Ec2Secret | undefined {
  const row = db.get<CredentialRow>(
    "SELECT * FROM identity_credentials WHERE access_key = ? AND type = 'ec2'",
    access,
  );
  if (!row || !row.project_id) return undefined;
  const blob = parseJson<Record<string, unknown>>(row.blob, {});
  if (typeof blob.secret !== "string") return undefined;
  return { userId: row.user_id, projectId: row.project_id, secret: blob.secret };
}

export interface Ec2View {
  user_id: string;
  tenant_id: string | null;
  access: string;
  secret: string | null;
  trust_id: string | null;
}

export function toEc2View(row: CredentialRow): Ec2View {
  const blob = parseJson<Record<string, unknown>>(row.blob, {});
  return {
    user_id: row.user_id,
    tenant_id: row.project_id,
    access: String(blob.access ?? row.access_key ?? ""),
    secret: typeof blob.secret === "string" ? blob.secret : null,
    trust_id: typeof blob.trust_id === "string" ? blob.trust_id : null,
  };
}

/** Policy: admins (and system readers, for reads) or the user themself. */
function mayRead(a: AuthContext, userId: string): boolean {
  return isAdmin(a) || (!!a.system && isReader(a)) || a.userId === userId;
}

export function listEc2Credentials(db: Db, a: AuthContext, userId: string): Ec2View[] {
  if (!mayRead(a, userId)) throw forbidden();
  mustUser(db, userId);
  return db
    .all<CredentialRow>("SELECT * FROM identity_credentials WHERE user_id = ? AND type = 'ec2' ORDER BY id", userId)
    .filter((c) => !a.appCredId || c.project_id === a.projectId)
    .map(toEc2View);
}

/**
 * Mint an EC2 key pair for a user on a project. Admins, or members acting on
 * themselves (Keystone's default policy). The user must have a role on the
 * project: a key for a project it cannot use would never authenticate.
 */
export function createEc2Credential(ctx: IdentityCtx, a: AuthContext, userId: string, tenantId: string): Ec2View {
  const { db } = ctx;
  if (!isAdmin(a) && !(isMember(a) && a.userId === userId)) throw forbidden();
  checkUnrestricted(db, a);
  mustUser(db, userId);
  mustProject(db, tenantId);
  checkDelegatedScope(a, tenantId);
  if (!effectiveRoleIds(db, userId, { kind: "project", id: tenantId }).size)
    throw forbidden(`User ${userId} has no role on project ${tenantId}.`);
  const access = hexId();
  const blob = { access, secret: hexId(), trust_id: null };
  const row = insertCredential(db, {
    id: hashAccessKey(access),
    userId,
    projectId: tenantId,
    type: "ec2",
    blob: JSON.stringify(blob),
    accessKey: access,
  });
  return toEc2View(row);
}

function findOwned(db: Db, a: AuthContext, userId: string, access: string, write: boolean): CredentialRow {
  const allowed = write ? isAdmin(a) || (isMember(a) && a.userId === userId) : mayRead(a, userId);
  if (!allowed) throw forbidden();
  mustUser(db, userId);
  const row = db.get<CredentialRow>("SELECT * FROM identity_credentials WHERE access_key = ? AND type = 'ec2'", access);
  if (!row) throw notFound(`Could not find credential: ${hashAccessKey(access)}.`);
  // Another user's key is not reachable through this user's path.
  if (row.user_id !== userId) {
    if (!isAdmin(a)) throw forbidden();
    throw notFound(`Could not find credential: ${hashAccessKey(access)}.`);
  }
  checkDelegatedScope(a, row.project_id);
  return row;
}

export function getEc2Credential(db: Db, a: AuthContext, userId: string, access: string): Ec2View {
  return toEc2View(findOwned(db, a, userId, access, false));
}

export function deleteEc2Credential(ctx: IdentityCtx, a: AuthContext, userId: string, access: string): void {
  const { db } = ctx;
  db.tx(() => {
    const row = findOwned(db, a, userId, access, true);
    db.run("DELETE FROM identity_credentials WHERE id = ?", row.id);
  });
}
