/** Request schemas of the servers API (nova/api/openstack/compute/schemas/servers.py, the parts clients send). */
import { z } from "zod";

/** Nova's name: 1–255 characters, no leading or trailing whitespace. */
export const serverName = z
  .string({ message: "Expected a string" })
  .min(1, "Name must not be empty")
  .max(255, "Name is too long (at most 255 characters)")
  .refine((s) => s.trim() === s, "Name must not have leading or trailing whitespace");

const metadataValue = z.string().max(255, "Metadata values are limited to 255 characters");
export const metadataMap = z.record(
  z.string().min(1, "Metadata keys must not be empty").max(255, "Metadata keys are limited to 255 characters"),
  metadataValue,
);

const ipv4 = z.string().regex(/^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/, "Invalid IPv4 address");
/** An IPv6 address in its canonical (RFC 5952) form, as Nova stores it. */
export function canonicalIPv6(s: string): string | undefined {
  if (!s.includes(":")) return undefined;
  try {
    return new URL(`http://[${s}]/`).hostname.slice(1, -1);
  } catch {
    return undefined;
  }
}
const ipv6 = z
  .string()
  .refine((s) => canonicalIPv6(s) !== undefined, "Invalid IPv6 address")
  .transform((s) => canonicalIPv6(s)!);

const boolish = z.union([z.boolean(), z.enum(["True", "true", "False", "false", "1", "0", "yes", "no", "on", "off"])]);
export const toBool = (v: unknown) => (typeof v === "boolean" ? v : ["true", "1", "yes", "on"].includes(String(v).toLowerCase()));

const count = z.union([z.number().int().min(1), z.string().regex(/^[1-9]\d*$/)]).transform((v) => Number(v));

export const tagSchema = z
  .string()
  .min(1, "Tags must not be empty")
  .max(60, "Tags are limited to 60 characters")
  .refine((t) => !t.includes("/") && !t.includes(","), "Tags must not contain '/' or ','");

export const bdmV2 = z
  .object({
    boot_index: z.union([z.number().int(), z.string().regex(/^-?\d+$/), z.null()]).optional(),
    source_type: z.enum(["volume", "image", "snapshot", "blank"]).optional(),
    destination_type: z.enum(["volume", "local"]).optional(),
    uuid: z.string().optional(),
    volume_size: z.union([z.number().int().min(1), z.string().regex(/^\d+$/)]).optional(),
    delete_on_termination: boolish.optional(),
    device_name: z.string().nullable().optional(),
    tag: z.string().max(60).optional(),
    volume_type: z.string().nullable().optional(),
    disk_bus: z.string().optional(),
    device_type: z.string().optional(),
    guest_format: z.string().nullable().optional(),
    no_device: z.any().optional(),
    volume_id: z.string().optional(),
  })
  .passthrough();

export const createServer = z.object({
  server: z
    .object({
      name: serverName,
      imageRef: z.string().optional().nullable(),
      flavorRef: z.union([z.string().min(1), z.number().int()]).transform(String),
      adminPass: z.string().optional(),
      metadata: metadataMap.optional(),
      networks: z
        .union([
          z.enum(["auto", "none"]),
          z.array(
            z
              .object({
                uuid: z.string().optional(),
                port: z.string().nullable().optional(),
                fixed_ip: z.string().optional(),
                tag: z.string().optional(),
              })
              .passthrough(),
          ),
        ])
        .optional(),
      "OS-DCF:diskConfig": z.enum(["AUTO", "MANUAL"]).optional(),
      accessIPv4: ipv4.optional(),
      accessIPv6: ipv6.optional(),
      key_name: z.string().min(1).max(255).optional().nullable(),
      user_data: z.string().max(65535).optional().nullable(),
      availability_zone: z.string().min(1).max(255).optional(),
      block_device_mapping_v2: z.array(bdmV2).optional(),
      block_device_mapping: z.array(z.record(z.string(), z.any())).optional(),
      config_drive: boolish.optional(),
      min_count: count.optional(),
      max_count: count.optional(),
      return_reservation_id: boolish.optional(),
      security_groups: z.array(z.object({ name: z.string().min(1) }).passthrough()).optional(),
      description: z.string().max(255).nullable().optional(),
      tags: z.array(tagSchema).max(50).optional(),
      personality: z.array(z.object({ path: z.string(), contents: z.string().regex(/^[A-Za-z0-9+/=\s]*$/, "Personality content must be base64") })).optional(),
      trusted_image_certificates: z.array(z.string().min(1)).min(1).max(50).nullable().optional(),
      host: z.string().optional(),
      hypervisor_hostname: z.string().optional(),
    })
    .passthrough(),
  "os:scheduler_hints": z.record(z.string(), z.any()).optional(),
  "OS-SCH-HNT:scheduler_hints": z.record(z.string(), z.any()).optional(),
});
export type CreateServer = z.infer<typeof createServer>;

export const updateServer = z.object({
  server: z
    .object({
      name: serverName.optional(),
      description: z.string().max(255).nullable().optional(),
      accessIPv4: z.union([ipv4, z.literal("")]).optional(),
      accessIPv6: z.union([ipv6, z.literal("")]).optional(),
      "OS-DCF:diskConfig": z.enum(["AUTO", "MANUAL"]).optional(),
      hostname: z.string().optional(),
    })
    .strict(),
});

export const rebuildServer = z
  .object({
    imageRef: z.string().min(1),
    name: serverName.optional(),
    adminPass: z.string().optional(),
    metadata: metadataMap.optional(),
    preserve_ephemeral: z.boolean().optional(),
    "OS-DCF:diskConfig": z.enum(["AUTO", "MANUAL"]).optional(),
    accessIPv4: z.union([ipv4, z.literal("")]).optional(),
    accessIPv6: z.union([ipv6, z.literal("")]).optional(),
    personality: z.array(z.any()).optional(),
    description: z.string().max(255).nullable().optional(),
    key_name: z.string().nullable().optional(),
    user_data: z.string().max(65535).nullable().optional(),
    trusted_image_certificates: z.array(z.string()).nullable().optional(),
  })
  .passthrough();

export const resizeServer = z
  .object({
    flavorRef: z.union([z.string().min(1), z.number().int()]).transform(String),
    "OS-DCF:diskConfig": z.enum(["AUTO", "MANUAL"]).optional(),
  })
  .passthrough();

export const rebootServer = z.object({ type: z.string().transform((s) => s.toUpperCase()).pipe(z.enum(["SOFT", "HARD"])) }).passthrough();

export const createImage = z
  .object({
    name: z.string().min(1).max(255),
    metadata: metadataMap.optional(),
  })
  .passthrough();

export const consoleOutput = z
  .object({
    length: z.union([z.number().int().min(-1), z.string().regex(/^-?\d+$/), z.null()]).optional(),
  })
  .passthrough()
  .nullable();

export const remoteConsole = z.object({
  remote_console: z.object({
    protocol: z.enum(["vnc", "spice", "serial", "rdp", "mks"]),
    type: z.enum(["novnc", "xvpvnc", "spice-html5", "serial", "rdp-html5", "webmks"]),
  }),
});
