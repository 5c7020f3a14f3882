/**
 * Compute's "API database" resources (what real Nova keeps in nova_api):
 * flavors (+ access, extra specs), key pairs, quotas (sets, class defaults,
 * limits), server groups. The compute app mounts `routes` under /v2.1 (auth
 * and microversion negotiation already applied) and uses the typed accessors
 * below; the servers side reaches these tables only through them.
 * (Contract between src/compute and src/compute/resources — extend, do not break.)
 */
import { Hono } from "hono";
import type { Clock } from "../../core/clock.ts";
import type { Config } from "../../core/config.ts";
import type { Db } from "../../core/db.ts";
import type { AppEnv } from "../../core/http.ts";
import type { Logger } from "../../core/log.ts";
import type { IdentityClient } from "../../identity/client.ts";
import type { ResCtx } from "./api/ctx.ts";
import { flavorRoutes } from "./api/flavors.ts";
import { keypairRoutes } from "./api/keypairs.ts";
import { quotaRoutes } from "./api/quotas.ts";
import { serverGroupRoutes } from "./api/server_groups.ts";
import { findForCaller, getFlavor } from "./logic/flavors.ts";
import { getKeypairRow, toKeypair } from "./logic/keypairs.ts";
import { checkQuota, effectiveLimits, toQuotaLimits } from "./logic/quotas.ts";
import * as groups from "./logic/server_groups.ts";

export interface Flavor {
  /** flavorid, as the API shows it (e.g. "1", or a uuid). */
  id: string;
  name: string;
  ram: number;
  vcpus: number;
  disk: number;
  ephemeral: number;
  /** MB; 0 when none (the API shows "" for 0 before 2.75). */
  swap: number;
  rxtxFactor: number;
  isPublic: boolean;
  disabled: boolean;
  description: string | null;
  extraSpecs: Record<string, string>;
}

export interface Keypair {
  name: string;
  userId: string;
  publicKey: string;
  fingerprint: string;
  type: "ssh" | "x509";
  createdAt: string;
}

/** Effective limits of a project (-1 = unlimited). */
export interface QuotaLimits {
  instances: number;
  cores: number;
  ram: number;
  key_pairs: number;
  metadata_items: number;
  server_groups: number;
  server_group_members: number;
  injected_files: number;
  injected_file_content_bytes: number;
  injected_file_path_bytes: number;
}

/** What the servers side counts for a project (Nova counts usage from the instances, it does not keep usage rows). */
export interface ProjectUsage {
  instances: number;
  cores: number;
  ram: number;
}

export interface ServerGroup {
  id: string;
  name: string;
  policy: "affinity" | "anti-affinity" | "soft-affinity" | "soft-anti-affinity";
  rules: { max_server_per_host?: number };
  projectId: string;
  userId: string;
  members: string[];
}

export interface Caller {
  projectId: string;
  userId: string;
  isAdmin: boolean;
}

export interface ComputeResources {
  /** flavors, os-keypairs, os-quota-sets, os-quota-class-sets, limits, os-server-groups (mounted at /v2.1 by the compute app). */
  routes: Hono<AppEnv>;
  flavors: {
    /** By flavorid, whatever its access (for instances already using it). */
    get(id: string): Flavor | undefined;
    /** What a server create/resize may use: a public flavor or a private one the caller's project has access to (by id, then by name). */
    findForCaller(caller: Caller, idOrName: string): Flavor | undefined;
  };
  keypairs: {
    get(userId: string, name: string): Keypair | undefined;
  };
  quotas: {
    /** Effective limits (project overrides, else the class defaults). Synchronous: call it inside the transaction that inserts the instances. */
    limits(projectId: string): QuotaLimits;
    /**
     * Throws Nova's over-quota 403 ("Quota exceeded for instances: Requested 1, but already used 10 of 10 instances")
     * when adding `delta` to the project's counted usage (through the usage counter) passes a limit. Synchronous:
     * call it inside the transaction that inserts the instances, so concurrent creates cannot overshoot.
     */
    check(projectId: string, delta: ProjectUsage): void;
  };
  serverGroups: {
    get(caller: Caller, id: string): ServerGroup | undefined;
    /** Add a member (synchronous; call it in the instance-create transaction). Throws ApiError 403 when server_group_members is exceeded. */
    addMember(groupId: string, instanceId: string): void;
    /** Drop the instance from whatever group it is in (instance delete). */
    removeMember(instanceId: string): void;
    /** The group an instance belongs to, if any. */
    groupOf(instanceId: string): ServerGroup | undefined;
  };
  /** The servers side tells how to count a project's usage (for limits and quota-set detail). */
  setUsageCounter(count: (projectId: string) => ProjectUsage): void;
  /** Seed the default flavors (idempotent). */
  bootstrap(): void;
}

export interface ResourceDeps {
  db: Db;
  clock: Clock;
  cfg: Config;
  log: Logger;
  identity: IdentityClient;
}

export function createComputeResources(deps: ResourceDeps): ComputeResources {
  const { db } = deps;
  let counter: (projectId: string) => ProjectUsage = () => ({ instances: 0, cores: 0, ram: 0 });
  const ctx: ResCtx = { db, clock: deps.clock, log: deps.log, identity: deps.identity, usage: (p) => counter(p) };

  const routes = new Hono<AppEnv>();
  routes.route("/", flavorRoutes(ctx));
  routes.route("/", keypairRoutes(ctx));
  routes.route("/", quotaRoutes(ctx));
  routes.route("/", serverGroupRoutes(ctx));

  return {
    routes,
    flavors: {
      get: (id) => getFlavor(db, id),
      findForCaller: (caller, idOrName) => findForCaller(db, caller, idOrName),
    },
    keypairs: {
      get: (userId, name) => {
        const r = getKeypairRow(db, userId, name);
        return r && toKeypair(r);
      },
    },
    quotas: {
      limits: (projectId) => toQuotaLimits(effectiveLimits(db, projectId)),
      check: (projectId, delta) => checkQuota(effectiveLimits(db, projectId), counter(projectId), delta),
    },
    serverGroups: {
      get: (caller, id) => groups.getGroup(db, caller, id),
      addMember: (groupId, instanceId) => groups.addMember(db, groupId, instanceId),
      removeMember: (instanceId) => groups.removeMember(db, instanceId),
      groupOf: (instanceId) => groups.groupOf(db, instanceId),
    },
    setUsageCounter(count) {
      counter = count;
    },
    /** The default flavors are seeded by migration 2 (so `manage db sync` seeds them too, once); nothing else to do. */
    bootstrap() {
      const n = db.get<{ n: number }>("SELECT COUNT(*) AS n FROM compute_resources_flavors")!.n;
      deps.log.debug(`${n} flavors`);
    },
  };
}
