/**
 * `tenrec manage flavor|instance_type|service ...`: the seed's nova-manage,
 * acting directly on the database of --data-dir (the cloud may or may not be
 * running; SQLite's WAL and busy timeout make both safe at once).
 *
 *   flavor list [NAME]       one line per active flavor, in the seed's format
 *                            (an inactive one — `flavor delete` without --purge —
 *                            shows with ", inactive" when listed by name)
 *   flavor create NAME MEMORY VCPUS STORAGE FLAVORID [SWAP] [RXTX_QUOTA] [RXTX_CAP]
 *                            MEMORY in MB, STORAGE and SWAP in GB, RXTX_QUOTA GB, RXTX_CAP MB
 *   flavor delete NAME [--purge]
 *                            marks it inactive (disabled: hidden from users, no new
 *                            servers), or with --purge removes it
 *   instance_type ...        the same as flavor
 *   service list             the compute services and their state
 */
import type { Db } from "../core/db.ts";
import { ApiError } from "../core/errors.ts";
import { createFlavor, deleteFlavor, disableFlavor, getFlavorByName, toFlavor, type FlavorFull, type FlavorRow } from "./resources/logic/flavors.ts";
import { listServices } from "./services.ts";

/** The `tenrec manage` groups Compute answers (the seed's nova-manage). */
export const COMPUTE_MANAGE_GROUPS = new Set(["flavor", "instance_type", "service"]);

/** `m1.medium: Memory: 4096MB, VCPUS: 2, Storage: 40GB, FlavorID: 3, Swap: 0GB, RXTX Quota: 0GB, RXTX Cap: 0MB`. */
export function flavorLine(f: FlavorFull): string {
  return (
    `${f.name}: Memory: ${f.ram}MB, VCPUS: ${f.vcpus}, Storage: ${f.disk}GB, FlavorID: ${f.id}, ` +
    `Swap: ${f.swap / 1024}GB, RXTX Quota: ${f.rxtxQuota}GB, RXTX Cap: ${f.rxtxCap}MB${f.disabled ? ", inactive" : ""}`
  );
}

const USAGE_FLAVOR = `usage: tenrec manage flavor list [NAME]
       tenrec manage flavor create NAME MEMORY VCPUS STORAGE FLAVORID [SWAP] [RXTX_QUOTA] [RXTX_CAP]
       tenrec manage flavor delete NAME [--purge]`;

/** A whole non-negative number from the command line, or NaN. */
const num = (s: string | undefined, dflt?: number) =>
  s === undefined && dflt !== undefined ? dflt : s !== undefined && /^\d+$/.test(s) ? Number(s) : NaN;

function flavorCommand(db: Db, action: string | undefined, rest: string[], opts: { purge: boolean; all?: boolean }): number {
  if (action === "list") {
    if (rest.length > 1) {
      console.error(USAGE_FLAVOR);
      return 2;
    }
    if (rest[0] !== undefined) {
      const f = getFlavorByName(db, rest[0]);
      if (!f) {
        console.error(`Flavor ${rest[0]} could not be found.`);
        return 1;
      }
      console.log(flavorLine(f));
      return 0;
    }
    const rows = db.all<FlavorRow>(
      `SELECT * FROM compute_resources_flavors${opts.all ? "" : " WHERE disabled = 0"} ORDER BY id`,
    );
    for (const r of rows) console.log(flavorLine(toFlavor(db, r)));
    return 0;
  }
  if (action === "create") {
    const [name, memory, vcpus, storage, flavorid, swap, rxtxQuota, rxtxCap, ...extra] = rest;
    const values = [num(memory), num(vcpus), num(storage), num(swap, 0), num(rxtxQuota, 0), num(rxtxCap, 0)];
    if (!name || !flavorid || extra.length || values.some((v) => Number.isNaN(v))) {
      console.error("Must supply valid parameters to create instance_type");
      console.error(USAGE_FLAVOR);
      return 1;
    }
    const [ram, cpus, disk, swapGb, quota, cap] = values as [number, number, number, number, number, number];
    try {
      createFlavor(db, Date.now(), {
        name, flavorid, ram, vcpus: cpus, disk, swap: swapGb * 1024, rxtxQuota: quota, rxtxCap: cap,
      });
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      if (e.status === 400) console.error("Must supply valid parameters to create instance_type");
      console.error(e.message);
      return 1;
    }
    console.log(`${name} created`);
    return 0;
  }
  if (action === "delete") {
    const [name, ...extra] = rest;
    if (!name || extra.length) {
      console.error(USAGE_FLAVOR);
      return 2;
    }
    const f = getFlavorByName(db, name);
    if (!f) {
      console.error("Valid instance type name is required");
      return 1;
    }
    if (opts.purge) deleteFlavor(db, f.id);
    else disableFlavor(db, Date.now(), f.rowId);
    console.log(`${name} ${opts.purge ? "purged" : "deleted"}`);
    return 0;
  }
  console.error(USAGE_FLAVOR);
  return 2;
}

/** `2026-11-23 21:04:29` (how nova-manage printed times). */
const managerTime = (ms: number | null) => (ms === null ? "None" : new Date(ms).toISOString().slice(0, 19).replace("T", " "));

function serviceCommand(db: Db, action: string | undefined): number {
  if (action !== "list") {
    console.error("usage: tenrec manage service list");
    return 2;
  }
  const row = (cols: string[]) =>
    console.log(
      [cols[0]!.padEnd(16), cols[1]!.padEnd(36), cols[2]!.padEnd(16), cols[3]!.padEnd(10), cols[4]!.padEnd(5), cols[5]!]
        .join(" ")
        .trimEnd(),
    );
  row(["Binary", "Host", "Zone", "Status", "State", "Updated_At"]);
  for (const s of listServices(db)) {
    row([s.binary, s.host, s.zone, s.disabled ? "disabled" : "enabled", s.up ? ":-)" : "XXX", managerTime(s.lastSeenUp ?? s.updatedAt)]);
  }
  return 0;
}

/**
 * Run `tenrec manage <group> <action> ...` against the database directly (the
 * cloud may or may not be running). Prints to stdout/stderr; returns the exit code.
 * (`all`: `flavor list` includes inactive flavors; main.ts may pass it for an `--all` flag.)
 */
export function computeManage(db: Db, args: string[], opts: { purge: boolean; all?: boolean }): number {
  const [group, action, ...rest] = args;
  if (group === "flavor" || group === "instance_type") return flavorCommand(db, action, rest, opts);
  if (group === "service") return serviceCommand(db, action);
  console.error(`tenrec manage ${args.join(" ")}: unknown command`);
  return 2;
}
