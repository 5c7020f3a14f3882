/** /servers: create, list, list detail, show, update, delete. */
import { Hono } from "hono";
import { ApiError, badRequest, forbidden, notFound } from "../../core/errors.ts";
import type { AppEnv, Ctx } from "../../core/http.ts";
import { mvAtLeast } from "../../core/microversion.ts";
import { parse } from "../../core/validate.ts";
import type { RequestedNetworks } from "../../network/client.ts";
import type { Flavor } from "../resources/index.ts";
import { isUnavailable, type ComputeCtx } from "../ctx.ts";
import { hostTopic, terminateInstance, type HostTask } from "../manager.ts";
import { createServer, toBool, updateServer } from "../schemas/servers.ts";
import type { ScheduleRequest } from "../scheduler/worker.ts";
import { STATUS_TO_VM, TaskState, VmState } from "../states.ts";
import type { Bdm, Instance, InstanceFlavor } from "../store.ts";
import { serverBrief, serverLinks, serverView } from "../views.ts";
import { caller, checkLocked, instanceFor, jsonBody, origin, UUID_RE, viewCtx } from "./common.ts";

export const instanceFlavor = (f: Flavor): InstanceFlavor => ({
  id: f.id,
  name: f.name,
  ram: f.ram,
  vcpus: f.vcpus,
  disk: f.disk,
  ephemeral: f.ephemeral,
  swap: f.swap,
  extraSpecs: f.extraSpecs ?? {},
});

/** A DNS-safe hostname from the display name (Nova's sanitize_hostname). */
export function sanitizeHostname(name: string, fallback: string): string {
  const h = name
    .toLowerCase()
    .replace(/[ _.]/g, "-")
    .replace(/[^a-z0-9-]/g, "")
    .replace(/^-+|-+$/g, "")
    .slice(0, 63)
    .replace(/-+$/, "");
  return h || fallback;
}

export function quotaMessage(res: string, req: number, used: number, allowed: number): string {
  return `Quota exceeded for ${res}: Requested ${req}, but already used ${used} of ${allowed} ${res}`;
}

const SORT_KEYS: Record<string, (i: Instance) => string | number | null> = {
  created_at: (i) => i.createdAt,
  updated_at: (i) => i.updatedAt,
  launched_at: (i) => i.launchedAt,
  terminated_at: (i) => i.terminatedAt,
  display_name: (i) => i.name,
  display_description: (i) => i.description,
  uuid: (i) => i.uuid,
  id: (i) => i.seq,
  vm_state: (i) => i.vmState,
  task_state: (i) => i.taskState,
  power_state: (i) => i.powerState,
  host: (i) => i.host,
  node: (i) => i.node,
  availability_zone: (i) => i.availabilityZone,
  image_ref: (i) => i.imageRef,
  instance_type_id: (i) => i.flavor.id,
  key_name: (i) => i.keyName,
  project_id: (i) => i.projectId,
  user_id: (i) => i.userId,
  hostname: (i) => i.hostname,
  locked: (i) => (i.locked ? 1 : 0),
  access_ip_v4: (i) => i.accessIPv4,
  access_ip_v6: (i) => i.accessIPv6,
  config_drive: (i) => (i.configDrive ? 1 : 0),
  launch_index: (i) => i.launchIndex,
  progress: (i) => i.progress,
  root_device_name: () => "/dev/vda",
  display_name_desc: (i) => i.name,
  memory_mb: (i) => i.flavor.ram,
  vcpus: (i) => i.flavor.vcpus,
  root_gb: (i) => i.flavor.disk,
  ephemeral_gb: (i) => i.flavor.ephemeral,
};

function parseTime(s: string, what: string): number {
  if (!/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/.test(s)) {
    throw badRequest(`Invalid input for query parameters ${what}. Value: ${s}. '${s}' is not a 'date-time'`);
  }
  const full = /^\d{4}-\d{2}-\d{2}$/.test(s) ? `${s}T00:00:00` : s.replace(" ", "T");
  const t = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(full) ? full : `${full}Z`);
  if (Number.isNaN(t)) throw badRequest(`Invalid filter field: ${what}.`);
  return t;
}

