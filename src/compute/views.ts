/** How a server looks on the wire, by microversion (nova/api/openstack/compute/views/servers.py). */
import { createHash } from "node:crypto";
import { cmpMv, type Microversion } from "../core/microversion.ts";
import { apiStatus, PROGRESS_STATUSES } from "./states.ts";
import type { Instance } from "./store.ts";

export interface ViewCtx {
  /** Scheme://host:port of the compute endpoint as the caller reached it. */
  origin: string;
  mv: Microversion;
  isAdmin: boolean;
  /** host → status for host_status (2.16): UP, DOWN, MAINTENANCE. */
  hostStatus?: (host: string) => string;
  /** The server group of an instance (2.71). */
  groupOf?: (uuid: string) => string | undefined;
}

const at = (v: ViewCtx, s: string) => {
  const [a, b] = s.split(".").map(Number) as [number, number];
  return cmpMv(v.mv, [a, b]) >= 0;
};

/** `2026-11-23T21:04:29Z` (Nova's created/updated). */
export const isoZ = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
/** `2026-11-23T21:04:29.000000` (launched_at, terminated_at). */
export const isoNaive = (ms: number | null) => (ms == null ? null : new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$1000"));

const hostIds = new Map<string, string>();
/** Nova's hostId: sha224(project_id + host), "" before scheduling (memoised: few distinct pairs). */
export function hostId(projectId: string, host: string | null): string {
  if (!host) return "";
  const k = projectId + host;
  let h = hostIds.get(k);
  if (h === undefined) {
    h = createHash("sha224").update(k).digest("hex");
    if (hostIds.size > 10000) hostIds.clear();
    hostIds.set(k, h);
  }
  return h;
}

export function serverLinks(v: ViewCtx, projectId: string, uuid: string) {
  return [
    { rel: "self", href: `${v.origin}/v2.1/${projectId}/servers/${uuid}` },
    { rel: "bookmark", href: `${v.origin}/${projectId}/servers/${uuid}` },
  ];
}

function flavorView(v: ViewCtx, i: Instance) {
  if (at(v, "2.47")) {
    const f: Record<string, unknown> = {
      vcpus: i.flavor.vcpus,
      ram: i.flavor.ram,
      disk: i.flavor.disk,
      ephemeral: i.flavor.ephemeral,
      swap: i.flavor.swap,
      original_name: i.flavor.name,
    };
    if (at(v, "2.47")) f.extra_specs = i.flavor.extraSpecs ?? {};
    return f;
  }
  return { id: i.flavor.id, links: [{ rel: "bookmark", href: `${v.origin}/${i.projectId}/flavors/${i.flavor.id}` }] };
}

function imageView(v: ViewCtx, i: Instance) {
  if (!i.imageRef) return "";
  return { id: i.imageRef, links: [{ rel: "bookmark", href: `${v.origin}/${i.projectId}/images/${i.imageRef}` }] };
}

function addressesView(i: Instance, extended: boolean) {
  const out: Record<string, unknown[]> = {};
  for (const [net, list] of Object.entries(i.addresses)) {
    out[net] = list.map((a) =>
      extended ? { version: a.version, addr: a.addr, "OS-EXT-IPS:type": a.type, "OS-EXT-IPS-MAC:mac_addr": a.mac } : { version: a.version, addr: a.addr },
    );
  }
  return out;
}

/** The short list entry (`GET /servers`). */
export function serverBrief(v: ViewCtx, i: Instance) {
  return { id: i.uuid, name: i.name, links: serverLinks(v, i.projectId, i.uuid) };
}

/**
 * The full server (show and list detail); `basic` gives the reduced form of
 * update and rebuild responses before 2.75 (no extended attributes).
 */
export function serverView(v: ViewCtx, i: Instance, opts: { basic?: boolean; list?: boolean } = {}) {
  const status = apiStatus(i.vmState, i.taskState);
  const basic = !!opts.basic && !at(v, "2.75");
  const s: Record<string, unknown> = {
    id: i.uuid,
    name: i.name,
    status,
    tenant_id: i.projectId,
    user_id: i.userId,
    metadata: i.metadata,
    hostId: hostId(i.projectId, i.host),
    image: imageView(v, i),
    flavor: flavorView(v, i),
    created: isoZ(i.createdAt),
    updated: isoZ(i.updatedAt),
    addresses: addressesView(i, !basic),
    accessIPv4: i.accessIPv4,
    accessIPv6: i.accessIPv6,
    links: serverLinks(v, i.projectId, i.uuid),
    "OS-DCF:diskConfig": i.diskConfig,
  };
  if (PROGRESS_STATUSES.has(status)) s.progress = i.progress;
  if ((status === "ERROR" || status === "DELETED") && i.fault) {
    s.fault = {
      code: i.fault.code,
      created: isoZ(i.fault.created),
      message: i.fault.message,
      ...(v.isAdmin || i.fault.code !== 500 ? { details: i.fault.details ?? "" } : {}),
    };
  }
  if (!basic) {
    s["OS-EXT-AZ:availability_zone"] = i.availabilityZone ?? "";
    s.config_drive = i.configDrive ? "True" : "";
    s.key_name = i.keyName;
    s["OS-SRV-USG:launched_at"] = isoNaive(i.launchedAt);
    s["OS-SRV-USG:terminated_at"] = isoNaive(i.terminatedAt);
    if (i.securityGroups.length) s.security_groups = i.securityGroups.map((name) => ({ name }));
    s["OS-EXT-STS:task_state"] = i.taskState;
    s["OS-EXT-STS:vm_state"] = i.vmState;
    s["OS-EXT-STS:power_state"] = i.powerState;
    s["os-extended-volumes:volumes_attached"] = i.bdms
      .filter((b) => b.volumeId)
      .map((b) => (at(v, "2.3") ? { id: b.volumeId, delete_on_termination: b.deleteOnTermination } : { id: b.volumeId }));
    if (v.isAdmin) {
      s["OS-EXT-SRV-ATTR:host"] = i.host;
      s["OS-EXT-SRV-ATTR:instance_name"] = `instance-${i.seq.toString(16).padStart(8, "0")}`;
      s["OS-EXT-SRV-ATTR:hypervisor_hostname"] = i.node;
      if (at(v, "2.3")) {
        s["OS-EXT-SRV-ATTR:reservation_id"] = i.reservationId;
        s["OS-EXT-SRV-ATTR:launch_index"] = i.launchIndex;
        s["OS-EXT-SRV-ATTR:kernel_id"] = "";
        s["OS-EXT-SRV-ATTR:ramdisk_id"] = "";
        s["OS-EXT-SRV-ATTR:hostname"] = i.hostname;
        s["OS-EXT-SRV-ATTR:root_device_name"] = i.bdms.some((b) => b.bootIndex === 0) ? "/dev/vda" : "/dev/vda";
        if (!(opts.basic && at(v, "2.75"))) s["OS-EXT-SRV-ATTR:user_data"] = i.userData;
      }
    }
    if (at(v, "2.16") && v.isAdmin) s.host_status = i.host ? (v.hostStatus?.(i.host) ?? "UNKNOWN") : "";
  }
  if (at(v, "2.9")) s.locked = i.locked;
  if (at(v, "2.19")) s.description = i.description;
  if (at(v, "2.26")) s.tags = i.tags;
  if (at(v, "2.63")) s.trusted_image_certificates = i.trustedCerts;
  if (at(v, "2.71") && !opts.list) {
    const g = v.groupOf?.(i.uuid);
    s.server_groups = g ? [g] : [];
  }
  if (at(v, "2.73")) s.locked_reason = i.lockedReason;
  return s;
}
