import type { IdentityCtx } from "./ctx.ts";
import { hexId } from "../core/ids.ts";
import type { Db } from "../core/db.ts";
import { hashAccessKey, insertCredential } from "./logic/credentials.ts";
import { getDomain, getGlobalRoleByName, getProjectByName, getUserByName } from "./model.ts";

/** A catalog entry a tenrec service contributes (kept in step with host and ports on every start). */
export interface ManagedService {
  /** Stable key, e.g. "identity". */
  key: string;
  type: string;
  name: string;
  description?: string;
  /** URL for all three interfaces. */
  url: string;
}

export const DEFAULT_DOMAIN = "default";

/**
 * Idempotent bootstrap, like `keystone-manage bootstrap` plus DevStack's
 * accounts: domain Default; roles admin ⊃ member ⊃ reader (plus service);
 * projects admin, demo, service; users admin and demo with their grants; the
 * region; the catalog entries of every service tenrec serves.
 */
/** The accounts DevStack creates besides admin and demo, with the role each has where. */
export const DEVSTACK_USERS: { name: string; role: "admin" | "member" | "reader"; scope: "demo" | "alt_demo" | "system" }[] = [
  { name: "alt_demo", role: "member", scope: "alt_demo" },
  { name: "demo_reader", role: "reader", scope: "demo" },
  { name: "alt_demo_member", role: "member", scope: "alt_demo" },
  { name: "alt_demo_reader", role: "reader", scope: "alt_demo" },
  { name: "system_member", role: "member", scope: "system" },
  { name: "system_reader", role: "reader", scope: "system" },
];

/** The EC2 key bootstrap made for a user in a project (for `tenrec env`), if any. */
export function bootstrapEc2Key(db: Db, userName: string, projectName: string): { access: string; secret: string } | undefined {
  const u = getUserByName(db, DEFAULT_DOMAIN, userName);
  const p = getProjectByName(db, DEFAULT_DOMAIN, projectName);
  if (!u || !p) return undefined;
  const row = db.get<{ blob: string }>(
    "SELECT blob FROM identity_credentials WHERE user_id = ? AND project_id = ? AND type = 'ec2' ORDER BY rowid LIMIT 1",
    u.id, p.id,
  );
  if (!row) return undefined;
  const b = JSON.parse(row.blob) as { access: string; secret: string };
  return { access: b.access, secret: b.secret };
}

