import { Migrator, sql } from 'kysely';
import { afterEach, expect, it } from 'vitest';
import type { DataStore } from '../../src/data/data-store.ts';
import { MIGRATIONS, migrateToLatest } from '../../src/data/migrate.ts';
import { openDatabase } from '../../src/data/open-database.ts';
import { claimDueDeliveries, completeDeliveries } from '../../src/data/outbox.repository.ts';
import type { ErasureDeliveryRow } from '../../src/data/tables.ts';
import { ENGINE, type TestDatabase, freshDatabase } from '../helpers/database.ts';

// Migration 0016 rebuilds the outbox on SQLite keyed by (receipt_id, id): the entries a
// server wrote before it must still be there, due, claimable and completable after it,
// and again after it is undone.

let database: TestDatabase;
let store: DataStore;
afterEach(async () => {
  await store.close();
  await database.drop();
});

const migrator = (s: DataStore) => new Migrator({ db: s.db, provider: { getMigrations: async () => MIGRATIONS } });

const entry = (id: string, receiptId: string, status: ErasureDeliveryRow['status']): ErasureDeliveryRow => ({
  id,
  tenant_id: 'tenant-1',
  receipt_id: receiptId,
  target_id: 'target-1',
  event: JSON.stringify({ id, receiptId }),
  status,
  attempts: 0,
  last_error: null,
  created_at: '2026-12-01T10:00:00.000Z',
  next_attempt_at: '2026-12-01T10:00:00.000Z',
  deadline_at: '2026-12-02T10:00:00.000Z',
  leased_until: null,
  completed_at: null,
});

it('keeps the outbox entries written before it, and they are claimed and completed by receipt and id', async () => {
  database = await freshDatabase();
  store = openDatabase(database.url);
  const before = await migrator(store).migrateTo('2026-12-01-0015-openai-flows');
  expect(before.error).toBeUndefined();
  const written = [entry('d-1', 'r-1', 'PENDING'), entry('d-2', 'r-1', 'COMPLETE'), entry('d-3', 'r-2', 'PENDING')];
  await store.db.insertInto('erasure_deliveries').values(written).execute();

  expect(await migrateToLatest(store)).toEqual(['2026-12-02-0016-deliveries-by-receipt']);
  const all = () => store.db.selectFrom('erasure_deliveries').selectAll().orderBy('id').execute();
  expect(await all()).toEqual(written);
  if (ENGINE === 'sqlite') {
    const table = await sql<{ sql: string }>`select sql from sqlite_master where name = 'erasure_deliveries'`.execute(store.db);
    expect(table.rows[0]!.sql).toMatch(/primary key \(receipt_id, id\)\s*\) without rowid$/);
    const indexes = await sql<{ name: string }>`select name from sqlite_master where type = 'index' and tbl_name = 'erasure_deliveries'`.execute(store.db);
    expect(indexes.rows.map((r) => r.name)).toEqual(['erasure_deliveries_due']);
  }

  const claimed = await claimDueDeliveries(store.db, '2026-12-01T11:00:00.000Z', '2026-12-01T11:00:30.000Z', 10);
  expect(claimed.map((d) => d.id).sort()).toEqual(['d-1', 'd-3']);
  // d-2 was complete already: only the two still pending are completed, and said so.
  const done = await completeDeliveries(store.db, [...claimed, written[1]!], '2026-12-01T11:00:01.000Z');
  expect(done.sort()).toEqual(['d-1', 'd-3']);
  expect((await all()).map((d) => [d.id, d.status, d.attempts, d.completed_at])).toEqual([
    ['d-1', 'COMPLETE', 1, '2026-12-01T11:00:01.000Z'],
    ['d-2', 'COMPLETE', 0, null],
    ['d-3', 'COMPLETE', 1, '2026-12-01T11:00:01.000Z'],
  ]);

  const down = await migrator(store).migrateDown();
  expect(down.error).toBeUndefined();
  expect((await all()).map((d) => [d.id, d.receipt_id, d.status])).toEqual([
    ['d-1', 'r-1', 'COMPLETE'],
    ['d-2', 'r-1', 'COMPLETE'],
    ['d-3', 'r-2', 'COMPLETE'],
  ]);
});

it('completes an entry only under its own receipt', async () => {
  database = await freshDatabase();
  store = openDatabase(database.url);
  await migrateToLatest(store);
  await store.db.insertInto('erasure_deliveries').values(entry('d-1', 'r-1', 'PENDING')).execute();
  expect(await completeDeliveries(store.db, [{ id: 'd-1', receipt_id: 'r-2' }], '2026-12-01T11:00:01.000Z')).toEqual([]);
  expect(await completeDeliveries(store.db, [{ id: 'd-1', receipt_id: 'r-1' }], '2026-12-01T11:00:01.000Z')).toEqual(['d-1']);
});
