import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect, WithSchemaPlugin, sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { compiledOnce } from '../../src/data/compiled-once.ts';
import type { Db } from '../../src/data/db.ts';

// A hot statement is built by Kysely once per shape; later calls only put in the values.
// It must answer exactly as the builder run each time would.

let db: Db;
let statements: string[];
beforeEach(async () => {
  statements = [];
  db = new Kysely<any>({
    dialect: new SqliteDialect({ database: new SQLite(':memory:') }),
    log: (event) => {
      statements.push(event.query.sql);
    },
  }) as unknown as Db;
  await sql`create table chats (id text primary key, tenant_id text not null, title text, version integer not null)`.execute(db);
  await sql`insert into chats values ('c1', 't1', 'one', 1), ('c2', 't1', null, 2), ('c3', 't2', 'three', 1)`.execute(db);
});
afterEach(async () => db.destroy());

type Find = { tenantId: string; version: number | null; like: { title: string } };
const build = (k: Db, { tenantId, version, like }: Find) =>
  k
    .selectFrom('chats')
    .select(['id'])
    .where('tenant_id', '=', tenantId)
    .where((eb) => eb.or([eb('title', 'like', like.title), eb('id', '=', tenantId)]))
    .$if(version !== null, (q) => q.where('version', '=', version!))
    .orderBy('id');

describe('compiledOnce', () => {
  it('answers as the builder does, for new values and for each shape of nulls', async () => {
    const find = compiledOnce(build);
    const cases: Find[] = [
      { tenantId: 't1', version: null, like: { title: '%' } },
      { tenantId: 't2', version: null, like: { title: 't%' } },
      { tenantId: 't1', version: 1, like: { title: '%' } },
      { tenantId: 't1', version: 2, like: { title: '%' } },
      { tenantId: 't1', version: null, like: { title: 'none' } },
    ];
    for (const params of cases) {
      expect(await find(db, params)).toEqual(await build(db, params).execute());
    }
    expect((await find(db, cases[0]!)).map((r) => r.id)).toEqual(['c1']);
    expect(await find(db, cases[2]!)).toEqual([{ id: 'c1' }]);
    // One SQL text per shape: with and without the version.
    statements.length = 0;
    for (const params of cases) await find(db, params);
    expect(new Set(statements).size).toBe(2);
  });

  it("keeps one template per database, its plugins' and dialect's, and shares it with that database's transactions", async () => {
    let builds = 0;
    const find = compiledOnce((k: Db, { id }: { id: string }) => {
      builds++;
      return k.selectFrom('chats').select('id').where('id', '=', id);
    });
    const prefixed = new Kysely<any>({
      dialect: new SqliteDialect({ database: new SQLite(':memory:') }),
      plugins: [new WithSchemaPlugin('main')],
      log: (event) => {
        statements.push(event.query.sql);
      },
    }) as unknown as Db;
    await sql`create table chats (id text primary key)`.execute(prefixed);
    await sql`insert into chats values ('p1')`.execute(prefixed);
    statements.length = 0;
    expect(await find(db, { id: 'c1' })).toEqual([{ id: 'c1' }]);
    expect(await find(prefixed, { id: 'p1' })).toEqual([{ id: 'p1' }]);
    expect(statements[0]).not.toContain('"main"');
    expect(statements[1]).toContain('"main"."chats"');
    expect(builds).toBe(2);
    await db.transaction().execute(async (trx) => {
      expect(await find(trx, { id: 'c2' })).toEqual([{ id: 'c2' }]);
    });
    expect(await find(prefixed, { id: 'p1' })).toEqual([{ id: 'p1' }]);
    expect(builds).toBe(2);
    await prefixed.destroy();
  });

  it('refuses a builder that changes a value, or writes one into the SQL text', async () => {
    const changes = compiledOnce((k, { limit }: { limit: number }) => k.selectFrom('chats').select('id').limit(limit + 1));
    await expect(changes(db, { limit: 1 })).rejects.toThrow(/changed a value \("limit1"\)/);
    const inlines = compiledOnce((k, { id }: { id: string }) => k.selectFrom('chats').select('id').where('id', '=', sql.lit(id)));
    await expect(inlines(db, { id: 'c1' })).rejects.toThrow(/written into the SQL text/);
    const drops = compiledOnce((k, _: { id: string }) => k.selectFrom('chats').select('id'));
    await expect(drops(db, { id: 'c1' })).rejects.toThrow(/dropped id/);
  });
});
