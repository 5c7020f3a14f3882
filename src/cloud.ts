import { existsSync, mkdirSync, rmSync, writeFileSync, renameSync } from "node:fs";
import { controlApp, type StateControl } from "./control/api.ts";
import { FaultInjector, injectedResponse } from "./control/faults.ts";
import { BASELINE, listSnapshots, removeSnapshot, restoreSnapshot, saveSnapshot, snapshotPath, wipeState } from "./control/state.ts";
import { ApiError } from "./core/errors.ts";
import { requestId } from "./core/ids.ts";
import { registerDefaultImage } from "./control/default-image.ts";
import { join } from "node:path";
import { Bus } from "./core/bus.ts";
import { syncAll } from "./migrations.ts";
import { createObjectStore } from "./objectstore/service.ts";
import { createS3 } from "./s3/service.ts";
import { createSwift } from "./swift/service.ts";
import { fromObjectStore } from "./s3/store.ts";
import { Clock } from "./core/clock.ts";
import { portOf, publicHost, type Config, type ServiceName } from "./core/config.ts";
import { Db } from "./core/db.ts";
import type { Logger } from "./core/log.ts";
import { createIdentity, type Identity } from "./identity/service.ts";
import { createImage } from "./image/service.ts";
import { createNetwork } from "./network/service.ts";
import { createVolume } from "./volume/service.ts";
import { createCompute } from "./compute/service.ts";
import { createDashboard } from "./dashboard/service.ts";
import { createEc2 } from "./ec2/service.ts";
import { createConsole } from "./console/service.ts";
import type { ManagedService } from "./identity/bootstrap.ts";

export interface Listener {
  service: ServiceName;
  url: string;
  server: ReturnType<typeof Bun.serve>;
}

/** What a service contributes to the cloud: a listener on its port and its catalog entries. */
export interface Served {
  name: ServiceName;
  /** `env` is Bun's server (for `server.upgrade(req)` to a websocket) when the request came through a listener. */
  app: { fetch: (r: Request, env?: unknown) => Response | Promise<Response> };
  /** Bun websocket handlers, for a service that upgrades requests (the console proxy). */
  websocket?: import("bun").WebSocketHandler<any>;
  catalog?: ManagedService[];
  /** Runs after identity's bootstrap, in the order services were added (service data: images, networks, flavors…). */
  bootstrap?: () => void | Promise<void>;
  /** Before a reset or a snapshot load: release what lives outside the data dir's state (running guests…). */
  reset?: () => void | Promise<void>;
  stop?: () => void | Promise<void>;
}

export interface Cloud {
  cfg: Config;
  /** The current database (a reset or a snapshot load replaces it: read it through the cloud, do not keep it). */
  readonly db: Db;
  readonly bus: Bus;
  clock: Clock;
  readonly identity: Identity;
  faults: FaultInjector;
  listeners: Listener[];
  /** Each served service's app, for in-process requests (tests): requests go through the same front as the listeners. */
  readonly apps: Partial<Record<ServiceName, Served["app"]>>;
  /** Public URL of a service's API root. */
  url(service: ServiceName): string;
  /** Reset, snapshots (also the /tenrec/v1 API). */
  state: StateControl;
  stop(): Promise<void>;
}

/** The part of the cloud a reset or a snapshot load rebuilds: database, bus, services. */
interface Inner {
  db: Db;
  bus: Bus;
  identity: Identity;
  served: Served[];
  /** Fresh data dir: identity's bootstrap created the cloud. */
  created: boolean;
  stop(): Promise<void>;
}

