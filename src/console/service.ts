/** The console proxy on 6080 (skeleton: the QEMU console work fills it in): noVNC over a websocket, and the serial console. */
import type { Config } from "../core/config.ts";
import { textDialect } from "../core/faults.ts";
import { createApp } from "../core/http.ts";
import type { Logger } from "../core/log.ts";
import type { ConsoleToken } from "../compute/ctx.ts";

export interface ConsoleDeps {
  cfg: Config;
  log: Logger;
  /** Validate and consume a single-use console token Compute issued (remote-consoles); undefined when unknown or expired. */
  consume: (token: string) => ConsoleToken | undefined;
}

export function createConsole(deps: ConsoleDeps) {
  const app = createApp({ service: "console", dialect: textDialect, log: deps.log, accessLog: deps.cfg.accessLog });
  return { app, websocket: undefined as import("bun").WebSocketHandler<any> | undefined, stop() {} };
}
