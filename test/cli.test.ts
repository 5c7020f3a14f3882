import { describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Database } from "bun:sqlite";

const MAIN = join(import.meta.dir, "..", "src", "main.ts");
// Offsets 10000–14990 keep every port (5000…9696 + offset) below Linux's
// ephemeral range (32768+) and below the e2e cloud's (offset 20000).
let nextOffset = 10000 + Math.floor(Math.random() * 400) * 10;

async function up(args: string[]) {
  // Steps of 10: ec2, compute, metadata and volume sit on 8773–8776, so offsets one apart collide.
  const offset = nextOffset;
  nextOffset += 10;
  const proc = Bun.spawn(["bun", MAIN, "up", "--port-offset", String(offset), ...args], {
    stdout: "pipe",
    stderr: "pipe",
  });
  const reader = proc.stdout.getReader();
  let out = "";
  const deadline = Date.now() + 10_000;
  while (!out.includes("ready in") && Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    out += new TextDecoder().decode(value);
  }
  if (!out.includes("ready in")) throw new Error(`not ready: ${out} ${await new Response(proc.stderr).text()}`);
  // keep draining so the child never blocks on a full pipe
  (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      out += new TextDecoder().decode(value);
    }
  })();
  return { proc, base: `http://127.0.0.1:${5000 + offset}`, output: () => out };
}

async function token(base: string, password = "secret") {
  const r = await fetch(`${base}/v3/auth/tokens`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      auth: {
        identity: { methods: ["password"], password: { user: { name: "admin", domain: { id: "default" }, password } } },
        scope: { project: { name: "admin", domain: { id: "default" } } },
      },
    }),
  });
  return { status: r.status, id: r.headers.get("x-subject-token") };
}

