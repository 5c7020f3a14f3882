/**
 * nova-compute's manager, one per compute host: consumes `compute.<host>`
 * (durable tasks), walks the instance through vm_state/task_state/power_state
 * and calls the hypervisor driver. A failure ends in ERROR with a fault the
 * user reads in `server show` (except where Nova rolls back: a failed
 * snapshot leaves the instance as it was).
 */
import { mkdirSync, existsSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { ApiError } from "../core/errors.ts";
import { requestId } from "../core/ids.ts";
import type { InstancePort } from "../network/client.ts";
import { PowerState, type DriverEvent, type InstanceSpec, type NicSpec, type VolumeSpec } from "../virt/driver.ts";
import { setMigrationStatus } from "./api/migrations.ts";
import { isUnavailable, type ComputeCtx, type ComputeHost } from "./ctx.ts";
import { TaskState, VmState } from "./states.ts";
import type { AddressEntry, Instance, InstanceFlavor } from "./store.ts";

export interface HostTask {
  op: string;
  uuid: string;
  actionId?: number;
  args?: Record<string, any>;
}

export const hostTopic = (host: string) => `compute.${host}`;

/** An error whose message the user may read (faults carry it verbatim). */
function faultMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export function addressesFromPorts(ports: InstancePort[]): Record<string, AddressEntry[]> {
  const out: Record<string, AddressEntry[]> = {};
  for (const p of ports) {
    const list = (out[p.networkName] ??= []);
    for (const ip of p.fixedIps) list.push({ version: ip.version, addr: ip.address, type: "fixed", mac: p.macAddress });
    for (const f of p.floatingIps) list.push({ version: f.address.includes(":") ? 6 : 4, addr: f.address, type: "floating", mac: p.macAddress });
  }
  return out;
}

export function nicsFromPorts(ports: InstancePort[]): NicSpec[] {
  return ports.map((p) => ({
    portId: p.portId,
    networkId: p.networkId,
    macAddress: p.macAddress,
    mtu: p.mtu,
    ips: p.fixedIps.map((ip) => ({ address: ip.address, version: ip.version, cidr: ip.cidr, gateway: ip.gateway, dns: ip.dnsNameservers })),
    floatingIps: p.floatingIps.map((f) => f.address),
  }));
}

/** How often the manager refreshes ports and floating-IP forwards (drivers with host networking only). */
const HEAL_MS = 3000;

/** A free TCP port on 127.0.0.1 (for a floating IP's forward). */
function freePort(): number {
  const l = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = l.port;
  l.stop(true);
  return port;
}

export class ComputeManager {
  private readonly log;
  private healTimer: ReturnType<typeof setInterval> | undefined;
  private healing = false;
  /** the forwards last applied per port (a restart applies them again: the driver skips what it has) */
  private readonly forwardsSeen = new Map<string, string>();
  constructor(private ctx: ComputeCtx, readonly host: ComputeHost) {
    this.log = ctx.deps.log.child(`compute.${host.name}`);
  }

  get driver() {
    return this.host.driver;
  }

  /** Subscribe to the host's topic; reconcile what the database says with what the driver has. */
  async start(): Promise<void> {
    await this.driver.init();
    const known = new Set(this.driver.listInstances());
    const busy = new Set(this.ctx.deps.bus.pendingOn<HostTask>(hostTopic(this.host.name)).map((t) => t.uuid));
    for (const i of this.ctx.instances.onHost(this.host.name)) {
      if (busy.has(i.uuid)) continue;
      if (i.vmState === VmState.BUILDING) {
        this.fail(i.uuid, new Error("The compute service restarted while the instance was building."), 500);
        continue;
      }
      const rec = (this.driver as { recover?: (s: InstanceSpec, p: number) => void }).recover;
      if (!known.has(i.uuid) && rec) {
        // An in-memory driver lost its guests: bring them back as the database says.
        rec.call(this.driver, this.baseSpec(i), i.powerState as any);
      } else if (!known.has(i.uuid) && i.vmState !== VmState.ERROR) {
        this.ctx.instances.update(i.uuid, { vmState: VmState.STOPPED, powerState: PowerState.SHUTDOWN, taskState: null });
        continue;
      }
      if (i.taskState && i.taskState !== TaskState.DELETING) this.ctx.instances.update(i.uuid, { taskState: null });
    }
    this.driver.setEventListener?.((e) => this.onDriverEvent(e));
    if (this.driver.updateForwards) {
      // Nova's _heal_instance_info_cache, for drivers with host networking: floating IPs become host port forwards
      this.healTimer = setInterval(() => void this.heal(), HEAL_MS);
      (this.healTimer as { unref?: () => void }).unref?.();
    }
    this.ctx.deps.bus.consume<HostTask, void>(hostTopic(this.host.name), (t) => this.handle(t));
    this.ctx.deps.bus.consume<{ op: string; uuid: string; args?: any }, unknown>(`${hostTopic(this.host.name)}.call`, (m) => this.call(m));
  }

  /**
   * A power-state change the driver saw on its own (a guest that shut itself
   * down, a hypervisor process that died): Nova's power-state sync — a guest
   * that stopped while ACTIVE becomes SHUTOFF. Changes caused by our own calls
   * are left to the task in progress.
   */
  private onDriverEvent(e: DriverEvent): void {
    if (e.expected) return;
    const i = this.ctx.instances.get(e.uuid);
    if (!i || i.host !== this.host.name || i.taskState) return;
    this.log.info(`instance ${e.uuid}: power state ${e.powerState} (${e.reason})`);
    const stopped = e.powerState === PowerState.SHUTDOWN || e.powerState === PowerState.CRASHED || e.powerState === PowerState.NOSTATE;
    if (stopped && (i.vmState === VmState.ACTIVE || i.vmState === VmState.PAUSED || i.vmState === VmState.SUSPENDED)) {
      const done = this.ctx.instances.update(e.uuid, { powerState: e.powerState, vmState: VmState.STOPPED }, { taskState: [null] });
      if (!done) return;
      // Nova's power-state sync stops the instance through the API: a "stop"
      // action the user sees in `openstack server event list`, here with why.
      this.recordSync(i, "stop", "compute_stop_instance", `The instance stopped outside of Compute (${e.reason}); power state sync set it to SHUTOFF.`);
      this.publish("compute.instance.power_off.end", done);
    } else {
      this.ctx.instances.update(e.uuid, { powerState: e.powerState }, { taskState: [null] });
    }
  }

  /** An instance action (and its one event) for something Compute noticed rather than was asked for. */
  private recordSync(i: Instance, action: string, event: string, details: string): void {
    try {
      const id = this.ctx.actions.start(i.uuid, action, requestId(), i.projectId, i.userId);
      const ev = this.ctx.actions.eventStart(id, event, this.host.name);
      this.ctx.actions.eventFinish(ev, true, undefined, details);
      // the event's details need microversion 2.84; the action's message shows at every version
      this.ctx.deps.db.run("UPDATE compute_instance_actions SET message = ? WHERE id = ?", details, id);
    } catch (err) {
      this.log.warn(`recording the ${action} of ${i.uuid}: ${faultMessage(err)}`);
    }
  }

  stop(): void {
    if (this.healTimer) clearInterval(this.healTimer);
    this.healTimer = undefined;
  }

  /**
   * Refresh what Neutron changed behind Compute's back (a floating IP
   * associated with `openstack server add floating ip` goes to Neutron only):
   * the cached addresses, and each floating IP as a host port forward
   * 127.0.0.1:<port> → the guest's port 22, shown in the server's metadata
   * as `tenrec:forward:<floating ip>` = `127.0.0.1:<port>->22/tcp`.
   */
  async heal(): Promise<void> {
    if (this.healing || !this.driver.updateForwards) return;
    this.healing = true;
    try {
      for (const i of this.ctx.instances.onHost(this.host.name)) {
        if (i.taskState || ![VmState.ACTIVE, VmState.STOPPED, VmState.PAUSED].includes(i.vmState as any)) continue;
        if (!this.driver.listInstances().includes(i.uuid)) continue;
        let ports: InstancePort[];
        try {
          ports = await this.ctx.deps.network.instancePorts(i.uuid);
        } catch {
          continue;
        }
        const cur = this.ctx.instances.get(i.uuid);
        if (!cur || cur.taskState) continue;
        const addresses = addressesFromPorts(ports);
        if (JSON.stringify(addresses) !== JSON.stringify(cur.addresses)) this.ctx.instances.setAddresses(i.uuid, addresses);
        await this.syncForwards(cur, ports);
      }
    } catch (e) {
      this.log.debug(`heal: ${faultMessage(e)}`);
    } finally {
      this.healing = false;
    }
  }

  private async syncForwards(i: Instance, ports: InstancePort[]): Promise<void> {
    const meta = { ...i.metadata };
    const prefix = "tenrec:forward:";
    const wanted = new Set<string>();
    for (const p of ports) {
      const forwards: { proto: "tcp"; hostPort: number; guestPort: number; hostAddr: string }[] = [];
      for (const f of p.floatingIps) {
        wanted.add(f.address);
        const have = /^127\.0\.0\.1:(\d+)->22\/tcp$/.exec(meta[prefix + f.address] ?? "");
        const hostPort = have ? Number(have[1]) : freePort();
        meta[prefix + f.address] = `127.0.0.1:${hostPort}->22/tcp`;
        forwards.push({ proto: "tcp", hostPort, guestPort: 22, hostAddr: "127.0.0.1" });
      }
      const sig = JSON.stringify(forwards);
      if (this.forwardsSeen.get(p.portId) === sig) continue;
      try {
        await this.driver.updateForwards!(i.uuid, p.portId, forwards);
        this.forwardsSeen.set(p.portId, sig);
        if (forwards.length) this.log.info(`instance ${i.uuid}: ${forwards.map((f) => `127.0.0.1:${f.hostPort}->22`).join(", ")} (port ${p.portId})`);
      } catch (e) {
        this.log.warn(`port forwards of ${i.uuid}: ${faultMessage(e)}`);
      }
    }
    for (const k of Object.keys(meta)) if (k.startsWith(prefix) && !wanted.has(k.slice(prefix.length))) delete meta[k];
    if (JSON.stringify(meta) !== JSON.stringify(i.metadata)) this.ctx.instances.update(i.uuid, { metadata: meta });
  }

  /** Synchronous requests (bus.call): console output, consoles. */
  private async call(m: { op: string; uuid: string; args?: any }): Promise<unknown> {
    switch (m.op) {
      case "console_output":
        return this.driver.consoleOutput(m.uuid, m.args?.length);
      case "get_console":
        return this.driver.getConsole(m.uuid, m.args?.type ?? "novnc");
      case "attach_interface":
        return this.driver.attachInterface(m.uuid, m.args.nic);
      case "detach_interface":
        return this.driver.detachInterface(m.uuid, m.args.portId);
      default:
        throw new Error(`unknown call ${m.op}`);
    }
  }

  private async handle(t: HostTask): Promise<void> {
    const fn = (this as any)[`op_${t.op}`] as ((t: HostTask, i: Instance) => Promise<void>) | undefined;
    if (!fn) {
      this.log.error(`unknown task ${t.op}`);
      return;
    }
    const inst = this.ctx.instances.get(t.uuid);
    if (!inst) return; // deleted meanwhile
    if (inst.taskState === TaskState.DELETING && t.op !== "terminate") return;
    await fn.call(this, t, inst);
  }

  /* ----------------------------------------------------------------- helpers */

  private event<T>(t: HostTask, name: string, fn: () => Promise<T>): Promise<T> {
    const evId = t.actionId ? this.ctx.actions.eventStart(t.actionId, name, this.host.name) : 0;
    return fn().then(
      (v) => {
        if (evId) this.ctx.actions.eventFinish(evId, true);
        return v;
      },
      (e) => {
        if (evId) this.ctx.actions.eventFinish(evId, false, e instanceof Error ? e.stack : String(e), faultMessage(e));
        throw e;
      },
    );
  }

  private fail(uuid: string, e: unknown, code = 500): void {
    this.log.warn(`instance ${uuid}: ${faultMessage(e)}`);
    this.ctx.instances.update(uuid, {
      vmState: VmState.ERROR,
      taskState: null,
      fault: { code, message: faultMessage(e), details: e instanceof Error && code === 500 ? (e.stack ?? "") : "", created: this.ctx.now() },
    });
  }

  private set(uuid: string, fields: Partial<Instance>): Instance | undefined {
    return this.ctx.instances.update(uuid, fields);
  }

  private publish(type: string, i: Instance): void {
    this.ctx.deps.bus.publish(type, {
      instance_id: i.uuid,
      tenant_id: i.projectId,
      user_id: i.userId,
      display_name: i.name,
      host: this.host.name,
      state: i.vmState,
      instance_type: i.flavor.name,
      memory_mb: i.flavor.ram,
      vcpus: i.flavor.vcpus,
      root_gb: i.flavor.disk,
    });
  }

  baseSpec(i: Instance, flavor: InstanceFlavor = i.flavor): InstanceSpec {
    return {
      uuid: i.uuid,
      name: `instance-${i.seq.toString(16).padStart(8, "0")}`,
      hostname: i.hostname,
      projectId: i.projectId,
      userId: i.userId,
      vcpus: flavor.vcpus,
      memoryMb: flavor.ram,
      rootGb: flavor.disk,
      ephemeralGb: flavor.ephemeral,
      swapMb: flavor.swap,
      volumes: [],
      nics: [],
      userData: i.userData ?? undefined,
      metadata: i.metadata,
      keyName: i.keyName ?? undefined,
      keyData: i.keyData ?? undefined,
      configDrive: i.configDrive,
      availabilityZone: i.availabilityZone ?? "nova",
    };
  }

  /** The image on local disk for drivers that read it (the fake driver does not). */
  private async fetchImage(i: Instance, imageId: string): Promise<NonNullable<InstanceSpec["image"]>> {
    const caller = { projectId: i.projectId, isAdmin: true };
    const image = await this.ctx.deps.image.getImage(caller, imageId);
    if (!image) throw new ApiError(400, `Image ${imageId} could not be found.`);
    if (image.status !== "active") throw new Error(`Image ${imageId} is not active.`);
    const format = image.diskFormat === "qcow2" ? "qcow2" : "raw";
    const dir = join(this.ctx.deps.cfg.dataDir, "compute", "images");
    const path = join(dir, image.id);
    if (this.driver.type !== "fake" && !existsSync(path)) {
      mkdirSync(dir, { recursive: true });
      const { body } = await this.ctx.deps.image.openData(caller, image.id);
      const tmp = `${path}.part-${crypto.randomUUID()}`;
      try {
        await Bun.write(tmp, new Response(body));
        renameSync(tmp, path);
      } catch (e) {
        rmSync(tmp, { force: true });
        throw e;
      }
    }
    return { id: image.id, path, format, properties: image.properties };
  }

  private async ports(i: Instance): Promise<InstancePort[]> {
    try {
      return await this.ctx.deps.network.instancePorts(i.uuid);
    } catch (e) {
      if (isUnavailable(e)) return [];
      throw e;
    }
  }

  private async fullSpec(i: Instance, flavor: InstanceFlavor = i.flavor, imageId = i.imageRef): Promise<InstanceSpec> {
    const spec = this.baseSpec(i, flavor);
    if (imageId) spec.image = await this.fetchImage(i, imageId);
    spec.nics = nicsFromPorts(await this.ports(i));
    return spec;
  }

  /* ------------------------------------------------------------------ build */

  async op_build(t: HostTask, i: Instance): Promise<void> {
    const caller = { projectId: i.projectId, isAdmin: true };
    try {
      await this.event(t, "compute__do_build_and_run_instance", async () => {
        // networking
        const building = { taskState: [TaskState.SCHEDULING, TaskState.NETWORKING, TaskState.BLOCK_DEVICE_MAPPING, TaskState.SPAWNING] };
        let cur = this.ctx.instances.update(i.uuid, { taskState: TaskState.NETWORKING }, building);
        if (!cur) return;
        let ports: InstancePort[] = [];
        if (i.requestedNetworks !== "none") {
          try {
            ports = await this.ctx.deps.network.allocateForInstance(caller, i.uuid, i.requestedNetworks, {
              host: this.host.name,
              availabilityZone: i.availabilityZone ?? "nova",
              securityGroups: i.securityGroups,
            });
          } catch (e) {
            if (!isUnavailable(e)) throw e;
          }
        }
        cur = this.ctx.instances.update(i.uuid, { taskState: TaskState.BLOCK_DEVICE_MAPPING, addresses: addressesFromPorts(ports) }, building);
        if (!cur) return;
        // block devices
        const spec = this.baseSpec(cur);
        spec.nics = nicsFromPorts(ports);
        const bdms = cur.bdms.map((b) => ({ ...b }));
        for (const b of bdms) {
          if (b.destinationType !== "volume") continue;
          const device = b.deviceName ?? (b.bootIndex === 0 ? "/dev/vda" : `/dev/vd${String.fromCharCode(98 + spec.volumes.length)}`);
          let volumeId = b.volumeId ?? (b.sourceType === "volume" ? b.uuid : undefined);
          if (!volumeId) {
            const v = await this.ctx.deps.volume.createVolume(caller, {
              size: b.volumeSize ?? cur.flavor.disk,
              imageId: b.sourceType === "image" ? b.uuid : undefined,
              snapshotId: b.sourceType === "snapshot" ? b.uuid : undefined,
              availabilityZone: cur.availabilityZone ?? undefined,
              volumeType: b.volumeType,
            });
            volumeId = v.id;
          }
          const { attachmentId } = await this.ctx.deps.volume.reserveAttachment(caller, volumeId, i.uuid);
          const conn = await this.ctx.deps.volume.completeAttachment(caller, attachmentId, { host: this.host.name, mountpoint: device });
          Object.assign(b, { volumeId, attachmentId, deviceName: device });
          const vs: VolumeSpec = { volumeId, device, path: conn.path, format: conn.format };
          if (b.bootIndex === 0) spec.rootVolume = vs;
          else spec.volumes.push(vs);
        }
        cur = this.ctx.instances.update(i.uuid, { taskState: TaskState.SPAWNING, bdms }, building);
        if (!cur) return;
        if (i.imageRef && !spec.rootVolume) spec.image = await this.fetchImage(cur, i.imageRef);
        await this.driver.spawn(spec, (pct) => this.set(i.uuid, { progress: pct }));
        const now = this.ctx.now();
        const done = this.ctx.instances.update(
          i.uuid,
          { vmState: VmState.ACTIVE, taskState: null, powerState: this.driver.powerState(i.uuid), launchedAt: now, progress: 0 },
          { taskState: [TaskState.SPAWNING] },
        );
        if (!done) {
          // deleted while spawning: undo
          await this.driver.destroy(i.uuid).catch(() => {});
          return;
        }
        this.publish("compute.instance.create.end", done);
      });
    } catch (e) {
      const again = this.ctx.instances.get(i.uuid);
      if (!again || again.taskState === TaskState.DELETING) return;
      await this.driver.destroy(i.uuid).catch(() => {});
      this.fail(i.uuid, e, e instanceof ApiError ? e.status : 500);
    }
  }

  /* ----------------------------------------------------------------- delete */

  async op_terminate(t: HostTask, i: Instance): Promise<void> {
    await this.event(t, "compute_terminate_instance", async () => {
      await terminateInstance(this.ctx, i, this.driver);
    }).catch((e) => this.fail(i.uuid, e));
    const gone = this.ctx.instances.get(i.uuid, true);
    if (gone?.deleted) this.publish("compute.instance.delete.end", gone);
  }

  /* ---------------------------------------------------------- power actions */

  private async simple(
    t: HostTask,
    i: Instance,
    event: string,
    work: () => Promise<void>,
    after: Partial<Instance> | (() => Partial<Instance>),
    onError: "error" | "restore" = "restore",
  ): Promise<void> {
    try {
      await this.event(t, event, work);
      const done = this.set(i.uuid, { taskState: null, powerState: this.driver.powerState(i.uuid), ...(typeof after === "function" ? after() : after) });
      if (done) this.publish(`compute.instance.${t.op}.end`, done);
    } catch (e) {
      if (onError === "error") this.fail(i.uuid, e);
      else {
        this.log.warn(`${t.op} of ${i.uuid} failed: ${faultMessage(e)}`);
        this.set(i.uuid, { taskState: null, fault: { code: 500, message: faultMessage(e), created: this.ctx.now() } });
      }
    }
  }

  op_stop(t: HostTask, i: Instance) {
    return this.simple(t, i, "compute_stop_instance", () => this.driver.powerOff(i.uuid, t.args?.timeout), { vmState: VmState.STOPPED });
  }
  op_start(t: HostTask, i: Instance) {
    return this.simple(t, i, "compute_start_instance", () => this.driver.powerOn(i.uuid), { vmState: VmState.ACTIVE });
  }
  op_reboot(t: HostTask, i: Instance) {
    return this.simple(t, i, "compute_reboot_instance", () => this.driver.reboot(i.uuid, t.args?.type ?? "SOFT"), { vmState: VmState.ACTIVE }, "error");
  }
  op_pause(t: HostTask, i: Instance) {
    return this.simple(t, i, "compute_pause_instance", () => this.driver.pause(i.uuid), { vmState: VmState.PAUSED });
  }
  op_unpause(t: HostTask, i: Instance) {
    return this.simple(t, i, "compute_unpause_instance", () => this.driver.unpause(i.uuid), { vmState: VmState.ACTIVE });
  }
  op_suspend(t: HostTask, i: Instance) {
    return this.simple(t, i, "compute_suspend_instance", () => this.driver.suspend(i.uuid), { vmState: VmState.SUSPENDED });
  }
  op_resume(t: HostTask, i: Instance) {
    return this.simple(t, i, "compute_resume_instance", () => this.driver.resume(i.uuid), { vmState: VmState.ACTIVE });
  }

  /* ---------------------------------------------------------------- rebuild */

  async op_rebuild(t: HostTask, i: Instance): Promise<void> {
    const wasStopped = t.args?.wasStopped === true;
    await this.simple(
      t,
      i,
      "compute_rebuild_instance",
      async () => {
        this.set(i.uuid, { taskState: TaskState.REBUILD_SPAWNING });
        const cur = this.ctx.instances.get(i.uuid)!;
        const spec = await this.fullSpec(cur, cur.flavor, cur.imageRef);
        await this.driver.rebuild(spec);
        if (wasStopped) await this.driver.powerOff(i.uuid);
      },
      () => ({ vmState: wasStopped ? VmState.STOPPED : VmState.ACTIVE, launchedAt: this.ctx.now() }),
      "error",
    );
  }

  /* ----------------------------------------------------------------- resize */

  async op_resize(t: HostTask, i: Instance): Promise<void> {
    const wasStopped = i.vmState === VmState.STOPPED;
    try {
      await this.event(t, "compute_prep_resize", async () => {
        this.set(i.uuid, { taskState: TaskState.RESIZE_MIGRATING });
        setMigrationStatus(this.ctx, i.uuid, "migrating", ["pre-migrating"]);
      });
      await this.event(t, "compute_resize_instance", async () => {
        this.set(i.uuid, { taskState: TaskState.RESIZE_MIGRATED });
      });
      await this.event(t, "compute_finish_resize", async () => {
        const cur = this.set(i.uuid, { taskState: TaskState.RESIZE_FINISH })!;
        const spec = await this.fullSpec(cur, cur.newFlavor ?? cur.flavor);
        await this.driver.resize(spec);
        if (!wasStopped) await this.driver.powerOn(i.uuid);
        this.set(i.uuid, {
          vmState: VmState.RESIZED,
          taskState: null,
          oldFlavor: cur.flavor,
          flavor: cur.newFlavor ?? cur.flavor,
          newFlavor: null,
          powerState: this.driver.powerState(i.uuid),
        });
        setMigrationStatus(this.ctx, i.uuid, "finished", ["migrating"]);
      });
    } catch (e) {
      setMigrationStatus(this.ctx, i.uuid, "error", ["pre-migrating", "migrating"]);
      this.fail(i.uuid, e);
    }
  }

  async op_confirm_resize(t: HostTask, i: Instance): Promise<void> {
    const stopped = this.driver.powerState(i.uuid) === PowerState.SHUTDOWN;
    await this.simple(t, i, "compute_confirm_resize", async () => {
      setMigrationStatus(this.ctx, i.uuid, "confirmed", ["finished"]);
    }, { vmState: stopped ? VmState.STOPPED : VmState.ACTIVE, oldFlavor: null }, "error");
  }

  async op_revert_resize(t: HostTask, i: Instance): Promise<void> {
    const stopped = this.driver.powerState(i.uuid) === PowerState.SHUTDOWN;
    const old = i.oldFlavor ?? i.flavor;
    await this.simple(
      t,
      i,
      "compute_revert_resize",
      async () => {
        const spec = await this.fullSpec(i, old);
        await this.driver.resize(spec);
        if (!stopped) await this.driver.powerOn(i.uuid);
        setMigrationStatus(this.ctx, i.uuid, "reverted", ["finished"]);
      },
      { vmState: stopped ? VmState.STOPPED : VmState.ACTIVE, flavor: old, oldFlavor: null },
      "error",
    );
  }

  /** Keep the newest `rotation` backups of this type (Nova's createBackup rotation). */
  private async rotateBackups(i: Instance, imageId: string, type: string, rotation: number): Promise<void> {
    const { db } = this.ctx.deps;
    db.run("INSERT OR REPLACE INTO compute_backups (image_id, instance_uuid, backup_type, created_at) VALUES (?,?,?,?)", imageId, i.uuid, type, this.ctx.now());
    const rows = db.all<{ image_id: string }>(
      "SELECT image_id FROM compute_backups WHERE instance_uuid = ? AND backup_type = ? ORDER BY created_at DESC, rowid DESC",
      i.uuid, type,
    );
    for (const r of rows.slice(rotation)) {
      await this.ctx.deps.image.deleteImage({ projectId: i.projectId, isAdmin: true }, r.image_id).catch(() => {});
      db.run("DELETE FROM compute_backups WHERE image_id = ?", r.image_id);
    }
  }

  /* ---------------------------------------------------------------- volumes */

  async op_attach_volume(t: HostTask, i: Instance): Promise<void> {
    const volumeId = t.args!.volumeId as string;
    const caller = { projectId: i.projectId, isAdmin: true };
    const b = i.bdms.find((x) => x.volumeId === volumeId);
    if (!b?.attachmentId) return;
    try {
      await this.event(t, "compute_attach_volume", async () => {
        const conn = await this.ctx.deps.volume.completeAttachment(caller, b.attachmentId!, { host: this.host.name, mountpoint: b.deviceName ?? "/dev/vdb" });
        await this.driver.attachVolume(i.uuid, { volumeId, device: b.deviceName ?? "/dev/vdb", path: conn.path, format: conn.format });
      });
    } catch (e) {
      this.log.warn(`attaching volume ${volumeId} to ${i.uuid} failed: ${faultMessage(e)}`);
      await this.ctx.deps.volume.deleteAttachment(caller, b.attachmentId).catch(() => {});
      const cur = this.ctx.instances.get(i.uuid);
      if (cur) this.set(i.uuid, { bdms: cur.bdms.filter((x) => x.volumeId !== volumeId) });
    }
  }

  async op_detach_volume(t: HostTask, i: Instance): Promise<void> {
    const volumeId = t.args!.volumeId as string;
    const caller = { projectId: i.projectId, isAdmin: true };
    const b = i.bdms.find((x) => x.volumeId === volumeId);
    if (!b) return;
    try {
      await this.event(t, "compute_detach_volume", async () => {
        await this.driver.detachVolume(i.uuid, volumeId);
        if (b.attachmentId) await this.ctx.deps.volume.deleteAttachment(caller, b.attachmentId);
      });
      const cur = this.ctx.instances.get(i.uuid);
      if (cur) this.set(i.uuid, { bdms: cur.bdms.filter((x) => x.volumeId !== volumeId) });
    } catch (e) {
      this.log.warn(`detaching volume ${volumeId} from ${i.uuid} failed: ${faultMessage(e)}`);
    }
  }

  /* --------------------------------------------------------------- snapshot */

  async op_snapshot(t: HostTask, i: Instance): Promise<void> {
    const imageId = t.args!.imageId as string;
    const caller = { projectId: i.projectId, isAdmin: true };
    try {
      await this.event(t, "compute_snapshot_instance", async () => {
        this.set(i.uuid, { taskState: TaskState.IMAGE_PENDING_UPLOAD });
        const snap = await this.driver.snapshot(i.uuid);
        this.set(i.uuid, { taskState: TaskState.IMAGE_UPLOADING });
        await this.ctx.deps.image.uploadData(caller, imageId, snap.body);
      });
      this.set(i.uuid, { taskState: null });
      if (t.args?.backupType !== undefined) await this.rotateBackups(i, imageId, t.args.backupType, Number(t.args.rotation ?? 0));
    } catch (e) {
      this.log.warn(`snapshot of ${i.uuid} failed: ${faultMessage(e)}`);
      await this.ctx.deps.image.deleteImage(caller, imageId).catch(() => {});
      this.set(i.uuid, { taskState: null });
    }
  }
}

/**
 * Tear an instance down: the guest, its ports, its volume attachments
 * (deleting volumes marked delete_on_termination), its server-group
 * membership; then the row is soft-deleted. Used by the manager and by the
 * API's local delete (an instance that never reached a host).
 */
export async function terminateInstance(ctx: ComputeCtx, i: Instance, driver?: { destroy(uuid: string): Promise<void> }): Promise<void> {
  const caller = { projectId: i.projectId, isAdmin: true };
  if (driver) await driver.destroy(i.uuid);
  try {
    await ctx.deps.network.deallocateForInstance(i.uuid);
  } catch (e) {
    if (!isUnavailable(e)) ctx.deps.log.warn(`deallocating the ports of ${i.uuid}: ${faultMessage(e)}`);
  }
  for (const b of i.bdms) {
    try {
      if (b.attachmentId) await ctx.deps.volume.deleteAttachment(caller, b.attachmentId);
      if (b.volumeId && b.deleteOnTermination) await ctx.deps.volume.deleteVolume(caller, b.volumeId);
    } catch (e) {
      if (!isUnavailable(e)) ctx.deps.log.warn(`detaching volume ${b.volumeId} of ${i.uuid}: ${faultMessage(e)}`);
    }
  }
  ctx.deps.db.tx(() => {
    ctx.resources.serverGroups.removeMember(i.uuid);
    ctx.instances.markDeleted(i.uuid);
  });
}
