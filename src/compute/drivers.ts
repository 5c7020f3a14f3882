/**
 * The driver factory: cfg.computeDriver names the hypervisor driver each
 * compute host runs. A driver joins by one entry in DRIVERS.
 */
import type { Config } from "../core/config.ts";
import type { Logger } from "../core/log.ts";
import type { ComputeDriver } from "../virt/driver.ts";
import { FakeDriver } from "../virt/fake.ts";
import { portOf } from "../core/config.ts";
import { QemuDriver } from "../virt/qemu/index.ts";

export interface DriverOptions {
  cfg: Config;
  log: Logger;
  /** The compute host (hypervisor_hostname) this driver serves. */
  hostname: string;
  /** 0-based index among the simulated hosts. */
  index: number;
  /** Where the host keeps its files (<dataDir>/instances/<host>). */
  dir: string;
  /** The cloud's clock (the fake driver's delays follow the virtual clock). */
  clock?: { sleep(ms: number): Promise<void> };
}

export const DRIVERS: Record<string, (o: DriverOptions) => ComputeDriver> = {
  fake: (o) => new FakeDriver({ hostname: o.hostname, delayMs: o.cfg.fakeDriverDelayMs, hostIp: "127.0.0.1", clock: o.clock }),
  qemu: (o) =>
    new QemuDriver({
      dir: o.dir,
      hostname: o.hostname,
      log: o.log,
      metadataUrl: `http://127.0.0.1:${portOf(o.cfg, "metadata")}`,
      stopGuestsOnShutdown: o.cfg.ephemeral,
    }),
};

export function createDriver(o: DriverOptions): ComputeDriver {
  const make = DRIVERS[o.cfg.computeDriver];
  if (!make) {
    o.log.warn(`compute driver ${o.cfg.computeDriver} is not available; using the fake driver`);
    return DRIVERS.fake!(o);
  }
  return make(o);
}
