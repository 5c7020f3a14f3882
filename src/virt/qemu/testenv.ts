/**
 * Shared by the QEMU driver's tests and bench: where the test image is, a
 * bootable spec for it, and waiting for console markers.
 */
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import type { InstanceSpec } from "../driver.ts";
import { findTools } from "./host.ts";

/** The test image built by scripts/build-test-image.sh (TENREC_TEST_IMAGE overrides). */
export function testImagePath(): string {
  if (process.env.TENREC_TEST_IMAGE) return process.env.TENREC_TEST_IMAGE;
  const cache = process.env.TENREC_IMAGE_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "tenrec", "test-image");
  return join(cache, "tenrec-test-image.raw");
}

/** Why real guests cannot run here, or null when they can. */
export function qemuUnavailable(): string | null {
  if (!findTools()) return "qemu-system-x86_64 / qemu-img not installed (apt-get install qemu-system-x86 qemu-utils)";
  if (!existsSync(testImagePath())) return `test image missing at ${testImagePath()} (run scripts/build-test-image.sh)`;
  return null;
}

let n = 0;
export function testSpec(overrides: Partial<InstanceSpec> = {}): InstanceSpec {
  n++;
  const uuid = crypto.randomUUID();
  return {
    uuid,
    name: `guest-${n}`,
    hostname: `guest-${n}`,
    projectId: "p-test",
    userId: "u-test",
    vcpus: 1,
    memoryMb: 192,
    rootGb: 1,
    ephemeralGb: 0,
    swapMb: 0,
    image: { id: "tenrec-test-image", path: testImagePath(), format: "raw", properties: {} },
    volumes: [],
    nics: [
      {
        portId: crypto.randomUUID(),
        networkId: "net-test",
        macAddress: `fa:16:3e:${[0, 0, 0].map(() => Math.floor(Math.random() * 256).toString(16).padStart(2, "0")).join(":")}`,
        mtu: 1500,
        ips: [{ address: "10.20.30.40", version: 4, cidr: "10.20.30.0/24", gateway: "10.20.30.1", dns: [] }],
        floatingIps: [],
      },
    ],
    metadata: {},
    configDrive: false,
    availabilityZone: "nova",
    ...overrides,
  };
}

/** Poll `read` until `pred` holds on its result, or throw after timeoutMs. */
export async function waitFor<T>(read: () => Promise<T> | T, pred: (v: T) => boolean, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T;
  for (;;) {
    last = await read();
    if (pred(last)) return last;
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${String(last).slice(-1500)}`);
    }
    await Bun.sleep(100);
  }
}

/** The console since the last boot began. */
export function lastBoot(log: string): string {
  const i = log.lastIndexOf("TENREC-BOOT: start");
  return i < 0 ? "" : log.slice(i);
}
