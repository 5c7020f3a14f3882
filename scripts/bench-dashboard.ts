#!/usr/bin/env bun
/**
 * The dashboard part of `bun run bench`: server-side render time of every page
 * with 1,000 instances in the project (target < 100 ms per page).
 * It starts its own cloud (`tenrec up --ephemeral`, fake driver, port offset 3900 by default),
 * creates the instances through the compute API as demo, logs in to the dashboard like a
 * browser (session cookie + CSRF token) and times each page: the time from request to the
 * last byte of the HTML, which includes the dashboard's own calls to the public APIs.
 * A benchmark, not a test: it prints numbers with the target beside them and never fails on them.
 * Options: --port-offset N (default 3900), --json (machine-readable), --servers N (default 1000), --runs N (default 15).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  args: Bun.argv.slice(2),
  options: {
    "port-offset": { type: "string", default: "3900" },
    json: { type: "boolean", default: false },
    servers: { type: "string", default: "1000" },
    runs: { type: "string", default: "15" },
  },
});
const offset = Number(values["port-offset"]);
const total = Number(values.servers);
const runs = Number(values.runs);
const identity = `http://127.0.0.1:${5000 + offset}/v3`;
const nova = `http://127.0.0.1:${8774 + offset}/v2.1`;
const glance = `http://127.0.0.1:${9292 + offset}`;
const dash = `http://127.0.0.1:${8000 + offset}`;
const adminPassword = process.env.TENREC_ADMIN_PASSWORD ?? "secret";
const main = join(import.meta.dir, "..", "src", "main.ts");
const dataDir = mkdtempSync(join(tmpdir(), "tenrec-bench-dashboard-"));
const log = (m: string) => values.json || console.error(m);

const proc = Bun.spawn(["bun", main, "up", "--data-dir", dataDir, "--ephemeral", "--port-offset", String(offset), "--no-access-log", "--driver", "fake"], {
  stdout: "pipe",
  stderr: "inherit",
  env: { ...process.env, TENREC_LOG_LEVEL: "warn" },
});

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! : NaN;
};

async function waitReady(): Promise<void> {
  const end = performance.now() + 30_000;
  while (performance.now() < end) {
    try {
      if ((await fetch(`${dash}/auth/login`)).ok) return;
    } catch {
      /* not yet */
    }
    await Bun.sleep(20);
  }
  throw new Error("the cloud did not answer in time");
}

async function token(user: string, password: string, project: string): Promise<{ tok: string; project: string }> {
  const r = await fetch(`${identity}/auth/tokens`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      auth: {
        identity: { methods: ["password"], password: { user: { name: user, domain: { id: "default" }, password } } },
        scope: { project: { name: project, domain: { id: "default" } } },
      },
    }),
  });
  if (r.status !== 201) throw new Error(`token for ${user}: ${r.status}`);
  return { tok: r.headers.get("x-subject-token")!, project: ((await r.json()) as any).token.project.id };
}

/** Log in to the dashboard as a browser would; returns the cookie header. */
async function dashLogin(user: string, password: string): Promise<string> {
  const page = await fetch(`${dash}/auth/login`);
  const cookie = page.headers.get("set-cookie")!.split(";")[0]!;
  const csrf = (await page.text()).match(/name="csrfmiddlewaretoken" value="([^"]+)"/)![1]!;
  const r = await fetch(`${dash}/auth/login`, {
    method: "POST",
    redirect: "manual",
    headers: { cookie, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ csrfmiddlewaretoken: csrf, domain: "Default", username: user, password }).toString(),
  });
  if (r.status !== 303) throw new Error(`dashboard login for ${user}: ${r.status}`);
  return r.headers.get("set-cookie")!.split(";")[0]!;
}

