#!/usr/bin/env bun
/**
 * The network service, measured (run by `bun run bench`; alone: `bun scripts/bench-network.ts`).
 *
 * Starts tenrec (`bun src/main.ts up`, its own temp data dir, port offset 3300) and, through
 * Neutron v2.0 with plain fetch + X-Auth-Token, as the demo user:
 *   - port create latency: --ports sequential POST /v2.0/ports on a /16 (p50, p95, p99);
 *   - IPAM under concurrency: --concurrent simultaneous port creates on one /24 whose pool holds
 *     253 addresses (.2–.254): exactly 253 must succeed, all with distinct addresses, the rest
 *     answered 409 IpAddressGenerationFailure, nothing else.
 *
 * A benchmark, not a test: it prints numbers with the targets beside them and never fails on them.
 * Options: --port-offset N (default 3300), --ports N (default 300), --concurrent N (default 500), --json.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  args: Bun.argv.slice(2),
  options: {
    "port-offset": { type: "string", default: "3300" },
    ports: { type: "string", default: "300" },
    concurrent: { type: "string", default: "500" },
    json: { type: "boolean", default: false },
  },
});
const offset = Number(values["port-offset"]);
const nPorts = Math.max(1, Number(values.ports));
const nConcurrent = Math.max(1, Number(values.concurrent));
const keystone = `http://127.0.0.1:${5000 + offset}`;
const neutron = `http://127.0.0.1:${9696 + offset}`;
const log = (s: string) => console.error(`[bench-network] ${s}`);

const dataDir = mkdtempSync(join(tmpdir(), "tenrec-bench-network-"));
const proc = Bun.spawn(["bun", join(import.meta.dir, "..", "src", "main.ts"), "up", "--data-dir", dataDir, "--port-offset", String(offset), "--no-access-log"], {
  stdout: "ignore",
  stderr: "inherit",
});
let cleaned = false;
async function cleanup() {
  if (cleaned) return;
  cleaned = true;
  proc.kill("SIGTERM");
  await proc.exited;
  rmSync(dataDir, { recursive: true, force: true });
}
process.on("SIGINT", () => void cleanup().then(() => process.exit(130)));

async function waitReady(): Promise<void> {
  const end = performance.now() + 20_000;
  while (performance.now() < end) {
    try {
      if ((await fetch(`${neutron}/`)).ok && (await fetch(`${keystone}/v3`)).ok) return;
    } catch {
      /* not yet */
    }
    await Bun.sleep(20);
  }
  throw new Error("cloud did not answer in time");
}

async function token(user: string, project: string): Promise<string> {
  const r = await fetch(`${keystone}/v3/auth/tokens`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      auth: {
        identity: { methods: ["password"], password: { user: { name: user, domain: { id: "default" }, password: process.env.TENREC_ADMIN_PASSWORD && user === "admin" ? process.env.TENREC_ADMIN_PASSWORD : "secret" } } },
        scope: { project: { name: project, domain: { id: "default" } } },
      },
    }),
  });
  if (r.status !== 201) throw new Error(`token for ${user}: ${r.status} ${await r.text()}`);
  return r.headers.get("x-subject-token")!;
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
const round = (x: number) => Math.round(x * 100) / 100;

