#!/usr/bin/env bun
/**
 * The EC2 part of `bun run bench`, over HTTP as the aws CLI talks (SigV4-signed form POSTs):
 *   - RunInstances → running p50/p95 with the fake driver (sequential: RunInstances, then
 *     DescribeInstances of that id until `running`)
 *   - DescribeInstances latency (all, and one id) with 1,000 instances (the rest made through Nova,
 *     which EC2 then shows: one state)
 *   - DescribeRegions round trip (signature check + XML, no other service)
 * Starts its own cloud (`tenrec up --ephemeral --driver fake`, port offset 3950 by default).
 * A benchmark, not a test: it prints numbers with the targets beside them and never fails on them.
 * Options: --port-offset N (default 3950), --instances N (default 1000), --samples N (default 30), --json.
 */
import { Sha256 } from "@aws-crypto/sha256-js";
import { SignatureV4 } from "@smithy/signature-v4";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  args: Bun.argv.slice(2),
  options: {
    "port-offset": { type: "string", default: "3950" },
    instances: { type: "string", default: "1000" },
    samples: { type: "string", default: "30" },
    json: { type: "boolean", default: false },
  },
});
const offset = Number(values["port-offset"]);
const total = Number(values.instances);
const samples = Number(values.samples);
const identity = `http://127.0.0.1:${5000 + offset}`;
const nova = `http://127.0.0.1:${8774 + offset}/v2.1`;
const glance = `http://127.0.0.1:${9292 + offset}`;
const ec2 = `http://127.0.0.1:${8773 + offset}`;
const main = join(import.meta.dir, "..", "src", "main.ts");
const dataDir = mkdtempSync(join(tmpdir(), "tenrec-bench-ec2-"));
const log = (s: string) => console.error(`[bench-ec2] ${s}`);

const proc = Bun.spawn(
  ["bun", main, "up", "--data-dir", dataDir, "--ephemeral", "--port-offset", String(offset), "--no-access-log", "--driver", "fake"],
  { stdout: "ignore", stderr: "inherit", env: { ...process.env, TENREC_LOG_LEVEL: "warn" } },
);

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]! : NaN;
};
const round = (x: number) => +x.toFixed(1);

async function waitReady(): Promise<void> {
  const end = performance.now() + 20_000;
  while (performance.now() < end) {
    try {
      const [a, b] = await Promise.all([fetch(`${nova}/`), fetch(`${ec2}/`)]);
      if (a.ok && b.ok) return;
    } catch {
      /* not yet */
    }
    await Bun.sleep(20);
  }
  throw new Error("the cloud did not answer in time");
}

