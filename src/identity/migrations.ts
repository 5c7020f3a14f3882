import type { Migration } from "../core/db.ts";

/** Identity's own tables, all prefixed `identity_`. Times are epoch milliseconds. */
export const identityMigrations: Migration[] = [
  {
    version: 1,
    name: "initial identity schema",
    up: `
CREATE TABLE identity_domains (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE COLLATE NOCASE,
  description TEXT NOT NULL DEFAULT '',
  enabled INTEGER NOT NULL DEFAULT 1,
  extra TEXT NOT NULL DEFAULT '{}',
  tags TEXT NOT NULL DEFAULT '[]'
);
CREATE TABLE identity_projects (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  domain_id TEXT NOT NULL REFERENCES identity_domains(id),
  parent_id TEXT,
  description TEXT NOT NULL DEFAULT '',
  enabled INTEGER NOT NULL DEFAULT 1,
  extra TEXT NOT NULL DEFAULT '{}',
  tags TEXT NOT NULL DEFAULT '[]',
  UNIQUE (domain_id, name)
);
CREATE INDEX identity_projects_parent ON identity_projects(parent_id);
CREATE TABLE identity_users (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  domain_id TEXT NOT NULL REFERENCES identity_domains(id),
  enabled INTEGER NOT NULL DEFAULT 1,
  password_hash TEXT,
  password_created_at INTEGER,
  default_project_id TEXT,
  description TEXT,
  email TEXT,
  extra TEXT NOT NULL DEFAULT '{}',
  options TEXT NOT NULL DEFAULT '{}',
  created_at INTEGER NOT NULL,
  UNIQUE (domain_id, name)
);
CREATE TABLE identity_groups (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  domain_id TEXT NOT NULL REFERENCES identity_domains(id),
  description TEXT NOT NULL DEFAULT '',
  extra TEXT NOT NULL DEFAULT '{}',
  UNIQUE (domain_id, name)
);
CREATE TABLE identity_group_members (
  group_id TEXT NOT NULL REFERENCES identity_groups(id) ON DELETE CASCADE,
  user_id TEXT NOT NULL REFERENCES identity_users(id) ON DELETE CASCADE,
  PRIMARY KEY (group_id, user_id)
);
CREATE INDEX identity_group_members_user ON identity_group_members(user_id);
CREATE TABLE identity_roles (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  domain_id TEXT,
  description TEXT,
  extra TEXT NOT NULL DEFAULT '{}',
  options TEXT NOT NULL DEFAULT '{}'
);
CREATE UNIQUE INDEX identity_roles_name ON identity_roles(name COLLATE NOCASE, IFNULL(domain_id, '<<null>>'));
CREATE TABLE identity_implied_roles (
  prior_role_id TEXT NOT NULL REFERENCES identity_roles(id) ON DELETE CASCADE,
  implied_role_id TEXT NOT NULL REFERENCES identity_roles(id) ON DELETE CASCADE,
  PRIMARY KEY (prior_role_id, implied_role_id)
);
-- type: UserProject | GroupProject | UserDomain | GroupDomain | UserSystem | GroupSystem
CREATE TABLE identity_assignments (
  type TEXT NOT NULL,
  actor_id TEXT NOT NULL,
  target_id TEXT NOT NULL,
  role_id TEXT NOT NULL REFERENCES identity_roles(id) ON DELETE CASCADE,
  inherited INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (type, actor_id, target_id, role_id, inherited)
);
CREATE INDEX identity_assignments_actor ON identity_assignments(actor_id);
CREATE INDEX identity_assignments_target ON identity_assignments(target_id);
CREATE TABLE identity_regions (
  id TEXT PRIMARY KEY,
  description TEXT NOT NULL DEFAULT '',
  parent_region_id TEXT,
  extra TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE identity_services (
  id TEXT PRIMARY KEY,
  type TEXT NOT NULL,
  name TEXT,
  description TEXT,
  enabled INTEGER NOT NULL DEFAULT 1,
  extra TEXT NOT NULL DEFAULT '{}',
  -- set for the entries tenrec itself manages (kept in step with host and ports)
  managed TEXT
);
CREATE TABLE identity_endpoints (
  id TEXT PRIMARY KEY,
  service_id TEXT NOT NULL REFERENCES identity_services(id) ON DELETE CASCADE,
  interface TEXT NOT NULL,
  region_id TEXT,
  url TEXT NOT NULL,
  enabled INTEGER NOT NULL DEFAULT 1,
  extra TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE identity_endpoint_groups (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  filters TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE identity_endpoint_group_projects (
  endpoint_group_id TEXT NOT NULL REFERENCES identity_endpoint_groups(id) ON DELETE CASCADE,
  project_id TEXT NOT NULL,
  PRIMARY KEY (endpoint_group_id, project_id)
);
CREATE TABLE identity_tokens (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  project_id TEXT,
  domain_id TEXT,
  system INTEGER NOT NULL DEFAULT 0,
  methods TEXT NOT NULL,
  audit_id TEXT NOT NULL,
  parent_audit_id TEXT,
  app_cred_id TEXT,
  issued_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  revoked INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX identity_tokens_user ON identity_tokens(user_id);
CREATE INDEX identity_tokens_expires ON identity_tokens(expires_at);
CREATE TABLE identity_app_creds (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  description TEXT,
  user_id TEXT NOT NULL REFERENCES identity_users(id) ON DELETE CASCADE,
  project_id TEXT NOT NULL,
  secret_hash TEXT NOT NULL,
  expires_at INTEGER,
  unrestricted INTEGER NOT NULL DEFAULT 0,
  roles TEXT NOT NULL DEFAULT '[]',
  access_rules TEXT NOT NULL DEFAULT '[]',
  created_at INTEGER NOT NULL,
  UNIQUE (user_id, name)
);
-- /v3/credentials; EC2 credentials are rows of type 'ec2' (as in Keystone)
CREATE TABLE identity_credentials (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES identity_users(id) ON DELETE CASCADE,
  project_id TEXT,
  type TEXT NOT NULL,
  blob TEXT NOT NULL,
  access_key TEXT,
  extra TEXT NOT NULL DEFAULT '{}'
);
CREATE UNIQUE INDEX identity_credentials_access ON identity_credentials(access_key) WHERE access_key IS NOT NULL;
CREATE TABLE identity_policies (
  id TEXT PRIMARY KEY,
  type TEXT NOT NULL,
  blob TEXT NOT NULL,
  extra TEXT NOT NULL DEFAULT '{}'
);
`,
  },
  {
    version: 2,
    name: "domain configs, OAuth1 consumers, trusts",
    up: `
-- Domain-specific configuration (Keystone's whitelisted and sensitive options); value is JSON.
CREATE TABLE identity_domain_configs (
  domain_id TEXT NOT NULL REFERENCES identity_domains(id) ON DELETE CASCADE,
  grp TEXT NOT NULL,
  option TEXT NOT NULL,
  value TEXT NOT NULL,
  sensitive INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (domain_id, grp, option)
);
CREATE TABLE identity_oauth_consumers (
  id TEXT PRIMARY KEY,
  description TEXT,
  secret TEXT NOT NULL,
  extra TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE identity_trusts (
  id TEXT PRIMARY KEY,
  trustor_user_id TEXT NOT NULL,
  trustee_user_id TEXT NOT NULL,
  project_id TEXT,
  impersonation INTEGER NOT NULL,
  expires_at INTEGER,
  remaining_uses INTEGER,
  redelegation_count INTEGER NOT NULL DEFAULT 0,
  redelegated_trust_id TEXT,
  roles TEXT NOT NULL DEFAULT '[]',
  extra TEXT NOT NULL DEFAULT '{}',
  created_at INTEGER NOT NULL
);
CREATE INDEX identity_trusts_trustor ON identity_trusts(trustor_user_id);
CREATE INDEX identity_trusts_trustee ON identity_trusts(trustee_user_id);
ALTER TABLE identity_tokens ADD COLUMN trust_id TEXT;
`,
  },
];
