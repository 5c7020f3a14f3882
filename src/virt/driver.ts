/**
 * The hypervisor driver interface: what nova-compute's manager calls to carry
 * out an action on one host. The fake driver (src/virt/fake.ts) and
 * the QEMU driver (src/virt/qemu/) implement it. The manager owns
 * the instance's vm_state/task_state; the driver only does the work and
 * reports power state. Every method may throw: the manager turns the error into
 * an instance fault. (Contract shared by src/compute, src/virt/fake.ts and src/virt/qemu/.)
 */

/** Nova's power_state values. */
export const PowerState = {
  NOSTATE: 0,
  RUNNING: 1,
  PAUSED: 3,
  SHUTDOWN: 4,
  CRASHED: 6,
  SUSPENDED: 7,
} as const;
export type PowerStateValue = (typeof PowerState)[keyof typeof PowerState];

export interface HostInfo {
  /** The compute host's name (hypervisor_hostname). */
  hostname: string;
  hypervisorType: string;
  hypervisorVersion: number;
  vcpus: number;
  memoryMb: number;
  localGb: number;
  cpuInfo: Record<string, unknown>;
  hostIp: string;
}

export interface DiskSpec {
  /** A local file the driver may read (it makes its own copy-on-write overlay). */
  path: string;
  format: "raw" | "qcow2";
}

export interface NicSpec {
  portId: string;
  networkId: string;
  macAddress: string;
  mtu: number;
  ips: { address: string; version: 4 | 6; cidr: string; gateway: string | null; dns: string[] }[];
  /** Floating IPs mapped to this NIC (the QEMU driver forwards host ports to them). */
  floatingIps: string[];
  /**
   * Host → guest port forwards for this NIC (the QEMU driver's user networking:
   * a floating IP's allowed ports become 127.0.0.1:hostPort → guest:guestPort).
   * Optional; drivers without host networking ignore it.
   */
  forwards?: { proto: "tcp" | "udp"; hostPort: number; guestPort: number; hostAddr?: string }[];
}

export interface VolumeSpec {
  volumeId: string;
  /** e.g. /dev/vdb */
  device: string;
  path: string;
  format: "raw" | "qcow2";
}

export interface InstanceSpec {
  uuid: string;
  name: string;
  hostname: string;
  projectId: string;
  userId: string;
  vcpus: number;
  memoryMb: number;
  rootGb: number;
  ephemeralGb: number;
  swapMb: number;
  /** The image to boot (already fetched to a local file), absent when booting from a volume. */
  image?: DiskSpec & { id: string; properties: Record<string, string> };
  /** Boot volume (boot from volume). */
  rootVolume?: VolumeSpec;
  volumes: VolumeSpec[];
  nics: NicSpec[];
  /** base64, as the API received it */
  userData?: string;
  metadata: Record<string, string>;
  keyName?: string;
  keyData?: string;
  configDrive: boolean;
  availabilityZone: string;
}

export interface ConsoleInfo {
  protocol: "vnc" | "serial";
  /** Where a console proxy connects (host:port of the VNC server or a websocket URL). */
  host: string;
  port: number;
  /** A unix socket to connect to instead of host:port (the QEMU driver's VNC and serial sockets). */
  path?: string;
}

/**
 * A power-state change the driver observed: a guest that powered itself off,
 * a hypervisor process that died, a reset from inside the guest. `expected`
 * is true when the change is the result of a driver call in progress (the
 * manager may ignore those, as Nova's power-state sync does).
 */
export interface DriverEvent {
  uuid: string;
  powerState: PowerStateValue;
  /** QEMU's shutdown reason ("guest-shutdown", "host-qmp-quit", "host-signal") or "qemu process exited unexpectedly" */
  reason: string;
  expected: boolean;
}

export interface ComputeDriver {
  readonly type: string;
  /** Prepare (directories, tools); called once before the first action. */
  init(): Promise<void>;
  hostInfo(): HostInfo;
  /** Create and start the guest; resolves when it is running (power state RUNNING). */
  spawn(spec: InstanceSpec, progress?: (pct: number) => void): Promise<void>;
  /** Stop and remove the guest and its local disks; a missing guest is not an error. */
  destroy(uuid: string): Promise<void>;
  /** Clean shutdown (ACPI), forced after `timeoutSec`. */
  powerOff(uuid: string, timeoutSec?: number): Promise<void>;
  powerOn(uuid: string): Promise<void>;
  reboot(uuid: string, type: "SOFT" | "HARD"): Promise<void>;
  pause(uuid: string): Promise<void>;
  unpause(uuid: string): Promise<void>;
  suspend(uuid: string): Promise<void>;
  resume(uuid: string): Promise<void>;
  /** Re-create the root disk from a (new) image and boot again. */
  rebuild(spec: InstanceSpec): Promise<void>;
  /** Apply a new flavor (vcpus, memory, root disk grown to rootGb); the guest is off during it. */
  resize(spec: InstanceSpec): Promise<void>;
  powerState(uuid: string): PowerStateValue;
  /** The serial console's output (the last `tailLines` lines when given). */
  consoleOutput(uuid: string, tailLines?: number): Promise<string>;
  /** A point-in-time copy of the root disk, for createImage. */
  snapshot(uuid: string): Promise<{ body: ReadableStream<Uint8Array>; size: number; diskFormat: "raw" | "qcow2" }>;
  attachVolume(uuid: string, vol: VolumeSpec): Promise<void>;
  detachVolume(uuid: string, volumeId: string): Promise<void>;
  attachInterface(uuid: string, nic: NicSpec): Promise<void>;
  detachInterface(uuid: string, portId: string): Promise<void>;
  getConsole(uuid: string, type: "novnc" | "serial"): Promise<ConsoleInfo>;
  /** uuids of the guests this driver knows (after a restart: what it recovered). */
  listInstances(): string[];
  /** Stop everything (process shutdown); guests may be left running or stopped as the driver documents. */
  shutdown(): Promise<void>;
  /**
   * Optional: replace a NIC's host port forwards on a running guest (a floating
   * IP associated or disassociated); they also apply to every later start.
   */
  updateForwards?(uuid: string, portId: string, forwards: NonNullable<NicSpec["forwards"]>): Promise<void>;
  /** Optional: be told of power-state changes (see DriverEvent); one listener, a later call replaces it. */
  setEventListener?(listener: (e: DriverEvent) => void): void;
}
