/**
 * `tenrec state ...`: reset and snapshots of a running cloud through its
 * /tenrec/v1 API (as admin, with the password from the config), and
 * export/import of a snapshot as a tar file (offline, on the data dir).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { portOf, publicHost, type Config } from "../core/config.ts";
import { SNAPSHOT_DIR, snapshotPath } from "./state.ts";

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

async function api(cfg: Config, method: string, path: string, body?: unknown): Promise<unknown> {
  const base = `http://${publicHost(cfg)}:${portOf(cfg, "identity")}`;
  let tok: Response;
  try {
    tok = await fetch(`${base}/v3/auth/tokens`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        auth: {
          identity: { methods: ["password"], password: { user: { name: "admin", domain: { id: "default" }, password: cfg.adminPassword } } },
          scope: { project: { name: "admin", domain: { id: "default" } } },
        },
      }),
    });
  } catch {
    throw new Error(`no cloud answers at ${base} (start it with tenrec up, with the same --port-offset)`);
  }
  if (tok.status !== 201) throw new Error(`cannot log in as admin at ${base}: ${tok.status}`);
  const res = await fetch(`${base}/tenrec/v1${path}`, {
    method,
    headers: { "x-auth-token": tok.headers.get("x-subject-token")!, ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  if (!res.ok) {
    let msg = text;
    try {
      msg = JSON.parse(text).error.message;
    } catch {
      /* plain */
    }
    throw new Error(`${method} /tenrec/v1${path}: ${res.status} ${msg}`);
  }
  return text ? JSON.parse(text) : undefined;
}

function need(name: string | undefined, what = "NAME"): string {
  if (!name) throw new Error(`missing ${what}`);
  if (what === "NAME" && !NAME.test(name)) throw new Error(`invalid snapshot name ${name}: use letters, digits, '.', '_' and '-'`);
  return name;
}

export async function stateCommand(args: string[], cfg: Config): Promise<void> {
  const [action, a, b] = args;
  switch (action) {
    case "reset": {
      const r = (await api(cfg, "POST", "/reset")) as { reset: { ms: number } };
      console.log(`reset in ${r.reset.ms} ms`);
      return;
    }
    case "list": {
      const r = (await api(cfg, "GET", "/snapshots")) as { snapshots: { name: string; created_at: string; bytes: number }[] };
      for (const s of r.snapshots) console.log(`${s.name}\t${s.created_at}\t${s.bytes} bytes`);
      return;
    }
    case "save": {
      const r = (await api(cfg, "POST", "/snapshots", { name: need(a) })) as { snapshot: { bytes: number; ms: number } };
      console.log(`saved ${a} (${r.snapshot.bytes} bytes) in ${r.snapshot.ms} ms`);
      return;
    }
    case "load": {
      const r = (await api(cfg, "POST", `/snapshots/${need(a)}/restore`)) as { restore: { ms: number } };
      console.log(`loaded ${a} in ${r.restore.ms} ms`);
      return;
    }
    case "delete": {
      await api(cfg, "DELETE", `/snapshots/${need(a)}`);
      console.log(`deleted ${a}`);
      return;
    }
    case "export": {
      const name = need(a);
      const file = resolve(need(b, "FILE"));
      if (!existsSync(join(snapshotPath(cfg.dataDir, name), "meta.json"))) throw new Error(`no snapshot ${name} in ${cfg.dataDir}`);
      const gz = /\.(tgz|tar\.gz)$/.test(file) ? ["-z"] : [];
      const r = Bun.spawnSync(["tar", "-C", join(cfg.dataDir, SNAPSHOT_DIR), ...gz, "-cSf", file, name], { stderr: "pipe" });
      if (r.exitCode !== 0) throw new Error(`tar: ${r.stderr.toString().trim()}`);
      console.log(`exported ${name} to ${file}`);
      return;
    }
    case "import": {
      const file = resolve(need(a, "FILE"));
      if (!existsSync(file)) throw new Error(`no file ${file}`);
      const dir = join(cfg.dataDir, SNAPSHOT_DIR);
      const tmp = join(dir, `.import.tmp-${process.pid}`);
      rmSync(tmp, { recursive: true, force: true });
      mkdirSync(tmp, { recursive: true });
      try {
        const r = Bun.spawnSync(["tar", "-C", tmp, "-xf", file], { stderr: "pipe" });
        if (r.exitCode !== 0) throw new Error(`tar: ${r.stderr.toString().trim()}`);
        const [inner] = readdirSync(tmp);
        if (!inner || !existsSync(join(tmp, inner, "meta.json"))) throw new Error(`${file} is not a tenrec snapshot`);
        const name = need(b ?? inner);
        const meta = JSON.parse(readFileSync(join(tmp, inner, "meta.json"), "utf8"));
        writeFileSync(join(tmp, inner, "meta.json"), JSON.stringify({ ...meta, name }, null, 2));
        rmSync(snapshotPath(cfg.dataDir, name), { recursive: true, force: true });
        renameSync(join(tmp, inner), snapshotPath(cfg.dataDir, name));
        console.log(`imported ${name}; load it with: tenrec state load ${name}`);
      } finally {
        rmSync(tmp, { recursive: true, force: true });
      }
      return;
    }
  }
  throw new Error("usage: tenrec state reset | list | save NAME | load NAME | delete NAME | export NAME FILE | import FILE [NAME]");
}
