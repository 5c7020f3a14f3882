import type { AuthContext } from "../core/auth.ts";
import type { Bus } from "../core/bus.ts";
import type { Clock } from "../core/clock.ts";
import type { Config } from "../core/config.ts";
import type { Db } from "../core/db.ts";
import { isAdmin, isMember } from "../core/policy.ts";
import type { Logger } from "../core/log.ts";
import type { IdentityClient } from "../identity/client.ts";
import type { ObjectStoreClient } from "../objectstore/client.ts";
import type { ImageCaller } from "./client.ts";
import type { ImageStore } from "./store.ts";

/** Image data and staged import data live in the service project's account, in these containers. */
export const DATA_CONTAINER = "glance";
export const STAGING_CONTAINER = "glance-staging";
/** The one store tenrec's Glance has (what /v2/info/stores lists and an image's `stores` says). */
export const STORE_ID = "swift";

export interface ImageCtx {
  db: Db;
  bus: Bus;
  clock: Clock;
  cfg: Config;
  log: Logger;
  identity: IdentityClient;
  objects: ObjectStoreClient;
  store: ImageStore;
  /** `AUTH_<id of project "service">`, where image data lives (containers made at bootstrap). */
  account(): Promise<string>;
  /** Where `qemu-img` is (undefined when it is not installed). */
  qemuImg: string | undefined;
  /** Uploads and imports in flight (stop() waits for them). */
  inflight: Set<Promise<unknown>>;
}

/** Who is calling, as the image logic sees it. */
export interface Caller extends ImageCaller {
  userId?: string;
  /** A reader (no member role) may look, never change. */
  readOnly?: boolean;
  requestId?: string;
}

export function callerOf(a: AuthContext, requestId?: string): Caller {
  return {
    projectId: a.projectId ?? "",
    isAdmin: isAdmin(a),
    userId: a.userId,
    readOnly: !isMember(a),
    requestId,
  };
}
