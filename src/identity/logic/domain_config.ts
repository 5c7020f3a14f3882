import type { Db } from "../../core/db.ts";
import { forbidden, notFound } from "../../core/errors.ts";
import { parseJson, type IdentityCtx } from "../ctx.ts";
import { mustDomain } from "../model.ts";

/**
 * Keystone's domain-specific configuration: only the options that drive the
 * domain-specific identity drivers may be stored. Whitelisted options are
 * shown; sensitive ones (the LDAP password) are stored but never returned.
 */
export const WHITELISTED: Record<string, string[]> = {
  identity: ["driver", "list_limit"],
  ldap: [
    "url", "user", "suffix", "query_scope", "page_size", "alias_dereferencing", "debug_level", "chase_referrals",
    "user_tree_dn", "user_filter", "user_objectclass", "user_id_attribute", "user_name_attribute",
    "user_mail_attribute", "user_description_attribute", "user_pass_attribute", "user_enabled_attribute",
    "user_enabled_invert", "user_enabled_mask", "user_enabled_default", "user_attribute_ignore",
    "user_default_project_id_attribute", "user_enabled_emulation", "user_enabled_emulation_dn",
    "user_enabled_emulation_use_group_config", "user_additional_attribute_mapping", "group_tree_dn",
    "group_filter", "group_objectclass", "group_id_attribute", "group_name_attribute", "group_members_are_ids",
    "group_member_attribute", "group_desc_attribute", "group_attribute_ignore", "group_additional_attribute_mapping",
    "tls_cacertfile", "tls_cacertdir", "use_tls", "tls_req_cert", "use_pool", "pool_size", "pool_retry_max",
    "pool_retry_delay", "pool_connection_timeout", "pool_connection_lifetime", "use_auth_pool", "auth_pool_size",
    "auth_pool_connection_lifetime",
  ],
};
export const SENSITIVE: Record<string, string[]> = { identity: [], ldap: ["password"] };

/** keystone.conf defaults of the whitelisted options (what GET .../config/default shows). */
const DEFAULTS: Record<string, Record<string, unknown>> = {
  identity: { driver: "sql", list_limit: null },
  ldap: {
    url: "ldap://localhost", user: null, suffix: "cn=example,cn=com", query_scope: "one", page_size: 0,
    alias_dereferencing: "default", debug_level: null, chase_referrals: null, user_tree_dn: null, user_filter: null,
    user_objectclass: "inetOrgPerson", user_id_attribute: "cn", user_name_attribute: "sn",
    user_mail_attribute: "mail", user_description_attribute: "description", user_pass_attribute: "userPassword",
    user_enabled_attribute: "enabled", user_enabled_invert: false, user_enabled_mask: 0,
    user_enabled_default: "True", user_attribute_ignore: ["default_project_id"],
    user_default_project_id_attribute: null, user_enabled_emulation: false, user_enabled_emulation_dn: null,
    user_enabled_emulation_use_group_config: false, user_additional_attribute_mapping: [], group_tree_dn: null,
    group_filter: null, group_objectclass: "groupOfNames", group_id_attribute: "cn", group_name_attribute: "ou",
    group_members_are_ids: false, group_member_attribute: "member", group_desc_attribute: "description",
    group_attribute_ignore: [], group_additional_attribute_mapping: [], tls_cacertfile: null, tls_cacertdir: null,
    use_tls: false, tls_req_cert: "demand", use_pool: true, pool_size: 10, pool_retry_max: 3,
    pool_retry_delay: 0.1, pool_connection_timeout: -1, pool_connection_lifetime: 600, use_auth_pool: true,
    auth_pool_size: 100, auth_pool_connection_lifetime: 60,
  },
};

export type Config = Record<string, Record<string, unknown>>;
interface OptionRow { domain_id: string; grp: string; option: string; value: string; sensitive: number }

/** Keystone's InvalidDomainConfig is a 403. */
const invalid = (reason: string) => forbidden(`Invalid domain specific configuration: ${reason}.`);
const notFoundIn = (domainId: string, what: string) =>
  notFound(`Could not find ${what} in domain configuration for domain ${domainId}.`);
const describe = (group?: string, option?: string) =>
  option ? `option ${option} in group ${group}` : group ? `group ${group}` : "any options";

function assertGroupOption(group?: string, option?: string): void {
  if (!group) return;
  if (!(group in WHITELISTED) && !(group in SENSITIVE))
    throw invalid(`Group ${group} is not supported for domain specific configurations`);
  if (option && !WHITELISTED[group]?.includes(option) && !SENSITIVE[group]?.includes(option))
    throw invalid(`Option ${option} in group ${group} is not supported for domain specific configurations`);
}

function assertConfig(config: Record<string, unknown>): asserts config is Config {
  if (!Object.keys(config).length) throw invalid("No options specified");
  for (const [group, opts] of Object.entries(config)) {
    if (!opts || typeof opts !== "object" || Array.isArray(opts) || !Object.keys(opts).length)
      throw invalid(`The value of group ${group} specified in the config should be a dictionary of options`);
    for (const option of Object.keys(opts)) assertGroupOption(group, option);
  }
}

const isSensitive = (group: string, option: string) => !!SENSITIVE[group]?.includes(option);

function rows(db: Db, domainId: string, group?: string, option?: string, sensitive?: boolean): OptionRow[] {
  let sql = "SELECT * FROM identity_domain_configs WHERE domain_id = ?";
  const params: (string | number)[] = [domainId];
  if (group) (sql += " AND grp = ?"), params.push(group);
  if (option) (sql += " AND option = ?"), params.push(option);
  if (sensitive !== undefined) (sql += " AND sensitive = ?"), params.push(sensitive ? 1 : 0);
  return db.all<OptionRow>(sql + " ORDER BY grp, rowid", ...params);
}

