import { PostgresAdapter, type SelectQueryBuilder } from 'kysely';
import type { Db } from './open-database.ts';

/**
 * Locks the selected rows for the rest of the transaction where the engine has row
 * locks (PostgreSQL). SQLite needs none: its one writer runs transactions one at a time.
 */
export function forUpdate<DB, TB extends keyof DB, O>(db: Db, qb: SelectQueryBuilder<DB, TB, O>): SelectQueryBuilder<DB, TB, O> {
  return isPostgres(db) ? qb.forUpdate() : qb;
}

/** PostgreSQL has row locks (a statement that only locks rows is worth running) and data-modifying WITH. */
export function isPostgres(db: Db): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}
