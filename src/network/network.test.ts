import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { testCloud, type TestCloud } from "../../test/harness.ts";

let t: TestCloud;
let admin: string;
let demo: string;

const net = (method: string, path: string, token: string, json?: unknown) => t.req(method, path, { token, json, service: "network" });
async function ok(res: Response | Promise<Response>, status = 200): Promise<any> {
  const r = await res;
  const text = await r.text();
  if (r.status !== status) throw new Error(`expected ${status}, got ${r.status}: ${text}`);
  return text ? JSON.parse(text) : null;
}
async function fails(res: Response | Promise<Response>, status: number, type: string): Promise<string> {
  const r = await res;
  const body = (await r.json()) as any;
  expect({ status: r.status, type: body?.NeutronError?.type }).toEqual({ status, type });
  return body.NeutronError.message;
}
const mkNet = async (token: string, body: object = {}) => (await ok(net("POST", "/v2.0/networks", token, { network: { name: "n", ...body } }), 201)).network;
const mkSubnet = async (token: string, networkId: string, cidr: string, extra: object = {}) =>
  (await ok(net("POST", "/v2.0/subnets", token, { subnet: { network_id: networkId, cidr, ip_version: cidr.includes(":") ? 6 : 4, ...extra } }), 201)).subnet;
const mkPort = async (token: string, networkId: string, extra: object = {}) =>
  (await ok(net("POST", "/v2.0/ports", token, { port: { network_id: networkId, ...extra } }), 201)).port;
const byName = async (token: string, coll: string, name: string) => (await ok(net("GET", `/v2.0/${coll}?name=${name}`, token)))[coll.replace("-", "_")][0];

beforeAll(async () => {
  t = await testCloud();
  admin = await t.token("admin");
  demo = await t.token("demo", "secret", "demo");
});
afterAll(() => t.close());

describe("discovery", () => {
  test("versions at / without a token; /v2.0 needs one", async () => {
    const v = await ok(t.req("GET", "/", { service: "network" }));
    expect(v.versions[0]).toMatchObject({ id: "v2.0", status: "CURRENT" });
    await fails(t.req("GET", "/v2.0/networks", { service: "network" }), 401, "Unauthorized");
    const r = await ok(net("GET", "/v2.0/", admin));
    expect(r.resources.map((x: any) => x.name)).toContain("port");
  });

  test("every listed extension answers GET /extensions/{alias} with its entry", async () => {
    const { extensions } = await ok(net("GET", "/v2.0/extensions", demo));
    const aliases = extensions.map((e: any) => e.alias);
    for (const a of ["router", "external-net", "security-group", "quotas", "port-security", "allowed-address-pairs", "extra_dhcp_opt",
      "net-mtu", "standard-attr-description", "standard-attr-timestamp", "standard-attr-tag", "availability_zone", "ext-gw-mode", "binding", "agent"])
      expect(aliases).toContain(a);
    for (const e of extensions) expect((await ok(net("GET", `/v2.0/extensions/${e.alias}`, demo))).extension).toEqual(e);
    await fails(net("GET", "/v2.0/extensions/nope", demo), 404, "HTTPNotFound");
  });

  test("a .json suffix is accepted", async () => {
    const r = await ok(net("GET", "/v2.0/networks.json", demo));
    expect(Array.isArray(r.networks)).toBe(true);
  });
});

