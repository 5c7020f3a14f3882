/** Elastic IPs over Neutron floating IPs (VPC style: eipalloc-/eipassoc- ids). */
import type { Action, ActionCtx } from "../common.ts";
import { applyFilters, tagFilter, tagSet, tagSpecs } from "../common.ts";
import { ec2err } from "../errors.ts";
import { mapOsError, OsError } from "../openstack.ts";

interface Fip { id: string; floating_ip_address: string; floating_network_id: string; port_id: string | null; fixed_ip_address: string | null; project_id?: string; tenant_id?: string }
interface Port { id: string; device_id: string; device_owner: string; fixed_ips: { subnet_id: string; ip_address: string }[] }
interface Network { id: string; name: string; "router:external"?: boolean }

async function externalNetwork(c: ActionCtx): Promise<Network> {
  const nets = (await c.os.call<{ networks: Network[] }>("network", "GET", "/networks?router:external=true")).networks.filter((n) => n["router:external"]);
  const pool = c.p.get("PublicIpv4Pool");
  const net = pool ? nets.find((n) => n.name === pool || n.id === pool) : nets[0];
  if (!net) throw ec2err(pool ? "InvalidParameterValue" : "UnsupportedOperation", pool ? `Invalid PublicIpv4Pool ${pool}` : "No external network to allocate addresses from");
  return net;
}

/** The floating IP a request names by AllocationId or PublicIp. */
async function findFip(c: ActionCtx, alloc?: string, publicIp?: string): Promise<Fip> {
  if (alloc) {
    const uuid = c.store.uuidOf("eip", alloc);
    try {
      const f = (await c.os.call<{ floatingip: Fip }>("network", "GET", `/floatingips/${uuid}`)).floatingip;
      if ((f.project_id ?? f.tenant_id) !== c.os.projectId) throw new OsError(404, "network", "not found", null);
      return f;
    } catch (e) {
      mapOsError(e, "InvalidAllocationID.NotFound", alloc);
    }
  }
  if (!publicIp) throw ec2err("MissingParameter", "The request must contain the parameter AllocationId or PublicIp");
  const list = (await c.os.call<{ floatingips: Fip[] }>("network", "GET", `/floatingips?floating_ip_address=${encodeURIComponent(publicIp)}`)).floatingips;
  const f = list.find((x) => x.floating_ip_address === publicIp && (x.project_id ?? x.tenant_id) === c.os.projectId);
  if (!f) throw ec2err("InvalidAddress.NotFound", `Address '${publicIp}' not found.`);
  return f;
}

function view(c: ActionCtx, f: Fip, ports: Map<string, Port>, tags: Map<string, { key: string; value: string }[]>) {
  const alloc = c.store.idFor("eip", f.id);
  const port = f.port_id ? ports.get(f.port_id) : undefined;
  return {
    publicIp: f.floating_ip_address,
    allocationId: alloc,
    domain: "vpc",
    instanceId: port?.device_owner?.startsWith("compute:") ? c.store.idFor("instance", port.device_id) : undefined,
    associationId: f.port_id ? `eipassoc-${alloc.slice("eipalloc-".length)}` : undefined,
    networkInterfaceId: f.port_id ? `eni-${f.port_id.replaceAll("-", "").slice(0, 17)}` : undefined,
    networkInterfaceOwnerId: f.port_id ? (f.project_id ?? f.tenant_id) : undefined,
    privateIpAddress: f.fixed_ip_address ?? undefined,
    publicIpv4Pool: f.floating_network_id,
    networkBorderGroup: c.region,
    tagSet: tagSet(tags.get(alloc) ?? []),
  };
}

export const AllocateAddress: Action = async (c) => {
  const domain = c.p.get("Domain") ?? "vpc";
  if (domain !== "vpc" && domain !== "standard") throw ec2err("InvalidParameterValue", `Invalid value '${domain}' for domain.`);
  const net = await externalNetwork(c);
  let f: Fip;
  try {
    f = (await c.os.call<{ floatingip: Fip }>("network", "POST", "/floatingips", { floatingip: { floating_network_id: net.id } })).floatingip;
  } catch (e) {
    mapOsError(e, undefined, undefined, "AddressLimitExceeded");
  }
  const alloc = c.store.idFor("eip", f.id);
  const tags = tagSpecs(c.p, "elastic-ip");
  if (tags.length) c.store.setTags(c.os.projectId, [alloc], tags);
  return { publicIp: f.floating_ip_address, domain: "vpc", allocationId: alloc, publicIpv4Pool: net.id, networkBorderGroup: c.region };
};

