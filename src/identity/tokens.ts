import { isoMicro } from "../core/clock.ts";
import type { AuthContext } from "../core/auth.ts";
import { badRequest, forbidden, notFound, unauthorized } from "../core/errors.ts";
import { randomToken } from "../core/ids.ts";
import type { IdentityCtx } from "./ctx.ts";
import { parseJson } from "./ctx.ts";
import {
  effectiveRoleIds,
  getDomain,
  getDomainByName,
  getProject,
  getProjectByName,
  getUser,
  getUserByName,
  projectAncestors,
  rolesByIds,
  type DomainRow,
  type ProjectRow,
  type RoleRow,
  type Scope,
  type UserRow,
} from "./model.ts";
import { buildCatalog, substituteCatalog, type CatalogEntry } from "./catalog.ts";
import { consumeTrust, getTrustRow, trustTokenRoleIds, type TrustRow } from "./logic/trusts.ts";

export interface TokenRow {
  id: string;
  user_id: string;
  project_id: string | null;
  domain_id: string | null;
  system: number;
  methods: string;
  audit_id: string;
  parent_audit_id: string | null;
  app_cred_id: string | null;
  issued_at: number;
  expires_at: number;
  revoked: number;
  /** Set for trust-scoped tokens (OS-TRUST). */
  trust_id?: string | null;
}

interface AppCredRow {
  id: string; name: string; user_id: string; project_id: string; secret_hash: string;
  expires_at: number | null; unrestricted: number; roles: string;
}

/** Everything a valid token means, resolved against current state. */
export interface TokenInfo {
  row: TokenRow;
  user: UserRow;
  userDomain: DomainRow;
  project?: ProjectRow;
  projectDomain?: DomainRow;
  domain?: DomainRow;
  roles: RoleRow[];
  appCred?: AppCredRow;
  trust?: TrustRow;
}

/** Identity's token engine: issue, validate (cached per state generation), revoke. */
export class TokenEngine {
  private gen = 0;
  private cache = new Map<string, { gen: number; info: TokenInfo; ctx: AuthContext; body?: string; bodyNoCat?: string }>();
  private catalogCache?: { gen: number; catalog: CatalogEntry[] };
  /** A real hash to verify against when the user is unknown: the same work, so no user enumeration by timing. */
  private dummyHash?: Promise<string>;

  constructor(private ctx: Omit<IdentityCtx, "changed" | "revokeUserTokens" | "revokeAppCredTokens">) {}

  changed(): void {
    this.gen++;
    this.cache.clear();
  }

  // ---- issue -----------------------------------------------------------------

