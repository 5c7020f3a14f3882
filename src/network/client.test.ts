/**
 * The NetworkClient as Compute uses it: validate requested networks, allocate
 * and bind ports on boot, addresses with floating IPs, interfaces, security
 * groups, release on delete.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { testCloud, type TestCloud } from "../../test/harness.ts";
import { ApiError } from "../core/errors.ts";
import type { NetCaller, NetworkClient } from "./client.ts";
import { createNetwork } from "./service.ts";

let t: TestCloud;
let client: NetworkClient;
let demo: NetCaller;
let demoToken: string;
let adminToken: string;
let privateId: string;
let publicId: string;

const net = (method: string, path: string, token: string, json?: unknown) => t.req(method, path, { token, json, service: "network" });
const get = async (path: string, token = demoToken) => (await (await net("GET", path, token)).json()) as any;
const opts = { host: "tenrec", availabilityZone: "nova", securityGroups: [] as string[] };

async function rejects(p: Promise<unknown>, status: number, msg?: RegExp): Promise<void> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ApiError);
    expect((e as ApiError).status).toBe(status);
    if (msg) expect((e as ApiError).message).toMatch(msg);
    return;
  }
  throw new Error("expected a rejection");
}

beforeAll(async () => {
  t = await testCloud();
  const c = t.cloud;
  // A second service object on the same database: the client is what Compute gets.
  client = createNetwork({ db: c.db, bus: c.bus, clock: c.clock, cfg: c.cfg, log: (await import("../core/log.ts")).silentLogger, identity: c.identity.client }).client;
  demo = { projectId: c.identity.client.projectByName("demo")!.id, isAdmin: false };
  demoToken = await t.token("demo", "secret", "demo");
  adminToken = await t.token("admin");
  privateId = (await get("/v2.0/networks?name=private")).networks[0].id;
  publicId = (await get("/v2.0/networks?name=public")).networks[0].id;
});
afterAll(() => t.close());

describe("NetworkClient", () => {
  test("validateRequested: unknown network 400, unknown port 400, port in use 409, auto and none pass", async () => {
    await client.validateRequested(demo, "none");
    await client.validateRequested(demo, "auto");
    await client.validateRequested(demo, [{ networkId: privateId }]);
    await rejects(client.validateRequested(demo, [{ networkId: "nope" }]), 400, /Network nope could not be found/);
    await rejects(client.validateRequested(demo, [{ portId: "nope" }]), 400, /Port nope not found/);
    const port = (await (await net("POST", "/v2.0/ports", demoToken, { port: { network_id: privateId, device_id: "someone" } })).json()) as any;
    await rejects(client.validateRequested(demo, [{ portId: port.port.id }]), 409);
    // Another project's network is invisible.
    const adminNet = (await (await net("POST", "/v2.0/networks", adminToken, { network: { name: "adm" } })).json()) as any;
    await rejects(client.validateRequested(demo, [{ networkId: adminNet.network.id }]), 400);
    await client.validateSecurityGroups(demo, ["default"]);
    await rejects(client.validateSecurityGroups(demo, ["does_not_exist"]), 400, /Security group does_not_exist not found/);
    // The external network is visible but not attachable for a member.
    await rejects(client.validateRequested(demo, [{ networkId: publicId }]), 403, /external network/);
  });

  test("allocate on a network: a bound port with the default group; addresses; release on delete", async () => {
    const [p] = await client.allocateForInstance(demo, "inst-1", [{ networkId: privateId }], opts);
    expect(p!.networkName).toBe("private");
    expect(p!.createdByCompute).toBe(true);
    const v4 = p!.fixedIps.find((f) => f.version === 4)!;
    expect(v4.cidr).toBe("10.0.0.0/26");
    expect(v4.gateway).toBe("10.0.0.1");
    expect(p!.fixedIps.some((f) => f.version === 6 && f.address.startsWith("fd00::"))).toBe(true);
    const shown = (await get(`/v2.0/ports/${p!.portId}`, adminToken)).port;
    expect(shown).toMatchObject({ device_id: "inst-1", device_owner: "compute:nova", "binding:host_id": "tenrec", status: "ACTIVE" });
    const groups = await client.instanceSecurityGroups("inst-1");
    expect(groups.map((g) => g.name)).toEqual(["default"]);
    expect((await client.instancePorts("inst-1")).map((x) => x.portId)).toEqual([p!.portId]);
    await client.deallocateForInstance("inst-1");
    expect(await client.instancePorts("inst-1")).toEqual([]);
    expect((await net("GET", `/v2.0/ports/${p!.portId}`, demoToken)).status).toBe(404);
  });

  test("a user's port is taken over on boot and only unbound on delete; a fixed IP is honoured", async () => {
    const port = ((await (await net("POST", "/v2.0/ports", demoToken, { port: { network_id: privateId, name: "mine" } })).json()) as any).port;
    const [p] = await client.allocateForInstance(demo, "inst-2", [{ portId: port.id }], opts);
    expect(p!.createdByCompute).toBe(false);
    expect(p!.macAddress).toBe(port.mac_address);
    await client.deallocateForInstance("inst-2");
    const after = (await get(`/v2.0/ports/${port.id}`)).port;
    expect(after).toMatchObject({ device_id: "", device_owner: "", status: "DOWN" });
    const [q] = await client.allocateForInstance(demo, "inst-3", [{ networkId: privateId, fixedIp: "10.0.0.40" }], opts);
    expect(q!.fixedIps.find((f) => f.version === 4)!.address).toBe("10.0.0.40");
    await rejects(client.validateRequested(demo, [{ networkId: privateId, fixedIp: "10.0.0.40" }]), 409);
    await client.deallocateForInstance("inst-3");
  });

  test("auto: the project's one network, or get-me-a-network for a project with none", async () => {
    const [p] = await client.allocateForInstance(demo, "inst-4", "auto", opts);
    expect(p!.networkId).toBe(privateId);
    await client.deallocateForInstance("inst-4");
    const adminCaller = { projectId: t.cloud.identity.client.projectByName("admin")!.id, isAdmin: true };
    // admin has the network "adm" from the first test: one candidate (it needs a subnet to boot on).
    const adm = (await get("/v2.0/networks?name=adm", adminToken)).networks[0];
    await net("POST", "/v2.0/subnets", adminToken, { subnet: { network_id: adm.id, cidr: "192.168.5.0/24", ip_version: 4 } });
    const [a] = await client.allocateForInstance(adminCaller, "inst-5", "auto", opts);
    expect(a!.networkName).toBe("adm");
    await client.deallocateForInstance("inst-5");
    // A fresh project gets its own routed network.
    const res = await t.req("POST", "/v3/projects", { token: adminToken, json: { project: { name: "fresh", domain_id: "default" } } });
    const fresh = { projectId: ((await res.json()) as any).project.id, isAdmin: false };
    const [f] = await client.allocateForInstance(fresh, "inst-6", "auto", opts);
    expect(f!.networkName).toBe("auto_allocated_network");
    const routers = (await get(`/v2.0/routers?project_id=${fresh.projectId}`, adminToken)).routers;
    expect(routers[0].external_gateway_info.network_id).toBe(publicId);
    expect(await client.allocateForInstance(fresh, "inst-7", "none", opts)).toEqual([]);
  });

  test("floating IPs: associate shows up in instancePorts; unreachable/unknown give errors; disassociate", async () => {
    const [p] = await client.allocateForInstance(demo, "inst-8", [{ networkId: privateId }], opts);
    const fip = ((await (await net("POST", "/v2.0/floatingips", demoToken, { floatingip: { floating_network_id: publicId } })).json()) as any).floatingip;
    await client.associateFloatingIp(demo, "inst-8", fip.floating_ip_address);
    const [withFip] = await client.instancePorts("inst-8");
    const fixed = p!.fixedIps.find((f) => f.version === 4)!.address;
    expect(withFip!.floatingIps).toEqual([{ address: fip.floating_ip_address, fixedAddress: fixed }]);
    expect((await get(`/v2.0/floatingips/${fip.id}`)).floatingip.port_id).toBe(p!.portId);
    await rejects(client.associateFloatingIp(demo, "inst-8", "172.24.4.250"), 404);
    await rejects(client.disassociateFloatingIp(demo, "inst-other", fip.floating_ip_address), 409);
    await client.disassociateFloatingIp(demo, "inst-8", fip.floating_ip_address);
    expect((await client.instancePorts("inst-8"))[0]!.floatingIps).toEqual([]);

    // A network without a router to public: association refused (400, Nova's status).
    const n = ((await (await net("POST", "/v2.0/networks", demoToken, { network: { name: "island" } })).json()) as any).network;
    await net("POST", "/v2.0/subnets", demoToken, { subnet: { network_id: n.id, cidr: "192.168.77.0/24", ip_version: 4 } });
    await client.allocateForInstance(demo, "inst-9", [{ networkId: n.id }], opts);
    await rejects(client.associateFloatingIp(demo, "inst-9", fip.floating_ip_address), 400, /not reachable/);
    // Deleting the instance's ports disassociates its floating IPs.
    await client.associateFloatingIp(demo, "inst-8", fip.floating_ip_address);
    await client.deallocateForInstance("inst-8");
    expect((await get(`/v2.0/floatingips/${fip.id}`)).floatingip.port_id).toBeNull();
    await client.deallocateForInstance("inst-9");
  });

  test("interfaces and security groups", async () => {
    await client.allocateForInstance(demo, "inst-10", [{ networkId: privateId }], opts);
    const sg = ((await (await net("POST", "/v2.0/security-groups", demoToken, { security_group: { name: "web" } })).json()) as any).security_group;
    await client.addSecurityGroup(demo, "inst-10", "web");
    expect((await client.instanceSecurityGroups("inst-10")).map((g) => g.name).sort()).toEqual(["default", "web"]);
    await rejects(client.addSecurityGroup(demo, "inst-10", sg.id), 400, /already associated/);
    await rejects(client.addSecurityGroup(demo, "inst-10", "nope"), 404);
    // The group is now in use by the instance's port.
    expect((await net("DELETE", `/v2.0/security-groups/${sg.id}`, demoToken)).status).toBe(409);
    await client.removeSecurityGroup(demo, "inst-10", "web");
    await rejects(client.removeSecurityGroup(demo, "inst-10", "web"), 400, /not associated/);
    expect((await client.instanceSecurityGroups("inst-10")).map((g) => g.name)).toEqual(["default"]);

    const extra = await client.attachInterface(demo, "inst-10", { networkId: privateId }, opts);
    expect((await client.instancePorts("inst-10")).length).toBe(2);
    await rejects(client.detachInterface(demo, "inst-other", extra.portId), 404);
    await client.detachInterface(demo, "inst-10", extra.portId);
    expect((await client.instancePorts("inst-10")).length).toBe(1);
    expect((await net("GET", `/v2.0/ports/${extra.portId}`, demoToken)).status).toBe(404);
    await client.deallocateForInstance("inst-10");
  });

  test("an exhausted network fails the allocation with 409 and leaves nothing behind", async () => {
    const n = ((await (await net("POST", "/v2.0/networks", demoToken, { network: { name: "tiny" } })).json()) as any).network;
    await net("POST", "/v2.0/subnets", demoToken, { subnet: { network_id: n.id, cidr: "192.168.88.0/30", ip_version: 4 } }); // one address (.2)
    await rejects(client.allocateForInstance(demo, "inst-11", [{ networkId: n.id }, { networkId: n.id }], opts), 409);
    expect(await client.instancePorts("inst-11")).toEqual([]);
    const [p] = await client.allocateForInstance(demo, "inst-12", [{ networkId: n.id }], opts);
    expect(p!.fixedIps[0]!.address).toBe("192.168.88.2");
  });
});
