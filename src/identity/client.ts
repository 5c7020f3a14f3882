import type { AuthContext, TokenValidator } from "../core/auth.ts";
import type { TokenEngine } from "./tokens.ts";

/**
 * The typed interface other services use to reach identity (never its tables).
 * In one process it is a direct call; validations are cached by the token
 * engine until identity state changes.
 */
export interface IdentityClient extends TokenValidator {
  validate(tokenId: string): AuthContext | null;
}

export function identityClient(tokens: TokenEngine): IdentityClient {
  return {
    validate: (id) => tokens.validate(id),
  };
}
