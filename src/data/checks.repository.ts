import { sql } from 'kysely';
import type { Db } from './db.ts';

/** True when a trivial query comes back (the database is reachable and open). */
export async function databaseAnswers(db: Db): Promise<boolean> {
  try {
    await sql`select 1`.execute(db);
    return true;
  } catch {
    return false;
  }
}
