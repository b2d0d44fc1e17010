import { mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { type KyselyPlugin, Kysely, OperationNodeTransformer, type SelectQueryNode, SqliteDialect, type UnknownRow, sql } from 'kysely';
import { type DataStore, type OpenOptions, logTo, once } from '../data-store.ts';
import type { Database } from '../tables.ts';
import { type Checkpointer, startCheckpointer } from './checkpointer.ts';
import { preparedActiveKeys } from './prepared-active-keys.ts';
import { withStatementCache } from './statement-cache.ts';

// What differs on SQLite: one connection whose statements are cached, pragmas for
// durability and erasure, WAL checkpoints in a worker thread, no row locks, and its own
// consistency checks.

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

/**
 * SQLite has no row locks and needs none: its one writer runs transactions one at a time.
 * Repositories ask for `FOR UPDATE` (and `SKIP LOCKED`) where PostgreSQL needs them; here
 * they are left out, also from the subqueries of an UPDATE or DELETE.
 */
const ROW_LOCKS = new Set(['ForUpdate', 'SkipLocked']);
const hasRowLock = (node: SelectQueryNode) => node.endModifiers?.some((m) => m.modifier !== undefined && ROW_LOCKS.has(m.modifier)) ?? false;
const withoutRowLock = (node: SelectQueryNode): SelectQueryNode => ({
  ...node,
  endModifiers: node.endModifiers?.filter((m) => m.modifier === undefined || !ROW_LOCKS.has(m.modifier)),
});

class RowLocksRemover extends OperationNodeTransformer {
  protected override transformSelectQuery(node: SelectQueryNode): SelectQueryNode {
    const inner = super.transformSelectQuery(node);
    return hasRowLock(inner) ? withoutRowLock(inner) : inner;
  }
}

const withoutRowLocks: KyselyPlugin = {
  transformQuery({ node }) {
    // A plain SELECT (most statements) is checked at its top only, without a walk.
    if (node.kind === 'SelectQueryNode') return hasRowLock(node) ? withoutRowLock(node) : node;
    if (node.kind === 'UpdateQueryNode' || node.kind === 'DeleteQueryNode') return new RowLocksRemover().transformNode(node);
    return node;
  },
  transformResult: async ({ result }) => result as { rows: UnknownRow[] },
};

export function openSqlite(path: string, { onQuery }: OpenOptions): DataStore {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const handle = new SQLite(path);
  // Pragmas go on the handle before Kysely gets it: the dialect uses this one connection.
  if (path !== ':memory:') handle.pragma('journal_mode = WAL');
  // NORMAL in WAL mode survives a process crash; only a power loss can drop the last commits.
  handle.pragma('synchronous = NORMAL');
  handle.pragma('foreign_keys = ON');
  handle.pragma('secure_delete = ON');
  handle.pragma('busy_timeout = 5000');
  const db = new Kysely<Database>({
    dialect: new SqliteDialect({ database: withStatementCache(handle) }),
    log: logTo(onQuery),
    plugins: [withoutRowLocks],
  });
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
    // A lookup is a prepared statement in this process: microseconds, nothing to cache.
    keys: preparedActiveKeys(handle, db, onQuery),
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
    async integrityProblems() {
      const { rows } = await sql<{ integrity_check: string }>`PRAGMA integrity_check`.execute(db);
      return rows.map((r) => r.integrity_check).filter((line) => line !== 'ok');
    },
    async foreignKeyProblems() {
      const { rows } = await sql<{ table: string; rowid: number; parent: string }>`PRAGMA foreign_key_check`.execute(db);
      return rows.map((r) => `${r.table} row ${r.rowid} points to a missing ${r.parent} row`);
    },
    migrationTableSchema: async () => undefined,
    close: once(async () => {
      await checkpointer?.close();
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
