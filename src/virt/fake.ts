/**
 * The fake hypervisor driver (nova/virt/fake.py's counterpart): guests are
 * records in memory, every operation succeeds at once (after an optional
 * delay), power state follows the calls. For API-only CI and benchmarks.
 *
 * Failure injection for tests: an image property `fake_fail_spawn` (any
 * value) makes spawn throw, like a hypervisor that cannot boot the image.
 */
import {
  PowerState,
  type ComputeDriver,
  type ConsoleInfo,
  type HostInfo,
  type InstanceSpec,
  type NicSpec,
  type PowerStateValue,
  type VolumeSpec,
} from "./driver.ts";

interface FakeGuest {
  spec: InstanceSpec;
  power: PowerStateValue;
  console: string[];
  volumes: Map<string, VolumeSpec>;
  nics: Map<string, NicSpec>;
}

export interface FakeDriverOptions {
  hostname: string;
  /** Milliseconds added to every operation. */
  delayMs?: number;
  /** The delays follow this clock: advancing the virtual clock ends them (default: real time). */
  clock?: { sleep(ms: number): Promise<void> };
  vcpus?: number;
  memoryMb?: number;
  localGb?: number;
  hostIp?: string;
}

export class FakeDriver implements ComputeDriver {
  readonly type = "fake";
  private guests = new Map<string, FakeGuest>();
  private delayMs: number;
  private clock?: { sleep(ms: number): Promise<void> };

  constructor(private opts: FakeDriverOptions) {
    this.delayMs = opts.delayMs ?? 0;
    this.clock = opts.clock;
  }

  private async delay(): Promise<void> {
    if (this.delayMs > 0) await (this.clock ? this.clock.sleep(this.delayMs) : new Promise((r) => setTimeout(r, this.delayMs)));
  }

  private guest(uuid: string): FakeGuest {
    const g = this.guests.get(uuid);
    if (!g) throw new Error(`Instance ${uuid} could not be found on the hypervisor.`);
    return g;
  }

  private log(g: FakeGuest, line: string): void {
    g.console.push(`[${(performance.now() / 1000).toFixed(6).padStart(12)}] ${line}`);
    if (g.console.length > 1000) g.console.splice(0, g.console.length - 1000);
  }

  async init(): Promise<void> {}

  hostInfo(): HostInfo {
    return {
      hostname: this.opts.hostname,
      hypervisorType: "fake",
      hypervisorVersion: 1000,
      vcpus: this.opts.vcpus ?? 64,
      memoryMb: this.opts.memoryMb ?? 262144,
      localGb: this.opts.localGb ?? 4096,
      cpuInfo: { arch: "x86_64", model: "fake", vendor: "tenrec", topology: { cells: 1, sockets: 1, cores: this.opts.vcpus ?? 64, threads: 1 }, features: [] },
      hostIp: this.opts.hostIp ?? "127.0.0.1",
    };
  }

  async spawn(spec: InstanceSpec, progress?: (pct: number) => void): Promise<void> {
    await this.delay();
    if (spec.image?.properties?.fake_fail_spawn !== undefined) {
      throw new Error(`Fake driver: spawn of ${spec.uuid} failed as the image asks (fake_fail_spawn).`);
    }
    const g: FakeGuest = { spec, power: PowerState.RUNNING, console: [], volumes: new Map(), nics: new Map() };
    for (const n of spec.nics) g.nics.set(n.portId, n);
    for (const v of spec.volumes) g.volumes.set(v.volumeId, v);
    this.guests.set(spec.uuid, g);
    progress?.(100);
    this.log(g, `Linux version 6.1.0-fake (tenrec fake driver) booting ${spec.name}`);
    this.log(g, `Memory: ${spec.memoryMb}MB, CPUs: ${spec.vcpus}`);
    for (const n of spec.nics) for (const ip of n.ips) this.log(g, `eth: ${n.macAddress} ${ip.address}/${ip.cidr.split("/")[1] ?? ""}`);
    this.log(g, `cloud-init: hostname ${spec.hostname}`);
    if (spec.keyName) this.log(g, `cloud-init: ssh key ${spec.keyName} installed`);
    this.log(g, `${spec.hostname} login:`);
  }

  async destroy(uuid: string): Promise<void> {
    await this.delay();
    this.guests.delete(uuid);
  }

  /** A guest the driver lost (restart of the in-memory driver) is re-created stopped rather than failing. */
  private adopt(uuid: string): FakeGuest {
    const g = this.guests.get(uuid);
    if (g) return g;
    throw new Error(`Instance ${uuid} could not be found on the hypervisor.`);
  }

