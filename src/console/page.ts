/**
 * The console page the URL of `openstack console url show` opens: our own
 * small page on noVNC's RFB library (the npm package ships the library, not
 * noVNC's vnc.html / vnc_lite.html). Like noVNC's vnc_lite.html it reads the
 * websocket path from the `path` query parameter (Nova's URLs:
 * vnc_auto.html?path=%3Ftoken%3D<token>) or takes `token` directly.
 */

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function consolePage(title: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${esc(title)} - noVNC</title>
<style>
  html, body { margin: 0; height: 100%; background: #282828; color: #eee; font: 14px sans-serif; display: flex; flex-direction: column; }
  #top { display: flex; align-items: center; gap: 1em; padding: 4px 10px; background: #3b3b3b; }
  #status { flex: 1; }
  #screen { flex: 1; overflow: hidden; }
  button { font: inherit; }
</style>
</head>
<body>
<div id="top">
  <div id="status">Loading</div>
  <button id="cad" type="button">Send Ctrl+Alt+Del</button>
</div>
<div id="screen"></div>
<script type="module">
import RFB from "/core/rfb.js";
const status = (t, state) => { const e = document.getElementById("status"); e.textContent = t; e.dataset.state = state; };
const q = new URLSearchParams(location.search);
let path = q.get("path");
if (!path) path = q.get("token") ? "?token=" + encodeURIComponent(q.get("token")) : "websockify";
const url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/" + path.replace(/^\\//, "");
status("Connecting", "connecting");
const rfb = new RFB(document.getElementById("screen"), url, { wsProtocols: ["binary"] });
rfb.scaleViewport = true;
rfb.addEventListener("connect", () => status("Connected (unencrypted) to: " + (rfb._fbName || "${esc(title)}"), "connected"));
rfb.addEventListener("disconnect", (e) => status(e.detail.clean ? "Disconnected" : "Something went wrong, connection is closed", "disconnected"));
rfb.addEventListener("desktopname", (e) => { document.title = e.detail.name + " - noVNC"; status("Connected (unencrypted) to: " + e.detail.name, "connected"); });
document.getElementById("cad").onclick = () => rfb.sendCtrlAltDel();
window.rfb = rfb;
</script>
</body>
</html>
`;
}

export function errorPage(status: number, message: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>${status} - console</title></head>
<body>
<h1>${status === 401 ? "401 Unauthorized" : `${status}`}</h1>
<p>${esc(message)}</p>
</body>
</html>
`;
}
