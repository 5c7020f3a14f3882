/**
 * The NetworkClient implementation: what Compute asks of Neutron for its
 * instances (ports bound on boot, interfaces, security groups, floating IPs).
 * Errors are ApiErrors with Nova's statuses and messages (Compute renders
 * them in its own dialect).
 */
import { ApiError } from "../core/errors.ts";
import type { FixedIp, InstancePort, NetCaller, NetworkClient, RequestedNetworks } from "./client.ts";
import { parseIp } from "./ipam.ts";
import { createNetwork, networkVisible } from "./logic/networks.ts";
import { createPort, removePortRow, updatePort } from "./logic/ports.ts";
import { addInterface, createRouter } from "./logic/routers.ts";
import { associate } from "./logic/floatingips.ts";
import { ensureDefaultGroup, resolveGroups } from "./logic/secgroups.ts";
import { createSubnet } from "./logic/subnets.ts";
import { touch } from "./logic/common.ts";
import type { Caller, NetCtx, Obj } from "./store.ts";

const asCaller = (c: NetCaller): Caller => ({ projectId: c.projectId, isAdmin: c.isAdmin });
const isComputePort = (p: Obj) => String(p.device_owner).startsWith("compute:");

/** Networks a server may boot on without naming one: the project's own and shared ones, not external. */
function candidateNetworks(ctx: NetCtx, caller: Caller): Obj[] {
  return ctx.store.list("network").filter(
    (n) => !n["router:external"] && (n.project_id === caller.projectId || n.shared),
  );
}

/** Re-raise a Neutron error with the status Nova gives it. */
function asNova<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof ApiError && e.type) {
      const status = e.type === "IpAddressGenerationFailure" ? 409 : e.status === 404 ? 400 : e.status;
      throw new ApiError(status, e.message);
    }
    throw e;
  }
}

export function toInstancePort(ctx: NetCtx, p: Obj): InstancePort {
  const net = ctx.store.get("network", p.network_id);
  const fixedIps: FixedIp[] = (p.fixed_ips as Obj[]).map((f) => {
    const s = ctx.store.get("subnet", f.subnet_id);
    return {
      subnetId: f.subnet_id,
      address: f.ip_address,
      version: (parseIp(f.ip_address)?.version ?? 4) as 4 | 6,
      cidr: s?.cidr ?? "",
      gateway: s?.gateway_ip ?? null,
      dnsNameservers: s?.dns_nameservers ?? [],
    };
  });
  const floatingIps = ctx.store
    .list("floatingip")
    .filter((f) => f.port_id === p.id)
    .map((f) => ({ address: f.floating_ip_address as string, fixedAddress: f.fixed_ip_address as string }));
  return {
    portId: p.id,
    networkId: p.network_id,
    networkName: net?.name ?? "",
    macAddress: p.mac_address,
    fixedIps,
    floatingIps,
    mtu: net?.mtu ?? 1500,
    securityGroups: [...p.security_groups],
    createdByCompute: !!p._createdByCompute,
  };
}

