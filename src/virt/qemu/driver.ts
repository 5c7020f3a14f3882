/**
 * The QEMU driver: real guests, one `qemu-system-x86_64` process per instance,
 * no root and no libvirt.
 *
 * Layout under `dir` (the compute host's directory):
 *   _base/<image id>.<fmt>     the image cache (hard link or copy of the fetched image)
 *   <uuid>/guest.json          the spec and the intended state (re-adoption reads it)
 *   <uuid>/disk.qcow2          copy-on-write overlay on the cached image, sized to the flavor
 *   <uuid>/disk.eph0, disk.swap  blank ephemeral and swap disks when the flavor has them
 *   <uuid>/config.iso          the config drive (ISO 9660, label config-2)
 *   <uuid>/console.log         everything the guest wrote to its serial port (console log)
 *   <uuid>/qmp.sock, vnc.sock, serial.sock, md.sock, qemu.pid, suspend.state
 *
 * Choices:
 * - KVM when it is usable (probed by booting the firmware, see host.ts), else TCG.
 * - QEMU is started with -daemonize: a guest outlives a restart of tenrec and
 *   is re-adopted by init() (pid file + QMP socket). The driver keeps one QMP
 *   connection per guest; its closing is how a dead guest is noticed at once.
 * - power off = ACPI system_powerdown, then `quit` (and SIGKILL) after the timeout;
 *   soft reboot = clean power off then a fresh start; hard reboot = system_reset;
 *   pause/unpause = stop/cont; suspend = the guest's RAM and device state
 *   migrated to <uuid>/suspend.state and the process ended (like libvirt's
 *   managed save), resume = a new process loading it (-incoming defer).
 * - Networking: user-mode (slirp) per NIC with the port's subnet, gateway,
 *   fixed IP (DHCP) and MAC; host forwards bound to 127.0.0.1; the metadata
 *   server answers inside the subnet at its last usable address (QEMU cannot
 *   forward 169.254.169.254: guest forwards must be inside the subnet).
 * - shutdown(): guests keep running (re-adopted on the next start) unless
 *   `stopGuestsOnShutdown` (the --ephemeral mode) asks for them to be powered off.
 */
import { createReadStream, existsSync, linkSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync, copyFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { Readable } from "node:stream";
import type { Logger } from "../../core/log.ts";
import {
  PowerState,
  type ComputeDriver,
  type ConsoleInfo,
  type DriverEvent,
  type HostInfo,
  type InstanceSpec,
  type NicSpec,
  type PowerStateValue,
  type VolumeSpec,
} from "../driver.ts";
import { findTools, hostResources, probeKvm, versionNumber, type QemuTools } from "./host.ts";
import { buildMetadata, serveMetadata, writeMetadataTree, type MetadataDocs } from "./metadata.ts";
import { netdevArg, qemuEscape, slirpPlan, type PortForward } from "./net.ts";
import { Qmp, type QmpEvent } from "./qmp.ts";

export interface QemuDriverOptions {
  /** The compute host's directory (instances and the image cache live here). */
  dir: string;
  /** hypervisor_hostname */
  hostname: string;
  log?: Logger;
  /** "auto" (default): KVM when the probe boots, else TCG. */
  accel?: "auto" | "kvm" | "tcg";
  qemuBinary?: string;
  /** tenrec's metadata service (e.g. http://127.0.0.1:8775); without it each guest's server answers from its own documents. */
  metadataUrl?: string;
  /** Shared secret for X-Instance-ID-Signature towards metadataUrl. */
  metadataSecret?: string;
  /** Build a config drive for every guest (Nova's force_config_drive). */
  forceConfigDrive?: boolean;
  /** Power guests off in shutdown() (the --ephemeral mode); default: leave them running. */
  stopGuestsOnShutdown?: boolean;
  /** Seconds powerOff waits for the ACPI shutdown when the caller gives none (Nova: 60). */
  defaultShutdownTimeoutSec?: number;
  /**
   * No outbound traffic from guests (slirp restrict=on): only the metadata
   * server and the host port forwards work. User networking otherwise lets a
   * guest reach everything the host reaches, the host's own cloud metadata at
   * 169.254.169.254 included (slirp cannot filter single addresses).
   */
  restrictOutbound?: boolean;
  /** TCG translation cache size in MB (default 64; QEMU's own default is 1024). */
  tcgTbSizeMb?: number;
  /** The command QEMU runs per metadata connection; default: this Bun running relay.ts. */
  relayCommand?: (socketPath: string) => string | null;
}

type Intent = "running" | "paused" | "shutoff" | "suspended";

interface Guest {
  uuid: string;
  dir: string;
  spec: InstanceSpec;
  intent: Intent;
  pid: number | null;
  qmp: Qmp | null;
  md: { stop: () => void } | null;
  docs: MetadataDocs | null;
  /** set while the driver itself stops the process */
  stopping: boolean;
  lastShutdownReason: string | null;
  /** operations on one guest run one after the other */
  chain: Promise<unknown>;
  /** the handling of the last process exit (stopProcess waits for it) */
  exitHandled: Promise<void> | null;
}

interface GuestFile {
  spec: InstanceSpec;
  intent: Intent;
}

const GiB = 2 ** 30;
const silent = { debug() {}, info() {}, warn() {}, error() {} } as unknown as Logger;

/** Is the process alive (a zombie counts as dead)? */
export function pidAlive(pid: number | null): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    // a zombie is dead for us
    const st = readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = st.slice(st.lastIndexOf(")") + 2, st.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  } catch {
    return true;
  }
}

function pidCmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");
  } catch {
    return "";
  }
}

