/**
 * The bootable image a fresh cloud offers, under the name DevStack gives its
 * cirros image (scripts look it up by that name): tenrec's test image
 * (scripts/build-test-image.sh; a Debian kernel + busybox initramfs that does
 * what cirros does: DHCP, metadata, SSH key, user data) when it has been
 * built into the cache — `.ci/run` builds it — or, with the fake driver, a
 * small placeholder disk the fake driver "boots". Registration runs in the
 * background after start-up and is idempotent.
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import type { Config } from "../core/config.ts";
import type { Logger } from "../core/log.ts";
import type { ImageRef } from "../image/client.ts";
import type { LocalImage } from "../image/service.ts";
import { TEST_IMAGE } from "../virt/qemu/testimage.ts";

/** DevStack's default image name (stackrc: cirros-${CIRROS_VERSION}-${CIRROS_ARCH}-disk). */
export const DEFAULT_IMAGE_NAME = "cirros-0.6.3-x86_64-disk";

export function testImageCacheDir(): string {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), ".cache"), "tenrec", "test-image");
}

export async function registerDefaultImage(
  cfg: Config,
  log: Logger,
  register: (spec: LocalImage) => Promise<ImageRef>,
): Promise<ImageRef | undefined> {
  const built = join(testImageCacheDir(), "tenrec-test-image.raw");
  const description =
    "tenrec's test image under DevStack's cirros name: " + TEST_IMAGE.properties.description;
  if (existsSync(built)) {
    return register({
      name: DEFAULT_IMAGE_NAME,
      path: built,
      diskFormat: TEST_IMAGE.diskFormat,
      containerFormat: TEST_IMAGE.containerFormat,
      minDisk: TEST_IMAGE.minDiskGb,
      minRam: TEST_IMAGE.minRamMb,
      properties: { ...TEST_IMAGE.properties, description, tenrec_test_image: "true" },
    });
  }
  if (cfg.computeDriver !== "fake") {
    log.warn(`no test image in ${testImageCacheDir()} (build it: bash scripts/build-test-image.sh ${built}); no default image registered`);
    return undefined;
  }
  // The fake driver never reads the disk: a small placeholder keeps scripts that look the image up working.
  const dir = join(cfg.dataDir, "placeholder");
  mkdirSync(dir, { recursive: true });
  const path = join(dir, "placeholder.raw");
  if (!existsSync(path)) writeFileSync(path, new Uint8Array(1024 * 1024));
  return register({
    name: DEFAULT_IMAGE_NAME,
    path,
    diskFormat: "raw",
    containerFormat: "bare",
    properties: { description: "placeholder disk for the fake compute driver (build the test image for a bootable one)", tenrec_placeholder: "true" },
  });
}
