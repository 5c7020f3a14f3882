import { z } from "zod";

const ref = z.object({ id: z.string().optional(), name: z.string().optional() });

export const AuthRequestSchema = z.object({
  auth: z.object({
    identity: z.object({
      methods: z.array(z.string()),
      password: z
        .object({
          user: z.object({
            id: z.string().optional(),
            name: z.string().optional(),
            password: z.string(),
            domain: ref.optional(),
          }),
        })
        .optional(),
      token: z.object({ id: z.string() }).optional(),
      application_credential: z
        .object({
          id: z.string().optional(),
          name: z.string().optional(),
          secret: z.string(),
          user: z.object({ id: z.string().optional(), name: z.string().optional(), domain: ref.optional() }).optional(),
        })
        .optional(),
    }),
    scope: z
      .union([
        z.literal("unscoped"),
        z.object({
          project: z.object({ id: z.string().optional(), name: z.string().optional(), domain: ref.optional() }).optional(),
          domain: ref.optional(),
          system: z.object({ all: z.boolean().optional() }).optional(),
          "OS-TRUST:trust": z.object({ id: z.string() }).optional(),
        }),
      ])
      .optional(),
  }),
});
