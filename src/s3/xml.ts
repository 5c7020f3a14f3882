import type { XMLBuilder, XMLParser } from "fast-xml-parser";
import { s3err } from "./errors.ts";

// fast-xml-parser costs ~30 ms to load: required on the first S3 request, not at cloud start-up.
type Fxp = typeof import("fast-xml-parser");
let fxp: Fxp | undefined;
const lib = (): Fxp => (fxp ??= require("fast-xml-parser") as Fxp);

export const S3_NS = "http://s3.amazonaws.com/doc/2006-03-01/";

let builderInstance: XMLBuilder | undefined;
const builder = (): XMLBuilder =>
  (builderInstance ??= new (lib().XMLBuilder)({
    ignoreAttributes: false,
    attributeNamePrefix: "@_",
    suppressEmptyNode: false,
    processEntities: true,
    suppressBooleanAttributes: false,
  }));

/**
 * An XML document from a plain object: `{ ListBucketResult: { "@_xmlns": NS,
 * Name: "b", Contents: [{…}, {…}] } }`. Arrays repeat their element; undefined
 * fields are left out.
 */
export function xmlDoc(doc: Record<string, unknown>): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n${builder().build(prune(doc))}`;
}

function prune(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(prune);
  if (v && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = prune(x);
    return out;
  }
  return v;
}

let parserInstance: XMLParser | undefined;
const parser = (): XMLParser =>
  (parserInstance ??= new (lib().XMLParser)({
    ignoreAttributes: true,
    removeNSPrefix: true,
    parseTagValue: false,
    trimValues: true,
    processEntities: true,
    isArray: (name: string) => name === "Part" || name === "Object",
  }));

/** Parse a request body; malformed XML is S3's 400 MalformedXML. */
export function parseXml(text: string): Record<string, any> {
  if (!text.trim()) throw s3err("MalformedXML");
  let doc: unknown;
  try {
    doc = parser().parse(text, true);
  } catch {
    throw s3err("MalformedXML");
  }
  if (!doc || typeof doc !== "object") throw s3err("MalformedXML");
  return doc as Record<string, any>;
}

/** `2026-11-23T21:04:29.000Z`: S3's timestamps in XML. */
export function isoMs(ms: number): string {
  return new Date(ms).toISOString();
}

/** RFC 7231 date for Last-Modified. */
export function httpDate(ms: number): string {
  return new Date(ms).toUTCString();
}

/** XML response helper. */
export function xmlResponse(doc: Record<string, unknown>, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(xmlDoc(doc), { status, headers: { "content-type": "application/xml", ...headers } });
}