  async authenticate(auth: AuthRequest, opts: { subjectHeader?: string } = {}): Promise<TokenInfo> {
    const { db, clock, cfg } = this.ctx;
    const methods = auth.identity.methods;
    if (!methods.length) throw badRequest("Invalid input for field 'identity/methods': [] is too short");
    let user: UserRow | undefined;
    const now = clock.now();
    let expiresAt = now + cfg.tokenTtl * 1000;
    let parent: TokenRow | undefined;
    let appCred: AppCredRow | undefined;
    let usedMethods: string[] = [];

    if (methods.includes("application_credential")) {
      const ac = auth.identity.application_credential;
      if (!ac) throw badRequest("Missing 'application_credential' in identity");
      appCred = await this.checkAppCred(ac);
      user = getUser(db, appCred.user_id);
      if (auth.scope) throw unauthorized("Application credentials cannot request a scope.");
      if (appCred.expires_at && appCred.expires_at < expiresAt) expiresAt = appCred.expires_at;
      usedMethods = ["application_credential"];
    } else if (methods.includes("password")) {
      const pw = auth.identity.password;
      if (!pw?.user) throw badRequest("Missing 'password' in identity");
      user = await this.checkPassword(pw.user);
      usedMethods = ["password"];
    } else if (methods.includes("token")) {
      const id = auth.identity.token?.id ?? opts.subjectHeader;
      if (!id) throw badRequest("Missing 'token' in identity");
      const info = this.resolve(id, { forRescope: true });
      if (!info) throw unauthorized("Could not find token or it is no longer valid.");
      if (info.row.app_cred_id) throw forbidden("Tokens issued with application credentials cannot be rescoped.");
      if (info.row.trust_id) throw forbidden("You are not authorized to perform the requested action: rescope a trust token.");
      parent = info.row;
      user = info.user;
      expiresAt = parent.expires_at;
      usedMethods = parseJson<string[]>(parent.methods, []);
      if (!usedMethods.includes("token")) usedMethods = ["token", ...usedMethods];
    } else {
      throw unauthorized(`Attempted to authenticate with an unsupported method: ${methods.join(", ")}`);
    }
    if (!user || !user.enabled) throw unauthorized();
    const ud = getDomain(db, user.domain_id);
    if (!ud || !ud.enabled) throw unauthorized();

    // OS-TRUST: the trustee asks for a token on the trust's project (as the trustor when impersonating).
    const trustRef = auth.scope && typeof auth.scope === "object" ? auth.scope["OS-TRUST:trust"] : undefined;
    let trust: TrustRow | undefined;
    if (trustRef) {
      if (!trustRef.id) throw badRequest("Expecting to find id in OS-TRUST:trust.");
      if (Object.keys(auth.scope as object).filter((k) => (auth.scope as any)[k] !== undefined).length > 1)
        throw badRequest("Specify only one of project, domain, system and OS-TRUST:trust in scope.");
      const used = db.tx(() => consumeTrust(db, trustRef.id!, user!.id, now));
      trust = used.trust;
      if (used.userId !== user.id) {
        user = getUser(db, used.userId);
        if (!user || !user.enabled) throw forbidden("Trustor is disabled.");
      }
      if (trust.expires_at !== null && trust.expires_at < expiresAt) expiresAt = trust.expires_at;
    }
    let scope = trust
      ? trust.project_id ? ({ kind: "project", id: trust.project_id } as Scope) : ({ kind: "unscoped" } as Scope)
      : this.resolveScope(auth.scope);
    if (appCred) scope = { kind: "project", id: appCred.project_id };
    const explicitUnscoped = auth.scope === "unscoped";
    if (scope.kind === "unscoped" && !explicitUnscoped && !parent && !trust && user.default_project_id) {
      const p = getProject(db, user.default_project_id);
      if (p && p.enabled && effectiveRoleIds(db, user.id, { kind: "project", id: p.id }).size)
        scope = { kind: "project", id: p.id };
    }
    if (parent && scope.kind === "unscoped" && !explicitUnscoped) {
      // Rescoping to nothing keeps the original scope.
      if (parent.project_id) scope = { kind: "project", id: parent.project_id };
      else if (parent.domain_id) scope = { kind: "domain", id: parent.domain_id };
      else if (parent.system) scope = { kind: "system" };
    }

    const row: TokenRow = {
      id: randomToken(32),
      user_id: user.id,
      project_id: scope.kind === "project" ? scope.id : null,
      domain_id: scope.kind === "domain" ? scope.id : null,
      system: scope.kind === "system" ? 1 : 0,
      methods: JSON.stringify(usedMethods),
      audit_id: randomToken(16).slice(0, 22),
      parent_audit_id: parent ? parent.audit_id : null,
      app_cred_id: appCred?.id ?? null,
      issued_at: now,
      expires_at: expiresAt,
      revoked: 0,
      trust_id: trust?.id ?? null,
    };
    const info = this.check(row, user, appCred);
    if (!info) throw unauthorized(this.scopeFailure(scope));
    db.run(
      `INSERT INTO identity_tokens (id, user_id, project_id, domain_id, system, methods, audit_id, parent_audit_id,
         app_cred_id, issued_at, expires_at, revoked, trust_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,0,?)`,
      row.id, row.user_id, row.project_id, row.domain_id, row.system, row.methods, row.audit_id,
      row.parent_audit_id, row.app_cred_id, row.issued_at, row.expires_at, row.trust_id ?? null,
    );
    return info;
  }

  /**
   * A project-scoped token for a caller another service has already
   * authenticated (an EC2/S3 signature checked against the user's EC2
   * credential): what Keystone's /v3/ec2tokens returns. Method "ec2credential".
   */
  issueFor(userId: string, projectId: string, method = "ec2credential"): TokenInfo {
    const { db, clock, cfg } = this.ctx;
    const user = getUser(db, userId);
    if (!user || !user.enabled) throw unauthorized();
    const now = clock.now();
    const row: TokenRow = {
      id: randomToken(32),
      user_id: user.id,
      project_id: projectId,
      domain_id: null,
      system: 0,
      methods: JSON.stringify([method]),
      audit_id: randomToken(16).slice(0, 22),
      parent_audit_id: null,
      app_cred_id: null,
      issued_at: now,
      expires_at: now + cfg.tokenTtl * 1000,
      revoked: 0,
      trust_id: null,
    };
    const info = this.check(row, user);
    if (!info) throw unauthorized(this.scopeFailure({ kind: "project", id: projectId }));
    db.run(
      `INSERT INTO identity_tokens (id, user_id, project_id, domain_id, system, methods, audit_id, parent_audit_id,
         app_cred_id, issued_at, expires_at, revoked, trust_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,0,?)`,
      row.id, row.user_id, row.project_id, row.domain_id, row.system, row.methods, row.audit_id,
      row.parent_audit_id, row.app_cred_id, row.issued_at, row.expires_at, null,
    );
    return info;
  }

