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

/** Skeleton: the compute-resources work fills it in. */
export function createComputeResources(_deps: ResourceDeps): ComputeResources {
  return {
    routes: new Hono<AppEnv>(),
    flavors: { get: () => undefined, findForCaller: () => undefined },
    keypairs: { get: () => undefined },
    quotas: {
      limits: () => ({
        instances: 10, cores: 20, ram: 51200, key_pairs: 100, metadata_items: 128, server_groups: 10,
        server_group_members: 10, injected_files: 5, injected_file_content_bytes: 10240, injected_file_path_bytes: 255,
      }),
    },
    serverGroups: { get: () => undefined, addMember: () => {}, removeMember: () => {}, groupOf: () => undefined },
    setUsageCounter: () => {},
    bootstrap: () => {},
  };
}
