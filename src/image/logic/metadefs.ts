/**
 * The metadata definitions catalog (/v2/metadefs): namespaces of property
 * definitions that dashboards offer for images, flavors, volumes… Readers see
 * public namespaces and their own project's; changes are for admins (Glance's
 * default policy).
 */
import { ApiError, badRequest, conflict, forbidden } from "../../core/errors.ts";
import { parse } from "../../core/validate.ts";
import { z } from "zod";
import type { Caller, ImageCtx } from "../ctx.ts";
import { MetadefStore, type Item, type ItemKind, type Namespace } from "../metadefs_store.ts";

/** The resource types Glance seeds. */
export const RESOURCE_TYPES = ["OS::Glance::Image", "OS::Cinder::Volume", "OS::Nova::Flavor", "OS::Nova::Aggregate", "OS::Nova::Server", "OS::Trove::Instance", "OS::Glance::Metadef"];

const Name = z.string().min(1).max(80);
const NamespaceBody = z.looseObject({
  namespace: Name,
  display_name: z.string().max(80).nullable().optional(),
  description: z.string().max(500).nullable().optional(),
  visibility: z.enum(["public", "private"]).optional(),
  protected: z.boolean().optional(),
  owner: z.string().max(255).nullable().optional(),
  resource_type_associations: z.array(z.looseObject({ name: Name, prefix: z.string().optional(), properties_target: z.string().optional() })).optional(),
  properties: z.record(z.string(), z.looseObject({})).optional(),
  objects: z.array(z.looseObject({ name: Name })).optional(),
  tags: z.array(z.object({ name: z.string().min(1).max(255) })).optional(),
});
const Named = z.looseObject({ name: z.string().min(1).max(255) });
const Tags = z.object({ tags: z.array(z.object({ name: z.string().min(1).max(255) })) });

const notFound = (what: string) => new ApiError(404, `${what} not found`);

export class Metadefs {
  readonly store: MetadefStore;
  constructor(private ctx: ImageCtx) {
    this.store = new MetadefStore(ctx.db);
  }

  private visible(c: Caller, n: Namespace): boolean {
    return c.isAdmin || n.visibility === "public" || (!!n.owner && n.owner === c.projectId);
  }
  /** The namespace if visible (404 otherwise). */
  namespace(c: Caller, name: string): Namespace {
    const n = this.store.get(name);
    if (!n || !this.visible(c, n)) throw notFound(`Metadata definition namespace=${name} was`);
    return n;
  }
  private writable(c: Caller, name: string): Namespace {
    const n = this.namespace(c, name);
    if (!c.isAdmin) throw forbidden("You are not authorized to modify metadata definitions.");
    return n;
  }

  listNamespaces(c: Caller, resourceType?: string, visibility?: string): Namespace[] {
    return this.store.namespaces().filter(
      (n) =>
        this.visible(c, n) &&
        (!visibility || n.visibility === visibility) &&
        (!resourceType || this.store.items(n.namespace, "resource_type").some((r) => resourceType.split(",").includes(r.name))),
    );
  }

  createNamespace(c: Caller, body: unknown): Namespace {
    if (!c.isAdmin) throw forbidden("You are not authorized to create metadata definitions.");
    const b = parse(NamespaceBody, body);
    const now = this.ctx.clock.now();
    return this.store.tx(() => {
      if (this.store.get(b.namespace)) throw conflict(`A metadata definition namespace with name=${b.namespace} already exists.`);
      const n: Namespace = {
        namespace: b.namespace,
        displayName: b.display_name ?? null,
        description: b.description ?? null,
        visibility: b.visibility ?? "private",
        protected: b.protected ?? false,
        owner: b.owner ?? c.projectId,
        createdAt: now,
        updatedAt: now,
      };
      this.store.insert(n);
      for (const r of b.resource_type_associations ?? []) this.addItem(n.namespace, "resource_type", r.name, r, now);
      for (const [name, p] of Object.entries(b.properties ?? {})) this.addItem(n.namespace, "property", name, p, now);
      for (const o of b.objects ?? []) this.addItem(n.namespace, "object", o.name, o, now);
      for (const t of b.tags ?? []) this.addItem(n.namespace, "tag", t.name, {}, now);
      return n;
    });
  }

