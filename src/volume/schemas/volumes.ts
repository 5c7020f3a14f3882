/** Request bodies of /volumes, their actions and metadata. */
import { z } from "zod";
import { Boolish, DescriptionField, Metadata, NameField, PositiveInt } from "./common.ts";

export const VolumeCreateBody = z.object({
  volume: z.object({
    size: PositiveInt.nullish(),
    name: NameField,
    description: DescriptionField,
    display_name: NameField,
    display_description: DescriptionField,
    volume_type: z.string().nullish(),
    availability_zone: z.string().nullish(),
    metadata: Metadata.nullish(),
    snapshot_id: z.string().nullish(),
    source_volid: z.string().nullish(),
    imageRef: z.string().nullish(),
    image_id: z.string().nullish(),
    multiattach: Boolish.nullish(),
    backup_id: z.string().nullish(),
    consistencygroup_id: z.string().nullish(),
    group_id: z.string().nullish(),
  }),
});
export type VolumeCreate = z.infer<typeof VolumeCreateBody>["volume"];

export const VolumeUpdateBody = z.object({
  volume: z.object({
    name: NameField,
    description: DescriptionField,
    display_name: NameField,
    display_description: DescriptionField,
    metadata: Metadata.nullish(),
  }),
});

export const MetadataBody = z.object({ metadata: Metadata });
export const MetaItemBody = z.object({ meta: Metadata });
