import type { DataStore } from '../data/data-store.ts';
import type { AuditChain } from './audit-chain.ts';
import type { LiveState } from '../live/live-state.ts';
import type { Clock } from './clock.ts';
import type { DeletionObserver } from './deletion-observer.ts';
import type { ErasureJobs } from './erasure-jobs.ts';
import type { ErasureOutbox } from './erasure-outbox.ts';
import type { Settings } from './settings.ts';

/** What every domain operation runs against; built once per process. */
export interface Deps {
  store: DataStore;
  live: LiveState;
  clock: Clock;
  settings: Settings;
  /** The queue of large erasures, which finishes them in the background. */
  erasureJobs: ErasureJobs;
  /** Delivers the erasure events of permanent deletes to the copies elsewhere, after commit. */
  outbox: ErasureOutbox;
  deletions: DeletionObserver;
  /** Seals the audit log into each tenant's hash chain, after the writes commit. */
  auditChain: AuditChain;
}