describe("bootstrap and visibility", () => {
  test("DevStack topology: public (external), private for demo, router1", async () => {
    const pub = await byName(demo, "networks", "public");
    expect(pub["router:external"]).toBe(true);
    expect(pub["provider:network_type"]).toBeUndefined(); // admin-only attribute
    const priv = await byName(demo, "networks", "private");
    expect(priv.subnets.length).toBe(2);
    const subs = (await ok(net("GET", `/v2.0/subnets?network_id=${priv.id}`, demo))).subnets;
    expect(subs.map((s: any) => s.cidr).sort()).toEqual(["10.0.0.0/26", "fd00::/64"]);
    // The external network's subnet is not visible to a member (non-shared network).
    expect((await ok(net("GET", `/v2.0/subnets?network_id=${pub.id}`, demo))).subnets).toEqual([]);
    expect((await ok(net("GET", `/v2.0/subnets?network_id=${pub.id}`, admin))).subnets[0].cidr).toBe("172.24.4.0/24");
    const r1 = await byName(demo, "routers", "router1");
    expect(r1.external_gateway_info.network_id).toBe(pub.id);
    expect(r1.external_gateway_info.external_fixed_ips[0].ip_address).toMatch(/^172\.24\.4\./);
    const adminPub = await byName(admin, "networks", "public");
    expect(adminPub["provider:network_type"]).toBe("flat");
  });

  test("one project never sees another's resources; admin sees all", async () => {
    const n = await mkNet(admin, { name: "admin-only" });
    await fails(net("GET", `/v2.0/networks/${n.id}`, demo), 404, "NetworkNotFound");
    await fails(net("DELETE", `/v2.0/networks/${n.id}`, demo), 404, "NetworkNotFound");
    const list = (await ok(net("GET", "/v2.0/networks", demo))).networks.map((x: any) => x.id);
    expect(list).not.toContain(n.id);
    const priv = await byName(demo, "networks", "private");
    expect((await ok(net("GET", `/v2.0/networks/${priv.id}`, admin))).network.id).toBe(priv.id);
    await ok(net("DELETE", `/v2.0/networks/${n.id}`, admin), 204);
  });

  test("members may not create shared or external networks", async () => {
    await fails(net("POST", "/v2.0/networks", demo, { network: { name: "x", shared: true } }), 403, "PolicyNotAuthorized");
    await fails(net("POST", "/v2.0/networks", demo, { network: { name: "x", "router:external": true } }), 403, "PolicyNotAuthorized");
  });

  test("agents: admin lists DHCP and L3 agents; a member gets an empty list", async () => {
    const types = (await ok(net("GET", "/v2.0/agents", admin))).agents.map((a: any) => a.agent_type);
    expect(types).toContain("DHCP agent");
    expect(types).toContain("L3 agent");
    expect((await ok(net("GET", "/v2.0/agents", demo))).agents).toEqual([]);
  });
});

describe("subnets", () => {
  test("bad input: overlapping CIDR, invalid CIDR, pools", async () => {
    const n = await mkNet(demo);
    const s = await mkSubnet(demo, n.id, "10.20.0.0/24");
    expect(s.allocation_pools).toEqual([{ start: "10.20.0.2", end: "10.20.0.254" }]);
    expect(s.gateway_ip).toBe("10.20.0.1");
    expect(await fails(net("POST", "/v2.0/subnets", demo, { subnet: { network_id: n.id, cidr: "10.20.0.128/25", ip_version: 4 } }), 400, "InvalidInput"))
      .toContain("overlaps with another subnet");
    await fails(net("POST", "/v2.0/subnets", demo, { subnet: { network_id: n.id, cidr: "10.300.0.0/24", ip_version: 4 } }), 400, "InvalidInput");
    await fails(net("POST", "/v2.0/subnets", demo, { subnet: { network_id: n.id, cidr: "10.21.0.0/24", ip_version: 6 } }), 400, "InvalidInput");
    await fails(
      net("POST", "/v2.0/subnets", demo, {
        subnet: { network_id: n.id, cidr: "10.22.0.0/24", ip_version: 4, allocation_pools: [{ start: "10.22.0.10", end: "10.22.0.20" }, { start: "10.22.0.15", end: "10.22.0.30" }] },
      }),
      409, "OverlappingAllocationPools",
    );
    await fails(
      net("POST", "/v2.0/subnets", demo, { subnet: { network_id: n.id, cidr: "10.23.0.0/24", ip_version: 4, allocation_pools: [{ start: "10.23.1.10", end: "10.23.1.20" }] } }),
      400, "OutOfBoundsAllocationPool",
    );
    // Nothing half-written: the network still has its one subnet.
    expect((await ok(net("GET", `/v2.0/networks/${n.id}`, demo))).network.subnets).toEqual([s.id]);
    await ok(net("DELETE", `/v2.0/networks/${n.id}`, demo), 204);
    await fails(net("GET", `/v2.0/subnets/${s.id}`, demo), 404, "SubnetNotFound");
  });

  test("a bulk create is all or nothing", async () => {
    const before = (await ok(net("GET", "/v2.0/networks", demo))).networks.length;
    await fails(net("POST", "/v2.0/networks", demo, { networks: [{ name: "b1" }, { name: "b2", shared: true }] }), 403, "PolicyNotAuthorized");
    expect((await ok(net("GET", "/v2.0/networks", demo))).networks.length).toBe(before);
    const made = (await ok(net("POST", "/v2.0/networks", demo, { networks: [{ name: "b1" }, { name: "b2" }] }), 201)).networks;
    expect(made.map((n: any) => n.name)).toEqual(["b1", "b2"]);
    for (const n of made) await ok(net("DELETE", `/v2.0/networks/${n.id}`, demo), 204);
  });
});

