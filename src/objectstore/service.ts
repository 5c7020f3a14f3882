import { join } from "node:path";
import type { Bus } from "../core/bus.ts";
import type { Clock } from "../core/clock.ts";
import type { Config } from "../core/config.ts";
import type { Db } from "../core/db.ts";
import type { Logger } from "../core/log.ts";
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
  // The sweep reads the tree: do it just after start-up, not before the listeners answer.
  const sweep = setTimeout(() => {
    try {
      store.sweep();
    } catch (e) {
      deps.log.error(`sweep failed: ${(e as Error).message}`);
    }
  }, 50);
  const expirer = setInterval(() => store.expireDue(), 5_000);
  let auditing = false;
  const auditor = setInterval(async () => {
    if (auditing) return;
    auditing = true;
    try {
      // At most 32 MiB every 10 s, each object at most once a day.
      await store.auditSome(32 * 1024 * 1024, 86_400_000);
    } catch (e) {
      deps.log.error(`auditor failed: ${(e as Error).message}`);
    } finally {
      auditing = false;
    }
  }, 10_000);
  for (const t of [sweep, expirer, auditor]) (t as { unref?: () => void }).unref?.();
  return {
    store,
    stop() {
      clearTimeout(sweep);
      clearInterval(expirer);
      clearInterval(auditor);
    },
  };
}