  private scopeFailure(scope: Scope): string {
    if (scope.kind === "project") return `User has no access to project ${scope.id}`;
    if (scope.kind === "domain") return `User has no access to domain ${scope.id}`;
    if (scope.kind === "system") return "User has no access to the system";
    return "The request you have made requires authentication.";
  }

  private async checkPassword(u: AuthUser): Promise<UserRow> {
    const { db } = this.ctx;
    if (typeof u.password !== "string") throw badRequest("Invalid input for field 'password': a password is required");
    let user: UserRow | undefined;
    if (u.id) user = getUser(db, u.id);
    else if (u.name) {
      if (!u.domain || (!u.domain.id && !u.domain.name)) throw badRequest("Expecting to find domain in user.");
      const d = u.domain.id ? getDomain(db, u.domain.id) : getDomainByName(db, u.domain.name!);
      if (d) user = getUserByName(db, d.id, u.name);
    } else throw badRequest("Expecting to find id or name in user.");
    const ok = await this.ctx.verifySecret(u.password, user?.password_hash ?? (await this.dummy()));
    if (!user || !ok || !user.password_hash) throw unauthorized();
    return user;
  }

  private async checkAppCred(ac: NonNullable<AuthRequest["identity"]["application_credential"]>): Promise<AppCredRow> {
    const { db, clock } = this.ctx;
    let row: AppCredRow | undefined;
    if (ac.id) row = db.get<AppCredRow>("SELECT * FROM identity_app_creds WHERE id = ?", ac.id);
    else if (ac.name && ac.user) {
      let userId = ac.user.id;
      if (!userId && ac.user.name && ac.user.domain) {
        const d = ac.user.domain.id ? getDomain(db, ac.user.domain.id) : getDomainByName(db, ac.user.domain.name ?? "");
        userId = d ? getUserByName(db, d.id, ac.user.name)?.id : undefined;
      }
      if (userId)
        row = db.get<AppCredRow>("SELECT * FROM identity_app_creds WHERE user_id = ? AND name = ?", userId, ac.name);
    } else throw badRequest("Expecting to find id, or name and user, in application_credential.");
    const ok = await this.ctx.verifySecret(ac.secret ?? "", row?.secret_hash ?? (await this.dummy()));
    if (!row || !ok) throw unauthorized();
    if (row.expires_at && row.expires_at <= clock.now()) throw unauthorized("The application credential has expired.");
    return row;
  }

  private dummy(): Promise<string> {
    return (this.dummyHash ??= this.ctx.hashSecret(randomToken(16)));
  }

  private resolveScope(s: AuthRequest["scope"]): Scope {
    const { db } = this.ctx;
    if (!s || typeof s === "string") return { kind: "unscoped" };
    const kinds = ["project", "domain", "system", "OS-TRUST:trust"].filter((k) => (s as any)[k] !== undefined);
    if (kinds.length > 1) throw badRequest("Specify only one of project, domain and system in scope.");
    if (s.project) {
      let p: ProjectRow | undefined;
      if (s.project.id) p = getProject(db, s.project.id);
      else if (s.project.name) {
        if (!s.project.domain) throw badRequest("Expecting to find domain in project.");
        const d = s.project.domain.id ? getDomain(db, s.project.domain.id) : getDomainByName(db, s.project.domain.name ?? "");
        if (!d) throw unauthorized(`Could not find domain: ${s.project.domain.id ?? s.project.domain.name}`);
        p = getProjectByName(db, d.id, s.project.name);
      } else throw badRequest("Expecting to find id or name in project.");
      if (!p) throw unauthorized(`Could not find project: ${s.project.id ?? s.project.name}.`);
      return { kind: "project", id: p.id };
    }
    if (s.domain) {
      const d = s.domain.id ? getDomain(db, s.domain.id) : s.domain.name ? getDomainByName(db, s.domain.name) : undefined;
      if (!s.domain.id && !s.domain.name) throw badRequest("Expecting to find id or name in domain.");
      if (!d) throw unauthorized(`Could not find domain: ${s.domain.id ?? s.domain.name}.`);
      return { kind: "domain", id: d.id };
    }
    if (s.system) {
      if (s.system.all !== true) throw badRequest("Invalid system scope: only {\"all\": true} is supported.");
      return { kind: "system" };
    }
    return { kind: "unscoped" };
  }

