/**
 * Request schemas (zod) and the JSON Schema documents Glance publishes under
 * /v2/schemas/… (glanceclient validates against them and uses them to tell
 * base attributes from additional properties).
 */
import { z } from "zod";

export const DISK_FORMATS = ["ami", "ari", "aki", "vhd", "vhdx", "vmdk", "raw", "qcow2", "vdi", "iso", "ploop"] as const;
export const CONTAINER_FORMATS = ["ami", "ari", "aki", "bare", "ovf", "ova", "docker", "compressed"] as const;
export const VISIBILITIES = ["public", "private", "shared", "community"] as const;
export const IMAGE_STATUSES = ["queued", "saving", "active", "killed", "deleted", "uploading", "importing", "pending_delete", "deactivated"] as const;
export const MEMBER_STATUSES = ["pending", "accepted", "rejected"] as const;

/** Attributes the server sets; a create or patch naming them is refused (403, as Glance does). */
export const READ_ONLY = new Set([
  "id", "status", "checksum", "os_hash_algo", "os_hash_value", "size", "virtual_size",
  "created_at", "updated_at", "self", "file", "schema", "direct_url", "stores",
]);
/** Attributes Glance keeps for itself. */
export const RESERVED = new Set(["location", "deleted", "deleted_at"]);
/** Every attribute that is not an additional property. */
export const BASE = new Set([
  ...READ_ONLY, ...RESERVED, "name", "visibility", "protected", "os_hidden", "owner", "disk_format", "container_format",
  "min_disk", "min_ram", "tags", "locations",
]);

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
export const isUuid = (s: string) => UUID.test(s);

/** The writable base attributes, as a create body or a patch value carries them. */
export const writable = {
  name: z.string().max(255).nullable(),
  visibility: z.enum(VISIBILITIES),
  protected: z.boolean(),
  os_hidden: z.boolean(),
  owner: z.string().max(255).nullable(),
  disk_format: z.enum(DISK_FORMATS).nullable(),
  container_format: z.enum(CONTAINER_FORMATS).nullable(),
  min_disk: z.number().int().min(0).max(2 ** 31 - 1),
  min_ram: z.number().int().min(0).max(2 ** 31 - 1),
  tags: z.array(z.string().min(1).max(255)).max(128),
};

export const CreateImage = z.looseObject({
  id: z.string().regex(UUID, "must be a UUID").optional(),
  name: writable.name.optional(),
  visibility: writable.visibility.optional(),
  protected: writable.protected.optional(),
  os_hidden: writable.os_hidden.optional(),
  owner: writable.owner.optional(),
  disk_format: writable.disk_format.optional(),
  container_format: writable.container_format.optional(),
  min_disk: writable.min_disk.optional(),
  min_ram: writable.min_ram.optional(),
  tags: writable.tags.optional(),
});
export type CreateImage = z.infer<typeof CreateImage>;

/** One JSON Patch operation, in RFC 6902 form (v2.1) or Glance's older v2.0 form ({"replace": "/name", "value": …}). */
export const PatchOp = z.union([
  z.object({ op: z.enum(["add", "replace", "remove"]), path: z.string(), value: z.unknown().optional() }),
  z.object({ add: z.string(), value: z.unknown() }),
  z.object({ replace: z.string(), value: z.unknown() }),
  z.object({ remove: z.string() }),
]);
export const Patch = z.array(PatchOp);

export const CreateMember = z.object({ member: z.string().min(1).max(255) });
export const UpdateMember = z.object({ status: z.enum(MEMBER_STATUSES) });

export const ImportRequest = z.looseObject({
  method: z.looseObject({ name: z.string(), uri: z.string().optional(), glance_image_id: z.string().optional(), glance_region: z.string().optional(), glance_service_interface: z.string().optional() }),
  stores: z.array(z.string()).optional(),
  all_stores: z.boolean().optional(),
  all_stores_must_succeed: z.boolean().optional(),
});

// --- the published JSON Schema documents ------------------------------------------

const links = [
  { rel: "self", href: "{self}" },
  { rel: "enclosure", href: "{file}" },
  { rel: "describedby", href: "{schema}" },
];