async function buildInner(
  cfg: Config,
  log: Logger,
  clock: Clock,
  faults: FaultInjector,
  url: (svc: ServiceName) => string,
  opts: { adminPasswordExplicit?: boolean },
): Promise<Inner> {
  mkdirSync(cfg.dataDir, { recursive: true });
  const db = new Db(join(cfg.dataDir, "tenrec.db"));
  syncAll(db);
  const bus = new Bus(db, log.child("bus"));

  const identity = createIdentity({ db, bus, clock, cfg, log: log.child("identity") });
  const served: Served[] = [
    {
      name: "identity",
      app: identity.app,
      catalog: [
        { key: "identity", type: "identity", name: "keystone", description: "Identity Service", url: `${url("identity")}/v3` },
      ],
      stop: () => identity.stop(),
    },
  ];
  // Further services join here: each gets the shared deps and identity's client,
  // and contributes its listener(s) and catalog entries.
  const objectstore = createObjectStore({ db, bus, clock, cfg, log: log.child("objectstore") });
  const s3 = createS3({ store: fromObjectStore(objectstore.store), identity: identity.client, cfg, log: log.child("s3"), clock });
  served.push({
    name: "s3",
    app: s3.app,
    catalog: [{ key: "s3", type: "s3", name: "s3", description: "S3 API (Swift s3api)", url: url("s3") }],
    stop: () => objectstore.stop(),
  });
  const swift = createSwift({ store: objectstore.store, identity: identity.client, cfg, log: log.child("swift"), clock });
  served.push({
    name: "object-store",
    app: swift.app,
    catalog: [
      { key: "object-store", type: "object-store", name: "swift", description: "Object Storage (Swift)", url: `${url("object-store")}/v1/AUTH_$(project_id)s` },
    ],
  });

  // Each service gets the typed clients of the ones it builds on (never their tables).
  const image = createImage({ db, bus, clock, cfg, log: log.child("image"), identity: identity.client, store: objectstore.store });
  served.push({
    name: "image",
    app: image.app,
    catalog: [{ key: "image", type: "image", name: "glance", description: "Image Service (Glance)", url: url("image") }],
    bootstrap: () => image.bootstrap(),
    stop: () => image.stop(),
  });
  const network = createNetwork({ db, bus, clock, cfg, log: log.child("network"), identity: identity.client });
  served.push({
    name: "network",
    app: network.app,
    catalog: [{ key: "network", type: "network", name: "neutron", description: "Networking (Neutron)", url: url("network") }],
    bootstrap: () => network.bootstrap(),
    stop: () => network.stop(),
  });
  const volume = createVolume({ db, bus, clock, cfg, log: log.child("volume"), identity: identity.client, image: image.client, faults });
  served.push({
    name: "volume",
    app: volume.app,
    catalog: [
      { key: "volumev3", type: "volumev3", name: "cinderv3", description: "Block Storage (Cinder) v3", url: `${url("volume")}/v3/$(project_id)s` },
      { key: "block-storage", type: "block-storage", name: "cinder", description: "Block Storage (Cinder)", url: `${url("volume")}/v3/$(project_id)s` },
    ],
    bootstrap: () => volume.bootstrap(),
    stop: () => volume.stop(),
  });
  const compute = createCompute({
    db, bus, clock, cfg, log: log.child("compute"), identity: identity.client,
    image: image.client, network: network.client, volume: volume.client,
    faults, scheduler: cfg.scheduler,
  });
  served.push({
    name: "compute",
    app: compute.app,
    catalog: [{ key: "compute", type: "compute", name: "nova", description: "Compute (Nova)", url: `${url("compute")}/v2.1` }],
    bootstrap: () => compute.bootstrap(),
    stop: () => compute.stop(),
  });

  const consoleProxy = createConsole({
    cfg, log: log.child("console"), now: () => clock.now(),
    consume: (token) => {
      const t = compute.ctx.consoleTokens.get(token);
      if (!t) return undefined;
      compute.ctx.consoleTokens.delete(token);
      return t.expires > clock.now() ? t : undefined;
    },
  });
  served.push({ name: "console", app: consoleProxy.app, websocket: consoleProxy.websocket, stop: () => consoleProxy.stop() });
  const dispatch = async (name: ServiceName, req: Request): Promise<Response> => {
    const s = served.find((x) => x.name === name);
    if (!s) return new Response("service not served", { status: 503 });
    return s.app.fetch(req);
  };
  const ec2 = createEc2({ db, cfg, clock, log: log.child("ec2"), identity: identity.client, dispatch, url });
  served.push({
    name: "ec2",
    app: ec2.app,
    catalog: [{ key: "ec2", type: "ec2", name: "ec2", description: "EC2 Compatibility Layer", url: url("ec2") }],
    stop: () => ec2.stop(),
  });
  const dashboard = createDashboard({ cfg, clock, log: log.child("dashboard"), identityUrl: `${url("identity")}/v3` });
  served.push({
    name: "dashboard",
    app: dashboard.app,
    catalog: [{ key: "dashboard", type: "dashboard", name: "horizon", description: "Dashboard (Horizon)", url: `${url("dashboard")}/` }],
    stop: () => dashboard.stop(),
  });

  const { created } = await identity.bootstrap(served.flatMap((s) => s.catalog ?? []), {
    adminPasswordExplicit: opts.adminPasswordExplicit,
  });
  for (const s of served) await s.bootstrap?.();
  bus.resume();
  // The default (cirros-named) image is part of the bootstrapped cloud (and of the
  // baseline a reset returns to): an upload of a few MB on a new data dir, nothing after.
  if (cfg.defaultImage) {
    await registerDefaultImage(cfg, log.child("image"), (spec) => image.registerLocalImage(spec)).catch((e) => {
      log.warn(`default image not registered: ${(e as Error).message}`);
    });
  }
  return {
    db, bus, identity, served, created,
    async stop() {
      await bus.drain();
      for (const s of [...served].reverse()) await s.stop?.();
      db.close();
    },
  };
}

