import { expect, test } from "bun:test";
import { PowerState, type InstanceSpec } from "./driver.ts";
import { FakeDriver } from "./fake.ts";

const spec = (uuid: string, props: Record<string, string> = {}): InstanceSpec => ({
  uuid, name: "instance-00000001", hostname: "vm", projectId: "p", userId: "u", vcpus: 1, memoryMb: 512, rootGb: 1,
  ephemeralGb: 0, swapMb: 0, image: { id: "img", path: "/nonexistent", format: "raw", properties: props }, volumes: [], nics: [],
  metadata: {}, configDrive: false, availabilityZone: "nova",
});

test("fake driver: power state follows the calls", async () => {
  const d = new FakeDriver({ hostname: "h" });
  await d.spawn(spec("a"));
  expect(d.powerState("a")).toBe(PowerState.RUNNING);
  await d.pause("a");
  expect(d.powerState("a")).toBe(PowerState.PAUSED);
  await d.unpause("a");
  await d.suspend("a");
  expect(d.powerState("a")).toBe(PowerState.SUSPENDED);
  await d.resume("a");
  await d.powerOff("a");
  expect(d.powerState("a")).toBe(PowerState.SHUTDOWN);
  await d.powerOn("a");
  expect(d.powerState("a")).toBe(PowerState.RUNNING);
  expect(d.listInstances()).toEqual(["a"]);
  await d.destroy("a");
  await d.destroy("a"); // a missing guest is not an error
  expect(d.powerState("a")).toBe(PowerState.NOSTATE);
  await expect(d.powerOn("a")).rejects.toThrow(/could not be found/);
});

test("fake driver: console tail as Nova cuts it, snapshots, injected spawn failure, delay", async () => {
  const d = new FakeDriver({ hostname: "h", delayMs: 20 });
  const t0 = performance.now();
  await d.spawn(spec("b"));
  expect(performance.now() - t0).toBeGreaterThanOrEqual(15);
  const all = await d.consoleOutput("b");
  expect(all).toContain("login:");
  expect((await d.consoleOutput("b", 3)).split("\n")).toHaveLength(3);
  expect(await d.consoleOutput("b", 0)).toBe("");
  const snap = await d.snapshot("b");
  expect(await new Response(snap.body).text()).toContain("b");
  await expect(d.spawn(spec("c", { fake_fail_spawn: "1" }))).rejects.toThrow(/fake_fail_spawn/);
  expect(d.listInstances()).toEqual(["b"]);
});
