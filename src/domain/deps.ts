import type { DataStore } from '../data/open-database.ts';
import type { LiveState } from '../live/live-state.ts';
import type { Permission } from './api-keys.ts';
import type { Clock } from './clock.ts';
import type { DeletionObserver } from './deletion-observer.ts';
import type { Eraser } from './eraser.ts';

export interface Settings {
  /** How long a soft-deleted thread can be restored. */
  restoreWindowMs: number;
  /** Pause between two words of the built-in generator. */
  tokenIntervalMs: number;
  /** How long an Idempotency-Key's first answer is kept for retries. */
  idempotencyTtlMs: number;
}

/** What every domain operation runs against; built once per process. */
export interface Deps {
  store: DataStore;
  live: LiveState;
  clock: Clock;
  settings: Settings;
  /** The background erasure of large deletes. */
  erasure: Eraser;
  deletions: DeletionObserver;
}

/** Who acts, for which tenant, in which request: scopes every read and write. */
export interface Scope {
  tenantId: string;
  /** What the API key may do. */
  permissions: readonly Permission[];
  /** The API key's name: the audit log's actor. */
  actor: string;
  requestId: string;
}
