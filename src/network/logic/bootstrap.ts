import type { Caller, NetCtx } from "../store.ts";
import { ensureAgents } from "./agents.ts";
import { createNetwork } from "./networks.ts";
import { addInterface, createRouter } from "./routers.ts";
import { ensureDefaultGroup } from "./secgroups.ts";
import { createSubnet } from "./subnets.ts";

/**
 * DevStack's network topology: the external network `public` (172.24.4.0/24)
 * owned by admin, the demo project's `private` network (10.0.0.0/26 and
 * fd00::/64) with `router1` to `public`, the default security groups of admin
 * and demo, and the agents. Runs once per data dir (skipped when `public`
 * exists).
 */
export function bootstrapNetworks(ctx: NetCtx): void {
  ensureAgents(ctx, "tenrec");
  const admin = ctx.identity.projectByName("admin");
  const demo = ctx.identity.projectByName("demo");
  if (!admin) return;
  if (ctx.store.list("network").some((n) => n.name === "public" && n["router:external"])) return;
  ctx.db.tx(() => {
    const asAdmin: Caller = { projectId: admin.id, isAdmin: true };
    ensureDefaultGroup(ctx, admin.id);
    const pub = createNetwork(ctx, asAdmin, {
      name: "public", "router:external": true, "provider:network_type": "flat", "provider:physical_network": "public",
      description: "External network (floating IPs)",
    });
    pub.is_default = true;
    ctx.store.save(pub);
    createSubnet(ctx, asAdmin, {
      network_id: pub.id, name: "public-subnet", ip_version: 4, cidr: "172.24.4.0/24", gateway_ip: "172.24.4.1",
      allocation_pools: [{ start: "172.24.4.2", end: "172.24.4.254" }], enable_dhcp: false,
    });
    if (!demo) return;
    const asDemo: Caller = { projectId: demo.id, isAdmin: false };
    ensureDefaultGroup(ctx, demo.id);
    const priv = createNetwork(ctx, asDemo, { name: "private" });
    const v4 = createSubnet(ctx, asDemo, { network_id: priv.id, name: "private-subnet", ip_version: 4, cidr: "10.0.0.0/26", gateway_ip: "10.0.0.1" });
    const v6 = createSubnet(ctx, asDemo, {
      network_id: priv.id, name: "ipv6-private-subnet", ip_version: 6, cidr: "fd00::/64", gateway_ip: "fd00::1",
      ipv6_ra_mode: "slaac", ipv6_address_mode: "slaac",
    });
    const router = createRouter(ctx, asDemo, { name: "router1", external_gateway_info: { network_id: pub.id } });
    addInterface(ctx, asDemo, router, { subnet_id: v4.id });
    addInterface(ctx, asDemo, router, { subnet_id: v6.id });
  });
  ctx.log.info("bootstrap: networks public (172.24.4.0/24) and private (10.0.0.0/26, fd00::/64), router1");
}
