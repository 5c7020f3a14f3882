/**
 * The driver conformance suite against the fake driver (src/virt/fake.ts): the
 * same contract the QEMU driver passes with real guests (qemu.test.ts).
 */
import { driverConformance } from "../conformance.ts";
import { FakeDriver } from "../fake.ts";
import { testSpec } from "./testenv.ts";

driverConformance("fake", async () => ({
  driver: new FakeDriver({ hostname: "fake-host" }),
  spec: (o) => testSpec(o),
  volume: () => ({ volumeId: crypto.randomUUID(), device: "/dev/vdb", path: "/dev/null", format: "raw" }),
}));
