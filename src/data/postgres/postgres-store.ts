import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { type DataStore, type OpenOptions, logTo, once } from '../data-store.ts';
import type { Database } from '../tables.ts';
import { cachedActiveKeys } from './active-keys-cache.ts';
import { deleteSmallChatAtOnce } from './delete-chat-at-once.ts';
import { withPreparedStatements } from './prepared-statements.ts';

// What differs on PostgreSQL: a pool of connections with named prepared statements, API
// keys kept between requests, row locks (FOR UPDATE, which repositories ask for), the
// one-statement delete of a small chat, and migrations in the connection's own schema.

export function openPostgres(url: string, { onQuery, keyCacheMs = 0 }: OpenOptions): DataStore {
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: withPreparedStatements(pool) }), log: logTo(onQuery) });
  const keys = cachedActiveKeys(db, url, keyCacheMs);
  return {
    db,
    keys,
    // Deleted tuples stay in PostgreSQL's heap pages until (auto)VACUUM reclaims them and
    // the space is reused; nothing to force here without stalling every writer. See README.
    async flushErasure() {},
    async settleLog() {},
    // PostgreSQL enforces integrity and foreign keys itself: nothing to report.
    integrityProblems: async () => [],
    foreignKeyProblems: async () => [],
    // Left unset, Kysely looks for its bookkeeping tables in every schema and, finding
    // another schema's, never creates its own.
    async migrationTableSchema() {
      const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
      return rows[0]?.schema ?? 'public';
    },
    deleteChatAtOnce: (input) => deleteSmallChatAtOnce(db, input),
    close: once(async () => {
      await keys.close();
      await db.destroy();
    }),
  };
}
