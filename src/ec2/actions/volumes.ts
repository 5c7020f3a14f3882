/** Volumes and snapshots (EBS) over Cinder v3; attach and detach through Nova. */
import type { Action, ActionCtx } from "../common.ts";
import { applyFilters, iso, paginate, tagFilter, tagSet, tagSpecs } from "../common.ts";
import { ec2err } from "../errors.ts";
import { mapOsError, OsError } from "../openstack.ts";

interface Volume {
  id: string; size: number; status: string; availability_zone: string; created_at: string; snapshot_id: string | null;
  volume_type: string | null; name: string | null; encrypted?: boolean; multiattach?: boolean;
  attachments: { server_id: string; device: string; attached_at?: string; attachment_id?: string }[];
  "os-vol-tenant-attr:tenant_id"?: string;
}
interface Snapshot { id: string; volume_id: string; status: string; size: number; created_at: string; description: string | null; name: string | null; progress?: string }

const VOL_STATUS: Record<string, string> = {
  creating: "creating", available: "available", reserved: "available", attaching: "in-use", "in-use": "in-use", detaching: "in-use",
  deleting: "deleting", error: "error", error_deleting: "error", error_restoring: "error", error_extending: "error",
  downloading: "creating", uploading: "in-use", "retyping": "in-use", "extending": "in-use", "maintenance": "in-use", "backing-up": "in-use", "restoring-backup": "creating",
};
const ATTACH_STATUS: Record<string, string> = { attaching: "attaching", detaching: "detaching", "in-use": "attached" };
const SNAP_STATUS: Record<string, string> = { creating: "pending", available: "completed", deleting: "pending", error: "error", error_deleting: "error" };

function volumeView(c: ActionCtx, v: Volume, tags: Map<string, { key: string; value: string }[]>) {
  const id = c.store.idFor("volume", v.id);
  return {
    volumeId: id,
    size: v.size,
    snapshotId: v.snapshot_id ? c.store.idFor("snapshot", v.snapshot_id) : "",
    availabilityZone: v.availability_zone,
    status: VOL_STATUS[v.status] ?? v.status,
    createTime: iso(v.created_at),
    attachmentSet: (v.attachments ?? []).map((a) => ({
      volumeId: id,
      instanceId: c.store.idFor("instance", a.server_id),
      device: a.device,
      status: ATTACH_STATUS[v.status] ?? "attached",
      attachTime: iso(a.attached_at ?? v.created_at),
      deleteOnTermination: false,
    })),
    volumeType: v.volume_type ?? "standard",
    encrypted: !!v.encrypted,
    multiAttachEnabled: !!v.multiattach,
    tagSet: tagSet(tags.get(id) ?? []),
  };
}

async function getVolume(c: ActionCtx, uuid: string, ec2Id: string): Promise<Volume> {
  try {
    const v = (await c.os.call<{ volume: Volume }>("volume", "GET", `/volumes/${uuid}`)).volume;
    if (v["os-vol-tenant-attr:tenant_id"] && v["os-vol-tenant-attr:tenant_id"] !== c.os.projectId) throw new OsError(404, "volume", "not found", null);
    return v;
  } catch (e) {
    mapOsError(e, "InvalidVolume.NotFound", ec2Id);
  }
}

export const CreateVolume: Action = async (c) => {
  const size = c.p.int("Size");
  const snapId = c.p.get("SnapshotId");
  if (size === undefined && !snapId) throw ec2err("MissingParameter", "The request must contain the parameter size or snapshotId");
  if (size !== undefined && (size < 1 || size > 16384)) throw ec2err("InvalidParameterValue", `Value (${size}) for parameter size is invalid.`);
  const volume: Record<string, unknown> = {};
  if (size !== undefined) volume.size = size;
  if (snapId) volume.snapshot_id = c.store.uuidOf("snapshot", snapId);
  const zone = c.p.get("AvailabilityZone");
  if (zone) volume.availability_zone = zone;
  const type = c.p.get("VolumeType");
  if (type && !["standard", "gp2", "gp3"].includes(type)) volume.volume_type = type;
  const tags = tagSpecs(c.p, "volume");
  const name = tags.find((t) => t.key === "Name")?.value;
  if (name) volume.name = name;
  if (!volume.size && snapId) {
    try {
      volume.size = (await c.os.call<{ snapshot: Snapshot }>("volume", "GET", `/snapshots/${volume.snapshot_id}`)).snapshot.size;
    } catch (e) {
      mapOsError(e, "InvalidSnapshot.NotFound", snapId);
    }
  }
  let v: Volume;
  try {
    v = (await c.os.call<{ volume: Volume }>("volume", "POST", "/volumes", { volume })).volume;
  } catch (e) {
    mapOsError(e, "InvalidSnapshot.NotFound", snapId, "VolumeLimitExceeded");
  }
  const id = c.store.idFor("volume", v.id);
  if (tags.length) c.store.setTags(c.os.projectId, [id], tags);
  const { attachmentSet, ...view } = volumeView(c, v, c.store.tagMap(c.os.projectId));
  void attachmentSet;
  return view;
};

