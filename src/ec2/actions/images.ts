/** Images (AMIs) over Glance v2: ami-/aki-/ari- by disk format. */
import type { Action, ActionCtx } from "../common.ts";
import { applyFilters, iso, tagFilter, tagSet, UNKNOWN_FILTER, paginate } from "../common.ts";
import { ec2err } from "../errors.ts";
import { mapOsError, OsError } from "../openstack.ts";

export interface GlanceImage {
  id: string;
  name: string | null;
  status: string;
  visibility: string;
  owner: string | null;
  disk_format: string | null;
  container_format: string | null;
  created_at: string;
  size?: number | null;
  architecture?: string;
  kernel_id?: string;
  ramdisk_id?: string;
  description?: string;
  block_device_mapping?: string;
  bdm_v2?: string;
  [k: string]: unknown;
}

export const imagePrefix = (img: Pick<GlanceImage, "disk_format" | "container_format">) =>
  img.disk_format === "aki" || img.container_format === "aki" ? "aki" : img.disk_format === "ari" || img.container_format === "ari" ? "ari" : "ami";

export const imageEc2Id = (c: ActionCtx, img: Pick<GlanceImage, "id" | "disk_format" | "container_format">) =>
  c.store.idFor("image", img.id, imagePrefix(img));

/** An image's EC2 id when only its uuid is known (ami- unless seen before as a kernel or ramdisk). */
export const imageIdOf = (c: ActionCtx, uuid: string) => c.store.idFor("image", uuid);

const STATE: Record<string, string> = {
  queued: "pending", saving: "pending", uploading: "pending", importing: "pending",
  active: "available", killed: "failed", deleted: "deregistered", pending_delete: "deregistered", deactivated: "disabled",
};

export async function listImages(c: ActionCtx): Promise<GlanceImage[]> {
  const out: GlanceImage[] = [];
  let path: string | undefined = "/images?limit=1000";
  while (path) {
    const body: { images: GlanceImage[]; next?: string } = await c.os.call("image", "GET", path);
    out.push(...body.images);
    path = body.next ? body.next.replace(/^\/v2/, "") : undefined;
    if (body.images.length === 0) break;
  }
  return out;
}

function view(c: ActionCtx, img: GlanceImage, tags: { key: string; value: string }[]) {
  const prefix = imagePrefix(img);
  const ebs = !!(img.block_device_mapping || img.bdm_v2 === "True" || img.bdm_v2 === "true");
  return {
    imageId: imageEc2Id(c, img),
    imageLocation: `${img.owner ?? "none"}/${img.name ?? img.id}`,
    imageState: STATE[img.status] ?? "pending",
    imageOwnerId: img.owner ?? undefined,
    creationDate: iso(img.created_at),
    isPublic: img.visibility === "public",
    architecture: img.architecture ?? "x86_64",
    imageType: prefix === "aki" ? "kernel" : prefix === "ari" ? "ramdisk" : "machine",
    kernelId: img.kernel_id ? c.store.idFor("image", img.kernel_id, "aki") : undefined,
    ramdiskId: img.ramdisk_id ? c.store.idFor("image", img.ramdisk_id, "ari") : undefined,
    name: img.name ?? undefined,
    description: img.description,
    rootDeviceType: ebs ? "ebs" : "instance-store",
    rootDeviceName: prefix === "ami" ? "/dev/vda" : undefined,
    blockDeviceMapping: [],
    virtualizationType: "hvm",
    hypervisor: "xen",
    tagSet: tagSet(tags),
  };
}