/** Apply Nova's list filters, sorting and paging. */
export function listInstances(c: Ctx, ctx: ComputeCtx): { items: Instance[]; limit?: number } {
  const who = caller(c);
  const q = new URL(c.req.url).searchParams;
  const get = (k: string) => q.get(k) ?? undefined;
  const admin = who.isAdmin;
  // Nova's is_all_tenants: present and not false; members are refused (policy servers:index:get_all_tenants).
  const allTenants = q.has("all_tenants") && !["false", "0", "no", "off"].includes((get("all_tenants") ?? "").toLowerCase());
  if (allTenants && !admin) throw forbidden(`Policy doesn't allow os_compute_api:servers:index:get_all_tenants to be performed.`);
  const where: string[] = [];
  const args: any[] = [];
  const changesSince = get("changes-since");
  const changesBefore = mvAtLeast(c, "2.66") ? get("changes-before") : undefined;
  let deletedParam = admin ? get("deleted") : undefined;
  const status = get("status")?.toUpperCase();
  const wantDeleted = (deletedParam && toBool(deletedParam)) || status === "DELETED" || status === "SOFT_DELETED";
  if (changesSince || changesBefore) {
    if (changesSince) {
      where.push("updated_at >= ?");
      args.push(parseTime(changesSince, "changes-since"));
    }
    if (changesBefore) {
      const b = parseTime(changesBefore, "changes-before");
      if (changesSince && parseTime(changesSince, "changes-since") > b) {
        throw badRequest("The value of changes-since must be less than or equal to changes-before.");
      }
      where.push("updated_at <= ?");
      args.push(b);
    }
    if (deletedParam !== undefined) where.push(wantDeleted ? "deleted = 1" : "deleted = 0");
  } else where.push(wantDeleted ? "deleted = 1" : "deleted = 0");

  if (allTenants) {
    const p = get("project_id") ?? get("tenant_id");
    if (p) {
      where.push("project_id = ?");
      args.push(p);
    }
  } else {
    where.push("project_id = ?");
    args.push(who.projectId);
  }
  const eq = (param: string, col: string, ok = true) => {
    const v = get(param);
    if (v !== undefined && ok) {
      where.push(`${col} = ?`);
      args.push(v);
    }
  };
  eq("image", "image_ref");
  eq("key_name", "key_name");
  eq("reservation_id", "reservation_id");
  eq("availability_zone", "availability_zone");
  eq("host", "host", admin);
  eq("node", "node", admin);
  eq("user_id", "user_id", admin || mvAtLeast(c, "2.83"));
  eq("uuid", "uuid", admin);
  eq("vm_state", "vm_state", admin);
  eq("task_state", "task_state", admin);
  eq("access_ip_v4", "access_ip_v4");
  eq("access_ip_v6", "access_ip_v6");
  eq("hostname", "hostname");
  if (get("locked") !== undefined && mvAtLeast(c, "2.73")) {
    const v = get("locked")!.toLowerCase();
    if (!["true", "false", "1", "0", "yes", "no"].includes(v)) throw badRequest(`Invalid input for query parameters locked.`);
    where.push("locked = ?");
    args.push(toBool(v) ? 1 : 0);
  }
  const flavor = get("flavor");
  if (flavor !== undefined) {
    where.push("json_extract(flavor, '$.id') = ?");
    args.push(flavor);
  }
  if (get("power_state") !== undefined && admin) {
    where.push("power_state = ?");
    args.push(Number(get("power_state")));
  }

  // sorting
  const sortKeys = q.getAll("sort_key");
  const sortDirs = q.getAll("sort_dir");
  for (const k of sortKeys) if (!(k in SORT_KEYS)) throw badRequest(`Invalid input for query parameters sort_key. Value: ${k}.`);
  for (const d of sortDirs) if (d !== "asc" && d !== "desc") throw badRequest(`Invalid input for query parameters sort_dir. Value: ${d}.`);
  const keys = sortKeys.length ? sortKeys : ["created_at"];
  const order = keys.map((k, n) => ({ key: SORT_KEYS[k]!, dir: (sortDirs[n] ?? sortDirs[0] ?? "desc") === "asc" ? 1 : -1 }));

  let items = ctx.instances.select(where.join(" AND "), args, "created_at DESC, seq DESC");

  if (status) {
    const m = STATUS_TO_VM[status];
    if (!m) {
      if (mvAtLeast(c, "2.38")) throw badRequest(`Invalid status value`);
      return { items: [] };
    }
    if (status !== "DELETED" && status !== "SOFT_DELETED") items = items.filter((i) => m.vm.includes(i.vmState) && (!m.task || m.task(i.taskState)));
  }
  const name = get("name");
  if (name !== undefined) {
    let re: RegExp;
    try {
      re = new RegExp(name);
    } catch {
      re = new RegExp(name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
    }
    items = items.filter((i) => re.test(i.name));
  }
  const desc = get("description");
  if (desc !== undefined && mvAtLeast(c, "2.19")) {
    const re = new RegExp(desc.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
    items = items.filter((i) => i.description != null && re.test(i.description));
  }
  const ip = get("ip") ?? get("ip6");
  if (ip !== undefined) {
    let re: RegExp;
    try {
      re = new RegExp(ip);
    } catch {
      re = new RegExp(ip.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
    }
    items = items.filter((i) => Object.values(i.addresses).some((l) => l.some((a) => re.test(a.addr))));
  }
  if (mvAtLeast(c, "2.26")) {
    const split = (k: string) => get(k)?.split(",").filter(Boolean);
    const all = split("tags");
    const any = split("tags-any");
    const notAll = split("not-tags");
    const notAny = split("not-tags-any");
    if (all) items = items.filter((i) => all.every((t) => i.tags.includes(t)));
    if (any) items = items.filter((i) => any.some((t) => i.tags.includes(t)));
    if (notAll) items = items.filter((i) => !notAll.every((t) => i.tags.includes(t)));
    if (notAny) items = items.filter((i) => !notAny.some((t) => i.tags.includes(t)));
  }
  if (sortKeys.length || sortDirs.length) {
    items.sort((a, b) => {
      for (const o of order) {
        const x = o.key(a);
        const y = o.key(b);
        if (x === y) continue;
        if (x === null) return -o.dir;
        if (y === null) return o.dir;
        return (x < y ? -1 : 1) * o.dir;
      }
      return (b.seq - a.seq);
    });
  }
  // paging
  const marker = get("marker");
  if (marker !== undefined) {
    const idx = items.findIndex((i) => i.uuid === marker);
    if (idx < 0) throw badRequest(`marker [${marker}] not found`);
    items = items.slice(idx + 1);
  }
  const limitRaw = get("limit");
  let limit: number | undefined;
  if (limitRaw !== undefined) {
    if (!/^\d+$/.test(limitRaw)) throw badRequest(`Invalid input for query parameters limit. Value: ${limitRaw}.`);
    limit = Math.min(Number(limitRaw), 1000);
  }
  if (limit === undefined && items.length > 1000) limit = 1000;
  if (limit !== undefined) items = items.slice(0, limit);
  return { items, limit };
}

function listLinks(c: Ctx, items: Instance[], limit: number | undefined, path: string, projectId: string) {
  if (limit === undefined || !items.length || items.length < limit) return undefined;
  const q = new URL(c.req.url).searchParams;
  q.delete("marker");
  q.set("limit", String(limit));
  q.set("marker", items[items.length - 1]!.uuid);
  return [{ rel: "next", href: `${origin(c)}/v2.1/${projectId}/${path}?${q.toString()}` }];
}

/**
 * Serialized list entries, per (cached, immutable) instance object and view
 * parameters: a list of 1,000 servers joins 1,000 strings instead of building
 * and serializing 1,000 views. An instance write replaces the object, so
 * stale entries are never reached.
 */
const rendered = new WeakMap<Instance, Map<string, string>>();
function renderCached(i: Instance, key: string, make: () => unknown): string {
  let m = rendered.get(i);
  if (!m) rendered.set(i, (m = new Map()));
  let s = m.get(key);
  if (s === undefined) {
    s = JSON.stringify(make());
    m.set(key, s);
  }
  return s;
}

function listResponse(c: Ctx, entries: string[], links: unknown): Response {
  const body = `{"servers":[${entries.join(",")}]${links ? `,"servers_links":${JSON.stringify(links)}` : ""}}`;
  return c.body(body, 200, { "content-type": "application/json" });
}

export function serversRoutes(ctx: ComputeCtx): Hono<AppEnv> {
  const r = new Hono<AppEnv>();
  const { deps } = ctx;

  r.get("/servers", (c) => {
    const { items, limit } = listInstances(c, ctx);
    const v = viewCtx(c, ctx);
    const links = listLinks(c, items, limit, "servers", caller(c).projectId);
    return listResponse(c, items.map((i) => renderCached(i, `b|${v.origin}`, () => serverBrief(v, i))), links);
  });

  r.get("/servers/detail", (c) => {
    const { items, limit } = listInstances(c, ctx);
    const v = viewCtx(c, ctx);
    const links = listLinks(c, items, limit, "servers/detail", caller(c).projectId);
    const base = `d|${v.origin}|${v.mv[0]}.${v.mv[1]}|${v.isAdmin ? 1 : 0}`;
    return listResponse(
      c,
      items.map((i) => {
        const hs = v.isAdmin && i.host && v.mv[1] >= 16 ? v.hostStatus!(i.host) : "";
        return renderCached(i, `${base}|${hs}`, () => serverView(v, i, { list: true }));
      }),
      links,
    );
  });

  r.get("/servers/:id", async (c) => {
    let i = instanceFor(c, ctx, c.req.param("id"));
    i = await refreshAddresses(ctx, i);
    return c.json({ server: serverView(viewCtx(c, ctx), i) });
  });

  r.put("/servers/:id", async (c) => {
    const i0 = instanceFor(c, ctx, c.req.param("id"));
    const body = parse(updateServer, await jsonBody(c));
    const s = body.server;
    if (s.description !== undefined && !mvAtLeast(c, "2.19")) throw badRequest("Additional properties are not allowed ('description' was unexpected)");
    if (s.hostname !== undefined) throw badRequest("Additional properties are not allowed ('hostname' was unexpected)");
    const fields: Partial<Instance> = {};
    if (s.name !== undefined) fields.name = s.name;
    if (s.description !== undefined) fields.description = s.description;
    if (s.accessIPv4 !== undefined) fields.accessIPv4 = s.accessIPv4;
    if (s.accessIPv6 !== undefined) fields.accessIPv6 = s.accessIPv6;
    if (s["OS-DCF:diskConfig"] !== undefined) fields.diskConfig = s["OS-DCF:diskConfig"];
    const i = Object.keys(fields).length ? (ctx.instances.update(i0.uuid, fields) ?? i0) : i0;
    return c.json({ server: serverView(viewCtx(c, ctx), i, { basic: true }) });
  });

  r.delete("/servers/:id", async (c) => {
    const i = instanceFor(c, ctx, c.req.param("id"));
    checkLocked(c, i);
    await deleteInstance(c, ctx, i, "delete");
    return c.body(null, 204);
  });

  r.post("/servers", async (c) => createServers(c, ctx));

  return r;

  async function refreshAddresses(ctx: ComputeCtx, i: Instance): Promise<Instance> {
    if (i.requestedNetworks === "none" || i.vmState === VmState.BUILDING) return i;
    try {
      const ports = await deps.network.instancePorts(i.uuid);
      const { addressesFromPorts } = await import("../manager.ts");
      const addrs = addressesFromPorts(ports);
      if (JSON.stringify(addrs) !== JSON.stringify(i.addresses)) {
        ctx.instances.setAddresses(i.uuid, addrs);
        return { ...i, addresses: addrs };
      }
    } catch (e) {
      if (!isUnavailable(e)) deps.log.debug(`addresses of ${i.uuid}: ${(e as Error).message}`);
    }
    return i;
  }
}

/** Delete (or force delete): local when the instance never reached a host, else a task for its host. */
export async function deleteInstance(c: Ctx, ctx: ComputeCtx, i: Instance, action: string): Promise<void> {
  if (i.taskState === TaskState.DELETING) return;
  const a = c.get("auth");
  const actionId = ctx.actions.start(i.uuid, action, c.get("requestId"), a.projectId ?? i.projectId, a.userId);
  if (!i.host || !ctx.hosts.has(i.host)) {
    ctx.instances.update(i.uuid, { taskState: TaskState.DELETING });
    const ev = ctx.actions.eventStart(actionId, "compute_terminate_instance", ctx.controllerHost);
    await terminateInstance(ctx, i);
    ctx.actions.eventFinish(ev, true);
    return;
  }
  const ok = ctx.deps.db.tx(() => {
    const u = ctx.instances.update(i.uuid, { taskState: TaskState.DELETING });
    if (!u) return false;
    const t: HostTask = { op: "terminate", uuid: i.uuid, actionId };
    ctx.deps.bus.castDurable(hostTopic(i.host!), t);
    return true;
  });
  if (!ok) throw notFound(`Instance ${i.uuid} could not be found.`);
}

function parseBdms(raw: any[] | undefined, imageRef: string): Bdm[] {
  if (!raw) return [];
  const out: Bdm[] = [];
  const bootIdx = new Set<number>();
  for (const b of raw) {
    const src = b.source_type ?? (b.uuid ? "volume" : "blank");
    const dst = b.destination_type ?? (src === "image" && !b.volume_size ? "local" : "volume");
    const bi = b.boot_index === undefined || b.boot_index === null ? null : Number(b.boot_index);
    if (bi !== null && bi >= 0) {
      if (bootIdx.has(bi)) throw badRequest("Block Device Mapping is Invalid: Boot sequence for the instance and image/block device mapping combination is not valid.");
      bootIdx.add(bi);
    }
    if ((src === "volume" || src === "snapshot" || (src === "image" && dst === "volume")) && !b.uuid) {
      throw badRequest("Block Device Mapping is Invalid: Missing device UUID.");
    }
    if (b.uuid && !UUID_RE.test(b.uuid)) throw badRequest(`Block Device Mapping is Invalid: failed to get volume ${b.uuid}.`);
    if (src === "image" && dst === "local") {
      // the image itself as the root disk: nothing for Cinder
      if (b.uuid && imageRef && b.uuid !== imageRef) throw badRequest("Block Device Mapping is Invalid: Boot sequence for the instance and image/block device mapping combination is not valid.");
      continue;
    }
    if (dst === "local") continue; // ephemeral/swap: part of the flavor here
    out.push({
      bootIndex: bi,
      sourceType: src,
      destinationType: dst,
      uuid: b.uuid,
      volumeId: src === "volume" ? b.uuid : undefined,
      volumeSize: b.volume_size !== undefined ? Number(b.volume_size) : undefined,
      deleteOnTermination: b.delete_on_termination !== undefined ? toBool(b.delete_on_termination) : src !== "volume",
      deviceName: b.device_name ?? undefined,
      tag: b.tag,
      volumeType: b.volume_type ?? undefined,
    });
  }
  if (bootIdx.size && !bootIdx.has(0)) {
    throw badRequest("Block Device Mapping is Invalid: Boot sequence for the instance and image/block device mapping combination is not valid.");
  }
  return out;
}

async function createServers(c: Ctx, ctx: ComputeCtx): Promise<Response> {
  const { deps, resources } = ctx;
  const who = caller(c);
  const raw = await jsonBody(c);
  const body = parse(createServer, raw);
  const s = body.server;
  const mv = (v: string) => mvAtLeast(c, v);
  if (s.description !== undefined && !mv("2.19")) throw badRequest("Additional properties are not allowed ('description' was unexpected)");
  if (s.tags !== undefined && !mv("2.52")) throw badRequest("Additional properties are not allowed ('tags' was unexpected)");
  if (s.trusted_image_certificates !== undefined && !mv("2.63")) throw badRequest("Additional properties are not allowed ('trusted_image_certificates' was unexpected)");
  if ((s.host !== undefined || s.hypervisor_hostname !== undefined) && !mv("2.74")) throw badRequest("Additional properties are not allowed ('host' was unexpected)");
  if (s.personality !== undefined && mv("2.57")) throw badRequest("Additional properties are not allowed ('personality' was unexpected)");
  if ((s.host !== undefined || s.hypervisor_hostname !== undefined) && !who.isAdmin) throw forbidden();
  const imgCaller = { projectId: who.projectId, isAdmin: who.isAdmin };

  // block devices, image
  let imageRef = s.imageRef ?? "";
  const bdms = parseBdms(s.block_device_mapping_v2 ?? s.block_device_mapping?.map((b) => ({ ...b, source_type: b.source_type ?? "volume", uuid: b.uuid ?? b.volume_id, boot_index: b.boot_index ?? 0 })), imageRef);
  const bootVolume = bdms.find((b) => b.bootIndex === 0 && b.destinationType === "volume");
  if (bootVolume) {
    if (bootVolume.sourceType === "image") imageRef = "";
    if (bootVolume.sourceType === "volume") {
      try {
        const v = await deps.volume.getVolume(imgCaller, bootVolume.uuid!);
        if (!v) throw badRequest(`Block Device Mapping is Invalid: failed to get volume ${bootVolume.uuid}.`);
        if (!v.bootable) throw badRequest(`Block Device Mapping is Invalid: Volume ${v.id} is not bootable.`);
        if (v.status !== "available") throw badRequest(`Block Device Mapping is Invalid: Volume ${v.id} status must be available.`);
      } catch (e) {
        if (isUnavailable(e)) throw badRequest(`Block Device Mapping is Invalid: failed to get volume ${bootVolume.uuid}.`);
        throw e;
      }
    }
    imageRef = bootVolume.sourceType === "volume" ? "" : imageRef;
  }
  for (const b of bdms) {
    if (b === bootVolume || b.sourceType !== "volume") continue;
    try {
      const v = await deps.volume.getVolume(imgCaller, b.uuid!);
      if (!v) throw badRequest(`Block Device Mapping is Invalid: failed to get volume ${b.uuid}.`);
    } catch (e) {
      if (isUnavailable(e)) throw badRequest(`Block Device Mapping is Invalid: failed to get volume ${b.uuid}.`);
      throw e;
    }
  }
  if (!imageRef && !bootVolume) throw badRequest("Invalid imageRef provided.");
  const flavorF = resources.flavors.findForCaller(who, s.flavorRef);
  if (!flavorF || flavorF.disabled) throw badRequest("Invalid flavorRef provided.");
  const flavor = instanceFlavor(flavorF);
  if (imageRef) {
    if (!UUID_RE.test(imageRef)) throw badRequest("Can not find requested image");
    let image;
    try {
      image = await deps.image.getImage(imgCaller, imageRef);
    } catch (e) {
      if (!isUnavailable(e)) throw e;
    }
    if (!image) throw badRequest("Can not find requested image");
    if (image.status !== "active") throw badRequest(`Image ${imageRef} is not active.`);
    if (image.minRam > flavor.ram) throw badRequest("Flavor's memory is too small for requested image.");
    if (flavor.disk > 0 && image.minDisk > flavor.disk) throw badRequest("Flavor's disk is too small for requested image.");
    if (flavor.disk > 0 && image.size != null && image.size > flavor.disk * 1024 ** 3) throw badRequest("Flavor's disk is too small for requested image.");
  }

  // key pair
  let keyData: string | null = null;
  if (s.key_name) {
    const kp = resources.keypairs.get(who.userId, s.key_name);
    if (!kp) throw badRequest(`Invalid key_name provided.`);
    keyData = kp.publicKey;
  }

  // networks
  let requested: RequestedNetworks = "auto";
  if (s.networks === "none" || s.networks === "auto") requested = s.networks;
  else if (Array.isArray(s.networks)) {
    requested = s.networks.map((n) => {
      if (n.uuid !== undefined && !UUID_RE.test(n.uuid)) throw badRequest(`Bad networks format: network uuid is not in proper format (${n.uuid})`);
      if (n.port && !UUID_RE.test(n.port)) throw badRequest(`Bad networks format: port uuid is not in proper format (${n.port})`);
      if (!n.uuid && !n.port) throw badRequest("Bad network format: missing 'uuid'");
      return { networkId: n.uuid, portId: n.port ?? undefined, fixedIp: n.fixed_ip, tag: n.tag };
    });
  }
  const minCount = s.min_count ?? 1;
  const maxCount = s.max_count ?? minCount;
  if (minCount > maxCount) throw badRequest("min_count must be <= max_count");
  if (Array.isArray(requested) && requested.some((n) => n.portId) && maxCount > 1) {
    throw badRequest("Unable to launch multiple instances with a single configured port ID. Please launch your instance one by one with different ports.");
  }
  if (requested !== "none") {
    try {
      await deps.network.validateRequested(imgCaller, requested);
    } catch (e) {
      if (!isUnavailable(e)) throw e;
      if (Array.isArray(requested)) {
        const n = requested[0]!;
        throw badRequest(n.networkId ? `Network ${n.networkId} could not be found.` : `Port ${n.portId} not found.`);
      }
    }
  }
  const securityGroups = (s.security_groups ?? [{ name: "default" }]).map((g) => g.name);
  // Unknown security groups are a 400 at create time when the network client can check them
  // (the optional validateSecurityGroups asked of src/network/client.ts); else the build fails on them.
  const checkGroups = (deps.network as { validateSecurityGroups?: (c: { projectId: string; isAdmin: boolean }, groups: string[]) => Promise<void> }).validateSecurityGroups;
  if (checkGroups && requested !== "none" && s.security_groups) await checkGroups.call(deps.network, imgCaller, securityGroups);

  // availability zone
  let requestedAz: string | null = s.availability_zone ?? null;
  if (s.host) requestedAz = `${requestedAz ?? ""}:${s.host}`;
  if (requestedAz) {
    const [zone, host] = requestedAz.split(":", 2);
    const zones = new Set([...ctx.hosts.values()].map((h) => h.zone));
    if (zone && !zones.has(zone)) throw badRequest(`The requested availability zone is not available`);
    if (host) {
      if (!who.isAdmin) throw forbidden();
      if (!ctx.hosts.has(host)) throw badRequest(`Compute host ${host} could not be found.`);
    }
  }

  // server group
  const hints = body["os:scheduler_hints"] ?? body["OS-SCH-HNT:scheduler_hints"] ?? {};
  const groupId = typeof hints.group === "string" ? hints.group : undefined;
  if (groupId) {
    if (!UUID_RE.test(groupId)) throw badRequest(`Invalid input for field/attribute group. Value: ${groupId}. '${groupId}' is not a 'uuid'`);
    if (!resources.serverGroups.get(who, groupId)) throw badRequest(`Invalid server group ${groupId}`);
  }

  const metadata = s.metadata ?? {};
  const userData = s.user_data ?? null;
  if (userData !== null && !/^[A-Za-z0-9+/\s]*={0,2}\s*$/.test(userData)) throw badRequest("User data needs to be valid base 64.");

  const now = ctx.now();
  const reservationId = `r-${Math.random().toString(36).slice(2, 10)}`;
  const configDrive = s.config_drive !== undefined ? toBool(s.config_drive) : false;
  const a = c.get("auth");

  // Quota check and inserts: one transaction, so concurrent creates cannot overshoot.
  const created = deps.db.tx(() => {
    const limits = resources.quotas.limits(who.projectId);
    if (limits.metadata_items >= 0 && Object.keys(metadata).length > limits.metadata_items) {
      throw forbidden(`Quota exceeded for metadata_items: Requested ${Object.keys(metadata).length}, but already used 0 of ${limits.metadata_items} metadata_items`);
    }
    const used = ctx.instances.usage(who.projectId);
    const room = (limit: number, u: number, per: number) => (limit < 0 ? Infinity : per <= 0 ? Infinity : Math.floor((limit - u) / per));
    const allowed = Math.min(
      maxCount,
      room(limits.instances, used.instances, 1),
      room(limits.cores, used.cores, flavor.vcpus),
      room(limits.ram, used.ram, flavor.ram),
    );
    if (allowed < minCount) {
      const checks: [string, number, number, number][] = [
        ["instances", limits.instances, used.instances, 1],
        ["cores", limits.cores, used.cores, flavor.vcpus],
        ["ram", limits.ram, used.ram, flavor.ram],
      ];
      const overs = checks.filter(([, l, u, per]) => l >= 0 && u + per * minCount > l);
      const [res, l, u, per] = overs[0] ?? checks[0]!;
      throw new ApiError(403, quotaMessage(overs.map((o) => o[0]).join(", ") || res, per * minCount, u, l));
    }
    const uuids: string[] = [];
    const actions: Record<string, number> = {};
    for (let n = 0; n < allowed; n++) {
      const uuid = crypto.randomUUID();
      const name = allowed > 1 ? `${s.name}-${n + 1}` : s.name;
      const inst: Instance = {
        seq: 0,
        uuid,
        name,
        description: s.description ?? null,
        projectId: who.projectId,
        userId: who.userId,
        imageRef,
        flavor,
        oldFlavor: null,
        newFlavor: null,
        vmState: VmState.BUILDING,
        taskState: TaskState.SCHEDULING,
        powerState: 0,
        host: null,
        node: null,
        availabilityZone: requestedAz?.split(":")[0] || null,
        requestedAz,
        keyName: s.key_name ?? null,
        keyData,
        userData,
        configDrive,
        metadata,
        tags: [...new Set(s.tags ?? [])],
        securityGroups,
        requestedNetworks: requested,
        addresses: {},
        bdms: bdms.map((b) => ({ ...b })),
        serverGroup: groupId ?? null,
        reservationId,
        launchIndex: n,
        hostname: sanitizeHostname(name, `server-${uuid}`),
        accessIPv4: s.accessIPv4 ?? "",
        accessIPv6: s.accessIPv6 ?? "",
        diskConfig: s["OS-DCF:diskConfig"] ?? "MANUAL",
        locked: false,
        lockedBy: null,
        lockedReason: null,
        trustedCerts: s.trusted_image_certificates ?? null,
        progress: 0,
        fault: null,
        createdAt: now,
        updatedAt: now,
        launchedAt: null,
        terminatedAt: null,
        deleted: false,
      };
      ctx.instances.insert(inst);
      if (groupId) resources.serverGroups.addMember(groupId, uuid);
      actions[uuid] = ctx.actions.start(uuid, "create", c.get("requestId"), a.projectId!, a.userId);
      uuids.push(uuid);
    }
    const req: ScheduleRequest = { uuids, actions };
    deps.bus.castDurable("scheduler", req);
    return uuids;
  });

  if (s.return_reservation_id !== undefined && toBool(s.return_reservation_id)) {
    return c.json({ reservation_id: reservationId }, 202);
  }
  const first = created[0]!;
  const server: Record<string, unknown> = {
    id: first,
    links: serverLinks({ origin: origin(c), mv: [2, 1], isAdmin: false }, who.projectId, first),
    "OS-DCF:diskConfig": s["OS-DCF:diskConfig"] ?? "MANUAL",
    security_groups: securityGroups.map((name) => ({ name })),
    adminPass: s.adminPass ?? Math.random().toString(36).slice(2, 14),
  };
  c.header("Location", `${origin(c)}/v2.1/${who.projectId}/servers/${first}`);
  return c.json({ server }, 202);
}
