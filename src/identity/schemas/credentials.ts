import { z } from "zod";

const fields = {
  blob: z.string(),
  project_id: z.string().nullable(),
  type: z.string().min(1).max(255),
  user_id: z.string().min(1),
};

/** POST /v3/credentials: blob, type and user_id required (and project_id for ec2). */
export const CredentialCreateSchema = z.object({
  credential: z
    .looseObject({
      id: z.string().optional(),
      blob: fields.blob,
      type: fields.type,
      user_id: fields.user_id,
      project_id: fields.project_id.optional(),
    })
    .refine((c) => c.type !== "ec2" || typeof c.project_id === "string", {
      message: "ec2 credential requires project_id",
      path: ["project_id"],
    }),
});

export const CredentialUpdateSchema = z.object({
  credential: z
    .looseObject({
      blob: fields.blob.optional(),
      type: fields.type.optional(),
      user_id: fields.user_id.optional(),
      project_id: fields.project_id.optional(),
    })
    .refine((c) => Object.keys(c).length > 0, "at least one attribute is required"),
});

export const CredentialListQuery = z.looseObject({ user_id: z.string().optional(), type: z.string().optional() });

export type CredentialInput = z.infer<typeof CredentialUpdateSchema>["credential"];