  // ---- validate --------------------------------------------------------------

  /**
   * Check a token row against current state: user and domain enabled, scope
   * target enabled, at least one role on it (roles are computed now, as with
   * Fernet tokens: removing a grant invalidates the tokens that relied on it).
   */
  private check(row: TokenRow, user?: UserRow, appCred?: AppCredRow): TokenInfo | null {
    const { db } = this.ctx;
    user ??= getUser(db, row.user_id);
    if (!user || !user.enabled) return null;
    const userDomain = getDomain(db, user.domain_id);
    if (!userDomain || !userDomain.enabled) return null;
    const info: TokenInfo = { row, user, userDomain, roles: [] };
    if (row.app_cred_id) {
      appCred ??= db.get<AppCredRow>("SELECT * FROM identity_app_creds WHERE id = ?", row.app_cred_id);
      if (!appCred) return null;
      info.appCred = appCred;
    }
    if (row.trust_id) {
      // The trust must still exist and not be expired; trustor and trustee must still be enabled.
      const t = getTrustRow(db, row.trust_id);
      if (!t || (t.expires_at !== null && t.expires_at <= this.ctx.clock.now())) return null;
      for (const uid of [t.trustor_user_id, t.trustee_user_id]) {
        const u = uid === user.id ? user : getUser(db, uid);
        if (!u || !u.enabled) return null;
      }
      info.trust = t;
    }
    let scope: Scope = { kind: "unscoped" };
    if (row.project_id) {
      const p = getProject(db, row.project_id);
      if (!p || !p.enabled) return null;
      const pd = getDomain(db, p.domain_id);
      if (!pd || !pd.enabled) return null;
      for (const a of projectAncestors(db, p)) if (!a.enabled) return null;
      info.project = p;
      info.projectDomain = pd;
      scope = { kind: "project", id: p.id };
    } else if (row.domain_id) {
      const d = getDomain(db, row.domain_id);
      if (!d || !d.enabled) return null;
      info.domain = d;
      scope = { kind: "domain", id: d.id };
    } else if (row.system) scope = { kind: "system" };
    if (scope.kind !== "unscoped") {
      // A trust token carries the delegated roles the trustor still has on the project.
      let ids = info.trust ? trustTokenRoleIds(db, info.trust) : effectiveRoleIds(db, user.id, scope);
      if (appCred) {
        const allowed = new Set(parseJson<{ id: string }[]>(appCred.roles, []).map((r) => r.id));
        ids = new Set([...ids].filter((id) => allowed.has(id)));
      }
      if (!ids.size) return null;
      info.roles = rolesByIds(db, ids);
    }
    return info;
  }

  /** The meaning of a token, or null when unknown, revoked, expired or no longer backed by state. */
  resolve(tokenId: string, opts: { allowExpired?: boolean; forRescope?: boolean } = {}): TokenInfo | null {
    const hit = this.cache.get(tokenId);
    const now = this.ctx.clock.now();
    if (hit && hit.gen === this.gen && (opts.allowExpired || hit.info.row.expires_at > now)) return hit.info;
    const row = this.ctx.db.get<TokenRow>("SELECT * FROM identity_tokens WHERE id = ?", tokenId);
    if (!row || row.revoked) return null;
    if (!opts.allowExpired && row.expires_at <= now) return null;
    if (opts.allowExpired && row.expires_at <= now - 2 * 86400_000) return null;
    const info = this.check(row);
    if (!info) return null;
    if (row.expires_at > now) this.cache.set(tokenId, { gen: this.gen, info, ctx: toAuthContext(info) });
    return info;
  }

  /** For the auth middleware of every service. */
  validate(tokenId: string): AuthContext | null {
    const info = this.resolve(tokenId);
    if (!info) return null;
    const hit = this.cache.get(tokenId);
    return hit?.ctx ?? toAuthContext(info);
  }

  /** The JSON body of a token (issue and validate), cached per token and state generation. */
  body(info: TokenInfo, withCatalog: boolean): string {
    const hit = this.cache.get(info.row.id);
    const cached = hit && hit.info === info ? (withCatalog ? hit.body : hit.bodyNoCat) : undefined;
    if (cached) return cached;
    const s = JSON.stringify(this.render(info, withCatalog));
    if (hit && hit.info === info) {
      if (withCatalog) hit.body = s;
      else hit.bodyNoCat = s;
    }
    return s;
  }

  /** The catalog, with `$(project_id)s`-style URL templates filled in for the token's project. */
  catalog(projectId?: string): CatalogEntry[] {
    if (this.catalogCache?.gen !== this.gen) this.catalogCache = { gen: this.gen, catalog: buildCatalog(this.ctx.db) };
    return substituteCatalog(this.catalogCache.catalog, projectId);
  }

