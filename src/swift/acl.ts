/**
 * Swift container ACLs (X-Container-Read / X-Container-Write) as keystoneauth
 * reads them: referrer designations (`.r:*`, `.r:.example.com`, `.r:-bad.host`),
 * `.rlistings`, and `project:user` entries where either side is an id, a name or `*`.
 */
import { ApiError } from "../core/errors.ts";
import type { AuthContext } from "../core/auth.ts";

/** Normalise an ACL header as Swift's clean_acl does; 400 on a malformed value. */
export function cleanAcl(header: string, value: string): string {
  const write = header.toLowerCase().includes("write");
  const out: string[] = [];
  for (const raw0 of value.split(",")) {
    const raw = raw0.trim();
    if (!raw) continue;
    const i = raw.indexOf(":");
    if (i < 0) {
      out.push(raw);
      continue;
    }
    const first = raw.slice(0, i).trim();
    let second = raw.slice(i + 1).trim();
    if (!first || !first.startsWith(".")) {
      out.push(raw);
      continue;
    }
    if (![".r", ".ref", ".referer", ".referrer"].includes(first))
      throw new ApiError(400, `Unknown designator '${first}' in ACL: '${raw}'`);
    if (write) throw new ApiError(400, `Referrers not allowed in write ACL: '${raw}'`);
    let negate = false;
    if (second.startsWith("-")) {
      negate = true;
      second = second.slice(1).trim();
    }
    if (second && second !== "*" && second.startsWith("*")) second = second.slice(1).trim();
    if (!second || second === ".") throw new ApiError(400, `No host/domain value after referrer designation in ACL: '${raw}'`);
    out.push(`.r:${negate ? "-" : ""}${second}`);
  }
  return out.join(",");
}

export interface ParsedAcl {
  referrers: string[];
  groups: string[];
}

export function parseAcl(value: string | undefined): ParsedAcl {
  const referrers: string[] = [];
  const groups: string[] = [];
  for (const raw of (value ?? "").split(",")) {
    const v = raw.trim();
    if (!v) continue;
    if (v.startsWith(".r:")) referrers.push(v.slice(3));
    else groups.push(v);
  }
  return { referrers, groups };
}

/** Swift's referrer_allowed: the last matching designation wins. */
export function referrerAllowed(referer: string | undefined, referrers: string[]): boolean {
  if (!referrers.length) return false;
  let host = "unknown";
  if (referer) {
    try {
      host = new URL(referer).hostname || "unknown";
    } catch {
      host = "unknown";
    }
  }
  let allow = false;
  for (const mh0 of referrers) {
    let mh = mh0;
    let value = true;
    if (mh.startsWith("-")) {
      value = false;
      mh = mh.slice(1);
    }
    if (mh === "*") allow = value;
    else if (mh.startsWith(".") ? host.endsWith(mh) : host === mh) allow = value;
  }
  return allow;
}

/** A `project:user` (or role name) entry of the ACL matches the caller. */
export function aclMatchesUser(groups: string[], auth: AuthContext): boolean {
  if (!groups.length) return false;
  const set = new Set(groups);
  const projects = ["*", auth.projectId, auth.projectName].filter((x): x is string => !!x);
  const users = ["*", auth.userId, auth.userName].filter((x): x is string => !!x);
  for (const p of projects) for (const u of users) if (set.has(`${p}:${u}`)) return true;
  const roles = new Set(groups.map((g) => g.toLowerCase()));
  return auth.roles.some((r) => roles.has(r.toLowerCase()));
}
