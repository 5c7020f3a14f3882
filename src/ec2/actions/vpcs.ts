/** VPCs and subnets: Neutron's (non-external) networks and their IPv4 subnets, read-only. */
import type { Action, ActionCtx } from "../common.ts";
import { applyFilters, tagFilter, tagSet } from "../common.ts";
import { ec2err } from "../errors.ts";

interface Network { id: string; name: string; project_id?: string; tenant_id?: string; shared?: boolean; "router:external"?: boolean; status: string; subnets: string[] }
interface Subnet { id: string; network_id: string; cidr: string; ip_version: number; allocation_pools: { start: string; end: string }[]; project_id?: string; tenant_id?: string; name: string; enable_dhcp?: boolean }

const ipNum = (ip: string) => ip.split(".").reduce((a, b) => a * 256 + Number(b), 0);

async function networks(c: ActionCtx): Promise<{ nets: Network[]; subnets: Subnet[] }> {
  const [nets, subnets] = await Promise.all([
    c.os.call<{ networks: Network[] }>("network", "GET", "/networks").then((b) => b.networks.filter((n) => !n["router:external"])),
    c.os.call<{ subnets: Subnet[] }>("network", "GET", "/subnets").then((b) => b.subnets.filter((s) => s.ip_version === 4)),
  ]);
  return { nets, subnets };
}

export const DescribeVpcs: Action = async (c) => {
  const { nets, subnets } = await networks(c);
  const tags = c.store.tagMap(c.os.projectId);
  let views = nets.map((n) => {
    const id = c.store.idFor("vpc", n.id);
    const cidrs = subnets.filter((s) => s.network_id === n.id).map((s) => s.cidr);
    return {
      vpcId: id,
      ownerId: n.project_id ?? n.tenant_id,
      state: n.status === "ACTIVE" ? "available" : "pending",
      cidrBlock: cidrs[0] ?? "0.0.0.0/0",
      cidrBlockAssociationSet: cidrs.map((cidr, i) => ({ cidrBlock: cidr, associationId: `vpc-cidr-assoc-${id.slice(4)}${i}`, cidrBlockState: { state: "associated" } })),
      dhcpOptionsId: "default",
      instanceTenancy: "default",
      isDefault: false,
      tagSet: tagSet([...(tags.get(id) ?? []), ...(n.name && !(tags.get(id) ?? []).some((t) => t.key === "Name") ? [{ key: "Name", value: n.name }] : [])]),
    };
  });
  const ids = c.p.list("VpcId");
  for (const i of ids) {
    c.store.uuidOf("vpc", i);
    if (!views.some((v) => v.vpcId === i)) throw ec2err("InvalidVpcID.NotFound", `The vpc ID '${i}' does not exist`);
  }
  if (ids.length) views = views.filter((v) => ids.includes(v.vpcId));
  views = applyFilters(views, c.p.filters(), (v, n) =>
    n === "vpc-id" ? v.vpcId : n === "state" ? v.state : n === "cidr" || n === "cidr-block-association.cidr-block" ? v.cidrBlockAssociationSet.map((x) => x.cidrBlock)
      : n === "owner-id" ? v.ownerId : n === "is-default" ? v.isDefault : n === "dhcp-options-id" ? v.dhcpOptionsId : tagFilter(v.tagSet ?? [], n),
  );
  return { vpcSet: views };
};

export const DescribeSubnets: Action = async (c) => {
  const { nets, subnets } = await networks(c);
  const tags = c.store.tagMap(c.os.projectId);
  let views = subnets
    .filter((s) => nets.some((n) => n.id === s.network_id))
    .map((s) => {
      const id = c.store.idFor("subnet", s.id);
      const size = s.allocation_pools.reduce((a, p) => a + ipNum(p.end) - ipNum(p.start) + 1, 0);
      const own = tags.get(id) ?? [];
      return {
        subnetId: id,
        subnetArn: `arn:aws:ec2:${c.region}:${s.project_id ?? s.tenant_id}:subnet/${id}`,
        vpcId: c.store.idFor("vpc", s.network_id),
        ownerId: s.project_id ?? s.tenant_id,
        state: "available",
        cidrBlock: s.cidr,
        availableIpAddressCount: size,
        availabilityZone: "nova",
        defaultForAz: false,
        mapPublicIpOnLaunch: false,
        assignIpv6AddressOnCreation: false,
        tagSet: tagSet([...own, ...(s.name && !own.some((t) => t.key === "Name") ? [{ key: "Name", value: s.name }] : [])]),
      };
    });
  const ids = c.p.list("SubnetId");
  for (const i of ids) {
    c.store.uuidOf("subnet", i);
    if (!views.some((v) => v.subnetId === i)) throw ec2err("InvalidSubnetID.NotFound", `The subnet ID '${i}' does not exist`);
  }
  if (ids.length) views = views.filter((v) => ids.includes(v.subnetId));
  views = applyFilters(views, c.p.filters(), (v, n) =>
    n === "subnet-id" ? v.subnetId : n === "vpc-id" ? v.vpcId : n === "state" ? v.state : n === "cidr" || n === "cidr-block" || n === "cidrBlock" ? v.cidrBlock
      : n === "availability-zone" ? v.availabilityZone : n === "owner-id" ? v.ownerId : n === "default-for-az" ? v.defaultForAz
      : n === "available-ip-address-count" ? v.availableIpAddressCount : tagFilter(v.tagSet ?? [], n),
  );
  return { subnetSet: views };
};
