/**
 * `tenrec ssh SERVER [-- ssh args]`: SSH into a guest of the QEMU driver
 * through its floating IP's host port forward (shown in the server's
 * metadata as `tenrec:forward:<floating ip>` = `127.0.0.1:<port>->22/tcp`).
 */
import { portOf, publicHost, type Config } from "../core/config.ts";

/** The first forward to port 22 in a server's metadata, as [host, port]. */
export function sshForward(metadata: Record<string, string>): [string, number] | undefined {
  for (const [k, v] of Object.entries(metadata)) {
    if (!k.startsWith("tenrec:forward:")) continue;
    const m = /^([0-9.]+):(\d+)->22\/tcp$/.exec(v);
    if (m) return [m[1]!, Number(m[2])];
  }
  return undefined;
}

export async function sshCommand(
  args: string[],
  cfg: Config,
  opts: { user?: string; project?: string; login?: string; identity?: string },
): Promise<number> {
  const [server, ...rest] = args;
  if (!server) throw new Error("usage: tenrec ssh SERVER [--login USER] [--identity KEYFILE] [-- ssh args]");
  const user = opts.user ?? "admin";
  const project = opts.project ?? (user === "admin" ? "admin" : "demo");
  const host = publicHost(cfg);
  const ks = `http://${host}:${portOf(cfg, "identity")}/v3`;
  let auth: Response;
  try {
    auth = await fetch(`${ks}/auth/tokens?nocatalog`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        auth: {
          identity: { methods: ["password"], password: { user: { name: user, domain: { id: "default" }, password: user === "admin" ? cfg.adminPassword : cfg.demoPassword } } },
          scope: { project: { name: project, domain: { id: "default" } } },
        },
      }),
    });
  } catch {
    throw new Error(`no cloud answers at ${ks}`);
  }
  if (auth.status !== 201) throw new Error(`cannot log in as ${user} in ${project}: ${auth.status}`);
  const token = auth.headers.get("x-subject-token")!;
  const nova = `http://${host}:${portOf(cfg, "compute")}/v2.1`;
  const get = async (path: string) => {
    const r = await fetch(`${nova}${path}`, { headers: { "x-auth-token": token } });
    return r.ok ? ((await r.json()) as Record<string, any>) : undefined;
  };
  let s = (await get(`/servers/${encodeURIComponent(server)}`))?.server;
  if (!s) {
    const found = (await get(`/servers/detail?name=${encodeURIComponent(`^${server.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`)}`))?.servers ?? [];
    if (found.length > 1) throw new Error(`more than one server is named ${server}: use its id`);
    s = found[0];
  }
  if (!s) throw new Error(`no server ${server} in project ${project}`);
  const fwd = sshForward(s.metadata ?? {});
  if (!fwd) throw new Error(`${server} has no SSH forward: give it a floating IP (openstack server add floating ip ${server} <ip>) with --driver qemu`);
  const cmd = [
    "ssh", "-p", String(fwd[1]), "-o", "ConnectTimeout=30", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
    ...(opts.identity ? ["-i", opts.identity] : []),
    `${opts.login ?? "root"}@${fwd[0]}`, ...rest,
  ];
  const p = Bun.spawn(cmd, { stdio: ["inherit", "inherit", "inherit"] });
  return await p.exited;
}
