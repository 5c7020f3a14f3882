/** Instances over Nova servers (and Neutron ports for addresses). */
import type { Action, ActionCtx, Tag } from "../common.ts";
import { applyFilters, iso, paginate, tagFilter, tagSet, tagSpecs } from "../common.ts";
import { ec2err } from "../errors.ts";
import { mapOsError, OsError } from "../openstack.ts";
import { newReservationId } from "../store.ts";
import { flavors } from "./meta.ts";
import { imageIdOf } from "./images.ts";

export interface Server {
  id: string;
  name: string;
  status: string;
  tenant_id: string;
  key_name: string | null;
  created: string;
  image: { id: string } | "" | null;
  flavor: { original_name?: string; id?: string };
  addresses: Record<string, { addr: string; version: number; "OS-EXT-IPS:type"?: string; "OS-EXT-IPS-MAC:mac_addr"?: string }[]>;
  security_groups?: { name: string }[];
  "OS-EXT-STS:task_state"?: string | null;
  "OS-EXT-STS:vm_state"?: string;
  "OS-EXT-AZ:availability_zone"?: string;
  "OS-SRV-USG:launched_at"?: string | null;
  "os-extended-volumes:volumes_attached"?: { id: string; delete_on_termination?: boolean }[];
  fault?: { message: string };
}

interface Port { id: string; device_id: string; network_id: string; mac_address: string; fixed_ips: { subnet_id: string; ip_address: string }[] }
interface Fip { id: string; floating_ip_address: string; port_id: string | null; fixed_ip_address: string | null }
interface SecGroup { id: string; name: string; project_id?: string; tenant_id?: string }

/** EC2 instance state (code, name) of a Nova server. */
export function stateOf(s: Pick<Server, "status" | "OS-EXT-STS:task_state" | "OS-EXT-STS:vm_state">): { code: number; name: string } {
  const task = s["OS-EXT-STS:task_state"] ?? null;
  const vm = s["OS-EXT-STS:vm_state"];
  if (s.status === "DELETED" || s.status === "SOFT_DELETED" || vm === "deleted" || vm === "soft-delete") return { code: 48, name: "terminated" };
  if (task === "deleting" || task === "soft-deleting") return { code: 32, name: "shutting-down" };
  if (task === "powering-off" || task === "suspending" || task === "pausing" || task === "shelving") return { code: 64, name: "stopping" };
  if (task === "powering-on" || task === "resuming" || task === "unpausing" || task === "unshelving") return { code: 0, name: "pending" };
  switch (s.status) {
    case "BUILD":
    case "REBUILD":
      return { code: 0, name: "pending" };
    case "ACTIVE":
    case "REBOOT":
    case "HARD_REBOOT":
    case "PASSWORD":
    case "RESIZE":
    case "VERIFY_RESIZE":
    case "REVERT_RESIZE":
    case "MIGRATING":
    case "RESCUE":
      return { code: 16, name: "running" };
    default:
      return { code: 80, name: "stopped" };
  }
}

interface World {
  ports: Map<string, Port[]>;
  fips: Map<string, Fip>;
  groups: SecGroup[];
  devices: Map<string, { device: string; attachedAt?: string }>;
  tags: Map<string, Tag[]>;
  flavorNames: Map<string, string>;
}

