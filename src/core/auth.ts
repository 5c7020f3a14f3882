import type { MiddlewareHandler } from "hono";
import { unauthorized } from "./errors.ts";
import type { AppEnv } from "./http.ts";

/** Who is calling: what the identity service says about a valid token. */
export interface AuthContext {
  tokenId: string;
  auditId: string;
  userId: string;
  userName: string;
  userDomainId: string;
  userDomainName: string;
  projectId?: string;
  projectName?: string;
  projectDomainId?: string;
  projectDomainName?: string;
  domainId?: string;
  domainName?: string;
  system?: boolean;
  /** Role names, implied roles included. */
  roles: string[];
  roleIds: string[];
  methods: string[];
  expiresAt: number;
  issuedAt: number;
  appCredId?: string;
}

/** What the middleware needs of the identity service. */
export interface TokenValidator {
  /** The context of a valid token, or null if it is unknown, expired or revoked. */
  validate(tokenId: string): AuthContext | null | Promise<AuthContext | null>;
}

/**
 * The auth middleware every service mounts: validates `X-Auth-Token` through
 * the identity client (which caches validations briefly) and exposes the
 * caller as `c.get("auth")`. 401 in the service's dialect otherwise.
 */
export function requireAuth(validator: TokenValidator): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const token = c.req.header("x-auth-token");
    if (!token) throw unauthorized();
    const ctx = await validator.validate(token);
    if (!ctx) throw unauthorized("The request you have made requires authentication.");
    c.set("auth", ctx);
    await next();
  };
}