try {
  await waitReady();
  const admin = await token("admin", "admin");
  const demo = await token("demo", "demo");
  const call = async (tok: string, method: string, path: string, body?: unknown) => {
    const r = await fetch(`${neutron}${path}`, {
      method,
      headers: { "x-auth-token": tok, ...(body ? { "content-type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: r.status, json: r.status === 204 ? null : ((await r.json()) as any) };
  };
  // The demo project's port quota (500) would stop the run: lift it, as an operator would.
  const demoProject = (await call(demo, "GET", "/v2.0/networks?name=private")).json.networks[0].project_id;
  await call(admin, "PUT", `/v2.0/quotas/${demoProject}`, { quota: { port: -1 } });

  // 1. Sequential port creates on a roomy network.
  const big = (await call(demo, "POST", "/v2.0/networks", { network: { name: "bench-big" } })).json.network;
  await call(demo, "POST", "/v2.0/subnets", { subnet: { network_id: big.id, cidr: "10.200.0.0/16", ip_version: 4 } });
  for (let i = 0; i < 20; i++) await call(demo, "POST", "/v2.0/ports", { port: { network_id: big.id } }); // warm-up
  const lat: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < nPorts; i++) {
    const s = performance.now();
    const r = await call(demo, "POST", "/v2.0/ports", { port: { network_id: big.id } });
    lat.push(performance.now() - s);
    if (r.status !== 201) throw new Error(`port create: ${r.status} ${JSON.stringify(r.json)}`);
  }
  const seqSeconds = (performance.now() - t0) / 1000;

  // 2. Concurrent creates on one /24 pool.
  const small = (await call(demo, "POST", "/v2.0/networks", { network: { name: "bench-24" } })).json.network;
  const sub = (await call(demo, "POST", "/v2.0/subnets", { subnet: { network_id: small.id, cidr: "10.201.0.0/24", ip_version: 4 } })).json.subnet;
  const capacity = sub.allocation_pools.reduce((n: number, p: { start: string; end: string }) => n + Number(p.end.split(".")[3]) - Number(p.start.split(".")[3]) + 1, 0);
  const c0 = performance.now();
  const results = await Promise.all(Array.from({ length: nConcurrent }, () => call(demo, "POST", "/v2.0/ports", { port: { network_id: small.id } })));
  const concSeconds = (performance.now() - c0) / 1000;
  const created = results.filter((r) => r.status === 201);
  const exhausted = results.filter((r) => r.status === 409 && r.json?.NeutronError?.type === "IpAddressGenerationFailure");
  const ips = created.map((r) => r.json.port.fixed_ips[0].ip_address as string);
  const forbidden = ips.filter((ip) => ip === sub.gateway_ip || ip.endsWith(".0") || ip.endsWith(".255"));

  const out = {
    "port create p50 (ms)": round(pct(lat, 50)),
    "port create p95 (ms)": round(pct(lat, 95)),
    "port create p99 (ms)": round(pct(lat, 99)),
    "port creates/s (sequential)": Math.round(nPorts / seqSeconds),
    [`${nConcurrent} concurrent creates on a /24: pool capacity`]: capacity,
    [`${nConcurrent} concurrent creates on a /24: succeeded`]: created.length,
    [`${nConcurrent} concurrent creates on a /24: distinct addresses`]: new Set(ips).size,
    [`${nConcurrent} concurrent creates on a /24: 409 IpAddressGenerationFailure`]: exhausted.length,
    [`${nConcurrent} concurrent creates on a /24: other answers`]: nConcurrent - created.length - exhausted.length,
    [`${nConcurrent} concurrent creates on a /24: gateway/network/broadcast handed out`]: forbidden.length,
    [`${nConcurrent} concurrent creates on a /24: wall time (s)`]: round(concSeconds),
  };
  if (values.json) console.log(JSON.stringify({ network: out }, null, 2));
  else {
    const targets: Record<string, string> = {
      "port create p50 (ms)": "< 10",
      "port create p95 (ms)": "< 25",
      [`${nConcurrent} concurrent creates on a /24: succeeded`]: `= capacity (${capacity})`,
      [`${nConcurrent} concurrent creates on a /24: distinct addresses`]: "= succeeded",
      [`${nConcurrent} concurrent creates on a /24: 409 IpAddressGenerationFailure`]: `= ${Math.max(0, nConcurrent - capacity)}`,
      [`${nConcurrent} concurrent creates on a /24: other answers`]: "= 0",
      [`${nConcurrent} concurrent creates on a /24: gateway/network/broadcast handed out`]: "= 0",
    };
    console.log(`\ntenrec bench (network service, Neutron v2.0), ${navigator.hardwareConcurrency} cores, client and server on the same machine`);
    for (const [k, v] of Object.entries(out)) console.log(`  ${k.padEnd(72)} ${String(v).padStart(8)}   ${targets[k] ? `target ${targets[k]}` : ""}`);
    console.log(`  (${nPorts} sequential port creates after 20 warm-up ones, on a /16; then ${nConcurrent} at once on one /24)`);
  }
} catch (e) {
  log(`failed: ${(e as Error).message}`);
  process.exitCode = 1;
} finally {
  await cleanup();
}