export async function bootstrap(
  ctx: IdentityCtx,
  services: ManagedService[],
  opts: { adminPasswordExplicit?: boolean } = {},
): Promise<{ created: boolean }> {
  const { db, cfg } = ctx;
  const fresh = !getDomain(db, DEFAULT_DOMAIN);
  // Hash outside the transaction (it is the slow part).
  const needAdmin = !getUserByName(db, DEFAULT_DOMAIN, "admin");
  const needDemo = !getUserByName(db, DEFAULT_DOMAIN, "demo");
  const adminHash = needAdmin || opts.adminPasswordExplicit ? await ctx.hashSecret(cfg.adminPassword) : undefined;
  const demoHash = needDemo ? await ctx.hashSecret(cfg.demoPassword) : undefined;
  // DevStack's other accounts (same password as demo, as DevStack gives them all one password).
  const extraHashes = new Map<string, string>();
  await Promise.all(
    DEVSTACK_USERS.filter((u) => !getUserByName(db, DEFAULT_DOMAIN, u.name)).map(async (u) =>
      extraHashes.set(u.name, await ctx.hashSecret(cfg.demoPassword)),
    ),
  );
  let adminPwChanged = false;
  if (!needAdmin && opts.adminPasswordExplicit) {
    const u = getUserByName(db, DEFAULT_DOMAIN, "admin")!;
    adminPwChanged = !(await ctx.verifySecret(cfg.adminPassword, u.password_hash));
  }
  const now = ctx.clock.now();

  db.tx(() => {
    if (fresh)
      db.run(
        "INSERT INTO identity_domains (id, name, description, enabled) VALUES (?, 'Default', 'The default domain', 1)",
        DEFAULT_DOMAIN,
      );
    const role = (name: string) => {
      let r = getGlobalRoleByName(db, name);
      if (!r) {
        db.run("INSERT INTO identity_roles (id, name, domain_id) VALUES (?, ?, NULL)", hexId(), name);
        r = getGlobalRoleByName(db, name)!;
      }
      return r.id;
    };
    const admin = role("admin"), member = role("member"), reader = role("reader");
    role("service");
    if (fresh) {
      db.run("INSERT OR IGNORE INTO identity_implied_roles VALUES (?, ?)", admin, member);
      db.run("INSERT OR IGNORE INTO identity_implied_roles VALUES (?, ?)", member, reader);
    }
    const project = (name: string, description: string) => {
      let p = getProjectByName(db, DEFAULT_DOMAIN, name);
      if (!p) {
        db.run(
          "INSERT INTO identity_projects (id, name, domain_id, description) VALUES (?, ?, ?, ?)",
          hexId(), name, DEFAULT_DOMAIN, description,
        );
        p = getProjectByName(db, DEFAULT_DOMAIN, name)!;
      }
      return p.id;
    };
    const adminP = project("admin", "Bootstrap project for initializing the cloud.");
    const demoP = project("demo", "Demo project");
    project("service", "Service project");
    const altP = project("alt_demo", "Alternate demo project (DevStack)");
    const projects: Record<string, string> = { admin: adminP, demo: demoP, alt_demo: altP };
    project("invisible_to_admin", "A project the admin user has no role on (DevStack)");
    const user = (name: string, hash: string | undefined, defaultProject: string) => {
      let u = getUserByName(db, DEFAULT_DOMAIN, name);
      if (!u) {
        db.run(
          `INSERT INTO identity_users (id, name, domain_id, enabled, password_hash, password_created_at,
             default_project_id, created_at) VALUES (?, ?, ?, 1, ?, ?, ?, ?)`,
          hexId(), name, DEFAULT_DOMAIN, hash!, now, defaultProject, now,
        );
        u = getUserByName(db, DEFAULT_DOMAIN, name)!;
      }
      return u.id;
    };
    const grant = (type: string, actor: string, target: string, roleId: string) =>
      db.run("INSERT OR IGNORE INTO identity_assignments VALUES (?, ?, ?, ?, 0)", type, actor, target, roleId);
    const adminU = user("admin", adminHash, adminP);
    const demoU = user("demo", demoHash, demoP);
    const roles: Record<string, string> = { admin, member, reader };
    for (const u of DEVSTACK_USERS) {
      const hash = extraHashes.get(u.name);
      if (!hash) continue; // existed already: leave its grants as they are
      const id = user(u.name, hash, u.scope === "system" ? demoP : projects[u.scope]!);
      if (u.scope === "system") grant("UserSystem", id, "system", roles[u.role]!);
      else grant("UserProject", id, projects[u.scope]!, roles[u.role]!);
    }
    if (extraHashes.has("alt_demo")) grant("UserProject", adminU, altP, admin);
    // EC2 credentials for admin and demo, so the S3 (and EC2) APIs work at once (`tenrec env` prints them).
    if (fresh) {
      for (const [uid, pid] of [[adminU, adminP], [demoU, demoP]] as const) {
        const access = hexId();
        insertCredential(db, {
          id: hashAccessKey(access), userId: uid, projectId: pid, type: "ec2",
          blob: JSON.stringify({ access, secret: hexId(), trust_id: null }), accessKey: access,
        });
      }
    }
    if (adminPwChanged && adminHash) {
      db.run("UPDATE identity_users SET password_hash = ?, password_created_at = ? WHERE id = ?", adminHash, now, adminU);
    }
    if (fresh) {
      grant("UserProject", adminU, adminP, admin);
      grant("UserProject", adminU, demoP, admin);
      grant("UserSystem", adminU, "system", admin);
      grant("UserDomain", adminU, DEFAULT_DOMAIN, admin);
      grant("UserProject", demoU, demoP, member);
    }
    db.run("INSERT OR IGNORE INTO identity_regions (id, description) VALUES (?, '')", cfg.region);

    // Managed catalog entries follow host, port offset and region on every start.
    for (const s of services) {
      let svc = db.get<{ id: string }>("SELECT id FROM identity_services WHERE managed = ?", s.key);
      if (!svc) {
        const id = hexId();
        db.run(
          "INSERT INTO identity_services (id, type, name, description, enabled, managed) VALUES (?, ?, ?, ?, 1, ?)",
          id, s.type, s.name, s.description ?? null, s.key,
        );
        svc = { id };
      }
      for (const iface of ["public", "internal", "admin"]) {
        const ep = db.get<{ id: string; url: string; region_id: string }>(
          "SELECT id, url, region_id FROM identity_endpoints WHERE service_id = ? AND interface = ?",
          svc.id, iface,
        );
        if (!ep)
          db.run(
            "INSERT INTO identity_endpoints (id, service_id, interface, region_id, url, enabled) VALUES (?, ?, ?, ?, ?, 1)",
            hexId(), svc.id, iface, cfg.region, s.url,
          );
        else if (ep.url !== s.url || ep.region_id !== cfg.region)
          db.run("UPDATE identity_endpoints SET url = ?, region_id = ? WHERE id = ?", s.url, cfg.region, ep.id);
      }
    }
  });
  if (adminPwChanged) ctx.revokeUserTokens(getUserByName(db, DEFAULT_DOMAIN, "admin")!.id);
  ctx.changed();
  return { created: fresh };
}
