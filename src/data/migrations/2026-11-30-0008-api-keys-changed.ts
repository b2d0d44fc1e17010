import { type Kysely, PostgresAdapter, sql } from 'kysely';

// Frozen in time: this migration never imports application code and is never edited.

// Servers on PostgreSQL keep the API keys they found active, and forget them all when this
// channel is notified: by any change to api_keys, from any process or by hand.
export async function up(db: Kysely<any>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return;
  await sql`
    create function api_keys_changed() returns trigger language plpgsql as $$
    begin
      perform pg_notify('chat_gateway_api_keys_changed', '');
      return null;
    end
    $$`.execute(db);
  await sql`
    create trigger api_keys_changed after update or delete or truncate on api_keys
    for each statement execute function api_keys_changed()`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return;
  await sql`drop trigger api_keys_changed on api_keys`.execute(db);
  await sql`drop function api_keys_changed()`.execute(db);
}