function toConfig(list: OptionRow[]): Config {
  const out: Config = {};
  for (const r of list) (out[r.grp] ??= {})[r.option] = parseJson<unknown>(r.value, null);
  return out;
}

function store(db: Db, domainId: string, config: Config): void {
  for (const [group, opts] of Object.entries(config))
    for (const [option, value] of Object.entries(opts))
      db.run(
        `INSERT INTO identity_domain_configs (domain_id, grp, option, value, sensitive) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (domain_id, grp, option) DO UPDATE SET value = excluded.value, sensitive = excluded.sensitive`,
        domainId, group, option, JSON.stringify(value ?? null), isSensitive(group, option) ? 1 : 0,
      );
}

/** PUT: replace the whole config. Returns the config shown and whether one existed before. */
export function createConfig(ctx: IdentityCtx, domainId: string, config: Record<string, unknown>) {
  const { db } = ctx;
  mustDomain(db, domainId);
  assertConfig(config);
  return db.tx(() => {
    const existed = rows(db, domainId).length > 0;
    db.run("DELETE FROM identity_domain_configs WHERE domain_id = ?", domainId);
    store(db, domainId, config);
    return { config: toConfig(rows(db, domainId, undefined, undefined, false)), created: !existed };
  });
}

/** GET: whitelisted options only; a single option is returned without its group. */
export function getConfig(db: Db, domainId: string, group?: string, option?: string): Record<string, unknown> {
  mustDomain(db, domainId);
  assertGroupOption(group, option);
  const list = rows(db, domainId, group, option, false);
  if (!list.length) throw notFoundIn(domainId, describe(group, option));
  if (option) return { [option]: parseJson<unknown>(list[0]!.value, null) };
  return toConfig(list);
}

/** PATCH: merge; with a group (and option) only that part, which must already exist. */
export function updateConfig(
  ctx: IdentityCtx,
  domainId: string,
  body: Record<string, unknown>,
  group?: string,
  option?: string,
): Config {
  const { db } = ctx;
  mustDomain(db, domainId);
  const config = (group && option ? { [group]: body } : body) as Record<string, unknown>;
  assertConfig(config);
  assertGroupOption(group, option);
  if (group) {
    const groups = Object.keys(config);
    if (groups.length !== 1 || (option && Object.keys(config[group] ?? {}).length !== 1)) {
      throw invalid(
        option
          ? `Trying to update option ${option} in group ${group}, so that, and only that, option must be specified  in the config`
          : `Trying to update group ${group}, so that, and only that, group must be specified in the config`,
      );
    }
    if (!(group in config))
      throw invalid(`request to update group ${group}, but config provided contains group ${groups[0]} instead`);
    if (option && !(option in config[group]!))
      throw invalid(
        `Trying to update option ${option} in group ${group}, but config provided contains option ${Object.keys(config[group]!)[0]} instead`,
      );
    if (!rows(db, domainId, group, option).length) throw notFoundIn(domainId, describe(group, option));
  }
  return db.tx(() => {
    store(db, domainId, config);
    return toConfig(rows(db, domainId, undefined, undefined, false));
  });
}

/** DELETE: everything, a group or one option (which must exist). */
export function deleteConfig(ctx: IdentityCtx, domainId: string, group?: string, option?: string): void {
  const { db } = ctx;
  mustDomain(db, domainId);
  assertGroupOption(group, option);
  if (group && !rows(db, domainId, group, option).length) throw notFoundIn(domainId, describe(group, option));
  if (!group && !rows(db, domainId).length) throw notFoundIn(domainId, describe());
  db.tx(() => {
    let sql = "DELETE FROM identity_domain_configs WHERE domain_id = ?";
    const params = [domainId];
    if (group) (sql += " AND grp = ?"), params.push(group);
    if (option) (sql += " AND option = ?"), params.push(option);
    db.run(sql, ...params);
  });
}

/** GET /v3/domains/config[/{group}[/{option}]]/default: keystone.conf's values of the whitelisted options. */
export function getDefaultConfig(group?: string, option?: string): Record<string, unknown> {
  assertGroupOption(group, option);
  if (group && option) {
    if (!WHITELISTED[group]?.includes(option))
      throw invalid(`Reading the default for option ${option} in group ${group} is not supported`);
    return { [option]: DEFAULTS[group]?.[option] ?? null };
  }
  const out: Config = {};
  for (const g of group ? [group] : Object.keys(WHITELISTED)) {
    out[g] = {};
    for (const o of WHITELISTED[g] ?? []) out[g][o] = DEFAULTS[g]?.[o] ?? null;
  }
  return out;
}

/** The security_compliance group, readable by anyone for the default domain (password rules). */
export function getSecurityCompliance(ctx: IdentityCtx, domainId: string, option?: string): Record<string, unknown> {
  if (domainId !== "default")
    throw invalid(
      "Reading security compliance information for any domain other than the default domain is not allowed or supported",
    );
  const readable = ["password_regex", "password_regex_description"];
  if (option && !readable.includes(option))
    throw invalid("Reading security compliance values other than password_regex and password_regex_description is not allowed");
  const cfg = ctx.cfg as unknown as Record<string, unknown>;
  const values: Record<string, unknown> = {
    password_regex: cfg.passwordRegex ?? null,
    password_regex_description: cfg.passwordRegexDescription ?? null,
  };
  if (option) return { [option]: values[option] };
  return { security_compliance: values };
}

