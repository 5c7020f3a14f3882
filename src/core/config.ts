import { z } from "zod";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";

/** Default data dir: $XDG_DATA_HOME/tenrec or ~/.local/share/tenrec. */
export function defaultDataDir(): string {
  const base = process.env.XDG_DATA_HOME || join(homedir(), ".local", "share");
  return join(base, "tenrec");
}

export const ConfigSchema = z.object({
  host: z.string().min(1).default("127.0.0.1"),
  portOffset: z.coerce.number().int().min(0).max(60000).default(0),
  dataDir: z.string().min(1).default(defaultDataDir()),
  ephemeral: z.boolean().default(false),
  adminPassword: z.string().min(1).default("secret"),
  demoPassword: z.string().min(1).default("secret"),
  region: z.string().min(1).default("RegionOne"),
  /** Token lifetime in seconds (Keystone's [token] expiration). */
  tokenTtl: z.coerce.number().int().min(1).default(3600),
  /**
   * bcrypt cost for password hashes. Keystone's default (12) costs ~250 ms a
   * login; 5 keeps a token issue in a few ms, which suits a laptop/CI cloud.
   */
  passwordHashCost: z.coerce.number().int().min(4).max(31).default(5),
  logLevel: z.enum(["debug", "info", "warn", "error"]).default("info"),
  /** Largest request body a listener accepts (bytes); Swift's own object limit is separate. */
  maxRequestBodySize: z.coerce.number().int().min(1024).default(16 * 1024 ** 3),
  /** Largest object the object store accepts (Swift's max_file_size). */
  maxObjectSize: z.coerce.number().int().min(1).default(5 * 1024 ** 3 + 2),
  /** Log one line per request. */
  accessLog: z.boolean().default(true),
  /** Hypervisor driver behind Compute: `fake` (instant, in memory) or `qemu` (real guests). */
  computeDriver: z.enum(["fake", "qemu"]).default("fake"),
  /** With the fake driver: how many compute hosts to simulate (spread over availability zones). */
  computeHosts: z.coerce.number().int().min(1).max(1000).default(1),
  /** The scheduler driver: filter_scheduler (filters + weighers), chance (random host) or simple (least loaded). */
  scheduler: z.enum(["filter_scheduler", "chance", "simple"]).default("filter_scheduler"),
  /** With the fake driver: delay in ms added to every driver operation. */
  fakeDriverDelayMs: z.coerce.number().int().min(0).default(0),
  /** Register the default (cirros-named) image at bootstrap. */
  defaultImage: z.boolean().default(true),
  /** Largest image Glance accepts (bytes; Glance's image_size_cap, default 1 TiB). */
  imageSizeCap: z.coerce.number().int().min(1).default(1024 ** 4),
});
export type Config = z.infer<typeof ConfigSchema>;

export function loadConfig(input: Partial<Record<keyof Config, unknown>>, env = process.env): Config {
  const fromEnv: Record<string, unknown> = {};
  if (env.TENREC_ADMIN_PASSWORD) fromEnv.adminPassword = env.TENREC_ADMIN_PASSWORD;
  if (env.TENREC_DATA_DIR) fromEnv.dataDir = env.TENREC_DATA_DIR;
  if (env.TENREC_HOST) fromEnv.host = env.TENREC_HOST;
  if (env.TENREC_PORT_OFFSET) fromEnv.portOffset = env.TENREC_PORT_OFFSET;
  if (env.TENREC_TOKEN_TTL) fromEnv.tokenTtl = env.TENREC_TOKEN_TTL;
  if (env.TENREC_PASSWORD_HASH_COST) fromEnv.passwordHashCost = env.TENREC_PASSWORD_HASH_COST;
  if (env.TENREC_LOG_LEVEL) fromEnv.logLevel = env.TENREC_LOG_LEVEL;
  if (env.TENREC_MAX_OBJECT_SIZE) fromEnv.maxObjectSize = env.TENREC_MAX_OBJECT_SIZE;
  if (env.TENREC_COMPUTE_DRIVER) fromEnv.computeDriver = env.TENREC_COMPUTE_DRIVER;
  if (env.TENREC_SCHEDULER_DRIVER) fromEnv.scheduler = env.TENREC_SCHEDULER_DRIVER;
  if (env.TENREC_COMPUTE_HOSTS) fromEnv.computeHosts = env.TENREC_COMPUTE_HOSTS;
  if (env.TENREC_FAKE_DRIVER_DELAY_MS) fromEnv.fakeDriverDelayMs = env.TENREC_FAKE_DRIVER_DELAY_MS;
  if (env.TENREC_IMAGE_SIZE_CAP) fromEnv.imageSizeCap = env.TENREC_IMAGE_SIZE_CAP;
  const merged: Record<string, unknown> = { ...fromEnv };
  for (const [k, v] of Object.entries(input)) if (v !== undefined) merged[k] = v;
  const parsed = ConfigSchema.safeParse(merged);
  if (!parsed.success) {
    const msg = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new Error(`invalid configuration: ${msg}`);
  }
  return parsed.data;
}

export function ephemeralDir(): string {
  return join(tmpdir(), `tenrec-${process.pid}-${Date.now().toString(36)}`);
}

/** Base ports of every service; `portOffset` is added to each. */
export const BASE_PORTS = {
  identity: 5000,
  compute: 8774,
  ec2: 8773,
  metadata: 8775,
  console: 6080,
  image: 9292,
  "object-store": 8080,
  s3: 9000,
  volume: 8776,
  network: 9696,
  dashboard: 8000,
} as const;
export type ServiceName = keyof typeof BASE_PORTS;

export function portOf(cfg: Pick<Config, "portOffset">, svc: ServiceName): number {
  return BASE_PORTS[svc] + cfg.portOffset;
}

/** The host clients should use in URLs (a wildcard bind is reached on loopback). */
export function publicHost(cfg: Pick<Config, "host">): string {
  const h = cfg.host === "0.0.0.0" || cfg.host === "::" ? "127.0.0.1" : cfg.host;
  return h.includes(":") ? `[${h}]` : h;
}
