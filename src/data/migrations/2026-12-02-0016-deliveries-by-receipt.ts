import { type Kysely, SqliteAdapter, sql } from 'kysely';

// Frozen in time: this migration never imports application code and is never edited.

// On SQLite every outbox entry was written into four b-trees (the rowid table, the index of
// its id, the index of its receipt, the index of due entries), each a page more for the
// delete's checkpoint to copy and erase. Keyed by (receipt_id, id) without a rowid, the table
// is its receipt's index: two b-trees. Every statement finds an entry by both columns.
// PostgreSQL keeps its table: its heap and indexes answer the same statements.

const COLUMNS = sql`
  id text not null,
  tenant_id text not null,
  receipt_id text not null,
  target_id text not null,
  event text not null,
  status text not null,
  attempts integer not null default 0,
  last_error text,
  created_at text not null,
  next_attempt_at text not null,
  deadline_at text not null,
  leased_until text,
  completed_at text`;

/** Moves every entry into a table made by `create` (with COLUMNS, in their order), under the old name. */
async function rebuild(db: Kysely<any>, create: (name: ReturnType<typeof sql.table>) => ReturnType<typeof sql>): Promise<void> {
  await create(sql.table('erasure_deliveries_rebuilt')).execute(db);
  await sql`insert into erasure_deliveries_rebuilt select * from erasure_deliveries`.execute(db);
  await sql`drop table erasure_deliveries`.execute(db);
  await sql`alter table erasure_deliveries_rebuilt rename to erasure_deliveries`.execute(db);
  await sql`create index erasure_deliveries_due on erasure_deliveries (next_attempt_at, id) where status = 'PENDING'`.execute(db);
}

export async function up(db: Kysely<any>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof SqliteAdapter)) return;
  await rebuild(db, (name) => sql`create table ${name} (${COLUMNS}, primary key (receipt_id, id)) without rowid`);
}

export async function down(db: Kysely<any>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof SqliteAdapter)) return;
  await rebuild(db, (name) => sql`create table ${name} (${COLUMNS}, primary key (id))`);
  await sql`create index erasure_deliveries_of_receipt on erasure_deliveries (receipt_id)`.execute(db);
}
