import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { withPreparedStatements } from '../../src/data/postgres/prepared-statements.ts';
import { TEST_DATABASE_URL } from '../helpers/database.ts';

// On PostgreSQL each distinct SQL text is prepared once per connection, up to a bound, so
// postgres stops planning the hot statements anew and a backend's memory stays bounded.

const title = TEST_DATABASE_URL
  ? 'named prepared statements on PostgreSQL'
  : 'SKIPPED: named prepared statements (set TEST_DATABASE_URL to a PostgreSQL database)';

describe.skipIf(!TEST_DATABASE_URL)(title, () => {
  let db: Kysely<any> | undefined;
  afterEach(async () => {
    await db?.destroy();
  });

  /** One connection, so every statement and the check share a backend. */
  function open(perConnection: number) {
    const pool = new pg.Pool({ connectionString: TEST_DATABASE_URL, max: 1 });
    db = new Kysely<any>({ dialect: new PostgresDialect({ pool: withPreparedStatements(pool, perConnection) }) });
    return db;
  }

  const preparedHere = async (k: Kysely<any>) =>
    (await sql<{ statement: string }>`select statement from pg_prepared_statements`.execute(k)).rows.map((r) => r.statement);

  it('prepares each text once, reuses it with new values, and answers as before', async () => {
    const k = open(10);
    for (const n of [1, 2, 3]) {
      expect((await sql<{ v: number }>`select ${n}::int + 1 as v`.execute(k)).rows).toEqual([{ v: n + 1 }]);
    }
    const texts = await preparedHere(k);
    expect(texts.filter((t) => t.includes('::int + 1'))).toHaveLength(1);
  });

  it('prepares no more than its bound on a connection and runs the rest unnamed', async () => {
    const k = open(3);
    for (let i = 0; i < 6; i++) {
      expect((await sql<{ v: number }>`select ${sql.lit(i)}::int as v, ${i} as p`.execute(k)).rows[0]!.v).toBe(i);
    }
    // Three texts of the loop are prepared; the check's own text comes after the bound.
    expect(await preparedHere(k)).toHaveLength(3);
  });
});
