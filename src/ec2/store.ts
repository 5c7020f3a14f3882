/**
 * The EC2 API's own state: stable EC2 ids for OpenStack uuids (the same id
 * every time; `i-`, `ami-`, `vol-`…, 17 hex digits derived from the uuid),
 * instance reservations, and tags per project.
 */
import { createHash, randomBytes } from "node:crypto";
import type { Db } from "../core/db.ts";
import { ec2err } from "./errors.ts";

/** The kinds of mapped resources and the prefixes their EC2 ids take. */
export const KINDS = {
  instance: ["i"],
  image: ["ami", "aki", "ari"],
  volume: ["vol"],
  snapshot: ["snap"],
  sg: ["sg"],
  eip: ["eipalloc"],
  eipassoc: ["eipassoc"],
  vpc: ["vpc"],
  subnet: ["subnet"],
  keypair: ["key"],
  reservation: ["r"],
} as const;
export type Kind = keyof typeof KINDS;

const MALFORMED: Record<Kind, string> = {
  instance: "InvalidInstanceID.Malformed",
  image: "InvalidAMIID.Malformed",
  volume: "InvalidVolumeID.Malformed",
  snapshot: "InvalidSnapshotID.Malformed",
  sg: "InvalidGroupId.Malformed",
  eip: "InvalidAllocationID.Malformed",
  eipassoc: "InvalidAssociationID.Malformed",
  vpc: "InvalidVpcID.Malformed",
  subnet: "InvalidSubnetID.Malformed",
  keypair: "InvalidKeyPair.Malformed",
  reservation: "InvalidParameterValue",
};
export const NOT_FOUND: Record<Kind, string> = {
  instance: "InvalidInstanceID.NotFound",
  image: "InvalidAMIID.NotFound",
  volume: "InvalidVolume.NotFound",
  snapshot: "InvalidSnapshot.NotFound",
  sg: "InvalidGroup.NotFound",
  eip: "InvalidAllocationID.NotFound",
  eipassoc: "InvalidAssociationID.NotFound",
  vpc: "InvalidVpcID.NotFound",
  subnet: "InvalidSubnetID.NotFound",
  keypair: "InvalidKeyPair.NotFound",
  reservation: "InvalidParameterValue",
};

const LABEL: Record<Kind, string> = {
  instance: "instance ID", image: "image id", volume: "volume", snapshot: "snapshot", sg: "security group", eip: "allocation ID",
  eipassoc: "association ID", vpc: "vpc ID", subnet: "subnet ID", keypair: "key pair", reservation: "reservation",
};

export const TERMINATED_TTL_MS = 60 * 60 * 1000;

const ID_RE = /^([a-z]+)-([0-9a-f]{8}|[0-9a-f]{17})$/;

/** The kind an EC2 id names, or undefined. */
export function kindOf(ec2Id: string): Kind | undefined {
  const m = ID_RE.exec(ec2Id);
  if (!m) return undefined;
  for (const [k, prefixes] of Object.entries(KINDS)) if ((prefixes as readonly string[]).includes(m[1]!)) return k as Kind;
  return undefined;
}

export class Ec2Store {
  constructor(private db: Db, private now: () => string) {}

  /** Mappings never change once made: remembered in memory (bounded). */
  private ids = new Map<string, string>();
  private reservations = new Map<string, { id: string; index: number }>();

  /** The EC2 id of a uuid, minted (and stored) on first sight. */
  idFor(kind: Kind, uuid: string, prefix: string = KINDS[kind][0]): string {
    const key = `${kind}\0${uuid}\0${prefix}`;
    const hit = this.ids.get(key);
    if (hit) return hit;
    const id = this.mint(kind, uuid, prefix);
    if (this.ids.size > 200_000) this.ids.clear();
    this.ids.set(key, id);
    return id;
  }

  private mint(kind: Kind, uuid: string, prefix: string): string {
    const row = this.db.get<{ ec2_id: string }>("SELECT ec2_id FROM ec2_ids WHERE kind = ? AND uuid = ?", kind, uuid);
    if (row) {
      // An image whose disk format changed keeps its number under the new prefix.
      if (!row.ec2_id.startsWith(`${prefix}-`)) return `${prefix}-${row.ec2_id.slice(row.ec2_id.indexOf("-") + 1)}`;
      return row.ec2_id;
    }
    let hex = createHash("sha256").update(`${kind}:${uuid}`).digest("hex").slice(0, 17);
    for (let i = 0; ; i++) {
      const id = `${prefix}-${hex}`;
      const r = this.db.run("INSERT OR IGNORE INTO ec2_ids (ec2_id, kind, uuid, created_at) VALUES (?, ?, ?, ?)", id, kind, uuid, this.now());
      if (r.changes === 1) return id;
      const again = this.db.get<{ ec2_id: string }>("SELECT ec2_id FROM ec2_ids WHERE kind = ? AND uuid = ?", kind, uuid);
      if (again) return again.ec2_id;
      if (i > 5) throw new Error("cannot mint an EC2 id");
      hex = randomBytes(9).toString("hex").slice(0, 17);
    }
  }

  /** The uuid an EC2 id maps to: Malformed for a bad id, NotFound when unknown. */
  uuidOf(kind: Kind, ec2Id: string): string {
    const k = kindOf(ec2Id);
    if (k !== kind) throw ec2err(MALFORMED[kind], `Invalid id: "${ec2Id}"`);
    let row = this.db.get<{ uuid: string }>("SELECT uuid FROM ec2_ids WHERE ec2_id = ? AND kind = ?", ec2Id, kind);
    if (!row && kind === "image") {
      // ami-/aki-/ari- name the same image number.
      const num = ec2Id.slice(ec2Id.indexOf("-") + 1);
      for (const pre of KINDS.image) row ??= this.db.get("SELECT uuid FROM ec2_ids WHERE ec2_id = ? AND kind = ?", `${pre}-${num}`, kind);
    }
    if (!row) throw ec2err(NOT_FOUND[kind], `The ${LABEL[kind]} '${ec2Id}' does not exist`);
    return row.uuid;
  }

