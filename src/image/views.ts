/** What the Glance v2 API returns for images, members and tasks. */
import { isoSeconds } from "../core/clock.ts";
import { STORE_ID } from "./ctx.ts";
import type { Image, Member, Task } from "./store.ts";

export function imageView(img: Image): Record<string, unknown> {
  const v: Record<string, unknown> = { ...img.properties };
  v.name = img.name;
  v.disk_format = img.diskFormat;
  v.container_format = img.containerFormat;
  v.visibility = img.visibility;
  v.size = img.size;
  v.virtual_size = img.virtualSize;
  v.status = img.status;
  v.checksum = img.checksum;
  v.protected = img.protected;
  v.min_ram = img.minRam;
  v.min_disk = img.minDisk;
  v.owner = img.owner;
  v.os_hidden = img.osHidden;
  v.os_hash_algo = img.osHashAlgo;
  v.os_hash_value = img.osHashValue;
  v.id = img.id;
  v.created_at = isoSeconds(img.createdAt);
  v.updated_at = isoSeconds(img.updatedAt);
  v.tags = img.tags;
  v.self = `/v2/images/${img.id}`;
  v.file = `/v2/images/${img.id}/file`;
  v.schema = "/v2/schemas/image";
  if (img.object) v.stores = STORE_ID;
  return v;
}

export function memberView(m: Member): Record<string, unknown> {
  return {
    created_at: isoSeconds(m.createdAt),
    image_id: m.imageId,
    member_id: m.member,
    schema: "/v2/schemas/member",
    status: m.status,
    updated_at: isoSeconds(m.updatedAt),
  };
}

export function taskView(t: Task): Record<string, unknown> {
  return {
    id: t.id,
    type: t.type,
    status: t.status,
    owner: t.owner,
    input: t.input,
    result: t.result,
    message: t.message,
    image_id: t.imageId,
    request_id: t.requestId,
    user_id: t.userId,
    expires_at: t.expiresAt == null ? null : isoSeconds(t.expiresAt),
    created_at: isoSeconds(t.createdAt),
    updated_at: isoSeconds(t.updatedAt),
    self: `/v2/tasks/${t.id}`,
    schema: "/v2/schemas/task",
  };
}