/**
 * The composition root: config → database → bus → services → listeners.
 * Nothing else wires services together. The listeners stay up across a reset
 * or a snapshot load: each request is dispatched to the current services.
 */
export async function startCloud(
  cfg: Config,
  log: Logger,
  opts: { adminPasswordExplicit?: boolean; listen?: boolean } = {},
): Promise<Cloud> {
  const clock = new Clock();
  const host = publicHost(cfg);
  const url = (svc: ServiceName) => `http://${host}:${portOf(cfg, svc)}`;
  const faults = new FaultInjector(log.child("faults"));
  let inner = await buildInner(cfg, log, clock, faults, url, opts);

  // Requests wait while the state is being swapped; a swap waits for requests in flight.
  let gate: Promise<void> | undefined;
  let inflight = 0;
  let idle: (() => void) | undefined;
  const byName = () => new Map(inner.served.map((s) => [s.name, s.app]));
  let apps = byName();
  const wsOf = (name: ServiceName) => inner.served.find((x) => x.name === name)?.websocket;
  // Websocket events go to the current service's handlers (a reset replaces the service).
  const delegateWs = (name: ServiceName): import("bun").WebSocketHandler<any> => ({
    open: (ws) => wsOf(name)?.open?.(ws),
    message: (ws, m) => wsOf(name)?.message?.(ws, m as never),
    close: (ws, code, reason) => wsOf(name)?.close?.(ws, code, reason),
    drain: (ws) => wsOf(name)?.drain?.(ws),
  });

  let control: ReturnType<typeof controlApp> | undefined;
  const front = (name: ServiceName) => async (req: Request, server?: unknown): Promise<Response | undefined> => {
    while (gate) await gate;
    const u = req.url;
    const q = u.indexOf("?");
    const path = u.slice(u.indexOf("/", u.indexOf("//") + 2), q === -1 ? undefined : q);
    if (path === "/healthz") return new Response("ok\n", { headers: { "content-type": "text/plain" } });
    if (name === "identity" && path.startsWith("/tenrec/")) return control!.fetch(req);
    if (faults.active) {
      const hit = faults.http(name, req.method, path);
      if (hit) {
        if (hit.effect.stall_ms) await Bun.sleep(hit.effect.stall_ms);
        if (hit.effect.status || hit.effect.body !== undefined) return injectedResponse(name, hit.effect, requestId());
      }
    }
    inflight++;
    try {
      return await apps.get(name)!.fetch(req, server);
    } finally {
      if (--inflight === 0) idle?.();
    }
  };

  /** Stop the services, change the data dir's state, start them again on it. */
  const swap = async (change: () => void | Promise<void>, what: string): Promise<{ ms: number }> => {
    const t0 = performance.now();
    while (gate) await gate;
    let open!: () => void;
    gate = new Promise((r) => (open = r));
    try {
      if (inflight > 0) await Promise.race([new Promise<void>((r) => (idle = r)), Bun.sleep(10_000)]);
      idle = undefined;
      for (const s of inner.served) await s.reset?.();
      await inner.stop();
      await change();
      inner = await buildInner(cfg, log, clock, faults, url, opts);
      apps = byName();
      const ms = Math.round(performance.now() - t0);
      log.info(`${what} in ${ms} ms`);
      return { ms };
    } finally {
      gate = undefined;
      open();
    }
  };
  // The baseline a reset returns to: the freshly bootstrapped cloud, before any request.
  const saveBaseline = () => saveSnapshot(inner.db, cfg.dataDir, BASELINE);
  if (inner.created) saveBaseline();
  const state: StateControl = {
    reset: () =>
      swap(() => {
        if (existsSync(join(snapshotPath(cfg.dataDir, BASELINE), "meta.json"))) restoreSnapshot(cfg.dataDir, BASELINE);
        else wipeState(cfg.dataDir);
      }, "reset to the bootstrapped cloud").then(async (r) => {
        if (inner.created) saveBaseline();
        return r;
      }),
    save: async (name) => {
      const t0 = performance.now();
      const meta = saveSnapshot(inner.db, cfg.dataDir, name);
      const ms = Math.round(performance.now() - t0);
      log.info(`snapshot ${name} saved (${meta.bytes} bytes) in ${ms} ms`);
      return { name, bytes: meta.bytes, ms };
    },
    list: async () => listSnapshots(cfg.dataDir),
    load: async (name) => {
      if (!listSnapshots(cfg.dataDir).some((m) => m.name === name)) throw new ApiError(404, `Snapshot ${name} not found.`);
      return swap(() => restoreSnapshot(cfg.dataDir, name), `snapshot ${name} loaded`);
    },
    remove: async (name) => removeSnapshot(cfg.dataDir, name),
  };
  control = controlApp({
    get identity() {
      return inner.identity.client;
    },
    clock, faults, state, log: log.child("control"), accessLog: cfg.accessLog,
  });

  const listeners: Listener[] = [];
  if (opts.listen !== false) {
    try {
      for (const s of inner.served) {
        const options: Record<string, unknown> = {
          hostname: cfg.host,
          port: portOf(cfg, s.name),
          fetch: front(s.name),
          idleTimeout: 120,
          maxRequestBodySize: cfg.maxRequestBodySize,
        };
        if (s.websocket) options.websocket = delegateWs(s.name);
        const server = Bun.serve(options as unknown as Parameters<typeof Bun.serve>[0]);
        listeners.push({ service: s.name, url: url(s.name), server });
      }
    } catch (e) {
      for (const l of listeners) l.server.stop(true);
      await inner.stop();
      throw e;
    }
  }
  const fronts = Object.fromEntries(
    inner.served.map((s) => [s.name, { fetch: async (r: Request) => (await front(s.name)(r)) ?? new Response(null, { status: 500 }) }]),
  );

  let stopped = false;
  return {
    cfg, clock, faults, listeners, url, state,
    get db() {
      return inner.db;
    },
    get bus() {
      return inner.bus;
    },
    get identity() {
      return inner.identity;
    },
    get apps() {
      return fronts;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await Promise.all(listeners.map((l) => l.server.stop(false)));
      await inner.stop();
    },
  };
}

