/**
 * The driver conformance suite: what every ComputeDriver must do, run against
 * any implementation (the fake driver in memory, the QEMU driver with real
 * guests). Call it from a test file:
 *
 *   driverConformance("qemu", async () => ({ driver, spec: (o) => ({ ...base, ...o }), waitBooted, volume }));
 *
 * The suite walks one guest through its whole life in order (spawn, pause,
 * snapshot, volume hot-plug, suspend, reboots, power off/on, destroy), so the
 * tests depend on each other and run sequentially.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { PowerState, type ComputeDriver, type DriverEvent, type InstanceSpec, type VolumeSpec } from "./driver.ts";

export interface ConformanceHarness {
  driver: ComputeDriver;
  /** A bootable spec with a fresh uuid; overrides applied on top. */
  spec(overrides?: Partial<InstanceSpec>): InstanceSpec;
  /**
   * Resolve once the guest has booted far enough to answer ACPI events and
   * hot-plug, judged from console output past character `since` (default: at once).
   */
  waitBooted?(uuid: string, since: number): Promise<void>;
  /** A volume the driver can attach (a file); absent: the hot-plug test is skipped. */
  volume?(): VolumeSpec;
  /** Seconds powerOff may wait for the clean shutdown. */
  shutdownTimeoutSec?: number;
  cleanup?(): Promise<void>;
}

export interface ConformanceOptions {
  /** Per-test timeout in ms (real guests need seconds). */
  timeoutMs?: number;
}

async function readAll(s: ReadableStream<Uint8Array>): Promise<number> {
  let n = 0;
  const r = s.getReader();
  for (;;) {
    const { done, value } = await r.read();
    if (done) return n;
    n += value.byteLength;
  }
}