export const DescribeImages: Action = async (c) => {
  const all = await listImages(c);
  const tagMap = c.store.tagMap(c.os.projectId);
  let items = all.map((img) => ({ img, v: view(c, img, tagMap.get(imageEc2Id(c, img)) ?? []) }));
  const ids = c.p.list("ImageId");
  if (ids.length) {
    const want = ids.map((id) => {
      const uuid = c.store.tryUuidOf("image", id);
      if (!uuid || !items.some((i) => i.img.id === uuid)) throw ec2err("InvalidAMIID.NotFound", `The image id '[${id}]' does not exist`);
      return uuid;
    });
    items = items.filter((i) => want.includes(i.img.id));
  }
  const owners = c.p.list("Owner");
  if (owners.length) {
    items = items.filter((i) =>
      owners.some((o) => (o === "self" ? i.img.owner === c.os.projectId : o === "amazon" || o === "aws-marketplace" ? false : i.img.owner === o)),
    );
  }
  const execBy = c.p.list("ExecutableBy");
  if (execBy.length) {
    items = items.filter((i) => execBy.some((e) => (e === "all" ? i.img.visibility === "public" : e === "self" || e === c.os.projectId)));
  }
  items = applyFilters(items, c.p.filters(), (i, n) => {
    const v = i.v;
    switch (n) {
      case "image-id": return v.imageId;
      case "name": return v.name;
      case "state": return v.imageState;
      case "owner-id": return v.imageOwnerId;
      case "is-public": return v.isPublic;
      case "image-type": return v.imageType;
      case "architecture": return v.architecture;
      case "kernel-id": return v.kernelId;
      case "ramdisk-id": return v.ramdiskId;
      case "root-device-type": return v.rootDeviceType;
      case "root-device-name": return v.rootDeviceName;
      case "virtualization-type": return v.virtualizationType;
      case "hypervisor": return v.hypervisor;
      case "description": return v.description;
      case "manifest-location": return v.imageLocation;
      default: return tagFilter(v.tagSet ?? [], n);
    }
  });
  const { page, nextToken } = paginate(items, c.p);
  return { imagesSet: page.map((i) => i.v), nextToken };
};

export const DescribeImageAttribute: Action = async (c) => {
  const id = c.p.required("ImageId");
  const attr = c.p.required("Attribute");
  const uuid = c.store.uuidOf("image", id);
  let img: GlanceImage;
  try {
    img = await c.os.call<GlanceImage>("image", "GET", `/images/${uuid}`);
  } catch (e) {
    mapOsError(e, "InvalidAMIID.NotFound", id);
  }
  const out: Record<string, unknown> = { imageId: id };
  switch (attr) {
    case "description": out.description = { value: img.description ?? "" }; break;
    case "kernel": out.kernel = img.kernel_id ? { value: c.store.idFor("image", img.kernel_id, "aki") } : {}; break;
    case "ramdisk": out.ramdisk = img.ramdisk_id ? { value: c.store.idFor("image", img.ramdisk_id, "ari") } : {}; break;
    case "launchPermission": out.launchPermission = img.visibility === "public" ? [{ group: "all" }] : []; break;
    case "productCodes": out.productCodes = []; break;
    case "blockDeviceMapping": out.blockDeviceMapping = []; break;
    case "sriovNetSupport": out.sriovNetSupport = {}; break;
    case "bootMode": out.bootMode = { value: "legacy-bios" }; break;
    default: throw ec2err("InvalidParameterValue", `Value (${attr}) for parameter attribute is invalid. Unknown attribute.`);
  }
  return out;
};

export const DeregisterImage: Action = async (c) => {
  const id = c.p.required("ImageId");
  const uuid = c.store.uuidOf("image", id);
  try {
    await c.os.call("image", "DELETE", `/images/${uuid}`);
  } catch (e) {
    if (e instanceof OsError && e.status === 403) throw ec2err("AuthFailure", `Not authorized for image:${id}`);
    mapOsError(e, "InvalidAMIID.NotFound", id);
  }
  c.store.dropResource(c.os.projectId, id);
  return { return: true };
};

export const CreateImage: Action = async (c) => {
  const instanceId = c.p.required("InstanceId");
  const name = c.p.required("Name");
  const uuid = c.store.uuidOf("instance", instanceId);
  const metadata: Record<string, string> = {};
  const desc = c.p.get("Description");
  if (desc) metadata.description = desc;
  let res: { image_id?: string; location?: string };
  try {
    res = await c.os.call("compute", "POST", `/servers/${uuid}/action`, { createImage: { name, metadata } });
  } catch (e) {
    mapOsError(e, "InvalidInstanceID.NotFound", instanceId);
  }
  const imageUuid = res.image_id ?? res.location?.split("/").at(-1);
  if (!imageUuid) throw ec2err("InternalError", "Compute did not say which image it created");
  const imageId = c.store.idFor("image", imageUuid, "ami");
  return { imageId };
};
