import { expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { testCloud, type TestCloud } from "../../test/harness.ts";

/** A restart resumes a build whose durable task survived, fails one that lost it, and keeps running servers usable. */
test("restart: durable build tasks resume, orphaned builds fail cleanly, running servers survive", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tenrec-compute-restart-"));
  let t: TestCloud | undefined;
  try {
    t = await testCloud({ dataDir: dir });
    const tok = await t.token("admin");
    const nova = (tt: TestCloud, tk: string, m: string, p: string, json?: unknown) => tt.req(m, `/v2.1${p}`, { service: "compute", token: tk, json });
    const img = (await (await t.req("POST", "/v2/images", { service: "image", token: tok, json: { name: "i", disk_format: "raw", container_format: "bare" } })).json()) as any;
    await t.req("PUT", `/v2/images/${img.id}/file`, { service: "image", token: tok, body: "x", headers: { "content-type": "application/octet-stream" } });
    const ids: string[] = [];
    for (const name of ["running", "resumed", "orphan"]) {
      const r = await nova(t, tok, "POST", "/servers", { server: { name, imageRef: img.id, flavorRef: "1", networks: "none" } });
      ids.push(((await r.json()) as any).server.id);
    }
    await t.cloud.bus.drain();
    const [running, resumed, orphan] = ids as [string, string, string];
    const host = ((await (await nova(t, tok, "GET", `/servers/${running}`)).json()) as any).server["OS-EXT-SRV-ATTR:host"];
    // Simulate a crash in the middle of two builds: one still has its durable task, the other lost it.
    const db = t.cloud.db;
    db.run("UPDATE compute_instances SET vm_state = 'building', task_state = 'spawning', power_state = 0 WHERE uuid IN (?, ?)", resumed, orphan);
    db.run("INSERT INTO core_tasks (topic, payload, created_at) VALUES (?, ?, ?)", `compute.${host}`, JSON.stringify({ op: "build", uuid: resumed }), new Date().toISOString());
    await t.close();
    t = undefined;

    t = await testCloud({ dataDir: dir });
    const tok2 = await t.token("admin");
    await t.cloud.bus.drain();
    const status = async (id: string) => ((await (await nova(t!, tok2, "GET", `/servers/${id}`)).json()) as any).server;
    expect((await status(resumed)).status).toBe("ACTIVE");
    const o = await status(orphan);
    expect(o.status).toBe("ERROR");
    expect(o.fault.message).toContain("restarted");
    expect((await status(running)).status).toBe("ACTIVE");
    expect((await nova(t, tok2, "POST", `/servers/${running}/action`, { "os-stop": null })).status).toBe(202);
    await t.cloud.bus.drain();
    expect((await status(running)).status).toBe("SHUTOFF");
    expect(t.cloud.bus.pendingTasks()).toBe(0);
  } finally {
    if (t) await t.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
