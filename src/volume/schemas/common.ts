/** Shared request pieces of the Block Storage API (Cinder's parameter types). */
import { z } from "zod";

/** Metadata: keys 1–255 of Cinder's key charset, string values up to 255 (Cinder's metadata schema). */
export const Metadata = z.record(
  z.string().regex(/^[a-zA-Z0-9-_:. /]{1,255}$/, "metadata keys must be 1 to 255 characters of [a-zA-Z0-9-_:. /]"),
  z.string().max(255, "metadata values must be at most 255 characters"),
);

/** A positive integer, also as a string of digits ("1"), as Cinder accepts. */
export const PositiveInt = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const n = typeof v === "string" && /^\s*\d+\s*$/.test(v) ? Number(v) : v;
  if (typeof n !== "number" || !Number.isInteger(n) || n < 1 || n > 2147483647) {
    ctx.addIssue({ code: "custom", message: `must be an integer between 1 and 2147483647 (got ${JSON.stringify(v)})` });
    return z.NEVER;
  }
  return n;
});

export const NameField = z.string().max(255).nullish();
export const DescriptionField = z.string().max(255).nullish();

/** "true"/"false"/1/0/yes/no as Cinder's boolean parameter type accepts them. */
export const Boolish = z.union([z.boolean(), z.string(), z.number()]).transform((v, ctx) => {
  if (typeof v === "boolean") return v;
  const s = String(v).trim().toLowerCase();
  if (["true", "1", "yes", "y", "on", "t"].includes(s)) return true;
  if (["false", "0", "no", "n", "off", "f"].includes(s)) return false;
  ctx.addIssue({ code: "custom", message: `${JSON.stringify(v)} is not a valid boolean` });
  return z.NEVER;
});

export function parseBool(v: string | undefined): boolean | undefined {
  if (v === undefined) return undefined;
  const s = v.trim().toLowerCase();
  if (["true", "1", "yes", "y", "on", "t"].includes(s)) return true;
  if (["false", "0", "no", "n", "off", "f"].includes(s)) return false;
  return undefined;
}
