/**
 * What the host offers: the QEMU binaries and version, whether KVM really
 * works (tried, not assumed: a /dev/kvm can exist and hang a stock guest, as
 * on a PVM host), and the host's vCPUs, memory and disk.
 */
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, statfsSync } from "node:fs";
import { cpus, hostname as osHostname, tmpdir, totalmem } from "node:os";
import { join } from "node:path";

export interface QemuTools {
  qemu: string;
  qemuImg: string;
  /** genisoimage or xorriso (config drives), null when neither is installed */
  iso: { path: string; kind: "genisoimage" | "xorriso" } | null;
  version: { major: number; minor: number; micro: number; text: string };
}

export function findTools(qemuBinary?: string): QemuTools | null {
  const qemu = qemuBinary ?? Bun.which("qemu-system-x86_64");
  const qemuImg = Bun.which("qemu-img");
  if (!qemu || !qemuImg) return null;
  const r = Bun.spawnSync([qemu, "--version"], { stdout: "pipe", stderr: "pipe" });
  const text = r.stdout.toString().split("\n")[0] ?? "";
  const m = /version (\d+)\.(\d+)\.(\d+)/.exec(text);
  const geniso = Bun.which("genisoimage") ?? Bun.which("mkisofs");
  const xorriso = Bun.which("xorriso");
  return {
    qemu,
    qemuImg,
    iso: geniso ? { path: geniso, kind: "genisoimage" } : xorriso ? { path: xorriso, kind: "xorriso" } : null,
    version: { major: Number(m?.[1] ?? 0), minor: Number(m?.[2] ?? 0), micro: Number(m?.[3] ?? 0), text },
  };
}

/** Nova's integer hypervisor version: major*1,000,000 + minor*1,000 + micro. */
export function versionNumber(v: QemuTools["version"]): number {
  return v.major * 1_000_000 + v.minor * 1_000 + v.micro;
}

/**
 * Does KVM work? Open /dev/kvm read-write, then boot the firmware under KVM
 * for a moment and watch its debug port for SeaBIOS's banner. A PVM host (or
 * a nested setup that cannot run the guest) hangs or fails: then TCG.
 */
export async function probeKvm(qemu: string, timeoutMs = 4000): Promise<{ ok: boolean; reason: string }> {
  try {
    closeSync(openSync("/dev/kvm", "r+"));
  } catch (e) {
    return { ok: false, reason: `/dev/kvm not usable (${(e as NodeJS.ErrnoException).code ?? String(e)})` };
  }
  const dir = mkdtempSync(join(tmpdir(), "tenrec-kvm-"));
  const log = join(dir, "debugcon.log");
  const p = Bun.spawn(
    [qemu, "-nodefaults", "-no-user-config", "-machine", "pc,accel=kvm", "-m", "32", "-display", "none",
      "-chardev", `file,id=dbg,path=${log}`, "-device", "isa-debugcon,iobase=0x402,chardev=dbg", "-boot", "strict=on"],
    { stdout: "ignore", stderr: "pipe" },
  );
  const deadline = Date.now() + timeoutMs;
  let ok = false;
  try {
    while (Date.now() < deadline && p.exitCode === null) {
      await Bun.sleep(100);
      let out = "";
      try {
        out = readFileSync(log, "utf8");
      } catch {
        /* not yet */
      }
      if (/SeaBIOS|Booting from|No bootable device/.test(out)) {
        ok = true;
        break;
      }
    }
  } finally {
    p.kill(9);
    await p.exited;
    rmSync(dir, { recursive: true, force: true });
  }
  if (ok) return { ok: true, reason: "KVM boots the firmware" };
  const err = p.exitCode !== null && p.exitCode !== 0 && p.signalCode === null ? (await new Response(p.stderr).text()).trim() : "";
  return { ok: false, reason: err ? `KVM refused: ${err.split("\n")[0]}` : `KVM did not boot the firmware in ${timeoutMs} ms` };
}

export interface HostResources {
  hostname: string;
  vcpus: number;
  memoryMb: number;
  localGb: number;
  model: string;
  vendor: string;
  features: string[];
}

export function hostResources(dataDir: string): HostResources {
  const c = cpus();
  let localGb = 0;
  try {
    const s = statfsSync(dataDir);
    localGb = Math.floor((Number(s.blocks) * Number(s.bsize)) / 2 ** 30);
  } catch {
    /* unknown */
  }
  let vendor = "unknown";
  let features: string[] = [];
  try {
    const info = readFileSync("/proc/cpuinfo", "utf8");
    vendor = /vendor_id\s*:\s*(\S+)/.exec(info)?.[1] ?? vendor;
    features = (/flags\s*:\s*(.*)/.exec(info)?.[1] ?? "").split(/\s+/).filter(Boolean).slice(0, 64);
  } catch {
    /* not Linux */
  }
  return {
    hostname: osHostname(),
    vcpus: c.length,
    memoryMb: Math.floor(totalmem() / 2 ** 20),
    localGb,
    model: c[0]?.model ?? "unknown",
    vendor,
    features,
  };
}
