/**
 * The typed interface of the network service (Neutron) for Compute: ports for
 * an instance's interfaces, their addresses, security groups and floating IPs.
 * In one process it is a direct call. (Contract owned by src/network; Compute
 * depends on it — extend, do not break.)
 */

export interface NetCaller {
  projectId: string;
  isAdmin: boolean;
}

/** What a server create asks for: Nova's `networks` entries. */
export type RequestedNetworks =
  | "auto"
  | "none"
  | { networkId?: string; portId?: string; fixedIp?: string; tag?: string }[];

export interface FixedIp {
  subnetId: string;
  address: string;
  version: 4 | 6;
  /** CIDR of the subnet, e.g. 10.0.0.0/26 */
  cidr: string;
  gateway: string | null;
  dnsNameservers: string[];
}

/** A port bound to an instance, as Compute and its driver need it. */
export interface InstancePort {
  portId: string;
  networkId: string;
  networkName: string;
  macAddress: string;
  fixedIps: FixedIp[];
  /** Floating IPs associated with this port's fixed addresses. */
  floatingIps: { address: string; fixedAddress: string }[];
  mtu: number;
  securityGroups: string[];
  /** true when the port was created by Compute (deleted on detach/instance delete), false when the user passed it. */
  createdByCompute: boolean;
}

export interface NetworkClient {
  /**
   * Check a server create's networks before anything is written: unknown
   * network/port → ApiError 400 with Nova's message ("Network X could not be
   * found.", "Port X not found."), port in use → 409, `auto` with several
   * networks available → 409 as Nova does.
   */
  validateRequested(caller: NetCaller, requested: RequestedNetworks): Promise<void>;
  /**
   * Check a server create's `security_groups` (names or ids in the caller's
   * project) before anything is written: an unknown one → ApiError 400
   * "Security group X not found." as Nova answers. (Added by the network
   * service; `default` always resolves.)
   */
  validateSecurityGroups(caller: NetCaller, groups: string[]): Promise<void>;
  /**
   * Create (or take over) and bind the ports of an instance: device_id = instance,
   * device_owner = `compute:<az>`, binding:host_id = host. `auto` gives the project
   * a network when it has none (get-me-a-network). Security groups by name or id.
   */
  allocateForInstance(
    caller: NetCaller,
    instanceId: string,
    requested: RequestedNetworks,
    opts: { host: string; availabilityZone: string; securityGroups: string[] },
  ): Promise<InstancePort[]>;
  /** Delete the ports Compute created for the instance, unbind the others. */
  deallocateForInstance(instanceId: string): Promise<void>;
  /** The instance's ports with fixed and floating addresses (server `addresses`). */
  instancePorts(instanceId: string): Promise<InstancePort[]>;
  /** os-interface attach: a new port on a network, or an existing port. */
  attachInterface(
    caller: NetCaller,
    instanceId: string,
    req: { networkId?: string; portId?: string; fixedIp?: string },
    opts: { host: string; availabilityZone: string },
  ): Promise<InstancePort>;
  /** os-interface detach. */
  detachInterface(caller: NetCaller, instanceId: string, portId: string): Promise<void>;
  /** `server add/remove security group`: applies to every port of the instance. */
  addSecurityGroup(caller: NetCaller, instanceId: string, group: string): Promise<void>;
  removeSecurityGroup(caller: NetCaller, instanceId: string, group: string): Promise<void>;
  /** Security groups of the instance's ports (server show `security_groups`). */
  instanceSecurityGroups(instanceId: string): Promise<{ name: string; id: string }[]>;
  /** Nova's legacy `addFloatingIp` action: associate an allocated floating IP with the instance's port. */
  associateFloatingIp(caller: NetCaller, instanceId: string, address: string, fixedAddress?: string): Promise<void>;
  disassociateFloatingIp(caller: NetCaller, instanceId: string, address: string): Promise<void>;
}
