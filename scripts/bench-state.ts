#!/usr/bin/env bun
/**
 * The disposable cloud, measured (run by `bun run bench`; alone: `bun scripts/bench-state.ts`):
 * a cloud with some state (projects, objects — and servers and volumes when those services
 * answer), then, five times: save a snapshot, reset to the bootstrapped cloud, load the
 * snapshot back; the objects are checked byte for byte after each load. Reports p50/max of
 * each step against the targets (reset < 100 ms, restore < 1 s for a small cloud).
 * A benchmark, not a test: it never fails on the numbers (it does fail if state is lost).
 * Options: --port-offset N (default 3800), --objects N (default 200), --json.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  args: Bun.argv.slice(2),
  options: {
    "port-offset": { type: "string", default: "3800" },
    objects: { type: "string", default: "200" },
    json: { type: "boolean", default: false },
  },
});
const offset = Number(values["port-offset"]);
const nObjects = Number(values.objects);
const ks = `http://127.0.0.1:${5000 + offset}`;
const swift = `http://127.0.0.1:${8080 + offset}`;
const log = (s: string) => console.error(`[bench-state] ${s}`);

const dir = mkdtempSync(join(tmpdir(), "tenrec-bench-state-"));
const proc = Bun.spawn(["bun", join(import.meta.dir, "..", "src", "main.ts"), "up", "--data-dir", dir, "--port-offset", String(offset), "--no-access-log"], {
  stdout: "pipe",
  stderr: "inherit",
});
const cleanup = () => {
  if (proc.exitCode === null) proc.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
};
process.on("exit", cleanup);

async function ready() {
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`${ks}/v3`)).ok) return;
    } catch {}
    await Bun.sleep(50);
  }
  throw new Error("tenrec did not start");
}

async function token(): Promise<{ id: string; project: string }> {
  const r = await fetch(`${ks}/v3/auth/tokens`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      auth: {
        identity: { methods: ["password"], password: { user: { name: "admin", domain: { id: "default" }, password: "secret" } } },
        scope: { project: { name: "admin", domain: { id: "default" } } },
      },
    }),
  });
  const body = (await r.json()) as { token: { project: { id: string } } };
  return { id: r.headers.get("x-subject-token")!, project: body.token.project.id };
}

const md5 = (b: Uint8Array) => new Bun.CryptoHasher("md5").update(b).digest("hex");

await ready();
let tok = await token();
const acct = `${swift}/v1/AUTH_${tok.project}`;
await fetch(`${acct}/bench`, { method: "PUT", headers: { "x-auth-token": tok.id } });
const sums = new Map<string, string>();
let bytes = 0;
for (let i = 0; i < nObjects; i++) {
  const size = i === 0 ? 16 * 1024 * 1024 : 4096;
  const body = crypto.getRandomValues(new Uint8Array(Math.min(size, 65536)));
  const full = size > body.length ? new Uint8Array(size).map((_, k) => body[k % body.length]!) : body;
  const r = await fetch(`${acct}/bench/o${i}`, { method: "PUT", headers: { "x-auth-token": tok.id }, body: full });
  if (r.status !== 201) throw new Error(`PUT o${i}: ${r.status}`);
  sums.set(`o${i}`, md5(full));
  bytes += size;
}
for (let i = 0; i < 20; i++) {
  await fetch(`${ks}/v3/projects`, {
    method: "POST",
    headers: { "x-auth-token": tok.id, "content-type": "application/json" },
    body: JSON.stringify({ project: { name: `bench-${i}` } }),
  });
}
log(`state: ${nObjects} objects (${(bytes / 1048576).toFixed(1)} MiB), 20 projects`);

async function ctl(method: string, path: string, body?: unknown): Promise<Record<string, any>> {
  const r = await fetch(`${ks}/tenrec/v1${path}`, {
    method,
    headers: { "x-auth-token": tok.id, ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${await r.text()}`);
  return (await r.json()) as Record<string, any>;
}

const save: number[] = [], reset: number[] = [], load: number[] = [], wall: number[] = [];
for (let round = 0; round < 5; round++) {
  let t0 = performance.now();
  await ctl("POST", "/snapshots", { name: "bench" });
  save.push(performance.now() - t0);
  t0 = performance.now();
  await ctl("POST", "/reset");
  reset.push(performance.now() - t0);
  tok = await token();
  const gone = await fetch(`${acct}/bench/o1`, { headers: { "x-auth-token": tok.id } });
  if (gone.status !== 404) throw new Error(`after reset o1 answered ${gone.status}`);
  t0 = performance.now();
  await ctl("POST", "/snapshots/bench/restore");
  load.push(performance.now() - t0);
  tok = await token();
  t0 = performance.now();
  for (const [name, sum] of sums) {
    const r = await fetch(`${acct}/bench/${name}`, { headers: { "x-auth-token": tok.id } });
    if (r.status !== 200 || md5(new Uint8Array(await r.arrayBuffer())) !== sum) throw new Error(`${name} differs after load`);
  }
  wall.push(performance.now() - t0);
}
const p50 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const max = (xs: number[]) => Math.max(...xs);
const results = {
  "snapshot save, ms (p50 / max)": `${p50(save).toFixed(0)} / ${max(save).toFixed(0)}`,
  "reset to bootstrap, ms (p50 / max)": `${p50(reset).toFixed(0)} / ${max(reset).toFixed(0)}`,
  "snapshot load, ms (p50 / max)": `${p50(load).toFixed(0)} / ${max(load).toFixed(0)}`,
  [`verify ${nObjects} objects byte-identical after load, ms (p50)`]: p50(wall).toFixed(0),
};
const targets: Record<string, string> = {
  "reset to bootstrap, ms (p50 / max)": "< 100",
  "snapshot load, ms (p50 / max)": "< 1000",
};
if (values.json) console.log(JSON.stringify({ state: results }, null, 2));
else {
  console.log(`tenrec bench (disposable cloud: ${nObjects} objects, ${(bytes / 1048576).toFixed(1)} MiB, 20 projects)`);
  for (const [k, v] of Object.entries(results))
    console.log(`  ${k.padEnd(72)} ${String(v).padStart(10)}   ${targets[k] ? `target ${targets[k]}` : ""}`);
}
proc.kill("SIGTERM");
await proc.exited;
