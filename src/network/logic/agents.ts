import { uuid } from "../../core/ids.ts";
import type { Caller, NetCtx, Obj } from "../store.ts";
import { NOT_FOUND, bool, checkStrings, nerr, now, onlyKeys, render } from "./common.ts";

/**
 * The in-process "agents": a DHCP agent and an L3 agent on the one host, as
 * `openstack network agent list` shows them in DevStack. They are always alive
 * (their work is done synchronously by the API).
 */
const AGENTS = [
  { agent_type: "DHCP agent", binary: "neutron-dhcp-agent", topic: "dhcp_agent", configurations: { dhcp_driver: "tenrec", networks: 0, subnets: 0, ports: 0 } },
  { agent_type: "L3 agent", binary: "neutron-l3-agent", topic: "l3_agent", configurations: { agent_mode: "legacy", routers: 0, floating_ips: 0 } },
  { agent_type: "Metadata agent", binary: "neutron-metadata-agent", topic: "N/A", configurations: {} },
];

export function ensureAgents(ctx: NetCtx, host: string): void {
  const have = ctx.store.list("agent");
  for (const a of AGENTS) {
    if (have.some((x) => x.binary === a.binary)) continue;
    const t = now(ctx);
    ctx.store.insert("agent", {
      id: uuid(), ...a, host, admin_state_up: true, alive: true, availability_zone: a.topic === "N/A" ? null : "nova",
      created_at: t, started_at: t, heartbeat_timestamp: t, description: null, resources_synced: null, project_id: "",
    });
  }
}

export function viewAgent(ctx: NetCtx, _caller: Caller, a: Obj): Obj {
  const out = render(a);
  delete out.project_id;
  out.heartbeat_timestamp = now(ctx).replace("T", " ").replace("Z", "");
  for (const k of ["created_at", "started_at"]) out[k] = String(out[k]).replace("T", " ").replace("Z", "");
  return out;
}

export function getAgent(ctx: NetCtx, caller: Caller, id: string): Obj {
  if (!caller.isAdmin) throw nerr.policy("get_agent");
  const a = ctx.store.get("agent", id);
  if (!a) throw NOT_FOUND.agent(id);
  return a;
}

export function updateAgent(ctx: NetCtx, caller: Caller, a: Obj, body: Record<string, any>): Obj {
  if (!caller.isAdmin) throw nerr.policy("update_agent");
  onlyKeys(body, ["admin_state_up", "description"]);
  checkStrings(body, ["description"]);
  if (body.admin_state_up !== undefined) a.admin_state_up = bool(body.admin_state_up, "admin_state_up");
  if (body.description !== undefined) a.description = body.description;
  ctx.store.save(a);
  return a;
}

export function deleteAgent(ctx: NetCtx, caller: Caller, a: Obj): void {
  if (!caller.isAdmin) throw nerr.policy("delete_agent");
  ctx.store.remove(a.id);
}