async function world(c: ActionCtx, servers: Server[]): Promise<World> {
  const [ports, fips, groups] = await Promise.all([
    c.os.call<{ ports: Port[] }>("network", "GET", "/ports").then((b) => b.ports).catch(() => [] as Port[]),
    c.os.call<{ floatingips: Fip[] }>("network", "GET", "/floatingips").then((b) => b.floatingips).catch(() => [] as Fip[]),
    c.os.call<{ security_groups: SecGroup[] }>("network", "GET", "/security-groups").then((b) => b.security_groups).catch(() => [] as SecGroup[]),
  ]);
  const byDevice = new Map<string, Port[]>();
  for (const p of ports) {
    let l = byDevice.get(p.device_id);
    if (!l) byDevice.set(p.device_id, (l = []));
    l.push(p);
  }
  const byPort = new Map<string, Fip>();
  for (const f of fips) if (f.port_id) byPort.set(f.port_id, f);
  const devices = new Map<string, { device: string; attachedAt?: string }>();
  if (servers.some((s) => (s["os-extended-volumes:volumes_attached"] ?? []).length)) {
    try {
      const vols = await c.os.call<{ volumes: { id: string; attachments: { server_id: string; device: string; attached_at?: string }[] }[] }>("volume", "GET", "/volumes/detail");
      for (const v of vols.volumes) for (const a of v.attachments ?? []) devices.set(`${a.server_id}/${v.id}`, { device: a.device, attachedAt: a.attached_at });
    } catch {
      // devices are best effort
    }
  }
  let flavorNames = new Map<string, string>();
  if (servers.some((s) => !s.flavor.original_name)) flavorNames = new Map((await flavors(c)).map((f) => [f.id, f.name]));
  return { ports: byDevice, fips: byPort, groups, devices, tags: c.store.tagMap(c.os.projectId), flavorNames };
}

function instanceView(c: ActionCtx, s: Server, w: World) {
  const id = c.store.idFor("instance", s.id);
  const res = c.store.reservation(s.id, s.tenant_id ?? c.os.projectId);
  const ports = w.ports.get(s.id) ?? [];
  let privateIp: string | undefined;
  let subnetId: string | undefined;
  let vpcId: string | undefined;
  let mac: string | undefined;
  let publicIp: string | undefined;
  for (const p of ports) {
    const v4 = p.fixed_ips.find((f) => !f.ip_address.includes(":"));
    if (!v4) continue;
    privateIp ??= v4.ip_address;
    subnetId ??= c.store.idFor("subnet", v4.subnet_id);
    vpcId ??= c.store.idFor("vpc", p.network_id);
    mac ??= p.mac_address;
    publicIp ??= w.fips.get(p.id)?.floating_ip_address;
  }
  if (!privateIp) {
    for (const addrs of Object.values(s.addresses ?? {}))
      for (const a of addrs) {
        if (a.version !== 4) continue;
        if (a["OS-EXT-IPS:type"] === "floating") publicIp ??= a.addr;
        else privateIp ??= a.addr;
      }
  }
  const groups = (s.security_groups ?? []).map((g) => {
    const sg = w.groups.find((x) => x.name === g.name || x.id === g.name);
    return { groupId: sg ? c.store.idFor("sg", sg.id) : undefined, groupName: g.name };
  });
  const uniqGroups = groups.filter((g, i) => groups.findIndex((x) => x.groupName === g.groupName) === i);
  const vols = s["os-extended-volumes:volumes_attached"] ?? [];
  const imageUuid = s.image && typeof s.image === "object" ? s.image.id : undefined;
  const tags = w.tags.get(id) ?? [];
  const state = stateOf(s);
  return {
    instanceId: id,
    imageId: imageUuid ? imageIdOf(c, imageUuid) : undefined,
    instanceState: state,
    privateDnsName: privateIp ? `ip-${privateIp.replaceAll(".", "-")}.${c.region}.compute.internal` : "",
    dnsName: "",
    reason: state.code === 80 && s.fault ? s.fault.message : "",
    keyName: s.key_name ?? undefined,
    amiLaunchIndex: res.index,
    productCodes: [],
    instanceType: s.flavor.original_name ?? w.flavorNames.get(s.flavor.id ?? "") ?? s.flavor.id,
    launchTime: iso(s["OS-SRV-USG:launched_at"] ?? s.created),
    placement: { availabilityZone: s["OS-EXT-AZ:availability_zone"] || "nova", groupName: "", tenancy: "default" },
    monitoring: { state: "disabled" },
    subnetId,
    vpcId,
    privateIpAddress: privateIp,
    ipAddress: publicIp,
    sourceDestCheck: true,
    groupSet: uniqGroups,
    architecture: "x86_64",
    rootDeviceType: imageUuid ? "instance-store" : "ebs",
    rootDeviceName: "/dev/vda",
    blockDeviceMapping: vols.map((v) => {
      const d = w.devices.get(`${s.id}/${v.id}`);
      return {
        deviceName: d?.device ?? "",
        ebs: { volumeId: c.store.idFor("volume", v.id), status: "attached", attachTime: iso(d?.attachedAt ?? s.created), deleteOnTermination: !!v.delete_on_termination },
      };
    }),
    virtualizationType: "hvm",
    clientToken: "",
    tagSet: tagSet(tags),
    hypervisor: "xen",
    networkInterfaceSet: ports
      .filter((p) => p.fixed_ips.length)
      .map((p, i) => ({
        networkInterfaceId: `eni-${p.id.replaceAll("-", "").slice(0, 17)}`,
        subnetId: c.store.idFor("subnet", p.fixed_ips[0]!.subnet_id),
        vpcId: c.store.idFor("vpc", p.network_id),
        ownerId: s.tenant_id,
        status: "in-use",
        macAddress: p.mac_address,
        privateIpAddress: p.fixed_ips.find((f) => !f.ip_address.includes(":"))?.ip_address ?? p.fixed_ips[0]!.ip_address,
        sourceDestCheck: true,
        groupSet: uniqGroups,
        attachment: { attachmentId: `eni-attach-${p.id.replaceAll("-", "").slice(0, 17)}`, deviceIndex: i, status: "attached", deleteOnTermination: true },
        association: w.fips.get(p.id) ? { publicIp: w.fips.get(p.id)!.floating_ip_address, ipOwnerId: s.tenant_id } : undefined,
      })),
    ebsOptimized: false,
    // for grouping, not rendered
    _reservation: res.id,
    _owner: s.tenant_id,
  };
}
type InstanceView = ReturnType<typeof instanceView>;