export const DescribeVolumes: Action = async (c) => {
  const ids = c.p.list("VolumeId");
  const uuids = ids.map((id) => c.store.uuidOf("volume", id));
  const all = (await c.os.call<{ volumes: Volume[] }>("volume", "GET", "/volumes/detail")).volumes;
  const missing = ids.filter((_, i) => !all.some((v) => v.id === uuids[i]));
  if (missing.length) throw ec2err("InvalidVolume.NotFound", `The volume '${missing.join(", ")}' does not exist.`);
  const tags = c.store.tagMap(c.os.projectId);
  let views = all.filter((v) => !ids.length || uuids.includes(v.id)).map((v) => volumeView(c, v, tags));
  views = applyFilters(views, c.p.filters(), (v, n) => {
    switch (n) {
      case "volume-id": return v.volumeId;
      case "status": return v.status;
      case "size": return v.size;
      case "availability-zone": return v.availabilityZone;
      case "snapshot-id": return v.snapshotId;
      case "volume-type": return v.volumeType;
      case "encrypted": return v.encrypted;
      case "create-time": return v.createTime;
      case "attachment.instance-id": return v.attachmentSet.map((a) => a.instanceId);
      case "attachment.device": return v.attachmentSet.map((a) => a.device);
      case "attachment.status": return v.attachmentSet.map((a) => a.status);
      default: return tagFilter(v.tagSet ?? [], n);
    }
  });
  const { page, nextToken } = paginate(views, c.p, 500);
  return { volumeSet: page, nextToken };
};

export const DeleteVolume: Action = async (c) => {
  const id = c.p.required("VolumeId");
  const uuid = c.store.uuidOf("volume", id);
  await getVolume(c, uuid, id);
  try {
    await c.os.call("volume", "DELETE", `/volumes/${uuid}`);
  } catch (e) {
    if (e instanceof OsError && (e.status === 400 || e.status === 409)) throw ec2err("VolumeInUse", `Volume ${id} is currently attached or busy`);
    mapOsError(e, "InvalidVolume.NotFound", id);
  }
  c.store.dropResource(c.os.projectId, id);
  return { return: true };
};

export const AttachVolume: Action = async (c) => {
  const volumeId = c.p.required("VolumeId");
  const instanceId = c.p.required("InstanceId");
  const device = c.p.required("Device");
  const vol = c.store.uuidOf("volume", volumeId);
  const srv = c.store.uuidOf("instance", instanceId);
  const v = await getVolume(c, vol, volumeId);
  if (v.status !== "available") throw ec2err("IncorrectState", `${volumeId} is not 'available'.`);
  let att: { volumeAttachment: { device?: string } };
  try {
    att = await c.os.call("compute", "POST", `/servers/${srv}/os-volume_attachments`, { volumeAttachment: { volumeId: vol, device: device.startsWith("/dev/") ? device : `/dev/${device}` } });
  } catch (e) {
    if (e instanceof OsError && e.status === 409) throw ec2err("IncorrectState", e.message);
    if (e instanceof OsError && e.status === 404) {
      if (/volume/i.test(e.message)) throw ec2err("InvalidVolume.NotFound", `The volume '${volumeId}' does not exist.`);
      throw ec2err("InvalidInstanceID.NotFound", `The instance ID '${instanceId}' does not exist`);
    }
    mapOsError(e);
  }
  return { volumeId, instanceId, device: att.volumeAttachment?.device ?? device, status: "attaching", attachTime: new Date().toISOString(), deleteOnTermination: false };
};