export function imageSchema(): Record<string, unknown> {
  const str = (description: string, extra: Record<string, unknown> = {}) => ({ type: ["null", "string"], description, ...extra });
  return {
    name: "image",
    properties: {
      id: { type: "string", description: "An identifier for the image", pattern: "^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$" },
      name: str("Descriptive name for the image", { maxLength: 255 }),
      status: { type: "string", readOnly: true, description: "Status of the image", enum: [...IMAGE_STATUSES] },
      visibility: { type: "string", description: "Scope of image accessibility", enum: [...VISIBILITIES] },
      protected: { type: "boolean", description: "If true, image will not be deletable." },
      os_hidden: { type: "boolean", description: "If true, image will not appear in default image list response." },
      checksum: str("md5 hash of image contents.", { readOnly: true, maxLength: 32 }),
      os_hash_algo: str("Algorithm to calculate the os_hash_value", { readOnly: true, maxLength: 64 }),
      os_hash_value: str("Hexdigest of the image contents using the algorithm specified by the os_hash_algo", { readOnly: true, maxLength: 128 }),
      owner: str("Owner of the image", { maxLength: 255 }),
      size: { type: ["null", "integer"], readOnly: true, description: "Size of image file in bytes" },
      virtual_size: { type: ["null", "integer"], readOnly: true, description: "Virtual size of image in bytes" },
      container_format: { type: ["null", "string"], description: "Format of the container", enum: [null, ...CONTAINER_FORMATS] },
      disk_format: { type: ["null", "string"], description: "Format of the disk", enum: [null, ...DISK_FORMATS] },
      created_at: { type: "string", readOnly: true, description: "Date and time of image registration" },
      updated_at: { type: "string", readOnly: true, description: "Date and time of the last image modification" },
      tags: { type: "array", description: "List of strings related to the image", items: { type: "string", maxLength: 255 } },
      direct_url: { type: "string", readOnly: true, description: "URL to access the image file kept in external store" },
      min_ram: { type: "integer", description: "Amount of ram (in MB) required to boot image." },
      min_disk: { type: "integer", description: "Amount of disk space (in GB) required to boot image." },
      self: { type: "string", readOnly: true, description: "An image self url" },
      file: { type: "string", readOnly: true, description: "An image file url" },
      stores: { type: "string", readOnly: true, description: "Store in which image data resides.  Only present when the operator has enabled multiple stores.  May be a comma-separated list of store identifiers." },
      schema: { type: "string", readOnly: true, description: "An image schema url" },
      locations: {
        type: "array",
        description: "A set of URLs to access the image file kept in external store",
        items: {
          type: "object",
          properties: { url: { type: "string", maxLength: 255 }, metadata: { type: "object" }, validation_data: { type: "object" } },
          required: ["url", "metadata"],
        },
      },
      kernel_id: str("ID of image stored in Glance that should be used as the kernel when booting an AMI-style image.", { pattern: "^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$", is_base: false }),
      ramdisk_id: str("ID of image stored in Glance that should be used as the ramdisk when booting an AMI-style image.", { pattern: "^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$", is_base: false }),
      instance_uuid: { type: "string", description: "Metadata which can be used to record which instance this image is associated with. (Informational only, does not create an instance snapshot.)", is_base: false },
      architecture: { type: "string", description: "Operating system architecture as specified in https://docs.openstack.org/python-glanceclient/latest/cli/property-keys.html", is_base: false },
      os_distro: { type: "string", description: "Common name of operating system distribution as specified in https://docs.openstack.org/python-glanceclient/latest/cli/property-keys.html", is_base: false },
      os_version: { type: "string", description: "Operating system version as specified by the distributor.", is_base: false },
      description: { type: "string", description: "A human-readable string describing this image.", is_base: false },
      cim_pasd_boot_order: { type: "string", description: "Boot order", is_base: false },
    },
    additionalProperties: { type: "string" },
    links,
  };
}

export function imagesSchema(): Record<string, unknown> {
  return {
    name: "images",
    properties: {
      images: { type: "array", items: imageSchema() },
      schema: { type: "string" },
      first: { type: "string" },
      next: { type: "string" },
    },
    links: [
      { rel: "first", href: "{first}" },
      { rel: "next", href: "{next}" },
      { rel: "describedby", href: "{schema}" },
    ],
  };
}

