/** Test helpers: an in-process cloud and raw requests to its Swift app. */
import type { Config } from "../core/config.ts";
import { testCloud, type TestCloud } from "../../test/harness.ts";

export interface SwiftTest {
  t: TestCloud;
  admin: string;
  demo: string;
  /** AUTH_<admin project id> */
  account: string;
  /** AUTH_<demo project id> */
  demoAccount: string;
  demoUserId: string;
  demoProjectId: string;
  /** A request to the Swift app; `body` may be a string, bytes or a stream. */
  req(
    method: string,
    path: string,
    opts?: { token?: string | null; headers?: Record<string, string>; body?: string | Uint8Array | ReadableStream<Uint8Array> },
  ): Promise<Response>;
  close(): Promise<void>;
}

export async function swiftTest(overrides: Partial<Config> = {}): Promise<SwiftTest> {
  const t = await testCloud(overrides);
  const admin = await t.token();
  const demo = await t.token("demo", "secret", "demo");
  const a = t.cloud.identity.client.validate(admin)!;
  const d = t.cloud.identity.client.validate(demo)!;
  const app = t.cloud.apps["object-store"]!;
  const base = t.cloud.url("object-store");
  return {
    t,
    admin,
    demo,
    account: `AUTH_${a.projectId}`,
    demoAccount: `AUTH_${d.projectId}`,
    demoUserId: d.userId,
    demoProjectId: d.projectId!,
    async req(method, path, opts = {}) {
      const headers: Record<string, string> = { ...(opts.headers ?? {}) };
      const token = opts.token === undefined ? admin : opts.token;
      if (token) headers["x-auth-token"] = token;
      const body = opts.body;
      if (typeof body === "string" || body instanceof Uint8Array)
        headers["content-length"] ??= String(typeof body === "string" ? Buffer.byteLength(body) : body.byteLength);
      else if (body instanceof ReadableStream) headers["transfer-encoding"] ??= "chunked";
      const init: RequestInit & { duplex?: string } = { method, headers, body: body as RequestInit["body"] };
      if (body instanceof ReadableStream) init.duplex = "half";
      return app.fetch(new Request(`${base}${path}`, init));
    },
    close: () => t.close(),
  };
}

export const md5hex = (data: string | Uint8Array) => new Bun.CryptoHasher("md5").update(data).digest("hex");
