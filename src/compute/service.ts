/** Nova v2.1 on 8774 (skeleton: the compute issue fills it in). */
import type { Bus } from "../core/bus.ts";
import type { Clock } from "../core/clock.ts";
import type { Config } from "../core/config.ts";
import type { Db } from "../core/db.ts";
import { novaDialect } from "../core/faults.ts";
import { createApp } from "../core/http.ts";
import type { Logger } from "../core/log.ts";
import type { IdentityClient } from "../identity/client.ts";
import type { ImageClient } from "../image/client.ts";
import type { NetworkClient } from "../network/client.ts";
import type { VolumeClient } from "../volume/client.ts";

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
}

export function createCompute(deps: ComputeDeps) {
  const app = createApp({ service: "compute", dialect: novaDialect, log: deps.log, accessLog: deps.cfg.accessLog });
  return {
    app,
    /** Runs after identity's bootstrap: flavors, the compute services and hosts. */
    async bootstrap() {},
    async stop() {},
  };
}