function filterInstances(items: InstanceView[], c: ActionCtx): InstanceView[] {
  return applyFilters(items, c.p.filters(), (v, n) => {
    switch (n) {
      case "instance-id": return v.instanceId;
      case "instance-state-name": return v.instanceState.name;
      case "instance-state-code": return v.instanceState.code;
      case "instance-type": return v.instanceType;
      case "image-id": return v.imageId;
      case "key-name": return v.keyName;
      case "private-ip-address": return v.privateIpAddress;
      case "ip-address": return v.ipAddress;
      case "private-dns-name": return v.privateDnsName;
      case "dns-name": return v.dnsName;
      case "reservation-id": return v._reservation;
      case "owner-id": return v._owner;
      case "availability-zone": return v.placement.availabilityZone;
      case "subnet-id": return v.subnetId;
      case "vpc-id": return v.vpcId;
      case "launch-index": return v.amiLaunchIndex;
      case "architecture": return v.architecture;
      case "root-device-type": return v.rootDeviceType;
      case "group-id":
      case "instance.group-id": return v.groupSet.map((g) => g.groupId);
      case "group-name":
      case "instance.group-name": return v.groupSet.map((g) => g.groupName);
      case "block-device-mapping.volume-id": return v.blockDeviceMapping.map((b) => b.ebs.volumeId);
      default: return tagFilter(v.tagSet ?? [], n);
    }
  });
}

/** Servers of the project, all or those named (by uuid). */
async function servers(c: ActionCtx, uuids?: string[]): Promise<Server[]> {
  if (uuids && uuids.length <= 3) {
    const out: Server[] = [];
    for (const u of uuids) {
      try {
        const s = (await c.os.call<{ server: Server }>("compute", "GET", `/servers/${u}`)).server;
        // An admin's token reaches other projects' servers; EC2 shows only the account's own.
        if (s.tenant_id === c.os.projectId) out.push(s);
      } catch (e) {
        if (!(e instanceof OsError && e.status === 404)) mapOsError(e);
      }
    }
    return out;
  }
  const all = (await c.os.call<{ servers: Server[] }>("compute", "GET", "/servers/detail")).servers.filter((s) => s.tenant_id === c.os.projectId);
  return uuids ? all.filter((s) => uuids.includes(s.id)) : all;
}

