/**
 * Server-side sessions: the browser holds only a random session id (cookie
 * HttpOnly + SameSite=Lax); the Keystone token, catalog and CSRF token stay here.
 */
import { timingSafeEqual } from "node:crypto";
import { errorMessage, OsError } from "./os.ts";

export interface Project {
  id: string;
  name: string;
}

export interface Session {
  id: string;
  csrf: string;
  /** Scoped token (project). Absent: anonymous session (the login page). */
  token?: string;
  expiresAt?: number;
  user?: { id: string; name: string; domain: string };
  project?: Project;
  projects: Project[];
  roles: string[];
  /** service type → public URL */
  catalog: Record<string, string>;
  flash?: { kind: "ok" | "error"; text: string };
  lastSeen: number;
}

export const COOKIE = "tenrec_dashboard";
const IDLE_MS = 4 * 3600_000;

function randomId(bytes = 32): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(bytes))).toString("base64url");
}

export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export class Sessions {
  private map = new Map<string, Session>();

  create(): Session {
    this.sweep();
    const s: Session = { id: randomId(), csrf: randomId(24), projects: [], roles: [], catalog: {}, lastSeen: Date.now() };
    this.map.set(s.id, s);
    return s;
  }

  get(id: string | undefined): Session | undefined {
    if (!id) return undefined;
    const s = this.map.get(id);
    if (!s) return undefined;
    const now = Date.now();
    if (now - s.lastSeen > IDLE_MS || (s.expiresAt && s.expiresAt <= now)) {
      this.map.delete(id);
      return undefined;
    }
    s.lastSeen = now;
    return s;
  }

  /** A fresh id at login (no session fixation); the old one is forgotten. */
  rotate(s: Session): Session {
    this.map.delete(s.id);
    const n: Session = { ...s, id: randomId(), csrf: randomId(24) };
    this.map.set(n.id, n);
    return n;
  }

  delete(id: string) {
    this.map.delete(id);
  }

  size() {
    return this.map.size;
  }

  private sweep() {
    if (this.map.size < 1000) return;
    const now = Date.now();
    for (const [id, s] of this.map) if (now - s.lastSeen > IDLE_MS || (s.expiresAt && s.expiresAt <= now)) this.map.delete(id);
  }
}

interface TokenBody {
  token: {
    expires_at: string;
    user: { id: string; name: string; domain: { id: string; name: string } };
    project?: { id: string; name: string };
    roles?: { name: string }[];
    catalog?: { type: string; endpoints: { interface: string; url: string; region?: string }[] }[];
  };
}

async function keystone(identityUrl: string, path: string, init: RequestInit): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(`${identityUrl}${path}`, init);
  } catch (e) {
    throw new OsError(503, `Identity is unreachable (${(e as Error).message}).`);
  }
  return res;
}

async function issue(identityUrl: string, auth: unknown): Promise<{ token: string; body: TokenBody }> {
  const res = await keystone(identityUrl, "/auth/tokens", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ auth }),
  });
  const text = await res.text();
  if (res.status === 401) throw new OsError(401, "Invalid credentials.");
  if (res.status >= 400) throw new OsError(res.status, errorMessage(res.status, text));
  return { token: res.headers.get("x-subject-token") ?? "", body: JSON.parse(text) as TokenBody };
}

function applyToken(s: Session, token: string, body: TokenBody) {
  const t = body.token;
  s.token = token;
  s.expiresAt = Date.parse(t.expires_at) || undefined;
  s.user = { id: t.user.id, name: t.user.name, domain: t.user.domain?.name ?? t.user.domain?.id };
  s.project = t.project ? { id: t.project.id, name: t.project.name } : undefined;
  s.roles = (t.roles ?? []).map((r) => r.name);
  s.catalog = {};
  for (const svc of t.catalog ?? []) {
    const ep = svc.endpoints.find((e) => e.interface === "public") ?? svc.endpoints[0];
    if (ep) s.catalog[svc.type] = ep.url;
  }
}

/** Password login: an unscoped token, the user's projects, then a token scoped to the first of them. */
export async function login(identityUrl: string, s: Session, domain: string, user: string, password: string) {
  const domainRef = /^[0-9a-f]{32}$/.test(domain) || domain === "default" ? { id: domain } : { name: domain };
  const unscoped = await issue(identityUrl, {
    identity: { methods: ["password"], password: { user: { name: user, domain: domainRef, password } } },
  });
  const res = await keystone(identityUrl, "/auth/projects", { headers: { "x-auth-token": unscoped.token } });
  if (res.status >= 400) throw new OsError(res.status, errorMessage(res.status, await res.text()));
  const projects = ((await res.json()) as { projects: (Project & { enabled?: boolean })[] }).projects
    .filter((p) => p.enabled !== false)
    .map((p) => ({ id: p.id, name: p.name }))
    .sort((a, b) => a.name.localeCompare(b.name));
  if (projects.length === 0) throw new OsError(401, "You are not authorized for any projects.");
  s.projects = projects;
  await rescope(identityUrl, s, projects[0].id, unscoped.token);
}

/** Switch project: rescope with the current token, as Horizon's project switcher does. */
export async function rescope(identityUrl: string, s: Session, projectId: string, from = s.token ?? "") {
  if (!s.projects.some((p) => p.id === projectId)) throw new OsError(403, "You are not a member of that project.");
  const scoped = await issue(identityUrl, {
    identity: { methods: ["token"], token: { id: from } },
    scope: { project: { id: projectId } },
  });
  applyToken(s, scoped.token, scoped.body);
}

export async function revoke(identityUrl: string, token: string, auth: string) {
  await keystone(identityUrl, "/auth/tokens", { method: "DELETE", headers: { "x-auth-token": auth, "x-subject-token": token } }).catch(() => {});
}

export const isAdmin = (s: Session) => s.roles.includes("admin");
