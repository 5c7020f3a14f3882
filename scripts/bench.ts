#!/usr/bin/env bun
/**
 * `bun run bench`: what a user of tenrec feels, measured.
 *   - cold start: process start → every listener answering, on a new and on an existing data dir
 *   - token issue latency (p50/p95/p99, sequential, over HTTP)
 *   - token validation throughput over HTTP under load (wrk when installed, else a Bun client)
 *   - idle RSS after start-up and after the load
 * A benchmark, not a test: it prints numbers and the targets beside them; it never fails on them.
 * Options: --port-offset N (default 3000: ports stay below the ephemeral range), --duration S (default 10), --json (machine-readable),
 * --no-objects (skip the object-storage part, scripts/bench-objects.ts, which runs after these numbers),
 * --only NAMES (comma-separated: run only these parts, e.g. "images,compute"; "identity" is this file's own part).
 * Each service's part is its own script, scripts/bench-<name>.ts, run in a child process after these numbers
 * (its memory and servers stay apart); it takes --json and picks its own port offset.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  args: Bun.argv.slice(2),
  options: {
    "port-offset": { type: "string", default: "3000" },
    duration: { type: "string", default: "10" },
    json: { type: "boolean", default: false },
    "no-objects": { type: "boolean", default: false },
    only: { type: "string" },
  },
});
const only = values.only ? new Set(values.only.split(",").map((s) => s.trim())) : undefined;
const offset = Number(values["port-offset"]);
const duration = Number(values.duration);
const base = `http://127.0.0.1:${5000 + offset}`;
const main = join(import.meta.dir, "..", "src", "main.ts");
const results: Record<string, number | string> = {};

const exe = join(import.meta.dir, "..", "dist", "tenrec");
let cmd = ["bun", main];

function start(dataDir: string) {
  return Bun.spawn([...cmd, "up", "--data-dir", dataDir, "--port-offset", String(offset), "--no-access-log"], {
    stdout: "pipe",
    stderr: "inherit",
  });
}

async function waitReady(deadlineMs = 10_000): Promise<void> {
  const end = performance.now() + deadlineMs;
  while (performance.now() < end) {
    try {
      const r = await fetch(`${base}/v3`);
      if (r.ok) return;
    } catch {
      /* not listening yet */
    }
    await Bun.sleep(1);
  }
  throw new Error("cloud did not answer in time");
}

async function coldStart(dataDir: string): Promise<{ ms: number; proc: ReturnType<typeof start> }> {
  const t0 = performance.now();
  const proc = start(dataDir);
  await waitReady();
  return { ms: performance.now() - t0, proc };
}

async function stop(proc: ReturnType<typeof start>) {
  proc.kill("SIGTERM");
  await proc.exited;
}

function rssMb(pid: number): number {
  const status = require("node:fs").readFileSync(`/proc/${pid}/status`, "utf8") as string;
  const m = status.match(/VmRSS:\s+(\d+) kB/);
  return m ? Number(m[1]) / 1024 : NaN;
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

async function issue(): Promise<string> {
  const r = await fetch(`${base}/v3/auth/tokens`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      auth: {
        identity: { methods: ["password"], password: { user: { name: "admin", domain: { id: "default" }, password: "secret" } } },
        scope: { project: { name: "admin", domain: { id: "default" } } },
      },
    }),
  });
  if (r.status !== 201) throw new Error(`token issue: ${r.status}`);
  await r.arrayBuffer();
  return r.headers.get("x-subject-token")!;
}

async function loadWithWrk(token: string): Promise<number | undefined> {
  if (!Bun.which("wrk")) return undefined;
  const p = Bun.spawnSync(
    ["wrk", "-t2", "-c32", `-d${duration}s`, "-H", `X-Auth-Token: ${token}`, "-H", `X-Subject-Token: ${token}`, `${base}/v3/auth/tokens`],
    { stdout: "pipe", stderr: "pipe" },
  );
  const out = p.stdout.toString();
  const non2xx = out.match(/Non-2xx or 3xx responses: (\d+)/);
  if (non2xx) throw new Error(`wrk saw ${non2xx[1]} error responses`);
  const m = out.match(/Requests\/sec:\s+([\d.]+)/);
  return m ? Number(m[1]) : undefined;
}

async function loadWithBun(token: string): Promise<number> {
  const end = performance.now() + duration * 1000;
  let n = 0;
  const worker = async () => {
    while (performance.now() < end) {
      const r = await fetch(`${base}/v3/auth/tokens`, { headers: { "X-Auth-Token": token, "X-Subject-Token": token } });
      await r.arrayBuffer();
      if (r.status !== 200) throw new Error(`validate: ${r.status}`);
      n++;
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: 32 }, worker));
  return n / ((performance.now() - t0) / 1000);
}

