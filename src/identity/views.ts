import type { Context } from "hono";
import { parseJson, selfLink } from "./ctx.ts";
import { extraOf, tagsOf, type DomainRow, type ProjectRow, type RoleRow } from "./model.ts";

/** How identity resources look on the wire (extra attributes are top-level, as in Keystone). */
export function renderDomain(c: Context, d: DomainRow) {
  return {
    ...extraOf(d),
    id: d.id,
    name: d.name,
    description: d.description,
    enabled: !!d.enabled,
    tags: tagsOf(d),
    options: {},
    links: selfLink(c, `domains/${d.id}`),
  };
}

export function renderProject(c: Context, p: ProjectRow) {
  return {
    ...extraOf(p),
    id: p.id,
    name: p.name,
    domain_id: p.domain_id,
    description: p.description,
    enabled: !!p.enabled,
    parent_id: p.parent_id ?? p.domain_id,
    is_domain: false,
    tags: tagsOf(p),
    options: {},
    links: selfLink(c, `projects/${p.id}`),
  };
}

export function renderRole(c: Context, r: RoleRow) {
  return {
    ...extraOf(r),
    id: r.id,
    name: r.name,
    domain_id: r.domain_id,
    description: r.description ?? null,
    options: parseJson<Record<string, unknown>>(r.options, {}),
    links: selfLink(c, `roles/${r.id}`),
  };
}
