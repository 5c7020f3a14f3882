/** Project panels backed by Cinder (Volumes) and Swift (Object Store). */
import { z } from "zod";
import { parse } from "../../core/validate.ts";
import { action, done, enc, formOf, str, form, uploadOf, type DApp, type Dash } from "../ctx.ts";
import { OsError } from "../os.ts";
import { Act, Badge, Csrf, ErrorBox, fmtBytes, Page, REFRESH_JS, Table, UPLOAD_JS } from "../ui.tsx";

interface Volume {
  id: string;
  name: string | null;
  status: string;
  size: number;
  volume_type?: string;
  bootable?: string;
  attachments: { server_id: string; device?: string }[];
}

const containerName = z
  .string()
  .trim()
  .min(1, "the container name is required")
  .max(256)
  .refine((v) => !v.includes("/"), "a container name cannot contain '/'");

export function registerStorage(app: DApp, d: Dash) {
  // ── Volumes ──
  app.get("/project/volumes", async (c) => {
    const s = c.get("session");
    const os = c.get("os");
    const [vols, snaps, servers] = await Promise.all([
      os.tryJson<{ volumes: Volume[] }>("volumev3", "/volumes/detail"),
      os.tryJson<{ snapshots: { id: string; name: string; status: string; size: number; volume_id: string }[] }>("volumev3", "/snapshots/detail"),
      os.tryJson<{ servers: { id: string; name: string }[] }>("compute", "/servers?limit=200"),
    ]);
    const srvName = new Map((servers.data?.servers ?? []).map((x) => [x.id, x.name]));
    const rows = (vols.data?.volumes ?? []).map((v) => {
      const base = `/project/volumes/${v.id}`;
      return [
        v.name || v.id,
        `${v.size} GiB`,
        <Badge v={v.status} />,
        v.volume_type ?? "—",
        v.attachments.map((a) => `${srvName.get(a.server_id) ?? a.server_id}${a.device ? ` on ${a.device}` : ""}`).join(", ") || "—",
        <div>
          <form method="post" action={`${base}/extend`} class="inline">
            <Csrf s={s} />
            <input name="new_size" type="number" min={v.size + 1} value={v.size + 1} style="width:5rem" aria-label="New size in GiB" required />
            <button type="submit" class="sec">
              Extend
            </button>
          </form>
          {v.attachments.length === 0 ? (
            <form method="post" action={`${base}/attach`} class="inline">
              <Csrf s={s} />
              <select name="server_id" aria-label="Instance" required>
                {(servers.data?.servers ?? []).map((x) => (
                  <option value={x.id}>{x.name}</option>
                ))}
              </select>
              <button type="submit" class="sec">
                Attach
              </button>
            </form>
          ) : (
            v.attachments.map((a) => <Act s={s} action={`${base}/detach`} label="Detach" fields={{ server_id: a.server_id }} />)
          )}
          <form method="post" action={`${base}/snapshot`} class="inline">
            <Csrf s={s} />
            <input name="name" placeholder="snapshot name" required maxlength={255} style="width:9rem" />
            <button type="submit" class="sec">
              Snapshot
            </button>
          </form>
          <Act s={s} action={`${base}/delete`} label="Delete" danger confirm="Delete this volume?" />
        </div>,
      ];
    });
    const snapRows = (snaps.data?.snapshots ?? []).map((x) => [
      x.name || x.id,
      `${x.size} GiB`,
      <Badge v={x.status} />,
      x.volume_id,
      <Act s={s} action={`/project/volumes/snapshots/${x.id}/delete`} label="Delete" danger />,
    ]);
    return c.html(
      <Page s={s} title="Volumes" path="/project/volumes" scripts={REFRESH_JS}>
        <ErrorBox error={vols.error} />
        <Table head={["Name", "Size", "Status", "Type", "Attached to", "Actions"]} rows={rows} id="volumes" empty="No volumes." />
        <h2>Create a volume</h2>
        <div class="card">
          <form method="post" action="/project/volumes/create" class="stack" id="volume-create">
            <Csrf s={s} />
            <label>
              Name
              <input name="name" required maxlength={255} />
            </label>
            <label>
              Size (GiB)
              <input name="size" type="number" min="1" value="1" required />
            </label>
            <label>
              Description
              <input name="description" maxlength={255} />
            </label>
            <button type="submit">Create volume</button>
          </form>
        </div>
        <h2>Volume snapshots</h2>
        <ErrorBox error={snaps.error} />
        <Table head={["Name", "Size", "Status", "Volume", "Actions"]} rows={snapRows} id="snapshots" empty="No snapshots." />
      </Page>,
    );
  });

  app.post("/project/volumes/create", (c) =>
    action(c, d, "/project/volumes", async () => {
      const f = await formOf(
        c,
        z.object({
          name: z.string().trim().min(1, "the volume name is required").max(255),
          size: z.coerce.number().int("the size is a whole number of GiB").min(1, "the size is at least 1 GiB").max(100000),
          description: z.string().max(255).optional(),
        }),
      );
      await c.get("os").json("volumev3", "/volumes", { method: "POST", json: { volume: { name: f.name, size: f.size, description: f.description || undefined } } });
      return done(c, "/project/volumes", `Volume ${f.name} is being created.`);
    }),
  );
  app.post("/project/volumes/:id/extend", (c) =>
    action(c, d, "/project/volumes", async () => {
      const f = await formOf(c, z.object({ new_size: z.coerce.number().int("the size is a whole number of GiB").min(1) }));
      await c.get("os").call("volumev3", `/volumes/${enc(c.req.param("id"))}/action`, { method: "POST", json: { "os-extend": { new_size: f.new_size } } });
      return done(c, "/project/volumes", `Extending the volume to ${f.new_size} GiB.`);
    }),
  );
  app.post("/project/volumes/:id/attach", (c) =>
    action(c, d, "/project/volumes", async () => {
      const f = await formOf(c, z.object({ server_id: z.string().min(1, "choose an instance") }));
      await c.get("os").json("compute", `/servers/${enc(f.server_id)}/os-volume_attachments`, {
        method: "POST",
        json: { volumeAttachment: { volumeId: c.req.param("id") } },
      });
      return done(c, "/project/volumes", "Attaching the volume.");
    }),
  );
  app.post("/project/volumes/:id/detach", (c) =>
    action(c, d, "/project/volumes", async () => {
      const f = await formOf(c, z.object({ server_id: z.string().min(1) }));
      await c.get("os").call("compute", `/servers/${enc(f.server_id)}/os-volume_attachments/${enc(c.req.param("id"))}`, { method: "DELETE" });
      return done(c, "/project/volumes", "Detaching the volume.");
    }),
  );
  app.post("/project/volumes/:id/snapshot", (c) =>
    action(c, d, "/project/volumes", async () => {
      const f = await formOf(c, z.object({ name: z.string().trim().min(1, "the snapshot name is required").max(255) }));
      await c.get("os").json("volumev3", "/snapshots", { method: "POST", json: { snapshot: { volume_id: c.req.param("id"), name: f.name, force: true } } });
      return done(c, "/project/volumes", `Snapshot ${f.name} is being created.`);
    }),
  );
  app.post("/project/volumes/:id/delete", (c) =>
    action(c, d, "/project/volumes", async () => {
      await c.get("os").call("volumev3", `/volumes/${enc(c.req.param("id"))}`, { method: "DELETE" });
      return done(c, "/project/volumes", "Deleting the volume.");
    }),
  );
  app.post("/project/volumes/snapshots/:id/delete", (c) =>
    action(c, d, "/project/volumes", async () => {
      await c.get("os").call("volumev3", `/snapshots/${enc(c.req.param("id"))}`, { method: "DELETE" });
      return done(c, "/project/volumes", "Deleting the snapshot.");
    }),
  );

  // ── Object Store ──
  app.get("/project/containers", async (c) => {
    const s = c.get("session");
    const r = await c.get("os").tryJson<{ name: string; count: number; bytes: number }[]>("object-store", "?format=json&limit=1000");
    const rows = (r.data ?? []).map((x) => [
      <a href={`/project/containers/${enc(x.name)}`}>{x.name}</a>,
      x.count,
      fmtBytes(x.bytes),
      <Act s={s} action={`/project/containers/${enc(x.name)}/delete`} label="Delete" danger confirm={`Delete container ${x.name}? It must be empty.`} />,
    ]);
    return c.html(
      <Page s={s} title="Object Store" path="/project/containers">
        <ErrorBox error={r.error} />
        <Table head={["Container", "Objects", "Size", "Actions"]} rows={rows} id="containers" empty="No containers." />
        <h2>Create a container</h2>
        <div class="card">
          <form method="post" action="/project/containers/create" class="stack" id="container-create">
            <Csrf s={s} />
            <label>
              Name
              <input name="name" required maxlength={256} pattern="[^/]+" />
            </label>
            <div class="inline">
              <input type="checkbox" name="public" value="1" id="c-public" />
              <label for="c-public">Public (anyone can read and list)</label>
            </div>
            <button type="submit">Create container</button>
          </form>
        </div>
      </Page>,
    );
  });

  app.post("/project/containers/create", (c) =>
    action(c, d, "/project/containers", async () => {
      const f = await formOf(c, z.object({ name: containerName, public: z.string().optional() }));
      await c.get("os").call("object-store", `/${enc(f.name)}`, { method: "PUT", headers: f.public ? { "x-container-read": ".r:*,.rlistings" } : {} });
      return done(c, `/project/containers/${enc(f.name)}`, `Container ${f.name} created.`);
    }),
  );

  app.get("/project/containers/:c", async (c) => {
    const s = c.get("session");
    const os = c.get("os");
    const name = c.req.param("c");
    const prefix = c.req.query("prefix") ?? "";
    const base = `/project/containers/${enc(name)}`;
    const [head, r] = await Promise.all([
      os.call("object-store", `/${enc(name)}`, { method: "HEAD", raw: true }).catch(() => undefined),
      os.tryJson<({ name: string; bytes: number; last_modified: string; content_type: string } | { subdir: string })[]>(
        "object-store",
        `/${enc(name)}?format=json&delimiter=/&limit=1000${prefix ? `&prefix=${enc(prefix)}` : ""}`,
      ),
    ]);
    const isPublic = /\.r:\*/.test(head?.headers.get("x-container-read") ?? "");
    const crumbs = prefix.split("/").filter(Boolean);
    const rows = (r.data ?? [])
      .filter((o) => !("name" in o) || o.name !== prefix)
      .map((o) =>
        "subdir" in o
          ? [<a href={`${base}?prefix=${enc(o.subdir)}`}>📁 {o.subdir.slice(prefix.length)}</a>, "folder", "—", "", ""]
          : [
              o.name.slice(prefix.length),
              o.content_type,
              fmtBytes(o.bytes),
              o.last_modified?.replace("T", " ").slice(0, 19),
              <div class="row">
                <a class="btn sec" href={`${base}/download?name=${enc(o.name)}`}>
                  Download
                </a>
                <Act s={s} action={`${base}/delete-object`} label="Delete" fields={{ name: o.name, prefix }} danger />
              </div>,
            ],
      );
    return c.html(
      <Page s={s} title={`Container ${name}`} path="/project/containers" scripts={UPLOAD_JS}>
        <p class="row">
          <a href="/project/containers">Containers</a> / <a href={base}>{name}</a>
          {crumbs.map((p, i) => (
            <>
              {" / "}
              <a href={`${base}?prefix=${enc(`${crumbs.slice(0, i + 1).join("/")}/`)}`}>{p}</a>
            </>
          ))}
        </p>
        <ErrorBox error={r.error} />
        <div class="card row">
          <span>
            Access: <strong id="container-access">{isPublic ? "public" : "private"}</strong>
          </span>
          <Act s={s} action={`${base}/access`} label={isPublic ? "Make private" : "Make public"} fields={{ public: isPublic ? "0" : "1" }} />
          {isPublic ? (
            <span class="muted">
              Public URL: <code>{`${os.endpoint("object-store")}/${enc(name)}`}</code>
            </span>
          ) : null}
        </div>
        <Table head={["Name", "Type", "Size", "Modified", "Actions"]} rows={rows} id="objects" empty="No objects here." />
        <h2>Upload an object</h2>
        <div class="card">
          <form method="post" action={`${base}/upload`} enctype="multipart/form-data" class="stack" data-upload id="object-upload">
            <Csrf s={s} />
            <input type="hidden" name="prefix" value={prefix} />
            <label>
              File
              <input type="file" name="file" required />
            </label>
            <label>
              Object name (default: the file's name)
              <input name="name" maxlength={1024} />
            </label>
            <progress hidden value="0" max="1"></progress>
            <span class="upmsg muted" aria-live="polite"></span>
            <button type="submit">Upload</button>
          </form>
        </div>
        <h2>Create a folder</h2>
        <div class="card">
          <form method="post" action={`${base}/folder`} class="inline" id="folder-create">
            <Csrf s={s} />
            <input type="hidden" name="prefix" value={prefix} />
            <input name="folder" required pattern="[^/]+" placeholder="folder name" aria-label="Folder name" />
            <button type="submit" class="sec">
              Create folder
            </button>
          </form>
        </div>
      </Page>,
    );
  });

  app.post("/project/containers/:c/upload", (c) => {
    const name = c.req.param("c");
    const base = `/project/containers/${enc(name)}`;
    return action(c, d, base, async () => {
      const up = await uploadOf(c);
      if (!up || up.size === -1) throw new OsError(400, "Choose a file to upload.");
      const f = parse(z.object({ name: z.string().max(1024).optional(), prefix: z.string().max(1024).default("") }), up.fields);
      const obj = `${f.prefix}${(f.name || up.name || "").replace(/^\/+/, "")}`;
      if (!obj || obj.endsWith("/")) throw new OsError(400, "The object needs a name.");
      await c.get("os").call("object-store", `/${enc(name)}/${obj.split("/").map(enc).join("/")}`, {
        method: "PUT",
        body: up.body,
        headers: { "content-type": up.type || "application/octet-stream", ...(up.size !== undefined ? { "content-length": String(up.size) } : {}) },
      });
      return done(c, `${base}${f.prefix ? `?prefix=${enc(f.prefix)}` : ""}`, `Uploaded ${obj}.`);
    });
  });

  app.post("/project/containers/:c/folder", (c) => {
    const name = c.req.param("c");
    const base = `/project/containers/${enc(name)}`;
    return action(c, d, base, async () => {
      const f = await formOf(c, z.object({ folder: z.string().trim().min(1, "the folder name is required").max(255).refine((v) => !v.includes("/"), "no '/' in a folder name"), prefix: z.string().default("") }));
      const obj = `${f.prefix}${f.folder}/`;
      await c.get("os").call("object-store", `/${enc(name)}/${obj.split("/").map(enc).join("/")}`, { method: "PUT", body: "", headers: { "content-type": "application/directory" } });
      return done(c, `${base}?prefix=${enc(obj)}`, `Folder ${f.folder} created.`);
    });
  });

  app.get("/project/containers/:c/download", async (c) => {
    const name = c.req.param("c");
    const obj = c.req.query("name") ?? "";
    const res = await c.get("os").call("object-store", `/${enc(name)}/${obj.split("/").map(enc).join("/")}`, { raw: true });
    if (res.status >= 400) {
      c.get("session").flash = { kind: "error", text: `Object Store: could not download ${obj} (${res.status}).` };
      return c.redirect(`/project/containers/${enc(name)}`, 303);
    }
    const file = (obj.split("/").pop() || "download").replace(/["\\\r\n]/g, "_");
    const headers: Record<string, string> = {
      "content-type": res.headers.get("content-type") ?? "application/octet-stream",
      "content-disposition": `attachment; filename="${file}"`,
    };
    const len = res.headers.get("content-length");
    if (len) headers["content-length"] = len;
    return new Response(res.body, { headers });
  });

  app.post("/project/containers/:c/delete-object", (c) => {
    const name = c.req.param("c");
    const base = `/project/containers/${enc(name)}`;
    return action(c, d, base, async () => {
      const f = await form(c);
      const obj = str(f.name);
      const prefix = str(f.prefix);
      await c.get("os").call("object-store", `/${enc(name)}/${obj.split("/").map(enc).join("/")}`, { method: "DELETE" });
      return done(c, `${base}${prefix ? `?prefix=${enc(prefix)}` : ""}`, `Deleted ${obj}.`);
    });
  });

  app.post("/project/containers/:c/access", (c) => {
    const name = c.req.param("c");
    const base = `/project/containers/${enc(name)}`;
    return action(c, d, base, async () => {
      const pub = str((await form(c)).public) === "1";
      await c.get("os").call("object-store", `/${enc(name)}`, {
        method: "POST",
        headers: pub ? { "x-container-read": ".r:*,.rlistings" } : { "x-remove-container-read": "1" },
      });
      return done(c, base, pub ? "The container is public." : "The container is private.");
    });
  });

  app.post("/project/containers/:c/delete", (c) =>
    action(c, d, "/project/containers", async () => {
      await c.get("os").call("object-store", `/${enc(c.req.param("c"))}`, { method: "DELETE" });
      return done(c, "/project/containers", "Container deleted.");
    }),
  );
}
