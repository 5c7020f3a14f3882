import { z } from "zod";

export const ACCESS_RULE_METHODS = ["DELETE", "GET", "HEAD", "PATCH", "POST", "PUT"] as const;

const accessRule = z.object({
  id: z.string().min(1).max(64).optional(),
  path: z.string().max(225).regex(/^\//, "must start with /").optional(),
  service: z.string().min(1).max(64).optional(),
  method: z.enum(ACCESS_RULE_METHODS).optional(),
});

const roleRef = z.union([
  z.strictObject({ id: z.string().min(1).max(64) }),
  z.strictObject({ name: z.string().min(1).max(255) }),
]);

/** POST /v3/users/{user_id}/application_credentials: only these attributes (Keystone rejects others). */
export const AppCredCreateSchema = z.object({
  application_credential: z.strictObject({
    id: z.string().optional(),
    name: z.string().min(1).max(255).regex(/\S/, "must not be blank"),
    description: z.string().nullish(),
    secret: z.string().nullish(),
    expires_at: z.string().nullish(),
    project_id: z.string().optional(),
    system: z.string().nullish(),
    roles: z.array(roleRef).nullish(),
    unrestricted: z.boolean().nullish(),
    access_rules: z.array(accessRule).nullish(),
  }),
});

export const AppCredListQuery = z.looseObject({ name: z.string().optional() });

export type AppCredInput = z.infer<typeof AppCredCreateSchema>["application_credential"];
export type AccessRuleInput = z.infer<typeof accessRule>;