/** Write a file atomically (temp file, then rename). */
export function writeAtomic(path: string, content: string, mode = 0o600): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, content, { mode });
  renameSync(tmp, path);
}

/** The clouds tenrec writes: its own two, then DevStack's names, so scripts written for DevStack run unchanged. */
export const CLOUDS: { name: string; user: string; project?: string; system?: boolean }[] = [
  { name: "tenrec", user: "admin", project: "admin" },
  { name: "tenrec-demo", user: "demo", project: "demo" },
  { name: "devstack", user: "demo", project: "demo" },
  { name: "devstack-admin", user: "admin", project: "admin" },
  { name: "devstack-admin-demo", user: "admin", project: "demo" },
  { name: "devstack-alt", user: "alt_demo", project: "alt_demo" },
  { name: "devstack-alt-member", user: "alt_demo_member", project: "alt_demo" },
  { name: "devstack-alt-reader", user: "alt_demo_reader", project: "alt_demo" },
  { name: "devstack-reader", user: "demo_reader", project: "demo" },
  { name: "devstack-system-admin", user: "admin", system: true },
  { name: "devstack-system-member", user: "system_member", system: true },
  { name: "devstack-system-reader", user: "system_reader", system: true },
];

export function cloudsYaml(cloud: Pick<Cloud, "cfg" | "url">): string {
  const { cfg } = cloud;
  const entry = (c: (typeof CLOUDS)[number]) => `  ${c.name}:
    auth:
      auth_url: ${cloud.url("identity")}/v3
      username: ${c.user}
      password: ${JSON.stringify(c.user === "admin" ? cfg.adminPassword : cfg.demoPassword)}
${c.system ? "      system_scope: all\n" : `      project_name: ${c.project}\n      project_domain_name: Default\n`}      user_domain_name: Default
    region_name: ${cfg.region}
    interface: public
    identity_api_version: 3
`;
  return `# Written by tenrec up. Use with: export OS_CLIENT_CONFIG_FILE=${join(cfg.dataDir, "clouds.yaml")}
clouds:
${CLOUDS.map(entry).join("")}`;
}

export function openrc(cloud: Pick<Cloud, "cfg" | "url">): string {
  const { cfg } = cloud;
  const q = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;
  return `# Written by tenrec up.  Usage: source openrc [USER] [PROJECT]   (default: admin admin)
OS_USERNAME=\${1:-admin}
OS_PROJECT_NAME=\${2:-$OS_USERNAME}
if [ "$OS_USERNAME" = admin ]; then OS_PASSWORD=${q(cfg.adminPassword)}; else OS_PASSWORD=${q(cfg.demoPassword)}; fi
export OS_USERNAME OS_PROJECT_NAME OS_PASSWORD
export OS_AUTH_URL=${cloud.url("identity")}/v3
export OS_AUTH_TYPE=password
export OS_IDENTITY_API_VERSION=3
export OS_USER_DOMAIN_NAME=Default
export OS_PROJECT_DOMAIN_NAME=Default
export OS_REGION_NAME=${cfg.region}
export OS_INTERFACE=public
`;
}

export function removeDataDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
