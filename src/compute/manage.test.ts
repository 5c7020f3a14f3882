import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Db } from "../core/db.ts";
import { ensureService, heartbeat } from "./services.ts";

const MAIN = join(import.meta.dir, "..", "main.ts");
const dir = mkdtempSync(join(tmpdir(), "tenrec-manage-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function manage(...args: string[]) {
  const p = Bun.spawn(["bun", MAIN, "manage", ...args, "--data-dir", dir], { stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { out, err, code };
}

// Each command is a `bun src/main.ts manage …` process (~0.3 s alone, more on a loaded machine).
describe("tenrec manage flavor / instance_type / service", () => {
  test("flavor list prints the seed's five flavors (and the test ones) in the seed's line format", async () => {
    const { out, code } = await manage("flavor", "list");
    expect(code).toBe(0);
    const lines = out.trim().split("\n");
    expect(lines.slice(0, 5)).toEqual([
      "m1.tiny: Memory: 512MB, VCPUS: 1, Storage: 0GB, FlavorID: 1, Swap: 0GB, RXTX Quota: 0GB, RXTX Cap: 0MB",
      "m1.small: Memory: 2048MB, VCPUS: 1, Storage: 20GB, FlavorID: 2, Swap: 0GB, RXTX Quota: 0GB, RXTX Cap: 0MB",
      "m1.medium: Memory: 4096MB, VCPUS: 2, Storage: 40GB, FlavorID: 3, Swap: 0GB, RXTX Quota: 0GB, RXTX Cap: 0MB",
      "m1.large: Memory: 8192MB, VCPUS: 4, Storage: 80GB, FlavorID: 4, Swap: 0GB, RXTX Quota: 0GB, RXTX Cap: 0MB",
      "m1.xlarge: Memory: 16384MB, VCPUS: 8, Storage: 160GB, FlavorID: 5, Swap: 0GB, RXTX Quota: 0GB, RXTX Cap: 0MB",
    ]);
    expect(out).toContain("m1.nano: Memory: 128MB, VCPUS: 1, Storage: 1GB, FlavorID: 42,");
  }, 60_000);

  test("create, duplicate, delete (inactive), purge; instance_type is a synonym", async () => {
    const c = await manage("flavor", "create", "m1.xxlarge", "32768", "16", "320", "6", "2", "10", "100");
    expect(c).toMatchObject({ code: 0, out: "m1.xxlarge created\n" });
    const dup = await manage("instance_type", "create", "m1.xxlarge", "1", "1", "1", "7");
    expect(dup.code).toBe(1);
    expect(dup.err).toContain("Flavor with name m1.xxlarge already exists.");
    const bad = await manage("flavor", "create", "x", "lots", "1", "1", "8");
    expect(bad.code).toBe(1);
    expect(bad.err).toContain("Must supply valid parameters to create instance_type");
    const line = "m1.xxlarge: Memory: 32768MB, VCPUS: 16, Storage: 320GB, FlavorID: 6, Swap: 2GB, RXTX Quota: 10GB, RXTX Cap: 100MB";
    expect((await manage("instance_type", "list")).out).toContain(`${line}\n`);
    expect(await manage("flavor", "delete", "m1.xxlarge")).toMatchObject({ code: 0, out: "m1.xxlarge deleted\n" });
    expect((await manage("flavor", "list")).out).not.toContain("m1.xxlarge");
    expect((await manage("flavor", "list", "m1.xxlarge")).out).toBe(`${line}, inactive\n`);
    expect(await manage("flavor", "delete", "m1.xxlarge", "--purge")).toMatchObject({ code: 0, out: "m1.xxlarge purged\n" });
    const gone = await manage("flavor", "list", "m1.xxlarge");
    expect(gone.code).toBe(1);
    expect((await manage("flavor", "delete", "m1.xxlarge")).err).toContain("Valid instance type name is required");
  }, 60_000);

  test("service list: one line per service, up (:-)) while its heartbeat is fresh, XXX when stale", async () => {
    // The database the commands above created (migrations applied): two services, one beating now, one long silent.
    const db = new Db(join(dir, "tenrec.db"));
    const now = Date.now();
    const fresh = ensureService(db, "host-a", "nova-compute", "compute", "nova", now);
    const stale = ensureService(db, "host-b", "nova-compute", "compute", "az2", now - 3_600_000);
    heartbeat(db, [fresh], now);
    heartbeat(db, [stale], now - 3_600_000);
    db.close();
    const { out, code } = await manage("service", "list");
    expect(code).toBe(0);
    const lines = out.trim().split("\n");
    expect(lines[0]).toMatch(/^Binary\s+Host\s+Zone\s+Status\s+State\s+Updated_At$/);
    expect(lines.find((l) => l.includes("host-a"))).toMatch(/^nova-compute\s+host-a\s+nova\s+enabled\s+:-\)\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    expect(lines.find((l) => l.includes("host-b"))).toMatch(/^nova-compute\s+host-b\s+az2\s+enabled\s+XXX\s+/);
  }, 60_000);
});
