import type { Clock } from "../../../core/clock.ts";
import type { Db } from "../../../core/db.ts";
import { readJson, type Ctx } from "../../../core/http.ts";
import type { Logger } from "../../../core/log.ts";
import type { Microversion } from "../../../core/microversion.ts";
import { isAdmin } from "../../../core/policy.ts";
import type { IdentityClient } from "../../../identity/client.ts";
import type { Caller, ProjectUsage } from "../index.ts";

/** What the resource routes share. */
export interface ResCtx {
  db: Db;
  clock: Clock;
  log: Logger;
  identity: IdentityClient;
  /** The servers side's usage counter (zeros until it registers one). */
  usage(projectId: string): ProjectUsage;
}

export function callerOf(c: Ctx): Caller {
  const a = c.get("auth");
  return { projectId: a.projectId ?? "", userId: a.userId, isAdmin: isAdmin(a) };
}

export const mvOf = (c: Ctx): Microversion => c.get("microversion") ?? [2, 1];
export const mvAtLeast = (c: Ctx, major: number, minor: number): boolean => {
  const v = mvOf(c);
  return v[0] > major || (v[0] === major && v[1] >= minor);
};

/**
 * Nova's resource links: `self` under the versioned endpoint, `bookmark`
 * without the version; the project id stays in both when the request came
 * through the legacy /v2.1/{project_id}/ mount.
 */
export function resourceLinks(c: Ctx, collection: string, id: string) {
  const url = new URL(c.req.url);
  const path = url.pathname;
  const i = path.indexOf("/v2.1");
  let version = "/v2.1";
  let root = "";
  let project = "";
  if (i >= 0) {
    root = path.slice(0, i);
    const rest = path.slice(i + 5).split("/").filter(Boolean);
    if (rest.length > 1 && !/^(flavors|os-keypairs|os-server-groups|os-quota-sets|os-quota-class-sets|limits)$/.test(rest[0]!)) {
      project = `/${rest[0]}`;
    }
  } else {
    version = "";
  }
  const tail = `/${collection}/${encodeURIComponent(id)}`;
  return [
    { rel: "self", href: `${url.origin}${root}${version}${project}${tail}` },
    { rel: "bookmark", href: `${url.origin}${root}${project}${tail}` },
  ];
}

/** The URL of the collection being listed (for `*_links` next pages). */
export function collectionUrl(c: Ctx, params: Record<string, string>): string {
  const url = new URL(c.req.url);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  return url.toString();
}

/** The JSON body, or 400 when malformed. */
export const jsonBody = (c: Ctx) => readJson(c);
