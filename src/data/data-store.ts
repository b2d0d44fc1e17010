import type { LogConfig } from 'kysely';
import type { ActiveKeys } from './active-keys.ts';
import type { Db } from './db.ts';
import type { AuditRow, ErasureDeliveryRow, NewAudit } from './tables.ts';

/**
 * An open database: the Kysely handle every repository runs on, and what differs between
 * the engines, each behind a method (sqlite/sqlite-store.ts, postgres/postgres-store.ts).
 * Nothing else asks which engine it is.
 */
export interface DataStore {
  db: Db;
  /** The API key lookup of every request (cached on PostgreSQL, where it is a round trip). */
  keys: ActiveKeys;
  /** Makes erased content unreadable in the files (SQLite copies pages into its WAL). */
  flushErasure(): Promise<void>;
  /**
   * Lets the engine's log start over once it has grown past a bound, without blocking
   * (SQLite: copies the WAL into the database from the checkpoint worker). Long runs of
   * writes call it between transactions.
   */
  settleLog(): Promise<void>;
  /** The engine's own consistency checks that found a problem, one line each. */
  integrityProblems(): Promise<string[]>;
  /** Rows pointing at a parent that is gone, one line each. */
  foreignKeyProblems(): Promise<string[]>;
  /** Where the migrations' bookkeeping tables live; undefined for the engine's default. */
  migrationTableSchema(): Promise<string | undefined>;
  /**
   * A small, quiet chat's delete with its audit entry in one statement, where the engine
   * can (PostgreSQL's data-modifying WITH); absent where it cannot.
   */
  deleteChatAtOnce?(input: ChatToDeleteAtOnce): Promise<ErasedAtOnce | undefined>;
  close(): Promise<void>;
}

/** What `deleteChatAtOnce` may delete: the chat, if it still is what the caller saw. */
export type ChatToDeleteAtOnce = {
  tenantId: string;
  chatId: string;
  expectedVersion: number | null;
  /** More messages than this go through the erasure queue instead. */
  maxMessages: number;
  audit: NewAudit;
  /** The id of the receipt written with it. */
  receiptId: string;
  /** When the outbox gives up on a copy it could not erase: the delete's time plus the retry window. */
  deadlineAt: string;
  /** The lease its outbox entries are written under: the caller delivers them. */
  leasedUntil: string;
};

/** What a one-statement delete erased: the chat's threads and messages, its audit entry, and the outbox entries it wrote. */
export interface ErasedAtOnce {
  threads: number;
  messages: number;
  /** Outbox entries written, one per active erasure target of the chat's flow. */
  copies: ErasureDeliveryRow[];
  audit: AuditRow;
}

/** Sees every SQL statement run and how long it took (query counting and profiling). */
export type QueryObserver = (sql: string, durationMs: number) => void;

export interface OpenOptions {
  /** Sees every SQL statement run (query counting in tests and benchmarks). */
  onQuery?: QueryObserver;
  /** PostgreSQL: how long an API key found active may be reused; 0 looks it up every time. */
  keyCacheMs?: number;
}

/** Kysely's log option for a query observer. */
export const logTo = (onQuery?: QueryObserver): LogConfig | undefined =>
  onQuery ? (event) => onQuery(event.query.sql, event.queryDurationMillis) : undefined;

/** Closing twice (shutdown after a failure) is harmless. */
export function once(close: () => Promise<void>): () => Promise<void> {
  let closing: Promise<void> | undefined;
  return () => {
    closing ??= close();
    return closing;
  };
}
