import type { Db } from "../core/db.ts";

/** The `tenrec manage` groups Compute answers (the seed's nova-manage). */
export const COMPUTE_MANAGE_GROUPS = new Set(["flavor", "instance_type", "service"]);

/**
 * Run `tenrec manage <group> <action> ...` against the database directly (the
 * cloud may or may not be running). Prints to stdout/stderr; returns the exit code.
 */
export function computeManage(_db: Db, args: string[], _opts: { purge: boolean }): number {
  console.error(`tenrec manage ${args.join(" ")}: not implemented yet`);
  return 2;
}
