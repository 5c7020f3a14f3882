/**
 * Who may do what (keystoneauth's rules, with tenrec's roles):
 * - `admin` is the reseller admin: any account, anything.
 * - a token scoped to the account's project with `member` (or `admin`,
 *   `swiftoperator`) is the account's owner; with only `reader`, GET/HEAD.
 * - otherwise a container ACL may grant it: X-Container-Read for GET/HEAD
 *   (`project:user` entries, or a referrer `.r:*` — listings then also need
 *   `.rlistings`), X-Container-Write for object PUT/POST/DELETE.
 * Denied: 403 for a known caller, 401 for an anonymous one.
 */
import type { AuthContext } from "../core/auth.ts";
import { ApiError } from "../core/errors.ts";
import { aclMatchesUser, parseAcl, referrerAllowed } from "./acl.ts";

export const RESELLER_ROLES = ["admin"];
export const OPERATOR_ROLES = ["admin", "member", "swiftoperator"];
export const READER_ROLES = ["reader"];

export function accountOfProject(projectId: string): string {
  return `AUTH_${projectId}`;
}

export interface Access {
  /** May change ACLs, keys, account metadata; sees owner-only headers. */
  owner: boolean;
}

const lower = (roles: string[]) => roles.map((r) => r.toLowerCase());

export function denied(auth: AuthContext | undefined): ApiError {
  return auth ? new ApiError(403, "Access was denied to this resource.") : new ApiError(401, "Unauthorized");
}

/**
 * Decide a request. `acl` is the container's read ACL for GET/HEAD and its
 * write ACL for object writes (undefined for account and container management).
 */
export function authorize(opts: {
  auth: AuthContext | undefined;
  account: string;
  method: string;
  isObject: boolean;
  acl?: string;
  referer?: string;
}): Access {
  const { auth, account, method, isObject, acl } = opts;
  const read = method === "GET" || method === "HEAD";
  if (auth) {
    const roles = lower(auth.roles);
    if (roles.some((r) => RESELLER_ROLES.includes(r))) return { owner: true };
    const mine = !!auth.projectId && account === accountOfProject(auth.projectId);
    if (mine && roles.some((r) => OPERATOR_ROLES.includes(r))) return { owner: true };
    if (mine && read && roles.some((r) => READER_ROLES.includes(r))) return { owner: false };
  }
  if (acl) {
    const { referrers, groups } = parseAcl(acl);
    if (auth && aclMatchesUser(groups, auth)) return { owner: false };
    if (read && referrerAllowed(opts.referer, referrers) && (isObject || groups.includes(".rlistings")))
      return { owner: false };
  }
  throw denied(auth);
}
