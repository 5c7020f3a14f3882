/**
 * The dashboard's OpenStack client: every call goes to a service's PUBLIC API
 * (the catalog the user's token carries), as Horizon does. Errors come back as
 * an OsError with a message fit to show a person (never a stack trace).
 */
import type { Session } from "./session.ts";

export class OsError extends Error {
  constructor(
    public status: number,
    message: string,
  ) {
    super(message);
  }
}

export type Service = "compute" | "image" | "network" | "volumev3" | "object-store" | "identity";

export interface CallOpts {
  method?: string;
  json?: unknown;
  body?: string | Blob | ReadableStream | ArrayBuffer | null;
  headers?: Record<string, string>;
  /** Return the Response as is (for streams and HEAD). */
  raw?: boolean;
  /** A 404 is not an error: resolve to null. */
  allow404?: boolean;
}

/** A readable message from any OpenStack error body (nova/cinder, neutron, keystone, glance/swift text). */
export function errorMessage(status: number, text: string): string {
  let msg = "";
  try {
    const j = JSON.parse(text);
    if (j && typeof j === "object") {
      if (j.NeutronError?.message) msg = j.NeutronError.message;
      else if (j.error?.message) msg = j.error.message;
      else if (typeof j.message === "string") msg = j.message;
      else {
        const first = Object.values(j)[0] as { message?: string } | undefined;
        if (first && typeof first === "object" && typeof first.message === "string") msg = first.message;
      }
    }
  } catch {
    msg = text
      .replace(/<[^>]*>/g, " ")
      .replace(/\s+/g, " ")
      .trim();
  }
  if (!msg) msg = `the service answered ${status}`;
  return msg.length > 400 ? `${msg.slice(0, 400)}…` : msg;
}

const SERVICE_LABEL: Record<Service, string> = {
  compute: "Compute",
  image: "Image",
  network: "Network",
  volumev3: "Block Storage",
  "object-store": "Object Store",
  identity: "Identity",
};

export class Os {
  constructor(
    private s: Session,
    private identityUrl: string,
  ) {}

  endpoint(service: Service): string {
    if (service === "identity") return this.identityUrl;
    const url = this.s.catalog[service] ?? (service === "volumev3" ? this.s.catalog["block-storage"] : undefined);
    if (!url) throw new OsError(503, `${SERVICE_LABEL[service]} is not in your service catalog.`);
    return url.replace(/\/$/, "");
  }

  async call(service: Service, path: string, opts: CallOpts = {}): Promise<Response> {
    const headers: Record<string, string> = { "x-auth-token": this.s.token ?? "", accept: "application/json", ...(opts.headers ?? {}) };
    let body = opts.body ?? undefined;
    if (opts.json !== undefined) {
      body = JSON.stringify(opts.json);
      headers["content-type"] ??= "application/json";
    }
    let res: Response;
    try {
      const init: RequestInit & { duplex?: "half" } = { method: opts.method ?? "GET", headers, body, redirect: "manual" };
      if (body instanceof ReadableStream) init.duplex = "half"; // a streamed upload
      res = await fetch(`${this.endpoint(service)}${path}`, init);
    } catch (e) {
      throw new OsError(503, `${SERVICE_LABEL[service]} is unreachable (${(e as Error).message}).`);
    }
    if (opts.raw) return res;
    if (res.status === 404 && opts.allow404) return res;
    if (res.status === 401 && service !== "identity") {
      // The token expired or was revoked: the session is over; the next page asks for a login.
      this.s.token = undefined;
      throw new OsError(401, "Your session has expired. Please log in again.");
    }
    if (res.status >= 400) {
      const text = await res.text().catch(() => "");
      throw new OsError(res.status, `${SERVICE_LABEL[service]}: ${errorMessage(res.status, text)}`);
    }
    return res;
  }

  async json<T = any>(service: Service, path: string, opts: CallOpts = {}): Promise<T> {
    const res = await this.call(service, path, opts);
    if (res.status === 404 && opts.allow404) return null as T;
    const text = await res.text();
    if (!text) return {} as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new OsError(502, `${SERVICE_LABEL[service]} answered something that is not JSON.`);
    }
  }

  /** Like json(), but a failure yields {error} instead of throwing: for pages that degrade gracefully. */
  async tryJson<T = any>(service: Service, path: string, opts: CallOpts = {}): Promise<{ data?: T; error?: string }> {
    try {
      return { data: await this.json<T>(service, path, opts) };
    } catch (e) {
      return { error: e instanceof OsError ? e.message : String((e as Error)?.message ?? e) };
    }
  }
}
