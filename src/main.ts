#!/usr/bin/env bun
/**
 * tenrec command line.
 *   tenrec up [--data-dir DIR] [--ephemeral] [--host H] [--port-offset N] [--admin-password PW]
 *   tenrec manage version list | db sync | db version
 *   tenrec env [--data-dir DIR] [--port-offset N]
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { bootstrapEc2Key } from "./identity/bootstrap.ts";
import { stateCommand } from "./control/cli.ts";
import { sshCommand } from "./control/ssh.ts";
import { cloudsYaml, openrc, removeDataDir, startCloud, writeAtomic } from "./cloud.ts";
import { ephemeralDir, loadConfig, portOf, publicHost, type Config } from "./core/config.ts";
import { Db } from "./core/db.ts";
import { Logger } from "./core/log.ts";
import { MIGRATIONS, syncAll } from "./migrations.ts";
import { COMPUTE_MANAGE_GROUPS, computeManage } from "./compute/manage.ts";
import pkg from "../package.json" with { type: "json" };

const OPTIONS = {
  "data-dir": { type: "string" },
  ephemeral: { type: "boolean" },
  host: { type: "string" },
  "port-offset": { type: "string" },
  "admin-password": { type: "string" },
  "token-ttl": { type: "string" },
  "password-hash-cost": { type: "string" },
  "log-level": { type: "string" },
  "no-access-log": { type: "boolean" },
  driver: { type: "string" },
  "compute-hosts": { type: "string" },
  scheduler: { type: "string" },
  "fake-driver-delay": { type: "string" },
  "image-size-cap": { type: "string" },
  purge: { type: "boolean" },
  all: { type: "boolean" },
  devstack: { type: "boolean" },
  "openrc-dir": { type: "string" },
  detach: { type: "boolean" },
  user: { type: "string" },
  login: { type: "string" },
  identity: { type: "string", short: "i" },
  project: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

const USAGE = `tenrec ${pkg.version}: a whole OpenStack cloud in one process

Usage:
  tenrec up [options]            start the cloud
  tenrec env [options]           print OS_* and AWS_* exports (admin, or --user/--project)
  tenrec state reset | list | save NAME | load NAME | delete NAME
                                 reset or snapshot the running cloud (its /tenrec/v1 API)
  tenrec ssh SERVER [--login U] [-i KEY] [-- CMD]
                                 SSH into a QEMU guest through its floating IP's forward
  tenrec state export NAME FILE | import FILE [NAME]
                                 a snapshot to or from a tar file (the cloud may be stopped)
  tenrec manage version list     print the version
  tenrec manage db sync          apply pending database migrations
  tenrec manage db version       print each service's schema version
  tenrec manage flavor list | create NAME MEMORY VCPUS STORAGE FLAVORID [SWAP] [RXTX_QUOTA] [RXTX_CAP]
                | delete NAME [--purge]       (instance_type is a synonym)
  tenrec manage service list     the compute services and their state

Options:
  --data-dir DIR          state directory (default: $XDG_DATA_HOME/tenrec)
  --ephemeral             use a temporary data dir, removed on exit
  --host HOST             address to listen on (default 127.0.0.1)
  --port-offset N         add N to every port
  --admin-password PW     admin password (env TENREC_ADMIN_PASSWORD, default "secret")
  --token-ttl SECONDS     token lifetime (default 3600)
  --password-hash-cost N  bcrypt cost for stored passwords (default 5)
  --log-level LEVEL       debug | info | warn | error
  --no-access-log         do not log one line per request
  --driver D              compute driver: fake (default) | qemu
  --compute-hosts N       with the fake driver, simulate N compute hosts (zones nova, az2, az3)
  --scheduler S           filter_scheduler (default) | chance | simple
  --fake-driver-delay MS  with the fake driver, delay every operation by MS
  --image-size-cap BYTES  largest image Glance accepts (default 1 TiB)
  --devstack              also write clouds.yaml where DevStack leaves it (~/.config/openstack/,
                          unless a clouds.yaml not written by tenrec is there)
  --detach                start in the background, print the endpoints and PID once ready
  --openrc-dir DIR        also write openrc and clouds.yaml into DIR (scripts that source
                          $DEVSTACK_PATH/openrc run unchanged)
  --user U, --project P   (env) whose OS_* and AWS_* exports to print (default admin admin)
`;

function configFrom(values: Record<string, unknown>): Config {
  return loadConfig({
    dataDir: values["data-dir"] as string | undefined,
    ephemeral: values.ephemeral as boolean | undefined,
    host: values.host as string | undefined,
    portOffset: values["port-offset"],
    adminPassword: values["admin-password"] as string | undefined,
    tokenTtl: values["token-ttl"],
    passwordHashCost: values["password-hash-cost"],
    logLevel: values["log-level"],
    accessLog: values["no-access-log"] ? false : undefined,
    computeDriver: values.driver,
    computeHosts: values["compute-hosts"],
    scheduler: values.scheduler,
    fakeDriverDelayMs: values["fake-driver-delay"],
    imageSizeCap: values["image-size-cap"],
  });
}

declare const TENREC_GIT_REV: string | undefined;

function gitRevision(): string | undefined {
  // Set by `bun run build` (a compiled executable has no work tree to ask).
  if (typeof TENREC_GIT_REV === "string" && TENREC_GIT_REV) return TENREC_GIT_REV;
  try {
    const r = Bun.spawnSync(["git", "rev-parse", "--short", "HEAD"], { cwd: import.meta.dir, stderr: "ignore" });
    const s = r.stdout.toString().trim();
    return r.exitCode === 0 && s ? s : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `tenrec up --detach`: start the cloud in the background, wait until it is
 * ready, print its endpoints and PID, and return (for scripts). Its output goes
 * to <data dir>/tenrec.log; stop it with `kill PID`.
 */
