/**
 * An injectable clock. Production uses the wall clock; tests (and, later, the
 * virtual clock of the control API) advance it instead of sleeping.
 */
export class Clock {
  private offsetMs = 0;
  private sleepers = new Set<{ until: number; wake: () => void }>();
  now(): number {
    return Date.now() + this.offsetMs;
  }
  date(): Date {
    return new Date(this.now());
  }
  /** How far this clock is ahead of the wall clock (ms). */
  get offset(): number {
    return this.offsetMs;
  }
  /** Move time forward (or back) by `ms`; sleepers whose time has come wake at once. */
  advance(ms: number): void {
    this.offsetMs += ms;
    const now = this.now();
    for (const s of this.sleepers) if (s.until <= now) s.wake();
  }
  /**
   * Wait `ms` of this clock's time: real time passing, or the virtual clock
   * being advanced past it (so tests never sleep through simulated delays).
   */
  sleep(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const entry = {
        until: this.now() + ms,
        wake: () => {
          clearTimeout(timer);
          this.sleepers.delete(entry);
          resolve();
        },
      };
      const timer = setTimeout(entry.wake, ms);
      this.sleepers.add(entry);
    });
  }
}

/** `2026-11-23T21:04:29.000000Z`: the form OpenStack clients parse. */
export function isoMicro(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}

/** `2026-11-23T21:04:29.000000` (Keystone resource timestamps have no zone). */
export function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}
