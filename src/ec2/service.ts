/**
 * The EC2 Query API on 8773 (`Action=…&Version=…`, form-encoded POST or GET),
 * as the ec2-api service works: each request is authenticated by its AWS
 * signature against the Keystone EC2 credential of its access key, then the
 * action calls Nova, Glance, Cinder and Neutron through their public APIs with
 * a project token for that user. Answers are EC2 XML with `requestId`; errors
 * are EC2's `<Response><Errors>…`.
 */
import type { Clock } from "../core/clock.ts";
import type { Config, ServiceName } from "../core/config.ts";
import { createApp, type Ctx } from "../core/http.ts";
import type { Logger } from "../core/log.ts";
import type { Db } from "../core/db.ts";
import type { IdentityClient } from "../identity/client.ts";
import { ACTIONS, UNSUPPORTED } from "./actions/index.ts";
import { authenticate, type Ec2Principal } from "./auth.ts";
import { ec2err } from "./errors.ts";
import { mapOsError, OsApi, OsError, TokenCache } from "./openstack.ts";
import { Params } from "./params.ts";
import { Ec2Store } from "./store.ts";
import { ec2Dialect, ec2Xml, EC2_NS } from "./xml.ts";

export interface Ec2Deps {
  db: Db;
  cfg: Config;
  clock: Clock;
  log: Logger;
  identity: IdentityClient;
  /**
   * Send a request to another service's public API in-process (no socket), as
   * the real ec2-api service calls Nova, Glance, Cinder and Neutron over HTTP
   * with the token Keystone's ec2tokens gave it (identity.issueToken).
   */
  dispatch: (service: ServiceName, req: Request) => Promise<Response>;
  /** Public URL of a service's root (for building those requests). */
  url: (service: ServiceName) => string;
}

const MAX_BODY = 1024 * 1024;

function formPairs(text: string): [string, string][] {
  return [...new URLSearchParams(text).entries()];
}

export function createEc2(deps: Ec2Deps) {
  const app = createApp({ service: "ec2", dialect: ec2Dialect, log: deps.log, accessLog: deps.cfg.accessLog });
  const store = new Ec2Store(deps.db, () => new Date(deps.clock.now()).toISOString());
  const tokens = new TokenCache(deps);

  const handle = async (c: Ctx) => {
    const url = new URL(c.req.url);
    let body = "";
    if (c.req.method === "POST") {
      const len = Number(c.req.header("content-length") ?? 0);
      if (len > MAX_BODY) throw ec2err("InvalidParameterValue", "Request body too large");
      body = await c.req.text();
      const ct = c.req.header("content-type") ?? "application/x-www-form-urlencoded";
      if (body && !/x-www-form-urlencoded/i.test(ct)) throw ec2err("InvalidParameterValue", `Unsupported content type ${ct}`);
    }
    const map = new Map<string, string>([...formPairs(url.search.slice(1)), ...formPairs(body)]);
    if (c.req.method === "GET" && map.size === 0 && !c.req.header("authorization")) {
      return c.body(`<?xml version="1.0" encoding="UTF-8"?>\n<VersionsResponse xmlns="${EC2_NS}"><version>2016-11-15</version></VersionsResponse>`, 200, { "content-type": "text/xml;charset=UTF-8" });
    }
    let principal: Ec2Principal;
    try {
      principal = authenticate(
        { method: c.req.method, url: c.req.url, headers: c.req.raw.headers, body, params: map },
        (access) => deps.identity.ec2Credential(access),
        deps.clock.now(),
      );
    } catch (e) {
      const key = map.get("AWSAccessKeyId") ?? /Credential=([^/]+)/.exec(c.req.header("authorization") ?? "")?.[1] ?? map.get("X-Amz-Credential")?.split("/")[0];
      deps.log.info(`${c.get("requestId")} ${map.get("Action") ?? "(no action)"} refused for access key ${key ?? "(none)"}: ${(e as Error).message}`);
      throw e;
    }
    const actionName = map.get("Action");
    if (!actionName) throw ec2err("MissingAction", "The request must contain the parameter Action");
    const action = ACTIONS[actionName];
    if (!action) {
      if (UNSUPPORTED.has(actionName)) throw ec2err("UnsupportedOperation", `The action ${actionName} is not supported by this cloud.`);
      throw ec2err("InvalidAction", `The action ${actionName} is not valid for this web service.`);
    }
    const requestId = c.get("requestId");
    const os = new OsApi(deps, tokens, principal);
    let result: Record<string, unknown>;
    try {
      result = await action({ p: new Params(map), os, store, deps, region: deps.cfg.region, requestId });
    } catch (e) {
      // An OpenStack answer no action mapped itself still comes back as an EC2 error.
      if (e instanceof OsError) {
        deps.log.warn(`${requestId} ${actionName}: ${e.service} answered ${e.status}: ${e.message}`);
        mapOsError(e);
      }
      throw e;
    }
    return c.body(ec2Xml(actionName, requestId, result), 200, { "content-type": "text/xml;charset=UTF-8" });
  };
  // `/services/Cloud` is where nova's own EC2 API answered: old euca2ools and boto configs still point there.
  for (const path of ["/", "/services/Cloud", "/services/Cloud/"]) {
    app.get(path, handle);
    app.post(path, handle);
  }
  return { app, stop() {} };
}
