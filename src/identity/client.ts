import type { AuthContext, TokenValidator } from "../core/auth.ts";
import type { Db } from "../core/db.ts";
import { findEc2Credential, type Ec2Secret } from "./logic/ec2_credentials.ts";
import { getProject, getProjectByName, getUser, getUserByName } from "./model.ts";
import type { TokenEngine } from "./tokens.ts";

/** A project as other services see it. */
export interface ProjectRef {
  id: string;
  name: string;
  domainId: string;
  enabled: boolean;
}

/** A user as other services see it. */
export interface UserRef {
  id: string;
  name: string;
  domainId: string;
  enabled: boolean;
}

/**
 * The typed interface other services use to reach identity (never its tables).
 * In one process it is a direct call; validations are cached by the token
 * engine until identity state changes.
 */
export interface IdentityClient extends TokenValidator {
  validate(tokenId: string): AuthContext | null;
  /** The owner, project and secret of an EC2 access key (for SigV4 in the EC2 and S3 APIs). */
  ec2Credential(access: string): Ec2Secret | undefined;
  /** A project by id (undefined when it does not exist). */
  project(id: string): ProjectRef | undefined;
  /** A project by name in a domain (default: the default domain). */
  projectByName(name: string, domainId?: string): ProjectRef | undefined;
  /** A user by id. */
  user(id: string): UserRef | undefined;
  /** A user by name in a domain (default: the default domain). */
  userByName(name: string, domainId?: string): UserRef | undefined;
  /**
   * A project-scoped token for a user another service has authenticated itself
   * (an EC2 signature checked against the EC2 credential's secret): what
   * Keystone's /v3/ec2tokens gives. Throws 401 when the user has no role there.
   */
  issueToken(userId: string, projectId: string): string;
}

const projectRef = (r: { id: string; name: string; domain_id: string; enabled: number } | undefined): ProjectRef | undefined =>
  r && { id: r.id, name: r.name, domainId: r.domain_id, enabled: !!r.enabled };
const userRef = (r: { id: string; name: string; domain_id: string; enabled: number } | undefined): UserRef | undefined =>
  r && { id: r.id, name: r.name, domainId: r.domain_id, enabled: !!r.enabled };

export function identityClient(tokens: TokenEngine, db: Db): IdentityClient {
  return {
    validate: (id) => tokens.validate(id),
    ec2Credential: (access) => findEc2Credential(db, access),
    project: (id) => projectRef(getProject(db, id)),
    projectByName: (name, domainId = "default") => projectRef(getProjectByName(db, domainId, name)),
    user: (id) => userRef(getUser(db, id)),
    userByName: (name, domainId = "default") => userRef(getUserByName(db, domainId, name)),
    issueToken: (userId, projectId) => tokens.issueFor(userId, projectId).row.id,
  };
}
