/** What every action gets, and the helpers they share (filters, pagination, tags). */
import type { Ec2Deps } from "./service.ts";
import type { OsApi } from "./openstack.ts";
import type { Filter, Params } from "./params.ts";
import type { Ec2Store } from "./store.ts";
import { ec2err } from "./errors.ts";

export interface ActionCtx {
  p: Params;
  os: OsApi;
  store: Ec2Store;
  deps: Ec2Deps;
  region: string;
  requestId: string;
}
export type Action = (c: ActionCtx) => Promise<Record<string, unknown>>;

export type Tag = { key: string; value: string };
export const UNKNOWN_FILTER = Symbol("unknown filter");
type FilterValue = string | number | boolean | undefined | null | (string | number | boolean | undefined | null)[];

/** A stand-in item for checking filter names: every property and call gives itself. */
const PROBE: unknown = new Proxy(function () {}, {
  get: (_t, k) => (k === Symbol.toPrimitive ? () => "" : PROBE),
  apply: () => PROBE,
});

function wildcard(pattern: string): RegExp {
  return new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`, "s");
}

/** The tag filters every taggable resource has: `tag:<key>`, `tag-key`, `tag-value`. */
export function tagFilter(tags: Tag[], name: string): FilterValue | typeof UNKNOWN_FILTER {
  if (name.startsWith("tag:")) return tags.filter((t) => t.key === name.slice(4)).map((t) => t.value);
  if (name === "tag-key") return tags.map((t) => t.key);
  if (name === "tag-value") return tags.map((t) => t.value);
  return UNKNOWN_FILTER;
}

/**
 * Keep the items every filter matches (values OR'ed, filters AND'ed, `*` and
 * `?` wildcards). `get` returns UNKNOWN_FILTER for a name the action does not
 * know: EC2's InvalidParameterValue.
 */
export function applyFilters<T>(items: T[], filters: Filter[], get: (item: T, name: string) => FilterValue | typeof UNKNOWN_FILTER): T[] {
  if (!filters.length) return items;
  if (!items.length) {
    // Unknown filter names are refused even when there is nothing to filter.
    for (const f of filters) if (get(PROBE as T, f.name) === UNKNOWN_FILTER) throw ec2err("InvalidParameterValue", `The filter '${f.name}' is invalid`);
  }
  const compiled = filters.map((f) => ({ name: f.name, res: f.values.map(wildcard) }));
  return items.filter((item) =>
    compiled.every((f) => {
      const v = get(item, f.name);
      if (v === UNKNOWN_FILTER) throw ec2err("InvalidParameterValue", `The filter '${f.name}' is invalid`);
      const vals = (Array.isArray(v) ? v : [v]).filter((x) => x !== undefined && x !== null).map(String);
      return vals.some((x) => f.res.some((re) => re.test(x)));
    }),
  );
}

/** MaxResults/NextToken over a full list (the token is an opaque offset). */
export function paginate<T>(items: T[], p: Params, max = 1000): { page: T[]; nextToken?: string } {
  const limit = p.int("MaxResults");
  const token = p.get("NextToken");
  let start = 0;
  if (token) {
    const m = /^offset:(\d+)$/.exec(Buffer.from(token, "base64url").toString());
    const n = m ? Number(m[1]) : NaN;
    if (!Number.isInteger(n) || n < 0) throw ec2err("InvalidParameterValue", `The token '${token}' is invalid`);
    start = n;
  }
  if (limit === undefined) return { page: items.slice(start) };
  if (limit < 1) throw ec2err("InvalidParameterValue", `Value ( ${limit} ) for parameter maxResults is invalid. Expecting a value greater than 0.`);
  // The aws CLI's paginators ask for more than some actions' documented maximum: serve the maximum.
  const size = Math.min(limit, max);
  const page = items.slice(start, start + size);
  const next = start + size < items.length ? Buffer.from(`offset:${start + size}`).toString("base64url") : undefined;
  return { page, nextToken: next };
}

export const tagSet = (tags: Tag[]) => (tags.length ? tags : undefined);

export const iso = (s: string | undefined | null): string | undefined => (s ? new Date(s.endsWith("Z") || /[+-]\d\d:?\d\d$/.test(s) ? s : `${s}Z`).toISOString() : undefined);

/** TagSpecification.N.ResourceType / .Tag.M.Key/Value for one resource type. */
export function tagSpecs(p: Params, resourceType: string): Tag[] {
  const out: Tag[] = [];
  for (const s of p.structs("TagSpecification")) {
    if (s.get("ResourceType") !== resourceType) continue;
    out.push(...s.tags("Tag"));
  }
  return out;
}
