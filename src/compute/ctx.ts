/** What the compute modules (api, scheduler, manager) share. */
import { ApiError } from "../core/errors.ts";
import type { ComputeDriver } from "../virt/driver.ts";
import type { ComputeResources } from "./resources/index.ts";
import type { ComputeDeps } from "./service.ts";
import type { ActionStore, Instance, InstanceStore } from "./store.ts";

export interface ComputeHost {
  /** Service host name (OS-EXT-SRV-ATTR:host) and hypervisor_hostname (node). */
  name: string;
  node: string;
  zone: string;
  driver: ComputeDriver;
  serviceId: number;
}

export interface ConsoleToken {
  instanceUuid: string;
  host: string;
  port: number;
  /** A unix socket the proxy connects to instead of host:port (the QEMU driver's VNC and serial sockets). */
  path?: string;
  protocol: string;
  type: string;
  expires: number;
}

export interface ComputeCtx {
  deps: ComputeDeps;
  instances: InstanceStore;
  actions: ActionStore;
  resources: ComputeResources;
  hosts: Map<string, ComputeHost>;
  /** The host name of the controller services (scheduler, conductor). */
  controllerHost: string;
  consoleTokens: Map<string, ConsoleToken>;
  now(): number;
}

/**
 * True for the error a not-yet-implemented client stub throws (another
 * service still being built): compute then works without it (no networks,
 * no volumes) instead of failing every boot.
 */
export function isUnavailable(e: unknown): boolean {
  return e instanceof Error && !(e instanceof ApiError) && / not implemented/.test(e.message);
}

export const callerOf = (i: Pick<Instance, "projectId">, isAdmin = false) => ({ projectId: i.projectId, isAdmin });
