export { QemuDriver, type QemuDriverOptions } from "./driver.ts";
export { findTools, probeKvm } from "./host.ts";
export { ensureTestImage, TEST_IMAGE } from "./testimage.ts";
