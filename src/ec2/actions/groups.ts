/** Security groups over Neutron security groups and rules. */
import type { Action, ActionCtx } from "../common.ts";
import { applyFilters, tagFilter, tagSet, tagSpecs } from "../common.ts";
import { ec2err } from "../errors.ts";
import type { Params } from "../params.ts";
import { mapOsError, OsError } from "../openstack.ts";

interface Rule {
  id: string; direction: "ingress" | "egress"; ethertype: "IPv4" | "IPv6"; protocol: string | null;
  port_range_min: number | null; port_range_max: number | null; remote_ip_prefix: string | null; remote_group_id: string | null;
}
interface Group { id: string; name: string; description: string; project_id?: string; tenant_id?: string; security_group_rules: Rule[] }

const owner = (g: Group) => g.project_id ?? g.tenant_id ?? "";

async function listGroups(c: ActionCtx): Promise<Group[]> {
  const all = (await c.os.call<{ security_groups: Group[] }>("network", "GET", "/security-groups")).security_groups;
  return all.filter((g) => owner(g) === c.os.projectId || !owner(g));
}

const PROTO_NUM: Record<string, string> = { "6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6" };

function permissions(c: ActionCtx, rules: Rule[], groups: Group[]) {
  const perms = new Map<string, { ipProtocol: string; fromPort?: number; toPort?: number; groups: { userId: string; groupId: string; groupName?: string }[]; ipRanges: { cidrIp: string }[]; ipv6Ranges: { cidrIpv6: string }[] }>();
  for (const r of rules) {
    const proto = r.protocol == null || r.protocol === "any" ? "-1" : (PROTO_NUM[r.protocol] ?? r.protocol);
    const icmp = proto === "icmp" || proto === "icmpv6";
    const from = proto === "-1" ? undefined : icmp ? (r.port_range_min ?? -1) : (r.port_range_min ?? 1);
    const to = proto === "-1" ? undefined : icmp ? (r.port_range_max ?? -1) : (r.port_range_max ?? 65535);
    const key = `${proto}/${from}/${to}`;
    let p = perms.get(key);
    if (!p) perms.set(key, (p = { ipProtocol: proto, fromPort: from, toPort: to, groups: [], ipRanges: [], ipv6Ranges: [] }));
    if (r.remote_group_id) {
      const g = groups.find((x) => x.id === r.remote_group_id);
      p.groups.push({ userId: g ? owner(g) : c.os.projectId, groupId: c.store.idFor("sg", r.remote_group_id), groupName: g?.name });
    } else if (r.ethertype === "IPv6") p.ipv6Ranges.push({ cidrIpv6: r.remote_ip_prefix ?? "::/0" });
    else p.ipRanges.push({ cidrIp: r.remote_ip_prefix ?? "0.0.0.0/0" });
  }
  return [...perms.values()];
}

function groupView(c: ActionCtx, g: Group, groups: Group[], tags: Map<string, { key: string; value: string }[]>) {
  const id = c.store.idFor("sg", g.id);
  return {
    ownerId: owner(g),
    groupId: id,
    groupName: g.name,
    groupDescription: g.description || g.name,
    vpcId: undefined as string | undefined,
    ipPermissions: permissions(c, g.security_group_rules.filter((r) => r.direction === "ingress"), groups),
    ipPermissionsEgress: permissions(c, g.security_group_rules.filter((r) => r.direction === "egress"), groups),
    tagSet: tagSet(tags.get(id) ?? []),
  };
}

/** The group a request names by GroupId or GroupName. */
async function target(c: ActionCtx): Promise<{ uuid: string; ec2Id: string }> {
  const id = c.p.get("GroupId");
  const name = c.p.get("GroupName");
  if (id) {
    const uuid = c.store.uuidOf("sg", id);
    try {
      const g = (await c.os.call<{ security_group: Group }>("network", "GET", `/security-groups/${uuid}`)).security_group;
      if (owner(g) && owner(g) !== c.os.projectId) throw new OsError(404, "network", "not found", null);
    } catch (e) {
      mapOsError(e, "InvalidGroup.NotFound", id);
    }
    return { uuid, ec2Id: id };
  }
  if (!name) throw ec2err("MissingParameter", "The request must contain the parameter groupName or groupId");
  const g = (await listGroups(c)).find((x) => x.name === name);
  if (!g) throw ec2err("InvalidGroup.NotFound", `The security group '${name}' does not exist`);
  return { uuid: g.id, ec2Id: c.store.idFor("sg", g.id) };
}

