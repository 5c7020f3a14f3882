import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startCloud, removeDataDir, type Cloud } from "../src/cloud.ts";
import { loadConfig, type Config, type ServiceName } from "../src/core/config.ts";
import { silentLogger } from "../src/core/log.ts";

/**
 * An in-process cloud for tests: a fresh data dir, no listeners (requests go
 * straight to each service's app.fetch), removed by `close()`.
 */
export interface TestCloud {
  cloud: Cloud;
  /** Issue a project-scoped password token (default: admin in admin). */
  token(user?: string, password?: string, project?: string): Promise<string>;
  /** Send a request to a service; `json` is serialized with the right content type. */
  req(
    method: string,
    path: string,
    opts?: { token?: string; json?: unknown; body?: string; headers?: Record<string, string>; service?: ServiceName },
  ): Promise<Response>;
  close(): Promise<void>;
}

export async function testCloud(overrides: Partial<Config> = {}): Promise<TestCloud> {
  const dataDir = mkdtempSync(join(tmpdir(), "tenrec-test-"));
  const cfg = { ...loadConfig({ dataDir, passwordHashCost: 4 }, {}), accessLog: false, defaultImage: false, ...overrides };
  const cloud = await startCloud(cfg, silentLogger, { listen: false });
  const apps = cloud.apps;
  const req: TestCloud["req"] = async (method, path, opts = {}) => {
    const service = opts.service ?? "identity";
    const app = apps[service];
    if (!app) throw new Error(`no app for ${service}`);
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    if (opts.token) headers["x-auth-token"] = opts.token;
    let body = opts.body;
    if (opts.json !== undefined) {
      body = JSON.stringify(opts.json);
      headers["content-type"] ??= "application/json";
    }
    return app.fetch(new Request(`${cloud.url(service)}${path}`, { method, headers, body }));
  };
  const token = async (user = "admin", password = cfg.adminPassword, project: string | undefined = user === "admin" ? "admin" : "demo") => {
    const res = await req("POST", "/v3/auth/tokens", {
      json: {
        auth: {
          identity: { methods: ["password"], password: { user: { name: user, domain: { id: "default" }, password } } },
          ...(project ? { scope: { project: { name: project, domain: { id: "default" } } } } : {}),
        },
      },
    });
    if (res.status !== 201) throw new Error(`token for ${user}: ${res.status} ${await res.text()}`);
    return res.headers.get("x-subject-token")!;
  };
  return {
    cloud,
    token,
    req,
    async close() {
      await cloud.stop();
      removeDataDir(dataDir);
    },
  };
}