  updateNamespace(c: Caller, name: string, body: unknown): Namespace {
    const b = parse(NamespaceBody, body);
    return this.store.tx(() => {
      const n = this.writable(c, name);
      if (b.namespace !== name && this.store.get(b.namespace)) throw conflict(`A metadata definition namespace with name=${b.namespace} already exists.`);
      const next: Namespace = {
        ...n,
        namespace: b.namespace,
        displayName: b.display_name === undefined ? n.displayName : b.display_name,
        description: b.description === undefined ? n.description : b.description,
        visibility: b.visibility ?? n.visibility,
        protected: b.protected ?? n.protected,
        owner: b.owner === undefined ? n.owner : b.owner,
        updatedAt: this.ctx.clock.now(),
      };
      this.store.update(name, next);
      return next;
    });
  }

  deleteNamespace(c: Caller, name: string): void {
    this.store.tx(() => {
      const n = this.writable(c, name);
      if (n.protected) throw forbidden(`Metadata definition namespace ${name} is protected and cannot be deleted.`);
      this.store.remove(name);
    });
  }

  private addItem(namespace: string, kind: ItemKind, name: string, body: Record<string, unknown>, now: number): Item {
    if (this.store.item(namespace, kind, name)) throw conflict(`A metadata definition ${kind} with name=${name} already exists in namespace=${namespace}.`);
    if (kind === "resource_type" && !RESOURCE_TYPES.includes(name)) throw notFound(`Metadata definition resource-type=${name} was`);
    const { name: _n, ...rest } = body;
    const item: Item = { namespace, kind, name, body: rest, createdAt: now, updatedAt: now };
    this.store.putItem(item);
    return item;
  }

  items(c: Caller, namespace: string, kind: ItemKind): Item[] {
    this.namespace(c, namespace);
    return this.store.items(namespace, kind);
  }
  item(c: Caller, namespace: string, kind: ItemKind, name: string): Item {
    this.namespace(c, namespace);
    const i = this.store.item(namespace, kind, name);
    if (!i) throw notFound(`Metadata definition ${kind}=${name} in namespace=${namespace} was`);
    return i;
  }
  createItem(c: Caller, namespace: string, kind: ItemKind, body: unknown, name?: string): Item {
    const b = name !== undefined ? { name } : parse(Named, body);
    return this.store.tx(() => {
      this.writable(c, namespace);
      return this.addItem(namespace, kind, b.name, b, this.ctx.clock.now());
    });
  }
  updateItem(c: Caller, namespace: string, kind: ItemKind, name: string, body: unknown): Item {
    const b = parse(Named, body);
    return this.store.tx(() => {
      this.writable(c, namespace);
      const cur = this.store.item(namespace, kind, name);
      if (!cur) throw notFound(`Metadata definition ${kind}=${name} in namespace=${namespace} was`);
      if (b.name !== name && this.store.item(namespace, kind, b.name)) throw conflict(`A metadata definition ${kind} with name=${b.name} already exists in namespace=${namespace}.`);
      const { name: _n, ...rest } = b;
      const next: Item = { ...cur, name: b.name, body: kind === "tag" ? {} : rest, updatedAt: this.ctx.clock.now() };
      this.store.replaceItem(name, next);
      return next;
    });
  }
  deleteItem(c: Caller, namespace: string, kind: ItemKind, name: string): void {
    this.store.tx(() => {
      this.writable(c, namespace);
      if (!this.store.removeItem(namespace, kind, name)) throw notFound(`Metadata definition ${kind}=${name} in namespace=${namespace} was`);
    });
  }
  /** POST …/tags: replaces the namespace's tags (or appends with X-Openstack-Append: True). */
  createTags(c: Caller, namespace: string, body: unknown, append: boolean): Item[] {
    const b = parse(Tags, body);
    const names = b.tags.map((t) => t.name);
    if (new Set(names).size !== names.length) throw badRequest("Duplicate tag names in the request.");
    return this.store.tx(() => {
      this.writable(c, namespace);
      if (!append) this.store.removeItems(namespace, "tag");
      const now = this.ctx.clock.now();
      return names.map((n) => this.addItem(namespace, "tag", n, {}, now));
    });
  }
  deleteItems(c: Caller, namespace: string, kind: ItemKind): void {
    this.store.tx(() => {
      this.writable(c, namespace);
      this.store.removeItems(namespace, kind);
    });
  }
}