  async powerOff(uuid: string): Promise<void> {
    await this.delay();
    const g = this.adopt(uuid);
    g.power = PowerState.SHUTDOWN;
    this.log(g, "reboot: Power down");
  }
  async powerOn(uuid: string): Promise<void> {
    await this.delay();
    const g = this.adopt(uuid);
    g.power = PowerState.RUNNING;
    this.log(g, "Booting again");
  }
  async reboot(uuid: string, type: "SOFT" | "HARD"): Promise<void> {
    await this.delay();
    const g = this.adopt(uuid);
    g.power = PowerState.RUNNING;
    this.log(g, `reboot (${type.toLowerCase()}): Restarting system`);
  }
  async pause(uuid: string): Promise<void> {
    await this.delay();
    this.guest(uuid).power = PowerState.PAUSED;
  }
  async unpause(uuid: string): Promise<void> {
    await this.delay();
    this.guest(uuid).power = PowerState.RUNNING;
  }
  async suspend(uuid: string): Promise<void> {
    await this.delay();
    this.guest(uuid).power = PowerState.SUSPENDED;
  }
  async resume(uuid: string): Promise<void> {
    await this.delay();
    this.guest(uuid).power = PowerState.RUNNING;
  }
  async rebuild(spec: InstanceSpec): Promise<void> {
    await this.delay();
    const old = this.guests.get(spec.uuid);
    const g: FakeGuest = { spec, power: PowerState.RUNNING, console: old?.console ?? [], volumes: old?.volumes ?? new Map(), nics: old?.nics ?? new Map() };
    this.guests.set(spec.uuid, g);
    this.log(g, `rebuilt from image ${spec.image?.id ?? "(volume)"}`);
  }
  async resize(spec: InstanceSpec): Promise<void> {
    await this.delay();
    const g = this.guest(spec.uuid);
    g.spec = spec;
    this.log(g, `resized: ${spec.vcpus} CPUs, ${spec.memoryMb}MB, ${spec.rootGb}GB`);
  }
  powerState(uuid: string): PowerStateValue {
    return this.guests.get(uuid)?.power ?? PowerState.NOSTATE;
  }
  async consoleOutput(uuid: string, tailLines?: number): Promise<string> {
    await this.delay();
    // Nova's tail: split the log on newlines (the last piece is the empty one
    // after the final newline) and keep the last `tailLines` pieces.
    const text = this.guest(uuid).console.map((l) => l + "\n").join("");
    if (tailLines === undefined) return text;
    return tailLines <= 0 ? "" : text.split("\n").slice(-tailLines).join("\n");
  }
  async snapshot(uuid: string): Promise<{ body: ReadableStream<Uint8Array>; size: number; diskFormat: "raw" | "qcow2" }> {
    await this.delay();
    const g = this.guest(uuid);
    const data = new TextEncoder().encode(`fake disk of ${g.spec.uuid}\n`);
    return { body: new Response(data).body!, size: data.byteLength, diskFormat: "raw" };
  }
  async attachVolume(uuid: string, vol: VolumeSpec): Promise<void> {
    await this.delay();
    this.guest(uuid).volumes.set(vol.volumeId, vol);
  }
  async detachVolume(uuid: string, volumeId: string): Promise<void> {
    await this.delay();
    this.guests.get(uuid)?.volumes.delete(volumeId);
  }
  async attachInterface(uuid: string, nic: NicSpec): Promise<void> {
    await this.delay();
    this.guest(uuid).nics.set(nic.portId, nic);
  }
  async detachInterface(uuid: string, portId: string): Promise<void> {
    await this.delay();
    this.guests.get(uuid)?.nics.delete(portId);
  }
  async getConsole(uuid: string, type: "novnc" | "serial"): Promise<ConsoleInfo> {
    this.guest(uuid);
    return type === "serial" ? { protocol: "serial", host: "127.0.0.1", port: 10000 } : { protocol: "vnc", host: "127.0.0.1", port: 5900 };
  }
  listInstances(): string[] {
    return [...this.guests.keys()];
  }
  /** Re-register a guest known to the database (the fake driver keeps nothing across restarts). */
  recover(spec: InstanceSpec, power: PowerStateValue): void {
    const g: FakeGuest = { spec, power, console: [], volumes: new Map(), nics: new Map() };
    this.guests.set(spec.uuid, g);
    this.log(g, "recovered after a restart");
  }
  async shutdown(): Promise<void> {
    this.guests.clear();
  }
}