export function memberSchema(): Record<string, unknown> {
  return {
    name: "member",
    properties: {
      created_at: { type: "string", description: "Date and time of image member creation" },
      image_id: { type: "string", description: "An identifier for the image", pattern: "^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$" },
      member_id: { type: "string", description: "An identifier for the image member (tenantId)" },
      status: { type: "string", description: "The status of this image member", enum: [...MEMBER_STATUSES] },
      updated_at: { type: "string", description: "Date and time of last modification of image member" },
      schema: { type: "string", readOnly: true },
    },
  };
}

export function membersSchema(): Record<string, unknown> {
  return {
    name: "members",
    properties: { members: { type: "array", items: memberSchema() }, schema: { type: "string" } },
    links: [{ rel: "describedby", href: "{schema}" }],
  };
}

export function taskSchema(): Record<string, unknown> {
  return {
    name: "task",
    properties: {
      id: { type: "string", description: "An identifier for the task" },
      type: { type: "string", description: "The type of task represented by this content", enum: ["import", "api_image_import"] },
      status: { type: "string", description: "The current status of this task", enum: ["pending", "processing", "success", "failure"] },
      input: { type: ["null", "object"], description: "The parameters required by task, JSON blob" },
      result: { type: ["null", "object"], description: "The result of current task, JSON blob" },
      owner: { type: "string", description: "An identifier for the owner of this task" },
      message: { type: "string", description: "Human-readable informative message only included when appropriate (usually on failure)" },
      image_id: { type: "string", description: "Image associated with the task" },
      request_id: { type: "string", description: "Human-readable informative request-id" },
      user_id: { type: "string", description: "User associated with the task" },
      expires_at: { type: ["null", "string"], description: "Datetime when this resource would be subject to removal" },
      created_at: { type: "string", description: "Datetime when this resource was created" },
      updated_at: { type: "string", description: "Datetime when this resource was updated" },
      self: { type: "string" },
      schema: { type: "string" },
    },
  };
}

/** Schemas of the metadata-definitions catalog (documents only: the catalog itself is not implemented). */
export function metadefSchema(name: string): Record<string, unknown> | undefined {
  const props: Record<string, Record<string, unknown>> = {
    "metadefs/namespace": { namespace: { type: "string", maxLength: 80 }, display_name: { type: "string" }, description: { type: "string" }, visibility: { type: "string", enum: ["public", "private"] }, protected: { type: "boolean" }, owner: { type: "string" } },
    "metadefs/property": { name: { type: "string", maxLength: 80 }, title: { type: "string" }, type: { type: "string" }, description: { type: "string" } },
    "metadefs/object": { name: { type: "string", maxLength: 80 }, description: { type: "string" }, required: { type: "array" }, properties: { type: "object" } },
    "metadefs/tag": { name: { type: "string", maxLength: 255 }, created_at: { type: "string" }, updated_at: { type: "string" } },
    "metadefs/resource_type": { name: { type: "string", maxLength: 80 }, prefix: { type: "string" }, properties_target: { type: "string" }, created_at: { type: "string" }, updated_at: { type: "string" } },
  };
  const plural: Record<string, string> = {
    "metadefs/namespaces": "metadefs/namespace",
    "metadefs/properties": "metadefs/property",
    "metadefs/objects": "metadefs/object",
    "metadefs/tags": "metadefs/tag",
    "metadefs/resource_types": "metadefs/resource_type",
  };
  const short = (n: string) => {
    const s = n.slice("metadefs/".length);
    return s === "resource_type" ? "resource_type_association" : s === "resource_types" ? "resource_type_associations" : s;
  };
  if (props[name]) return { name: short(name), properties: props[name], additionalProperties: false };
  const one = plural[name];
  if (one) {
    const key = short(name);
    return {
      name: key,
      properties: { [key]: { type: "array", items: { name: short(one), properties: props[one] } }, first: { type: "string" }, next: { type: "string" }, schema: { type: "string" } },
      links: [{ rel: "first", href: "{first}" }, { rel: "next", href: "{next}" }, { rel: "describedby", href: "{schema}" }],
    };
  }
  return undefined;
}
