/** Project Network panel (Neutron): networks, subnets, routers, floating IPs, security groups and rules, topology. */
import { z } from "zod";
import { action, done, enc, formOf, type DApp, type Dash } from "../ctx.ts";
import { OsError } from "../os.ts";
import type { Session } from "../session.ts";
import { Act, Badge, Csrf, ErrorBox, Page, Table } from "../ui.tsx";

interface Net {
  id: string;
  name: string;
  status: string;
  shared: boolean;
  "router:external": boolean;
  project_id: string;
  subnets: string[];
}
interface Subnet {
  id: string;
  name: string;
  cidr: string;
  network_id: string;
  ip_version: number;
  gateway_ip: string | null;
}
interface Router {
  id: string;
  name: string;
  status: string;
  external_gateway_info: { network_id: string } | null;
}
interface Port {
  id: string;
  network_id: string;
  device_id: string;
  device_owner: string;
  fixed_ips: { ip_address: string; subnet_id: string }[];
}
interface Fip {
  id: string;
  floating_ip_address: string;
  fixed_ip_address: string | null;
  port_id: string | null;
  status: string;
}
interface Sg {
  id: string;
  name: string;
  description: string;
  project_id: string;
  security_group_rules: {
    id: string;
    direction: string;
    ethertype: string;
    protocol: string | null;
    port_range_min: number | null;
    port_range_max: number | null;
    remote_ip_prefix: string | null;
    remote_group_id: string | null;
  }[];
}

/** A simple SVG picture: external networks on top, routers below, project networks, then instances. */
function Topology({ nets, routers, ports, servers }: { nets: Net[]; routers: Router[]; ports: Port[]; servers: Map<string, string> }) {
  const ext = nets.filter((n) => n["router:external"]);
  const inner = nets.filter((n) => !n["router:external"]);
  const instPorts = ports.filter((p) => p.device_owner.startsWith("compute:"));
  const instIds = [...new Set(instPorts.map((p) => p.device_id))].slice(0, 40);
  const W = Math.max(640, 160 * Math.max(ext.length, routers.length, inner.length, instIds.length) + 40);
  const xs = (n: number, i: number) => 20 + ((W - 40) / Math.max(n, 1)) * (i + 0.5);
  const pos = new Map<string, { x: number; y: number }>();
  ext.forEach((n, i) => pos.set(n.id, { x: xs(ext.length, i), y: 40 }));
  routers.forEach((r, i) => pos.set(r.id, { x: xs(routers.length, i), y: 130 }));
  inner.forEach((n, i) => pos.set(n.id, { x: xs(inner.length, i), y: 220 }));
  instIds.forEach((id, i) => pos.set(id, { x: xs(instIds.length, i), y: 310 }));
  const lines: [string, string][] = [];
  for (const r of routers) if (r.external_gateway_info?.network_id) lines.push([r.id, r.external_gateway_info.network_id]);
  for (const p of ports) {
    if (p.device_owner === "network:router_interface" || p.device_owner === "network:router_interface_distributed") lines.push([p.device_id, p.network_id]);
    if (p.device_owner.startsWith("compute:") && instIds.includes(p.device_id)) lines.push([p.device_id, p.network_id]);
  }
  const label = (t: string) => (t.length > 18 ? `${t.slice(0, 17)}…` : t);
  return (
    <div class="topo">
      <svg id="topology" width={W} height="350" viewBox={`0 0 ${W} 350`} role="img" aria-label="Network topology">
        {lines
          .filter(([a, b]) => pos.has(a) && pos.has(b))
          .map(([a, b]) => (
            <line x1={pos.get(a)!.x} y1={pos.get(a)!.y} x2={pos.get(b)!.x} y2={pos.get(b)!.y} stroke="#8795a1" stroke-width="2" />
          ))}
        {ext.map((n) => (
          <g>
            <rect x={pos.get(n.id)!.x - 70} y="25" width="140" height="30" rx="4" fill="#2e6da4" />
            <text x={pos.get(n.id)!.x} y="45" fill="#fff" text-anchor="middle" font-size="12">
              {label(n.name || n.id)}
            </text>
          </g>
        ))}
        {routers.map((r) => (
          <g>
            <circle cx={pos.get(r.id)!.x} cy="130" r="18" fill="#e0a100" />
            <text x={pos.get(r.id)!.x} y="163" text-anchor="middle" font-size="12">
              {label(r.name || r.id)}
            </text>
          </g>
        ))}
        {inner.map((n) => (
          <g>
            <rect x={pos.get(n.id)!.x - 70} y="205" width="140" height="30" rx="4" fill="#2e8b57" />
            <text x={pos.get(n.id)!.x} y="225" fill="#fff" text-anchor="middle" font-size="12">
              {label(n.name || n.id)}
            </text>
          </g>
        ))}
        {instIds.map((id) => (
          <g>
            <rect x={pos.get(id)!.x - 55} y="295" width="110" height="30" rx="15" fill="#fff" stroke="#1f2d3d" />
            <text x={pos.get(id)!.x} y="315" text-anchor="middle" font-size="12">
              {label(servers.get(id) ?? id.slice(0, 8))}
            </text>
          </g>
        ))}
      </svg>
    </div>
  );
}

