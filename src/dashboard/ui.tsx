/** The page frame and small shared pieces (hono/jsx, server-rendered). */
import { raw } from "hono/html";
import type { Child } from "hono/jsx";
import { isAdmin, type Session } from "./session.ts";

const CSS = `
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2733;background:#f3f5f8}
a{color:#0b62a4;text-decoration:none}a:hover{text-decoration:underline}
header{display:flex;flex-wrap:wrap;align-items:center;gap:.5rem 1rem;background:#1f2d3d;color:#fff;padding:.5rem 1rem}
header .brand{font-weight:700;font-size:1.1rem;color:#fff;margin-right:auto}header form{margin:0;display:flex;gap:.35rem;align-items:center}
header select,header button{font:inherit;padding:.2rem .4rem}header .who{opacity:.85}
.wrap{display:flex;min-height:calc(100vh - 48px)}nav{width:210px;flex:none;background:#fff;border-right:1px solid #dde2e8;padding:.75rem 0}
nav h4{margin:.75rem 1rem .25rem;font-size:.75rem;text-transform:uppercase;color:#6a7785;letter-spacing:.05em}
nav a{display:block;padding:.3rem 1rem;color:#1d2733}nav a.on{background:#e6f0fa;border-left:3px solid #0b62a4;font-weight:600}
main{flex:1;min-width:0;padding:1rem 1.25rem}h1{font-size:1.35rem;margin:.2rem 0 1rem}h2{font-size:1.1rem;margin:1.4rem 0 .6rem}
.card{background:#fff;border:1px solid #dde2e8;border-radius:6px;padding:1rem;margin-bottom:1rem}
.tbl{overflow-x:auto}table{border-collapse:collapse;width:100%;background:#fff}th,td{text-align:left;padding:.4rem .55rem;border-bottom:1px solid #e7ebef;vertical-align:top}
th{background:#f7f9fb;font-weight:600;white-space:nowrap}td form{display:inline}
.flash{padding:.6rem .8rem;border-radius:5px;margin-bottom:1rem}.flash.ok{background:#e3f6e8;border:1px solid #9bd3ab}.flash.error{background:#fdeaea;border:1px solid #eba3a3}
form.stack{display:grid;grid-template-columns:minmax(0,1fr);gap:.6rem;max-width:520px}fieldset{min-width:0}select{min-width:0;width:auto}form.stack label{display:grid;gap:.2rem;font-weight:600}
input,select,textarea{font:inherit;padding:.35rem .45rem;border:1px solid #b9c3cd;border-radius:4px;max-width:100%}
textarea{min-height:5rem}button,.btn{font:inherit;padding:.35rem .75rem;border-radius:4px;border:1px solid #0b62a4;background:#0b62a4;color:#fff;cursor:pointer;display:inline-block}
button.sec,.btn.sec{background:#fff;color:#0b62a4}button.danger{background:#c0392b;border-color:#c0392b}
.row{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center}.inline{display:flex;flex-wrap:wrap;gap:.35rem;align-items:center;margin:.2rem 0}
.badge{display:inline-block;padding:.05rem .45rem;border-radius:9px;font-size:.8rem;font-weight:600;background:#e7ebef}
.badge.ACTIVE,.badge.available,.badge.in-use{background:#d6f2de;color:#1c6b33}.badge.ERROR,.badge.error{background:#fadcdc;color:#8c1d1d}
.badge.BUILD,.badge.creating,.badge.REBOOT,.badge.attaching{background:#fff1c7;color:#7a5b00}.badge.SHUTOFF{background:#e1e5ea}
.charts{display:flex;flex-wrap:wrap;gap:1rem}.chart{background:#fff;border:1px solid #dde2e8;border-radius:6px;padding:.6rem;text-align:center;width:150px}
pre.log{background:#111;color:#d7f7d7;padding:.75rem;overflow:auto;max-height:360px;font-size:12px;white-space:pre-wrap}
.muted{color:#6a7785}progress{width:100%;max-width:520px;height:1rem}dl.kv{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem}dl.kv dt{font-weight:600}dl.kv dd{margin:0;word-break:break-all}
.topo{overflow-x:auto;background:#fff;border:1px solid #dde2e8;border-radius:6px}
@media (max-width:760px){.wrap{display:block}nav{width:auto;border-right:0;border-bottom:1px solid #dde2e8;display:flex;flex-wrap:wrap;padding:.3rem}
nav h4{display:none}nav a{padding:.25rem .5rem}nav a.on{border-left:0;border-bottom:2px solid #0b62a4}main{padding:.75rem}
table.resp thead{display:none}table.resp tr{display:block;border-bottom:2px solid #dde2e8}table.resp td{display:flex;gap:.5rem;border:0;padding:.2rem .5rem}
table.resp td::before{content:attr(data-l);font-weight:600;min-width:6.5rem;color:#6a7785}}
`;

