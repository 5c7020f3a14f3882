import type { Db, Migration } from "./db.ts";
import type { Logger } from "./log.ts";

export type Handler<T = any, R = any> = (msg: T) => R | Promise<R>;
export interface Event<T = unknown> {
  event_type: string;
  payload: T;
  timestamp: string;
  publisher_id: string;
}

export const busMigrations: Migration[] = [
  {
    version: 1,
    name: "durable tasks",
    up: `CREATE TABLE core_tasks (
           id INTEGER PRIMARY KEY AUTOINCREMENT,
           topic TEXT NOT NULL,
           payload TEXT NOT NULL,
           attempts INTEGER NOT NULL DEFAULT 0,
           created_at TEXT NOT NULL)`,
  },
];

/**
 * The in-process stand-in for RabbitMQ.
 *
 * - `cast(topic, msg)`: fire and forget, to the one consumer of the topic.
 * - `call(topic, msg)`: request/response with the topic's consumer.
 * - `publish(type, payload)`: a notification to every subscriber whose pattern
 *   matches (`compute.instance.*`, `*`).
 * - `castDurable(topic, msg)`: the task row is committed before this returns;
 *   it is deleted when the consumer finishes (success or a handled failure).
 *   `resume()` re-dispatches rows left by a crash, so work is never lost.
 *
 * Dispatch is asynchronous (a microtask later), as with a real broker; tests
 * `await bus.drain()` instead of sleeping.
 */
export class Bus {
  private consumers = new Map<string, Handler>();
  private subscribers: { pattern: RegExp; fn: Handler<Event> }[] = [];
  private inflight = new Set<Promise<unknown>>();

  constructor(
    private db: Db | undefined,
    private log: Logger,
    private publisherId = "tenrec",
  ) {}

  consume<T, R>(topic: string, fn: Handler<T, R>): void {
    if (this.consumers.has(topic)) throw new Error(`topic ${topic} already has a consumer`);
    this.consumers.set(topic, fn);
  }

  subscribe(pattern: string, fn: Handler<Event>): () => void {
    const re = new RegExp(
      "^" + pattern.split("*").map((s) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*") + "$",
    );
    const entry = { pattern: re, fn };
    this.subscribers.push(entry);
    return () => {
      this.subscribers = this.subscribers.filter((s) => s !== entry);
    };
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.inflight.add(p);
    p.finally(() => this.inflight.delete(p)).catch(() => {});
    return p;
  }

  cast<T>(topic: string, msg: T): void {
    const fn = this.consumers.get(topic);
    if (!fn) {
      this.log.warn(`bus: cast to ${topic} with no consumer dropped`);
      return;
    }
    this.track(
      Promise.resolve()
        .then(() => fn(msg))
        .catch((e) => this.log.error(`bus: ${topic} failed: ${e?.stack ?? e}`)),
    );
  }

  async call<T, R>(topic: string, msg: T): Promise<R> {
    const fn = this.consumers.get(topic);
    if (!fn) throw new Error(`bus: no consumer for ${topic}`);
    return this.track(Promise.resolve().then(() => fn(msg)));
  }

  publish<T>(eventType: string, payload: T): void {
    const ev: Event<T> = {
      event_type: eventType,
      payload,
      timestamp: new Date().toISOString(),
      publisher_id: this.publisherId,
    };
    for (const s of this.subscribers) {
      if (!s.pattern.test(eventType)) continue;
      this.track(
        Promise.resolve()
          .then(() => s.fn(ev))
          .catch((e) => this.log.error(`bus: subscriber of ${eventType} failed: ${e?.stack ?? e}`)),
      );
    }
  }

  /** Persist the task, then dispatch it. The row goes when the consumer returns or throws. */
  castDurable<T>(topic: string, msg: T): number {
    if (!this.db) throw new Error("bus: durable casts need a database");
    const { lastInsertRowid } = this.db.run(
      "INSERT INTO core_tasks (topic, payload, created_at) VALUES (?, ?, ?)",
      topic,
      JSON.stringify(msg),
      new Date().toISOString(),
    );
    const id = Number(lastInsertRowid);
    this.dispatchTask(id, topic, msg);
    return id;
  }

  private dispatchTask(id: number, topic: string, msg: unknown): void {
    const fn = this.consumers.get(topic);
    if (!fn) {
      this.log.warn(`bus: durable task ${id} for ${topic} waits for a consumer`);
      return;
    }
    this.db!.run("UPDATE core_tasks SET attempts = attempts + 1 WHERE id = ?", id);
    this.track(
      Promise.resolve()
        .then(() => fn(msg))
        .catch((e) => this.log.error(`bus: durable task ${id} (${topic}) failed: ${e?.stack ?? e}`))
        .finally(() => this.db!.run("DELETE FROM core_tasks WHERE id = ?", id)),
    );
  }

  /** Re-dispatch the durable tasks a previous process left unfinished. */
  resume(): number {
    if (!this.db) return 0;
    const rows = this.db.all<{ id: number; topic: string; payload: string }>(
      "SELECT id, topic, payload FROM core_tasks ORDER BY id",
    );
    for (const r of rows) this.dispatchTask(r.id, r.topic, JSON.parse(r.payload));
    return rows.length;
  }

  /** The messages of the durable tasks still waiting on a topic (e.g. the builds a compute host must resume). */
  pendingOn<T = unknown>(topic: string): T[] {
    if (!this.db) return [];
    return this.db.all<{ payload: string }>("SELECT payload FROM core_tasks WHERE topic = ? ORDER BY id", topic).map((r) => JSON.parse(r.payload) as T);
  }

  pendingTasks(): number {
    return this.db?.get<{ n: number }>("SELECT COUNT(*) AS n FROM core_tasks")?.n ?? 0;
  }

  /** Wait until every dispatched message (and what it dispatched in turn) has finished. */
  async drain(): Promise<void> {
    while (this.inflight.size) await Promise.allSettled([...this.inflight]);
  }
}
