/**
 * Fault injection, Mimic-style: rules that make the next N matching requests
 * (or service actions such as a server build) fail with a given status and
 * body, stall, or end in ERROR — posted to /tenrec/v1/faults or loaded from a
 * scenario file at start. Every injected fault is logged as injected.
 */
import { z } from "zod";
import { REASONS } from "../core/errors.ts";
import type { Logger } from "../core/log.ts";
import type { ServiceName } from "../core/config.ts";

/** What happens to a matching request or action. */
export const EffectSchema = z
  .object({
    /** Answer with this status (HTTP rules) or fail the action with it (action rules: the resource ends in ERROR). */
    status: z.number().int().min(100).max(599).optional(),
    /** The message (an action's fault message, or an HTTP body's message in the service's dialect). */
    message: z.string().max(4096).optional(),
    /** A literal HTTP body (overrides the dialect-shaped body). */
    body: z.string().max(1 << 20).optional(),
    headers: z.record(z.string(), z.string()).optional(),
    /** Wait this long first; without a status the request then goes through (a slow service). */
    stall_ms: z.number().int().min(0).max(600_000).optional(),
  })
  .strict();
export type Effect = z.infer<typeof EffectSchema>;

export const RuleSchema = z
  .object({
    /** A service name (compute, image, network, volume, identity, object-store, s3, …); any when absent. */
    service: z.string().optional(),
    /** HTTP method (any when absent). */
    method: z.string().optional(),
    /** Regular expression on the request path (HTTP rules). */
    path: z.string().max(1000).optional(),
    /** An action name instead of HTTP: `server.build`, `server.delete`, `volume.create`, `image.upload`, … */
    action: z.string().optional(),
    /** How many matches it applies to (default 1); -1 means until cleared. */
    count: z.number().int().min(-1).default(1),
    /** The effect, or a sequence of effects applied to successive matches (the rule ends with the sequence). */
    effect: EffectSchema.optional(),
    sequence: z.array(EffectSchema).min(1).optional(),
  })
  .strict()
  .refine((r) => !!r.effect !== !!r.sequence, { message: "give exactly one of effect and sequence" })
  .refine((r) => !(r.action && (r.path || r.method)), { message: "a rule matches an action or an HTTP request, not both" })
  .refine((r) => {
    if (!r.path) return true;
    try {
      new RegExp(r.path);
      return true;
    } catch {
      return false;
    }
  }, { message: "path is not a valid regular expression" });
export type RuleInput = z.input<typeof RuleSchema>;

export interface Rule {
  id: string;
  service?: string;
  method?: string;
  path?: string;
  action?: string;
  /** Remaining matches (-1: unlimited). */
  remaining: number;
  effects: Effect[];
  hits: number;
  created_at: string;
}

export class FaultInjector {
  private rules: Rule[] = [];
  private seq = 0;
  constructor(private log: Logger) {}

  add(input: RuleInput): Rule {
    const r = RuleSchema.parse(input);
    const effects = r.sequence ?? [r.effect!];
    const rule: Rule = {
      id: `fault-${++this.seq}`,
      service: r.service,
      method: r.method?.toUpperCase(),
      path: r.path,
      action: r.action,
      remaining: r.sequence ? (r.count === -1 ? -1 : Math.max(r.count, effects.length)) : r.count,
      effects,
      hits: 0,
      created_at: new Date().toISOString(),
    };
    this.rules.push(rule);
    this.log.info(`fault rule ${rule.id} added: ${describe(rule)}`);
    return rule;
  }

  list(): Rule[] {
    return this.rules.map((r) => ({ ...r }));
  }

  remove(id: string): boolean {
    const n = this.rules.length;
    this.rules = this.rules.filter((r) => r.id !== id);
    return this.rules.length !== n;
  }

  clear(): void {
    this.rules = [];
  }

  get active(): boolean {
    return this.rules.length > 0;
  }

  /** The effect for an HTTP request, if a rule matches (consumes one match). */
  http(service: ServiceName, method: string, path: string): { rule: Rule; effect: Effect } | undefined {
    return this.take((r) => !r.action && (!r.service || r.service === service) && (!r.method || r.method === method) && (!r.path || new RegExp(r.path).test(path)), `${service} ${method} ${path}`);
  }

  /** The effect for a service action (`server.build`…), if a rule matches (consumes one match). */
  action(service: string, action: string, detail = ""): { rule: Rule; effect: Effect } | undefined {
    return this.take((r) => !!r.action && r.action === action && (!r.service || r.service === service), `${service} ${action} ${detail}`.trim());
  }

  private take(match: (r: Rule) => boolean, what: string): { rule: Rule; effect: Effect } | undefined {
    if (this.rules.length === 0) return undefined;
    const rule = this.rules.find(match);
    if (!rule) return undefined;
    const effect = rule.effects[Math.min(rule.hits, rule.effects.length - 1)]!;
    rule.hits++;
    if (rule.remaining > 0) rule.remaining--;
    if (rule.remaining === 0) this.rules = this.rules.filter((r) => r !== rule);
    this.log.warn(`injected fault ${rule.id} on ${what}: ${describeEffect(effect)}`);
    return { rule, effect };
  }
}

function describe(r: Rule): string {
  const on = r.action ? `action ${r.action}` : `${r.method ?? "*"} ${r.path ?? ".*"}`;
  return `${r.service ?? "any service"} ${on}, ${r.remaining === -1 ? "until cleared" : `${r.remaining}×`}, ${r.effects.map(describeEffect).join(" then ")}`;
}

function describeEffect(e: Effect): string {
  const parts = [];
  if (e.stall_ms) parts.push(`stall ${e.stall_ms} ms`);
  if (e.status) parts.push(`status ${e.status}`);
  if (e.message) parts.push(JSON.stringify(e.message));
  return parts.join(", ") || "pass";
}

const NOVA_KEYS: Record<number, string> = {
  400: "badRequest", 401: "unauthorized", 403: "forbidden", 404: "itemNotFound", 405: "badMethod",
  409: "conflictingRequest", 413: "overLimit", 429: "overLimit", 501: "notImplemented", 503: "serviceUnavailable",
};

/** An injected HTTP answer in the service's own error dialect (or the rule's literal body). */
export function injectedResponse(service: ServiceName, effect: Effect, requestId: string): Response {
  const status = effect.status ?? 500;
  const reason = REASONS[status] ?? "Error";
  const message = effect.message ?? `Injected fault (${status} ${reason})`;
  const headers = new Headers(effect.headers ?? {});
  headers.set("x-openstack-request-id", requestId);
  let body = effect.body;
  if (body === undefined) {
    let type = "application/json";
    switch (service) {
      case "identity":
        body = JSON.stringify({ error: { code: status, title: reason, message } });
        break;
      case "compute":
      case "volume":
        body = JSON.stringify({ [NOVA_KEYS[status] ?? "computeFault"]: { code: status, message } });
        break;
      case "network":
        body = JSON.stringify({ NeutronError: { type: reason.replaceAll(" ", ""), message, detail: "" } });
        break;
      case "s3":
      case "ec2":
        type = "application/xml";
        body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${status >= 500 ? "InternalError" : "InvalidRequest"}</Code><Message>${message.replace(/[<&>]/g, (ch) => `&#${ch.charCodeAt(0)};`)}</Message><RequestId>${requestId}</RequestId></Error>`;
        break;
      default:
        type = "text/plain; charset=UTF-8";
        body = `${status} ${reason}\n\n${message}\n`;
    }
    if (!headers.has("content-type")) headers.set("content-type", type);
  }
  return new Response(body, { status, headers });
}
