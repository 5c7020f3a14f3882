#!/usr/bin/env bun
/**
 * The compute part of `bun run bench`: what a user of the Nova API feels with the fake driver.
 *   - server create → ACTIVE latency (p50/p99, sequential: POST /servers, then poll GET /servers/{id})
 *   - 200 concurrent creates: servers completed (ACTIVE) per second
 *   - `server list` latency (GET /servers and /servers/detail) with 1,000 servers
 *   - RSS of the cloud with 1,000 servers
 * Starts its own cloud (`tenrec up --ephemeral`, port offset 3200 by default). A benchmark, not a test:
 * it prints numbers with the targets beside them and never fails on them.
 * Options: --port-offset N (default 3200), --json (machine-readable), --servers N (default 1000).
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  args: Bun.argv.slice(2),
  options: {
    "port-offset": { type: "string", default: "3200" },
    json: { type: "boolean", default: false },
    servers: { type: "string", default: "1000" },
  },
});
const offset = Number(values["port-offset"]);
const total = Number(values.servers);
const identity = `http://127.0.0.1:${5000 + offset}`;
const nova = `http://127.0.0.1:${8774 + offset}/v2.1`;
const glance = `http://127.0.0.1:${9292 + offset}`;
const main = join(import.meta.dir, "..", "src", "main.ts");
const dataDir = mkdtempSync(join(tmpdir(), "tenrec-bench-compute-"));

const proc = Bun.spawn(
  ["bun", main, "up", "--data-dir", dataDir, "--ephemeral", "--port-offset", String(offset), "--no-access-log"],
  { stdout: "pipe", stderr: "inherit", env: { ...process.env, TENREC_LOG_LEVEL: "warn" } },
);

function rssMb(pid: number): number {
  const m = readFileSync(`/proc/${pid}/status`, "utf8").match(/VmRSS:\s+(\d+) kB/);
  return m ? Number(m[1]) / 1024 : NaN;
}
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! : NaN;
};

async function waitReady(): Promise<void> {
  const end = performance.now() + 20_000;
  while (performance.now() < end) {
    try {
      if ((await fetch(`${nova}/`)).ok) return;
    } catch {
      /* not yet */
    }
    await Bun.sleep(20);
  }
  throw new Error("the cloud did not answer in time");
}

async function token(): Promise<string> {
  const r = await fetch(`${identity}/v3/auth/tokens`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      auth: {
        identity: { methods: ["password"], password: { user: { name: "admin", domain: { id: "default" }, password: process.env.TENREC_ADMIN_PASSWORD ?? "secret" } } },
        scope: { project: { name: "admin", domain: { id: "default" } } },
      },
    }),
  });
  if (r.status !== 201) throw new Error(`token: ${r.status}`);
  return r.headers.get("x-subject-token")!;
}

const results: Record<string, number | string> = {};
try {
  await waitReady();
  const tok = await token();
  const h = { "x-auth-token": tok, "content-type": "application/json" };
  // Room for the run: unlimited instances, cores and RAM for admin.
  const project = ((await (await fetch(`${identity}/v3/auth/tokens`, { headers: { "x-auth-token": tok, "x-subject-token": tok } })).json()) as any).token.project.id;
  await fetch(`${nova}/os-quota-sets/${project}`, { method: "PUT", headers: h, body: JSON.stringify({ quota_set: { instances: -1, cores: -1, ram: -1 } }) });
  const img = (await (await fetch(`${glance}/v2/images`, { method: "POST", headers: h, body: JSON.stringify({ name: "bench", disk_format: "raw", container_format: "bare" }) })).json()) as any;
  await fetch(`${glance}/v2/images/${img.id}/file`, { method: "PUT", headers: { "x-auth-token": tok, "content-type": "application/octet-stream" }, body: "bench" });

  const create = async (name: string): Promise<string> => {
    const r = await fetch(`${nova}/servers`, {
      method: "POST",
      headers: h,
      body: JSON.stringify({ server: { name, imageRef: img.id, flavorRef: "1", networks: "none" } }),
    });
    if (r.status !== 202) throw new Error(`create: ${r.status} ${await r.text()}`);
    return ((await r.json()) as any).server.id;
  };
  const waitActive = async (id: string): Promise<void> => {
    for (;;) {
      const s = ((await (await fetch(`${nova}/servers/${id}`, { headers: h })).json()) as any).server;
      if (s.status === "ACTIVE" && !s["OS-EXT-STS:task_state"]) return;
      if (s.status === "ERROR") throw new Error(`server ${id} went to ERROR: ${s.fault?.message}`);
      await Bun.sleep(1);
    }
  };

  // 1. sequential create → ACTIVE
  const lat: number[] = [];
  for (let n = 0; n < 50; n++) {
    const t0 = performance.now();
    await waitActive(await create(`seq-${n}`));
    lat.push(performance.now() - t0);
  }
  results["create→ACTIVE p50 (ms)"] = +pct(lat, 50).toFixed(1);
  results["create→ACTIVE p99 (ms)"] = +pct(lat, 99).toFixed(1);

  // 2. 200 concurrent creates, completed per second
  const t1 = performance.now();
  const ids = await Promise.all(Array.from({ length: 200 }, (_, n) => create(`burst-${n}`)));
  await Promise.all(ids.map(waitActive));
  const burst = (performance.now() - t1) / 1000;
  results["200 concurrent creates (s)"] = +burst.toFixed(2);
  results["creates completed per second"] = +(200 / burst).toFixed(0);

  // 3. fill up to `total` servers, then list latency
  const have = 250;
  for (let n = have; n < total; n += 100) {
    await Promise.all(Array.from({ length: Math.min(100, total - n) }, (_, k) => create(`fill-${n + k}`)));
  }
  for (;;) {
    const b = ((await (await fetch(`${nova}/servers/detail?status=BUILD&limit=1`, { headers: h })).json()) as any).servers;
    if (!b.length) break;
    await Bun.sleep(20);
  }
  const count = ((await (await fetch(`${nova}/servers`, { headers: h })).json()) as any).servers.length;
  const listLat: number[] = [];
  const detailLat: number[] = [];
  for (let n = 0; n < 30; n++) {
    let t0 = performance.now();
    await (await fetch(`${nova}/servers`, { headers: h })).arrayBuffer();
    listLat.push(performance.now() - t0);
    t0 = performance.now();
    await (await fetch(`${nova}/servers/detail`, { headers: h })).arrayBuffer();
    detailLat.push(performance.now() - t0);
  }
  results["servers listed"] = count;
  results["server list p50 (ms)"] = +pct(listLat, 50).toFixed(1);
  results["server list --long (detail) p50 (ms)"] = +pct(detailLat, 50).toFixed(1);
  results[`RSS with ${count} servers (MB)`] = +rssMb(proc.pid).toFixed(0);
} finally {
  proc.kill("SIGTERM");
  await proc.exited;
  rmSync(dataDir, { recursive: true, force: true });
}

const targets: Record<string, string> = {
  "create→ACTIVE p50 (ms)": "< 50",
  "server list p50 (ms)": "< 20",
  "server list --long (detail) p50 (ms)": "< 20 (what `openstack server list` sends)",
};
if (values.json) console.log(JSON.stringify(results, null, 2));
else {
  console.log(`\ntenrec bench (compute, fake driver, one host), ${navigator.hardwareConcurrency} cores, client and server on the same machine`);
  const w = Math.max(...Object.keys(results).map((k) => k.length));
  for (const [k, v] of Object.entries(results)) console.log(`  ${k.padEnd(w)}  ${String(v).padStart(8)}   ${targets[k] ? `target ${targets[k]}` : ""}`);
}
