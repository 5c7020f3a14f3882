/**
 * The bootable test image for bootstrap: built once by
 * scripts/build-test-image.sh into the data dir (its .debs cached beside it),
 * then registered in Glance by whoever calls this. Never throws: a host without
 * the build tools or the Debian archive gets null and a reason.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Logger } from "../../core/log.ts";

/** How to register it in Glance. */
export const TEST_IMAGE = {
  name: "tenrec-test-image",
  diskFormat: "raw" as const,
  containerFormat: "bare" as const,
  minDiskGb: 1,
  minRamMb: 64,
  properties: { os_distro: "tenrec-test", hw_disk_bus: "virtio", hw_vif_model: "virtio", description: "Debian cloud kernel + busybox initramfs: DHCP, config drive or metadata, SSH (dropbear), shell user data, TENREC-BOOT markers on the serial console" },
};

export interface TestImageResult {
  path: string | null;
  /** why there is no image, or how it was obtained */
  note: string;
  ms: number;
}

/** The tools the build needs before it can start (it may apt-get install them itself when root). */
export function testImageBuildMissing(): string[] {
  const missing: string[] = [];
  for (const t of ["dpkg-deb", "apt-get", "apt-cache"]) if (!Bun.which(t)) missing.push(t);
  const canInstall = process.getuid?.() === 0;
  if (!canInstall) for (const t of ["mcopy", "syslinux"]) if (!Bun.which(t)) missing.push(t);
  return missing;
}

/**
 * Build (or find up to date) `<dir>/tenrec-test-image.raw`. The script returns
 * at once when the image and its inputs are unchanged.
 */
export async function ensureTestImage(dir: string, log?: Logger, opts: { install?: boolean } = {}): Promise<TestImageResult> {
  const t0 = performance.now();
  const script = join(import.meta.dir, "..", "..", "..", "scripts", "build-test-image.sh");
  const out = join(dir, "tenrec-test-image.raw");
  const done = (path: string | null, note: string): TestImageResult => ({ path, note, ms: Math.round(performance.now() - t0) });
  if (!existsSync(script)) return done(existsSync(out) ? out : null, "build script not shipped (compiled binary)");
  const missing = testImageBuildMissing();
  if (missing.length) return done(existsSync(out) ? out : null, `cannot build the test image: missing ${missing.join(", ")}`);
  const p = Bun.spawn(["bash", script, out], {
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, TENREC_IMAGE_CACHE: join(dir, "cache"), ...(opts.install === false ? { TENREC_IMAGE_NO_INSTALL: "1" } : {}) },
  });
  const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  const last = stderr.trim().split("\n").pop() ?? "";
  if (code !== 0 || !existsSync(out)) {
    log?.warn(`test image build failed (exit ${code}): ${last}`);
    return done(null, `build failed: ${last}`);
  }
  log?.info(last.replace(/^build-test-image: /, "test image "));
  return done(stdout.trim() || out, last);
}
