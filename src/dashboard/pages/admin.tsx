/** Admin panels (admin role in the current project only; the /admin/* guard in app.tsx answers 403 otherwise). */
import { z } from "zod";
import { action, done, enc, formOf, type DApp, type Dash } from "../ctx.ts";
import { OsError } from "../os.ts";
import { Act, Badge, Csrf, ErrorBox, Page, Table } from "../ui.tsx";
import { flavorNames, InstanceTable, serverPage, STATUS_JS } from "./compute.tsx";

export function registerAdmin(app: DApp, d: Dash) {
  app.get("/admin/hypervisors", async (c) => {
    const s = c.get("session");
    const r = await c.get("os").tryJson<{
      hypervisors: {
        id: number | string;
        hypervisor_hostname: string;
        hypervisor_type: string;
        state: string;
        status: string;
        vcpus: number;
        vcpus_used: number;
        memory_mb: number;
        memory_mb_used: number;
        local_gb: number;
        local_gb_used: number;
        running_vms: number;
      }[];
    }>("compute", "/os-hypervisors/detail");
    const bar = (used: number, total: number) => {
      const f = total > 0 ? Math.min(1, used / total) : 0;
      return (
        <span>
          <svg width="80" height="10" role="img" aria-label={`${used} of ${total}`}>
            <rect width="80" height="10" fill="#e7ebef" />
            <rect width={(80 * f).toFixed(1)} height="10" fill={f > 0.9 ? "#c0392b" : "#2e8b57"} />
          </svg>{" "}
          {used} / {total}
        </span>
      );
    };
    return c.html(
      <Page s={s} title="Hypervisors" path="/admin/hypervisors">
        <ErrorBox error={r.error} />
        <Table
          id="hypervisors"
          head={["Host", "Type", "State", "VCPUs", "RAM (MiB)", "Disk (GiB)", "Instances"]}
          rows={(r.data?.hypervisors ?? []).map((h) => [
            h.hypervisor_hostname,
            h.hypervisor_type,
            <>
              <Badge v={h.state} /> {h.status}
            </>,
            bar(h.vcpus_used, h.vcpus),
            bar(h.memory_mb_used, h.memory_mb),
            bar(h.local_gb_used, h.local_gb),
            h.running_vms,
          ])}
        />
      </Page>,
    );
  });

  app.get("/admin/instances", async (c) => {
    const s = c.get("session");
    const os = c.get("os");
    const [page, flavors] = await Promise.all([serverPage(os, c, "&all_tenants=1"), flavorNames(os)]);
    return c.html(
      <Page s={s} title="All Instances" path="/admin/instances" scripts={STATUS_JS}>
        <ErrorBox error={page.error} />
        <InstanceTable
          servers={page.servers}
          flavors={flavors}
          images={new Map()}
          admin
          statusUrl={`/project/instances/status.json?all=1${page.marker ? `&marker=${enc(page.marker)}` : ""}`}
        />
        <p class="row">
          {page.marker ? <a href="/admin/instances">« First page</a> : null}
          {page.next ? <a href={`/admin/instances?marker=${enc(page.next)}`}>Next page »</a> : null}
        </p>
      </Page>,
    );
  });

  app.get("/admin/flavors", async (c) => {
    const s = c.get("session");
    const r = await c.get("os").tryJson<{
      flavors: { id: string; name: string; vcpus: number; ram: number; disk: number; "os-flavor-access:is_public": boolean; "OS-FLV-EXT-DATA:ephemeral": number }[];
    }>("compute", "/flavors/detail?is_public=None");
    return c.html(
      <Page s={s} title="Flavors" path="/admin/flavors">
        <ErrorBox error={r.error} />
        <Table
          id="flavors"
          head={["Name", "ID", "VCPUs", "RAM (MiB)", "Disk (GiB)", "Ephemeral", "Public", ""]}
          rows={(r.data?.flavors ?? []).map((f) => [
            f.name,
            f.id,
            f.vcpus,
            f.ram,
            f.disk,
            f["OS-FLV-EXT-DATA:ephemeral"] ?? 0,
            f["os-flavor-access:is_public"] === false ? "no" : "yes",
            <Act s={s} action={`/admin/flavors/${enc(f.id)}/delete`} label="Delete" danger confirm={`Delete flavor ${f.name}?`} />,
          ])}
        />
        <h2>Create a flavor</h2>
        <div class="card">
          <form method="post" action="/admin/flavors" class="stack" id="flavor-create">
            <Csrf s={s} />
            <label>
              Name
              <input name="name" required maxlength={255} />
            </label>
            <label>
              ID (empty: generated)
              <input name="id" maxlength={255} />
            </label>
            <div class="row">
              <label>
                VCPUs <input name="vcpus" type="number" min="1" value="1" required />
              </label>
              <label>
                RAM (MiB) <input name="ram" type="number" min="1" value="512" required />
              </label>
              <label>
                Disk (GiB) <input name="disk" type="number" min="0" value="1" required />
              </label>
            </div>
            <div class="inline">
              <input type="checkbox" name="public" value="1" id="f-public" checked />
              <label for="f-public">Public</label>
            </div>
            <button type="submit">Create flavor</button>
          </form>
        </div>
      </Page>,
    );
  });
  app.post("/admin/flavors", (c) =>
    action(c, d, "/admin/flavors", async () => {
      const n = (label: string, min: number) => z.coerce.number().int(`${label} must be a whole number`).min(min, `${label} must be at least ${min}`);
      const f = await formOf(
        c,
        z.object({
          name: z.string().trim().min(1, "the flavor name is required").max(255),
          id: z.string().trim().max(255).optional(),
          vcpus: n("VCPUs", 1),
          ram: n("RAM", 1),
          disk: n("disk", 0),
          public: z.string().optional(),
        }),
      );
      await c.get("os").json("compute", "/flavors", {
        method: "POST",
        json: { flavor: { name: f.name, ...(f.id ? { id: f.id } : {}), vcpus: f.vcpus, ram: f.ram, disk: f.disk, "os-flavor-access:is_public": !!f.public } },
      });
      return done(c, "/admin/flavors", `Flavor ${f.name} created.`);
    }),
  );
  app.post("/admin/flavors/:id/delete", (c) =>
    action(c, d, "/admin/flavors", async () => {
      await c.get("os").call("compute", `/flavors/${enc(c.req.param("id"))}`, { method: "DELETE" });
      return done(c, "/admin/flavors", "Flavor deleted.");
    }),
  );

  app.get("/admin/identity", async (c) => {
    const s = c.get("session");
    const os = c.get("os");
    const [p, u] = await Promise.all([
      os.tryJson<{ projects: { id: string; name: string; description: string; enabled: boolean; domain_id: string }[] }>("identity", "/projects"),
      os.tryJson<{ users: { id: string; name: string; email?: string; enabled: boolean; domain_id: string; default_project_id?: string }[] }>("identity", "/users"),
    ]);
    return c.html(
      <Page s={s} title="Projects & Users" path="/admin/identity">
        <h2>Projects</h2>
        <ErrorBox error={p.error} />
        <Table
          id="projects"
          head={["Name", "ID", "Domain", "Enabled", "Description", ""]}
          rows={(p.data?.projects ?? []).map((x) => [
            x.name,
            x.id,
            x.domain_id,
            x.enabled ? "yes" : "no",
            x.description ?? "",
            x.id === s.project?.id ? "" : <Act s={s} action={`/admin/identity/projects/${x.id}/delete`} label="Delete" danger confirm={`Delete project ${x.name}?`} />,
          ])}
        />
        <div class="card">
          <form method="post" action="/admin/identity/projects" class="inline" id="project-create">
            <Csrf s={s} />
            <input name="name" required maxlength={64} placeholder="project name" aria-label="Project name" />
            <input name="description" maxlength={255} placeholder="description" aria-label="Description" />
            <button type="submit">Create project</button>
          </form>
        </div>
        <h2>Users</h2>
        <ErrorBox error={u.error} />
        <Table
          id="users"
          head={["Name", "ID", "Domain", "Enabled", "E-mail", ""]}
          rows={(u.data?.users ?? []).map((x) => [
            x.name,
            x.id,
            x.domain_id,
            x.enabled ? "yes" : "no",
            x.email ?? "",
            x.id === s.user?.id ? "" : <Act s={s} action={`/admin/identity/users/${x.id}/delete`} label="Delete" danger confirm={`Delete user ${x.name}?`} />,
          ])}
        />
        <div class="card">
          <form method="post" action="/admin/identity/users" class="stack" id="user-create">
            <Csrf s={s} />
            <label>
              User name
              <input name="name" required maxlength={255} />
            </label>
            <label>
              Password
              <input name="password" type="password" required autocomplete="new-password" />
            </label>
            <label>
              E-mail
              <input name="email" type="email" maxlength={255} />
            </label>
            <label>
              Primary project (the user gets the member role there)
              <select name="project_id">
                <option value="">(none)</option>
                {(p.data?.projects ?? []).map((x) => (
                  <option value={x.id}>{x.name}</option>
                ))}
              </select>
            </label>
            <button type="submit">Create user</button>
          </form>
        </div>
      </Page>,
    );
  });

  const back = "/admin/identity";
  app.post("/admin/identity/projects", (c) =>
    action(c, d, back, async () => {
      const f = await formOf(c, z.object({ name: z.string().trim().min(1, "the project name is required").max(64), description: z.string().max(255).default("") }));
      await c.get("os").json("identity", "/projects", { method: "POST", json: { project: { name: f.name, description: f.description, domain_id: "default" } } });
      return done(c, back, `Project ${f.name} created.`);
    }),
  );
  app.post("/admin/identity/projects/:id/delete", (c) =>
    action(c, d, back, async () => {
      await c.get("os").call("identity", `/projects/${enc(c.req.param("id"))}`, { method: "DELETE" });
      return done(c, back, "Project deleted.");
    }),
  );
  app.post("/admin/identity/users", (c) =>
    action(c, d, back, async () => {
      const f = await formOf(
        c,
        z.object({
          name: z.string().trim().min(1, "the user name is required").max(255),
          password: z.string().min(1, "a password is required").max(4096),
          email: z.union([z.literal(""), z.email("enter a valid e-mail address")]).optional(),
          project_id: z.string().optional(),
        }),
      );
      const os = c.get("os");
      const role = f.project_id ? (await os.json<{ roles: { id: string }[] }>("identity", "/roles?name=member")).roles[0] : undefined;
      if (f.project_id && !role) throw new OsError(409, "There is no member role to grant.");
      const u = await os.json<{ user: { id: string } }>("identity", "/users", {
        method: "POST",
        json: { user: { name: f.name, password: f.password, domain_id: "default", ...(f.email ? { email: f.email } : {}), ...(f.project_id ? { default_project_id: f.project_id } : {}) } },
      });
      if (f.project_id && role) {
        try {
          await os.call("identity", `/projects/${enc(f.project_id)}/users/${u.user.id}/roles/${role.id}`, { method: "PUT" });
        } catch (e) {
          // Nothing half-made: no user left without the membership that was asked for.
          await os.call("identity", `/users/${u.user.id}`, { method: "DELETE", raw: true }).catch(() => {});
          throw e;
        }
      }
      return done(c, back, `User ${f.name} created.`);
    }),
  );
  app.post("/admin/identity/users/:id/delete", (c) =>
    action(c, d, back, async () => {
      await c.get("os").call("identity", `/users/${enc(c.req.param("id"))}`, { method: "DELETE" });
      return done(c, back, "User deleted.");
    }),
  );

  app.get("/admin/services", async (c) => {
    const s = c.get("session");
    const os = c.get("os");
    const [ks, nova, cinder, agents] = await Promise.all([
      os.tryJson<{ services: { id: string; name: string; type: string; enabled: boolean }[] }>("identity", "/services"),
      os.tryJson<{ services: { binary: string; host: string; zone: string; status: string; state: string; updated_at: string }[] }>("compute", "/os-services"),
      os.tryJson<{ services: { binary: string; host: string; zone: string; status: string; state: string; updated_at: string }[] }>("volumev3", "/os-services"),
      os.tryJson<{ agents: { binary: string; host: string; agent_type: string; alive: boolean; admin_state_up: boolean }[] }>("network", "/v2.0/agents"),
    ]);
    const agentRows = (agents.data?.agents ?? []).map((a) => [a.binary, a.host, a.agent_type, a.admin_state_up ? "enabled" : "disabled", a.alive ? "up" : "down", ""]);
    const svcRows = [...(nova.data?.services ?? []), ...(cinder.data?.services ?? [])].map((x) => [x.binary, x.host, x.zone, x.status, x.state, x.updated_at ?? ""]);
    return c.html(
      <Page s={s} title="Services" path="/admin/services">
        <h2>Catalog</h2>
        <ErrorBox error={ks.error} />
        <Table
          id="catalog"
          head={["Name", "Type", "Enabled", "Public URL"]}
          rows={(ks.data?.services ?? []).map((x) => [x.name, x.type, x.enabled === false ? "no" : "yes", s.catalog[x.type] ?? "—"])}
        />
        <h2>Compute, block storage and network services</h2>
        <ErrorBox error={nova.error} />
        <ErrorBox error={cinder.error} />
        <Table id="services" head={["Binary", "Host", "Zone", "Status", "State", "Updated"]} rows={[...svcRows, ...agentRows]} />
        {agents.error ? <p class="muted">Network agents: {agents.error}</p> : null}
      </Page>,
    );
  });
}
