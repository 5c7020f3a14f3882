import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { testCloud } from "../../test/harness.ts";
import { Bus } from "../core/bus.ts";
import { silentLogger } from "../core/log.ts";
import type { ImageClient } from "../image/client.ts";
import { FileBackend } from "./backend.ts";
import { createVolume } from "./service.ts";

const GiB = 1024 ** 3;
const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), "tenrec-volume-backend-"));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("FileBackend, sparse raw (no qemu-img)", () => {
  test("blank, extend, snapshot copy and a volume from it keep the bytes; files are sparse", async () => {
    const b = new FileBackend(tmp(), silentLogger, { format: "raw" });
    expect(b.format).toBe("raw");
    expect(await b.createBlank("v1", 1)).toBe("raw");
    const path = b.volumePath("v1");
    expect(statSync(path).size).toBe(GiB);
    expect(statSync(path).blocks * 512).toBeLessThan(1024 * 1024);
    // Write a marker, snapshot, then make a bigger volume from the snapshot.
    writeFileSync(path, Buffer.from("hello volume"), { flag: "r+" });
    await b.snapshot("v1", "s1", "raw");
    await b.extend("v1", "raw", 2);
    expect(statSync(path).size).toBe(2 * GiB);
    expect(await b.createFromFile("v2", b.snapshotPath("s1"), "raw", 3)).toBe("raw");
    expect(statSync(b.volumePath("v2")).size).toBe(3 * GiB);
    expect(await Bun.file(b.volumePath("v2")).slice(0, 12).text()).toBe("hello volume");
    b.deleteVolume("v1");
    b.deleteSnapshot("s1");
    expect(b.volumeExists("v1")).toBe(false);
  });
});

describe.skipIf(!Bun.which("qemu-img"))("FileBackend, qcow2", () => {
  test("blank volumes are qcow2 of the right virtual size; extend grows them", async () => {
    const b = new FileBackend(tmp(), silentLogger);
    expect(await b.createBlank("q1", 1)).toBe("qcow2");
    const info = async (p: string) => JSON.parse(await new Response(Bun.spawn(["qemu-img", "info", "--output=json", p]).stdout).text());
    expect(await info(b.volumePath("q1"))).toMatchObject({ format: "qcow2", "virtual-size": GiB });
    await b.extend("q1", "qcow2", 3);
    expect((await info(b.volumePath("q1")))["virtual-size"]).toBe(3 * GiB);
    // An image's bytes (raw) land in a qcow2 volume of the requested size.
    const img = new Response(new Uint8Array(2 * 1024 * 1024).fill(1)).body!;
    expect(await b.createFromStream("q2", img, "raw", 1)).toBe("qcow2");
    expect(await info(b.volumePath("q2"))).toMatchObject({ format: "qcow2", "virtual-size": GiB });
    // One whose virtual size exceeds the volume is refused.
    const huge = new Response(new Uint8Array(2 * 1024 * 1024)).body!;
    await expect(b.createFromStream("q3", huge, "raw", 0)).rejects.toThrow(/doesn't fit/);
  });
});

describe("durable work survives a restart", () => {
  test("a volume left creating by a crash is finished when the bus resumes", async () => {
    const t = await testCloud();
    try {
      const dataDir = tmp();
      const deps = (bus: Bus) => ({
        db: t.cloud.db,
        bus,
        clock: t.cloud.clock,
        cfg: { ...t.cloud.cfg, dataDir, accessLog: false },
        log: silentLogger,
        identity: t.cloud.identity.client,
        image: {} as ImageClient,
      });
      const project = t.cloud.identity.client.projectByName("demo")!.id;
      // "Before the crash": a bus with no consumers records the task but nothing runs it.
      const first = createVolume(deps(new Bus(t.cloud.db, silentLogger)));
      await first.bootstrap();
      const orphanBus = new Bus(t.cloud.db, silentLogger);
      const v = await (await import("./logic/volumes.ts")).createVolume(
        { ...first.ctx, bus: orphanBus },
        { projectId: project, userId: "u", isAdmin: false },
        { size: 1 },
      );
      expect(t.cloud.db.get<{ status: string }>("SELECT status FROM volume_volumes WHERE id = ?", v.id)!.status).toBe("creating");
      // "After the restart": a new service registers its consumers; resume() re-dispatches.
      const bus = new Bus(t.cloud.db, silentLogger);
      createVolume(deps(bus));
      expect(bus.resume()).toBeGreaterThanOrEqual(1);
      await bus.drain();
      expect(t.cloud.db.get<{ status: string }>("SELECT status FROM volume_volumes WHERE id = ?", v.id)!.status).toBe("available");
      expect(t.cloud.db.get<{ n: number }>("SELECT COUNT(*) AS n FROM core_tasks WHERE topic LIKE 'volume.%'")!.n).toBe(0);
    } finally {
      await t.close();
    }
  });
});
