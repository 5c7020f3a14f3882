/** Cinder v3 on 8776: assemble the block storage service (tables, backend, worker, routes, client). */
import { join } from "node:path";
import { requireAuth } from "../core/auth.ts";
import { badRequest } from "../core/errors.ts";
import { novaDialect } from "../core/faults.ts";
import { createApp } from "../core/http.ts";
import { microversions } from "../core/microversion.ts";
import { uuid } from "../core/ids.ts";
import { attachmentRoutes } from "./api/attachments.ts";
import { backupRoutes } from "./api/backups.ts";
import { miscRoutes } from "./api/misc.ts";
import { qosRoutes } from "./api/qos.ts";
import { quotaRoutes } from "./api/quotas.ts";
import { snapshotRoutes } from "./api/snapshots.ts";
import { transferRoutes } from "./api/transfers.ts";
import { typeRoutes } from "./api/types.ts";
import { versionRoutes } from "./api/versions.ts";
import { volumeRoutes } from "./api/volumes.ts";
import { FileBackend } from "./backend.ts";
import { injectAction } from "../control/faulty-driver.ts";
import type { FaultInjector } from "../control/faults.ts";
import { VolumeWaiters, volumeClient, type VolumeClient } from "./client.ts";
import { BACKEND, DEFAULT_AZ, DEFAULT_TYPE_NAME, HOST, MV, nowOf, type VolumeCtx, type VolumeDeps } from "./ctx.ts";
import { getTypeByName } from "./store.ts";
import { startWorker } from "./worker.ts";

export type { VolumeDeps };

/** First path segments of the API's resources: `/v3/<one of these>/…` is a project-less URL (3.67). */
const TOP = new Set([
  "volumes", "snapshots", "types", "attachments", "os-quota-sets", "os-quota-class-sets", "limits", "os-availability-zone",
  "extensions", "os-services", "os-hosts", "scheduler-stats", "capabilities", "messages", "default-types", "backups",
  "groups", "group_types", "group_snapshots", "qos-specs", "os-volume-transfer", "volume-transfers", "os-volume-manage",
  "os-snapshot-manage", "manageable_volumes", "manageable_snapshots", "workers", "clusters", "resource_filters",
]);

/** A volume.create fault rule fails (or stalls) the backend's next volume creation: the volume ends in error. */
function withVolumeFaults(backend: FileBackend, faults: FaultInjector | undefined): FileBackend {
  if (!faults) return backend;
  const creates = new Set(["createBlank", "createFromFile", "createFromStream"]);
  return new Proxy(backend, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== "function") return value;
      if (!creates.has(String(prop))) return value.bind(target);
      return async (...args: unknown[]) => {
        await injectAction(faults, "volume", "volume.create", String(args[0] ?? ""));
        return value.apply(target, args);
      };
    },
  });
}

export function createVolume(deps: VolumeDeps) {
  const app = createApp({ service: "volume", dialect: novaDialect, log: deps.log, accessLog: deps.cfg.accessLog });
  const ctx: VolumeCtx = {
    ...deps,
    backend: withVolumeFaults(new FileBackend(deps.cfg.dataDir, deps.log), deps.faults),
    now: nowOf(deps.clock),
  };
  const waiters = new VolumeWaiters();
  startWorker(ctx, (id) => waiters.changed(id));
  const client: VolumeClient = volumeClient(ctx, waiters);

  app.route("/", versionRoutes());

  const auth = requireAuth(deps.identity);
  const mv = microversions(MV);
  const api = [volumeRoutes(ctx), snapshotRoutes(ctx), typeRoutes(ctx), quotaRoutes(ctx), miscRoutes(ctx), attachmentRoutes(ctx), transferRoutes(ctx), qosRoutes(ctx), backupRoutes(ctx)];

  // /v3/{project_id}/… (the catalog's URLs) and, since 3.67, /v3/… without it.
  app.use("/v3/:project_id/*", auth, async (c, next) => {
    const p = c.req.param("project_id") ?? "";
    if (!TOP.has(p) && p !== c.get("auth").projectId) throw badRequest("Malformed request url");
    await next();
  }, mv);
  app.use("/v3/:project_id", auth, mv);
  for (const r of api) {
    app.route("/v3", r);
    app.route("/v3/:project_id", r);
  }

  return {
    app,
    client,
    ctx,
    /** Runs after identity's bootstrap: the default volume type and the services' rows. */
    async bootstrap() {
      const now = ctx.now();
      ctx.db.tx(() => {
        if (!getTypeByName(ctx.db, DEFAULT_TYPE_NAME))
          ctx.db.run(
            "INSERT INTO volume_types (id, name, description, is_public, extra_specs, created_at) VALUES (?, ?, 'Default Volume Type', 1, '{}', ?)",
            uuid(),
            DEFAULT_TYPE_NAME,
            now,
          );
        for (const [binary, host] of [["cinder-scheduler", HOST], ["cinder-volume", `${HOST}@${BACKEND}`]])
          ctx.db.run(
            "INSERT INTO volume_services (binary, host, zone, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (binary, host) DO UPDATE SET updated_at = excluded.updated_at",
            binary,
            host,
            DEFAULT_AZ,
            now,
          );
      });
      deps.log.debug(`volumes in ${join(deps.cfg.dataDir, "volumes")} (${ctx.backend.format})`);
    },
    stop() {},
  };
}
