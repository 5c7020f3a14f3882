/** The servers side's tables: instances, instance actions and events, services, compute nodes. */
import type { Db } from "../core/db.ts";
import type { RequestedNetworks } from "../network/client.ts";

/** The flavor as an instance keeps it (a copy: later flavor edits or deletes do not change it). */
export interface InstanceFlavor {
  id: string;
  name: string;
  ram: number;
  vcpus: number;
  disk: number;
  ephemeral: number;
  swap: number;
  extraSpecs: Record<string, string>;
}

export interface Bdm {
  bootIndex: number | null;
  sourceType: string;
  destinationType: string;
  uuid?: string;
  volumeId?: string;
  volumeSize?: number;
  deleteOnTermination: boolean;
  deviceName?: string;
  attachmentId?: string;
  tag?: string;
  volumeType?: string;
}

export interface Fault {
  code: number;
  message: string;
  details?: string;
  created: number;
}

export interface AddressEntry {
  version: 4 | 6;
  addr: string;
  type: "fixed" | "floating";
  mac: string;
}

export interface Instance {
  seq: number;
  uuid: string;
  name: string;
  description: string | null;
  projectId: string;
  userId: string;
  imageRef: string;
  flavor: InstanceFlavor;
  oldFlavor: InstanceFlavor | null;
  newFlavor: InstanceFlavor | null;
  vmState: string;
  taskState: string | null;
  powerState: number;
  host: string | null;
  node: string | null;
  availabilityZone: string | null;
  requestedAz: string | null;
  keyName: string | null;
  keyData: string | null;
  userData: string | null;
  configDrive: boolean;
  metadata: Record<string, string>;
  tags: string[];
  securityGroups: string[];
  requestedNetworks: RequestedNetworks;
  addresses: Record<string, AddressEntry[]>;
  bdms: Bdm[];
  serverGroup: string | null;
  reservationId: string;
  launchIndex: number;
  hostname: string;
  accessIPv4: string;
  accessIPv6: string;
  diskConfig: string;
  locked: boolean;
  lockedBy: string | null;
  lockedReason: string | null;
  trustedCerts: string[] | null;
  progress: number;
  fault: Fault | null;
  createdAt: number;
  updatedAt: number;
  launchedAt: number | null;
  terminatedAt: number | null;
  deleted: boolean;
}

interface Row {
  seq: number;
  uuid: string;
  name: string;
  description: string | null;
  project_id: string;
  user_id: string;
  image_ref: string;
  flavor: string;
  old_flavor: string | null;
  new_flavor: string | null;
  vm_state: string;
  task_state: string | null;
  power_state: number;
  host: string | null;
  node: string | null;
  availability_zone: string | null;
  requested_az: string | null;
  key_name: string | null;
  key_data: string | null;
  user_data: string | null;
  config_drive: number;
  metadata: string;
  tags: string;
  security_groups: string;
  requested_networks: string;
  addresses: string;
  bdms: string;
  server_group: string | null;
  reservation_id: string;
  launch_index: number;
  hostname: string;
  access_ip_v4: string;
  access_ip_v6: string;
  disk_config: string;
  locked: number;
  locked_by: string | null;
  locked_reason: string | null;
  trusted_certs: string | null;
  progress: number;
  fault: string | null;
  created_at: number;
  updated_at: number;
  launched_at: number | null;
  terminated_at: number | null;
  deleted: number;
}

const j = <T>(s: string | null): T | null => (s == null ? null : (JSON.parse(s) as T));

export function fromRow(r: Row): Instance {
  return {
    seq: r.seq,
    uuid: r.uuid,
    name: r.name,
    description: r.description,
    projectId: r.project_id,
    userId: r.user_id,
    imageRef: r.image_ref,
    flavor: JSON.parse(r.flavor),
    oldFlavor: j(r.old_flavor),
    newFlavor: j(r.new_flavor),
    vmState: r.vm_state,
    taskState: r.task_state,
    powerState: r.power_state,
    host: r.host,
    node: r.node,
    availabilityZone: r.availability_zone,
    requestedAz: r.requested_az,
    keyName: r.key_name,
    keyData: r.key_data,
    userData: r.user_data,
    configDrive: !!r.config_drive,
    metadata: JSON.parse(r.metadata),
    tags: JSON.parse(r.tags),
    securityGroups: JSON.parse(r.security_groups),
    requestedNetworks: JSON.parse(r.requested_networks),
    addresses: JSON.parse(r.addresses),
    bdms: JSON.parse(r.bdms),
    serverGroup: r.server_group,
    reservationId: r.reservation_id,
    launchIndex: r.launch_index,
    hostname: r.hostname,
    accessIPv4: r.access_ip_v4,
    accessIPv6: r.access_ip_v6,
    diskConfig: r.disk_config,
    locked: !!r.locked,
    lockedBy: r.locked_by,
    lockedReason: r.locked_reason,
    trustedCerts: j(r.trusted_certs),
    progress: r.progress,
    fault: j(r.fault),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    launchedAt: r.launched_at,
    terminatedAt: r.terminated_at,
    deleted: !!r.deleted,
  };
}

