import { z } from "zod";

/** Body of PUT/PATCH /v3/domains/{id}/config[/{group}[/{option}]]: `{"config": {...}}`. */
export const DomainConfigBody = z.object({
  config: z.record(z.string(), z.unknown()),
});
export type DomainConfigInput = z.infer<typeof DomainConfigBody>["config"];