function reservations(views: InstanceView[]) {
  const groups = new Map<string, InstanceView[]>();
  for (const v of views) {
    let g = groups.get(v._reservation);
    if (!g) groups.set(v._reservation, (g = []));
    g.push(v);
  }
  return [...groups.entries()].map(([rid, vs]) => ({
    reservationId: rid,
    ownerId: vs[0]!._owner,
    groupSet: [],
    instancesSet: vs.map(strip),
  }));
}

function strip(v: InstanceView) {
  const { _reservation, _owner, ...rest } = v;
  void _reservation; void _owner;
  return rest;
}

/** Resolve `InstanceId.N` to uuids: Malformed and NotFound as EC2 says. */
function instanceUuids(c: ActionCtx, prefix = "InstanceId", required = false): { ids: string[]; uuids: string[] } {
  const ids = c.p.list(prefix);
  if (required && !ids.length) throw ec2err("MissingParameter", `The request must contain the parameter ${prefix}`);
  return { ids, uuids: ids.map((id) => c.store.uuidOf("instance", id)) };
}

function notFoundIds(ids: string[]): never {
  throw ec2err("InvalidInstanceID.NotFound", `The instance ID${ids.length > 1 ? "s" : ""} '${ids.join(", ")}' ${ids.length > 1 ? "do" : "does"} not exist`);
}

export const DescribeInstances: Action = async (c) => {
  const { ids, uuids } = instanceUuids(c);
  const list = await servers(c, ids.length ? uuids : undefined);
  // Terminated instances stay visible (terminated) for an hour, as on EC2: waiters poll for it.
  const gone = c.store
    .terminated(c.os.projectId, c.deps.clock.now())
    .filter((t) => !list.some((s) => s.id === t.uuid) && (!ids.length || uuids.includes(t.uuid)));
  if (ids.length) {
    const missing = ids.filter((_, i) => !list.some((s) => s.id === uuids[i]) && !gone.some((g) => g.uuid === uuids[i]));
    if (missing.length) notFoundIds(missing);
  }
  const w = await world(c, list);
  let views = [...list.map((s) => instanceView(c, s, w)), ...gone.map((g) => g.view as InstanceView)];
  const cmp = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);
  views.sort((a, b) => cmp(a.launchTime ?? "", b.launchTime ?? "") || cmp(a.instanceId, b.instanceId));
  views = filterInstances(views, c);
  const { page, nextToken } = paginate(views, c.p);
  return { reservationSet: reservations(page), nextToken };
};

export const DescribeInstanceStatus: Action = async (c) => {
  const { ids, uuids } = instanceUuids(c);
  const list = await servers(c, ids.length ? uuids : undefined);
  if (ids.length) {
    const missing = ids.filter((_, i) => !list.some((s) => s.id === uuids[i]));
    if (missing.length) notFoundIds(missing);
  }
  const all = c.p.bool("IncludeAllInstances");
  const w = await world(c, list);
  let views = list.map((s) => instanceView(c, s, w)).filter((v) => all || v.instanceState.code === 16);
  const ok = (running: boolean) => ({ status: running ? "ok" : "not-applicable", details: running ? [{ name: "reachability", status: "passed" }] : [] });
  let items = views.map((v) => ({
    instanceId: v.instanceId,
    availabilityZone: v.placement.availabilityZone,
    instanceState: v.instanceState,
    systemStatus: ok(v.instanceState.code === 16),
    instanceStatus: ok(v.instanceState.code === 16),
    eventsSet: [],
  }));
  items = applyFilters(items, c.p.filters(), (i, n) =>
    n === "availability-zone" ? i.availabilityZone : n === "instance-state-name" ? i.instanceState.name : n === "instance-state-code" ? i.instanceState.code
      : n === "system-status.status" ? i.systemStatus.status : n === "instance-status.status" ? i.instanceStatus.status : tagFilter([], n),
  );
  void views;
  const { page, nextToken } = paginate(items, c.p);
  return { instanceStatusSet: page, nextToken };
};