describe("IPAM", () => {
  test("an exhausted pool gives 409 IpAddressGenerationFailure; deleted ports return their addresses", async () => {
    const n = await mkNet(demo);
    await mkSubnet(demo, n.id, "10.30.0.0/29"); // .2-.6: 5 addresses (gateway .1, broadcast .7)
    const ports = [];
    for (let i = 0; i < 5; i++) ports.push(await mkPort(demo, n.id));
    const ips = ports.map((p) => p.fixed_ips[0].ip_address);
    expect(new Set(ips).size).toBe(5);
    expect(ips.sort()).toEqual(["10.30.0.2", "10.30.0.3", "10.30.0.4", "10.30.0.5", "10.30.0.6"]);
    await fails(net("POST", "/v2.0/ports", demo, { port: { network_id: n.id } }), 409, "IpAddressGenerationFailure");
    await ok(net("DELETE", `/v2.0/ports/${ports[2].id}`, demo), 204);
    const again = await mkPort(demo, n.id);
    expect(again.fixed_ips[0].ip_address).toBe(ports[2].fixed_ips[0].ip_address);
  });

  test("concurrent creates on one pool: all distinct, exactly the capacity succeeds", async () => {
    const n = await mkNet(demo);
    await mkSubnet(demo, n.id, "10.31.0.0/27"); // 29 usable addresses
    const results = await Promise.all(Array.from({ length: 40 }, () => net("POST", "/v2.0/ports", demo, { port: { network_id: n.id } })));
    const okOnes = results.filter((r) => r.status === 201);
    expect(okOnes.length).toBe(29);
    expect(results.filter((r) => r.status === 409).length).toBe(11);
    const ips = await Promise.all(okOnes.map(async (r) => ((await r.json()) as any).port.fixed_ips[0].ip_address));
    expect(new Set(ips).size).toBe(29);
    expect(ips).not.toContain("10.31.0.1");
    expect(ips).not.toContain("10.31.0.0");
    expect(ips).not.toContain("10.31.0.31");
  });

  test("fixed IPs: outside the subnet 400, in use 409, gateway refused for a plain port", async () => {
    const n = await mkNet(demo);
    const s = await mkSubnet(demo, n.id, "10.32.0.0/24");
    await fails(net("POST", "/v2.0/ports", demo, { port: { network_id: n.id, fixed_ips: [{ subnet_id: s.id, ip_address: "10.99.0.5" }] } }), 400, "InvalidIpForSubnet");
    const p = await mkPort(demo, n.id, { fixed_ips: [{ ip_address: "10.32.0.50" }] });
    expect(p.fixed_ips).toEqual([{ subnet_id: s.id, ip_address: "10.32.0.50" }]);
    await fails(net("POST", "/v2.0/ports", demo, { port: { network_id: n.id, fixed_ips: [{ ip_address: "10.32.0.50" }] } }), 409, "IpAddressInUse");
    await fails(net("POST", "/v2.0/ports", demo, { port: { network_id: n.id, fixed_ips: [{ ip_address: "10.32.0.1" }] } }), 409, "IpAddressInUse");
    // Changing fixed IPs releases the old address.
    const u = (await ok(net("PUT", `/v2.0/ports/${p.id}`, demo, { port: { fixed_ips: [{ ip_address: "10.32.0.60" }] } }))).port;
    expect(u.fixed_ips[0].ip_address).toBe("10.32.0.60");
    await mkPort(demo, n.id, { fixed_ips: [{ ip_address: "10.32.0.50" }] });
  });

  test("IPv6 SLAAC subnets give every port its EUI-64 address", async () => {
    const n = await mkNet(demo);
    await mkSubnet(demo, n.id, "10.33.0.0/24");
    const s6 = await mkSubnet(demo, n.id, "2001:db8:1::/64", { ipv6_ra_mode: "slaac", ipv6_address_mode: "slaac" });
    const p = await mkPort(demo, n.id, { mac_address: "fa:16:3e:00:00:01" });
    expect(p.fixed_ips).toContainEqual({ subnet_id: s6.id, ip_address: "2001:db8:1:0:f816:3eff:fe00:1" });
    expect(p.fixed_ips.length).toBe(2);
  });
});