const results: Record<string, number | string> = {};
try {
  await waitReady();
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
  const tok = r.headers.get("x-subject-token")!;
  const who = ((await r.json()) as any).token;
  const h = { "x-auth-token": tok, "content-type": "application/json" };
  await fetch(`${nova}/os-quota-sets/${who.project.id}`, { method: "PUT", headers: h, body: JSON.stringify({ quota_set: { instances: -1, cores: -1, ram: -1 } }) });
  const cred = ((await (await fetch(`${identity}/v3/users/${who.user.id}/credentials/OS-EC2`, { method: "POST", headers: h, body: JSON.stringify({ tenant_id: who.project.id }) })).json()) as any).credential;
  const img = (await (await fetch(`${glance}/v2/images`, { method: "POST", headers: h, body: JSON.stringify({ name: "bench-ec2", disk_format: "raw", container_format: "bare" }) })).json()) as any;
  await fetch(`${glance}/v2/images/${img.id}/file`, { method: "PUT", headers: { "x-auth-token": tok, "content-type": "application/octet-stream" }, body: "bench" });

  const signer = new SignatureV4({ credentials: { accessKeyId: cred.access, secretAccessKey: cred.secret }, region: "RegionOne", service: "ec2", sha256: Sha256 });
  const url = new URL(ec2);
  const call = async (action: string, params: Record<string, string | number> = {}): Promise<string> => {
    const form = new URLSearchParams({ Action: action, Version: "2016-11-15" });
    for (const [k, v] of Object.entries(params)) form.set(k, String(v));
    const body = form.toString();
    const signed = await signer.sign({
      method: "POST", protocol: "http:", hostname: url.hostname, port: Number(url.port), path: "/",
      headers: { host: url.host, "content-type": "application/x-www-form-urlencoded; charset=utf-8" }, body,
    });
    const res = await fetch(`${ec2}/`, { method: "POST", headers: signed.headers as Record<string, string>, body });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`${action}: ${res.status} ${text}`);
    return text;
  };
  const ami = /<imageId>(ami-[0-9a-f]+)<\/imageId>/.exec(await call("DescribeImages", { "Filter.1.Name": "name", "Filter.1.Value.1": "bench-ec2" }))![1]!;

  // 0. a signed round trip that touches no other service
  const regions: number[] = [];
  for (let i = 0; i < 100; i++) {
    const t0 = performance.now();
    await call("DescribeRegions");
    regions.push(performance.now() - t0);
  }
  results["DescribeRegions p50 (ms)"] = round(pct(regions, 50));

  // 1. RunInstances → running, sequential
  log(`${samples} sequential RunInstances → running`);
  const lat: number[] = [];
  const runOnly: number[] = [];
  for (let n = 0; n < samples; n++) {
    const t0 = performance.now();
    const out = await call("RunInstances", { ImageId: ami, InstanceType: "m1.tiny", MinCount: 1, MaxCount: 1 });
    runOnly.push(performance.now() - t0);
    const id = /<instanceId>(i-[0-9a-f]+)<\/instanceId>/.exec(out)![1]!;
    for (;;) {
      const d = await call("DescribeInstances", { "InstanceId.1": id });
      if (d.includes("<name>running</name>")) break;
      await Bun.sleep(1);
    }
    lat.push(performance.now() - t0);
  }
  results["RunInstances → running p50 (ms)"] = round(pct(lat, 50));
  results["RunInstances → running p95 (ms)"] = round(pct(lat, 95));
  results["RunInstances call alone p50 (ms)"] = round(pct(runOnly, 50));

  // 2. fill to `total` instances through Nova (faster), then DescribeInstances
  log(`filling to ${total} instances through Nova`);
  for (let n = samples; n < total; n += 100) {
    await Promise.all(
      Array.from({ length: Math.min(100, total - n) }, async (_, k) => {
        const c = await fetch(`${nova}/servers`, { method: "POST", headers: h, body: JSON.stringify({ server: { name: `fill-${n + k}`, imageRef: img.id, flavorRef: "1", networks: "none" } }) });
        if (c.status !== 202) throw new Error(`create: ${c.status} ${await c.text()}`);
      }),
    );
  }
  for (;;) {
    const b = ((await (await fetch(`${nova}/servers/detail?status=BUILD&limit=1`, { headers: h })).json()) as any).servers;
    if (!b.length) break;
    await Bun.sleep(20);
  }
  const first = await call("DescribeInstances");
  const count = first.match(/<instanceId>/g)?.length ?? 0;
  log(`DescribeInstances with ${count} instances`);
  const all: number[] = [];
  const one: number[] = [];
  const novaDetail: number[] = [];
  const oneId = /<instanceId>(i-[0-9a-f]+)<\/instanceId>/.exec(first)![1]!;
  for (let n = 0; n < 15; n++) {
    let t0 = performance.now();
    await call("DescribeInstances");
    all.push(performance.now() - t0);
    t0 = performance.now();
    await call("DescribeInstances", { "InstanceId.1": oneId });
    one.push(performance.now() - t0);
    t0 = performance.now();
    await (await fetch(`${nova}/servers/detail`, { headers: h })).arrayBuffer();
    novaDetail.push(performance.now() - t0);
  }
  results["instances described"] = count;
  results[`DescribeInstances (all ${count}) p50 (ms)`] = round(pct(all, 50));
  results[`DescribeInstances (all ${count}) p95 (ms)`] = round(pct(all, 95));
  results["DescribeInstances (one id) p50 (ms)"] = round(pct(one, 50));
  results[`  for comparison: Nova GET /servers/detail (${count}) p50 (ms)`] = round(pct(novaDetail, 50));
} catch (e) {
  log(`failed: ${(e as Error)?.stack ?? e}`);
  process.exitCode = 1;
} finally {
  proc.kill("SIGTERM");
  await proc.exited;
  rmSync(dataDir, { recursive: true, force: true });
}

const targets: Record<string, string> = {
  "RunInstances → running p50 (ms)": "< 100",
  "DescribeInstances (one id) p50 (ms)": "< 20",
};
for (const k of Object.keys(results)) if (k.startsWith("DescribeInstances (all")) targets[k] = k.includes("p50") ? "< 500" : "";
if (values.json) console.log(JSON.stringify({ ec2: Object.fromEntries(Object.entries(results).map(([k, v]) => [k, targets[k] ? { value: v, target: targets[k] } : v])) }, null, 2));
else {
  console.log(`\nEC2 Query API (fake driver), ${navigator.hardwareConcurrency} cores, client and server on the same machine`);
  const w = Math.max(...Object.keys(results).map((k) => k.length));
  for (const [k, v] of Object.entries(results)) console.log(`  ${k.padEnd(w)}  ${String(v).padStart(8)}   ${targets[k] ? `target ${targets[k]}` : ""}`);
}