async function resolveNetwork(c: ActionCtx, subnetEc2?: string): Promise<{ uuid: string }[] | "none" | "auto"> {
  if (subnetEc2) {
    const sid = c.store.uuidOf("subnet", subnetEc2);
    try {
      const sub = (await c.os.call<{ subnet: { network_id: string } }>("network", "GET", `/subnets/${sid}`)).subnet;
      return [{ uuid: sub.network_id }];
    } catch (e) {
      mapOsError(e, "InvalidSubnetID.NotFound", subnetEc2);
    }
  }
  const nets = (await c.os.call<{ networks: { id: string; project_id?: string; tenant_id?: string; shared?: boolean; "router:external"?: boolean; status?: string }[] }>("network", "GET", "/networks")).networks;
  const usable = nets.filter((n) => !n["router:external"]);
  const own = usable.find((n) => (n.project_id ?? n.tenant_id) === c.os.projectId) ?? usable.find((n) => n.shared);
  return own ? [{ uuid: own.id }] : "none";
}

async function groupNames(c: ActionCtx): Promise<string[] | undefined> {
  const names = [...c.p.list("SecurityGroup")];
  const ids = c.p.list("SecurityGroupId");
  for (const id of ids) {
    const uuid = c.store.uuidOf("sg", id);
    try {
      names.push((await c.os.call<{ security_group: SecGroup }>("network", "GET", `/security-groups/${uuid}`)).security_group.name);
    } catch (e) {
      mapOsError(e, "InvalidGroup.NotFound", id);
    }
  }
  if (names.length) {
    const groups = (await c.os.call<{ security_groups: SecGroup[] }>("network", "GET", "/security-groups")).security_groups;
    for (const n of names) if (!groups.some((g) => g.name === n)) throw ec2err("InvalidGroup.NotFound", `The security group '${n}' does not exist`);
  }
  return names.length ? [...new Set(names)] : undefined;
}

function blockDevices(c: ActionCtx, imageUuid: string): unknown[] | undefined {
  const maps = c.p.structs("BlockDeviceMapping");
  if (!maps.length) return undefined;
  const out: Record<string, unknown>[] = [];
  for (const m of maps) {
    const device = m.required("DeviceName");
    if (m.get("NoDevice") !== undefined || m.get("VirtualName")) continue;
    const size = m.int("Ebs.VolumeSize");
    const snap = m.get("Ebs.SnapshotId");
    const del = m.bool("Ebs.DeleteOnTermination", true);
    const root = /^\/dev\/(x?vda|sda1?|xvda)$/.test(device);
    if (root) {
      out.push({ boot_index: 0, uuid: imageUuid, source_type: "image", destination_type: "volume", volume_size: size ?? 1, delete_on_termination: del, device_name: device });
    } else if (snap) {
      out.push({ boot_index: -1, uuid: c.store.uuidOf("snapshot", snap), source_type: "snapshot", destination_type: "volume", volume_size: size, delete_on_termination: del, device_name: device });
    } else {
      if (!size) throw ec2err("InvalidParameterValue", `Block device ${device}: Ebs.VolumeSize or Ebs.SnapshotId is required`);
      out.push({ boot_index: -1, source_type: "blank", destination_type: "volume", volume_size: size, delete_on_termination: del, device_name: device });
    }
  }
  if (out.length && !out.some((b) => b.boot_index === 0)) out.unshift({ boot_index: 0, uuid: imageUuid, source_type: "image", destination_type: "local", delete_on_termination: true });
  return out.length ? out : undefined;
}

