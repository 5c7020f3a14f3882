/**
 * A stand-in for the console proxy in the browser test (the fake driver has no
 * VNC server): a websocket that speaks just enough RFB 3.8 — version, security
 * "None", ServerInit of a small framebuffer — for noVNC to report `connect`.
 * It records the tokens it was asked for, so the test can check that the page
 * used the URL Nova returned.
 */
export interface FakeVnc {
  tokens: string[];
  stop(): void;
}

export function startFakeVnc(port: number): FakeVnc | undefined {
  const tokens: string[] = [];
  type Conn = { buf: Uint8Array; stage: "version" | "security" | "init" | "running" };
  let server: ReturnType<typeof Bun.serve<Conn>>;
  try {
    server = Bun.serve<Conn>({
      hostname: "127.0.0.1",
      port,
      fetch(req, srv) {
        tokens.push(new URL(req.url).searchParams.get("token") ?? "");
        const proto = req.headers.get("sec-websocket-protocol");
        const headers: Record<string, string> = proto ? { "sec-websocket-protocol": proto.split(",")[0]!.trim() } : {};
        if (srv.upgrade(req, { data: { buf: new Uint8Array(0), stage: "version" }, headers })) return undefined;
        return new Response("websocket only", { status: 400 });
      },
      websocket: {
        open(ws) {
          ws.send(new TextEncoder().encode("RFB 003.008\n"));
        },
        message(ws, msg) {
          const bytes = typeof msg === "string" ? new TextEncoder().encode(msg) : new Uint8Array(msg);
          const c = ws.data;
          const all = new Uint8Array(c.buf.length + bytes.length);
          all.set(c.buf);
          all.set(bytes, c.buf.length);
          c.buf = all;
          for (;;) {
            if (c.stage === "version" && c.buf.length >= 12) {
              c.buf = c.buf.slice(12);
              c.stage = "security";
              ws.send(new Uint8Array([1, 1])); // one security type: None
            } else if (c.stage === "security" && c.buf.length >= 1) {
              c.buf = c.buf.slice(1);
              c.stage = "init";
              ws.send(new Uint8Array([0, 0, 0, 0])); // SecurityResult OK
            } else if (c.stage === "init" && c.buf.length >= 1) {
              c.buf = c.buf.slice(1);
              c.stage = "running";
              const name = new TextEncoder().encode("tenrec fake console");
              const init = new Uint8Array(24 + name.length);
              const v = new DataView(init.buffer);
              v.setUint16(0, 640);
              v.setUint16(2, 400);
              init.set([32, 24, 0, 1], 4); // bpp, depth, little-endian, true colour
              v.setUint16(8, 255);
              v.setUint16(10, 255);
              v.setUint16(12, 255);
              init.set([16, 8, 0], 14); // red, green, blue shifts
              v.setUint32(20, name.length);
              init.set(name, 24);
              ws.send(init);
            } else {
              if (c.stage === "running") c.buf = new Uint8Array(0); // client messages are ignored
              return;
            }
          }
        },
      },
    });
  } catch {
    return undefined; // the port is taken (a real console proxy is there): the test uses that one
  }
  return { tokens, stop: () => server.stop(true) };
}