function ruleText(r: Sg["security_group_rules"][number]) {
  const ports = r.port_range_min == null ? "any" : r.port_range_min === r.port_range_max ? `${r.port_range_min}` : `${r.port_range_min}-${r.port_range_max}`;
  return `${r.direction} ${r.ethertype} ${r.protocol ?? "any"} port ${ports} ${r.remote_ip_prefix ? `from ${r.remote_ip_prefix}` : r.remote_group_id ? "from group" : ""}`;
}

function SgCard({ s, g }: { s: Session; g: Sg }) {
  return (
    <div class="card" data-sg={g.name}>
      <div class="row">
        <strong>{g.name}</strong>
        <span class="muted">{g.description}</span>
        {g.name !== "default" ? <Act s={s} action={`/project/network/security-groups/${g.id}/delete`} label="Delete group" danger /> : null}
      </div>
      <Table
        head={["Direction", "Ether type", "Protocol", "Ports", "Remote", ""]}
        rows={g.security_group_rules.map((r) => [
          r.direction,
          r.ethertype,
          r.protocol ?? "any",
          r.port_range_min == null ? "any" : r.port_range_min === r.port_range_max ? `${r.port_range_min}` : `${r.port_range_min}-${r.port_range_max}`,
          r.remote_ip_prefix ?? (r.remote_group_id ? `group ${r.remote_group_id.slice(0, 8)}` : "any"),
          <Act s={s} action={`/project/network/rules/${r.id}/delete`} label="Delete" danger confirm={`Delete rule ${ruleText(r)}?`} />,
        ])}
      />
      <form method="post" action={`/project/network/security-groups/${g.id}/rules`} class="inline">
        <Csrf s={s} />
        <select name="direction" aria-label="Direction">
          <option value="ingress">ingress</option>
          <option value="egress">egress</option>
        </select>
        <select name="protocol" aria-label="Protocol">
          <option value="tcp">tcp</option>
          <option value="udp">udp</option>
          <option value="icmp">icmp</option>
          <option value="any">any</option>
        </select>
        <input name="port_min" type="number" min="1" max="65535" placeholder="from port" aria-label="From port" style="width:6rem" />
        <input name="port_max" type="number" min="1" max="65535" placeholder="to port" aria-label="To port" style="width:6rem" />
        <input name="cidr" placeholder="0.0.0.0/0" aria-label="Remote CIDR" style="width:9rem" />
        <button type="submit" class="sec">
          Add rule
        </button>
      </form>
    </div>
  );
}

const cidr = z
  .string()
  .trim()
  .regex(/^(\d{1,3}(\.\d{1,3}){3}\/\d{1,2}|[0-9a-fA-F:]+\/\d{1,3})$/, "enter a CIDR such as 10.1.0.0/24");

