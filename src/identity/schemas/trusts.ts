import { z } from "zod";

const roleRef = z.union([
  z.strictObject({ id: z.string().min(1).max(64) }),
  z.strictObject({ name: z.string().min(1).max(255) }),
]);

/** POST /v3/OS-TRUST/trusts (Keystone's trust_create_request_body; unknown attributes are kept as extra). */
export const TrustCreateSchema = z.strictObject({
  trust: z.looseObject({
    trustor_user_id: z.string(),
    trustee_user_id: z.string(),
    impersonation: z.boolean(),
    project_id: z.string().nullish(),
    remaining_uses: z.number().int().min(1).nullish(),
    expires_at: z.string().nullish(),
    allow_redelegation: z.boolean().nullish(),
    redelegation_count: z.number().int().min(0).nullish(),
    roles: z.array(roleRef).optional(),
  }),
});

export const TrustListQuery = z.looseObject({
  trustor_user_id: z.string().optional(),
  trustee_user_id: z.string().optional(),
});

export type TrustInput = z.infer<typeof TrustCreateSchema>["trust"];
