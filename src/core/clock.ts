/**
 * An injectable clock. Production uses the wall clock; tests (and, later, the
 * virtual clock of the control API) advance it instead of sleeping.
 */
export class Clock {
  private offsetMs = 0;
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
  /** Move time forward (or back) by `ms`. */
  advance(ms: number): void {
    this.offsetMs += ms;
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
