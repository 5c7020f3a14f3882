import { Hono } from "hono";
import type { AppEnv } from "../../core/http.ts";
import type { IdentityCtx } from "../ctx.ts";
import { applicationCredentialRoutes } from "./application_credentials.ts";
import { credentialRoutes } from "./credentials.ts";
import { ec2CredentialRoutes } from "./ec2_credentials.ts";
import { endpointGroupRoutes } from "./endpoint_groups.ts";
import { endpointRoutes } from "./endpoints.ts";
import { policyRoutes } from "./policies.ts";
import { regionRoutes } from "./regions.ts";
import { serviceRoutes } from "./services.ts";
import { assignmentRoutes } from "./assignments.ts";
import { roleRoutes } from "./roles.ts";
import { domainRoutes } from "./domains.ts";
import { projectRoutes } from "./projects.ts";
import { userRoutes } from "./users.ts";
import { groupRoutes } from "./groups.ts";
import { domainConfigRoutes } from "./domain_config.ts";
import { oauth1Routes } from "./oauth1.ts";
import { trustRoutes } from "./trusts.ts";

/**
 * Every resource router of /v3 (all behind the auth middleware). Each module
 * exports `(ctx) => Hono` with paths relative to /v3.
 */
export function resourceRoutes(ctx: IdentityCtx): Hono<AppEnv> {
  const v3 = new Hono<AppEnv>();
  for (const make of ROUTERS) v3.route("/", make(ctx));
  return v3;
}

const ROUTERS: ((ctx: IdentityCtx) => Hono<AppEnv>)[] = [domainRoutes, projectRoutes, userRoutes, groupRoutes, roleRoutes, assignmentRoutes, regionRoutes, serviceRoutes, endpointRoutes, endpointGroupRoutes, policyRoutes, credentialRoutes, ec2CredentialRoutes, applicationCredentialRoutes, domainConfigRoutes, oauth1Routes, trustRoutes];