describe("in-use conflicts and routers", () => {
  test("deletes in the wrong order give Neutron's 409s, the right order works", async () => {
    const pub = await byName(demo, "networks", "public");
    const n = await mkNet(demo);
    const s = await mkSubnet(demo, n.id, "10.40.0.0/24");
    const r = (await ok(net("POST", "/v2.0/routers", demo, { router: { name: "r", external_gateway_info: { network_id: pub.id } } }), 201)).router;
    const info = await ok(net("PUT", `/v2.0/routers/${r.id}/add_router_interface`, demo, { subnet_id: s.id }));
    expect(info).toMatchObject({ id: r.id, subnet_id: s.id, network_id: n.id });
    const iface = (await ok(net("GET", `/v2.0/ports/${info.port_id}`, demo))).port;
    expect(iface).toMatchObject({ device_owner: "network:router_interface", device_id: r.id });
    expect(iface.fixed_ips[0].ip_address).toBe("10.40.0.1");
    const p = await mkPort(demo, n.id);
    await fails(net("DELETE", `/v2.0/networks/${n.id}`, demo), 409, "NetworkInUse");
    await fails(net("DELETE", `/v2.0/subnets/${s.id}`, demo), 409, "SubnetInUse");
    await fails(net("DELETE", `/v2.0/routers/${r.id}`, demo), 409, "RouterInUse");
    await fails(net("DELETE", `/v2.0/ports/${info.port_id}`, demo), 409, "L3PortInUse");

    // Floating IP: associated through the router; the interface is then in use.
    const fip = (await ok(net("POST", "/v2.0/floatingips", demo, { floatingip: { floating_network_id: pub.id, port_id: p.id } }), 201)).floatingip;
    expect(fip).toMatchObject({ port_id: p.id, fixed_ip_address: p.fixed_ips[0].ip_address, router_id: r.id, status: "ACTIVE" });
    expect(fip.floating_ip_address).toMatch(/^172\.24\.4\./);
    await fails(net("PUT", `/v2.0/routers/${r.id}/remove_router_interface`, demo, { subnet_id: s.id }), 409, "RouterInterfaceInUseByFloatingIP");
    await fails(net("PUT", `/v2.0/routers/${r.id}`, demo, { router: { external_gateway_info: {} } }), 409, "RouterExternalGatewayInUseByFloatingIp");

    // Deleting the port disassociates the floating IP.
    await ok(net("DELETE", `/v2.0/ports/${p.id}`, demo), 204);
    expect((await ok(net("GET", `/v2.0/floatingips/${fip.id}`, demo))).floatingip).toMatchObject({ port_id: null, fixed_ip_address: null, status: "DOWN" });
    await ok(net("DELETE", `/v2.0/floatingips/${fip.id}`, demo), 204);
    await ok(net("PUT", `/v2.0/routers/${r.id}/remove_router_interface`, demo, { subnet_id: s.id }));
    await ok(net("DELETE", `/v2.0/routers/${r.id}`, demo), 204);
    await ok(net("DELETE", `/v2.0/networks/${n.id}`, demo), 204);
  });

  test("router bad input: overlapping interfaces, non-external gateway, unreachable floating IP port", async () => {
    const pub = await byName(demo, "networks", "public");
    const a = await mkNet(demo);
    const sa = await mkSubnet(demo, a.id, "10.41.0.0/24");
    const b = await mkNet(demo);
    const sb = await mkSubnet(demo, b.id, "10.41.0.0/25");
    const r = (await ok(net("POST", "/v2.0/routers", demo, { router: { name: "r" } }), 201)).router;
    await ok(net("PUT", `/v2.0/routers/${r.id}/add_router_interface`, demo, { subnet_id: sa.id }));
    expect(await fails(net("PUT", `/v2.0/routers/${r.id}/add_router_interface`, demo, { subnet_id: sb.id }), 400, "BadRequest")).toContain("overlaps");
    await fails(net("PUT", `/v2.0/routers/${r.id}`, demo, { router: { external_gateway_info: { network_id: a.id } } }), 400, "BadRequest");
    const p = await mkPort(demo, a.id);
    // No gateway on the router yet: public is unreachable from the port's subnet.
    await fails(net("POST", "/v2.0/floatingips", demo, { floatingip: { floating_network_id: pub.id, port_id: p.id } }), 404, "ExternalGatewayForFloatingIPNotFound");
    expect((await ok(net("GET", "/v2.0/floatingips", demo))).floatingips.filter((f: any) => f.port_id === p.id)).toEqual([]);
    await fails(net("POST", "/v2.0/floatingips", demo, { floatingip: { floating_network_id: a.id } }), 400, "BadRequest");
  });
});