/** Instance field → column and how to store it. */
const COLS: Partial<Record<keyof Instance, [string, (v: any) => any]>> = {
  name: ["name", (v) => v],
  description: ["description", (v) => v],
  imageRef: ["image_ref", (v) => v],
  flavor: ["flavor", (v) => JSON.stringify(v)],
  oldFlavor: ["old_flavor", (v) => (v == null ? null : JSON.stringify(v))],
  newFlavor: ["new_flavor", (v) => (v == null ? null : JSON.stringify(v))],
  vmState: ["vm_state", (v) => v],
  taskState: ["task_state", (v) => v],
  powerState: ["power_state", (v) => v],
  host: ["host", (v) => v],
  node: ["node", (v) => v],
  availabilityZone: ["availability_zone", (v) => v],
  keyName: ["key_name", (v) => v],
  keyData: ["key_data", (v) => v],
  userData: ["user_data", (v) => v],
  metadata: ["metadata", (v) => JSON.stringify(v)],
  tags: ["tags", (v) => JSON.stringify(v)],
  securityGroups: ["security_groups", (v) => JSON.stringify(v)],
  addresses: ["addresses", (v) => JSON.stringify(v)],
  bdms: ["bdms", (v) => JSON.stringify(v)],
  serverGroup: ["server_group", (v) => v],
  hostname: ["hostname", (v) => v],
  accessIPv4: ["access_ip_v4", (v) => v],
  accessIPv6: ["access_ip_v6", (v) => v],
  diskConfig: ["disk_config", (v) => v],
  locked: ["locked", (v) => (v ? 1 : 0)],
  lockedBy: ["locked_by", (v) => v],
  lockedReason: ["locked_reason", (v) => v],
  progress: ["progress", (v) => v],
  fault: ["fault", (v) => (v == null ? null : JSON.stringify(v))],
  launchedAt: ["launched_at", (v) => v],
  terminatedAt: ["terminated_at", (v) => v],
  deleted: ["deleted", (v) => (v ? 1 : 0)],
};

/**
 * Instances, with the parsed rows cached in memory (this process is the only
 * writer of its tables; every write through the store forgets the row), so a
 * list of 1,000 servers reads 1,000 uuids instead of parsing 1,000 rows.
 * Returned objects are shared: treat them as read-only.
 */
const MAX_CACHED = 50_000;

export class InstanceStore {
  private cache = new Map<string, Instance>();
  constructor(private db: Db, private now: () => number) {}

  get(uuid: string, includeDeleted = false): Instance | undefined {
    let i = this.cache.get(uuid);
    if (!i) {
      const r = this.db.get<Row>("SELECT * FROM compute_instances WHERE uuid = ?", uuid);
      if (!r) return undefined;
      i = fromRow(r);
      this.remember(i);
    }
    if (i.deleted && !includeDeleted) return undefined;
    return i;
  }

  /** Cache a parsed row; the cache is bounded (a long-lived cloud accumulates deleted rows). */
  private remember(i: Instance): void {
    if (this.cache.size >= MAX_CACHED) this.cache.clear();
    this.cache.set(i.uuid, i);
  }

  /** Forget a cached row (after a write that did not go through the store). */
  forget(uuid: string): void {
    this.cache.delete(uuid);
  }

  /** The cached network addresses of an instance (not a change of the instance: updated_at stays). */
  setAddresses(uuid: string, addresses: Record<string, AddressEntry[]>): void {
    this.db.run("UPDATE compute_instances SET addresses = ? WHERE uuid = ?", JSON.stringify(addresses), uuid);
    this.cache.delete(uuid);
  }