export const RunInstances: Action = async (c) => {
  const imageId = c.p.required("ImageId");
  const minCount = c.p.int("MinCount") ?? (() => { throw ec2err("MissingParameter", "The request must contain the parameter MinCount"); })();
  const maxCount = c.p.int("MaxCount") ?? (() => { throw ec2err("MissingParameter", "The request must contain the parameter MaxCount"); })();
  if (minCount < 1) throw ec2err("InvalidParameterValue", `Value (${minCount}) for parameter minCount is invalid. Expected a positive integer.`);
  if (maxCount < minCount) throw ec2err("InvalidParameterValue", `Value (${maxCount}) for parameter maxCount is invalid. Expected a value at least minCount.`);
  const imageUuid = c.store.uuidOf("image", imageId);
  const type = c.p.get("InstanceType") ?? "m1.small";
  const userData = c.p.get("UserData");
  if (userData && !/^[A-Za-z0-9+/\r\n]*={0,2}\s*$/.test(userData)) throw ec2err("InvalidParameterValue", "Invalid BASE64 encoding of user data.");
  const keyName = c.p.get("KeyName");
  const zone = c.p.get("Placement.AvailabilityZone");
  const instanceTags = tagSpecs(c.p, "instance");

  // Check everything before creating anything.
  try {
    const img = await c.os.call<{ status: string }>("image", "GET", `/images/${imageUuid}`);
    if (img.status !== "active") throw ec2err("InvalidAMIID.Unavailable", `The image id '[${imageId}]' is not available`);
  } catch (e) {
    mapOsError(e, "InvalidAMIID.NotFound", imageId);
  }
  const flavor = (await flavors(c)).find((f) => f.name === type);
  if (!flavor) throw ec2err("InvalidParameterValue", `Invalid value '${type}' for InstanceType.`);
  if (keyName) {
    try {
      await c.os.call("compute", "GET", `/os-keypairs/${encodeURIComponent(keyName)}`);
    } catch (e) {
      mapOsError(e, "InvalidKeyPair.NotFound", keyName);
    }
  }
  const groups = await groupNames(c);
  const networks = await resolveNetwork(c, c.p.get("SubnetId") ?? c.p.get("NetworkInterface.1.SubnetId"));
  const bdm = blockDevices(c, imageUuid);

  const reservationId = newReservationId();
  const name = instanceTags.find((t) => t.key === "Name")?.value;
  const created: string[] = [];
  let failure: unknown;
  for (let i = 0; i < maxCount; i++) {
    const server: Record<string, unknown> = {
      name: name ?? (maxCount > 1 ? `${reservationId}-${i}` : reservationId),
      flavorRef: flavor.id,
      networks,
    };
    if (bdm) server.block_device_mapping_v2 = bdm;
    if (!bdm || !bdm.some((b: any) => b.boot_index === 0 && b.destination_type === "volume")) server.imageRef = imageUuid;
    if (keyName) server.key_name = keyName;
    if (userData) server.user_data = userData.replace(/\s+/g, "");
    if (zone) server.availability_zone = zone;
    if (groups) server.security_groups = groups.map((g) => ({ name: g }));
    try {
      const res = await c.os.call<{ server: { id: string } }>("compute", "POST", "/servers", { server });
      created.push(res.server.id);
      c.store.setReservation(res.server.id, c.os.projectId, reservationId, i);
      const ec2Id = c.store.idFor("instance", res.server.id);
      if (instanceTags.length) c.store.setTags(c.os.projectId, [ec2Id], instanceTags);
    } catch (e) {
      failure = e;
      break;
    }
  }
  if (created.length < minCount) {
    for (const id of created) await c.os.call("compute", "DELETE", `/servers/${id}`).catch(() => undefined);
    for (const id of created) c.store.dropResource(c.os.projectId, c.store.idFor("instance", id));
    mapOsError(failure, undefined, undefined, "InstanceLimitExceeded");
  }
  const list = await servers(c, created);
  const w = await world(c, list);
  const views = created.map((u) => list.find((s) => s.id === u)).filter((s): s is Server => !!s).map((s) => instanceView(c, s, w));
  return {
    reservationId,
    ownerId: c.os.projectId,
    groupSet: [],
    instancesSet: views.map(strip),
  };
};

type Transition = { instanceId: string; currentState: { code: number; name: string }; previousState: { code: number; name: string } };