async function run(argv: string[], what: string): Promise<string> {
  const p = Bun.spawn(argv, { stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  if (code !== 0) throw new Error(`${what} failed (exit ${code}): ${err.trim().split("\n").slice(-3).join(" ") || out.trim()}`);
  return out;
}

export class QemuDriver implements ComputeDriver {
  readonly type = "qemu";
  private guests = new Map<string, Guest>();
  private tools: QemuTools | null = null;
  private accel: "kvm" | "tcg" = "tcg";
  private accelReason = "not probed";
  private log: Logger;
  private listener: ((e: DriverEvent) => void) | null = null;
  private inited: Promise<void> | null = null;
  private closed = false;

  constructor(private opts: QemuDriverOptions) {
    this.log = opts.log ?? silent;
  }

  /** True when qemu-system-x86_64 and qemu-img are installed. */
  static available(qemuBinary?: string): boolean {
    return findTools(qemuBinary) !== null;
  }

  /** "kvm" or "tcg" and why (after init). */
  get acceleration(): { accel: "kvm" | "tcg"; reason: string } {
    return { accel: this.accel, reason: this.accelReason };
  }

  setEventListener(listener: (e: DriverEvent) => void): void {
    this.listener = listener;
  }

  init(): Promise<void> {
    this.inited ??= this.doInit();
    return this.inited;
  }

  private async doInit(): Promise<void> {
    this.tools = findTools(this.opts.qemuBinary);
    if (!this.tools) throw new Error("QEMU driver: qemu-system-x86_64 and qemu-img are needed (Debian: apt-get install qemu-system-x86 qemu-utils)");
    mkdirSync(join(this.opts.dir, "_base"), { recursive: true });
    const want = this.opts.accel ?? "auto";
    if (want === "tcg") {
      this.accel = "tcg";
      this.accelReason = "TCG requested";
    } else {
      const k = await probeKvm(this.tools.qemu);
      this.accel = k.ok ? "kvm" : "tcg";
      this.accelReason = k.reason;
      if (want === "kvm" && !k.ok) this.log.warn(`KVM requested but not usable (${k.reason}); using TCG`);
    }
    if (!this.tools.iso) this.log.warn("neither genisoimage nor xorriso is installed: config drives are unavailable");
    this.log.info(`QEMU ${this.tools.version.major}.${this.tools.version.minor}.${this.tools.version.micro}, accel ${this.accel} (${this.accelReason})`);
    await this.readopt();
  }

  private async ready(): Promise<QemuTools> {
    await this.init();
    return this.tools!;
  }

  // ---- re-adoption -------------------------------------------------------------

  private async readopt(): Promise<void> {
    let entries: string[] = [];
    try {
      entries = readdirSync(this.opts.dir);
    } catch {
      return;
    }
    for (const name of entries) {
      if (name.startsWith("_")) continue;
      const dir = join(this.opts.dir, name);
      let gf: GuestFile;
      try {
        gf = JSON.parse(readFileSync(join(dir, "guest.json"), "utf8"));
      } catch {
        continue;
      }
      const g = this.newGuest(gf.spec, dir);
      g.intent = gf.intent;
      this.guests.set(g.uuid, g);
      const pid = this.readPid(g);
      if (pid && pidAlive(pid) && pidCmdline(pid).includes(g.uuid)) {
        g.pid = pid;
        try {
          await this.attachQmp(g);
          const st = await g.qmp!.command<{ status: string; running: boolean }>("query-status");
          g.intent = st.status === "paused" ? "paused" : "running";
          this.startMetadata(g);
          this.log.info(`re-adopted guest ${g.uuid} (pid ${pid}, ${st.status})`);
        } catch (e) {
          this.log.warn(`guest ${g.uuid}: pid ${pid} alive but QMP failed (${(e as Error).message}); stopping it`);
          try {
            process.kill(pid, "SIGKILL");
          } catch {
            /* gone */
          }
          g.pid = null;
          g.intent = "shutoff";
        }
      } else {
        g.pid = null;
        if (g.intent !== "suspended" || !existsSync(join(dir, "suspend.state"))) {
          if (g.intent !== "shutoff") this.log.info(`guest ${g.uuid} is not running any more: SHUTDOWN`);
          g.intent = "shutoff";
        }
      }
      this.save(g);
    }
  }

  // ---- helpers ---------------------------------------------------------------------

  private newGuest(spec: InstanceSpec, dir = join(this.opts.dir, spec.uuid)): Guest {
    return { uuid: spec.uuid, dir, spec, intent: "shutoff", pid: null, qmp: null, md: null, docs: null, stopping: false, lastShutdownReason: null, chain: Promise.resolve(), exitHandled: null };
  }

  private guest(uuid: string): Guest {
    const g = this.guests.get(uuid);
    if (!g) throw new Error(`Instance ${uuid} could not be found on the hypervisor.`);
    return g;
  }

  /** Serialize operations per guest. */
  private op<T>(g: Guest, fn: () => Promise<T>): Promise<T> {
    const next = g.chain.then(fn, fn);
    g.chain = next.catch(() => {});
    return next;
  }

  private p(g: Guest, f: string): string {
    return join(g.dir, f);
  }

  /**
   * A unix socket's path: in the guest's directory, or — when that path would
   * pass the 108-byte limit of unix socket names — in a short directory under
   * /tmp named after the guest's directory (stable, so re-adoption finds it).
   */
  private sock(g: Guest, f: string): string {
    if (Buffer.byteLength(join(g.dir, "serial.sock")) <= 100) return join(g.dir, f);
    const dir = join(tmpdir(), `tenrec-${createHash("sha256").update(g.dir).digest("hex").slice(0, 16)}`);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    return join(dir, f);
  }

  private save(g: Guest): void {
    const tmp = this.p(g, "guest.json.tmp");
    writeFileSync(tmp, JSON.stringify({ spec: g.spec, intent: g.intent } satisfies GuestFile));
    renameSync(tmp, this.p(g, "guest.json"));
  }

  private readPid(g: Guest): number | null {
    try {
      const n = Number(readFileSync(this.p(g, "qemu.pid"), "utf8").trim());
      return Number.isInteger(n) && n > 0 ? n : null;
    } catch {
      return null;
    }
  }

  private alive(g: Guest): boolean {
    return pidAlive(g.pid);
  }

  private emit(g: Guest, powerState: PowerStateValue, reason: string, expected: boolean): void {
    try {
      this.listener?.({ uuid: g.uuid, powerState, reason, expected });
    } catch (e) {
      this.log.warn(`event listener failed: ${(e as Error).message}`);
    }
  }

  // ---- images and disks --------------------------------------------------------------

  /** Size and format of an image, read as the format it claims (never probed: a "raw" image with a qcow2 header stays raw). */
  private async imageInfo(path: string, format?: string): Promise<{ virtualSize: number; format: string; backing: string | null; dataFile: string | null }> {
    if (format === "raw") {
      // raw has no header to read: its size is the file's (one process less per boot)
      return { virtualSize: statSync(path).size, format: "raw", backing: null, dataFile: null };
    }
    const out = await run([this.tools!.qemuImg, "info", "-U", ...(format ? ["-f", format] : []), "--output=json", path], "qemu-img info");
    const j = JSON.parse(out) as {
      "virtual-size": number;
      format: string;
      "backing-filename"?: string;
      "format-specific"?: { data?: { "data-file"?: string } };
    };
    return { virtualSize: j["virtual-size"], format: j.format, backing: j["backing-filename"] ?? null, dataFile: j["format-specific"]?.data?.["data-file"] ?? null };
  }

  /** The cached base image for an image id: a hard link to (or a copy of) the fetched file. */
  private cacheImage(image: NonNullable<InstanceSpec["image"]>): string {
    const base = join(this.opts.dir, "_base", `${image.id}.${image.format}`);
    if (existsSync(base)) return base;
    const tmp = `${base}.part`;
    rmSync(tmp, { force: true });
    try {
      linkSync(image.path, tmp);
    } catch {
      copyFileSync(image.path, tmp);
    }
    renameSync(tmp, base);
    return base;
  }

  private async createRootDisk(g: Guest): Promise<void> {
    const spec = g.spec;
    if (!spec.image) return; // boot from volume
    const base = this.cacheImage(spec.image);
    const info = await this.imageInfo(base, spec.image.format);
    // a user's qcow2 must not point at files of the host (as Nova's format inspector refuses)
    if (info.backing || info.dataFile) {
      rmSync(base, { force: true });
      throw new Error(`Image ${spec.image.id} refers to another file (${info.backing ? "backing file" : "external data file"}); refusing to boot it.`);
    }
    const want = spec.rootGb > 0 ? spec.rootGb * GiB : info.virtualSize;
    if (want < info.virtualSize) {
      throw new Error(`Flavor's disk is too small for requested image. Flavor disk is ${want} bytes, image is ${info.virtualSize} bytes.`);
    }
    const disk = this.p(g, "disk.qcow2");
    rmSync(disk, { force: true });
    await run([this.tools!.qemuImg, "create", "-q", "-f", "qcow2", "-b", base, "-F", info.format, disk, String(want)], "qemu-img create");
  }

  private async createBlankDisks(g: Guest): Promise<void> {
    if (g.spec.ephemeralGb > 0 && !existsSync(this.p(g, "disk.eph0"))) {
      await run([this.tools!.qemuImg, "create", "-q", "-f", "qcow2", this.p(g, "disk.eph0"), `${g.spec.ephemeralGb}G`], "qemu-img create");
    }
    if (g.spec.swapMb > 0 && !existsSync(this.p(g, "disk.swap"))) {
      await run([this.tools!.qemuImg, "create", "-q", "-f", "qcow2", this.p(g, "disk.swap"), `${g.spec.swapMb}M`], "qemu-img create");
    }
  }

  private slirpDns = (nic: NicSpec): string | null => slirpPlan(nic)?.dns ?? null;

  private async createConfigDrive(g: Guest): Promise<void> {
    const iso = this.p(g, "config.iso");
    rmSync(iso, { force: true });
    if (!(g.spec.configDrive || this.opts.forceConfigDrive)) return;
    const tools = this.tools!;
    if (!tools.iso) throw new Error("A config drive was requested but neither genisoimage nor xorriso is installed on the compute host.");
    const tree = this.p(g, "config-drive");
    writeMetadataTree(tree, g.docs!);
    const common = ["-o", iso, "-ldots", "-allow-lowercase", "-allow-multidot", "-l", "-V", "config-2", "-J", "-r", "-quiet", tree];
    const argv = tools.iso.kind === "xorriso" ? [tools.iso.path, "-as", "mkisofs", ...common] : [tools.iso.path, "-publisher", "tenrec", ...common];
    await run(argv, "config drive (ISO 9660)");
    rmSync(tree, { recursive: true, force: true });
  }

  // ---- metadata ----------------------------------------------------------------------

  private relayCommand(sock: string): string | null {
    if (this.opts.relayCommand) return this.opts.relayCommand(sock);
    const relay = join(import.meta.dir, "relay.ts");
    if (!existsSync(relay)) return null; // a compiled binary: no metadata relay (config drive only)
    return `${process.execPath} ${relay} ${sock}`;
  }

  private startMetadata(g: Guest): void {
    g.md?.stop();
    g.docs ??= buildMetadata(g.spec, this.slirpDns);
    try {
      g.md = serveMetadata({
        socketPath: this.sock(g, "md.sock"),
        spec: () => g.spec,
        docs: () => (g.docs ??= buildMetadata(g.spec, this.slirpDns)),
        upstream: this.opts.metadataUrl,
        secret: this.opts.metadataSecret,
      });
    } catch (e) {
      this.log.warn(`guest ${g.uuid}: metadata server failed: ${(e as Error).message}`);
      g.md = null;
    }
  }

  // ---- the QEMU process --------------------------------------------------------------

  private diskDevice(id: string, node: string, bus: string, extra: string[] = []): string[] {
    if (bus === "ide" || bus === "sata") return ["-device", [`ide-hd`, `drive=${node}`, `id=${id}`, ...extra].join(",")];
    if (bus === "scsi") return ["-device", [`scsi-hd`, `drive=${node}`, `id=${id}`, `bus=scsi0.0`, ...extra].join(",")];
    return ["-device", [`virtio-blk-pci`, `drive=${node}`, `id=${id}`, ...extra].join(",")];
  }

  private volumeArgs(v: VolumeSpec): string[] {
    const node = volumeNode(v.volumeId);
    return [
      "-blockdev", `driver=file,node-name=${node}-f,filename=${qemuEscape(v.path)},cache.direct=off`,
      "-blockdev", `driver=${v.format},node-name=${node},file=${node}-f`,
      "-device", `virtio-blk-pci,drive=${node},id=${volumeDev(v.volumeId)},serial=${v.volumeId.slice(0, 20)}`,
    ];
  }

  private buildArgs(g: Guest, incoming: boolean): string[] {
    const t = this.tools!;
    const s = g.spec;
    const props = s.image?.properties ?? {};
    const bus = props.hw_disk_bus ?? "virtio";
    const vif = props.hw_vif_model ?? "virtio";
    const nicModel = vif === "e1000" ? "e1000" : vif === "rtl8139" ? "rtl8139" : vif === "ne2k_pci" ? "ne2k_pci" : "virtio-net-pci";
    const a: string[] = [
      t.qemu,
      "-name", `guest=${qemuEscape(s.name || s.uuid)},debug-threads=off`,
      "-uuid", s.uuid,
      "-nodefaults", "-no-user-config",
      "-machine", "pc",
      // TCG's translated-code cache: QEMU's default (1 GiB, filled lazily) adds ~40 MB RSS to a tiny guest over 32 MB
      "-accel", this.accel === "kvm" ? "kvm" : `tcg,tb-size=${this.opts.tcgTbSizeMb ?? 64}`,
      ...(this.accel === "kvm" ? ["-cpu", "host"] : []),
      "-m", String(Math.max(16, s.memoryMb)),
      "-smp", String(Math.max(1, s.vcpus)),
      "-rtc", "base=utc",
      "-boot", "strict=on",
      "-daemonize",
      "-pidfile", this.p(g, "qemu.pid"),
      "-chardev", `socket,id=qmp,path=${qemuEscape(this.sock(g, "qmp.sock"))},server=on,wait=off`,
      "-mon", "chardev=qmp,mode=control",
      "-chardev", `socket,id=ser0,path=${qemuEscape(this.sock(g, "serial.sock"))},server=on,wait=off,logfile=${qemuEscape(this.p(g, "console.log"))},logappend=on`,
      "-serial", "chardev:ser0",
      "-vga", "std",
      "-vnc", `unix:${qemuEscape(this.sock(g, "vnc.sock"))}`,
      "-device", "virtio-balloon-pci",
      "-object", "rng-random,id=rng0,filename=/dev/urandom",
      "-device", "virtio-rng-pci,rng=rng0",
    ];
    if (bus === "scsi") a.push("-device", "virtio-scsi-pci,id=scsi0");
    // root disk
    if (s.image) {
      a.push("-blockdev", `driver=file,node-name=root-f,filename=${qemuEscape(this.p(g, "disk.qcow2"))}`);
      a.push("-blockdev", "driver=qcow2,node-name=root,file=root-f");
      a.push(...this.diskDevice("root-dev", "root", bus, ["bootindex=1"]));
    } else if (s.rootVolume) {
      const v = s.rootVolume;
      a.push("-blockdev", `driver=file,node-name=root-f,filename=${qemuEscape(v.path)}`);
      a.push("-blockdev", `driver=${v.format},node-name=root,file=root-f`);
      a.push(...this.diskDevice("root-dev", "root", bus, ["bootindex=1", `serial=${v.volumeId.slice(0, 20)}`]));
    }
    for (const [f, id] of [["disk.eph0", "eph0"], ["disk.swap", "swap"]] as const) {
      if (existsSync(this.p(g, f))) {
        a.push("-blockdev", `driver=file,node-name=${id}-f,filename=${qemuEscape(this.p(g, f))}`);
        a.push("-blockdev", `driver=qcow2,node-name=${id},file=${id}-f`);
        a.push(...this.diskDevice(`${id}-dev`, id, bus));
      }
    }
    if (existsSync(this.p(g, "config.iso"))) {
      a.push("-blockdev", `driver=file,node-name=cfg-f,filename=${qemuEscape(this.p(g, "config.iso"))},read-only=on`);
      a.push("-blockdev", "driver=raw,node-name=cfg,file=cfg-f,read-only=on");
      a.push("-device", "virtio-blk-pci,drive=cfg,id=cfg-dev");
    }
    for (const v of s.volumes) a.push(...this.volumeArgs(v));
    // NICs
    const relay = g.md ? this.relayCommand(this.sock(g, "md.sock")) : null;
    s.nics.forEach((nic) => {
      const id = nicId(nic.portId);
      a.push("-netdev", netdevArg(id, nic, nic.forwards ?? [], s.hostname, relay, this.opts.restrictOutbound));
      a.push("-device", `${nicModel},netdev=${id},id=${id}-dev,mac=${nic.macAddress},romfile=`);
    });
    if (incoming) a.push("-incoming", "defer");
    return a;
  }

  private async launch(g: Guest, incoming = false): Promise<void> {
    if (this.alive(g)) return;
    rmSync(this.p(g, "qemu.pid"), { force: true });
    for (const f of ["qmp.sock", "serial.sock", "vnc.sock"]) rmSync(this.sock(g, f), { force: true });
    // keep the console log bounded: start a fresh one past 8 MiB
    try {
      if (statSync(this.p(g, "console.log")).size > 8 * 2 ** 20) renameSync(this.p(g, "console.log"), this.p(g, "console.log.0"));
    } catch {
      /* no log yet */
    }
    if (!g.md) this.startMetadata(g);
    const argv = this.buildArgs(g, incoming);
    this.log.debug(`guest ${g.uuid}: ${argv.join(" ")}`);
    const p = Bun.spawn(argv, { stdout: "ignore", stderr: "pipe", cwd: g.dir });
    const [err, code] = await Promise.all([new Response(p.stderr).text(), p.exited]);
    if (code !== 0) throw new Error(`qemu-system-x86_64 failed to start (exit ${code}): ${err.trim().split("\n").slice(-3).join(" ")}`);
    g.pid = this.readPid(g);
    if (!g.pid) throw new Error("qemu-system-x86_64 started but wrote no pid file");
    g.lastShutdownReason = null;
    await this.attachQmp(g);
  }

  private async attachQmp(g: Guest): Promise<void> {
    g.qmp?.close();
    const q = await Qmp.connect(this.sock(g, "qmp.sock"), 10_000);
    g.qmp = q;
    q.onEvent = (e) => this.onQmpEvent(g, e);
    q.onClose = () => this.onQmpClose(g, q);
  }

  private onQmpEvent(g: Guest, e: QmpEvent): void {
    switch (e.event) {
      case "SHUTDOWN":
        g.lastShutdownReason = String(e.data?.reason ?? (e.data?.guest ? "guest-shutdown" : "host"));
        break;
      case "STOP":
        if (!g.stopping && g.intent === "running") {
          // paused from elsewhere (an I/O error, a monitor): report it
          g.intent = "paused";
          this.save(g);
          this.emit(g, PowerState.PAUSED, "stopped", false);
        }
        break;
      case "RESUME":
        if (g.intent === "paused" && !g.stopping) {
          g.intent = "running";
          this.save(g);
          this.emit(g, PowerState.RUNNING, "resumed", false);
        }
        break;
      case "RESET":
        this.log.debug(`guest ${g.uuid}: reset (${String(e.data?.reason ?? "")})`);
        break;
    }
  }

  /** The QMP connection closed: the process exited (or is about to). */
  private onQmpClose(g: Guest, q: Qmp): void {
    if (g.qmp !== q) return;
    g.qmp = null;
    if (this.closed) return;
    g.exitHandled = this.handleExit(g, g.stopping);
  }

  private async handleExit(g: Guest, expected: boolean): Promise<void> {
    const pid = g.pid;
    const deadline = Date.now() + 3000;
    while (pidAlive(pid) && Date.now() < deadline) await Bun.sleep(20);
    if (g.pid !== pid) return; // a new process took over meanwhile
    if (pidAlive(pid)) {
      // QEMU closed QMP but lives on: reconnect
      try {
        await this.attachQmp(g);
        return;
      } catch {
        /* give up below */
      }
    }
    g.pid = null;
    if (g.intent === "suspended") return;
    const reason = g.lastShutdownReason ?? "qemu process exited unexpectedly";
    g.intent = "shutoff";
    if (existsSync(g.dir)) this.save(g);
    if (!expected) this.log.warn(`guest ${g.uuid} stopped: ${reason}`);
    this.emit(g, PowerState.SHUTDOWN, reason, expected);
  }

  /** End the process: ACPI power button first when `graceSec` > 0, then quit, then SIGKILL. */
  private async stopProcess(g: Guest, graceSec: number): Promise<void> {
    if (!this.alive(g)) {
      g.pid = null;
      return;
    }
    g.stopping = true;
    try {
      const q = g.qmp;
      if (graceSec > 0 && q && !q.closed) {
        const st = await q.command<{ status: string }>("query-status").catch(() => ({ status: "unknown" }));
        if (st.status === "running") {
          await q.command("system_powerdown").catch(() => {});
          const deadline = Date.now() + graceSec * 1000;
          let pressed = Date.now();
          while (this.alive(g) && Date.now() < deadline) {
            await Bun.sleep(50);
            // an early press can land before the guest listens: press again now and then
            if (Date.now() - pressed > 5000 && g.qmp && !g.qmp.closed) {
              pressed = Date.now();
              await g.qmp.command("system_powerdown").catch(() => {});
            }
          }
          if (!this.alive(g)) this.log.info(`guest ${g.uuid} shut down cleanly (ACPI)`);
          else this.log.warn(`guest ${g.uuid} did not shut down in ${graceSec}s: forcing`);
        }
      }
      if (this.alive(g) && g.qmp && !g.qmp.closed) {
        await g.qmp.command("quit", undefined, 3000).catch(() => {});
        const deadline = Date.now() + 3000;
        while (this.alive(g) && Date.now() < deadline) await Bun.sleep(20);
      }
      if (this.alive(g)) {
        try {
          process.kill(g.pid!, "SIGKILL");
        } catch {
          /* gone */
        }
        const deadline = Date.now() + 3000;
        while (this.alive(g) && Date.now() < deadline) await Bun.sleep(20);
      }
      // let the close handler finish (state saved, event sent) before we move on
      const deadline = Date.now() + 2000;
      while (g.qmp && Date.now() < deadline) await Bun.sleep(10);
      if (g.exitHandled) await Promise.race([g.exitHandled, Bun.sleep(5000)]);
      g.qmp?.close();
      g.qmp = null;
      g.pid = null;
    } finally {
      g.stopping = false;
    }
  }

  private needRunning(g: Guest, what: string): Qmp {
    if (!this.alive(g) || !g.qmp || g.qmp.closed) throw new Error(`Cannot ${what} instance ${g.uuid}: it is not running.`);
    return g.qmp;
  }

  // ---- the interface -------------------------------------------------------------------

  hostInfo(): HostInfo {
    const r = hostResources(this.opts.dir);
    return {
      hostname: this.opts.hostname,
      hypervisorType: "QEMU",
      hypervisorVersion: this.tools ? versionNumber(this.tools.version) : 0,
      vcpus: r.vcpus,
      memoryMb: r.memoryMb,
      localGb: r.localGb,
      cpuInfo: {
        arch: "x86_64",
        model: r.model,
        vendor: r.vendor,
        topology: { cells: 1, sockets: 1, cores: r.vcpus, threads: 1 },
        features: r.features,
        accel: this.accel,
        accel_reason: this.accelReason,
      },
      hostIp: "127.0.0.1",
    };
  }

  async spawn(spec: InstanceSpec, progress?: (pct: number) => void): Promise<void> {
    await this.ready();
    if (this.guests.has(spec.uuid)) throw new Error(`Instance ${spec.uuid} already exists on the hypervisor.`);
    if (!spec.image && !spec.rootVolume) throw new Error("Nothing to boot: neither an image nor a root volume.");
    const g = this.newGuest(spec);
    this.guests.set(spec.uuid, g);
    try {
      await this.op(g, async () => {
        mkdirSync(g.dir, { recursive: true });
        this.save(g);
        progress?.(10);
        await this.createRootDisk(g);
        await this.createBlankDisks(g);
        progress?.(40);
        g.docs = buildMetadata(spec, this.slirpDns);
        await this.createConfigDrive(g);
        progress?.(60);
        this.startMetadata(g);
        await this.launch(g);
        g.intent = "running";
        this.save(g);
        progress?.(100);
        this.log.info(`guest ${g.uuid} started (pid ${g.pid}, ${this.accel}, ${spec.vcpus} vCPU, ${spec.memoryMb} MB)`);
      });
    } catch (e) {
      await this.stopProcess(g, 0).catch(() => {});
      g.md?.stop();
      this.guests.delete(spec.uuid);
      rmSync(g.dir, { recursive: true, force: true });
      throw e;
    }
  }

  async destroy(uuid: string): Promise<void> {
    await this.ready();
    const g = this.guests.get(uuid);
    if (!g) {
      rmSync(join(this.opts.dir, uuid), { recursive: true, force: true });
      return;
    }
    await this.op(g, async () => {
      g.intent = "shutoff";
      await this.stopProcess(g, 0);
      g.md?.stop();
      g.md = null;
      this.guests.delete(uuid);
      const sockDir = dirname(this.sock(g, "qmp.sock"));
      if (sockDir !== g.dir) rmSync(sockDir, { recursive: true, force: true });
      rmSync(g.dir, { recursive: true, force: true });
    });
  }

  async powerOff(uuid: string, timeoutSec?: number): Promise<void> {
    await this.ready();
    const g = this.guest(uuid);
    await this.op(g, async () => {
      if (g.intent === "suspended") rmSync(this.p(g, "suspend.state"), { force: true });
      g.intent = "shutoff";
      this.save(g);
      await this.stopProcess(g, timeoutSec ?? this.opts.defaultShutdownTimeoutSec ?? 60);
    });
  }

  async powerOn(uuid: string): Promise<void> {
    await this.ready();
    const g = this.guest(uuid);
    await this.op(g, async () => {
      if (g.intent === "suspended") return this.doResume(g);
      if (this.alive(g)) {
        if (g.intent === "paused") await g.qmp?.command("cont");
      } else {
        await this.launch(g);
      }
      g.intent = "running";
      this.save(g);
    });
  }

  async reboot(uuid: string, type: "SOFT" | "HARD"): Promise<void> {
    await this.ready();
    const g = this.guest(uuid);
    await this.op(g, async () => {
      if (g.intent === "suspended") rmSync(this.p(g, "suspend.state"), { force: true });
      if (type === "HARD" && this.alive(g) && g.qmp && !g.qmp.closed) {
        g.stopping = true;
        try {
          await g.qmp.command("system_reset");
          const st = await g.qmp.command<{ status: string }>("query-status");
          if (st.status !== "running") await g.qmp.command("cont");
        } finally {
          g.stopping = false;
        }
      } else {
        if (this.alive(g)) await this.stopProcess(g, type === "SOFT" ? (this.opts.defaultShutdownTimeoutSec ?? 60) : 0);
        await this.launch(g);
      }
      g.intent = "running";
      this.save(g);
    });
  }

  async pause(uuid: string): Promise<void> {
    await this.ready();
    const g = this.guest(uuid);
    await this.op(g, async () => {
      const q = this.needRunning(g, "pause");
      g.stopping = true;
      try {
        await q.command("stop");
      } finally {
        g.stopping = false;
      }
      g.intent = "paused";
      this.save(g);
    });
  }

  async unpause(uuid: string): Promise<void> {
    await this.ready();
    const g = this.guest(uuid);
    await this.op(g, async () => {
      const q = this.needRunning(g, "unpause");
      g.stopping = true;
      try {
        await q.command("cont");
      } finally {
        g.stopping = false;
      }
      g.intent = "running";
      this.save(g);
    });
  }

  async suspend(uuid: string): Promise<void> {
    await this.ready();
    const g = this.guest(uuid);
    await this.op(g, async () => {
      const q = this.needRunning(g, "suspend");
      const state = this.p(g, "suspend.state");
      const tmp = `${state}.part`;
      rmSync(tmp, { force: true });
      g.stopping = true;
      try {
        await q.command("stop");
        await q.command("migrate", { uri: `exec:cat > ${shellQuote(tmp)}` });
        const deadline = Date.now() + 300_000;
        for (;;) {
          const m = await q.command<{ status?: string; "error-desc"?: string }>("query-migrate");
          if (m.status === "completed") break;
          if (m.status === "failed" || m.status === "cancelled") throw new Error(`suspend failed: ${m["error-desc"] ?? m.status}`);
          if (Date.now() > deadline) throw new Error("suspend timed out");
          await Bun.sleep(50);
        }
        renameSync(tmp, state);
        g.intent = "suspended";
        this.save(g);
      } catch (e) {
        rmSync(tmp, { force: true });
        await q.command("cont").catch(() => {});
        throw e;
      } finally {
        g.stopping = false;
      }
      await this.stopProcess(g, 0);
    });
  }

  async resume(uuid: string): Promise<void> {
    await this.ready();
    const g = this.guest(uuid);
    await this.op(g, () => this.doResume(g));
  }

  private async doResume(g: Guest): Promise<void> {
    if (g.intent !== "suspended") {
      if (this.alive(g) && g.intent === "paused") await g.qmp?.command("cont");
      else if (!this.alive(g)) await this.launch(g);
      g.intent = "running";
      this.save(g);
      return;
    }
    const state = this.p(g, "suspend.state");
    if (!existsSync(state)) throw new Error(`Instance ${g.uuid} has no saved state to resume from.`);
    await this.launch(g, true);
    const q = g.qmp!;
    await q.command("migrate-incoming", { uri: `exec:cat ${shellQuote(state)}` });
    const deadline = Date.now() + 300_000;
    for (;;) {
      const st = await q.command<{ status: string }>("query-status");
      if (st.status !== "inmigrate") {
        if (st.status === "postmigrate" || st.status === "paused" || st.status === "prelaunch") await q.command("cont");
        break;
      }
      if (Date.now() > deadline) throw new Error("resume timed out");
      await Bun.sleep(50);
    }
    rmSync(state, { force: true });
    g.intent = "running";
    this.save(g);
  }

  async rebuild(spec: InstanceSpec): Promise<void> {
    await this.ready();
    const g = this.guest(spec.uuid);
    await this.op(g, async () => {
      await this.stopProcess(g, 0);
      rmSync(this.p(g, "suspend.state"), { force: true });
      const volumes = g.spec.volumes;
      g.spec = { ...spec, volumes: spec.volumes.length ? spec.volumes : volumes };
      await this.createRootDisk(g);
      g.docs = buildMetadata(g.spec, this.slirpDns);
      await this.createConfigDrive(g);
      await this.launch(g);
      g.intent = "running";
      this.save(g);
    });
  }

  async resize(spec: InstanceSpec): Promise<void> {
    await this.ready();
    const g = this.guest(spec.uuid);
    await this.op(g, async () => {
      const wasOn = this.alive(g) || g.intent === "suspended";
      await this.stopProcess(g, this.opts.defaultShutdownTimeoutSec ?? 60);
      rmSync(this.p(g, "suspend.state"), { force: true });
      if (spec.image) {
        const info = await this.imageInfo(this.p(g, "disk.qcow2"), "qcow2");
        const want = spec.rootGb * GiB;
        if (spec.rootGb > 0 && want > info.virtualSize) {
          await run([this.tools!.qemuImg, "resize", "-q", this.p(g, "disk.qcow2"), String(want)], "qemu-img resize");
        } else if (spec.rootGb > 0 && want < info.virtualSize) {
          throw new Error("Resizing to a smaller root disk is not supported.");
        }
      }
      g.spec = { ...spec, volumes: g.spec.volumes, nics: spec.nics.length ? spec.nics : g.spec.nics };
      await this.createBlankDisks(g);
      if (wasOn) {
        await this.launch(g);
        g.intent = "running";
      } else g.intent = "shutoff";
      this.save(g);
    });
  }

  powerState(uuid: string): PowerStateValue {
    const g = this.guests.get(uuid);
    if (!g) return PowerState.NOSTATE;
    if (this.alive(g)) return g.intent === "paused" ? PowerState.PAUSED : PowerState.RUNNING;
    return g.intent === "suspended" ? PowerState.SUSPENDED : PowerState.SHUTDOWN;
  }

  async consoleOutput(uuid: string, tailLines?: number): Promise<string> {
    const g = this.guest(uuid);
    let text = "";
    try {
      text = readFileSync(this.p(g, "console.log"), "latin1");
    } catch {
      return "";
    }
    text = text.replace(/\r\n?/g, "\n").replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "");
    if (tailLines === undefined) return text;
    // Nova's tail (compute manager _tail_log): the last N pieces of the text split on "\n"
    return tailLines <= 0 ? "" : text.split("\n").slice(-tailLines).join("\n");
  }

  async snapshot(uuid: string): Promise<{ body: ReadableStream<Uint8Array>; size: number; diskFormat: "raw" | "qcow2" }> {
    await this.ready();
    const g = this.guest(uuid);
    return this.op(g, async () => {
      const src = g.spec.image ? this.p(g, "disk.qcow2") : g.spec.rootVolume?.path;
      if (!src) throw new Error("The instance has no root disk to snapshot.");
      const out = this.p(g, `snapshot-${Date.now()}.qcow2`);
      const q = this.alive(g) ? g.qmp : null;
      const st = q ? await q.command<{ status: string }>("query-status").catch(() => ({ status: "unknown" })) : { status: "off" };
      // a running guest pauses for the copy so the disk is consistent (QEMU flushes on stop)
      if (q && st.status === "running") {
        g.stopping = true;
        await q.command("stop");
      }
      try {
        await run([this.tools!.qemuImg, "convert", "-U", "-O", "qcow2", src, out], "qemu-img convert (snapshot)");
      } finally {
        if (q && st.status === "running") {
          await q.command("cont").catch(() => {});
          g.stopping = false;
        }
      }
      const size = statSync(out).size;
      const node = createReadStream(out);
      const done = () => rmSync(out, { force: true });
      node.on("close", done);
      node.on("error", done);
      return { body: Readable.toWeb(node) as unknown as ReadableStream<Uint8Array>, size, diskFormat: "qcow2" as const };
    });
  }

  async attachVolume(uuid: string, vol: VolumeSpec): Promise<void> {
    await this.ready();
    const g = this.guest(uuid);
    await this.op(g, async () => {
      if (g.spec.volumes.some((v) => v.volumeId === vol.volumeId)) return;
      if (this.alive(g) && g.qmp) {
        const node = volumeNode(vol.volumeId);
        await g.qmp.command("blockdev-add", { driver: "file", "node-name": `${node}-f`, filename: vol.path });
        try {
          await g.qmp.command("blockdev-add", { driver: vol.format, "node-name": node, file: `${node}-f` });
          await g.qmp.command("device_add", { driver: "virtio-blk-pci", drive: node, id: volumeDev(vol.volumeId), serial: vol.volumeId.slice(0, 20) });
        } catch (e) {
          await g.qmp.command("blockdev-del", { "node-name": node }).catch(() => {});
          await g.qmp.command("blockdev-del", { "node-name": `${node}-f` }).catch(() => {});
          throw e;
        }
      }
      g.spec = { ...g.spec, volumes: [...g.spec.volumes, vol] };
      this.save(g);
    });
  }

  async detachVolume(uuid: string, volumeId: string): Promise<void> {
    await this.ready();
    const g = this.guest(uuid);
    await this.op(g, async () => {
      if (!g.spec.volumes.some((v) => v.volumeId === volumeId)) return;
      if (this.alive(g) && g.qmp) {
        const q = g.qmp;
        const id = volumeDev(volumeId);
        const node = volumeNode(volumeId);
        const gone = q.waitEvent("DEVICE_DELETED", 20_000, (e) => e.data?.device === id);
        try {
          await q.command("device_del", { id });
        } catch (e) {
          if (!/not found/i.test((e as Error).message)) throw e;
        }
        const paused = g.intent === "paused";
        if (!(await gone) && !paused) throw new Error(`The guest did not release volume ${volumeId} (device_del timed out).`);
        if (!paused) {
          await q.command("blockdev-del", { "node-name": node }).catch(() => {});
          await q.command("blockdev-del", { "node-name": `${node}-f` }).catch(() => {});
        }
      }
      g.spec = { ...g.spec, volumes: g.spec.volumes.filter((v) => v.volumeId !== volumeId) };
      this.save(g);
    });
  }

  async attachInterface(uuid: string, nic: NicSpec): Promise<void> {
    await this.ready();
    const g = this.guest(uuid);
    await this.op(g, async () => {
      if (g.spec.nics.some((n) => n.portId === nic.portId)) return;
      if (this.alive(g) && g.qmp) {
        const id = nicId(nic.portId);
        const relay = g.md ? this.relayCommand(this.sock(g, "md.sock")) : null;
        const opts = Object.fromEntries(
          netdevArg(id, nic, nic.forwards ?? [], g.spec.hostname, relay, this.opts.restrictOutbound)
            .split(/,(?!,)/)
            .slice(1)
            .map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1).replace(/,,/g, ",")]),
        );
        // netdev_add takes the same options as -netdev (hostfwd/guestfwd as strings)
        await g.qmp.command("netdev_add", { type: "user", ...opts });
        try {
          await g.qmp.command("device_add", { driver: "virtio-net-pci", netdev: id, id: `${id}-dev`, mac: nic.macAddress, romfile: "" });
        } catch (e) {
          await g.qmp.command("netdev_del", { id }).catch(() => {});
          throw e;
        }
      }
      g.spec = { ...g.spec, nics: [...g.spec.nics, nic] };
      g.docs = buildMetadata(g.spec, this.slirpDns);
      this.save(g);
    });
  }

  /**
   * Replace a NIC's host port forwards (a floating IP associated or
   * disassociated, security group rules changed) — on the running guest at
   * once (QEMU's hostfwd_add/hostfwd_remove), and for every later start.
   */
  async updateForwards(uuid: string, portId: string, forwards: PortForward[]): Promise<void> {
    await this.ready();
    const g = this.guest(uuid);
    await this.op(g, async () => {
      const nic = g.spec.nics.find((n) => n.portId === portId);
      if (!nic) throw new Error(`Port ${portId} is not attached to instance ${uuid}.`);
      const old = nic.forwards ?? [];
      const key = (f: PortForward) => `${f.proto}:${f.hostAddr ?? "127.0.0.1"}:${f.hostPort}-:${f.guestPort}`;
      if (this.alive(g) && g.qmp) {
        const id = nicId(portId);
        const want = new Set(forwards.map(key));
        const have = new Set(old.map(key));
        for (const f of old) {
          if (want.has(key(f))) continue;
          await this.hmp(g, `hostfwd_remove ${id} ${f.proto}:${f.hostAddr ?? "127.0.0.1"}:${f.hostPort}`);
        }
        for (const f of forwards) {
          if (have.has(key(f))) continue;
          await this.hmp(g, `hostfwd_add ${id} ${key(f)}`);
        }
      }
      g.spec = { ...g.spec, nics: g.spec.nics.map((n) => (n.portId === portId ? { ...n, forwards } : n)) };
      this.save(g);
    });
  }

  /** A human monitor command (hostfwd has no QMP equivalent); it reports failures only as text. */
  private async hmp(g: Guest, line: string): Promise<void> {
    const out = (await g.qmp!.command<string>("human-monitor-command", { "command-line": line })) ?? "";
    if (/invalid|could not|not found|error|fail/i.test(out)) throw new Error(`${line.split(" ")[0]}: ${out.trim()}`);
  }

  async detachInterface(uuid: string, portId: string): Promise<void> {
    await this.ready();
    const g = this.guest(uuid);
    await this.op(g, async () => {
      if (!g.spec.nics.some((n) => n.portId === portId)) return;
      if (this.alive(g) && g.qmp) {
        const id = nicId(portId);
        const gone = g.qmp.waitEvent("DEVICE_DELETED", 20_000, (e) => e.data?.device === `${id}-dev`);
        await g.qmp.command("device_del", { id: `${id}-dev` }).catch(() => {});
        await gone;
        await g.qmp.command("netdev_del", { id }).catch(() => {});
      }
      g.spec = { ...g.spec, nics: g.spec.nics.filter((n) => n.portId !== portId) };
      g.docs = buildMetadata(g.spec, this.slirpDns);
      this.save(g);
    });
  }

  async getConsole(uuid: string, type: "novnc" | "serial"): Promise<ConsoleInfo> {
    const g = this.guest(uuid);
    if (!this.alive(g)) throw new Error(`Instance ${uuid} is not running: no console.`);
    return type === "serial"
      ? { protocol: "serial", host: "localhost", port: 0, path: this.sock(g, "serial.sock") }
      : { protocol: "vnc", host: "localhost", port: 0, path: this.sock(g, "vnc.sock") };
  }

  listInstances(): string[] {
    return [...this.guests.keys()];
  }

  /** The qemu process id of a guest (tests, bench, supervision). */
  pidOf(uuid: string): number | null {
    const g = this.guests.get(uuid);
    return g && this.alive(g) ? g.pid : null;
  }

  /** The guest's directory (console.log and sockets live there). */
  dirOf(uuid: string): string {
    return join(this.opts.dir, uuid);
  }

  async shutdown(): Promise<void> {
    const guests = [...this.guests.values()];
    if (this.opts.stopGuestsOnShutdown) {
      await Promise.all(
        guests.map((g) =>
          this.op(g, async () => {
            if (g.intent !== "suspended") g.intent = "shutoff";
            if (existsSync(g.dir)) this.save(g);
            await this.stopProcess(g, 5);
          }).catch(() => {}),
        ),
      );
    }
    this.closed = true;
    for (const g of guests) {
      g.qmp?.close();
      g.qmp = null;
      g.md?.stop();
      g.md = null;
    }
  }
}

function volumeNode(volumeId: string): string {
  return `vol${volumeId.replace(/-/g, "").slice(0, 24)}`;
}
function volumeDev(volumeId: string): string {
  return `vdev${volumeId.replace(/-/g, "").slice(0, 24)}`;
}
function nicId(portId: string): string {
  return `net${portId.replace(/-/g, "").slice(0, 16)}`;
}
function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