export function networkClient(ctx: NetCtx): NetworkClient {
  const { store, db } = ctx;

  /** get-me-a-network: the project's network, or a new one routed to the default external network. */
  function autoNetwork(caller: Caller): Obj {
    const nets = candidateNetworks(ctx, caller);
    if (nets.length > 1) throw new ApiError(409, "Multiple possible networks found, use a Network ID to be more specific.");
    if (nets.length === 1) return nets[0]!;
    const net = createNetwork(ctx, caller, { name: "auto_allocated_network" });
    const subnet = createSubnet(ctx, caller, { network_id: net.id, name: "auto_allocated_subnet_v4", ip_version: 4, cidr: "10.100.0.0/24" });
    const ext = store.list("network").find((n) => n["router:external"] && n.is_default) ?? store.list("network").find((n) => n["router:external"]);
    const router = createRouter(ctx, caller, { name: "auto_allocated_router", ...(ext ? { external_gateway_info: { network_id: ext.id } } : {}) });
    addInterface(ctx, caller, router, { subnet_id: subnet.id });
    return net;
  }

  function checkNetwork(caller: Caller, id: string): Obj {
    const n = store.get("network", id);
    if (!n || !networkVisible(caller, n)) throw new ApiError(400, `Network ${id} could not be found.`);
    if (n["router:external"] && !n.shared && !caller.isAdmin)
      throw new ApiError(403, `It is not allowed to create an interface on external network ${id}`);
    if (!store.children("subnet", n.id).length) throw new ApiError(400, `Network ${id} requires a subnet in order to boot instances on.`);
    return n;
  }

  function checkPort(caller: Caller, id: string, instanceId?: string): Obj {
    const p = store.get("port", id);
    if (!p || !(caller.isAdmin || p.project_id === caller.projectId)) throw new ApiError(400, `Port ${id} not found.`);
    if (p.device_id && p.device_id !== instanceId) throw new ApiError(409, `Port ${id} is still in use.`);
    return p;
  }

  function checkFixedIp(networkId: string, ip: string): void {
    const addr = parseIp(ip);
    if (!addr) throw new ApiError(400, `Invalid fixed IP address (${ip})`);
    for (const s of store.children("subnet", networkId)) {
      if (store.isAllocated(s.id, ip)) throw new ApiError(409, `Fixed IP address ${ip} is already in use on instance.`);
    }
  }

  function bind(caller: Caller, instanceId: string, req: { networkId?: string; portId?: string; fixedIp?: string }, opts: { host: string; availabilityZone: string; securityGroups?: string[] }): Obj {
    const binding = { device_id: instanceId, device_owner: `compute:${opts.availabilityZone}`, "binding:host_id": opts.host };
    if (req.portId) {
      const p = checkPort(caller, req.portId, instanceId);
      return updatePort(ctx, caller, p, binding, true);
    }
    const net = checkNetwork(caller, req.networkId!);
    if (req.fixedIp) checkFixedIp(net.id, req.fixedIp);
    const groups = opts.securityGroups?.length ? resolveGroups(ctx, caller, caller.projectId, opts.securityGroups) : undefined;
    const p = asNova(() =>
      createPort(ctx, caller, {
        network_id: net.id,
        project_id: caller.projectId,
        ...binding,
        ...(req.fixedIp ? { fixed_ips: [{ ip_address: req.fixedIp }] } : {}),
        ...(groups && net.port_security_enabled !== false ? { security_groups: groups } : {}),
      }, true),
    );
    p._createdByCompute = true;
    store.save(p);
    return p;
  }

  function release(p: Obj): void {
    if (p._createdByCompute) {
      removePortRow(ctx, p);
      return;
    }
    p.device_id = "";
    p.device_owner = "";
    p["binding:host_id"] = "";
    p["binding:vif_type"] = "unbound";
    p["binding:vif_details"] = {};
    p.status = "DOWN";
    touch(ctx, p);
    store.save(p);
  }

  const instPorts = (instanceId: string) => store.byDevice("port", instanceId).filter(isComputePort);

  function findFip(caller: Caller, address: string): Obj {
    const f = store.list("floatingip").find((x) => x.floating_ip_address === address && (caller.isAdmin || x.project_id === caller.projectId));
    if (!f) throw new ApiError(404, `floating IP not found`);
    return f;
  }

  return {
    async validateRequested(c, requested) {
      const caller = asCaller(c);
      if (requested === "none") return;
      if (requested === "auto") {
        if (candidateNetworks(ctx, caller).length > 1) throw new ApiError(409, "Multiple possible networks found, use a Network ID to be more specific.");
        return;
      }
      const seenPorts = new Set<string>();
      for (const r of requested) {
        if (r.portId) {
          if (seenPorts.has(r.portId)) throw new ApiError(400, `Port id ${r.portId} is duplicated in the request.`);
          seenPorts.add(r.portId);
          checkPort(caller, r.portId);
        } else if (r.networkId) {
          const n = checkNetwork(caller, r.networkId);
          if (r.fixedIp) checkFixedIp(n.id, r.fixedIp);
        } else {
          throw new ApiError(400, "Bad networks format: network uuid is not in proper format");
        }
      }
    },

    async validateSecurityGroups(c, groups) {
      const caller = asCaller(c);
      for (const g of groups) {
        if (g === "default") continue;
        try {
          db.tx(() => resolveGroups(ctx, caller, caller.projectId, [g]));
        } catch (e) {
          if (e instanceof ApiError && e.status === 404) throw new ApiError(400, `Security group ${g} not found.`);
          if (e instanceof ApiError) throw new ApiError(e.status, e.message);
          throw e;
        }
      }
    },

    async allocateForInstance(c, instanceId, requested, opts) {
      const caller = asCaller(c);
      if (requested === "none") return [];
      return db.tx(() => {
        if (caller.projectId) ensureDefaultGroup(ctx, caller.projectId);
        const reqs = requested === "auto" ? [{ networkId: autoNetwork(caller).id }] : requested;
        return reqs.map((r) => toInstancePort(ctx, bind(caller, instanceId, r, opts)));
      });
    },

    async deallocateForInstance(instanceId) {
      db.tx(() => {
        for (const p of instPorts(instanceId)) release(p);
      });
    },

    async instancePorts(instanceId) {
      return instPorts(instanceId).map((p) => toInstancePort(ctx, p));
    },

    async attachInterface(c, instanceId, req, opts) {
      const caller = asCaller(c);
      return db.tx(() => {
        let r = req;
        if (!r.portId && !r.networkId) {
          const nets = candidateNetworks(ctx, caller);
          if (nets.length !== 1) throw new ApiError(400, nets.length ? "Multiple possible networks found, use a Network ID to be more specific." : "No network available to attach the interface to.");
          r = { ...req, networkId: nets[0]!.id };
        }
        return toInstancePort(ctx, bind(caller, instanceId, r, { ...opts, securityGroups: undefined }));
      });
    },

    async detachInterface(c, instanceId, portId) {
      db.tx(() => {
        const p = store.get("port", portId);
        if (!p || p.device_id !== instanceId || !(c.isAdmin || p.project_id === c.projectId))
          throw new ApiError(404, `Port ${portId} is not attached`);
        release(p);
      });
    },

    async addSecurityGroup(c, instanceId, group) {
      const caller = asCaller(c);
      db.tx(() => {
        const [id] = resolveGroups(ctx, caller, caller.projectId, [group]).map((x) => x);
        const ports = instPorts(instanceId);
        if (!ports.length) throw new ApiError(404, `Security group ${group} not found: instance ${instanceId} has no ports`);
        if (ports.some((p) => !p.port_security_enabled))
          throw new ApiError(400, `Security group ${group} cannot be applied: port security is disabled on a port of instance ${instanceId}`);
        if (ports.every((p) => p.security_groups.includes(id)))
          throw new ApiError(400, `Security group ${group} is already associated with the instance ${instanceId}`);
        for (const p of ports) {
          if (p.security_groups.includes(id)) continue;
          p.security_groups = [...p.security_groups, id];
          touch(ctx, p);
          store.save(p);
        }
      });
    },

    async removeSecurityGroup(c, instanceId, group) {
      const caller = asCaller(c);
      db.tx(() => {
        let id: string;
        try {
          [id] = resolveGroups(ctx, caller, caller.projectId, [group]) as [string];
        } catch (e) {
          if (e instanceof ApiError && e.status === 404) throw new ApiError(404, `Security group ${group} not found.`);
          throw e;
        }
        const ports = instPorts(instanceId).filter((p) => p.security_groups.includes(id));
        if (!ports.length) throw new ApiError(400, `Security group ${group} not associated with the instance ${instanceId}`);
        for (const p of ports) {
          p.security_groups = p.security_groups.filter((x: string) => x !== id);
          touch(ctx, p);
          store.save(p);
        }
      });
    },

    async instanceSecurityGroups(instanceId) {
      const ids = [...new Set(instPorts(instanceId).flatMap((p) => p.security_groups as string[]))];
      return ids.map((id) => store.get("security_group", id)).filter(Boolean).map((g) => ({ id: g!.id, name: g!.name }));
    },

    async associateFloatingIp(c, instanceId, address, fixedAddress) {
      const caller = asCaller(c);
      db.tx(() => {
        const f = findFip(caller, address);
        const ports = instPorts(instanceId);
        let port: Obj | undefined;
        if (fixedAddress) {
          port = ports.find((p) => p.fixed_ips.some((x: Obj) => x.ip_address === fixedAddress));
          if (!port) throw new ApiError(400, "Specified fixed address not assigned to instance");
        } else {
          port = ports.find((p) => p.fixed_ips.some((x: Obj) => parseIp(x.ip_address)?.version === 4));
          if (!port) throw new ApiError(400, "No nw_info cache associated with instance");
        }
        const fixed = fixedAddress ?? port.fixed_ips.find((x: Obj) => parseIp(x.ip_address)?.version === 4).ip_address;
        try {
          associate(ctx, { projectId: port.project_id, isAdmin: true }, f, port.id, fixed);
        } catch (e) {
          if (e instanceof ApiError)
            throw new ApiError(400, `Unable to associate floating IP ${address} to fixed IP ${fixed} for instance ${instanceId}. Error: ${e.message}`);
          throw e;
        }
        touch(ctx, f);
        store.save(f);
      });
    },

    async disassociateFloatingIp(c, instanceId, address) {
      const caller = asCaller(c);
      db.tx(() => {
        const f = findFip(caller, address);
        const mine = instPorts(instanceId).some((p) => p.id === f.port_id);
        if (!mine) throw new ApiError(409, `Floating IP ${address} is not associated with instance ${instanceId}.`);
        associate(ctx, caller, f, null, undefined);
        touch(ctx, f);
        store.save(f);
      });
    },
  };
}

export type { RequestedNetworks };
