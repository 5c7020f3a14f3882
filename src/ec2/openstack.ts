/**
 * The EC2 API's way to the rest of the cloud: the other services' PUBLIC APIs,
 * called in-process with a project token Keystone issues for the user whose
 * EC2 signature we checked (ec2-api's ec2tokens), cached per access key.
 * OpenStack errors come back as EC2 errors.
 */
import type { ServiceName } from "../core/config.ts";
import type { Ec2Deps } from "./service.ts";
import type { Ec2Principal } from "./auth.ts";
import { ec2err } from "./errors.ts";

const TOKEN_TTL_MS = 10 * 60 * 1000;

export class OsError extends Error {
  constructor(readonly status: number, readonly service: ServiceName, message: string, readonly body: unknown) {
    super(message);
  }
}

export class TokenCache {
  private cache = new Map<string, { token: string; until: number }>();
  constructor(private deps: Ec2Deps) {}
  get(p: Ec2Principal, fresh = false): string {
    const key = `${p.accessKey}\0${p.userId}\0${p.projectId}`;
    const hit = this.cache.get(key);
    const now = Date.now();
    if (hit && !fresh && hit.until > now) return hit.token;
    let token: string;
    try {
      token = this.deps.identity.issueToken(p.userId, p.projectId);
    } catch {
      throw ec2err("AuthFailure", "The user of this access key has no role in its project");
    }
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(key, { token, until: now + TOKEN_TTL_MS });
    return token;
  }
}

const PREFIX: Partial<Record<ServiceName, (projectId: string) => string>> = {
  compute: () => "/v2.1",
  image: () => "/v2",
  volume: (pid) => `/v3/${pid}`,
  network: () => "/v2.0",
};

/** One request's view of OpenStack, as the signing user in the signing project. */
export class OsApi {
  constructor(private deps: Ec2Deps, private tokens: TokenCache, readonly principal: Ec2Principal) {}

  get projectId(): string {
    return this.principal.projectId;
  }

  async call<T = any>(service: ServiceName, method: string, path: string, body?: unknown): Promise<T> {
    let res = await this.send(service, method, path, body, false);
    if (res.status === 401) res = await this.send(service, method, path, body, true);
    const text = await res.text();
    let json: unknown = undefined;
    if (text) {
      try {
        json = JSON.parse(text);
      } catch {
        json = text;
      }
    }
    if (res.status >= 400) throw new OsError(res.status, service, messageOf(json) ?? `${service} answered ${res.status}`, json);
    if (res.status === 202 && json === undefined) {
      const loc = res.headers.get("location");
      return { location: loc } as T;
    }
    return json as T;
  }

  private send(service: ServiceName, method: string, path: string, body: unknown, fresh: boolean): Promise<Response> {
    const headers: Record<string, string> = {
      "x-auth-token": this.tokens.get(this.principal, fresh),
      accept: "application/json",
    };
    if (service === "compute") headers["openstack-api-version"] = "compute 2.79";
    if (service === "volume") headers["openstack-api-version"] = "volume 3.0";
    let payload: string | undefined;
    if (body !== undefined) {
      payload = JSON.stringify(body);
      headers["content-type"] = "application/json";
    }
    const url = this.deps.url(service) + (PREFIX[service]?.(this.principal.projectId) ?? "") + path;
    return this.deps.dispatch(service, new Request(url, { method, headers, body: payload }));
  }
}

function messageOf(body: unknown): string | undefined {
  if (typeof body === "string") return body.trim().split("\n").filter(Boolean).at(-1)?.slice(0, 500);
  if (!body || typeof body !== "object") return undefined;
  const o = body as Record<string, any>;
  if (o.NeutronError?.message) return o.NeutronError.message;
  if (o.error?.message) return o.error.message;
  for (const v of Object.values(o)) if (v && typeof v === "object" && typeof v.message === "string") return v.message;
  return undefined;
}

/**
 * Map an OpenStack error to EC2: 404 → the given NotFound code, 403 →
 * UnauthorizedOperation, 413/quota → the limit code, 409 → IncorrectState,
 * other 4xx → InvalidParameterValue, 5xx → InternalError.
 */
export function mapOsError(e: unknown, notFoundCode?: string, id?: string, limitCode = "ResourceLimitExceeded"): never {
  if (!(e instanceof OsError)) throw e;
  if (e.status === 404 && notFoundCode) throw ec2err(notFoundCode, `The ID '${id ?? ""}' does not exist`);
  if (e.status === 403 && /quota/i.test(e.message)) throw ec2err(limitCode, e.message);
  if (e.status === 413 || (e.status === 409 && /quota|limit/i.test(e.message))) throw ec2err(limitCode, e.message);
  if (e.status === 403) throw ec2err("UnauthorizedOperation", e.message);
  if (e.status === 409) throw ec2err("IncorrectState", e.message);
  if (e.status === 401) throw ec2err("AuthFailure", e.message);
  if (e.status >= 500) throw ec2err("InternalError", e.message);
  throw ec2err("InvalidParameterValue", e.message);
}