export const AssociateAddress: Action = async (c) => {
  const f = await findFip(c, c.p.get("AllocationId"), c.p.get("PublicIp"));
  const instanceId = c.p.get("InstanceId");
  const eni = c.p.get("NetworkInterfaceId");
  if (!instanceId && !eni) throw ec2err("MissingParameter", "The request must contain the parameter InstanceId or NetworkInterfaceId");
  const ports = (await c.os.call<{ ports: Port[] }>("network", "GET", "/ports")).ports;
  let port: Port | undefined;
  if (instanceId) {
    const uuid = c.store.uuidOf("instance", instanceId);
    const mine = ports.filter((p) => p.device_id === uuid && p.fixed_ips.some((x) => !x.ip_address.includes(":")));
    if (!mine.length) {
      try {
        await c.os.call("compute", "GET", `/servers/${uuid}`);
      } catch (e) {
        mapOsError(e, "InvalidInstanceID.NotFound", instanceId);
      }
      throw ec2err("InvalidInstanceID", `The instance '${instanceId}' has no network interface with an IPv4 address`);
    }
    port = mine[0];
  } else {
    port = ports.find((p) => `eni-${p.id.replaceAll("-", "").slice(0, 17)}` === eni);
    if (!port) throw ec2err("InvalidNetworkInterfaceID.NotFound", `The networkInterface ID '${eni}' does not exist`);
  }
  if (f.port_id && f.port_id !== port!.id && !c.p.bool("AllowReassociation", true)) throw ec2err("Resource.AlreadyAssociated", `Address ${f.floating_ip_address} is already associated`);
  const privateIp = c.p.get("PrivateIpAddress");
  const fixed = privateIp ?? port!.fixed_ips.find((x) => !x.ip_address.includes(":"))!.ip_address;
  try {
    await c.os.call("network", "PUT", `/floatingips/${f.id}`, { floatingip: { port_id: port!.id, fixed_ip_address: fixed } });
  } catch (e) {
    if (e instanceof OsError && e.status === 400 && /router|external|reach/i.test(e.message)) throw ec2err("Gateway.NotAttached", e.message);
    mapOsError(e);
  }
  const alloc = c.store.idFor("eip", f.id);
  return { return: true, associationId: `eipassoc-${alloc.slice("eipalloc-".length)}` };
};

export const DisassociateAddress: Action = async (c) => {
  const assoc = c.p.get("AssociationId");
  let f: Fip;
  if (assoc) {
    if (!/^eipassoc-[0-9a-f]{8,17}$/.test(assoc)) throw ec2err("InvalidAssociationID.Malformed", `Invalid id: "${assoc}"`);
    const alloc = `eipalloc-${assoc.slice("eipassoc-".length)}`;
    const uuid = c.store.tryUuidOf("eip", alloc);
    if (!uuid) throw ec2err("InvalidAssociationID.NotFound", `The association ID '${assoc}' does not exist`);
    try {
      f = (await c.os.call<{ floatingip: Fip }>("network", "GET", `/floatingips/${uuid}`)).floatingip;
    } catch (e) {
      mapOsError(e, "InvalidAssociationID.NotFound", assoc);
    }
    if (!f.port_id) throw ec2err("InvalidAssociationID.NotFound", `The association ID '${assoc}' does not exist`);
  } else {
    f = await findFip(c, undefined, c.p.get("PublicIp"));
  }
  if (f.port_id) {
    try {
      await c.os.call("network", "PUT", `/floatingips/${f.id}`, { floatingip: { port_id: null } });
    } catch (e) {
      mapOsError(e);
    }
  }
  return { return: true };
};

export const ReleaseAddress: Action = async (c) => {
  const f = await findFip(c, c.p.get("AllocationId"), c.p.get("PublicIp"));
  if (f.port_id && c.p.get("AllocationId")) throw ec2err("InvalidIPAddress.InUse", `Address ${f.floating_ip_address} is in use`);
  try {
    await c.os.call("network", "DELETE", `/floatingips/${f.id}`);
  } catch (e) {
    mapOsError(e, "InvalidAllocationID.NotFound", c.p.get("AllocationId"));
  }
  c.store.dropResource(c.os.projectId, c.store.idFor("eip", f.id));
  return { return: true };
};

export const DescribeAddresses: Action = async (c) => {
  const [fips, ports] = await Promise.all([
    c.os.call<{ floatingips: Fip[] }>("network", "GET", "/floatingips").then((b) => b.floatingips),
    c.os.call<{ ports: Port[] }>("network", "GET", "/ports").then((b) => b.ports),
  ]);
  const mine = fips.filter((f) => (f.project_id ?? f.tenant_id) === c.os.projectId);
  const byId = new Map(ports.map((p) => [p.id, p]));
  const tags = c.store.tagMap(c.os.projectId);
  let views = mine.map((f) => view(c, f, byId, tags));
  const ips = c.p.list("PublicIp");
  const allocs = c.p.list("AllocationId");
  for (const ip of ips) if (!views.some((v) => v.publicIp === ip)) throw ec2err("InvalidAddress.NotFound", `Address '${ip}' not found.`);
  for (const a of allocs) {
    c.store.uuidOf("eip", a);
    if (!views.some((v) => v.allocationId === a)) throw ec2err("InvalidAllocationID.NotFound", `Allocation ID '${a}' not found.`);
  }
  if (ips.length || allocs.length) views = views.filter((v) => ips.includes(v.publicIp) || allocs.includes(v.allocationId));
  views = applyFilters(views, c.p.filters(), (v, n) => {
    switch (n) {
      case "public-ip": return v.publicIp;
      case "allocation-id": return v.allocationId;
      case "association-id": return v.associationId;
      case "domain": return v.domain;
      case "instance-id": return v.instanceId;
      case "network-interface-id": return v.networkInterfaceId;
      case "private-ip-address": return v.privateIpAddress;
      case "network-border-group": return v.networkBorderGroup;
      default: return tagFilter(v.tagSet ?? [], n);
    }
  });
  return { addressesSet: views };
};
