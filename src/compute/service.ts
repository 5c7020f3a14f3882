/**
 * Nova v2.1 on 8774: the API (version discovery, microversions 2.1–2.79,
 * servers and their actions, os-* admin resources), the scheduler and one
 * compute manager per (simulated) compute host, joined by the bus.
 */
import { hostname as osHostname } from "node:os";
import { join } from "node:path";
import { Hono } from "hono";
import { requireAuth } from "../core/auth.ts";
import type { Bus } from "../core/bus.ts";
import type { Clock } from "../core/clock.ts";
import type { Config } from "../core/config.ts";
import type { Db } from "../core/db.ts";
import { novaDialect } from "../core/faults.ts";
import { createApp, type AppEnv } from "../core/http.ts";
import type { Logger } from "../core/log.ts";
import { microversions } from "../core/microversion.ts";
import type { IdentityClient } from "../identity/client.ts";
import type { ImageClient } from "../image/client.ts";
import type { NetworkClient } from "../network/client.ts";
import type { VolumeClient } from "../volume/client.ts";
import type { ComputeDriver } from "../virt/driver.ts";
import { actionsRoutes } from "./api/actions.ts";
import { aggregatesRoutes } from "./api/aggregates.ts";
import { extrasRoutes } from "./api/extras.ts";
import { imagesRoutes } from "./api/images.ts";
import { interfacesRoutes } from "./api/interfaces.ts";
import { migrationsRoutes } from "./api/migrations.ts";
import { volumesRoutes } from "./api/volumes.ts";
import { hypervisorsRoutes } from "./api/hypervisors.ts";
import { instanceActionsRoutes } from "./api/instance_actions.ts";
import { metadataRoutes } from "./api/metadata.ts";
import { serversRoutes } from "./api/servers.ts";
import { servicesRoutes } from "./api/services.ts";
import { usageRoutes } from "./api/usage.ts";
import { MAX_MICROVERSION, NOVA_MV, versionDoc, versionsDoc } from "./api/versions.ts";
import type { ComputeCtx, ComputeHost } from "./ctx.ts";
import { createDriver } from "./drivers.ts";
import { withFaults } from "../control/faulty-driver.ts";
import type { FaultInjector } from "../control/faults.ts";
import { ComputeManager } from "./manager.ts";
import { createComputeResources, type ComputeResources } from "./resources/index.ts";
import { createScheduler } from "./scheduler/index.ts";
import { startScheduler } from "./scheduler/worker.ts";
import { ensureService, heartbeat, HEARTBEAT_MS } from "./services.ts";
import { ActionStore, InstanceStore } from "./store.ts";

export interface ComputeDeps {
  db: Db;
  bus: Bus;
  clock: Clock;
  cfg: Config;
  log: Logger;
  identity: IdentityClient;
  image: ImageClient;
  network: NetworkClient;
  volume: VolumeClient;
  /** Tests may hand in their own API-database resources. */
  resources?: ComputeResources;
  /** Scheduler driver: filter_scheduler (default), chance or simple (else TENREC_SCHEDULER_DRIVER). */
  scheduler?: string;
  /** Fault rules on compute actions (server.build, server.delete, …) from the control API. */
  faults?: FaultInjector;
}

export { MAX_MICROVERSION, NOVA_MV };

/** Zones of the simulated hosts: one host → nova; more → nova, az2, az3 in turn. */
export function zoneOf(index: number, hosts: number): string {
  const zones = Math.min(hosts, 3);
  const z = index % zones;
  return z === 0 ? "nova" : `az${z + 1}`;
}