const PROJECT_NAV: [string, string][] = [
  ["/project/", "Overview"],
  ["/project/instances", "Instances"],
  ["/project/images", "Images"],
  ["/project/keypairs", "Key Pairs"],
  ["/project/volumes", "Volumes"],
  ["/project/network", "Network"],
  ["/project/containers", "Object Store"],
];
const ADMIN_NAV: [string, string][] = [
  ["/admin/hypervisors", "Hypervisors"],
  ["/admin/instances", "All Instances"],
  ["/admin/flavors", "Flavors"],
  ["/admin/identity", "Projects & Users"],
  ["/admin/services", "Services"],
];

export function Csrf({ s }: { s: Session }) {
  return <input type="hidden" name="csrfmiddlewaretoken" value={s.csrf} />;
}

export function Page(props: { s: Session; title: string; path: string; children?: Child; scripts?: string }) {
  const { s } = props;
  const flash = s.flash;
  s.flash = undefined;
  const nav = (items: [string, string][]) =>
    items.map(([href, label]) => (
      <a href={href} class={props.path === href || (href !== "/project/" && props.path.startsWith(href)) ? "on" : ""}>
        {label}
      </a>
    ));
  return (
    <>
    {raw("<!doctype html>")}
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{props.title} — tenrec dashboard</title>
        <style>{raw(CSS)}</style>
      </head>
      <body>
        <header>
          <a class="brand" href="/project/">tenrec</a>
          {s.token ? (
            <>
              <form method="post" action="/auth/switch" id="switcher">
                <Csrf s={s} />
                <label class="who" for="project-switch">Project</label>
                <select id="project-switch" name="project_id" onchange="this.form.submit()">
                  {s.projects.map((p) => (
                    <option value={p.id} selected={p.id === s.project?.id}>
                      {p.name}
                    </option>
                  ))}
                </select>
                <noscript>
                  <button type="submit">Switch</button>
                </noscript>
              </form>
              <span class="who">{s.user?.name}</span>
              <form method="post" action="/auth/logout">
                <Csrf s={s} />
                <button type="submit" class="sec" id="signout">
                  Sign out
                </button>
              </form>
            </>
          ) : null}
        </header>
        <div class="wrap">
          {s.token ? (
            <nav>
              <h4>Project</h4>
              {nav(PROJECT_NAV)}
              {isAdmin(s) ? (
                <>
                  <h4>Admin</h4>
                  {nav(ADMIN_NAV)}
                </>
              ) : null}
            </nav>
          ) : null}
          <main>
            {flash ? (
              <div class={`flash ${flash.kind}`} role={flash.kind === "error" ? "alert" : "status"}>
                {flash.text}
              </div>
            ) : null}
            <h1>{props.title}</h1>
            {props.children}
          </main>
        </div>
        {props.scripts ? <script>{raw(props.scripts)}</script> : null}
      </body>
    </html>
    </>
  );
}

export function ErrorBox({ error }: { error?: string }) {
  return error ? (
    <div class="flash error" role="alert">
      {error}
    </div>
  ) : null;
}

const BUSY = /^(creating|attaching|detaching|extending|deleting|downloading|uploading|backing-up|restoring-backup|reserved|maintenance|queued|saving|importing|pending_delete|BUILD|REBOOT|HARD_REBOOT|PENDING_CREATE|PENDING_UPDATE|PENDING_DELETE)$/;

/** A status badge; a transitional status marks the page for a gentle refresh (REFRESH_JS). */
export function Badge({ v }: { v?: string | null }) {
  return (
    <span class={`badge ${v ?? ""}`} data-busy={v && BUSY.test(v) ? "1" : undefined}>
      {v ?? "—"}
    </span>
  );
}

/** While something on the page is in a transitional state, reload every 2 s — unless the user is filling in a form. */
export const REFRESH_JS = `
(function(){if(!document.querySelector('[data-busy]'))return;var dirty=false;
document.addEventListener('input',function(){dirty=true;});
setTimeout(function again(){var a=document.activeElement;if(dirty||(a&&/INPUT|SELECT|TEXTAREA/.test(a.tagName))){setTimeout(again,2000);return;}location.reload();},2000);})();
`;

/** A post button with CSRF (one action, optional hidden fields). */
export function Act(props: { s: Session; action: string; label: string; fields?: Record<string, string>; danger?: boolean; confirm?: string }) {
  return (
    <form method="post" action={props.action} onsubmit={props.confirm ? `return confirm(${JSON.stringify(props.confirm)})` : undefined}>
      <Csrf s={props.s} />
      {Object.entries(props.fields ?? {}).map(([k, v]) => (
        <input type="hidden" name={k} value={v} />
      ))}
      <button type="submit" class={props.danger ? "danger" : "sec"}>
        {props.label}
      </button>
    </form>
  );
}

