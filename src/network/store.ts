import type { Clock } from "../core/clock.ts";
import type { Db } from "../core/db.ts";
import type { Logger } from "../core/log.ts";
import type { IdentityClient } from "../identity/client.ts";

export type Kind = "network" | "subnet" | "port" | "router" | "floatingip" | "security_group" | "security_group_rule" | "agent";

/** A resource as stored: its API body; keys starting with `_` are internal and never rendered. */
export type Obj = Record<string, any> & { id: string };

/** The network service's tables (network_objects, network_ipallocs, network_quotas). */
export class Store {
  private seq: number;
  constructor(readonly db: Db) {
    this.seq = this.db.get<{ s: number | null }>("SELECT MAX(seq) AS s FROM network_objects")?.s ?? 0;
  }

  get(kind: Kind, id: string): Obj | undefined {
    const r = this.db.get<{ data: string }>("SELECT data FROM network_objects WHERE id = ? AND kind = ?", id, kind);
    return r ? JSON.parse(r.data) : undefined;
  }
  list(kind: Kind): Obj[] {
    return this.db.all<{ data: string }>("SELECT data FROM network_objects WHERE kind = ? ORDER BY seq", kind).map((r) => JSON.parse(r.data));
  }
  byProject(kind: Kind, projectId: string): Obj[] {
    return this.db
      .all<{ data: string }>("SELECT data FROM network_objects WHERE kind = ? AND project_id = ? ORDER BY seq", kind, projectId)
      .map((r) => JSON.parse(r.data));
  }
  /** Children by parent (subnets/ports of a network, rules of a group). */
  children(kind: Kind, parentId: string): Obj[] {
    return this.db
      .all<{ data: string }>("SELECT data FROM network_objects WHERE parent_id = ? AND kind = ? ORDER BY seq", parentId, kind)
      .map((r) => JSON.parse(r.data));
  }
  byDevice(kind: Kind, deviceId: string): Obj[] {
    return this.db
      .all<{ data: string }>("SELECT data FROM network_objects WHERE device_id = ? AND kind = ? ORDER BY seq", deviceId, kind)
      .map((r) => JSON.parse(r.data));
  }
  count(kind: Kind, projectId: string): number {
    return this.db.get<{ n: number }>("SELECT COUNT(*) AS n FROM network_objects WHERE kind = ? AND project_id = ?", kind, projectId)!.n;
  }

  insert(kind: Kind, o: Obj, parentId: string | null = null): void {
    this.db.run(
      "INSERT INTO network_objects (id, kind, project_id, parent_id, device_id, seq, data) VALUES (?, ?, ?, ?, ?, ?, ?)",
      o.id, kind, o.project_id ?? "", parentId, o.device_id ?? null, ++this.seq, JSON.stringify(o),
    );
  }
  save(o: Obj): void {
    this.db.run("UPDATE network_objects SET data = ?, device_id = ?, project_id = ? WHERE id = ?", JSON.stringify(o), o.device_id ?? null, o.project_id ?? "", o.id);
  }
  remove(id: string): void {
    this.db.run("DELETE FROM network_objects WHERE id = ?", id);
  }

  // --- IP allocations --------------------------------------------------------
  allocated(subnetId: string): Set<string> {
    return new Set(this.db.all<{ ip: string }>("SELECT ip FROM network_ipallocs WHERE subnet_id = ?", subnetId).map((r) => r.ip));
  }
  isAllocated(subnetId: string, ip: string): boolean {
    return !!this.db.get("SELECT 1 AS x FROM network_ipallocs WHERE subnet_id = ? AND ip = ?", subnetId, ip);
  }
  allocate(subnetId: string, ip: string, portId: string, networkId: string): void {
    this.db.run("INSERT INTO network_ipallocs (subnet_id, ip, port_id, network_id) VALUES (?, ?, ?, ?)", subnetId, ip, portId, networkId);
  }
  releasePort(portId: string): void {
    this.db.run("DELETE FROM network_ipallocs WHERE port_id = ?", portId);
  }
  release(subnetId: string, ip: string): void {
    this.db.run("DELETE FROM network_ipallocs WHERE subnet_id = ? AND ip = ?", subnetId, ip);
  }
  allocCount(subnetId: string): number {
    return this.db.get<{ n: number }>("SELECT COUNT(*) AS n FROM network_ipallocs WHERE subnet_id = ?", subnetId)!.n;
  }

  // --- quotas ----------------------------------------------------------------
  quotaOverrides(projectId: string): Record<string, number> {
    const out: Record<string, number> = {};
    for (const r of this.db.all<{ resource: string; hard_limit: number }>("SELECT resource, hard_limit FROM network_quotas WHERE project_id = ?", projectId))
      out[r.resource] = r.hard_limit;
    return out;
  }
  quotaProjects(): string[] {
    return this.db.all<{ p: string }>("SELECT DISTINCT project_id AS p FROM network_quotas").map((r) => r.p);
  }
  setQuota(projectId: string, resource: string, limit: number): void {
    this.db.run(
      "INSERT INTO network_quotas (project_id, resource, hard_limit) VALUES (?, ?, ?) ON CONFLICT (project_id, resource) DO UPDATE SET hard_limit = excluded.hard_limit",
      projectId, resource, limit,
    );
  }
  clearQuotas(projectId: string): void {
    this.db.run("DELETE FROM network_quotas WHERE project_id = ?", projectId);
  }
}

/** Who is calling, as the network logic sees it. */
export interface Caller {
  projectId: string;
  isAdmin: boolean;
}

/** What the network logic needs. */
export interface NetCtx {
  db: Db;
  store: Store;
  clock: Clock;
  log: Logger;
  identity: IdentityClient;
}
