/** Rows of the volume service's tables and the small queries shared by its logic. */
import type { Db } from "../core/db.ts";

export interface VolumeRow {
  id: string;
  project_id: string;
  user_id: string;
  name: string | null;
  description: string | null;
  size: number;
  status: string;
  attach_status: string;
  migration_status: string | null;
  availability_zone: string;
  type_id: string;
  bootable: number;
  multiattach: number;
  /** Admin metadata `readonly` (null until os-update_readonly_flag sets it). */
  readonly: number | null;
  snapshot_id: string | null;
  source_volid: string | null;
  image_id: string | null;
  metadata: string;
  image_metadata: string;
  format: "raw" | "qcow2";
  fault: string | null;
  created_at: string;
  updated_at: string | null;
}

export interface AttachmentRow {
  id: string;
  volume_id: string;
  project_id: string;
  instance_id: string | null;
  host: string | null;
  mountpoint: string | null;
  attach_status: string;
  attach_mode: string;
  connector: string | null;
  attached_at: string | null;
  created_at: string;
  updated_at: string | null;
}

export interface SnapshotRow {
  id: string;
  project_id: string;
  user_id: string;
  volume_id: string;
  name: string | null;
  description: string | null;
  size: number;
  status: string;
  progress: string;
  metadata: string;
  type_id: string | null;
  created_at: string;
  updated_at: string | null;
}

export interface TypeRow {
  id: string;
  name: string;
  description: string | null;
  is_public: number;
  extra_specs: string;
  /** The encryption spec (JSON) of an encrypted type, or null. */
  encryption: string | null;
  /** The QoS specs associated with the type, or null. */
  qos_specs_id: string | null;
  created_at: string;
  updated_at: string | null;
}

/** Cinder's timestamps: `2026-11-23T21:04:29.123000` (microseconds, no zone). */
export function cinderTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$1000");
}

export const jsonMap = (s: string | null | undefined): Record<string, string> => {
  if (!s) return {};
  try {
    return JSON.parse(s) as Record<string, string>;
  } catch {
    return {};
  }
};

export const getVolumeRow = (db: Db, id: string) => db.get<VolumeRow>("SELECT * FROM volume_volumes WHERE id = ?", id);
export const getSnapshotRow = (db: Db, id: string) => db.get<SnapshotRow>("SELECT * FROM volume_snapshots WHERE id = ?", id);
export const getTypeRow = (db: Db, id: string) => db.get<TypeRow>("SELECT * FROM volume_types WHERE id = ?", id);
export const getTypeByName = (db: Db, name: string) => db.get<TypeRow>("SELECT * FROM volume_types WHERE name = ?", name);
export const getAttachmentRow = (db: Db, id: string) => db.get<AttachmentRow>("SELECT * FROM volume_attachments WHERE id = ?", id);
export const attachmentsOf = (db: Db, volumeId: string) =>
  db.all<AttachmentRow>(
    "SELECT * FROM volume_attachments WHERE volume_id = ? AND attach_status != 'detached' ORDER BY created_at, rowid",
    volumeId,
  );

/** Set a volume's status (and anything else) in one UPDATE; bumps updated_at. */
export function setVolume(db: Db, id: string, now: string, fields: Partial<VolumeRow>): void {
  const keys = Object.keys(fields) as (keyof VolumeRow)[];
  const sets = [...keys.map((k) => `${k} = ?`), "updated_at = ?"].join(", ");
  db.run(`UPDATE volume_volumes SET ${sets} WHERE id = ?`, ...keys.map((k) => fields[k] as any), now, id);
}
export function setSnapshot(db: Db, id: string, now: string, fields: Partial<SnapshotRow>): void {
  const keys = Object.keys(fields) as (keyof SnapshotRow)[];
  const sets = [...keys.map((k) => `${k} = ?`), "updated_at = ?"].join(", ");
  db.run(`UPDATE volume_snapshots SET ${sets} WHERE id = ?`, ...keys.map((k) => fields[k] as any), now, id);
}