const PROJECT_PREFIX = /^\/v2\.1\/([0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(?=\/|$)/;

export function createCompute(deps: ComputeDeps) {
  const log = deps.log;
  const app = createApp({
    service: "compute",
    dialect: novaDialect,
    log,
    accessLog: deps.cfg.accessLog,
    requestIdHeaders: ["x-compute-request-id"],
  });
  const resources = deps.resources ?? createComputeResources({ db: deps.db, clock: deps.clock, cfg: deps.cfg, log: log.child("resources"), identity: deps.identity });
  const now = () => deps.clock.now();
  const ctx: ComputeCtx = {
    deps,
    instances: new InstanceStore(deps.db, now),
    actions: new ActionStore(deps.db, now),
    resources,
    hosts: new Map(),
    controllerHost: osHostname() || "tenrec",
    consoleTokens: new Map(),
    now,
  };
  resources.setUsageCounter((p) => ctx.instances.usage(p));

  // The compute hosts and their drivers.
  const n = deps.cfg.computeHosts;
  for (let i = 0; i < n; i++) {
    const name = n === 1 ? ctx.controllerHost : `${ctx.controllerHost}-${i + 1}`;
    const driver: ComputeDriver = withFaults(createDriver({ cfg: deps.cfg, log: log.child("virt"), hostname: name, index: i, dir: join(deps.cfg.dataDir, "instances", name), clock: deps.clock }), deps.faults);
    ctx.hosts.set(name, { name, node: name, zone: zoneOf(i, n), driver, serviceId: 0 });
  }

  /* ------------------------------------------------------------------ routes */
  app.get("/", (c) => c.json(versionsDoc(c)));
  app.get("/v2", (c) => c.json({ version: versionDoc(c, "v2.0") }));
  app.get("/v2/", (c) => c.json({ version: versionDoc(c, "v2.0") }));

  const api = new Hono<AppEnv>();
  api.use("*", microversions(NOVA_MV));
  api.get("/", (c) => c.json({ version: versionDoc(c, "v2.1") }));
  api.use("*", requireAuth(deps.identity));
  api.get("/extensions", (c) => c.json({ extensions: [] }));
  api.route("/", serversRoutes(ctx));
  api.route("/", actionsRoutes(ctx));
  api.route("/", metadataRoutes(ctx));
  api.route("/", instanceActionsRoutes(ctx));
  api.route("/", servicesRoutes(ctx));
  api.route("/", hypervisorsRoutes(ctx));
  api.route("/", usageRoutes(ctx));
  api.route("/", aggregatesRoutes(ctx));
  api.route("/", volumesRoutes(ctx));
  api.route("/", interfacesRoutes(ctx));
  api.route("/", migrationsRoutes(ctx));
  api.route("/", imagesRoutes(ctx));
  api.route("/", extrasRoutes(ctx));
  api.route("/", resources.routes);
  app.route("/v2.1", api);

  // Clients that still put the project id in the path (/v2.1/{project_id}/servers) reach the same routes.
  const fetch = (req: Request): Response | Promise<Response> => {
    const u = new URL(req.url);
    if (u.pathname === "/v2.1/") {
      u.pathname = "/v2.1";
      return app.fetch(new Request(u.toString(), { method: req.method, headers: req.headers }));
    }
    const m = PROJECT_PREFIX.exec(u.pathname);
    if (m) {
      u.pathname = "/v2.1" + u.pathname.slice(m[0].length);
      return app.fetch(new Request(u.toString(), { method: req.method, headers: req.headers, body: req.body, duplex: "half" } as RequestInit));
    }
    return app.fetch(req);
  };

  /* ------------------------------------------------------- workers and lifecycle */
  const managers: ComputeManager[] = [];
  let beat: ReturnType<typeof setInterval> | undefined;
  let serviceIds: number[] = [];

  return {
    app: { fetch },
    ctx,
    resources,
    /** Runs after identity's bootstrap: flavors, the compute services and hosts, the workers. */
    async bootstrap() {
      resources.bootstrap();
      const t = now();
      const { db } = deps;
      serviceIds = [
        ensureService(db, ctx.controllerHost, "nova-scheduler", "scheduler", "internal", t),
        ensureService(db, ctx.controllerHost, "nova-conductor", "conductor", "internal", t),
      ];
      for (const h of ctx.hosts.values()) {
        h.serviceId = ensureService(db, h.name, "nova-compute", "compute", h.zone, t);
        serviceIds.push(h.serviceId);
        const info = h.driver.hostInfo();
        db.run(
          `INSERT INTO compute_nodes (uuid, host, hypervisor_hostname, hypervisor_type, hypervisor_version, vcpus, memory_mb, local_gb, cpu_info, host_ip, created_at, updated_at)
           VALUES (?,?,?,?,?,?,?,?,?,?,?,?)
           ON CONFLICT (host) DO UPDATE SET hypervisor_hostname = excluded.hypervisor_hostname, hypervisor_type = excluded.hypervisor_type,
             hypervisor_version = excluded.hypervisor_version, vcpus = excluded.vcpus, memory_mb = excluded.memory_mb,
             local_gb = excluded.local_gb, cpu_info = excluded.cpu_info, host_ip = excluded.host_ip, updated_at = excluded.updated_at`,
          crypto.randomUUID(), h.name, info.hostname, info.hypervisorType, info.hypervisorVersion, info.vcpus, info.memoryMb,
          info.localGb, JSON.stringify(info.cpuInfo), info.hostIp, t, t,
        );
      }
      heartbeat(db, serviceIds, t);
      const scheduler = createScheduler(deps.scheduler ?? process.env.TENREC_SCHEDULER_DRIVER);
      startScheduler(ctx, scheduler);
      for (const h of ctx.hosts.values()) {
        const m = new ComputeManager(ctx, h);
        await m.start();
        managers.push(m);
      }
      beat = setInterval(() => {
        try {
          heartbeat(db, serviceIds, now());
        } catch (e) {
          log.warn(`heartbeat: ${(e as Error).message}`);
        }
      }, HEARTBEAT_MS);
      (beat as { unref?: () => void }).unref?.();
      log.info(`compute: ${ctx.hosts.size} host(s) with the ${deps.cfg.computeDriver} driver, ${scheduler.name}`);
    },
    async stop() {
      if (beat) clearInterval(beat);
      for (const m of managers) m.stop();
      for (const h of ctx.hosts.values()) await h.driver.shutdown().catch(() => {});
    },
  };
}

export type Compute = ReturnType<typeof createCompute>;
export type { ComputeHost };
