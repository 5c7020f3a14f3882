/** The dashboard on 8000 (skeleton: the dashboard issue fills it in). */
import type { Clock } from "../core/clock.ts";
import type { Config } from "../core/config.ts";
import { textDialect } from "../core/faults.ts";
import { createApp } from "../core/http.ts";
import type { Logger } from "../core/log.ts";

export interface DashboardDeps {
  cfg: Config;
  clock: Clock;
  log: Logger;
  /** The public URL of identity (Keystone v3 root, e.g. http://127.0.0.1:5000/v3): the dashboard talks to every service through its public API, as Horizon does. */
  identityUrl: string;
}

export function createDashboard(deps: DashboardDeps) {
  const app = createApp({ service: "dashboard", dialect: textDialect, log: deps.log, accessLog: deps.cfg.accessLog });
  return { app, stop() {} };
}
