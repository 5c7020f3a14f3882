/** Project panels backed by Nova and Glance: Overview, Instances (with live status and consoles), Images, Key Pairs. */
import { raw } from "hono/html";
import { z } from "zod";
import { parse } from "../../core/validate.ts";
import { action, done, enc, form, formOf, list, str, uploadOf, type DApp, type Dash, type DCtx } from "../ctx.ts";
import { OsError, type Os } from "../os.ts";
import { isAdmin, type Session } from "../session.ts";
import { Act, Badge, Csrf, Donut, ErrorBox, fmtBytes, Page, REFRESH_JS, Table, UPLOAD_JS } from "../ui.tsx";

export const PAGE_SIZE = 50;
const NOVA_MV = { "X-OpenStack-Nova-API-Version": "2.6", "OpenStack-API-Version": "compute 2.6" };

export interface Server {
  id: string;
  name: string;
  status: string;
  "OS-EXT-STS:task_state"?: string | null;
  "OS-EXT-STS:power_state"?: number;
  "OS-EXT-AZ:availability_zone"?: string;
  "OS-EXT-SRV-ATTR:host"?: string;
  flavor: { id?: string; original_name?: string };
  image: { id?: string } | string;
  addresses: Record<string, { addr: string; "OS-EXT-IPS:type"?: string }[]>;
  key_name?: string | null;
  created: string;
  tenant_id?: string;
  security_groups?: { name: string }[];
  fault?: { message: string };
  "os-extended-volumes:volumes_attached"?: { id: string }[];
}

const POWER = ["NOSTATE", "RUNNING", "", "PAUSED", "SHUTDOWN", "", "CRASHED", "SUSPENDED"];
export const ips = (s: Server) =>
  Object.entries(s.addresses ?? {})
    .flatMap(([net, a]) => a.map((x) => `${x.addr}${x["OS-EXT-IPS:type"] === "floating" ? " (floating)" : ""} on ${net}`))
    .join(", ");

export async function flavorNames(os: Os): Promise<Map<string, string>> {
  const r = await os.tryJson<{ flavors: { id: string; name: string }[] }>("compute", "/flavors?is_public=None");
  return new Map((r.data?.flavors ?? []).map((f) => [f.id, f.name]));
}

async function imageNames(os: Os): Promise<Map<string, string>> {
  const r = await os.tryJson<{ images: { id: string; name: string }[] }>("image", "/v2/images?limit=200");
  return new Map((r.data?.images ?? []).map((i) => [i.id, i.name ?? i.id]));
}

/** One page of servers (Nova's marker paging), with a link to the next one. */
export async function serverPage(os: Os, c: DCtx, extra = "") {
  const marker = c.req.query("marker");
  const q = `?limit=${PAGE_SIZE}${marker ? `&marker=${enc(marker)}` : ""}${extra}`;
  const r = await os.tryJson<{ servers: Server[] }>("compute", `/servers/detail${q}`);
  const servers = r.data?.servers ?? [];
  return { servers, error: r.error, next: servers.length === PAGE_SIZE ? servers[servers.length - 1].id : undefined, marker };
}

/** Live status: polls status.json and updates the badges in place (faster while something is moving). */
export const STATUS_JS = `
(function(){var t=document.getElementById('instances');if(!t)return;var u=t.getAttribute('data-status-url');
var busy=/BUILD|REBOOT|HARD_REBOOT|RESIZE|MIGRATING|REBUILD|DELETED/;
function tick(){fetch(u,{headers:{accept:'application/json'},credentials:'same-origin'}).then(function(r){return r.json()}).then(function(j){
  var moving=false;Object.keys(j.servers||{}).forEach(function(id){var v=j.servers[id];var el=document.querySelector('[data-status="'+id+'"]');
    if(el){el.textContent=v.status;el.className='badge '+v.status;}var tk=document.querySelector('[data-task="'+id+'"]');if(tk)tk.textContent=v.task||'';var pw=document.querySelector('[data-power="'+id+'"]');if(pw)pw.textContent=v.power||'';
    if(busy.test(v.status)||v.task)moving=true;});
  document.querySelectorAll('[data-status]').forEach(function(el){if(!(el.getAttribute('data-status') in (j.servers||{}))){el.textContent='DELETED';el.className='badge';}});
  setTimeout(tick,moving?1500:5000);}).catch(function(){setTimeout(tick,8000);});}
setTimeout(tick,1000);})();
`;

