/** The EC2 Query API on 8773 (skeleton: the EC2 issue fills it in). */
import type { Clock } from "../core/clock.ts";
import type { Config, ServiceName } from "../core/config.ts";
import { textDialect } from "../core/faults.ts";
import { createApp } from "../core/http.ts";
import type { Logger } from "../core/log.ts";
import type { Db } from "../core/db.ts";
import type { IdentityClient } from "../identity/client.ts";

export interface Ec2Deps {
  db: Db;
  cfg: Config;
  clock: Clock;
  log: Logger;
  identity: IdentityClient;
  /**
   * Send a request to another service's public API in-process (no socket), as
   * the real ec2-api service calls Nova, Glance, Cinder and Neutron over HTTP
   * with the token Keystone's ec2tokens gave it (identity.issueToken).
   */
  dispatch: (service: ServiceName, req: Request) => Promise<Response>;
  /** Public URL of a service's root (for building those requests). */
  url: (service: ServiceName) => string;
}

export function createEc2(deps: Ec2Deps) {
  const app = createApp({ service: "ec2", dialect: textDialect, log: deps.log, accessLog: deps.cfg.accessLog });
  return { app, stop() {} };
}
