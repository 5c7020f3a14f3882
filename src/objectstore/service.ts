import { join } from "node:path";
import type { Bus } from "../core/bus.ts";
import type { Clock } from "../core/clock.ts";
import type { Config } from "../core/config.ts";
import type { Db } from "../core/db.ts";
import type { Logger } from "../core/log.ts";
import { Auditor } from "./auditor.ts";
import { Expirer } from "./expirer.ts";
import { FsObjectStore } from "./store.ts";

export interface ObjectStoreDeps {
  db: Db;
  bus: Bus;
  clock: Clock;
  cfg: Config;
  log: Logger;
}

/**
 * The object store and its housekeeping: the start-up sweep of interrupted
 * writes, the expirer (X-Delete-At) and the auditor (MD5 re-checks), each on a
 * gentle timer that never keeps the process alive.
 */
export function createObjectStore(deps: ObjectStoreDeps) {
  const store = new FsObjectStore(deps.db, join(deps.cfg.dataDir, "objects"), deps.clock, deps.log, deps.cfg.maxObjectSize);
  // The sweep reads the whole tree: it runs just after start-up so the listeners
  // answer at once; PUTs already streaming keep their temp files (see sweep()).
  const sweep = setTimeout(() => {
    try {
      store.sweep();
      store.prepareDirs();
    } catch (e) {
      deps.log.error(`sweep failed: ${(e as Error).message}`);
    }
  }, 50);
  (sweep as { unref?: () => void }).unref?.();
  const expirer = new Expirer(store, deps.log).start();
  const auditor = new Auditor(store, deps.log).start(() => deps.clock.now());
  return {
    store,
    expirer,
    auditor,
    stop() {
      clearTimeout(sweep);
      expirer.stop();
      auditor.stop();
      store.flushUnlinks();
    },
  };
}
