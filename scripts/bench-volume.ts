#!/usr/bin/env bun
/**
 * Block storage, measured (run by `bun run bench`; alone: `bun scripts/bench-volume.ts`).
 *
 * Starts its own tenrec (`bun src/main.ts up`, a temp data dir, port offset 3400) and, over HTTP
 * as a client would (POST /volumes, then GET /volumes/{id} until `available`):
 *   - 1 GiB volume create → available, sequential: p50/p95 (target p50 < 100 ms);
 *   - 100 concurrent creates of 1 GiB: wall time until all are available, and p50/p95 of each one's
 *     create → available;
 *   - a 1 GiB extend → available, and a snapshot create → available (p50).
 * Volumes are qcow2 files when qemu-img is installed (sparse raw otherwise): the backend format is printed.
 *
 * A benchmark, not a test: it prints numbers with the targets beside them and never fails on them.
 * Options: --port-offset N (default 3400), --samples N (sequential creates, default 30), --json.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { Subprocess } from "bun";

const { values } = parseArgs({
  args: Bun.argv.slice(2),
  options: {
    "port-offset": { type: "string", default: "3400" },
    samples: { type: "string", default: "30" },
    json: { type: "boolean", default: false },
  },
});
const offset = Number(values["port-offset"]);
const samples = Number(values.samples);
const keystone = `http://127.0.0.1:${5000 + offset}`;
const cinder = `http://127.0.0.1:${8776 + offset}`;
const log = (s: string) => console.error(`[bench-volume] ${s}`);

let child: Subprocess | undefined;
const dir = mkdtempSync(join(tmpdir(), "tenrec-bench-volume-"));
let cleaned = false;
function cleanup() {
  if (cleaned) return;
  cleaned = true;
  if (child && child.exitCode === null) child.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
}
process.on("exit", cleanup);
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const)
  process.on(sig, () => {
    cleanup();
    process.exit(130);
  });

const pct = (xs: number[], p: number) => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
};
const round = (x: number) => +x.toFixed(1);

async function waitReady(ms = 15_000) {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    try {
      const [a, b] = await Promise.all([fetch(`${keystone}/v3`), fetch(`${cinder}/`)]);
      if (a.ok && b.status === 300) return;
    } catch {
      /* not yet */
    }
    await Bun.sleep(20);
  }
  throw new Error("tenrec did not answer in time");
}

async function token(): Promise<{ token: string; project: string }> {
  const r = await fetch(`${keystone}/v3/auth/tokens`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      auth: {
        identity: { methods: ["password"], password: { user: { name: "admin", domain: { id: "default" }, password: "secret" } } },
        scope: { project: { name: "admin", domain: { id: "default" } } },
      },
    }),
  });
  if (r.status !== 201) throw new Error(`token: ${r.status}`);
  const body = (await r.json()) as { token: { project: { id: string } } };
  return { token: r.headers.get("x-subject-token")!, project: body.token.project.id };
}