export function registerNetwork(app: DApp, d: Dash) {
  app.get("/project/network", async (c) => {
    const s = c.get("session");
    const os = c.get("os");
    const pid = s.project!.id;
    const [nets, subs, rts, ports, fips, sgs, srv] = await Promise.all([
      os.tryJson<{ networks: Net[] }>("network", "/v2.0/networks"),
      os.tryJson<{ subnets: Subnet[] }>("network", "/v2.0/subnets"),
      os.tryJson<{ routers: Router[] }>("network", `/v2.0/routers?project_id=${pid}`),
      os.tryJson<{ ports: Port[] }>("network", `/v2.0/ports?project_id=${pid}`),
      os.tryJson<{ floatingips: Fip[] }>("network", `/v2.0/floatingips?project_id=${pid}`),
      os.tryJson<{ security_groups: Sg[] }>("network", `/v2.0/security-groups?project_id=${pid}`),
      os.tryJson<{ servers: { id: string; name: string }[] }>("compute", "/servers?limit=200"),
    ]);
    const visible = (nets.data?.networks ?? []).filter((n) => n.project_id === pid || n.shared || n["router:external"]);
    const subnets = subs.data?.subnets ?? [];
    const routers = (rts.data?.routers ?? []).filter(Boolean);
    const ext = visible.filter((n) => n["router:external"]);
    const own = visible.filter((n) => !n["router:external"]);
    const servers = new Map((srv.data?.servers ?? []).map((x) => [x.id, x.name]));
    const portById = new Map((ports.data?.ports ?? []).map((p) => [p.id, p]));
    const error = nets.error ?? subs.error ?? rts.error;
    return c.html(
      <Page s={s} title="Network" path="/project/network">
        <ErrorBox error={error} />
        <h2>Topology</h2>
        <Topology nets={visible} routers={routers} ports={ports.data?.ports ?? []} servers={servers} />
        <h2>Networks</h2>
        <Table
          id="networks"
          head={["Name", "Subnets", "Shared", "External", "Status", ""]}
          rows={visible.map((n) => [
            n.name || n.id,
            subnets
              .filter((x) => x.network_id === n.id)
              .map((x) => `${x.name || "subnet"} ${x.cidr}`)
              .join(", ") || "—",
            n.shared ? "yes" : "no",
            n["router:external"] ? "yes" : "no",
            <Badge v={n.status} />,
            n.project_id === pid ? (
              <div>
                <form method="post" action={`/project/network/networks/${n.id}/subnets`} class="inline">
                  <Csrf s={s} />
                  <input name="cidr" required placeholder="10.2.0.0/24" aria-label="Subnet CIDR" style="width:9rem" />
                  <button type="submit" class="sec">
                    Add subnet
                  </button>
                </form>
                <Act s={s} action={`/project/network/networks/${n.id}/delete`} label="Delete" danger confirm={`Delete network ${n.name}?`} />
              </div>
            ) : (
              ""
            ),
          ])}
        />
        <div class="card">
          <form method="post" action="/project/network/networks" class="stack" id="network-create">
            <Csrf s={s} />
            <label>
              Network name
              <input name="name" required maxlength={255} />
            </label>
            <label>
              Subnet CIDR (optional)
              <input name="cidr" placeholder="10.1.0.0/24" />
            </label>
            <button type="submit">Create network</button>
          </form>
        </div>
        <h2>Routers</h2>
        <Table
          id="routers"
          head={["Name", "Status", "External gateway", "Interfaces", "Actions"]}
          rows={routers.map((r) => [
            r.name || r.id,
            <Badge v={r.status} />,
            visible.find((n) => n.id === r.external_gateway_info?.network_id)?.name ?? r.external_gateway_info?.network_id ?? "—",
            (ports.data?.ports ?? [])
              .filter((p) => p.device_id === r.id && p.device_owner.startsWith("network:router_interface"))
              .map((p) => p.fixed_ips.map((f) => f.ip_address).join(" "))
              .join(", ") || "—",
            <div>
              <form method="post" action={`/project/network/routers/${r.id}/interfaces`} class="inline">
                <Csrf s={s} />
                <select name="subnet_id" aria-label="Subnet">
                  {subnets
                    .filter((x) => own.some((n) => n.id === x.network_id))
                    .map((x) => (
                      <option value={x.id}>
                        {x.name || "subnet"} {x.cidr}
                      </option>
                    ))}
                </select>
                <button type="submit" class="sec">
                  Add interface
                </button>
              </form>
              <Act s={s} action={`/project/network/routers/${r.id}/delete`} label="Delete" danger />
            </div>,
          ])}
        />
        <div class="card">
          <form method="post" action="/project/network/routers" class="inline" id="router-create">
            <Csrf s={s} />
            <input name="name" required placeholder="router name" aria-label="Router name" maxlength={255} />
            <select name="external_network_id" aria-label="External network">
              <option value="">(no gateway)</option>
              {ext.map((n) => (
                <option value={n.id}>{n.name}</option>
              ))}
            </select>
            <button type="submit">Create router</button>
          </form>
        </div>
        <h2>Floating IPs</h2>
        <ErrorBox error={fips.error} />
        <Table
          id="floating-ips"
          head={["Address", "Mapped to", "Status", "Actions"]}
          rows={(fips.data?.floatingips ?? []).map((f) => {
            const p = f.port_id ? portById.get(f.port_id) : undefined;
            return [
              f.floating_ip_address,
              f.port_id ? `${servers.get(p?.device_id ?? "") ?? p?.device_id ?? f.port_id} (${f.fixed_ip_address ?? ""})` : "—",
              <Badge v={f.status} />,
              <div class="row">
                {f.port_id ? <Act s={s} action={`/project/network/floating-ips/${f.id}/disassociate`} label="Disassociate" /> : null}
                <Act s={s} action={`/project/network/floating-ips/${f.id}/release`} label="Release" danger />
              </div>,
            ];
          })}
        />
        <div class="card">
          <form method="post" action="/project/network/floating-ips" class="inline" id="fip-allocate">
            <Csrf s={s} />
            <select name="network_id" aria-label="Pool">
              {ext.map((n) => (
                <option value={n.id}>{n.name}</option>
              ))}
            </select>
            <button type="submit">Allocate IP to project</button>
          </form>
        </div>
        <h2>Security groups</h2>
        <ErrorBox error={sgs.error} />
        {(sgs.data?.security_groups ?? [])
          .filter((g) => g.project_id === pid)
          .map((g) => (
            <SgCard s={s} g={g} />
          ))}
        <div class="card">
          <form method="post" action="/project/network/security-groups" class="inline" id="sg-create">
            <Csrf s={s} />
            <input name="name" required placeholder="group name" aria-label="Group name" maxlength={255} />
            <input name="description" placeholder="description" aria-label="Description" maxlength={255} />
            <button type="submit">Create security group</button>
          </form>
        </div>
      </Page>,
    );
  });

  const back = "/project/network";
  app.post("/project/network/networks", (c) =>
    action(c, d, back, async () => {
      const f = await formOf(c, z.object({ name: z.string().trim().min(1, "the network name is required").max(255), cidr: z.union([z.literal(""), cidr]).optional() }));
      const os = c.get("os");
      const n = await os.json<{ network: { id: string } }>("network", "/v2.0/networks", { method: "POST", json: { network: { name: f.name } } });
      if (f.cidr) {
        try {
          await os.json("network", "/v2.0/subnets", {
            method: "POST",
            json: { subnet: { network_id: n.network.id, cidr: f.cidr, ip_version: f.cidr.includes(":") ? 6 : 4, name: `${f.name}-subnet` } },
          });
        } catch (e) {
          // Nothing half-made: no network left behind without the subnet that was asked for.
          await os.call("network", `/v2.0/networks/${n.network.id}`, { method: "DELETE", raw: true }).catch(() => {});
          throw e;
        }
      }
      return done(c, back, `Network ${f.name} created.`);
    }),
  );
  app.post("/project/network/networks/:id/subnets", (c) =>
    action(c, d, back, async () => {
      const f = await formOf(c, z.object({ cidr, name: z.string().trim().max(255).optional() }));
      await c.get("os").json("network", "/v2.0/subnets", {
        method: "POST",
        json: { subnet: { network_id: c.req.param("id"), cidr: f.cidr, ip_version: f.cidr.includes(":") ? 6 : 4, ...(f.name ? { name: f.name } : {}) } },
      });
      return done(c, back, `Subnet ${f.cidr} added.`);
    }),
  );
  app.post("/project/network/networks/:id/delete", (c) =>
    action(c, d, back, async () => {
      await c.get("os").call("network", `/v2.0/networks/${enc(c.req.param("id"))}`, { method: "DELETE" });
      return done(c, back, "Network deleted.");
    }),
  );
  app.post("/project/network/routers", (c) =>
    action(c, d, back, async () => {
      const f = await formOf(c, z.object({ name: z.string().trim().min(1, "the router name is required").max(255), external_network_id: z.string().optional() }));
      await c.get("os").json("network", "/v2.0/routers", {
        method: "POST",
        json: { router: { name: f.name, ...(f.external_network_id ? { external_gateway_info: { network_id: f.external_network_id } } : {}) } },
      });
      return done(c, back, `Router ${f.name} created.`);
    }),
  );
  app.post("/project/network/routers/:id/interfaces", (c) =>
    action(c, d, back, async () => {
      const f = await formOf(c, z.object({ subnet_id: z.string().min(1, "choose a subnet") }));
      await c.get("os").json("network", `/v2.0/routers/${enc(c.req.param("id"))}/add_router_interface`, { method: "PUT", json: { subnet_id: f.subnet_id } });
      return done(c, back, "Interface added.");
    }),
  );
  app.post("/project/network/routers/:id/delete", (c) =>
    action(c, d, back, async () => {
      await c.get("os").call("network", `/v2.0/routers/${enc(c.req.param("id"))}`, { method: "DELETE" });
      return done(c, back, "Router deleted.");
    }),
  );
  app.post("/project/network/floating-ips", (c) =>
    action(c, d, back, async () => {
      const f = await formOf(c, z.object({ network_id: z.string().min(1, "choose a pool") }));
      const r = await c.get("os").json<{ floatingip: { floating_ip_address: string } }>("network", "/v2.0/floatingips", {
        method: "POST",
        json: { floatingip: { floating_network_id: f.network_id } },
      });
      return done(c, back, `Allocated ${r.floatingip.floating_ip_address}.`);
    }),
  );
  app.post("/project/network/floating-ips/:id/disassociate", (c) =>
    action(c, d, back, async () => {
      await c.get("os").json("network", `/v2.0/floatingips/${enc(c.req.param("id"))}`, { method: "PUT", json: { floatingip: { port_id: null } } });
      return done(c, back, "Floating IP disassociated.");
    }),
  );
  app.post("/project/network/floating-ips/:id/release", (c) =>
    action(c, d, back, async () => {
      await c.get("os").call("network", `/v2.0/floatingips/${enc(c.req.param("id"))}`, { method: "DELETE" });
      return done(c, back, "Floating IP released.");
    }),
  );
  app.post("/project/network/security-groups", (c) =>
    action(c, d, back, async () => {
      const f = await formOf(c, z.object({ name: z.string().trim().min(1, "the group name is required").max(255), description: z.string().max(255).default("") }));
      await c.get("os").json("network", "/v2.0/security-groups", { method: "POST", json: { security_group: { name: f.name, description: f.description } } });
      return done(c, back, `Security group ${f.name} created.`);
    }),
  );
  app.post("/project/network/security-groups/:id/delete", (c) =>
    action(c, d, back, async () => {
      await c.get("os").call("network", `/v2.0/security-groups/${enc(c.req.param("id"))}`, { method: "DELETE" });
      return done(c, back, "Security group deleted.");
    }),
  );
  app.post("/project/network/security-groups/:id/rules", (c) =>
    action(c, d, back, async () => {
      const port = z.union([z.literal(""), z.coerce.number().int().min(1, "ports are 1-65535").max(65535, "ports are 1-65535")]).optional();
      const f = await formOf(
        c,
        z.object({
          direction: z.enum(["ingress", "egress"]),
          protocol: z.enum(["tcp", "udp", "icmp", "any"]),
          port_min: port,
          port_max: port,
          cidr: z.union([z.literal(""), cidr]).optional(),
        }),
      );
      const min = f.port_min === "" || f.port_min === undefined ? null : f.port_min;
      const max = f.port_max === "" || f.port_max === undefined ? min : f.port_max;
      if (min !== null && max !== null && max < min) throw new OsError(400, "The 'to' port must not be below the 'from' port.");
      const rule: Record<string, unknown> = { security_group_id: c.req.param("id"), direction: f.direction, ethertype: f.cidr?.includes(":") ? "IPv6" : "IPv4" };
      if (f.protocol !== "any") rule.protocol = f.protocol;
      if (min !== null && (f.protocol === "tcp" || f.protocol === "udp")) {
        rule.port_range_min = min;
        rule.port_range_max = max;
      }
      if (f.cidr) rule.remote_ip_prefix = f.cidr;
      await c.get("os").json("network", "/v2.0/security-group-rules", { method: "POST", json: { security_group_rule: rule } });
      return done(c, back, "Rule added.");
    }),
  );
  app.post("/project/network/rules/:id/delete", (c) =>
    action(c, d, back, async () => {
      await c.get("os").call("network", `/v2.0/security-group-rules/${enc(c.req.param("id"))}`, { method: "DELETE" });
      return done(c, back, "Rule deleted.");
    }),
  );
}
