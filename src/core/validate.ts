import { zValidator } from "@hono/zod-validator";
import type { ZodType } from "zod";
import { ApiError } from "./errors.ts";

/** Human-readable summary of zod issues, Keystone-style. */
export function describeIssues(issues: { path: PropertyKey[]; message: string }[]): string {
  return issues
    .slice(0, 5)
    .map((i) => {
      const path = i.path.map(String).join(".");
      return path ? `Invalid input for field '${path}': ${i.message}` : `Invalid input: ${i.message}`;
    })
    .join("; ");
}

function hook(result: { success: boolean; error?: { issues: { path: PropertyKey[]; message: string }[] } }) {
  if (!result.success) throw new ApiError(400, describeIssues(result.error!.issues));
}

/**
 * The one project-wide wrapper around @hono/zod-validator: every validation
 * failure becomes an ApiError(400) that the service renders in its dialect.
 * Malformed JSON is a 400 too (hono raises it; http.ts maps it).
 */
export const body = <T extends ZodType>(schema: T) => zValidator("json", schema, hook);
export const query = <T extends ZodType>(schema: T) => zValidator("query", schema, hook);

/** Validate a value already in hand (e.g. a body read by hand). */
export function parse<T extends ZodType>(schema: T, value: unknown): import("zod").infer<T> {
  const r = schema.safeParse(value);
  if (!r.success) throw new ApiError(400, describeIssues(r.error.issues));
  return r.data;
}