const rows: { page: string; p50: number; p95: number; bytes: number; status: number }[] = [];
try {
  await waitReady();
  const admin = await token("admin", adminPassword, "admin");
  const demoPassword = process.env.TENREC_DEMO_PASSWORD ?? "secret";
  const demo = await token("demo", demoPassword, "demo");
  const ah = { "x-auth-token": admin.tok, "content-type": "application/json" };
  const h = { "x-auth-token": demo.tok, "content-type": "application/json" };
  await fetch(`${nova}/os-quota-sets/${demo.project}`, { method: "PUT", headers: ah, body: JSON.stringify({ quota_set: { instances: -1, cores: -1, ram: -1 } }) });
  const img = (await (await fetch(`${glance}/v2/images`, { method: "POST", headers: h, body: JSON.stringify({ name: "bench", disk_format: "raw", container_format: "bare" }) })).json()) as any;
  await fetch(`${glance}/v2/images/${img.id}/file`, { method: "PUT", headers: { "x-auth-token": demo.tok, "content-type": "application/octet-stream" }, body: "bench" });

  log(`creating ${total} instances in project demo…`);
  const t0 = performance.now();
  for (let n = 0; n < total; n += 100) {
    const count = Math.min(100, total - n);
    const r = await fetch(`${nova}/servers`, {
      method: "POST",
      headers: h,
      body: JSON.stringify({ server: { name: `bench-${n}`, imageRef: img.id, flavorRef: "1", networks: "none", min_count: count, max_count: count } }),
    });
    if (r.status !== 202) throw new Error(`create: ${r.status} ${await r.text()}`);
  }
  for (;;) {
    const b = ((await (await fetch(`${nova}/servers/detail?status=BUILD&limit=1`, { headers: h })).json()) as any).servers;
    if (!b.length) break;
    await Bun.sleep(50);
  }
  const count = ((await (await fetch(`${nova}/servers?limit=100000`, { headers: h })).json()) as any).servers.length;
  log(`${count} instances ACTIVE in ${((performance.now() - t0) / 1000).toFixed(1)} s; timing pages…`);
  const one = ((await (await fetch(`${nova}/servers?limit=1`, { headers: h })).json()) as any).servers[0].id;

  const demoCookie = await dashLogin("demo", demoPassword);
  const adminCookie = await dashLogin("admin", adminPassword);
  const pages: [string, string][] = [
    ["/project/", demoCookie],
    ["/project/instances", demoCookie],
    ["/project/instances/status.json", demoCookie],
    ["/project/instances/launch", demoCookie],
    [`/project/instances/${one}`, demoCookie],
    ["/project/images", demoCookie],
    ["/project/keypairs", demoCookie],
    ["/project/volumes", demoCookie],
    ["/project/network", demoCookie],
    ["/project/containers", demoCookie],
    ["/admin/hypervisors", adminCookie],
    ["/admin/instances", adminCookie],
    ["/admin/flavors", adminCookie],
    ["/admin/identity", adminCookie],
    ["/admin/services", adminCookie],
  ];
  for (const [path, cookie] of pages) {
    const lat: number[] = [];
    let bytes = 0;
    let status = 0;
    for (let i = 0; i < runs + 2; i++) {
      const t = performance.now();
      const r = await fetch(`${dash}${path}`, { headers: { cookie }, redirect: "manual" });
      const body = await r.arrayBuffer();
      const ms = performance.now() - t;
      if (i >= 2) lat.push(ms); // two warm-up requests
      bytes = body.byteLength;
      status = r.status;
    }
    rows.push({ page: path.replace(one, "{id}"), p50: +pct(lat, 50).toFixed(1), p95: +pct(lat, 95).toFixed(1), bytes, status });
  }
  if (values.json) {
    console.log(JSON.stringify({ instances: count, target_ms: 100, pages: rows }, null, 2));
  } else {
    console.log(`\nDashboard: server-side render time per page, ${count} instances in the project (target < 100 ms)\n`);
    console.log(`${"page".padEnd(34)} ${"status".padStart(6)} ${"p50 ms".padStart(8)} ${"p95 ms".padStart(8)} ${"KiB".padStart(7)}  target`);
    for (const r of rows) {
      console.log(
        `${r.page.padEnd(34)} ${String(r.status).padStart(6)} ${r.p50.toFixed(1).padStart(8)} ${r.p95.toFixed(1).padStart(8)} ${(r.bytes / 1024).toFixed(1).padStart(7)}  ${r.p95 < 100 ? "< 100 ok" : "< 100 MISSED"}`,
      );
    }
  }
} catch (e) {
  console.error(`bench-dashboard: ${(e as Error).message}`);
} finally {
  proc.kill();
  await proc.exited;
  rmSync(dataDir, { recursive: true, force: true });
}