describe("security groups", () => {
  test("the default group appears on first use with Neutron's four rules; members cannot delete it", async () => {
    const { security_groups } = await ok(net("GET", "/v2.0/security-groups?name=default", demo));
    expect(security_groups.length).toBe(1);
    const rules = security_groups[0].security_group_rules;
    expect(rules.length).toBe(4);
    expect(rules.filter((r: any) => r.direction === "ingress").every((r: any) => r.remote_group_id === security_groups[0].id)).toBe(true);
    await fails(net("DELETE", `/v2.0/security-groups/${security_groups[0].id}`, demo), 409, "SecurityGroupCannotRemoveDefault");
    await fails(net("POST", "/v2.0/security-groups", demo, { security_group: { name: "default" } }), 409, "SecurityGroupDefaultAlreadyExists");
  });

  test("rules: duplicates 409, bad ports and prefixes 400, in-use group 409", async () => {
    const g = (await ok(net("POST", "/v2.0/security-groups", demo, { security_group: { name: "web" } }), 201)).security_group;
    expect(g.security_group_rules.length).toBe(2); // egress IPv4 + IPv6
    const rule = { security_group_id: g.id, direction: "ingress", protocol: "tcp", port_range_min: 22, port_range_max: 22, remote_ip_prefix: "0.0.0.0/0" };
    const r = (await ok(net("POST", "/v2.0/security-group-rules", demo, { security_group_rule: rule }), 201)).security_group_rule;
    expect(r).toMatchObject({ ethertype: "IPv4", protocol: "tcp", port_range_min: 22 });
    expect(await fails(net("POST", "/v2.0/security-group-rules", demo, { security_group_rule: rule }), 409, "SecurityGroupRuleExists")).toContain(r.id);
    expect(await fails(net("POST", "/v2.0/security-group-rules", demo, { security_group_rule: { ...rule, port_range_min: 80, port_range_max: 79 } }), 400, "SecurityGroupInvalidPortRange"))
      .toContain("port_range_min must be <= port_range_max");
    expect(await fails(net("POST", "/v2.0/security-group-rules", demo, { security_group_rule: { ...rule, port_range_max: 65536 } }), 400, "SecurityGroupInvalidPortValue"))
      .toContain("Invalid value for port 65536");
    await fails(net("POST", "/v2.0/security-group-rules", demo, { security_group_rule: { ...rule, protocol: "bad" } }), 400, "SecurityGroupRuleInvalidProtocol");
    expect(await fails(net("POST", "/v2.0/security-group-rules", demo, { security_group_rule: { ...rule, ethertype: "IPv6" } }), 400, "SecurityGroupRuleParameterConflict"))
      .toContain("Conflicting value ethertype");
    await fails(net("POST", "/v2.0/security-group-rules", demo, { security_group_rule: { ...rule, remote_ip_prefix: undefined, remote_group_id: "nope" } }), 404, "SecurityGroupNotFound");
    const priv = await byName(demo, "networks", "private");
    const p = await mkPort(demo, priv.id, { security_groups: [g.id] });
    await fails(net("DELETE", `/v2.0/security-groups/${g.id}`, demo), 409, "SecurityGroupInUse");
    await ok(net("DELETE", `/v2.0/ports/${p.id}`, demo), 204);
    await ok(net("DELETE", `/v2.0/security-groups/${g.id}`, demo), 204);
    await fails(net("GET", `/v2.0/security-group-rules/${r.id}`, demo), 404, "SecurityGroupRuleNotFound");
  });
});