  render(info: TokenInfo, withCatalog: boolean): { token: Record<string, unknown> } {
    const { row, user, userDomain } = info;
    const t: Record<string, unknown> = {
      methods: parseJson<string[]>(row.methods, []),
      user: {
        domain: { id: userDomain.id, name: userDomain.name },
        id: user.id,
        name: user.name,
        password_expires_at: null,
      },
      audit_ids: row.parent_audit_id ? [row.audit_id, row.parent_audit_id] : [row.audit_id],
      expires_at: isoMicro(row.expires_at),
      issued_at: isoMicro(row.issued_at),
    };
    if (info.project) {
      t.project = {
        domain: { id: info.projectDomain!.id, name: info.projectDomain!.name },
        id: info.project.id,
        name: info.project.name,
      };
      t.is_domain = false;
    } else if (info.domain) {
      t.domain = { id: info.domain.id, name: info.domain.name };
    } else if (row.system) {
      t.system = { all: true };
    }
    if (row.project_id || row.domain_id || row.system) {
      t.roles = info.roles.map((r) => ({ id: r.id, name: r.name }));
      if (withCatalog) t.catalog = this.catalog(row.project_id ?? undefined);
    }
    if (info.trust) {
      t["OS-TRUST:trust"] = {
        id: info.trust.id,
        impersonation: !!info.trust.impersonation,
        trustee_user: { id: info.trust.trustee_user_id },
        trustor_user: { id: info.trust.trustor_user_id },
      };
    }
    if (info.appCred) {
      t.application_credential = {
        id: info.appCred.id,
        name: info.appCred.name,
        restricted: !info.appCred.unrestricted,
      };
    }
    return { token: t };
  }

  // ---- revoke ----------------------------------------------------------------

  /** Revoke a token and every token derived from it (same audit chain), as Keystone does. */
  revoke(tokenId: string): boolean {
    const row = this.ctx.db.get<TokenRow>("SELECT * FROM identity_tokens WHERE id = ?", tokenId);
    if (!row) return false;
    this.ctx.db.run(
      "UPDATE identity_tokens SET revoked = 1 WHERE id = ? OR audit_id = ? OR parent_audit_id = ?",
      tokenId,
      row.audit_id,
      row.audit_id,
    );
    this.changed();
    return true;
  }

  revokeUser(userId: string): void {
    this.ctx.db.run("UPDATE identity_tokens SET revoked = 1 WHERE user_id = ?", userId);
    this.changed();
  }

  revokeAppCred(appCredId: string): void {
    this.ctx.db.run("UPDATE identity_tokens SET revoked = 1 WHERE app_cred_id = ?", appCredId);
    this.changed();
  }

  /** Drop rows past Keystone's allow-expired window (two days). */
  purgeExpired(): number {
    return this.ctx.db.run("DELETE FROM identity_tokens WHERE expires_at < ?", this.ctx.clock.now() - 2 * 86400_000)
      .changes;
  }
}

export function toAuthContext(info: TokenInfo): AuthContext {
  const { row, user, userDomain } = info;
  return {
    tokenId: row.id,
    auditId: row.audit_id,
    userId: user.id,
    userName: user.name,
    userDomainId: userDomain.id,
    userDomainName: userDomain.name,
    projectId: info.project?.id,
    projectName: info.project?.name,
    projectDomainId: info.projectDomain?.id,
    projectDomainName: info.projectDomain?.name,
    domainId: info.domain?.id,
    domainName: info.domain?.name,
    system: !!row.system,
    roles: info.roles.map((r) => r.name),
    roleIds: info.roles.map((r) => r.id),
    methods: parseJson<string[]>(row.methods, []),
    expiresAt: row.expires_at,
    issuedAt: row.issued_at,
    appCredId: row.app_cred_id ?? undefined,
  };
}

interface AuthUser {
  id?: string;
  name?: string;
  password?: string;
  domain?: { id?: string; name?: string };
}
export interface AuthRequest {
  identity: {
    methods: string[];
    password?: { user: AuthUser };
    token?: { id: string };
    application_credential?: {
      id?: string;
      name?: string;
      secret: string;
      user?: { id?: string; name?: string; domain?: { id?: string; name?: string } };
    };
  };
  scope?:
    | "unscoped"
    | {
        project?: { id?: string; name?: string; domain?: { id?: string; name?: string } };
        domain?: { id?: string; name?: string };
        system?: { all?: boolean };
        "OS-TRUST:trust"?: { id?: string };
      };
}

export { notFound };
