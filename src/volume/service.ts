/** Cinder v3 on 8776 (skeleton: the block storage issue fills it in). */
import type { Bus } from "../core/bus.ts";
import type { Clock } from "../core/clock.ts";
import type { Config } from "../core/config.ts";
import type { Db } from "../core/db.ts";
import { novaDialect } from "../core/faults.ts";
import { createApp } from "../core/http.ts";
import type { Logger } from "../core/log.ts";
import type { IdentityClient } from "../identity/client.ts";
import type { ImageClient } from "../image/client.ts";
import type { VolumeClient } from "./client.ts";

export interface VolumeDeps {
  db: Db;
  bus: Bus;
  clock: Clock;
  cfg: Config;
  log: Logger;
  identity: IdentityClient;
  image: ImageClient;
}

export function createVolume(deps: VolumeDeps) {
  const app = createApp({ service: "volume", dialect: novaDialect, log: deps.log, accessLog: deps.cfg.accessLog });
  const notYet = async (): Promise<never> => {
    throw new Error("volume service not implemented");
  };
  const client: VolumeClient = {
    getVolume: notYet, createVolume: notYet, reserveAttachment: notYet, completeAttachment: notYet,
    deleteAttachment: notYet, deleteVolume: notYet,
  };
  return {
    app,
    client,
    /** Runs after identity's bootstrap: the default volume type, services. */
    async bootstrap() {},
    stop() {},
  };
}
