#!/usr/bin/env bun
/**
 * The QEMU driver's numbers (part of `bun run bench`), at the driver level —
 * no cloud and no ports: real guests of the test image
 * (scripts/build-test-image.sh, built first when missing and the tools allow).
 *   - qcow2 overlay creation time
 *   - create → first console marker ("TENREC-BOOT: start"), p50 over sequential boots (TCG; KVM too when usable)
 *   - create → "TENREC-BOOT: ready" (network, metadata, user data done)
 *   - memory per guest: the qemu process's RSS once booted (guest RAM it touched + QEMU + TCG code cache)
 *   - 5 guests at once: time until all are ready, total RSS
 * A benchmark, not a test: prints numbers with targets beside them and never fails on them.
 * Options: --json, --boots N (default 5), --parallel N (default 5), --memory MB (guest RAM, default 128).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { QemuDriver } from "../src/virt/qemu/driver.ts";
import { findTools, probeKvm } from "../src/virt/qemu/host.ts";
import { testImagePath, testSpec, waitFor } from "../src/virt/qemu/testenv.ts";

const { values } = parseArgs({
  args: Bun.argv.slice(2),
  options: {
    json: { type: "boolean", default: false },
    boots: { type: "string", default: "5" },
    parallel: { type: "string", default: "5" },
    memory: { type: "string", default: "128" },
  },
});
const boots = Number(values.boots);
const parallel = Number(values.parallel);
const memoryMb = Number(values.memory);
const results: Record<string, number | string> = {};
const targets: Record<string, string> = {};

function out(): void {
  if (values.json) {
    console.log(JSON.stringify({ qemu: results, targets }, null, 2));
    return;
  }
  console.log("tenrec bench (qemu driver)");
  for (const [k, v] of Object.entries(results)) {
    const t = targets[k];
    console.log(`  ${k.padEnd(64)} ${String(v).padStart(10)}   ${t ? `target ${t}` : ""}`);
  }
}

function rssMb(pid: number | null): number {
  if (!pid) return NaN;
  try {
    const m = readFileSync(`/proc/${pid}/status`, "utf8").match(/VmRSS:\s+(\d+) kB/);
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}
const p50 = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)]! : NaN;
};
const r1 = (n: number) => Math.round(n * 10) / 10;

const tools = findTools();
if (!tools) {
  results["skipped"] = "qemu-system-x86_64 / qemu-img not installed";
  console.warn("!!! bench-qemu SKIPPED: qemu-system-x86_64 / qemu-img not installed");
  out();
  process.exit(0);
}
if (!existsSync(testImagePath())) {
  const b = Bun.spawnSync(["bash", join(import.meta.dir, "build-test-image.sh")], { stdout: "pipe", stderr: "inherit" });
  if (b.exitCode !== 0 || !existsSync(testImagePath())) {
    results["skipped"] = "the test image could not be built";
    console.warn("!!! bench-qemu SKIPPED: the test image could not be built (scripts/build-test-image.sh)");
    out();
    process.exit(0);
  }
}
results["test image size (MiB)"] = r1(Bun.file(testImagePath()).size / 2 ** 20);

const root = mkdtempSync(join(tmpdir(), "tenrec-bench-qemu-"));
const drivers: QemuDriver[] = [];

async function bootSeries(accel: "tcg" | "kvm", n: number): Promise<void> {
  const d = new QemuDriver({ dir: join(root, accel), hostname: `bench-${accel}`, accel, defaultShutdownTimeoutSec: 5 });
  drivers.push(d);
  await d.init();
  if (d.acceleration.accel !== accel) return;
  const firsts: number[] = [];
  const readies: number[] = [];
  const spawns: number[] = [];
  const overhead: number[] = [];
  for (let i = 0; i < n; i++) {
    const spec = testSpec({ memoryMb, userData: Buffer.from("#!/bin/sh\necho bench\n").toString("base64") });
    const t0 = performance.now();
    await d.spawn(spec);
    spawns.push(performance.now() - t0);
    await waitFor(() => d.consoleOutput(spec.uuid), (l) => l.includes("TENREC-BOOT: start"), 60_000, "first marker");
    firsts.push(performance.now() - t0);
    await waitFor(() => d.consoleOutput(spec.uuid), (l) => l.includes("TENREC-BOOT: ready"), 60_000, "ready");
    readies.push(performance.now() - t0);
    overhead.push(rssMb(d.pidOf(spec.uuid)));
    await d.destroy(spec.uuid);
  }
  const tag = accel.toUpperCase();
  results[`${tag}: spawn() returns, p50 (ms)`] = Math.round(p50(spawns));
  results[`${tag}: create → first console marker, p50 (ms)`] = Math.round(p50(firsts));
  targets[`${tag}: create → first console marker, p50 (ms)`] = accel === "tcg" ? "< 5000" : "< 2000";
  results[`${tag}: create → ready (DHCP, metadata, user data), p50 (ms)`] = Math.round(p50(readies));
  results[`${tag}: qemu process RSS after boot, p50 (MB; ${memoryMb} MB guest RAM)`] = r1(p50(overhead));
  targets[`${tag}: qemu process RSS after boot, p50 (MB; ${memoryMb} MB guest RAM)`] = `< ${memoryMb + 100}`;
}

async function overlayTime(): Promise<void> {
  const xs: number[] = [];
  for (let i = 0; i < 5; i++) {
    const f = join(root, `ov${i}.qcow2`);
    const t0 = performance.now();
    Bun.spawnSync([tools!.qemuImg, "create", "-q", "-f", "qcow2", "-b", testImagePath(), "-F", "raw", f, "1G"]);
    xs.push(performance.now() - t0);
    rmSync(f, { force: true });
  }
  results["qcow2 overlay create, p50 (ms)"] = Math.round(p50(xs));
}

async function together(n: number): Promise<void> {
  const d = new QemuDriver({ dir: join(root, "par"), hostname: "bench-par", defaultShutdownTimeoutSec: 5 });
  drivers.push(d);
  await d.init();
  const specs = Array.from({ length: n }, () => testSpec({ memoryMb }));
  const t0 = performance.now();
  await Promise.all(specs.map((s) => d.spawn(s)));
  const firsts = await Promise.all(
    specs.map(async (s) => {
      await waitFor(() => d.consoleOutput(s.uuid), (l) => l.includes("TENREC-BOOT: start"), 180_000, "first marker");
      return performance.now() - t0;
    }),
  );
  await Promise.all(specs.map((s) => waitFor(() => d.consoleOutput(s.uuid), (l) => l.includes("TENREC-BOOT: ready"), 240_000, "ready")));
  const all = performance.now() - t0;
  const rss = specs.reduce((a, s) => a + rssMb(d.pidOf(s.uuid)), 0);
  results[`${n} guests at once (${d.acceleration.accel.toUpperCase()}): last first-marker (ms)`] = Math.round(Math.max(...firsts));
  results[`${n} guests at once: all ready (ms)`] = Math.round(all);
  results[`${n} guests at once: total qemu RSS (MB)`] = Math.round(rss);
  await Promise.all(specs.map((s) => d.destroy(s.uuid)));
}

try {
  const kvm = await probeKvm(tools.qemu);
  results["KVM"] = kvm.ok ? "usable" : `not usable: ${kvm.reason}`;
  await overlayTime();
  await bootSeries("tcg", boots);
  if (kvm.ok) await bootSeries("kvm", boots);
  await together(parallel);
} catch (e) {
  results["error"] = (e as Error).message.slice(0, 200);
} finally {
  for (const d of drivers) await d.shutdown().catch(() => {});
  rmSync(root, { recursive: true, force: true });
}
out();