describe("quotas", () => {
  test("admin sets a limit, it is enforced with 409 OverQuota; details show usage", async () => {
    const pid = t.cloud.identity.client.projectByName("demo")!.id;
    const used = (await ok(net("GET", `/v2.0/quotas/${pid}/details`, demo))).quota.network.used;
    await fails(net("PUT", `/v2.0/quotas/${pid}`, demo, { quota: { network: used } }), 403, "PolicyNotAuthorized");
    expect((await ok(net("PUT", `/v2.0/quotas/${pid}`, admin, { quota: { network: used } }))).quota.network).toBe(used);
    await fails(net("POST", "/v2.0/networks", demo, { network: { name: "over" } }), 409, "OverQuota");
    await ok(net("DELETE", `/v2.0/quotas/${pid}`, admin), 204);
    expect((await ok(net("GET", `/v2.0/quotas/${pid}`, demo))).quota.network).toBe(100);
    await fails(net("PUT", `/v2.0/quotas/${pid}`, admin, { quota: { network: -5 } }), 400, "BadRequest");
  });
});

describe("list features", () => {
  test("filters, fields, sorting, pagination with links, tags", async () => {
    const names = ["pg-c", "pg-a", "pg-b"];
    const made = [];
    for (const name of names) made.push(await mkNet(demo, { name }));
    const sorted = (await ok(net("GET", "/v2.0/networks?sort_key=name&sort_dir=asc&fields=name&fields=id", demo))).networks
      .filter((n: any) => n.name.startsWith("pg-"));
    expect(sorted.map((n: any) => n.name)).toEqual(["pg-a", "pg-b", "pg-c"]);
    expect(Object.keys(sorted[0]).sort()).toEqual(["id", "name"]);
    const page1 = await ok(net("GET", "/v2.0/networks?limit=2&sort_key=name&sort_dir=desc", demo));
    expect(page1.networks.length).toBe(2);
    const next = page1.networks_links.find((l: any) => l.rel === "next");
    expect(next.href).toContain(`marker=${page1.networks[1].id}`);
    const page2 = await ok(net("GET", new URL(next.href).pathname + new URL(next.href).search, demo));
    expect(page2.networks[0].id).not.toBe(page1.networks[1].id);
    expect(page2.networks_links.some((l: any) => l.rel === "previous")).toBe(true);
    expect((await ok(net("GET", "/v2.0/networks?name=pg-a&name=pg-b", demo))).networks.length).toBe(2);
    expect((await ok(net("GET", "/v2.0/networks?admin_state_up=True&name=pg-c", demo))).networks.length).toBe(1);
    expect((await ok(net("GET", "/v2.0/networks?admin_state_up=False&name=pg-c", demo))).networks.length).toBe(0);

    await ok(net("PUT", `/v2.0/networks/${made[0].id}/tags/red`, demo), 201);
    await ok(net("PUT", `/v2.0/networks/${made[1].id}/tags`, demo, { tags: ["red", "blue"] }));
    expect((await ok(net("GET", "/v2.0/networks?tags=red", demo))).networks.length).toBe(2);
    expect((await ok(net("GET", "/v2.0/networks?tags=red,blue", demo))).networks.map((n: any) => n.id)).toEqual([made[1].id]);
    expect((await ok(net("GET", "/v2.0/networks?not-tags-any=blue&tags-any=red", demo))).networks.map((n: any) => n.id)).toEqual([made[0].id]);
    await ok(net("GET", `/v2.0/networks/${made[1].id}/tags/blue`, demo), 204);
    await ok(net("DELETE", `/v2.0/networks/${made[1].id}/tags/blue`, demo), 204);
    await fails(net("GET", `/v2.0/networks/${made[1].id}/tags/blue`, demo), 404, "TagNotFound");
    const shown = (await ok(net("GET", `/v2.0/networks/${made[1].id}`, demo))).network;
    expect(shown.tags).toEqual(["red"]);
    expect(shown.revision_number).toBeGreaterThan(0);
  });
});
