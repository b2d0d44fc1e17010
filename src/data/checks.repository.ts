import { sql } from 'kysely';
import type { DataStore, Db } from './open-database.ts';

/** SQLite's own consistency checks; PostgreSQL enforces both itself, so it has nothing to report. */
export async function integrityProblems(store: DataStore): Promise<string[]> {
  if (store.engine !== 'sqlite') return [];
  const { rows } = await sql<{ integrity_check: string }>`PRAGMA integrity_check`.execute(store.db);
  return rows.map((r) => r.integrity_check).filter((line) => line !== 'ok');
}

export async function foreignKeyProblems(store: DataStore): Promise<string[]> {
  if (store.engine !== 'sqlite') return [];
  const { rows } = await sql<{ table: string; rowid: number; parent: string }>`PRAGMA foreign_key_check`.execute(store.db);
  return rows.map((r) => `${r.table} row ${r.rowid} points to a missing ${r.parent} row`);
}

/** True when a trivial query comes back (the database is reachable and open). */
export async function databaseAnswers(db: Db): Promise<boolean> {
  try {
    await sql`select 1`.execute(db);
    return true;
  } catch {
    return false;
  }
}
