import type { FaultInjector } from "../control/faults.ts";
/** What every part of the volume service shares: deps, the backend, names of this cloud's one backend. */
import type { AuthContext } from "../core/auth.ts";
import type { Bus } from "../core/bus.ts";
import type { Clock } from "../core/clock.ts";
import type { Config } from "../core/config.ts";
import type { Db } from "../core/db.ts";
import type { Logger } from "../core/log.ts";
import type { MicroversionSpec } from "../core/microversion.ts";
import { isAdmin } from "../core/policy.ts";
import type { IdentityClient } from "../identity/client.ts";
import type { ImageClient } from "../image/client.ts";
import type { FileBackend } from "./backend.ts";
import { cinderTime } from "./store.ts";

export interface VolumeDeps {
  db: Db;
  bus: Bus;
  clock: Clock;
  cfg: Config;
  log: Logger;
  identity: IdentityClient;
  image: ImageClient;
  /** Fault rules on volume actions (volume.create) from the control API. */
  faults?: FaultInjector;
}

export interface VolumeCtx extends VolumeDeps {
  backend: FileBackend;
  now(): string;
}

/** Who acts: the caller's project, user and whether the admin rules apply. */
export interface Caller {
  projectId: string;
  userId: string;
  isAdmin: boolean;
  /** The API request that started the work (user messages name it). */
  requestId?: string;
}

export const callerOf = (a: AuthContext, requestId?: string): Caller => ({ projectId: a.projectId ?? "", userId: a.userId, isAdmin: isAdmin(a), requestId });

/** The one backend: host `tenrec@file#file`, like DevStack's `host@lvmdriver-1#lvmdriver-1`. */
export const HOST = "tenrec";
export const BACKEND = "file";
export const POOL_HOST = `${HOST}@${BACKEND}#${BACKEND}`;
export const DEFAULT_AZ = "nova";
export const DEFAULT_TYPE_NAME = "__DEFAULT__";

/** Block Storage API v3 microversions: 3.0 … 3.70. */
export const MV: MicroversionSpec = { serviceType: "volume", min: [3, 0], max: [3, 70] };

export const nowOf = (clock: Clock) => () => cinderTime(clock.now());