export const CreateSecurityGroup: Action = async (c) => {
  const name = c.p.required("GroupName");
  const description = c.p.required("GroupDescription");
  if (name.length > 255 || description.length > 255) throw ec2err("InvalidParameterValue", "GroupName and GroupDescription are at most 255 characters");
  if (/^sg-/.test(name)) throw ec2err("InvalidParameterValue", "Group names may not be in the format sg-*");
  if ((await listGroups(c)).some((g) => g.name === name)) throw ec2err("InvalidGroup.Duplicate", `The security group '${name}' already exists`);
  let g: Group;
  try {
    g = (await c.os.call<{ security_group: Group }>("network", "POST", "/security-groups", { security_group: { name, description } })).security_group;
  } catch (e) {
    mapOsError(e, undefined, undefined, "SecurityGroupLimitExceeded");
  }
  const id = c.store.idFor("sg", g.id);
  const tags = tagSpecs(c.p, "security-group");
  if (tags.length) c.store.setTags(c.os.projectId, [id], tags);
  return { return: true, groupId: id, tagSet: tagSet(tags) };
};

export const DescribeSecurityGroups: Action = async (c) => {
  const groups = await listGroups(c);
  const tags = c.store.tagMap(c.os.projectId);
  let views = groups.map((g) => groupView(c, g, groups, tags));
  const names = c.p.list("GroupName");
  const ids = c.p.list("GroupId");
  for (const n of names) if (!views.some((v) => v.groupName === n)) throw ec2err("InvalidGroup.NotFound", `The security group '${n}' does not exist`);
  for (const i of ids) {
    c.store.uuidOf("sg", i);
    if (!views.some((v) => v.groupId === i)) throw ec2err("InvalidGroup.NotFound", `The security group '${i}' does not exist`);
  }
  if (names.length || ids.length) views = views.filter((v) => names.includes(v.groupName) || ids.includes(v.groupId));
  views = applyFilters(views, c.p.filters(), (v, n) => {
    switch (n) {
      case "group-id": return v.groupId;
      case "group-name": return v.groupName;
      case "description": return v.groupDescription;
      case "owner-id": return v.ownerId;
      case "vpc-id": return v.vpcId;
      case "ip-permission.protocol": return v.ipPermissions.map((p) => p.ipProtocol);
      case "ip-permission.from-port": return v.ipPermissions.map((p) => p.fromPort);
      case "ip-permission.to-port": return v.ipPermissions.map((p) => p.toPort);
      case "ip-permission.cidr": return v.ipPermissions.flatMap((p) => p.ipRanges.map((r) => r.cidrIp));
      case "ip-permission.group-id": return v.ipPermissions.flatMap((p) => p.groups.map((g) => g.groupId));
      default: return tagFilter(v.tagSet ?? [], n);
    }
  });
  return { securityGroupInfo: views };
};

interface WantedRule { protocol: string | null; min: number | null; max: number | null; ethertype: "IPv4" | "IPv6"; remote_ip_prefix?: string; remote_group_id?: string }

