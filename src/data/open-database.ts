import { mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, type LogConfig, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import { type ActiveKeys, cachedActiveKeys, uncachedActiveKeys } from './active-keys.ts';
import { type Checkpointer, startCheckpointer } from './checkpointer.ts';
import { withPreparedStatements, withStatementCache } from './statement-cache.ts';
import type { Database } from './tables.ts';

export type Db = Kysely<Database>;

/** An open database and the engine-specific chores the domain asks for by name. */
export interface DataStore {
  db: Db;
  engine: 'sqlite' | 'postgres';
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
  close(): Promise<void>;
}

/** Sees every SQL statement run and how long it took (query counting and profiling). */
export type QueryObserver = (sql: string, durationMs: number) => void;

const logTo = (onQuery?: QueryObserver): LogConfig | undefined =>
  onQuery ? (event) => onQuery(event.query.sql, event.queryDurationMillis) : undefined;

function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//.test(url);
}

export interface OpenOptions {
  /** Sees every SQL statement run (query counting in tests and benchmarks). */
  onQuery?: QueryObserver;
  /** PostgreSQL: how long an API key found active may be reused; 0 looks it up every time. */
  keyCacheMs?: number;
}

export function openDatabase(url: string, options: OpenOptions = {}): DataStore {
  return isPostgresUrl(url) ? openPostgres(url, options) : openSqlite(url, options);
}

/**
 * The WAL file keeps its largest size until truncated, and truncating it costs time on the
 * event loop in proportion (about 0.25 ms a MB here, with ext4's discard): an erasure lets
 * the WAL start over before it grows past this.
 */
const SETTLE_WAL_BYTES = 32 * 1024 * 1024;

function walBytes(path: string): number {
  try {
    return statSync(`${path}-wal`).size;
  } catch {
    return 0;
  }
}

function openSqlite(path: string, { onQuery }: OpenOptions): DataStore {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const handle = new SQLite(path);
  // Pragmas go on the handle before Kysely gets it: the dialect uses this one connection.
  if (path !== ':memory:') handle.pragma('journal_mode = WAL');
  // NORMAL in WAL mode survives a process crash; only a power loss can drop the last commits.
  handle.pragma('synchronous = NORMAL');
  handle.pragma('foreign_keys = ON');
  handle.pragma('secure_delete = ON');
  handle.pragma('busy_timeout = 5000');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(handle) }), log: logTo(onQuery) });
  let checkpointer: Checkpointer | undefined;
  if (path !== ':memory:') {
    // Routine checkpoints run in a worker thread, not inside this connection's commits.
    handle.pragma('wal_autocheckpoint = 0');
    checkpointer = startCheckpointer(path, (error) => {
      console.error('the WAL checkpoint worker failed; checkpointing on the main thread again', error);
      if (handle.open) handle.pragma('wal_autocheckpoint = 1000');
    });
  }
  return {
    db,
    engine: 'sqlite',
    // A lookup is a prepared statement in this process: microseconds, nothing to cache.
    keys: uncachedActiveKeys(db),
    // TRUNCATE empties the WAL file, so the frames that still held the old text are gone.
    // Deletes that commit close together share one checkpoint: it costs several fsyncs.
    flushErasure: shared(async () => {
      const paused = await checkpointer?.catchUp();
      try {
        await sql`PRAGMA wal_checkpoint(TRUNCATE)`.execute(db);
      } finally {
        if (paused) checkpointer?.resume();
      }
    }),
    async settleLog() {
      if (walBytes(path) < SETTLE_WAL_BYTES) return;
      if (await checkpointer?.catchUp()) checkpointer?.resume();
    },
    close: once(async () => {
      await checkpointer?.close();
      await db.destroy();
    }),
  };
}

function openPostgres(url: string, { onQuery, keyCacheMs = 0 }: OpenOptions): DataStore {
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: withPreparedStatements(pool) }), log: logTo(onQuery) });
  const keys = cachedActiveKeys(db, url, keyCacheMs);
  return {
    db,
    engine: 'postgres',
    keys,
    // Deleted tuples stay in PostgreSQL's heap pages until (auto)VACUUM reclaims them and
    // the space is reused; nothing to force here without stalling every writer. See README.
    async flushErasure() {},
    async settleLog() {},
    close: once(async () => {
      await keys.close();
      await db.destroy();
    }),
  };
}

/**
 * Every call is answered by a run of `work` that starts after the call: calls made before
 * the next run starts share it, calls made during a run wait for the one after it. A run
 * starts no earlier than the next turn of the event loop, so the requests in progress
 * (their statements queued on the one connection) finish and join it.
 */
function shared(work: () => Promise<void>): () => Promise<void> {
  let last: Promise<void> = Promise.resolve();
  let next: Promise<void> | undefined;
  return () => {
    next ??= last
      .catch(() => undefined)
      .then(() => new Promise((resolve) => setImmediate(resolve)))
      .then(() => {
        next = undefined;
        last = work();
        return last;
      });
    return next;
  };
}

/** Closing twice (shutdown after a failure) is harmless. */
function once(close: () => Promise<void>): () => Promise<void> {
  let closing: Promise<void> | undefined;
  return () => {
    closing ??= close();
    return closing;
  };
}
