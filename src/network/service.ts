/** Neutron v2.0 on 9696 (skeleton: the networking issue fills it in). */
import type { Bus } from "../core/bus.ts";
import type { Clock } from "../core/clock.ts";
import type { Config } from "../core/config.ts";
import type { Db } from "../core/db.ts";
import { neutronDialect } from "../core/faults.ts";
import { createApp } from "../core/http.ts";
import type { Logger } from "../core/log.ts";
import type { IdentityClient } from "../identity/client.ts";
import type { NetworkClient } from "./client.ts";

export interface NetworkDeps {
  db: Db;
  bus: Bus;
  clock: Clock;
  cfg: Config;
  log: Logger;
  identity: IdentityClient;
}

export function createNetwork(deps: NetworkDeps) {
  const app = createApp({ service: "network", dialect: neutronDialect, log: deps.log, accessLog: deps.cfg.accessLog });
  const notYet = async (): Promise<never> => {
    throw new Error("network service not implemented");
  };
  const client: NetworkClient = {
    validateRequested: notYet, allocateForInstance: notYet, deallocateForInstance: notYet, instancePorts: notYet,
    attachInterface: notYet, detachInterface: notYet, addSecurityGroup: notYet, removeSecurityGroup: notYet,
    instanceSecurityGroups: notYet, associateFloatingIp: notYet, disassociateFloatingIp: notYet,
  };
  return {
    app,
    client,
    /** Runs after identity's bootstrap: public/private networks, router, default security groups. */
    async bootstrap() {},
    stop() {},
  };
}