  insert(i: Instance): void {
    this.db.run(
      `INSERT INTO compute_instances (uuid, name, description, project_id, user_id, image_ref, flavor, vm_state, task_state,
        power_state, availability_zone, requested_az, key_name, key_data, user_data, config_drive, metadata, tags,
        security_groups, requested_networks, bdms, server_group, reservation_id, launch_index, hostname, access_ip_v4,
        access_ip_v6, disk_config, trusted_certs, created_at, updated_at)
       VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
      i.uuid, i.name, i.description, i.projectId, i.userId, i.imageRef, JSON.stringify(i.flavor), i.vmState, i.taskState,
      i.powerState, i.availabilityZone, i.requestedAz, i.keyName, i.keyData, i.userData, i.configDrive ? 1 : 0,
      JSON.stringify(i.metadata), JSON.stringify(i.tags), JSON.stringify(i.securityGroups),
      JSON.stringify(i.requestedNetworks), JSON.stringify(i.bdms), i.serverGroup, i.reservationId, i.launchIndex,
      i.hostname, i.accessIPv4, i.accessIPv6, i.diskConfig, i.trustedCerts ? JSON.stringify(i.trustedCerts) : null,
      i.createdAt, i.updatedAt,
    );
  }

  /** Update fields; `expect` guards the write (compare-and-swap on task_state/vm_state). Returns the new row or undefined when the guard failed. */
  update(
    uuid: string,
    fields: Partial<Instance>,
    expect?: { taskState?: (string | null)[]; vmState?: string[] },
  ): Instance | undefined {
    const sets: string[] = [];
    const args: any[] = [];
    for (const [k, v] of Object.entries(fields)) {
      const c = COLS[k as keyof Instance];
      if (!c) throw new Error(`instance field ${k} is not updatable`);
      sets.push(`${c[0]} = ?`);
      args.push(c[1](v));
    }
    sets.push("updated_at = ?");
    args.push(Math.max(this.now(), 0));
    let where = "uuid = ? AND deleted = 0";
    args.push(uuid);
    if (expect?.taskState) {
      const nn = expect.taskState.filter((t) => t !== null);
      const parts: string[] = [];
      if (nn.length) parts.push(`task_state IN (${nn.map(() => "?").join(",")})`);
      if (expect.taskState.includes(null)) parts.push("task_state IS NULL");
      where += ` AND (${parts.join(" OR ") || "0"})`;
      args.push(...nn);
    }
    if (expect?.vmState) {
      where += ` AND vm_state IN (${expect.vmState.map(() => "?").join(",")})`;
      args.push(...expect.vmState);
    }
    const r = this.db.run(`UPDATE compute_instances SET ${sets.join(", ")} WHERE ${where}`, ...args);
    if (!r.changes) return undefined;
    this.cache.delete(uuid);
    return this.get(uuid, true);
  }

  /** Mark deleted (soft: the row stays for usage reports and changes-since). */
  markDeleted(uuid: string): void {
    const now = this.now();
    this.db.run(
      "UPDATE compute_instances SET deleted = 1, vm_state = 'deleted', task_state = NULL, power_state = 0, terminated_at = ?, updated_at = ? WHERE uuid = ?",
      now, now, uuid,
    );
    this.cache.delete(uuid);
  }

  /** Live instances of a project: count, vCPUs and RAM (quota usage). */
  usage(projectId: string): { instances: number; cores: number; ram: number } {
    const r = this.db.get<{ n: number; cores: number | null; ram: number | null }>(
      `SELECT COUNT(*) AS n, SUM(json_extract(flavor, '$.vcpus')) AS cores, SUM(json_extract(flavor, '$.ram')) AS ram
         FROM compute_instances WHERE project_id = ? AND deleted = 0`,
      projectId,
    );
    return { instances: r?.n ?? 0, cores: r?.cores ?? 0, ram: r?.ram ?? 0 };
  }

  /** Resource use per host (what the scheduler and os-hypervisors see). Resized instances hold the larger of their old and new flavors. */
  hostUsage(): Map<string, { vcpus: number; ram: number; disk: number; count: number; groups: Set<string> }> {
    const m = new Map<string, { vcpus: number; ram: number; disk: number; count: number; groups: Set<string> }>();
    const sums = this.db.all<{ host: string; n: number; v: number; r: number; d: number }>(
      `SELECT host, COUNT(*) AS n, SUM(json_extract(flavor, '$.vcpus')) AS v, SUM(json_extract(flavor, '$.ram')) AS r,
              SUM(json_extract(flavor, '$.disk') + json_extract(flavor, '$.ephemeral')) AS d
         FROM compute_instances WHERE deleted = 0 AND host IS NOT NULL GROUP BY host`,
    );
    for (const x of sums) m.set(x.host, { vcpus: x.v ?? 0, ram: x.r ?? 0, disk: x.d ?? 0, count: x.n, groups: new Set() });
    for (const g of this.db.all<{ host: string; server_group: string }>(
      "SELECT DISTINCT host, server_group FROM compute_instances WHERE deleted = 0 AND host IS NOT NULL AND server_group IS NOT NULL",
    )) m.get(g.host)?.groups.add(g.server_group);
    for (const x of this.db.all<{ host: string; flavor: string; old_flavor: string }>(
      "SELECT host, flavor, old_flavor FROM compute_instances WHERE deleted = 0 AND host IS NOT NULL AND vm_state = 'resized' AND old_flavor IS NOT NULL",
    )) {
      const u = m.get(x.host);
      if (!u) continue;
      const f = JSON.parse(x.flavor) as InstanceFlavor;
      const o = JSON.parse(x.old_flavor) as InstanceFlavor;
      u.vcpus += Math.max(0, o.vcpus - f.vcpus);
      u.ram += Math.max(0, o.ram - f.ram);
    }
    return m;
  }

  /** Raw query over instances (list filters are built by the API). */
  select(where: string, args: any[], order: string, limit?: number): Instance[] {
    const sql = `SELECT uuid FROM compute_instances WHERE ${where} ORDER BY ${order}${limit !== undefined ? ` LIMIT ${limit | 0}` : ""}`;
    return this.load(this.db.all<{ uuid: string }>(sql, ...args).map((r) => r.uuid));
  }

  /** Instances by uuid, in that order, from the cache or (the misses, in batches) from the table. */
  private load(uuids: string[]): Instance[] {
    const found = new Map<string, Instance>();
    const missing: string[] = [];
    for (const u of uuids) {
      const i = this.cache.get(u);
      if (i) found.set(u, i);
      else missing.push(u);
    }
    for (let k = 0; k < missing.length; k += 500) {
      const part = missing.slice(k, k + 500);
      const rows = this.db.all<Row>(`SELECT * FROM compute_instances WHERE uuid IN (${part.map(() => "?").join(",")})`, ...part);
      for (const r of rows) {
        const i = fromRow(r);
        this.remember(i);
        found.set(i.uuid, i);
      }
    }
    return uuids.map((u) => found.get(u)).filter((i): i is Instance => !!i);
  }

  onHost(host: string): Instance[] {
    return this.load(this.db.all<{ uuid: string }>("SELECT uuid FROM compute_instances WHERE host = ? AND deleted = 0", host).map((r) => r.uuid));
  }
}

/* ---------------------------------------------------------------- instance actions */

export interface ActionRow {
  id: number;
  instance_uuid: string;
  action: string;
  request_id: string;
  project_id: string;
  user_id: string;
  message: string | null;
  start_time: number;
  finish_time: number | null;
  updated_at: number;
}
export interface EventRow {
  id: number;
  action_id: number;
  event: string;
  host: string | null;
  result: string | null;
  traceback: string | null;
  details: string | null;
  start_time: number;
  finish_time: number | null;
}

export class ActionStore {
  constructor(private db: Db, private now: () => number) {}

  start(instanceUuid: string, action: string, requestId: string, projectId: string, userId: string): number {
    const t = this.now();
    const r = this.db.run(
      "INSERT INTO compute_instance_actions (instance_uuid, action, request_id, project_id, user_id, start_time, updated_at) VALUES (?,?,?,?,?,?,?)",
      instanceUuid, action, requestId, projectId, userId, t, t,
    );
    return Number(r.lastInsertRowid);
  }

  eventStart(actionId: number, event: string, host: string | null): number {
    const t = this.now();
    this.db.run("UPDATE compute_instance_actions SET updated_at = ? WHERE id = ?", t, actionId);
    return Number(
      this.db.run("INSERT INTO compute_instance_action_events (action_id, event, host, start_time) VALUES (?,?,?,?)", actionId, event, host, t)
        .lastInsertRowid,
    );
  }

  eventFinish(eventId: number, ok: boolean, traceback?: string, details?: string): void {
    const t = this.now();
    this.db.run(
      "UPDATE compute_instance_action_events SET finish_time = ?, result = ?, traceback = ?, details = ? WHERE id = ?",
      t, ok ? "Success" : "Error", traceback ?? null, details ?? null, eventId,
    );
    const ev = this.db.get<{ action_id: number }>("SELECT action_id FROM compute_instance_action_events WHERE id = ?", eventId);
    if (ev) {
      this.db.run(
        "UPDATE compute_instance_actions SET updated_at = ?, finish_time = COALESCE(finish_time, ?), message = CASE WHEN ? THEN message ELSE 'Error' END WHERE id = ?",
        t, t, ok ? 1 : 0, ev.action_id,
      );
    }
  }

  list(instanceUuid: string): ActionRow[] {
    return this.db.all<ActionRow>(
      "SELECT * FROM compute_instance_actions WHERE instance_uuid = ? ORDER BY start_time DESC, id DESC",
      instanceUuid,
    );
  }

  byRequest(instanceUuid: string, requestId: string): ActionRow | undefined {
    return this.db.get<ActionRow>(
      "SELECT * FROM compute_instance_actions WHERE instance_uuid = ? AND request_id = ? ORDER BY id DESC",
      instanceUuid, requestId,
    );
  }

  events(actionId: number): EventRow[] {
    return this.db.all<EventRow>("SELECT * FROM compute_instance_action_events WHERE action_id = ? ORDER BY id", actionId);
  }
}