describe("tenrec up", () => {
  test("writes clouds.yaml and openrc, logs request ids, stops cleanly, and a restart finds everything", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tenrec-cli-"));
    try {
      const a = await up(["--data-dir", dir]);
      const t = await token(a.base);
      expect(t.status).toBe(201);
      const yaml = readFileSync(join(dir, "clouds.yaml"), "utf8");
      expect(yaml).toContain("tenrec:");
      expect(yaml).toContain("tenrec-demo:");
      expect(yaml).toContain(`auth_url: ${a.base}/v3`);
      expect(readFileSync(join(dir, "openrc"), "utf8")).toContain(`OS_AUTH_URL=${a.base}/v3`);
      a.proc.kill("SIGTERM");
      expect(await a.proc.exited).toBe(0);
      expect(a.output()).toMatch(/req-[0-9a-f-]{36} POST \/v3\/auth\/tokens 201/);
      // the database is consistent and fully checkpointed
      const db = new Database(join(dir, "tenrec.db"));
      expect(db.query("PRAGMA integrity_check").get()).toEqual({ integrity_check: "ok" });
      db.close();

      const b = await up(["--data-dir", dir]);
      // the token issued before the restart is still valid
      const v = await fetch(`${b.base}/v3/auth/tokens`, { headers: { "x-auth-token": t.id!, "x-subject-token": t.id! } });
      expect(v.status).toBe(200);
      b.proc.kill("SIGINT");
      expect(await b.proc.exited).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("--ephemeral removes its data dir on exit; --admin-password applies", async () => {
    const parent = mkdtempSync(join(tmpdir(), "tenrec-eph-"));
    const dir = join(parent, "cloud");
    const a = await up(["--data-dir", dir, "--ephemeral", "--admin-password", "hunter2"]);
    expect(existsSync(join(dir, "tenrec.db"))).toBe(true);
    expect((await token(a.base, "hunter2")).status).toBe(201);
    expect((await token(a.base, "secret")).status).toBe(401);
    a.proc.kill("SIGTERM");
    expect(await a.proc.exited).toBe(0);
    expect(existsSync(dir)).toBe(false);
    rmSync(parent, { recursive: true, force: true });
  });

  test("DevStack names: --openrc-dir, the devstack clouds and accounts, env with AWS keys, state save/reset/load", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tenrec-ds-"));
    const rcDir = join(dir, "devstack");
    try {
      const a = await up(["--data-dir", dir, "--openrc-dir", rcDir]);
      const offset = String(Number(new URL(a.base).port) - 5000);
      const rc = readFileSync(join(rcDir, "openrc"), "utf8");
      expect(rc).toContain(`OS_AUTH_URL=${a.base}/v3`);
      const yaml = readFileSync(join(rcDir, "clouds.yaml"), "utf8");
      for (const c of ["devstack:", "devstack-admin:", "devstack-alt:", "devstack-system-admin:"]) expect(yaml).toContain(c);
      // `source openrc alt_demo alt_demo` gives a working login
      const sh = Bun.spawnSync(["bash", "-c", `. ${join(rcDir, "openrc")} alt_demo alt_demo && echo "$OS_USERNAME/$OS_PROJECT_NAME/$OS_PASSWORD"`]);
      expect(sh.stdout.toString().trim()).toBe("alt_demo/alt_demo/secret");
      const alt = await fetch(`${a.base}/v3/auth/tokens`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          auth: {
            identity: { methods: ["password"], password: { user: { name: "alt_demo", domain: { id: "default" }, password: "secret" } } },
            scope: { project: { name: "alt_demo", domain: { id: "default" } } },
          },
        }),
      });
      expect(alt.status).toBe(201);
      const env = Bun.spawnSync(["bun", MAIN, "env", "--data-dir", dir, "--port-offset", offset, "--user", "demo"]);
      const out = env.stdout.toString();
      expect(out).toContain("export OS_USERNAME='demo'");
      expect(out).toMatch(/export AWS_ACCESS_KEY_ID=[0-9a-f]{32}/);
      const state = (...args: string[]) => Bun.spawnSync(["bun", MAIN, "state", ...args, "--data-dir", dir, "--port-offset", offset]);
      expect(state("save", "ci").exitCode).toBe(0);
      expect(state("list").stdout.toString()).toMatch(/^ci\t/);
      const reset = state("reset");
      expect(reset.exitCode).toBe(0);
      expect(reset.stdout.toString()).toMatch(/reset in \d+ ms/);
      expect(state("load", "nope").exitCode).toBe(1);
      a.proc.kill("SIGTERM");
      expect(await a.proc.exited).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  test("--detach returns once the cloud is ready, printing its PID", async () => {
    const offset = nextOffset;
    nextOffset += 10;
    const r = Bun.spawnSync(["bun", MAIN, "up", "--detach", "--ephemeral", "--port-offset", String(offset)], { stdout: "pipe", stderr: "pipe" });
    expect(r.exitCode).toBe(0);
    const pid = Number(/pid (\d+)/.exec(r.stdout.toString())?.[1]);
    expect(pid).toBeGreaterThan(0);
    try {
      expect((await fetch(`http://127.0.0.1:${5000 + offset}/healthz`)).status).toBe(200);
    } finally {
      process.kill(pid, "SIGTERM");
    }
    for (let i = 0; i < 100; i++) {
      try {
        process.kill(pid, 0);
        await Bun.sleep(50);
      } catch {
        break;
      }
    }
    await expect(fetch(`http://127.0.0.1:${5000 + offset}/healthz`)).rejects.toThrow();
  }, 30_000);

  test("two clouds run side by side with different port offsets", async () => {
    const a = await up(["--ephemeral"]);
    const b = await up(["--ephemeral"]);
    try {
      expect(a.base).not.toBe(b.base);
      expect((await fetch(`${a.base}/v3`)).status).toBe(200);
      expect((await fetch(`${b.base}/v3`)).status).toBe(200);
    } finally {
      a.proc.kill("SIGTERM");
      b.proc.kill("SIGTERM");
      await Promise.all([a.proc.exited, b.proc.exited]);
    }
  }, 30_000);
});

describe("tenrec manage", () => {
  test("version list prints X.Y.Z (with the git revision when known)", () => {
    const r = Bun.spawnSync(["bun", MAIN, "manage", "version", "list"]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout.toString().trim()).toMatch(/^\d+\.\d+\.\d+( \(git [0-9a-f]+\))?$/);
  });

  test("db sync migrates a new data dir and is idempotent", () => {
    const dir = mkdtempSync(join(tmpdir(), "tenrec-sync-"));
    try {
      const first = Bun.spawnSync(["bun", MAIN, "manage", "db", "sync", "--data-dir", dir]).stdout.toString();
      expect(first).toMatch(/identity\s+version [1-9]\d* \([1-9]\d* applied\)/);
      const again = Bun.spawnSync(["bun", MAIN, "manage", "db", "sync", "--data-dir", dir]).stdout.toString();
      expect(again).toMatch(/identity\s+version [1-9]\d* \(0 applied\)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("unknown commands and options exit 2 with usage", () => {
    const r = Bun.spawnSync(["bun", MAIN, "frobnicate"]);
    expect(r.exitCode).toBe(2);
    const o = Bun.spawnSync(["bun", MAIN, "up", "--nope"]);
    expect(o.exitCode).toBe(2);
  });
});