/** The rules an Authorize/Revoke request describes (IpPermissions.N or the old flat form). */
function wantedRules(c: ActionCtx): WantedRule[] {
  const perms = c.p.structs("IpPermissions");
  const flat = c.p.get("IpProtocol");
  const sources: Params[] = perms.length ? perms : flat ? [c.p] : [];
  if (!sources.length) throw ec2err("MissingParameter", "The request must contain the parameter ipPermissions");
  const out: WantedRule[] = [];
  for (const p of sources) {
    const raw = (p.required("IpProtocol")).toLowerCase();
    const proto = raw === "-1" || raw === "all" ? null : (PROTO_NUM[raw] ?? raw);
    if (proto !== null && !["tcp", "udp", "icmp", "icmpv6"].includes(proto) && !/^\d+$/.test(proto)) {
      throw ec2err("InvalidParameterValue", `Invalid value '${raw}' for IP protocol. Unknown protocol.`);
    }
    let min = p.int("FromPort") ?? null;
    let max = p.int("ToPort") ?? null;
    if (proto === "tcp" || proto === "udp") {
      if (min === null || max === null) throw ec2err("MissingParameter", "The request must contain the parameter FromPort and ToPort for tcp and udp");
      if (min < 0 || max > 65535 || min > max) throw ec2err("InvalidParameterValue", `Invalid port range ${min}-${max}`);
    } else if (proto === "icmp" || proto === "icmpv6") {
      if (min === -1) min = null;
      if (max === -1) max = null;
    } else {
      min = null;
      max = null;
    }
    const cidrs = [...p.list("IpRanges", "CidrIp")];
    if (p === c.p && c.p.get("CidrIp")) cidrs.push(c.p.get("CidrIp")!);
    const v6 = p.list("Ipv6Ranges", "CidrIpv6");
    const groupIds = p.list("Groups", "GroupId");
    if (p === c.p && c.p.get("SourceSecurityGroupName")) groupIds.push(`name:${c.p.get("SourceSecurityGroupName")}`);
    const groupNames = p.list("Groups", "GroupName").map((n) => `name:${n}`);
    for (const cidr of cidrs) {
      if (!/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/.test(cidr)) throw ec2err("InvalidParameterValue", `Value (${cidr}) for parameter cidrIp is invalid. This is not a valid CIDR block.`);
      out.push({ protocol: proto, min, max, ethertype: "IPv4", remote_ip_prefix: cidr });
    }
    for (const cidr of v6) {
      if (!/^[0-9a-fA-F:]+\/\d{1,3}$/.test(cidr)) throw ec2err("InvalidParameterValue", `Value (${cidr}) for parameter cidrIpv6 is invalid. This is not a valid IPv6 CIDR block.`);
      out.push({ protocol: proto, min, max, ethertype: "IPv6", remote_ip_prefix: cidr });
    }
    for (const g of [...groupIds, ...groupNames]) out.push({ protocol: proto, min, max, ethertype: "IPv4", remote_group_id: g });
    if (!cidrs.length && !v6.length && !groupIds.length && !groupNames.length) out.push({ protocol: proto, min, max, ethertype: "IPv4", remote_ip_prefix: "0.0.0.0/0" });
  }
  return out;
}

async function resolveGroups(c: ActionCtx, rules: WantedRule[]): Promise<void> {
  let groups: Group[] | undefined;
  for (const r of rules) {
    if (!r.remote_group_id) continue;
    if (r.remote_group_id.startsWith("name:")) {
      const name = r.remote_group_id.slice(5);
      groups ??= await listGroups(c);
      const g = groups.find((x) => x.name === name);
      if (!g) throw ec2err("InvalidGroup.NotFound", `The security group '${name}' does not exist`);
      r.remote_group_id = g.id;
    } else r.remote_group_id = c.store.uuidOf("sg", r.remote_group_id);
  }
}

const sameRule = (a: Rule, w: WantedRule, direction: string) =>
  a.direction === direction && a.ethertype === w.ethertype && (a.protocol ?? null) === w.protocol &&
  (a.port_range_min ?? null) === w.min && (a.port_range_max ?? null) === w.max &&
  (a.remote_ip_prefix ?? null) === (w.remote_ip_prefix ?? null) && (a.remote_group_id ?? null) === (w.remote_group_id ?? null);