export const DetachVolume: Action = async (c) => {
  const volumeId = c.p.required("VolumeId");
  const vol = c.store.uuidOf("volume", volumeId);
  const v = await getVolume(c, vol, volumeId);
  const instanceId = c.p.get("InstanceId");
  const srv = instanceId ? c.store.uuidOf("instance", instanceId) : undefined;
  const a = v.attachments.find((x) => !srv || x.server_id === srv);
  if (!a) throw ec2err("IncorrectState", `Volume '${volumeId}' is not attached${instanceId ? ` to '${instanceId}'` : ""}.`);
  try {
    await c.os.call("compute", "DELETE", `/servers/${a.server_id}/os-volume_attachments/${vol}`);
  } catch (e) {
    if (e instanceof OsError && e.status === 409) throw ec2err("IncorrectState", e.message);
    mapOsError(e, "InvalidVolume.NotFound", volumeId);
  }
  return { volumeId, instanceId: c.store.idFor("instance", a.server_id), device: a.device, status: "detaching", attachTime: iso(a.attached_at ?? v.created_at), deleteOnTermination: false };
};

function snapshotView(c: ActionCtx, s: Snapshot, tags: Map<string, { key: string; value: string }[]>) {
  const id = c.store.idFor("snapshot", s.id);
  return {
    snapshotId: id,
    volumeId: c.store.idFor("volume", s.volume_id),
    status: SNAP_STATUS[s.status] ?? s.status,
    startTime: iso(s.created_at),
    progress: s.status === "available" ? "100%" : (s.progress ?? "0%"),
    ownerId: c.os.projectId,
    volumeSize: s.size,
    description: s.description ?? "",
    encrypted: false,
    tagSet: tagSet(tags.get(id) ?? []),
  };
}

export const CreateSnapshot: Action = async (c) => {
  const volumeId = c.p.required("VolumeId");
  const vol = c.store.uuidOf("volume", volumeId);
  await getVolume(c, vol, volumeId);
  const tags = tagSpecs(c.p, "snapshot");
  let s: Snapshot;
  try {
    s = (await c.os.call<{ snapshot: Snapshot }>("volume", "POST", "/snapshots", {
      snapshot: { volume_id: vol, force: true, description: c.p.get("Description") ?? null, name: tags.find((t) => t.key === "Name")?.value ?? null },
    })).snapshot;
  } catch (e) {
    mapOsError(e, "InvalidVolume.NotFound", volumeId);
  }
  const id = c.store.idFor("snapshot", s.id);
  if (tags.length) c.store.setTags(c.os.projectId, [id], tags);
  return snapshotView(c, s, c.store.tagMap(c.os.projectId));
};

export const DescribeSnapshots: Action = async (c) => {
  const ids = c.p.list("SnapshotId");
  const uuids = ids.map((id) => c.store.uuidOf("snapshot", id));
  const all = (await c.os.call<{ snapshots: Snapshot[] }>("volume", "GET", "/snapshots/detail")).snapshots;
  const missing = ids.filter((_, i) => !all.some((s) => s.id === uuids[i]));
  if (missing.length) throw ec2err("InvalidSnapshot.NotFound", `The snapshot '${missing.join(", ")}' does not exist.`);
  const owners = c.p.list("Owner");
  const tags = c.store.tagMap(c.os.projectId);
  let views = all.filter((s) => !ids.length || uuids.includes(s.id)).map((s) => snapshotView(c, s, tags));
  if (owners.length) views = views.filter((v) => owners.some((o) => o === "self" || o === v.ownerId));
  views = applyFilters(views, c.p.filters(), (v, n) => {
    switch (n) {
      case "snapshot-id": return v.snapshotId;
      case "volume-id": return v.volumeId;
      case "status": return v.status;
      case "owner-id": return v.ownerId;
      case "description": return v.description;
      case "volume-size": return v.volumeSize;
      case "progress": return v.progress;
      case "start-time": return v.startTime;
      default: return tagFilter(v.tagSet ?? [], n);
    }
  });
  const { page, nextToken } = paginate(views, c.p);
  return { snapshotSet: page, nextToken };
};

export const DeleteSnapshot: Action = async (c) => {
  const id = c.p.required("SnapshotId");
  const uuid = c.store.uuidOf("snapshot", id);
  try {
    await c.os.call("volume", "DELETE", `/snapshots/${uuid}`);
  } catch (e) {
    mapOsError(e, "InvalidSnapshot.NotFound", id);
  }
  c.store.dropResource(c.os.projectId, id);
  return { return: true };
};
