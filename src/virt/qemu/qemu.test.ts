/**
 * The QEMU driver with real guests (TCG here): the conformance suite with a
 * config-drive guest, and a second guest booted at the same time that reads
 * the metadata service, sees a hot-plugged volume, powers off on ACPI, dies
 * under kill -9 and is re-adopted by a new driver. Skipped, loudly, when
 * qemu or the test image (scripts/build-test-image.sh) is missing.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { driverConformance } from "../conformance.ts";
import { PowerState, type DriverEvent, type InstanceSpec } from "../driver.ts";
import { QemuDriver, pidAlive } from "./driver.ts";
import { lastBoot, qemuUnavailable, testSpec, waitFor } from "./testenv.ts";

const why = qemuUnavailable();
const BOOT_MS = 45_000;

function b64(s: string): string {
  return Buffer.from(s).toString("base64");
}

/** Console output past `since` that has a complete boot. */
function bootedSince(log: string, since: number): boolean {
  const tail = log.slice(since);
  const i = tail.lastIndexOf("TENREC-BOOT: start");
  return i >= 0 && tail.indexOf("TENREC-BOOT: ready", i) > i;
}

if (why) {
  console.warn(`\n!!!!!!!!\n!!! QEMU driver tests SKIPPED: ${why}\n!!!!!!!!\n`);
  test.skip(`QEMU driver with real guests (skipped: ${why})`, () => {});
} else {
  const root = mkdtempSync(join(tmpdir(), "tenrec-qemu-test-"));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  // ---- guest B boots in the background while the conformance suite runs ----
  const dirB = join(root, "hostB");
  const eventsB: DriverEvent[] = [];
  const driverB = new QemuDriver({ dir: dirB, hostname: "test-b", defaultShutdownTimeoutSec: 20 });
  driverB.setEventListener((e) => eventsB.push(e));
  const userDataB = `#!/bin/sh
echo "user-data says hi from $(hostname)"
( old=""; while true; do cur=$(grep -o 'vd[a-z]*$' /proc/partitions | tr '\\n' ' '); [ "$cur" != "$old" ] && echo "DISKS: $cur"; old=$cur; sleep 0.5; done ) &
`;
  // an SSH key pair for the guest (when ssh-keygen exists) and a free host port forwarded to its port 22
  const keyFile = join(root, "id_ed25519");
  const haveSsh = !!Bun.which("ssh-keygen") && !!Bun.which("ssh") &&
    Bun.spawnSync(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", keyFile]).exitCode === 0;
  const pubKey = haveSsh ? readFileSync(`${keyFile}.pub`, "utf8") : "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBravoKey tenrec@test\n";
  const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const sshPort = probe.port;
  probe.stop(true);
  const base = testSpec();
  const specB: InstanceSpec = {
    ...base,
    hostname: "bravo",
    name: "bravo",
    userData: b64(userDataB),
    keyName: "k1",
    keyData: pubKey,
    nics: [{ ...base.nics[0]!, floatingIps: ["172.24.4.99"], forwards: [{ proto: "tcp", hostPort: sshPort, guestPort: 22 }] }],
  };
  const spawnedB = driverB.init().then(() => driverB.spawn(specB));
  spawnedB.catch(() => {});

  // ---- the conformance suite on guest A (config drive) ----
  const dirA = join(root, "hostA");
  let firstBootA = "";
  driverConformance(
    "qemu",
    async () => {
      const driver = new QemuDriver({ dir: dirA, hostname: "test-a", defaultShutdownTimeoutSec: 20 });
      return {
        driver,
        spec: (o) => testSpec({ configDrive: true, hostname: "alpha", userData: b64("#!/bin/sh\necho config-drive user data ran\n"), ...o }),
        shutdownTimeoutSec: 20,
        waitBooted: async (uuid, since) => {
          const log = await waitFor(() => driver.consoleOutput(uuid), (l) => bootedSince(l, since), BOOT_MS, `guest ${uuid} to boot`);
          if (since === 0) firstBootA = log;
        },
        volume: () => {
          const path = join(root, `vol-${crypto.randomUUID()}.qcow2`);
          Bun.spawnSync(["qemu-img", "create", "-q", "-f", "qcow2", path, "64M"]);
          return { volumeId: crypto.randomUUID(), device: "/dev/vdc", path, format: "qcow2" };
        },
      };
    },
    { timeoutMs: 90_000 },
  );

  describe("QEMU driver: guest behaviour", () => {
    test("the config drive gave guest A its hostname and user data", () => {
      expect(firstBootA).toContain("TENREC-BOOT: config-drive");
      expect(firstBootA).toContain("TENREC-BOOT: hostname alpha");
      expect(firstBootA).toContain("config-drive user data ran");
    });

    test("guest B boots with markers, its network, the metadata service, key and user data", async () => {
      await spawnedB;
      expect(driverB.powerState(specB.uuid)).toBe(PowerState.RUNNING);
      const log = await waitFor(() => driverB.consoleOutput(specB.uuid), (l) => l.includes("TENREC-BOOT: ready"), BOOT_MS, "guest B ready");
      const boot = lastBoot(log);
      expect(boot).toContain("TENREC-BOOT: network eth0 10.20.30.40/24");
      expect(boot).toContain("TENREC-BOOT: metadata http://10.20.30.254");
      expect(boot).not.toContain("config-drive");
      expect(boot).toContain("TENREC-BOOT: hostname bravo");
      expect(boot).toContain(`TENREC-BOOT: instance ${specB.uuid}`);
      expect(boot).toContain("TENREC-BOOT: ssh-keys 1");
      expect(boot).toContain("user-data says hi from bravo");
      expect(boot).toMatch(/TENREC-BOOT: user-data end rc=0/);
    }, 60_000);

    test("SSH through the floating IP's host forward logs in with the key; VNC answers on its socket", async () => {
      if (haveSsh) {
        const r = Bun.spawnSync(["ssh", "-i", keyFile, "-p", String(sshPort), "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
          "-o", "ConnectTimeout=20", "-o", "BatchMode=yes", "root@127.0.0.1", "hostname"], { stdout: "pipe", stderr: "pipe" });
        expect(r.stderr.toString() && r.exitCode).toBe(0);
        expect(r.stdout.toString().trim()).toBe("bravo");
      } else console.warn("ssh/ssh-keygen missing: the SSH check is skipped");
      // a floating IP associated later: a second forward added to the running guest, then removed
      const probe2 = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
      const port2 = probe2.port;
      probe2.stop(true);
      const fwd = specB.nics[0]!.forwards!;
      await driverB.updateForwards(specB.uuid, specB.nics[0]!.portId, [...fwd, { proto: "tcp", hostPort: port2, guestPort: 22 }]);
      const banner22 = await new Promise<string>((resolve, reject) => {
        Bun.connect({ hostname: "127.0.0.1", port: port2, socket: { data(sock, d) { sock.end(); resolve(d.toString()); }, error: (_s, e) => reject(e) } }).catch(reject);
        setTimeout(() => reject(new Error("no SSH banner on the new forward")), 10_000);
      });
      expect(banner22).toMatch(/^SSH-2\.0-dropbear/);
      await driverB.updateForwards(specB.uuid, specB.nics[0]!.portId, fwd);
      await expect(Bun.connect({ hostname: "127.0.0.1", port: port2, socket: { data() {} } })).rejects.toThrow();
      const c = await driverB.getConsole(specB.uuid, "novnc");
      const banner = await new Promise<string>((resolve, reject) => {
        let got = "";
        Bun.connect({ unix: c.path!, socket: { data(sock, d) { got += d.toString(); if (got.includes("\n")) { sock.end(); resolve(got); } }, error: (_s, e) => reject(e) } }).catch(reject);
        setTimeout(() => reject(new Error("no RFB banner")), 5000);
      });
      expect(banner).toMatch(/^RFB 003\.00\d\n/);
    }, 60_000);

    test("a hot-plugged volume appears in the guest and goes away on detach", async () => {
      await waitFor(() => driverB.consoleOutput(specB.uuid), (l) => /DISKS: vda $/m.test(l), 10_000, "the disk loop");
      const path = join(root, "hotplug.qcow2");
      Bun.spawnSync(["qemu-img", "create", "-q", "-f", "qcow2", path, "32M"]);
      const volumeId = crypto.randomUUID();
      await driverB.attachVolume(specB.uuid, { volumeId, device: "/dev/vdb", path, format: "qcow2" });
      await waitFor(() => driverB.consoleOutput(specB.uuid), (l) => /DISKS: vda vdb $/m.test(l), 15_000, "vdb in the guest");
      await driverB.detachVolume(specB.uuid, volumeId);
      const log = await driverB.consoleOutput(specB.uuid);
      await waitFor(() => driverB.consoleOutput(specB.uuid), (l) => l.length > log.length || /DISKS: vda $/m.test(l.slice(l.lastIndexOf("DISKS:"))), 15_000, "vdb gone");
      const last = (await driverB.consoleOutput(specB.uuid)).split("\n").filter((x) => x.startsWith("DISKS:")).pop();
      expect(last).toBe("DISKS: vda ");
    }, 60_000);

    test("a snapshot is a flattened qcow2 of the root disk; a qcow2 pointing at a host file is refused", async () => {
      const snap = await driverB.snapshot(specB.uuid);
      const file = join(root, "snap.qcow2");
      await Bun.write(file, new Response(snap.body));
      const info = JSON.parse(Bun.spawnSync(["qemu-img", "info", "--output=json", file]).stdout.toString());
      expect(info.format).toBe("qcow2");
      expect(info["backing-filename"]).toBeUndefined();
      expect(info["virtual-size"]).toBe(2 ** 30);
      expect(driverB.powerState(specB.uuid)).toBe(PowerState.RUNNING);
      // the snapshot boots (what `server image create` then `server create` does)
      const fromSnap = testSpec({ image: { id: "snap-1", path: file, format: "qcow2", properties: {} } });
      await driverB.spawn(fromSnap);
      await waitFor(() => driverB.consoleOutput(fromSnap.uuid), (l) => l.includes("TENREC-BOOT: start"), BOOT_MS, "the snapshot to boot");
      await driverB.destroy(fromSnap.uuid);
      // an image whose qcow2 header names a backing file on the host
      const evil = join(root, "evil.qcow2");
      Bun.spawnSync(["qemu-img", "create", "-q", "-f", "qcow2", "-b", "/etc/hostname", "-F", "raw", evil, "1G"]);
      const bad = testSpec({ image: { id: "evil", path: evil, format: "qcow2", properties: {} } });
      await expect(driverB.spawn(bad)).rejects.toThrow(/backing file/);
      expect(driverB.listInstances()).not.toContain(bad.uuid);
      expect(existsSync(join(dirB, bad.uuid))).toBe(false);
    }, 60_000);

    test("power off is a clean ACPI shutdown and the process ends", async () => {
      const pid = driverB.pidOf(specB.uuid)!;
      expect(pid).toBeGreaterThan(0);
      await driverB.powerOff(specB.uuid, 20);
      expect(driverB.powerState(specB.uuid)).toBe(PowerState.SHUTDOWN);
      const boot = lastBoot(await driverB.consoleOutput(specB.uuid));
      expect(boot).toContain("TENREC-BOOT: ACPI power button pressed");
      expect(boot).toContain("TENREC-BOOT: shutdown");
      expect(boot).toContain("reboot: Power down");
      expect(pidAlive(pid)).toBe(false);
      expect(driverB.pidOf(specB.uuid)).toBeNull();
      const ev = eventsB.at(-1)!;
      expect(ev.powerState).toBe(PowerState.SHUTDOWN);
      expect(ev.expected).toBe(true);
    }, 60_000);

    test("power on boots it again; a killed qemu is reported SHUTDOWN with a reason", async () => {
      const since = (await driverB.consoleOutput(specB.uuid)).length;
      await driverB.powerOn(specB.uuid);
      expect(driverB.powerState(specB.uuid)).toBe(PowerState.RUNNING);
      await waitFor(() => driverB.consoleOutput(specB.uuid), (l) => l.slice(since).includes("TENREC-BOOT: start"), BOOT_MS, "second boot");
      const pid = driverB.pidOf(specB.uuid)!;
      const before = eventsB.length;
      process.kill(pid, "SIGKILL");
      await waitFor(() => driverB.powerState(specB.uuid), (s) => s === PowerState.SHUTDOWN, 5_000, "SHUTDOWN after kill -9");
      await waitFor(() => eventsB.length, (n) => n > before, 5_000, "an event");
      const ev = eventsB.at(-1)!;
      expect(ev).toMatchObject({ uuid: specB.uuid, powerState: PowerState.SHUTDOWN, expected: false });
      expect(ev.reason).toContain("unexpectedly");
    }, 60_000);

    test("a new driver re-adopts a running guest; the ephemeral mode stops guests on shutdown", async () => {
      await driverB.powerOn(specB.uuid);
      const pid = driverB.pidOf(specB.uuid)!;
      await driverB.shutdown(); // guests keep running
      expect(pidAlive(pid)).toBe(true);
      const again = new QemuDriver({ dir: dirB, hostname: "test-b", stopGuestsOnShutdown: true });
      try {
        await again.init();
        expect(again.listInstances()).toContain(specB.uuid);
        expect(again.powerState(specB.uuid)).toBe(PowerState.RUNNING);
        expect(again.pidOf(specB.uuid)).toBe(pid);
        await again.pause(specB.uuid);
        expect(again.powerState(specB.uuid)).toBe(PowerState.PAUSED);
        await again.reboot(specB.uuid, "HARD");
        expect(again.powerState(specB.uuid)).toBe(PowerState.RUNNING);
      } finally {
        await again.shutdown(); // the --ephemeral mode: guests are stopped
      }
      expect(pidAlive(pid)).toBe(false);
      const third = new QemuDriver({ dir: dirB, hostname: "test-b" });
      try {
        await third.init();
        expect(third.powerState(specB.uuid)).toBe(PowerState.SHUTDOWN);
        await third.destroy(specB.uuid);
        expect(existsSync(join(dirB, specB.uuid))).toBe(false);
        expect(third.listInstances()).toEqual([]);
      } finally {
        await third.shutdown();
      }
    }, 60_000);
  });
}
