import type { Context } from "hono";
import { parseJson, selfLink } from "./ctx.ts";
import { extraOf, tagsOf, type DomainRow, type GroupRow, type ProjectRow, type RoleRow, type UserRow } from "./model.ts";

/** Extra attributes of a domain or project, with the resource options (kept in extra) split off. */
function extraAndOptions(row: { extra: string }) {
  const { options, ...extra } = extraOf(row);
  const opts = options && typeof options === "object" && !Array.isArray(options) ? options : {};
  return { extra, options: opts as Record<string, unknown> };
}

/** How identity resources look on the wire (extra attributes are top-level, as in Keystone). */
export function renderDomain(c: Context, d: DomainRow) {
  const { extra, options } = extraAndOptions(d);
  return {
    ...extra,
    id: d.id,
    name: d.name,
    description: d.description,
    enabled: !!d.enabled,
    tags: tagsOf(d),
    options,
    links: selfLink(c, `domains/${d.id}`),
  };
}

export function renderProject(c: Context, p: ProjectRow) {
  const { extra, options } = extraAndOptions(p);
  return {
    ...extra,
    id: p.id,
    name: p.name,
    domain_id: p.domain_id,
    description: p.description,
    enabled: !!p.enabled,
    parent_id: p.parent_id ?? p.domain_id,
    is_domain: false,
    tags: tagsOf(p),
    options,
    links: selfLink(c, `projects/${p.id}`),
  };
}

/** A domain seen through the projects API (a project acting as a domain). */
export function renderDomainAsProject(c: Context, d: DomainRow) {
  const { extra, options } = extraAndOptions(d);
  return {
    ...extra,
    id: d.id,
    name: d.name,
    domain_id: null,
    description: d.description,
    enabled: !!d.enabled,
    parent_id: null,
    is_domain: true,
    tags: tagsOf(d),
    options,
    links: selfLink(c, `projects/${d.id}`),
  };
}

/** A user as Keystone returns it: never the password; `default_project_id`, `description`, `email` only when set. */
export function renderUser(c: Context, u: UserRow) {
  return {
    ...extraOf(u),
    id: u.id,
    name: u.name,
    domain_id: u.domain_id,
    enabled: !!u.enabled,
    ...(u.default_project_id !== null ? { default_project_id: u.default_project_id } : {}),
    ...(u.description !== null ? { description: u.description } : {}),
    ...(u.email !== null ? { email: u.email } : {}),
    password_expires_at: null,
    options: parseJson<Record<string, unknown>>(u.options, {}),
    links: selfLink(c, `users/${u.id}`),
  };
}

export function renderGroup(c: Context, g: GroupRow) {
  return {
    ...extraOf(g),
    id: g.id,
    name: g.name,
    domain_id: g.domain_id,
    description: g.description,
    links: selfLink(c, `groups/${g.id}`),
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
