/**
 * A QMP (QEMU Machine Protocol) client over a unix socket: one connection per
 * guest, line-delimited JSON, commands matched to replies by id, events handed
 * to a listener. QEMU accepts one client per QMP socket; the driver keeps this
 * connection open for the guest's lifetime and learns that the process died
 * when the socket closes.
 */
import type { Socket } from "bun";

export interface QmpEvent {
  event: string;
  data?: Record<string, unknown>;
  timestamp?: { seconds: number; microseconds: number };
}

export class QmpError extends Error {
  constructor(
    readonly command: string,
    readonly klass: string,
    desc: string,
  ) {
    super(`QMP ${command}: ${klass}: ${desc}`);
  }
}

interface Pending {
  command: string;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

export class Qmp {
  private sock: Socket<undefined> | null = null;
  private buf = "";
  private nextId = 1;
  private pending = new Map<string, Pending>();
  private greeted!: Promise<void>;
  private closedFlag = false;
  private eventWaiters: { name: string; match: (e: QmpEvent) => boolean; resolve: (e: QmpEvent) => void }[] = [];
  /** Called for every asynchronous event. */
  onEvent: (e: QmpEvent) => void = () => {};
  /** Called once when the connection closes (QEMU exited or closed it). */
  onClose: () => void = () => {};

  private constructor(readonly path: string) {}

  get closed(): boolean {
    return this.closedFlag;
  }

  /** Connect (retrying while the socket does not exist yet) and negotiate capabilities. */
  static async connect(path: string, timeoutMs = 10_000): Promise<Qmp> {
    const q = new Qmp(path);
    const deadline = Date.now() + timeoutMs;
    let lastErr: unknown;
    while (Date.now() < deadline) {
      try {
        await q.open();
        await q.command("qmp_capabilities");
        return q;
      } catch (e) {
        lastErr = e;
        q.close();
        q.closedFlag = false;
        await Bun.sleep(50);
      }
    }
    throw new Error(`QMP connect ${path}: ${lastErr instanceof Error ? lastErr.message : String(lastErr)}`);
  }

  private async open(): Promise<void> {
    let greet!: () => void;
    let fail!: (e: Error) => void;
    this.greeted = new Promise<void>((res, rej) => {
      greet = res;
      fail = rej;
    });
    this.buf = "";
    let gotGreeting = false;
    this.sock = await Bun.connect({
      unix: this.path,
      socket: {
        data: (_s, chunk) => {
          this.buf += chunk.toString();
          let nl: number;
          while ((nl = this.buf.indexOf("\n")) >= 0) {
            const line = this.buf.slice(0, nl).trim();
            this.buf = this.buf.slice(nl + 1);
            if (!line) continue;
            let msg: Record<string, unknown>;
            try {
              msg = JSON.parse(line);
            } catch {
              continue;
            }
            if (!gotGreeting && "QMP" in msg) {
              gotGreeting = true;
              greet();
              continue;
            }
            this.dispatch(msg);
          }
        },
        close: () => this.handleClose(fail),
        error: () => this.handleClose(fail),
      },
    });
    const t = setTimeout(() => fail(new Error("no QMP greeting")), 5000);
    try {
      await this.greeted;
    } finally {
      clearTimeout(t);
    }
  }

  private handleClose(fail: (e: Error) => void): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    fail(new Error("QMP connection closed"));
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new Error(`QMP ${p.command}: connection closed`));
    }
    this.pending.clear();
    this.onClose();
  }

  private dispatch(msg: Record<string, unknown>): void {
    if (typeof msg.event === "string") {
      const ev = msg as unknown as QmpEvent;
      this.eventWaiters = this.eventWaiters.filter((w) => {
        if (w.name === ev.event && w.match(ev)) {
          w.resolve(ev);
          return false;
        }
        return true;
      });
      this.onEvent(ev);
      return;
    }
    const id = msg.id === undefined ? undefined : String(msg.id);
    if (id === undefined) return;
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    if ("error" in msg) {
      const err = msg.error as { class?: string; desc?: string };
      p.reject(new QmpError(p.command, err.class ?? "GenericError", err.desc ?? "error"));
    } else {
      p.resolve(msg.return);
    }
  }

  /** Run a command; resolves with its "return" value. */
  command<T = unknown>(execute: string, args?: Record<string, unknown>, timeoutMs = 30_000): Promise<T> {
    if (!this.sock || this.closedFlag) return Promise.reject(new Error(`QMP ${execute}: not connected`));
    const id = String(this.nextId++);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`QMP ${execute}: no reply in ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { command: execute, resolve: resolve as (v: unknown) => void, reject, timer });
      this.sock!.write(JSON.stringify(args ? { execute, arguments: args, id } : { execute, id }) + "\n");
    });
  }

  /** Wait for the next event named `name` (matching `match`); null on timeout or close. */
  waitEvent(name: string, timeoutMs: number, match: (e: QmpEvent) => boolean = () => true): Promise<QmpEvent | null> {
    if (this.closedFlag) return Promise.resolve(null);
    return new Promise((resolve) => {
      const w = { name, match, resolve: (e: QmpEvent | null) => resolve(e) };
      this.eventWaiters.push(w as never);
      setTimeout(() => {
        const i = this.eventWaiters.indexOf(w as never);
        if (i >= 0) {
          this.eventWaiters.splice(i, 1);
          resolve(null);
        }
      }, timeoutMs);
    });
  }

  /** Close deliberately: onClose is not called. */
  close(): void {
    const s = this.sock;
    this.sock = null;
    this.closedFlag = true;
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new Error(`QMP ${p.command}: connection closed`));
    }
    this.pending.clear();
    try {
      s?.end();
    } catch {
      /* already closed */
    }
  }
}
