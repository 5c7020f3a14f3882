/**
 * Helpers for the image service's tests: identity, the object store and
 * Glance composed by hand as src/cloud.ts does (so tests hold the image
 * service object and the store client), requests with binary bodies.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Bus } from "../core/bus.ts";
import { Clock } from "../core/clock.ts";
import { loadConfig, type Config } from "../core/config.ts";
import { Db } from "../core/db.ts";
import { silentLogger } from "../core/log.ts";
import { createIdentity } from "../identity/service.ts";
import { syncAll } from "../migrations.ts";
import type { ObjectStoreClient } from "../objectstore/client.ts";
import { createObjectStore } from "../objectstore/service.ts";
import { createImage, type ImageService } from "./service.ts";

export interface GlanceTest {
  image: ImageService;
  objects: ObjectStoreClient;
  cfg: Config;
  admin: string;
  demo: string;
  adminProject: string;
  demoProject: string;
  serviceAccount: string;
  /** A request to Glance; `body` may be bytes or a stream (sent as application/octet-stream). */
  req(method: string, path: string, opts?: { token?: string; json?: unknown; body?: RequestInit["body"]; headers?: Record<string, string> }): Promise<Response>;
  /** Create an image (admin unless `token`), returning its JSON. */
  create(body?: Record<string, unknown>, token?: string): Promise<any>;
  /** Upload bytes; returns the response status. */
  upload(id: string, bytes: Uint8Array, token?: string): Promise<number>;
  /** PATCH with the v2.1 JSON-patch media type. */
  patch(id: string, ops: unknown, token?: string): Promise<Response>;
  /** Object names in a container of the service account (default `glance`). */
  listObjects(container?: string): Promise<{ name: string; bytes: number; etag: string }[]>;
  close(): Promise<void>;
}

export async function glanceTest(overrides: Partial<Config> = {}): Promise<GlanceTest> {
  const dataDir = mkdtempSync(join(tmpdir(), "tenrec-image-test-"));
  const cfg: Config = { ...loadConfig({ dataDir, passwordHashCost: 4 }, {}), accessLog: false, ...overrides };
  const db = new Db(join(dataDir, "tenrec.db"));
  syncAll(db);
  const clock = new Clock();
  const log = silentLogger;
  const bus = new Bus(db, log);
  const identity = createIdentity({ db, bus, clock, cfg, log });
  const objectstore = createObjectStore({ db, bus, clock, cfg, log });
  const image = createImage({ db, bus, clock, cfg, log, identity: identity.client, store: objectstore.store });
  await identity.bootstrap([{ key: "image", type: "image", name: "glance", description: "Image", url: "http://127.0.0.1:9292" }]);
  await image.bootstrap();

  const token = async (user: string, password: string, project: string) => {
    const res = await identity.app.fetch(
      new Request("http://127.0.0.1:5000/v3/auth/tokens", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          auth: {
            identity: { methods: ["password"], password: { user: { name: user, domain: { id: "default" }, password } } },
            scope: { project: { name: project, domain: { id: "default" } } },
          },
        }),
      }),
    );
    if (res.status !== 201) throw new Error(`token for ${user}: ${res.status}`);
    return res.headers.get("x-subject-token")!;
  };
  const admin = await token("admin", cfg.adminPassword, "admin");
  const demo = await token("demo", cfg.demoPassword, "demo");
  const adminProject = identity.client.projectByName("admin")!.id;
  const demoProject = identity.client.projectByName("demo")!.id;
  const serviceAccount = `AUTH_${identity.client.projectByName("service")!.id}`;

  const req: GlanceTest["req"] = async (method, path, opts = {}) => {
    const headers: Record<string, string> = { accept: "application/json", ...(opts.headers ?? {}) };
    headers["x-auth-token"] ??= opts.token ?? admin;
    let body = opts.body;
    if (opts.json !== undefined) {
      body = JSON.stringify(opts.json);
      headers["content-type"] ??= "application/json";
    } else if (body !== undefined) headers["content-type"] ??= "application/octet-stream";
    return image.app.fetch(new Request(`http://127.0.0.1:9292${path}`, { method, headers, body, duplex: "half" } as RequestInit));
  };
  return {
    image,
    objects: objectstore.store,
    cfg,
    admin,
    demo,
    adminProject,
    demoProject,
    serviceAccount,
    req,
    async create(body = {}, tok = admin) {
      const res = await req("POST", "/v2/images", { token: tok, json: { disk_format: "raw", container_format: "bare", ...body } });
      if (res.status !== 201) throw new Error(`create: ${res.status} ${await res.text()}`);
      return res.json();
    },
    async upload(id, b, tok = admin) {
      const res = await req("PUT", `/v2/images/${id}/file`, { token: tok, body: b });
      await res.arrayBuffer();
      return res.status;
    },
    patch(id, ops, tok = admin) {
      return req("PATCH", `/v2/images/${id}`, {
        token: tok,
        body: JSON.stringify(ops),
        headers: { "content-type": "application/openstack-images-v2.1-json-patch" },
      });
    },
    async listObjects(container = "glance") {
      const l = await objectstore.store.listObjects(serviceAccount, container, { limit: 10000 });
      return l.flatMap((e) => ("name" in e ? [{ name: e.name, bytes: e.bytes, etag: e.etag }] : []));
    },
    async close() {
      await image.stop();
      identity.stop();
      objectstore.stop();
      await bus.drain();
      db.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export const bytes = (n: number, seed = 1): Uint8Array<ArrayBuffer> => {
  const b = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    b[i] = x >>> 16;
  }
  return b;
};

export const md5 = (b: Uint8Array) => new Bun.CryptoHasher("md5").update(b).digest("hex");
export const sha512 = (b: Uint8Array) => new Bun.CryptoHasher("sha512").update(b).digest("hex");
