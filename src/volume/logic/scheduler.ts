/**
 * cinder-scheduler in-process: there is one backend (`tenrec@file#file`); a
 * volume type whose extra specs ask for capabilities it lacks (another
 * volume_backend_name, storage protocol or vendor) finds no valid backend, and
 * a disabled cinder-volume service takes no new volumes — as Cinder's
 * CapabilitiesFilter and service checks decide.
 */
import type { Db } from "../../core/db.ts";
import { BACKEND, HOST } from "../ctx.ts";

export const CAPABILITIES: Record<string, string> = {
  volume_backend_name: BACKEND,
  storage_protocol: "file",
  vendor_name: "tenrec",
};

/** Why no backend fits the type's extra specs, or null when ours does. */
export function noValidBackend(db: Db, specs: Record<string, string>): string | null {
  const svc = db.get<{ disabled: number }>("SELECT disabled FROM volume_services WHERE binary = 'cinder-volume' AND host = ?", `${HOST}@${BACKEND}`);
  if (!svc || svc.disabled) return "No valid backend was found. No weighed backends available (cinder-volume is disabled).";
  for (const [key, have] of Object.entries(CAPABILITIES)) {
    const raw = specs[key] ?? specs[`capabilities:${key}`];
    if (raw === undefined) continue;
    const m = /^\s*<in>\s*(.*)$/i.exec(raw);
    const want = (m ? m[1]! : raw.replace(/^\s*(<is>|=|s==)\s*/i, "")).trim().toLowerCase();
    const ok = m ? have.toLowerCase().includes(want) : want === have.toLowerCase();
    if (!ok) return `No valid backend was found. No weighed backends available (${key} '${raw}' does not match '${have}').`;
  }
  return null;
}
