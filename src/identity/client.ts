import type { AuthContext, TokenValidator } from "../core/auth.ts";
import type { Db } from "../core/db.ts";
import { findEc2Credential, type Ec2Secret } from "./logic/ec2_credentials.ts";
import type { TokenEngine } from "./tokens.ts";

/**
 * The typed interface other services use to reach identity (never its tables).
 * In one process it is a direct call; validations are cached by the token
 * engine until identity state changes.
 */
export interface IdentityClient extends TokenValidator {
  validate(tokenId: string): AuthContext | null;
  /** The owner, project and secret of an EC2 access key (for SigV4 in the EC2 and S3 APIs). */
  ec2Credential(access: string): Ec2Secret | undefined;
}

export function identityClient(tokens: TokenEngine, db: Db): IdentityClient {
  return {
    validate: (id) => tokens.validate(id),
    ec2Credential: (access) => findEc2Credential(db, access),
  };
}
