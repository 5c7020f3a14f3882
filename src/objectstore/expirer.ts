import type { Logger } from "../core/log.ts";
import type { FsObjectStore } from "./store.ts";

/**
 * The object expirer (Swift's swift-object-expirer on one machine): objects
 * past their X-Delete-At are removed, a batch at a time, on a timer. Reads
 * never wait for it: the store already treats an expired object as absent
 * (GET/HEAD 404, not listed), the expirer only reclaims rows and bytes.
 */
export class Expirer {
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private store: FsObjectStore,
    private log: Logger,
    private opts: { intervalMs: number; batch: number } = { intervalMs: 5_000, batch: 1000 },
  ) {}

  /** One pass: remove up to `batch` expired objects. Returns how many went. */
  runOnce(): number {
    const n = this.store.expireDue(undefined, this.opts.batch);
    if (n) this.log.info(`expirer: removed ${n} expired object(s)`);
    return n;
  }

  start(): this {
    this.timer ??= setInterval(() => {
      try {
        this.runOnce();
      } catch (e) {
        this.log.error(`expirer failed: ${(e as Error).message}`);
      }
    }, this.opts.intervalMs);
    (this.timer as { unref?: () => void }).unref?.();
    return this;
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