export function driverConformance(name: string, make: () => Promise<ConformanceHarness>, opts: ConformanceOptions = {}): void {
  const timeout = opts.timeoutMs ?? 5_000;
  describe(`ComputeDriver conformance: ${name}`, () => {
    let h: ConformanceHarness;
    let d: ComputeDriver;
    let spec: InstanceSpec;
    const events: DriverEvent[] = [];
    const booted = (uuid: string, since: number) => h.waitBooted?.(uuid, since) ?? Promise.resolve();
    const consoleLen = async (uuid: string) => (await d.consoleOutput(uuid)).length;

    beforeAll(async () => {
      h = await make();
      d = h.driver;
      d.setEventListener?.((e) => events.push(e));
      await d.init();
      spec = h.spec();
    }, 60_000);

    afterAll(async () => {
      try {
        await d?.destroy(spec.uuid);
      } finally {
        await d?.shutdown();
        await h?.cleanup?.();
      }
    }, 60_000);

    test("hostInfo describes the host", () => {
      const hi = d.hostInfo();
      expect(typeof hi.hostname).toBe("string");
      expect(hi.hostname.length).toBeGreaterThan(0);
      expect(typeof hi.hypervisorType).toBe("string");
      expect(hi.vcpus).toBeGreaterThan(0);
      expect(hi.memoryMb).toBeGreaterThan(0);
      expect(hi.localGb).toBeGreaterThanOrEqual(0);
      expect(Number.isInteger(hi.hypervisorVersion)).toBe(true);
    });

    test("an unknown guest has no state and destroying it is not an error", async () => {
      const ghost = crypto.randomUUID();
      expect(d.powerState(ghost)).toBe(PowerState.NOSTATE);
      expect(d.listInstances()).not.toContain(ghost);
      await d.destroy(ghost);
      await expect(d.powerOn(ghost)).rejects.toThrow();
    });

    test("spawn runs the guest and reports progress", async () => {
      const seen: number[] = [];
      await d.spawn(spec, (p) => seen.push(p));
      expect(d.powerState(spec.uuid)).toBe(PowerState.RUNNING);
      expect(d.listInstances()).toContain(spec.uuid);
      expect(seen.length).toBeGreaterThan(0);
      expect(seen[seen.length - 1]).toBe(100);
      await booted(spec.uuid, 0);
    }, timeout);

    test("console output is text and tails", async () => {
      const all = await d.consoleOutput(spec.uuid);
      expect(typeof all).toBe("string");
      expect(all.length).toBeGreaterThan(0);
      expect(await d.consoleOutput(spec.uuid, 0)).toBe("");
      // the tail as Nova's compute manager cuts it (_tail_log): the last N pieces of the text split on "\n"
      const three = await d.consoleOutput(spec.uuid, 3);
      const now = await d.consoleOutput(spec.uuid);
      expect(three).toBe(now.split("\n").slice(-3).join("\n"));
      expect(three.length).toBeGreaterThan(0);
    }, timeout);

    test("pause and unpause", async () => {
      await d.pause(spec.uuid);
      expect(d.powerState(spec.uuid)).toBe(PowerState.PAUSED);
      await d.unpause(spec.uuid);
      expect(d.powerState(spec.uuid)).toBe(PowerState.RUNNING);
    }, timeout);

    test("a graphical console is offered while running", async () => {
      const c = await d.getConsole(spec.uuid, "novnc");
      expect(c.protocol).toBe("vnc");
      expect(Boolean(c.path) || c.port > 0).toBe(true);
    }, timeout);

    test("snapshot streams the root disk", async () => {
      const s = await d.snapshot(spec.uuid);
      expect(["raw", "qcow2"]).toContain(s.diskFormat);
      expect(s.size).toBeGreaterThan(0);
      expect(await readAll(s.body)).toBe(s.size);
      expect(d.powerState(spec.uuid)).toBe(PowerState.RUNNING);
    }, timeout);

    test("a volume attaches to and detaches from a running guest", async () => {
      if (!h.volume) return;
      const v = h.volume();
      await d.attachVolume(spec.uuid, v);
      await d.attachVolume(spec.uuid, v); // idempotent
      await d.detachVolume(spec.uuid, v.volumeId);
      await d.detachVolume(spec.uuid, v.volumeId); // not attached: no error
      expect(d.powerState(spec.uuid)).toBe(PowerState.RUNNING);
    }, timeout);

    test("suspend and resume", async () => {
      await d.suspend(spec.uuid);
      expect(d.powerState(spec.uuid)).toBe(PowerState.SUSPENDED);
      await d.resume(spec.uuid);
      expect(d.powerState(spec.uuid)).toBe(PowerState.RUNNING);
    }, timeout);

    test("soft reboot keeps it running", async () => {
      const since = await consoleLen(spec.uuid);
      await d.reboot(spec.uuid, "SOFT");
      expect(d.powerState(spec.uuid)).toBe(PowerState.RUNNING);
      await booted(spec.uuid, since);
    }, timeout);

    test("hard reboot keeps it running", async () => {
      const since = await consoleLen(spec.uuid);
      await d.reboot(spec.uuid, "HARD");
      expect(d.powerState(spec.uuid)).toBe(PowerState.RUNNING);
      await booted(spec.uuid, since);
    }, timeout);

    test("power off, then on", async () => {
      await d.powerOff(spec.uuid, h.shutdownTimeoutSec ?? 30);
      expect(d.powerState(spec.uuid)).toBe(PowerState.SHUTDOWN);
      expect(d.listInstances()).toContain(spec.uuid);
      await d.powerOff(spec.uuid, 1); // already off: no error
      expect(d.powerState(spec.uuid)).toBe(PowerState.SHUTDOWN);
      await d.powerOn(spec.uuid);
      expect(d.powerState(spec.uuid)).toBe(PowerState.RUNNING);
    }, timeout);

    test("events, when offered, carry valid power states", () => {
      if (!d.setEventListener) return;
      for (const e of events) {
        expect(e.uuid).toBe(spec.uuid);
        expect(Object.values(PowerState)).toContain(e.powerState);
        expect(typeof e.reason).toBe("string");
        // every event so far came from a call of ours
        expect(e.expected).toBe(true);
      }
    });

    test("destroy removes the guest", async () => {
      await d.destroy(spec.uuid);
      expect(d.powerState(spec.uuid)).toBe(PowerState.NOSTATE);
      expect(d.listInstances()).not.toContain(spec.uuid);
      await d.destroy(spec.uuid);
    }, timeout);
  });
}