async function main() {
  child = Bun.spawn(["bun", join(import.meta.dir, "..", "src", "main.ts"), "up", "--data-dir", dir, "--port-offset", String(offset), "--no-access-log"], {
    stdout: "ignore",
    stderr: "inherit",
  });
  await waitReady();
  const { token: tok, project } = await token();
  const base = `${cinder}/v3/${project}`;
  const h = { "x-auth-token": tok, "content-type": "application/json" };
  const api = async (method: string, path: string, body?: unknown) => {
    const r = await fetch(`${base}${path}`, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await r.text();
    return { status: r.status, json: text ? JSON.parse(text) : {} };
  };
  const put = await api("PUT", `/os-quota-sets/${project}`, { quota_set: { volumes: -1, gigabytes: -1, snapshots: -1 } });
  if (put.status !== 200) throw new Error(`quota update: ${put.status}`);

  const waitFor = async (path: string, key: string, want: string) => {
    for (;;) {
      const r = await api("GET", path);
      const st = r.json[key]?.status;
      if (st === want) return;
      if (typeof st === "string" && st.startsWith("error")) throw new Error(`${path} went to ${st}`);
      await Bun.sleep(1);
    }
  };
  const createOne = async (size = 1): Promise<{ id: string; ms: number }> => {
    const t0 = performance.now();
    const r = await api("POST", "/volumes", { volume: { size } });
    if (r.status !== 202) throw new Error(`create: ${r.status} ${JSON.stringify(r.json)}`);
    const id = r.json.volume.id as string;
    await waitFor(`/volumes/${id}`, "volume", "available");
    return { id, ms: performance.now() - t0 };
  };

  const ids: string[] = [];
  // Warm-up: the first create of a size makes the backend's empty qcow2 template.
  ids.push((await createOne()).id);

  log(`${samples} sequential 1 GiB creates`);
  const seq: number[] = [];
  for (let i = 0; i < samples; i++) {
    const r = await createOne();
    seq.push(r.ms);
    ids.push(r.id);
  }

  log("100 concurrent 1 GiB creates");
  const t0 = performance.now();
  const conc = await Promise.all(Array.from({ length: 100 }, () => createOne()));
  const wall = performance.now() - t0;
  ids.push(...conc.map((r) => r.id));

  log("extend and snapshot");
  const ext: number[] = [];
  const snaps: number[] = [];
  for (const id of ids.slice(0, 5)) {
    let s = performance.now();
    const e = await api("POST", `/volumes/${id}/action`, { "os-extend": { new_size: 2 } });
    if (e.status !== 202) throw new Error(`extend: ${e.status}`);
    for (;;) {
      const v = await api("GET", `/volumes/${id}`);
      if (v.json.volume.status === "available" && v.json.volume.size === 2) break;
      await Bun.sleep(1);
    }
    ext.push(performance.now() - s);
    s = performance.now();
    const sn = await api("POST", "/snapshots", { snapshot: { volume_id: id } });
    if (sn.status !== 202) throw new Error(`snapshot: ${sn.status}`);
    await waitFor(`/snapshots/${sn.json.snapshot.id}`, "snapshot", "available");
    snaps.push(performance.now() - s);
  }
  const fmt = Bun.which("qemu-img") ? "qcow2 (qemu-img)" : "sparse raw";

  const rows: [string, number | string, string][] = [
    ["backend format", fmt, ""],
    ["create → available p50, 1 GiB, sequential (ms)", round(pct(seq, 50)), "< 100"],
    ["create → available p95, 1 GiB, sequential (ms)", round(pct(seq, 95)), ""],
    ["100 concurrent creates: all available (ms)", round(wall), ""],
    ["100 concurrent creates: p50 each (ms)", round(pct(conc.map((r) => r.ms), 50)), ""],
    ["100 concurrent creates: p95 each (ms)", round(pct(conc.map((r) => r.ms), 95)), ""],
    ["extend 1 → 2 GiB → available p50 (ms)", round(pct(ext, 50)), ""],
    ["snapshot create → available p50, 2 GiB (ms)", round(pct(snaps, 50)), ""],
  ];
  if (values.json) {
    console.log(JSON.stringify({ volume: Object.fromEntries(rows.map(([k, v, t]) => [k, t ? { value: v, target: t } : v])) }, null, 2));
  } else {
    console.log("\nBlock storage (Cinder v3)");
    const w = Math.max(...rows.map((r) => r[0].length));
    for (const [k, v, t] of rows) console.log(`  ${k.padEnd(w)}  ${String(v).padStart(18)}  ${t ? `target ${t}` : ""}`);
  }
  child.kill("SIGTERM");
  await child.exited;
}

main()
  .catch((e) => {
    log(`failed: ${e?.stack ?? e}`);
    process.exitCode = 1;
  })
  .finally(cleanup);