  /** Like uuidOf, but undefined instead of NotFound (still Malformed on a bad id). */
  tryUuidOf(kind: Kind, ec2Id: string): string | undefined {
    try {
      return this.uuidOf(kind, ec2Id);
    } catch (e) {
      if ((e as { type?: string }).type === NOT_FOUND[kind]) return undefined;
      throw e;
    }
  }

  // ---- reservations
  reservation(instanceUuid: string, projectId: string): { id: string; index: number } {
    const hit = this.reservations.get(instanceUuid);
    if (hit) return hit;
    const r = this.loadReservation(instanceUuid, projectId);
    if (this.reservations.size > 200_000) this.reservations.clear();
    this.reservations.set(instanceUuid, r);
    return r;
  }
  private loadReservation(instanceUuid: string, projectId: string): { id: string; index: number } {
    const row = this.db.get<{ reservation_id: string; launch_index: number }>(
      "SELECT reservation_id, launch_index FROM ec2_reservations WHERE instance_uuid = ?", instanceUuid,
    );
    if (row) return { id: row.reservation_id, index: row.launch_index };
    const id = newReservationId();
    this.db.run(
      "INSERT OR IGNORE INTO ec2_reservations (instance_uuid, reservation_id, project_id, launch_index) VALUES (?, ?, ?, 0)",
      instanceUuid, id, projectId,
    );
    return this.loadReservation(instanceUuid, projectId);
  }
  setReservation(instanceUuid: string, projectId: string, reservationId: string, index: number): void {
    this.reservations.set(instanceUuid, { id: reservationId, index });
    this.db.run(
      "INSERT OR REPLACE INTO ec2_reservations (instance_uuid, reservation_id, project_id, launch_index) VALUES (?, ?, ?, ?)",
      instanceUuid, reservationId, projectId, index,
    );
  }

  // ---- terminated instances
  /** Remember a terminated instance's last view, shown as terminated for TERMINATED_TTL_MS. */
  rememberTerminated(instanceUuid: string, projectId: string, view: unknown, now: number): void {
    this.db.run(
      "INSERT OR REPLACE INTO ec2_terminated (instance_uuid, project_id, view, terminated_at) VALUES (?, ?, ?, ?)",
      instanceUuid, projectId, JSON.stringify(view), now,
    );
  }
  terminated(projectId: string, now: number): { uuid: string; view: any }[] {
    this.db.run("DELETE FROM ec2_terminated WHERE terminated_at < ?", now - TERMINATED_TTL_MS);
    return this.db
      .all<{ instance_uuid: string; view: string }>("SELECT instance_uuid, view FROM ec2_terminated WHERE project_id = ? ORDER BY terminated_at", projectId)
      .map((r) => ({ uuid: r.instance_uuid, view: JSON.parse(r.view) }));
  }

  // ---- tags
  tagsOf(projectId: string, resourceId: string): { key: string; value: string }[] {
    return this.db.all("SELECT key, value FROM ec2_tags WHERE project_id = ? AND resource_id = ? ORDER BY key", projectId, resourceId);
  }
  allTags(projectId: string): { resource_id: string; key: string; value: string }[] {
    return this.db.all("SELECT resource_id, key, value FROM ec2_tags WHERE project_id = ? ORDER BY resource_id, key", projectId);
  }
  tagMap(projectId: string): Map<string, { key: string; value: string }[]> {
    const m = new Map<string, { key: string; value: string }[]>();
    for (const t of this.allTags(projectId)) {
      let l = m.get(t.resource_id);
      if (!l) m.set(t.resource_id, (l = []));
      l.push({ key: t.key, value: t.value });
    }
    return m;
  }
  setTags(projectId: string, resources: string[], tags: { key: string; value: string }[]): void {
    this.db.tx(() => {
      for (const r of resources)
        for (const t of tags)
          this.db.run(
            "INSERT INTO ec2_tags (project_id, resource_id, key, value) VALUES (?, ?, ?, ?) ON CONFLICT (project_id, resource_id, key) DO UPDATE SET value = excluded.value",
            projectId, r, t.key, t.value,
          );
    });
  }
  deleteTags(projectId: string, resources: string[], tags: { key: string; value?: string }[]): void {
    this.db.tx(() => {
      for (const r of resources) {
        if (!tags.length) {
          this.db.run("DELETE FROM ec2_tags WHERE project_id = ? AND resource_id = ?", projectId, r);
          continue;
        }
        for (const t of tags) {
          if (t.value === undefined) this.db.run("DELETE FROM ec2_tags WHERE project_id = ? AND resource_id = ? AND key = ?", projectId, r, t.key);
          else this.db.run("DELETE FROM ec2_tags WHERE project_id = ? AND resource_id = ? AND key = ? AND value = ?", projectId, r, t.key, t.value);
        }
      }
    });
  }
  /** Forget a deleted resource's tags. */
  dropResource(projectId: string, resourceId: string): void {
    this.db.run("DELETE FROM ec2_tags WHERE project_id = ? AND resource_id = ?", projectId, resourceId);
  }
}

export function newReservationId(): string {
  return `r-${randomBytes(9).toString("hex").slice(0, 17)}`;
}
