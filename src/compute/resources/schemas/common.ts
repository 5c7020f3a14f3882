import { z } from "zod";

/** Nova's parameter_types.boolean: a JSON boolean or one of oslo's boolean strings. */
export const novaBool = z.union([
  z.boolean(),
  z
    .string()
    .transform((s) => s.trim().toLowerCase())
    .pipe(z.enum(["true", "false", "t", "f", "yes", "no", "y", "n", "on", "off", "1", "0"]))
    .transform((s) => ["true", "t", "yes", "y", "on", "1"].includes(s)),
]);

/** An integer given as a JSON number or a string of digits (Nova accepts both), within [min, max]. */
export const intLike = (min: number, max = 2147483647) =>
  z
    .union([z.number(), z.string().regex(/^\s*-?\d+\s*$/, "must be an integer").transform((s) => Number(s.trim()))])
    .pipe(z.number().int().min(min).max(max));

/** Nova's parameter_types.name: 1–255 characters, no leading or trailing whitespace. */
export const novaName = z
  .string()
  .min(1)
  .max(255)
  .refine((s) => s.trim() === s, "leading or trailing whitespace is not allowed");