async function upDetached(values: Record<string, unknown>): Promise<void> {
  let cfg = configFrom(values);
  const args = Bun.argv.slice(2).filter((a) => a !== "--detach");
  if (cfg.ephemeral && !values["data-dir"]) {
    cfg = { ...cfg, dataDir: ephemeralDir() };
    args.push("--data-dir", cfg.dataDir);
  }
  mkdirSync(cfg.dataDir, { recursive: true });
  const logPath = join(cfg.dataDir, "tenrec.log");
  const out = Bun.file(logPath);
  // A compiled executable is its own command; from source, bun runs this file.
  const self = Bun.main.startsWith("/$bunfs/") ? [process.execPath] : [process.execPath, Bun.main];
  const child = Bun.spawn([...self, ...args], { stdin: "ignore", stdout: out, stderr: out, detached: true } as never);
  child.unref();
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      console.error(`tenrec exited (${child.exitCode}) before it was ready; see ${logPath}`);
      process.exit(1);
    }
    const text = existsSync(logPath) ? readFileSync(logPath, "utf8") : "";
    if (text.includes("ready in")) {
      process.stdout.write(text.slice(0, text.indexOf("\n", text.indexOf("ready in")) + 1));
      console.log(`pid ${child.pid} (log ${logPath}; stop with: kill ${child.pid})`);
      process.exit(0);
    }
    await Bun.sleep(50);
  }
  console.error(`tenrec was not ready within 60 s; see ${logPath}`);
  process.exit(1);
}