function InstanceRows(servers: Server[], flavors: Map<string, string>, images: Map<string, string>, adminView = false) {
  return servers.map((sv) => {
    const img = typeof sv.image === "object" && sv.image ? sv.image.id : "";
    return [
      <a href={`/project/instances/${sv.id}`}>{sv.name}</a>,
      ...(adminView ? [<span class="muted">{sv.tenant_id}</span>, sv["OS-EXT-SRV-ATTR:host"] ?? "—"] : []),
      img ? (images.get(img) ?? img) : "(volume)",
      ips(sv) || "—",
      flavors.get(sv.flavor?.id ?? "") ?? sv.flavor?.original_name ?? sv.flavor?.id ?? "—",
      ...(adminView ? [] : [sv.key_name ?? "—"]),
      <span data-status={sv.id} class={`badge ${sv.status}`}>
        {sv.status}
      </span>,
      <span data-task={sv.id}>{sv["OS-EXT-STS:task_state"] ?? ""}</span>,
      <span data-power={sv.id}>{POWER[sv["OS-EXT-STS:power_state"] ?? 0] ?? ""}</span>,
      sv.created?.replace("T", " ").replace("Z", ""),
    ];
  });
}

export function InstanceTable(props: { servers: Server[]; flavors: Map<string, string>; images: Map<string, string>; admin?: boolean; statusUrl: string }) {
  const head = props.admin
    ? ["Name", "Project", "Host", "Image", "IP addresses", "Flavor", "Status", "Task", "Power", "Created"]
    : ["Name", "Image", "IP addresses", "Flavor", "Key pair", "Status", "Task", "Power", "Created"];
  return (
    <div class="tbl">
      <table class="resp" id="instances" data-status-url={props.statusUrl}>
        <thead>
          <tr>
            {head.map((h) => (
              <th>{h}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.servers.length === 0 ? (
            <tr>
              <td colspan={head.length} class="muted">
                No instances.
              </td>
            </tr>
          ) : (
            InstanceRows(props.servers, props.flavors, props.images, props.admin).map((r) => (
              <tr>
                {r.map((cell, i) => (
                  <td data-l={head[i]}>{cell}</td>
                ))}
              </tr>
            ))
          )}
        </tbody>
      </table>
    </div>
  );
}

const launchForm = z.object({
  name: z.string().trim().min(1, "the instance name is required").max(255),
  image: z.string().min(1, "choose an image"),
  flavor: z.string().min(1, "choose a flavor"),
  network: z.union([z.string(), z.array(z.string())]).optional(),
  key_name: z.string().optional(),
  security_groups: z.union([z.string(), z.array(z.string())]).optional(),
  user_data: z.string().max(65535, "user data is limited to 64 KiB").optional(),
  count: z.coerce.number().int("count must be a whole number").min(1, "count must be at least 1").max(100, "count is at most 100").default(1),
});

const imageUpload = z.object({
  name: z.string().trim().min(1, "the image name is required").max(255),
  disk_format: z.enum(["qcow2", "raw", "iso", "vmdk", "vdi", "vhd", "vhdx", "ami", "ari", "aki", "ploop"]),
  container_format: z.enum(["bare", "ovf", "ova", "ami", "ari", "aki", "docker"]).default("bare"),
  visibility: z.enum(["private", "shared", "community", "public"]).default("private"),
  min_disk: z.coerce.number().int().min(0).default(0),
  min_ram: z.coerce.number().int().min(0).default(0),
});

async function projectNetworks(os: Os, s: Session) {
  const r = await os.tryJson<{ networks: { id: string; name: string; shared: boolean; "router:external": boolean; project_id: string; subnets: string[] }[] }>(
    "network",
    "/v2.0/networks",
  );
  return {
    error: r.error,
    networks: (r.data?.networks ?? []).filter((n) => (n.project_id === s.project?.id || n.shared) && !n["router:external"]),
  };
}

export function registerCompute(app: DApp, d: Dash) {
  // ── Overview ──
  app.get("/project/", async (c) => {
    const s = c.get("session");
    const os = c.get("os");
    const pid = s.project!.id;
    const [nova, cinder, neutron] = await Promise.all([
      os.tryJson<{ limits: { absolute: Record<string, number> } }>("compute", "/limits"),
      os.tryJson<{ limits: { absolute: Record<string, number> } }>("volumev3", "/limits"),
      os.tryJson<{ quota: Record<string, { limit: number; used: number }> }>("network", `/v2.0/quotas/${pid}/details`),
    ]);
    let net = neutron.data?.quota;
    let netErr = neutron.error;
    if (!net) {
      const [q, f, g] = await Promise.all([
        os.tryJson<{ quota: Record<string, number> }>("network", `/v2.0/quotas/${pid}`),
        os.tryJson<{ floatingips: unknown[] }>("network", `/v2.0/floatingips?project_id=${pid}`),
        os.tryJson<{ security_groups: unknown[] }>("network", `/v2.0/security-groups?project_id=${pid}`),
      ]);
      if (q.data) {
        netErr = undefined;
        net = {
          floatingip: { limit: q.data.quota.floatingip ?? -1, used: f.data?.floatingips.length ?? 0 },
          security_group: { limit: q.data.quota.security_group ?? -1, used: g.data?.security_groups.length ?? 0 },
        };
      }
    }
    const a = nova.data?.limits.absolute ?? {};
    const v = cinder.data?.limits.absolute ?? {};
    return c.html(
      <Page s={s} title={`Overview — ${s.project?.name}`} path="/project/">
        <h2>Limit summary</h2>
        <ErrorBox error={nova.error} />
        <ErrorBox error={cinder.error} />
        <ErrorBox error={netErr} />
        <div class="charts" id="quota-charts">
          {nova.data ? (
            <>
              <Donut label="Instances" used={a.totalInstancesUsed ?? 0} limit={a.maxTotalInstances ?? -1} />
              <Donut label="VCPUs" used={a.totalCoresUsed ?? 0} limit={a.maxTotalCores ?? -1} />
              <Donut label="RAM" used={a.totalRAMUsed ?? 0} limit={a.maxTotalRAMSize ?? -1} unit="MiB" />
            </>
          ) : null}
          {cinder.data ? (
            <>
              <Donut label="Volumes" used={v.totalVolumesUsed ?? 0} limit={v.maxTotalVolumes ?? -1} />
              <Donut label="Volume storage" used={v.totalGigabytesUsed ?? 0} limit={v.maxTotalVolumeGigabytes ?? -1} unit="GiB" />
            </>
          ) : null}
          {net ? (
            <>
              <Donut label="Floating IPs" used={net.floatingip?.used ?? 0} limit={net.floatingip?.limit ?? -1} />
              <Donut label="Security groups" used={net.security_group?.used ?? 0} limit={net.security_group?.limit ?? -1} />
            </>
          ) : null}
        </div>
      </Page>,
    );
  });

  // ── Instances ──
  app.get("/project/instances", async (c) => {
    const s = c.get("session");
    const os = c.get("os");
    const [page, flavors, images] = await Promise.all([serverPage(os, c), flavorNames(os), imageNames(os)]);
    return c.html(
      <Page s={s} title="Instances" path="/project/instances" scripts={STATUS_JS}>
        <p class="row">
          <a class="btn" href="/project/instances/launch" id="launch">
            Launch instance
          </a>
        </p>
        <ErrorBox error={page.error} />
        <InstanceTable
          servers={page.servers}
          flavors={flavors}
          images={images}
          statusUrl={`/project/instances/status.json${page.marker ? `?marker=${enc(page.marker)}` : ""}`}
        />
        <p class="row">
          {page.marker ? <a href="/project/instances">« First page</a> : null}
          {page.next ? <a href={`/project/instances?marker=${enc(page.next)}`}>Next page »</a> : null}
        </p>
      </Page>,
    );
  });

  app.get("/project/instances/status.json", async (c) => {
    const page = await serverPage(c.get("os"), c, c.req.query("all") === "1" && isAdmin(c.get("session")) ? "&all_tenants=1" : "");
    if (page.error) return c.json({ error: page.error }, 502);
    const servers: Record<string, { status: string; task: string | null; power: string }> = {};
    for (const sv of page.servers) servers[sv.id] = { status: sv.status, task: sv["OS-EXT-STS:task_state"] ?? null, power: POWER[sv["OS-EXT-STS:power_state"] ?? 0] ?? "" };
    return c.json({ servers });
  });

  app.get("/project/instances/launch", async (c) => {
    const s = c.get("session");
    const os = c.get("os");
    const [img, flv, nets, kps, sgs] = await Promise.all([
      os.tryJson<{ images: { id: string; name: string; status: string }[] }>("image", "/v2/images?status=active&limit=200"),
      os.tryJson<{ flavors: { id: string; name: string; vcpus: number; ram: number; disk: number }[] }>("compute", "/flavors/detail"),
      projectNetworks(os, s),
      os.tryJson<{ keypairs: { keypair: { name: string } }[] }>("compute", "/os-keypairs"),
      os.tryJson<{ security_groups: { id: string; name: string; project_id: string }[] }>("network", `/v2.0/security-groups?project_id=${s.project!.id}`),
    ]);
    const groups = (sgs.data?.security_groups ?? []).filter((g) => g.project_id === s.project!.id);
    return c.html(
      <Page s={s} title="Launch instance" path="/project/instances">
        {[img.error, flv.error, nets.error, kps.error, sgs.error].map((e) => (
          <ErrorBox error={e} />
        ))}
        <div class="card">
          <form method="post" action="/project/instances/launch" class="stack" id="launch-form">
            <Csrf s={s} />
            <label>
              Instance name
              <input name="name" required maxlength={255} />
            </label>
            <label>
              Image
              <select name="image" required>
                {(img.data?.images ?? []).map((i) => (
                  <option value={i.id} selected={i.id === c.req.query("image")}>
                    {i.name || i.id}
                  </option>
                ))}
              </select>
            </label>
            {(img.data?.images ?? []).length === 0 ? <p class="muted">No active image yet: upload one on the Images page first.</p> : null}
            <label>
              Flavor
              <select name="flavor" required>
                {(flv.data?.flavors ?? []).map((f) => (
                  <option value={f.id}>
                    {f.name} ({f.vcpus} VCPU, {f.ram} MiB RAM, {f.disk} GiB disk)
                  </option>
                ))}
              </select>
            </label>
            <fieldset>
              <legend>Networks</legend>
              {nets.networks.map((n, i) => (
                <div class="inline">
                  <input type="checkbox" name="network" value={n.id} id={`net-${n.id}`} checked={i === 0} />
                  <label for={`net-${n.id}`}>{n.name || n.id}</label>
                </div>
              ))}
              {nets.networks.length === 0 ? <p class="muted">No project network: Nova will pick one if it can.</p> : null}
            </fieldset>
            <label>
              Key pair
              <select name="key_name">
                <option value="">(none)</option>
                {(kps.data?.keypairs ?? []).map((k) => (
                  <option value={k.keypair.name}>{k.keypair.name}</option>
                ))}
              </select>
            </label>
            <fieldset>
              <legend>Security groups</legend>
              {groups.map((g) => (
                <div class="inline">
                  <input type="checkbox" name="security_groups" value={g.name} id={`sg-${g.id}`} checked={g.name === "default"} />
                  <label for={`sg-${g.id}`}>{g.name}</label>
                </div>
              ))}
            </fieldset>
            <label>
              User data (cloud-init)
              <textarea name="user_data" placeholder="#cloud-config"></textarea>
            </label>
            <label>
              Count
              <input name="count" type="number" min="1" max="100" value="1" />
            </label>
            <button type="submit">Launch</button>
          </form>
        </div>
      </Page>,
    );
  });

  app.post("/project/instances/launch", (c) =>
    action(c, d, "/project/instances/launch", async () => {
      const f = await formOf(c, launchForm);
      const nets = list(f.network);
      const sgs = list(f.security_groups);
      const server: Record<string, unknown> = {
        name: f.name,
        imageRef: f.image,
        flavorRef: f.flavor,
        networks: nets.length ? nets.map((uuid) => ({ uuid })) : "auto",
        min_count: f.count,
        max_count: f.count,
      };
      if (f.key_name) server.key_name = f.key_name;
      if (sgs.length) server.security_groups = sgs.map((name) => ({ name }));
      if (f.user_data) server.user_data = Buffer.from(f.user_data).toString("base64");
      await c.get("os").json("compute", "/servers", { method: "POST", json: { server } });
      d.log.info(`launch: ${f.count} × ${f.name} in ${c.get("session").project?.name}`);
      return done(c, "/project/instances", `Launched ${f.count === 1 ? `instance ${f.name}` : `${f.count} instances named ${f.name}`}.`);
    }),
  );

  app.get("/project/instances/:id", async (c) => {
    const s = c.get("session");
    const os = c.get("os");
    const id = c.req.param("id");
    const r = await os.tryJson<{ server: Server }>("compute", `/servers/${enc(id)}`);
    if (!r.data) {
      return c.html(
        <Page s={s} title="Instance" path="/project/instances">
          <ErrorBox error={r.error} />
          <a href="/project/instances">Back to instances</a>
        </Page>,
        404,
      );
    }
    const sv = r.data.server;
    const [log, vols, fips, flavors, attached] = await Promise.all([
      sv.status === "BUILD"
        ? Promise.resolve({ data: { output: "" }, error: undefined })
        : os.tryJson<{ output: string }>("compute", `/servers/${enc(id)}/action`, { method: "POST", json: { "os-getConsoleOutput": { length: 200 } } }),
      os.tryJson<{ volumes: { id: string; name: string; status: string; size: number }[] }>("volumev3", "/volumes/detail"),
      os.tryJson<{ floatingips: { id: string; floating_ip_address: string; port_id: string | null }[] }>(
        "network",
        `/v2.0/floatingips?project_id=${s.project!.id}`,
      ),
      flavorNames(os),
      os.tryJson<{ volumeAttachments: { volumeId: string; device: string }[] }>("compute", `/servers/${enc(id)}/os-volume_attachments`),
    ]);
    const base = `/project/instances/${enc(id)}/action`;
    const freeVols = (vols.data?.volumes ?? []).filter((v) => v.status === "available");
    const freeFips = (fips.data?.floatingips ?? []).filter((f) => !f.port_id);
    const volName = new Map((vols.data?.volumes ?? []).map((v) => [v.id, v.name || v.id]));
    return c.html(
      <Page s={s} title={`Instance ${sv.name}`} path="/project/instances" scripts={REFRESH_JS}>
        <div class="card">
          <dl class="kv" id="instance-detail">
            <dt>ID</dt>
            <dd>{sv.id}</dd>
            <dt>Status</dt>
            <dd>
              <Badge v={sv.status} /> {sv["OS-EXT-STS:task_state"] ?? ""}
            </dd>
            <dt>Flavor</dt>
            <dd>{flavors.get(sv.flavor?.id ?? "") ?? sv.flavor?.original_name ?? sv.flavor?.id}</dd>
            <dt>IP addresses</dt>
            <dd id="instance-ips">{ips(sv) || "—"}</dd>
            <dt>Key pair</dt>
            <dd>{sv.key_name ?? "—"}</dd>
            <dt>Security groups</dt>
            <dd>{(sv.security_groups ?? []).map((g) => g.name).join(", ") || "—"}</dd>
            <dt>Volumes</dt>
            <dd id="instance-volumes">
              {(attached.data?.volumeAttachments ?? []).map((a) => (
                <div class="inline">
                  {volName.get(a.volumeId) ?? a.volumeId} on {a.device}
                  <Act s={s} action={base} label="Detach" fields={{ op: "detach_volume", volume_id: a.volumeId }} />
                </div>
              ))}
              {(attached.data?.volumeAttachments ?? []).length === 0 ? "—" : null}
            </dd>
            <dt>Created</dt>
            <dd>{sv.created}</dd>
            {sv.fault ? (
              <>
                <dt>Fault</dt>
                <dd>{sv.fault.message}</dd>
              </>
            ) : null}
          </dl>
        </div>
        <h2>Actions</h2>
        <div class="card">
          <div class="row" id="instance-actions">
            <Act s={s} action={base} label="Start" fields={{ op: "start" }} />
            <Act s={s} action={base} label="Stop" fields={{ op: "stop" }} />
            <Act s={s} action={base} label="Soft reboot" fields={{ op: "reboot" }} />
            <Act s={s} action={base} label="Hard reboot" fields={{ op: "reboot_hard" }} />
            <a class="btn sec" href={`/project/instances/${enc(id)}/console`} id="open-console">
              Console
            </a>
            <Act s={s} action={base} label="Delete" fields={{ op: "delete" }} danger confirm={`Delete instance ${sv.name}?`} />
          </div>
          <form method="post" action={base} class="inline" id="snapshot-form">
            <Csrf s={s} />
            <input type="hidden" name="op" value="snapshot" />
            <input name="name" placeholder="Snapshot name" required maxlength={255} />
            <button type="submit" class="sec">
              Create snapshot
            </button>
          </form>
          <form method="post" action={base} class="inline" id="attach-volume-form">
            <Csrf s={s} />
            <input type="hidden" name="op" value="attach_volume" />
            <select name="volume_id" required aria-label="Volume to attach">
              {freeVols.length === 0 ? <option value="">(no available volume)</option> : null}
              {freeVols.map((v) => (
                <option value={v.id}>
                  {v.name || v.id} ({v.size} GiB)
                </option>
              ))}
            </select>
            <button type="submit" class="sec" disabled={freeVols.length === 0}>
              Attach volume
            </button>
            {vols.error ? <span class="muted">{vols.error}</span> : null}
          </form>
          <form method="post" action={base} class="inline" id="associate-fip-form">
            <Csrf s={s} />
            <input type="hidden" name="op" value="associate_fip" />
            <select name="floatingip_id" aria-label="Floating IP">
              <option value="new">Allocate a new one from the external network</option>
              {freeFips.map((f) => (
                <option value={f.id}>{f.floating_ip_address}</option>
              ))}
            </select>
            <button type="submit" class="sec">
              Associate floating IP
            </button>
            {fips.error ? <span class="muted">{fips.error}</span> : null}
          </form>
          {(fips.data?.floatingips ?? [])
            .filter((f) => f.port_id && ips(sv).includes(f.floating_ip_address))
            .map((f) => (
              <Act s={s} action={base} label={`Disassociate ${f.floating_ip_address}`} fields={{ op: "disassociate_fip", floatingip_id: f.id }} />
            ))}
        </div>
        <h2>Console log</h2>
        <ErrorBox error={log.error} />
        <pre class="log" id="console-log">
          {log.data?.output || "(empty)"}
        </pre>
      </Page>,
    );
  });

  app.post("/project/instances/:id/action", async (c) => {
    const id = c.req.param("id");
    const back = `/project/instances/${enc(id)}`;
    return action(c, d, back, async () => {
      const os = c.get("os");
      const f = await form(c);
      const op = str(f.op);
      const act = (body: unknown) => os.call("compute", `/servers/${enc(id)}/action`, { method: "POST", json: body });
      switch (op) {
        case "start":
          await act({ "os-start": null });
          return done(c, back, "Starting the instance.");
        case "stop":
          await act({ "os-stop": null });
          return done(c, back, "Stopping the instance.");
        case "reboot":
        case "reboot_hard":
          await act({ reboot: { type: op === "reboot" ? "SOFT" : "HARD" } });
          return done(c, back, "Rebooting the instance.");
        case "delete":
          await os.call("compute", `/servers/${enc(id)}`, { method: "DELETE" });
          return done(c, "/project/instances", "Deleting the instance.");
        case "snapshot": {
          const name = str(f.name).trim();
          if (!name || name.length > 255) throw new OsError(400, "The snapshot needs a name (at most 255 characters).");
          await act({ createImage: { name } });
          return done(c, back, `Snapshot ${name} is being created (see Images).`);
        }
        case "attach_volume": {
          const vid = str(f.volume_id);
          if (!vid) throw new OsError(400, "Choose a volume to attach.");
          await os.json("compute", `/servers/${enc(id)}/os-volume_attachments`, { method: "POST", json: { volumeAttachment: { volumeId: vid } } });
          return done(c, back, "Attaching the volume.");
        }
        case "detach_volume": {
          const vid = str(f.volume_id);
          await os.call("compute", `/servers/${enc(id)}/os-volume_attachments/${enc(vid)}`, { method: "DELETE" });
          return done(c, back, "Detaching the volume.");
        }
        case "associate_fip": {
          const ports = await os.json<{ ports: { id: string; fixed_ips: unknown[] }[] }>("network", `/v2.0/ports?device_id=${enc(id)}`);
          const port = ports.ports.find((p) => p.fixed_ips.length > 0);
          if (!port) throw new OsError(409, "The instance has no port with a fixed IP to associate a floating IP with.");
          let fid = str(f.floatingip_id);
          let addr = "";
          if (!fid || fid === "new") {
            const nets = await os.json<{ networks: { id: string }[] }>("network", "/v2.0/networks?router:external=true");
            if (!nets.networks[0]) throw new OsError(409, "There is no external network to allocate a floating IP from.");
            const fip = await os.json<{ floatingip: { id: string; floating_ip_address: string } }>("network", "/v2.0/floatingips", {
              method: "POST",
              json: { floatingip: { floating_network_id: nets.networks[0].id, port_id: port.id } },
            });
            fid = fip.floatingip.id;
            addr = fip.floatingip.floating_ip_address;
          } else {
            const fip = await os.json<{ floatingip: { floating_ip_address: string } }>("network", `/v2.0/floatingips/${enc(fid)}`, {
              method: "PUT",
              json: { floatingip: { port_id: port.id } },
            });
            addr = fip.floatingip.floating_ip_address;
          }
          return done(c, back, `Floating IP ${addr} associated.`);
        }
        case "disassociate_fip": {
          await os.json("network", `/v2.0/floatingips/${enc(str(f.floatingip_id))}`, { method: "PUT", json: { floatingip: { port_id: null } } });
          return done(c, back, "Floating IP disassociated.");
        }
        default:
          throw new OsError(400, `Unknown action ${JSON.stringify(op)}.`);
      }
    });
  });

  app.get("/project/instances/:id/console", async (c) => {
    const s = c.get("session");
    const os = c.get("os");
    const id = c.req.param("id");
    const serial = c.req.query("type") === "serial";
    const r = await os.tryJson<{ remote_console: { url: string } }>("compute", `/servers/${enc(id)}/remote-consoles`, {
      method: "POST",
      headers: NOVA_MV,
      json: { remote_console: serial ? { protocol: "serial", type: "serial" } : { protocol: "vnc", type: "novnc" } },
    });
    let wsUrl = "";
    if (r.data) {
      const u = new URL(r.data.remote_console.url);
      if (serial) wsUrl = u.toString();
      else {
        const path = u.searchParams.get("path") ?? `?token=${u.searchParams.get("token") ?? ""}`;
        wsUrl = `${u.protocol === "https:" ? "wss" : "ws"}://${u.host}/${path.replace(/^\//, "")}`;
      }
    }
    const script = !r.data
      ? ""
      : serial
        ? `(function(){var el=document.getElementById('screen');var st=document.getElementById('console-state');
if(!window.Terminal){st.textContent='xterm.js is not available on this server.';return;}
var term=new Terminal({convertEol:true,fontSize:14});term.open(el);var ws=new WebSocket(${JSON.stringify(wsUrl)});ws.binaryType='arraybuffer';
ws.onopen=function(){st.textContent='Connected';};ws.onclose=function(){st.textContent='Disconnected';};ws.onerror=function(){st.textContent='Could not connect to the console proxy.';};
ws.onmessage=function(e){term.write(typeof e.data==='string'?e.data:new Uint8Array(e.data));};term.onData(function(d){if(ws.readyState===1)ws.send(d);});})();`
        : "";
    const vncModule = r.data && !serial
      ? `const st=document.getElementById('console-state');
import('/static/novnc/core/rfb.js').then(({default: RFB})=>{
  const rfb=new RFB(document.getElementById('screen'),${JSON.stringify(wsUrl)});rfb.scaleViewport=true;rfb.resizeSession=false;
  rfb.addEventListener('connect',()=>{st.textContent='Connected';});
  rfb.addEventListener('disconnect',(e)=>{st.textContent=e.detail.clean?'Disconnected':'Could not connect to the console proxy.';});
  document.getElementById('cad').onclick=()=>rfb.sendCtrlAltDel();
}).catch((e)=>{st.textContent='The noVNC client could not be loaded ('+e.message+').';});`
      : "";
    return c.html(
      <Page s={s} title="Console" path="/project/instances" scripts={script}>
        <p class="row">
          <a href={`/project/instances/${enc(id)}`}>« Back to the instance</a>
          <a href={`/project/instances/${enc(id)}/console`} class={serial ? "" : "btn"}>
            VNC (noVNC)
          </a>
          <a href={`/project/instances/${enc(id)}/console?type=serial`} class={serial ? "btn" : ""}>
            Serial (xterm.js)
          </a>
        </p>
        {r.error ? (
          <div class="flash error" role="alert" id="console-unavailable">
            The interactive console is not available: {r.error}
          </div>
        ) : (
          <>
            <p class="row">
              <span id="console-state" class="badge">
                Connecting…
              </span>
              {serial ? null : (
                <button type="button" class="sec" id="cad">
                  Send Ctrl-Alt-Del
                </button>
              )}
              {r.data && !serial ? (
                <a href={r.data.remote_console.url} target="_blank" rel="noopener">
                  Open in a new window
                </a>
              ) : null}
            </p>
            {serial ? <link rel="stylesheet" href="/static/xterm/css/xterm.css" /> : null}
            {serial ? <script src="/static/xterm/lib/xterm.js"></script> : null}
            <div id="screen" style="width:100%;min-height:420px;background:#000"></div>
            {vncModule ? <script type="module">{raw(vncModule)}</script> : null}
          </>
        )}
      </Page>,
    );
  });

  // ── Images ──
  app.get("/project/images", async (c) => {
    const s = c.get("session");
    const os = c.get("os");
    const r = await os.tryJson<{
      images: { id: string; name: string; status: string; visibility: string; disk_format: string; size: number; owner: string; protected: boolean }[];
    }>("image", "/v2/images?limit=200&sort=name:asc");
    const admin = isAdmin(s);
    const rows = (r.data?.images ?? []).map((i) => [
      i.name || i.id,
      <Badge v={i.status} />,
      i.visibility,
      i.disk_format ?? "—",
      fmtBytes(i.size),
      i.owner === s.project?.id ? "this project" : <span class="muted">{i.owner}</span>,
      <div class="row">
        {i.status === "active" ? (
          <a class="btn sec" href={`/project/instances/launch?image=${enc(i.id)}`}>
            Launch
          </a>
        ) : null}
        {admin && i.visibility !== "public" ? <Act s={s} action={`/project/images/${i.id}/public`} label="Make public" /> : null}
        {admin || i.owner === s.project?.id ? (
          <Act s={s} action={`/project/images/${i.id}/delete`} label="Delete" danger confirm={`Delete image ${i.name}?`} />
        ) : null}
      </div>,
    ]);
    return c.html(
      <Page s={s} title="Images" path="/project/images" scripts={UPLOAD_JS + REFRESH_JS}>
        <ErrorBox error={r.error} />
        <Table head={["Name", "Status", "Visibility", "Format", "Size", "Owner", "Actions"]} rows={rows} id="images" empty="No images." />
        <h2>Upload an image</h2>
        <div class="card">
          <form method="post" action="/project/images/upload" enctype="multipart/form-data" class="stack" data-upload id="image-upload">
            <Csrf s={s} />
            <label>
              Name
              <input name="name" required maxlength={255} />
            </label>
            <label>
              Image file
              <input name="file" type="file" required />
            </label>
            <label>
              Disk format
              <select name="disk_format">
                {["qcow2", "raw", "iso", "vmdk", "vdi", "vhd", "vhdx", "ami", "ari", "aki", "ploop"].map((f) => (
                  <option value={f}>{f}</option>
                ))}
              </select>
            </label>
            <label>
              Container format
              <select name="container_format">
                {["bare", "ovf", "ova", "ami", "ari", "aki", "docker"].map((f) => (
                  <option value={f}>{f}</option>
                ))}
              </select>
            </label>
            <label>
              Visibility
              <select name="visibility">
                <option value="private">private</option>
                <option value="shared">shared</option>
                <option value="community">community</option>
                {admin ? <option value="public">public</option> : null}
              </select>
            </label>
            <div class="row">
              <label>
                Minimum disk (GiB) <input name="min_disk" type="number" min="0" value="0" />
              </label>
              <label>
                Minimum RAM (MiB) <input name="min_ram" type="number" min="0" value="0" />
              </label>
            </div>
            <progress hidden value="0" max="1"></progress>
            <span class="upmsg muted" aria-live="polite"></span>
            <button type="submit">Upload</button>
          </form>
        </div>
      </Page>,
    );
  });

  app.post("/project/images/upload", (c) =>
    action(c, d, "/project/images", async () => {
      const os = c.get("os");
      const up = await uploadOf(c);
      if (!up || up.size === -1) throw new OsError(400, "Choose a file to upload.");
      const f = parse(imageUpload, up.fields);
      if (f.visibility === "public" && !isAdmin(c.get("session"))) throw new OsError(403, "Only admins can publish public images.");
      const img = await os.json<{ id: string }>("image", "/v2/images", {
        method: "POST",
        json: { name: f.name, disk_format: f.disk_format, container_format: f.container_format, visibility: f.visibility, min_disk: f.min_disk, min_ram: f.min_ram },
      });
      try {
        await os.call("image", `/v2/images/${img.id}/file`, {
          method: "PUT",
          body: up.body,
          headers: { "content-type": "application/octet-stream", ...(up.size !== undefined ? { "content-length": String(up.size) } : {}) },
        });
      } catch (e) {
        // Nothing half-made: an image record without its data is removed.
        await os.call("image", `/v2/images/${img.id}`, { method: "DELETE", raw: true }).catch(() => {});
        throw e;
      }
      return done(c, "/project/images", `Image ${f.name} uploaded.`);
    }),
  );

  app.post("/project/images/:id/delete", (c) =>
    action(c, d, "/project/images", async () => {
      await c.get("os").call("image", `/v2/images/${enc(c.req.param("id"))}`, { method: "DELETE" });
      return done(c, "/project/images", "Image deleted.");
    }),
  );

  app.post("/project/images/:id/public", (c) =>
    action(c, d, "/project/images", async () => {
      if (!isAdmin(c.get("session"))) throw new OsError(403, "Only admins can make an image public.");
      await c.get("os").call("image", `/v2/images/${enc(c.req.param("id"))}`, {
        method: "PATCH",
        headers: { "content-type": "application/openstack-images-v2.1-json-patch" },
        body: JSON.stringify([{ op: "replace", path: "/visibility", value: "public" }]),
      });
      return done(c, "/project/images", "The image is public now.");
    }),
  );

  // ── Key pairs ──
  app.get("/project/keypairs", async (c) => {
    const s = c.get("session");
    const r = await c.get("os").tryJson<{ keypairs: { keypair: { name: string; fingerprint: string; type?: string } }[] }>("compute", "/os-keypairs");
    const rows = (r.data?.keypairs ?? []).map(({ keypair: k }) => [
      k.name,
      <code>{k.fingerprint}</code>,
      <Act s={s} action={`/project/keypairs/${enc(k.name)}/delete`} label="Delete" danger confirm={`Delete key pair ${k.name}?`} />,
    ]);
    return c.html(
      <Page s={s} title="Key Pairs" path="/project/keypairs">
        <ErrorBox error={r.error} />
        <Table head={["Name", "Fingerprint", "Actions"]} rows={rows} id="keypairs" empty="No key pairs." />
        <h2>Create a key pair</h2>
        <div class="card">
          <form method="post" action="/project/keypairs/create" class="stack" id="keypair-create">
            <Csrf s={s} />
            <label>
              Name
              <input name="name" required pattern="[A-Za-z0-9 _.@-]+" maxlength={255} />
            </label>
            <p class="muted">The private key is downloaded once; tenrec does not keep it.</p>
            <button type="submit">Create and download</button>
          </form>
        </div>
        <h2>Import a public key</h2>
        <div class="card">
          <form method="post" action="/project/keypairs/import" class="stack" id="keypair-import">
            <Csrf s={s} />
            <label>
              Name
              <input name="name" required pattern="[A-Za-z0-9 _.@-]+" maxlength={255} />
            </label>
            <label>
              Public key
              <textarea name="public_key" required placeholder="ssh-ed25519 AAAA…"></textarea>
            </label>
            <button type="submit">Import</button>
          </form>
        </div>
      </Page>,
    );
  });

  const kpName = z.string().trim().min(1, "the key pair name is required").max(255).regex(/^[A-Za-z0-9 _.@-]+$/, "use letters, digits, space, _ . @ -");
  app.post("/project/keypairs/create", (c) =>
    action(c, d, "/project/keypairs", async () => {
      const f = await formOf(c, z.object({ name: kpName }));
      const r = await c.get("os").json<{ keypair: { private_key: string; name: string } }>("compute", "/os-keypairs", { method: "POST", json: { keypair: { name: f.name } } });
      const file = `${r.keypair.name.replace(/[^A-Za-z0-9_.-]/g, "_")}.pem`;
      return c.body(r.keypair.private_key, 200, { "content-type": "application/x-pem-file", "content-disposition": `attachment; filename="${file}"` });
    }),
  );
  app.post("/project/keypairs/import", (c) =>
    action(c, d, "/project/keypairs", async () => {
      const f = await formOf(c, z.object({ name: kpName, public_key: z.string().trim().min(1, "paste a public key").max(16384) }));
      await c.get("os").json("compute", "/os-keypairs", { method: "POST", json: { keypair: { name: f.name, public_key: f.public_key } } });
      return done(c, "/project/keypairs", `Key pair ${f.name} imported.`);
    }),
  );
  app.post("/project/keypairs/:name/delete", (c) =>
    action(c, d, "/project/keypairs", async () => {
      await c.get("os").call("compute", `/os-keypairs/${enc(c.req.param("name"))}`, { method: "DELETE" });
      return done(c, "/project/keypairs", "Key pair deleted.");
    }),
  );
}
