import type { DataStore, OpenOptions } from './data-store.ts';
import { openPostgres } from './postgres/postgres-store.ts';
import { openSqlite } from './sqlite/sqlite-store.ts';

/** A `postgres://` URL opens PostgreSQL; anything else is a SQLite file (or `:memory:`). */
export function openDatabase(url: string, options: OpenOptions = {}): DataStore {
  return /^postgres(ql)?:\/\//.test(url) ? openPostgres(url, options) : openSqlite(url, options);
}