/** Inline SVG donut: used / limit (limit < 0 = unlimited). */
export function Donut({ label, used, limit, unit }: { label: string; used: number; limit: number; unit?: string }) {
  const r = 42;
  const c = 2 * Math.PI * r;
  const frac = limit > 0 ? Math.min(1, used / limit) : 0;
  const color = frac >= 0.9 ? "#c0392b" : frac >= 0.7 ? "#e0a100" : "#2e8b57";
  const lim = limit < 0 ? "∞" : `${limit}`;
  return (
    <div class="chart" data-chart={label}>
      <svg width="110" height="110" viewBox="0 0 110 110" role="img" aria-label={`${label}: ${used} of ${lim}`}>
        <circle cx="55" cy="55" r={r} fill="none" stroke="#e7ebef" stroke-width="14" />
        <circle
          cx="55"
          cy="55"
          r={r}
          fill="none"
          stroke={color}
          stroke-width="14"
          stroke-dasharray={`${(frac * c).toFixed(2)} ${c.toFixed(2)}`}
          transform="rotate(-90 55 55)"
        />
        <text x="55" y="60" text-anchor="middle" font-size="16" font-weight="600">
          {limit > 0 ? `${Math.round(frac * 100)}%` : used}
        </text>
      </svg>
      <div>
        <strong>{label}</strong>
      </div>
      <div class="muted">
        {used} of {lim} {unit ?? ""}
      </div>
    </div>
  );
}

/** Table with labels repeated per cell for the narrow (stacked) layout. */
export function Table(props: { head: string[]; rows: Child[][]; id?: string; empty?: string }) {
  return (
    <div class="tbl">
      <table class="resp" id={props.id}>
        <thead>
          <tr>
            {props.head.map((h) => (
              <th>{h}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.rows.length === 0 ? (
            <tr>
              <td colspan={props.head.length} class="muted">
                {props.empty ?? "Nothing here yet."}
              </td>
            </tr>
          ) : (
            props.rows.map((r) => (
              <tr>
                {r.map((cell, i) => (
                  <td data-l={props.head[i]}>{cell}</td>
                ))}
              </tr>
            ))
          )}
        </tbody>
      </table>
    </div>
  );
}

export function fmtBytes(n: number | undefined | null): string {
  if (n == null) return "—";
  const u = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < u.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i ? v.toFixed(1) : v} ${u[i]}`;
}

/** Progress-bar upload: the file goes as the raw XHR body (streamed through to the service), the other fields in the
 * query string, the CSRF token in a header; upload.onprogress drives the <progress>. Without JavaScript the form posts multipart. */
export const UPLOAD_JS = `
document.querySelectorAll('form[data-upload]').forEach(function(f){f.addEventListener('submit',function(ev){
  var input=f.querySelector('input[type=file]');if(!window.XMLHttpRequest||!input||!input.files.length)return;ev.preventDefault();
  var file=input.files[0],q=new URLSearchParams(),csrf='';
  f.querySelectorAll('input,select,textarea').forEach(function(el){if(!el.name||el.type==='file'||el.disabled)return;
    if((el.type==='checkbox'||el.type==='radio')&&!el.checked)return;if(el.name==='csrfmiddlewaretoken'){csrf=el.value;return;}q.append(el.name,el.value);});
  q.append('filename',file.name);q.append('filetype',file.type||'');
  var bar=f.querySelector('progress'),msg=f.querySelector('.upmsg'),btn=f.querySelector('button[type=submit]');bar.hidden=false;bar.value=0;btn.disabled=true;
  var x=new XMLHttpRequest();x.open('POST',f.action+'?'+q.toString());x.setRequestHeader('x-requested-with','XMLHttpRequest');
  x.setRequestHeader('x-csrf-token',csrf);x.setRequestHeader('content-type','application/octet-stream');
  x.upload.onprogress=function(e){if(e.lengthComputable){bar.max=e.total;bar.value=e.loaded;msg.textContent=Math.round(100*e.loaded/e.total)+'%';}};
  x.onload=function(){var j={};try{j=JSON.parse(x.responseText)}catch(e){}btn.disabled=false;
    if(x.status<400){bar.value=bar.max;msg.textContent='Done';location.href=j.redirect||location.href;}
    else{msg.textContent=j.error||('Upload failed ('+x.status+')');msg.setAttribute('role','alert');}};
  x.onerror=function(){btn.disabled=false;msg.textContent='Upload failed: network error';};x.send(file);});});
`;