async function up(values: Record<string, unknown>): Promise<void> {
  if (values.detach) return upDetached(values);
  let cfg = configFrom(values);
  if (cfg.ephemeral && !values["data-dir"]) cfg = { ...cfg, dataDir: ephemeralDir() };
  const log = new Logger(cfg.logLevel);
  const explicitPw = values["admin-password"] !== undefined || !!process.env.TENREC_ADMIN_PASSWORD;
  let cloud;
  try {
    cloud = await startCloud(cfg, log, { adminPasswordExplicit: explicitPw });
  } catch (e) {
    log.error(`cannot start: ${(e as Error).message}`);
    if (cfg.ephemeral) removeDataDir(cfg.dataDir);
    process.exit(1);
  }
  const cy = cloudsYaml(cloud);
  const rc = openrc(cloud);
  writeAtomic(join(cfg.dataDir, "clouds.yaml"), cy);
  writeAtomic(join(cfg.dataDir, "openrc"), rc);
  const extra: string[] = [];
  const openrcDir = values["openrc-dir"] as string | undefined;
  if (openrcDir) {
    mkdirSync(openrcDir, { recursive: true });
    writeAtomic(join(openrcDir, "openrc"), rc);
    writeAtomic(join(openrcDir, "clouds.yaml"), cy);
    extra.push(`  openrc         ${join(openrcDir, "openrc")} (and clouds.yaml beside it)`);
  }
  if (values.devstack) {
    const dir = join(process.env.XDG_CONFIG_HOME || join(homedir(), ".config"), "openstack");
    const target = join(dir, "clouds.yaml");
    if (existsSync(target) && !readFileSync(target, "utf8").startsWith("# Written by tenrec up")) {
      log.warn(`--devstack: ${target} exists and was not written by tenrec; left alone (use OS_CLIENT_CONFIG_FILE)`);
    } else {
      mkdirSync(dir, { recursive: true });
      writeAtomic(target, cy);
      extra.push(`  clouds.yaml    ${target} (--devstack)`);
    }
  }
  const lines = [
    `tenrec ${pkg.version} — data dir ${cfg.dataDir}${cfg.ephemeral ? " (ephemeral)" : ""}`,
    ...cloud.listeners.map((l) => `  ${l.service.padEnd(14)} ${l.url}`),
    `  clouds.yaml    ${join(cfg.dataDir, "clouds.yaml")}  (clouds: tenrec, tenrec-demo, devstack, devstack-admin, …)`,
    `  openrc         ${join(cfg.dataDir, "openrc")}`,
    ...extra,
    // performance.now() counts from process start.
    `ready in ${performance.now().toFixed(0)} ms`,
  ];
  process.stdout.write(lines.join("\n") + "\n");

  let stopping = false;
  const shutdown = async (sig: string) => {
    if (stopping) return;
    stopping = true;
    log.info(`${sig}: shutting down`);
    await cloud.stop();
    if (cfg.ephemeral) removeDataDir(cfg.dataDir);
    log.info("stopped");
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
}

function manage(args: string[], values: Record<string, unknown>): void {
  const [group, action] = args;
  if (group === "version" && (action === "list" || action === undefined)) {
    const rev = gitRevision();
    console.log(rev ? `${pkg.version} (git ${rev})` : pkg.version);
    return;
  }
  if (group === "db" && (action === "sync" || action === "version")) {
    const cfg = configFrom(values);
    if (action === "version" && !existsSync(join(cfg.dataDir, "tenrec.db"))) {
      console.error(`no database in ${cfg.dataDir}`);
      process.exit(1);
    }
    mkdirSync(cfg.dataDir, { recursive: true });
    const db = new Db(join(cfg.dataDir, "tenrec.db"));
    const applied = action === "sync" ? syncAll(db) : {};
    for (const [svc] of MIGRATIONS) {
      const n = applied[svc];
      console.log(`${svc.padEnd(10)} version ${db.version(svc)}${n !== undefined ? ` (${n} applied)` : ""}`);
    }
    db.close();
    return;
  }
  if (group && COMPUTE_MANAGE_GROUPS.has(group)) {
    const cfg = configFrom(values);
    mkdirSync(cfg.dataDir, { recursive: true });
    const db = new Db(join(cfg.dataDir, "tenrec.db"));
    try {
      syncAll(db);
      process.exitCode = computeManage(db, args, { purge: !!values.purge, all: !!values.all });
    } finally {
      db.close();
    }
    return;
  }
  console.error(USAGE);
  process.exit(2);
}

function env(values: Record<string, unknown>): void {
  const cfg = configFrom(values);
  const user = (values.user as string | undefined) ?? "admin";
  const project = (values.project as string | undefined) ?? (user === "admin" ? "admin" : "demo");
  const q = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;
  const host = publicHost(cfg);
  const lines = [
    `export OS_AUTH_URL=http://${host}:${portOf(cfg, "identity")}/v3`,
    "export OS_AUTH_TYPE=password",
    "export OS_IDENTITY_API_VERSION=3",
    `export OS_USERNAME=${q(user)}`,
    `export OS_PASSWORD=${q(user === "admin" ? cfg.adminPassword : cfg.demoPassword)}`,
    `export OS_PROJECT_NAME=${q(project)}`,
    "export OS_USER_DOMAIN_NAME=Default",
    "export OS_PROJECT_DOMAIN_NAME=Default",
    `export OS_REGION_NAME=${cfg.region}`,
    `export OS_CLIENT_CONFIG_FILE=${join(cfg.dataDir, "clouds.yaml")}`,
  ];
  // The EC2 key bootstrap made for this user and project (S3, EC2).
  const dbPath = join(cfg.dataDir, "tenrec.db");
  if (existsSync(dbPath)) {
    const db = new Db(dbPath);
    try {
      const key = bootstrapEc2Key(db, user, project);
      if (key) {
        lines.push(
          `export AWS_ACCESS_KEY_ID=${key.access}`,
          `export AWS_SECRET_ACCESS_KEY=${key.secret}`,
          `export AWS_DEFAULT_REGION=${cfg.region}`,
          `export AWS_ENDPOINT_URL_S3=http://${host}:${portOf(cfg, "s3")}`,
          `export AWS_ENDPOINT_URL_EC2=http://${host}:${portOf(cfg, "ec2")}`,
        );
      }
    } finally {
      db.close();
    }
  }
  console.log(lines.join("\n"));
}

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({ args: Bun.argv.slice(2), options: OPTIONS, allowPositionals: true, strict: true });
  } catch (e) {
    console.error(`${(e as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  const { values, positionals } = parsed;
  const [cmd, ...rest] = positionals;
  if (values.help || !cmd) {
    console.log(USAGE);
    return;
  }
  try {
    if (cmd === "up") return await up(values);
    if (cmd === "manage") return manage(rest, values);
    if (cmd === "env") return env(values);
    if (cmd === "state") return await stateCommand(rest, configFrom(values));
    if (cmd === "ssh") {
      process.exitCode = await sshCommand(rest, configFrom(values), {
        user: values.user as string | undefined,
        project: values.project as string | undefined,
        login: values.login as string | undefined,
        identity: values.identity as string | undefined,
      });
      return;
    }
  } catch (e) {
    console.error(`tenrec: ${(e as Error).message}`);
    process.exit(1);
  }
  console.error(`unknown command: ${cmd}\n\n${USAGE}`);
  process.exit(2);
}

void main();