if (!only || only.has("identity")) {
  const dir = mkdtempSync(join(tmpdir(), "tenrec-bench-"));
  try {
    // 0. the compiled executable (`bun run build`): bytecode, no transpiling at start
    const build = Bun.spawnSync(["bun", "run", "build"], { cwd: join(import.meta.dir, ".."), stdout: "ignore", stderr: "pipe" });
    if (build.exitCode === 0) {
      cmd = [exe];
      const exeDir = mkdtempSync(join(tmpdir(), "tenrec-bench-exe-"));
      const n = await coldStart(exeDir);
      results["cold start, compiled, new data dir (ms)"] = Math.round(n.ms);
      await stop(n.proc);
      const xs: number[] = [];
      for (let i = 0; i < 3; i++) {
        const r = await coldStart(exeDir);
        xs.push(r.ms);
        await stop(r.proc);
      }
      results["cold start, compiled, existing data dir (ms, median of 3)"] = Math.round(pct(xs, 50));
      rmSync(exeDir, { recursive: true, force: true });
      cmd = ["bun", main];
    } else console.error(`build failed, skipping the compiled executable: ${build.stderr}`);

    // 1. cold start on a new data dir, then on the existing one (best of 3 for the latter)
    const first = await coldStart(dir);
    results["cold start, bun src/main.ts, new data dir (ms)"] = Math.round(first.ms);
    await stop(first.proc);
    const again: number[] = [];
    let proc!: ReturnType<typeof start>;
    for (let i = 0; i < 3; i++) {
      const r = await coldStart(dir);
      again.push(r.ms);
      if (i < 2) await stop(r.proc);
      else proc = r.proc;
    }
    results["cold start, bun src/main.ts, existing data dir (ms, median of 3)"] = Math.round(pct(again, 50));
    await Bun.sleep(300);
    results["idle RSS after start (MB)"] = Math.round(rssMb(proc.pid));

    // 2. token issue latency
    for (let i = 0; i < 10; i++) await issue();
    const lat: number[] = [];
    for (let i = 0; i < 200; i++) {
      const t0 = performance.now();
      await issue();
      lat.push(performance.now() - t0);
    }
    results["token issue p50 (ms)"] = +pct(lat, 50).toFixed(2);
    results["token issue p95 (ms)"] = +pct(lat, 95).toFixed(2);
    results["token issue p99 (ms)"] = +pct(lat, 99).toFixed(2);

    // 3. validation throughput
    const token = await issue();
    const wrk = await loadWithWrk(token);
    const rps = wrk ?? (await loadWithBun(token));
    results[`token validation over HTTP (req/s, ${wrk ? "wrk" : "bun client"}, 32 conns, ${duration}s)`] = Math.round(rps);
    await Bun.sleep(1000);
    Bun.gc?.(true);
    results["RSS after load (MB)"] = Math.round(rssMb(proc.pid));
    await stop(proc);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const targets: Record<string, string> = {
    "cold start, bun src/main.ts, new data dir (ms)": "< 300",
    "cold start, bun src/main.ts, existing data dir (ms, median of 3)": "< 100",
    "cold start, compiled, new data dir (ms)": "< 300",
    "cold start, compiled, existing data dir (ms, median of 3)": "< 100",
    "idle RSS after start (MB)": "< 60",
    "token issue p50 (ms)": "< 10",
  };
  if (values.json) console.log(JSON.stringify(results, null, 2));
  else {
    console.log("tenrec bench (identity)");
    for (const [k, v] of Object.entries(results)) {
      const target = targets[k] ?? (k.startsWith("token validation") ? ">= 10000" : "");
      console.log(`  ${k.padEnd(72)} ${String(v).padStart(8)}   ${target && `target ${target}`}`);
    }
  }
}

// The services' own parts: scripts/bench-<name>.ts, each in a child process (object storage
// first, then the rest by name), so their memory and their servers stay apart from these numbers.
const parts = [...new Bun.Glob("bench-*.ts").scanSync(import.meta.dir)]
  .map((f) => f.slice("bench-".length, -".ts".length))
  .sort((a, b) => (a === "objects" ? -1 : b === "objects" ? 1 : a.localeCompare(b)))
  .filter((n) => (only ? only.has(n) : !(n === "objects" && values["no-objects"])));
for (const part of parts) {
  const child = Bun.spawn(["bun", join(import.meta.dir, `bench-${part}.ts`), ...(values.json ? ["--json"] : [])], {
    stdio: ["inherit", "inherit", "inherit"],
  });
  if ((await child.exited) !== 0) process.exitCode = 1;
}
