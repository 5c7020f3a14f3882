/** os-migrations (admin): the resizes tenrec performed (same-host "migrations", as Nova records them). */
import { Hono } from "hono";
import type { AppEnv, Ctx } from "../../core/http.ts";
import { mvAtLeast } from "../../core/microversion.ts";
import { requireAdmin } from "../../core/policy.ts";
import type { ComputeCtx } from "../ctx.ts";
import { isoNaive } from "../views.ts";
import { instanceFor } from "./common.ts";

interface MigrationRow {
  id: number;
  uuid: string;
  instance_uuid: string;
  migration_type: string;
  status: string;
  source_compute: string | null;
  dest_compute: string | null;
  source_node: string | null;
  dest_node: string | null;
  dest_host: string | null;
  old_flavor_id: string | null;
  new_flavor_id: string | null;
  created_at: number;
  updated_at: number | null;
}

/** Record a resize as a migration (call in the transaction that casts it); returns its id. */
export function recordMigration(ctx: ComputeCtx, instanceUuid: string, host: string, oldFlavor: string, newFlavor: string): number {
  return Number(
    ctx.deps.db.run(
      `INSERT INTO compute_migrations (uuid, instance_uuid, migration_type, status, source_compute, dest_compute, source_node, dest_node, dest_host, old_flavor_id, new_flavor_id, created_at)
       VALUES (?, ?, 'resize', 'pre-migrating', ?, ?, ?, ?, '127.0.0.1', ?, ?, ?)`,
      crypto.randomUUID(), instanceUuid, host, host, host, host, oldFlavor, newFlavor, ctx.now(),
    ).lastInsertRowid,
  );
}

/** Move the instance's latest migration (in one of `from`) to `status`. */
export function setMigrationStatus(ctx: ComputeCtx, instanceUuid: string, status: string, from?: string[]): void {
  const where = from ? ` AND status IN (${from.map(() => "?").join(",")})` : "";
  const row = ctx.deps.db.get<{ id: number }>(
    `SELECT id FROM compute_migrations WHERE instance_uuid = ?${where} ORDER BY created_at DESC, id DESC`,
    instanceUuid, ...(from ?? []),
  );
  if (row) ctx.deps.db.run("UPDATE compute_migrations SET status = ?, updated_at = ? WHERE id = ?", status, ctx.now(), row.id);
}

export function migrationsRoutes(ctx: ComputeCtx): Hono<AppEnv> {
  const r = new Hono<AppEnv>();
  const view = (c: Ctx, m: MigrationRow) => ({
    id: m.id,
    status: m.status,
    instance_uuid: m.instance_uuid,
    source_node: m.source_node,
    source_compute: m.source_compute,
    dest_node: m.dest_node,
    dest_compute: m.dest_compute,
    dest_host: m.dest_host,
    // internal flavor ids, which tenrec's flavors do not have
    old_instance_type_id: null,
    new_instance_type_id: null,
    created_at: isoNaive(m.created_at),
    updated_at: isoNaive(m.updated_at),
    ...(mvAtLeast(c, "2.23") ? { migration_type: m.migration_type } : {}),
    ...(mvAtLeast(c, "2.59") ? { uuid: m.uuid } : {}),
  });

  r.get("/os-migrations", (c) => {
    requireAdmin(c.get("auth"));
    const q = new URL(c.req.url).searchParams;
    const where: string[] = ["1 = 1"];
    const args: string[] = [];
    for (const [param, col] of [["instance_uuid", "instance_uuid"], ["status", "status"], ["migration_type", "migration_type"], ["source_compute", "source_compute"]] as const) {
      const v = q.get(param);
      if (v !== null) {
        where.push(`${col} = ?`);
        args.push(v);
      }
    }
    const host = q.get("host");
    if (host !== null) {
      where.push("(source_compute = ? OR dest_compute = ?)");
      args.push(host, host);
    }
    const rows = ctx.deps.db.all<MigrationRow>(`SELECT * FROM compute_migrations WHERE ${where.join(" AND ")} ORDER BY created_at DESC, id DESC`, ...args);
    return c.json({ migrations: rows.map((m) => view(c, m)) });
  });

  // Live migrations in progress of one server (2.23): tenrec does none.
  r.get("/servers/:id/migrations", (c) => {
    instanceFor(c, ctx, c.req.param("id"));
    return c.json({ migrations: [] });
  });

  return r;
}
