/** Glance v2 on 9292 (skeleton: the image service issue fills it in). */
import type { Bus } from "../core/bus.ts";
import type { Clock } from "../core/clock.ts";
import type { Config } from "../core/config.ts";
import type { Db } from "../core/db.ts";
import { keystoneDialect } from "../core/faults.ts";
import { createApp } from "../core/http.ts";
import type { Logger } from "../core/log.ts";
import type { IdentityClient } from "../identity/client.ts";
import type { ObjectStoreClient } from "../objectstore/client.ts";
import type { ImageClient } from "./client.ts";

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

export function createImage(deps: ImageDeps) {
  const app = createApp({ service: "image", dialect: keystoneDialect, log: deps.log, accessLog: deps.cfg.accessLog });
  const notYet = async (): Promise<never> => {
    throw new Error("image service not implemented");
  };
  const client: ImageClient = { getImage: notYet, openData: notYet, createImage: notYet, uploadData: notYet, deleteImage: notYet };
  return {
    app,
    client,
    /** Runs after identity's bootstrap (projects exist): register the bootable test image, etc. */
    async bootstrap() {},
    stop() {},
  };
}