async function authorize(c: ActionCtx, direction: "ingress" | "egress") {
  const t = await target(c);
  const rules = wantedRules(c);
  await resolveGroups(c, rules);
  let g: Group;
  try {
    g = (await c.os.call<{ security_group: Group }>("network", "GET", `/security-groups/${t.uuid}`)).security_group;
  } catch (e) {
    mapOsError(e, "InvalidGroup.NotFound", t.ec2Id);
  }
  for (const w of rules) {
    if (g.security_group_rules.some((r) => sameRule(r, w, direction))) {
      throw ec2err("InvalidPermission.Duplicate", `the specified rule "peer: ${w.remote_ip_prefix ?? w.remote_group_id}, ${w.protocol ?? "ALL"}, ${w.min ?? ""}-${w.max ?? ""}" already exists`);
    }
  }
  const created: { securityGroupRuleId: string; groupId: string; isEgress: boolean; ipProtocol: string; fromPort?: number; toPort?: number; cidrIpv4?: string; cidrIpv6?: string }[] = [];
  const done: string[] = [];
  try {
    for (const w of rules) {
      const body = {
        security_group_rule: {
          security_group_id: t.uuid, direction, ethertype: w.ethertype, protocol: w.protocol,
          port_range_min: w.min, port_range_max: w.max, remote_ip_prefix: w.remote_ip_prefix ?? null, remote_group_id: w.remote_group_id ?? null,
        },
      };
      const r = (await c.os.call<{ security_group_rule: Rule }>("network", "POST", "/security-group-rules", body)).security_group_rule;
      done.push(r.id);
      created.push({
        securityGroupRuleId: `sgr-${r.id.replaceAll("-", "").slice(0, 17)}`, groupId: t.ec2Id, isEgress: direction === "egress",
        ipProtocol: w.protocol ?? "-1", fromPort: w.min ?? -1, toPort: w.max ?? -1,
        cidrIpv4: w.ethertype === "IPv4" ? w.remote_ip_prefix : undefined, cidrIpv6: w.ethertype === "IPv6" ? w.remote_ip_prefix : undefined,
      });
    }
  } catch (e) {
    // all or nothing, as EC2 applies a request's permissions
    for (const id of done) await c.os.call("network", "DELETE", `/security-group-rules/${id}`).catch(() => undefined);
    if (e instanceof OsError && e.status === 409) throw ec2err("InvalidPermission.Duplicate", e.message);
    mapOsError(e, "InvalidGroup.NotFound", t.ec2Id, "RulesPerSecurityGroupLimitExceeded");
  }
  return { return: true, securityGroupRuleSet: created };
}

async function revoke(c: ActionCtx, direction: "ingress" | "egress") {
  const t = await target(c);
  const rules = wantedRules(c);
  await resolveGroups(c, rules);
  let g: Group;
  try {
    g = (await c.os.call<{ security_group: Group }>("network", "GET", `/security-groups/${t.uuid}`)).security_group;
  } catch (e) {
    mapOsError(e, "InvalidGroup.NotFound", t.ec2Id);
  }
  const ids: string[] = [];
  for (const w of rules) {
    const r = g.security_group_rules.find((x) => sameRule(x, w, direction));
    if (!r) throw ec2err("InvalidPermission.NotFound", "The specified rule does not exist in this security group.");
    ids.push(r.id);
  }
  for (const id of ids) {
    try {
      await c.os.call("network", "DELETE", `/security-group-rules/${id}`);
    } catch (e) {
      if (!(e instanceof OsError && e.status === 404)) mapOsError(e);
    }
  }
  return { return: true };
}

export const AuthorizeSecurityGroupIngress: Action = (c) => authorize(c, "ingress");
export const AuthorizeSecurityGroupEgress: Action = (c) => authorize(c, "egress");
export const RevokeSecurityGroupIngress: Action = (c) => revoke(c, "ingress");
export const RevokeSecurityGroupEgress: Action = (c) => revoke(c, "egress");

export const DeleteSecurityGroup: Action = async (c) => {
  const t = await target(c);
  try {
    await c.os.call("network", "DELETE", `/security-groups/${t.uuid}`);
  } catch (e) {
    if (e instanceof OsError && e.status === 409) throw ec2err("DependencyViolation", `resource ${t.ec2Id} has a dependent object`);
    if (e instanceof OsError && e.status === 400 && /default/i.test(e.message)) throw ec2err("CannotDelete", "the specified group: \"default\" name: \"default\" cannot be deleted by a user");
    mapOsError(e, "InvalidGroup.NotFound", t.ec2Id);
  }
  c.store.dropResource(c.os.projectId, t.ec2Id);
  return { return: true, groupId: t.ec2Id };
};
