import type SQLite from 'better-sqlite3';
import type { SqliteDatabase } from 'kysely';

/**
 * Kysely's SQLite driver prepares every statement anew; preparing costs about as much as
 * running a small one (profiled under deleteChat load, bench/RESULTS.md). The queries come
 * from a fixed set of builders, so their SQL texts repeat and their statements are reused.
 * Safe because Kysely runs one statement at a time on this connection and never iterates.
 */
export function withStatementCache(handle: SQLite.Database, size = 500): SqliteDatabase {
  const cache = new Map<string, SQLite.Statement>();
  return {
    close: () => handle.close(),
    prepare(sql: string) {
      let statement = cache.get(sql);
      if (statement) {
        // Most recently used last, so the first entry is the one to evict.
        cache.delete(sql);
      } else {
        statement = handle.prepare(sql);
        if (cache.size >= size) cache.delete(cache.keys().next().value as string);
      }
      cache.set(sql, statement);
      return statement;
    },
  };
}
