/**
 * Test helpers: an EC2 Query API client that signs with the AWS SDK's own
 * SigV4 signer (@smithy/signature-v4) and sends in-process to the test cloud.
 */
import { Sha256 } from "@aws-crypto/sha256-js";
import { SignatureV4 } from "@smithy/signature-v4";
import { createHmac } from "node:crypto";
import type { TestCloud } from "../../test/harness.ts";
import { awsEncode } from "../s3/sigv4.ts";

type FxpParser = import("fast-xml-parser").XMLParser;
let parser: FxpParser | undefined;
const xmlParser = (): FxpParser =>
  (parser ??= new (require("fast-xml-parser") as typeof import("fast-xml-parser")).XMLParser({
    ignoreAttributes: true,
    parseTagValue: false,
    isArray: (name) => name === "item",
  }));

export interface Ec2Key {
  access: string;
  secret: string;
}

export interface Ec2Answer {
  status: number;
  text: string;
  /** The parsed document's root element (e.g. the DescribeRegionsResponse body). */
  body: any;
  /** For errors: Response.Errors.Error.Code. */
  code?: string;
}

/** An EC2 credential for a user in a project, made through the identity API. */
export async function ec2Key(t: TestCloud, user: string, password: string | undefined, project: string): Promise<Ec2Key> {
  const token = await t.token(user, password, project);
  const me = await t.req("GET", "/v3/auth/tokens", { token, headers: { "x-subject-token": token } });
  const body = (await me.json()) as any;
  const res = await t.req("POST", `/v3/users/${body.token.user.id}/credentials/OS-EC2`, { token, json: { tenant_id: body.token.project.id } });
  const cred = ((await res.json()) as any).credential;
  return { access: cred.access, secret: cred.secret };
}

function parse(status: number, text: string): Ec2Answer {
  const doc = text ? xmlParser().parse(text) : {};
  if (doc.Response?.Errors) return { status, text, body: doc.Response, code: doc.Response.Errors.Error?.Code };
  const root = Object.keys(doc).find((k) => k !== "?xml");
  return { status, text, body: root ? doc[root] : undefined };
}

/** The items of an EC2 list element (`<x><item>…</item></x>`), [] when empty. */
export const items = (v: any): any[] => (v && typeof v === "object" && Array.isArray(v.item) ? v.item : []);

export function ec2Client(t: TestCloud, key: Ec2Key) {
  const base = t.cloud.url("ec2");
  const app = t.cloud.apps.ec2!;
  const signer = new SignatureV4({ credentials: { accessKeyId: key.access, secretAccessKey: key.secret }, region: "RegionOne", service: "ec2", sha256: Sha256 });
  return {
    /** POST a signed form request. */
    async call(action: string, params: Record<string, string | number | boolean> = {}): Promise<Ec2Answer> {
      const form = new URLSearchParams({ Action: action, Version: "2016-11-15" });
      for (const [k, v] of Object.entries(params)) form.set(k, String(v));
      const body = form.toString();
      const url = new URL(base);
      const signed = await signer.sign({
        method: "POST",
        protocol: "http:",
        hostname: url.hostname,
        port: Number(url.port),
        path: "/",
        headers: { host: url.host, "content-type": "application/x-www-form-urlencoded; charset=utf-8" },
        body,
      });
      const res = await app.fetch(new Request(`${base}/`, { method: "POST", headers: signed.headers as Record<string, string>, body }));
      return parse(res.status, await res.text());
    },
    /** A Signature V2 GET, as old boto clients send. */
    async callV2(action: string, params: Record<string, string> = {}, secret = key.secret): Promise<Ec2Answer> {
      const url = new URL(base);
      const all: Record<string, string> = {
        Action: action, Version: "2016-11-15", AWSAccessKeyId: key.access, SignatureVersion: "2", SignatureMethod: "HmacSHA256",
        Timestamp: new Date().toISOString(), ...params,
      };
      const qs = Object.keys(all).sort().map((k) => `${awsEncode(k)}=${awsEncode(all[k]!)}`).join("&");
      const sig = createHmac("sha256", secret).update(`GET\n${url.host}\n/\n${qs}`).digest("base64");
      const res = await app.fetch(new Request(`${base}/?${qs}&Signature=${awsEncode(sig)}`, { headers: { host: url.host } }));
      return parse(res.status, await res.text());
    },
    async raw(req: Request): Promise<Ec2Answer> {
      const res = await app.fetch(req);
      return parse(res.status, await res.text());
    },
  };
}
export type Ec2Client = ReturnType<typeof ec2Client>;