async function transition(
  c: ActionCtx,
  act: (uuid: string, s: Server) => Promise<{ code: number; name: string }>,
): Promise<Transition[]> {
  const { ids, uuids } = instanceUuids(c, "InstanceId", true);
  const list = await servers(c, uuids);
  const missing = ids.filter((_, i) => !list.some((s) => s.id === uuids[i]));
  if (missing.length) notFoundIds(missing);
  const out: Transition[] = [];
  for (let i = 0; i < ids.length; i++) {
    const s = list.find((x) => x.id === uuids[i])!;
    const prev = stateOf(s);
    let cur: { code: number; name: string };
    try {
      cur = await act(uuids[i]!, s);
    } catch (e) {
      if (e instanceof OsError && e.status === 409) throw ec2err("IncorrectInstanceState", `The instance '${ids[i]}' is not in a state from which it can be ${"changed"}: ${prev.name}`);
      mapOsError(e, "InvalidInstanceID.NotFound", ids[i]);
    }
    out.push({ instanceId: ids[i]!, currentState: cur, previousState: prev });
  }
  return out;
}

export const StopInstances: Action = async (c) => ({
  instancesSet: await transition(c, async (uuid, s) => {
    const st = stateOf(s);
    if (st.code === 80 || st.code === 64) return st;
    await c.os.call("compute", "POST", `/servers/${uuid}/action`, { "os-stop": null });
    return { code: 64, name: "stopping" };
  }),
});

export const StartInstances: Action = async (c) => ({
  instancesSet: await transition(c, async (uuid, s) => {
    const st = stateOf(s);
    if (st.code === 16 || st.code === 0) return st;
    await c.os.call("compute", "POST", `/servers/${uuid}/action`, { "os-start": null });
    return { code: 0, name: "pending" };
  }),
});

export const RebootInstances: Action = async (c) => {
  await transition(c, async (uuid, s) => {
    await c.os.call("compute", "POST", `/servers/${uuid}/action`, { reboot: { type: "SOFT" } });
    return stateOf(s);
  });
  return { return: true };
};

export const TerminateInstances: Action = async (c) => {
  // Terminating an instance already terminated answers terminated → terminated, as EC2 does.
  const { ids, uuids } = instanceUuids(c, "InstanceId", true);
  const gone = c.store.terminated(c.os.projectId, c.deps.clock.now());
  const done = ids.filter((_, i) => gone.some((g) => g.uuid === uuids[i]));
  if (done.length === ids.length) {
    const terminated = { code: 48, name: "terminated" };
    return { instancesSet: done.map((instanceId) => ({ instanceId, currentState: terminated, previousState: terminated })) };
  }
  const out = await transition(c, async (uuid, s) => {
    const w = await world(c, [s]);
    const last = instanceView(c, s, w);
    await c.os.call("compute", "DELETE", `/servers/${uuid}`);
    c.store.rememberTerminated(uuid, c.os.projectId, {
      ...last,
      instanceState: { code: 48, name: "terminated" },
      reason: "Client.UserInitiatedShutdown: User initiated shutdown",
      privateIpAddress: undefined, ipAddress: undefined, privateDnsName: "", networkInterfaceSet: [], blockDeviceMapping: [], tagSet: undefined,
    }, c.deps.clock.now());
    return { code: 32, name: "shutting-down" };
  });
  for (const t of out) c.store.dropResource(c.os.projectId, t.instanceId);
  return { instancesSet: out };
};

export const GetConsoleOutput: Action = async (c) => {
  const id = c.p.required("InstanceId");
  const uuid = c.store.uuidOf("instance", id);
  let out: { output: string };
  try {
    out = await c.os.call("compute", "POST", `/servers/${uuid}/action`, { "os-getConsoleOutput": {} });
  } catch (e) {
    if (e instanceof OsError && e.status === 409) throw ec2err("IncorrectInstanceState", `The instance '${id}' is not in a state where its console can be read`);
    mapOsError(e, "InvalidInstanceID.NotFound", id);
  }
  return { instanceId: id, timestamp: new Date().toISOString(), output: Buffer.from(out.output ?? "").toString("base64") };
};
