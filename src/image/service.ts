/** Glance v2 on 9292: images, their data in the object store, members, tags, import. */
import { requireAuth } from "../core/auth.ts";
import type { Bus } from "../core/bus.ts";
import type { Clock } from "../core/clock.ts";
import type { Config } from "../core/config.ts";
import type { Db } from "../core/db.ts";
import { createApp } from "../core/http.ts";
import type { Logger } from "../core/log.ts";
import type { IdentityClient } from "../identity/client.ts";
import type { ObjectStoreClient } from "../objectstore/client.ts";
import { dataRoutes } from "./api/data.ts";
import { imageRoutes } from "./api/images.ts";
import { memberRoutes } from "./api/members.ts";
import { metadefRoutes } from "./api/metadefs.ts";
import { schemaRoutes } from "./api/schemas.ts";
import { versionRoutes } from "./api/versions.ts";
import { imageClient, toRef, type ImageClient, type ImageRef } from "./client.ts";
import { DATA_CONTAINER, STAGING_CONTAINER, type Caller, type ImageCtx } from "./ctx.ts";
import { glanceDialect } from "./faults.ts";
import { upload } from "./logic/data.ts";
import { createImage as create, deleteImage as remove } from "./logic/images.ts";
import { recover } from "./logic/imports.ts";
import { ImageStore } from "./store.ts";

export interface ImageDeps {
  db: Db;
  bus: Bus;
  clock: Clock;
  cfg: Config;
  log: Logger;
  identity: IdentityClient;
  /** Image data lives in the object store, in the service project's account. */
  store: ObjectStoreClient;
}

/** An image bootstrap code registers from a local file (e.g. the QEMU work's test image). */
export interface LocalImage {
  name: string;
  path: string;
  diskFormat: string;
  containerFormat?: string;
  visibility?: ImageRef["visibility"];
  minDisk?: number;
  minRam?: number;
  properties?: Record<string, string>;
}

export function createImage(deps: ImageDeps) {
  let account: string | undefined;
  const ctx: ImageCtx = {
    db: deps.db,
    bus: deps.bus,
    clock: deps.clock,
    cfg: deps.cfg,
    log: deps.log,
    identity: deps.identity,
    objects: deps.store,
    store: new ImageStore(deps.db),
    qemuImg: Bun.which("qemu-img") ?? undefined,
    inflight: new Set(),
    async account() {
      if (account) return account;
      const p = deps.identity.projectByName("service");
      if (!p) throw new Error("the service project does not exist (identity bootstrap has not run)");
      account = `AUTH_${p.id}`;
      for (const c of [DATA_CONTAINER, STAGING_CONTAINER]) await deps.store.createContainer(account, c);
      return account;
    },
  };

  const app = createApp({ service: "image", dialect: glanceDialect, log: deps.log, accessLog: deps.cfg.accessLog });
  app.use("/v2/*", requireAuth(deps.identity));
  app.route("/", versionRoutes());
  app.route("/", schemaRoutes());
  app.route("/", imageRoutes(ctx));
  app.route("/", dataRoutes(ctx));
  app.route("/", memberRoutes(ctx));
  app.route("/", metadefRoutes(ctx));

  const client: ImageClient = imageClient(ctx);

  /** The admin project as the owner of images the cloud registers itself (DevStack's cirros is admin's). */
  const systemCaller = (): Caller => {
    const p = deps.identity.projectByName("admin");
    return { projectId: p?.id ?? "", isAdmin: true };
  };

  return {
    app,
    client,
    ctx,
    /** Runs after identity's bootstrap: the data containers, and recovery of uploads a stop interrupted. */
    async bootstrap() {
      await ctx.account();
      recover(ctx);
    },
    /**
     * Register an image from a local file, idempotent by name: an active image
     * of that name is returned as it is; a leftover that never became active is
     * replaced.
     */
    async registerLocalImage(spec: LocalImage): Promise<ImageRef> {
      const who = systemCaller();
      for (const img of ctx.store.byName(spec.name)) {
        if (img.status === "active") return toRef(img);
        await remove(ctx, who, img.id).catch(() => {});
      }
      const file = Bun.file(spec.path);
      if (!(await file.exists())) throw new Error(`image file ${spec.path} does not exist`);
      const img = create(ctx, who, {
        ...(spec.properties ?? {}),
        name: spec.name,
        disk_format: spec.diskFormat,
        container_format: spec.containerFormat ?? "bare",
        visibility: spec.visibility ?? "public",
        min_disk: spec.minDisk ?? 0,
        min_ram: spec.minRam ?? 0,
      });
      try {
        return toRef(await upload(ctx, who, img.id, file.stream(), file.size));
      } catch (e) {
        await remove(ctx, who, img.id).catch(() => {});
        throw e;
      }
    },
    async stop() {
      await Promise.race([Promise.allSettled([...ctx.inflight]), Bun.sleep(5000)]);
    },
  };
}
export type ImageService = ReturnType<typeof createImage>;
